//! `tls = "self-signed"`: a certificate the master makes for itself, so
//! that a first run serves HTTPS with no files to prepare.
//!
//! The certificate names `localhost`, `127.0.0.1` and `::1` (an ECDSA
//! P-256 key, valid until rcgen's default far future) and is kept with its
//! key in one PEM file, [`FILE_NAME`] in `state_dir`. It is generated on
//! the first start that needs it and read back on every later start and
//! reload, so clients that pinned or trusted it keep working. The file is
//! written to a temporary name (mode 0600) and renamed into place, so a
//! master never reads half of one; the directory is created (mode 0700)
//! if missing. Nothing else is ever written here.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::TlsError;

/// The certificate and key file, in `state_dir`.
pub const FILE_NAME: &str = "self-signed.pem";

/// The names the certificate is valid for.
pub(super) const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The certificate's path, and whether it was made just now.
pub(super) fn ensure(state_dir: &Path) -> Result<(PathBuf, bool), TlsError> {
    let path = state_dir.join(FILE_NAME);
    if path.exists() {
        return Ok((path, false));
    }
    let failed = |reason: String| TlsError::SelfSigned {
        path: path.clone(),
        reason,
    };
    let pem = generate().map_err(|e| failed(format!("cannot generate: {e}")))?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(state_dir)
        .map_err(|e| failed(format!("cannot create {}: {e}", state_dir.display())))?;
    let temp = state_dir.join(format!(".{FILE_NAME}.{}", std::process::id()));
    let written = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temp)
        .and_then(|mut f| f.write_all(pem.as_bytes()).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&temp, &path));
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(failed(format!("cannot write: {e}")));
    }
    Ok((path, true))
}

/// The certificate then the key, PEM.
fn generate() -> Result<String, rcgen::Error> {
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(NAMES.map(String::from).to_vec())?;
    let mut subject = rcgen::DistinguishedName::new();
    subject.push(rcgen::DnType::CommonName, "bicorn self-signed (localhost)");
    params.distinguished_name = subject;
    let cert = params.self_signed(&key)?;
    Ok(format!("{}{}", cert.pem(), key.serialize_pem()))
}
