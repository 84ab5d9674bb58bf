//! Loading stories: what the master makes of each listener's files, and
//! how it names what is wrong with them.

use std::fs;
use std::path::{Path, PathBuf};

use super::{SELF_SIGNED_FILE, ServerConfigs, TlsError};
use crate::config::Config;

const CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cert.pem");
const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/key.pem");
const RSA_CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rsa-cert.pem");
const RSA_KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rsa-key.pem");

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bicorn-tls-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn config(dir: &TempDir, listeners: &str) -> Config {
    let path = dir.write("bicorn.toml", listeners);
    Config::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn generated(names: &[&str], alg: &'static rcgen::SignatureAlgorithm) -> (String, String) {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let cert = rcgen::CertificateParams::new(names)
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn cleartext_listeners_get_no_settings_and_tls_ones_offer_h2_then_http11() {
    let dir = TempDir::new("alpn");
    let c = config(
        &dir,
        &format!(
            "[[listen]]\naddress = \"127.0.0.1:0\"\n\
             [[listen]]\naddress = \"127.0.0.1:1\"\ntls = {{ cert = \"{CERT}\", key = \"{KEY}\" }}\n"
        ),
    );
    let loaded = ServerConfigs::load(&c).unwrap();
    assert!(loaded.get(0).is_none());
    let tls = loaded.get(1).unwrap();
    assert_eq!(tls.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
    assert!(tls.session_storage.can_cache());
    assert!(tls.ticketer.enabled());
    assert!(loaded.get(2).is_none());
}

#[test]
fn rsa_ecdsa_and_ed25519_keys_all_load() {
    let dir = TempDir::new("algs");
    // ring cannot generate RSA keys: that one is a fixture (PKCS#1 form).
    let mut pairs = vec![(RSA_CERT.to_string(), RSA_KEY.to_string())];
    for alg in [
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P384_SHA384,
        &rcgen::PKCS_ED25519,
    ] {
        let (cert, key) = generated(&["localhost"], alg);
        let n = pairs.len();
        let cert = dir.write(&format!("c{n}.pem"), &cert);
        let key = dir.write(&format!("k{n}.pem"), &key);
        pairs.push((cert.display().to_string(), key.display().to_string()));
    }
    for (cert, key) in pairs {
        let c = config(
            &dir,
            &format!(
                "[[listen]]\naddress = \"127.0.0.1:0\"\ntls = {{ cert = \"{cert}\", key = \"{key}\" }}\n"
            ),
        );
        ServerConfigs::load(&c).unwrap_or_else(|e| panic!("{cert}: {e}"));
    }
}

#[test]
fn key_of_another_certificate_is_named_with_both_files() {
    let dir = TempDir::new("mismatch");
    let (_, other_key) = generated(&["localhost"], &rcgen::PKCS_ECDSA_P256_SHA256);
    let key = dir.write("other.key", &other_key);
    let c = config(
        &dir,
        &format!(
            "[[listen]]\naddress = \"127.0.0.1:0\"\ntls = {{ cert = \"{CERT}\", key = \"other.key\" }}\n"
        ),
    );
    let err = ServerConfigs::load(&c).unwrap_err();
    assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("`listen[0].tls.key`: "), "{text}");
    assert!(
        text.contains(key.to_str().unwrap()) && text.contains(CERT),
        "{text}"
    );
}

#[test]
fn file_removed_after_the_config_check_is_named() {
    let dir = TempDir::new("gone");
    let cert = dir.write("c.pem", &fs::read_to_string(CERT).unwrap());
    let c = config(
        &dir,
        &format!(
            "[[listen]]\naddress = \"127.0.0.1:0\"\ntls = [{{ cert = \"{CERT}\", key = \"{KEY}\" }}, \
             {{ cert = \"c.pem\", key = \"{KEY}\" }}]\n"
        ),
    );
    fs::remove_file(&cert).unwrap();
    let err = ServerConfigs::load(&c).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("`listen[0].tls[1].cert`: cannot read "),
        "{text}"
    );
    assert!(text.contains(cert.to_str().unwrap()), "{text}");
}

#[test]
fn self_signed_is_generated_once_then_reused() {
    let dir = TempDir::new("selfsigned");
    let c = config(
        &dir,
        "state_dir = \"st/ate\"\n[[listen]]\naddress = \"127.0.0.1:0\"\ntls = \"self-signed\"\n\
         [[listen]]\naddress = \"127.0.0.1:1\"\ntls = \"self-signed\"\n",
    );
    let file = dir.0.join("st/ate").join(SELF_SIGNED_FILE);
    assert!(!file.exists());
    let loaded = ServerConfigs::load(&c).unwrap();
    assert!(loaded.get(0).is_some() && loaded.get(1).is_some());
    let first = fs::read(&file).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    ServerConfigs::load(&c).unwrap();
    assert_eq!(fs::read(&file).unwrap(), first, "reused, not regenerated");
    let names = only_entries(&dir.0.join("st/ate"));
    assert_eq!(names, [SELF_SIGNED_FILE], "no temporary file left");
}

#[test]
fn broken_self_signed_file_is_reported_not_replaced() {
    let dir = TempDir::new("selfbroken");
    fs::create_dir_all(dir.0.join("state")).unwrap();
    let file = dir.write(&format!("state/{SELF_SIGNED_FILE}"), "garbage\n");
    let c = config(
        &dir,
        "[[listen]]\naddress = \"127.0.0.1:0\"\ntls = \"self-signed\"\n",
    );
    let err = ServerConfigs::load(&c).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(file.to_str().unwrap()), "{text}");
    assert!(text.contains("remove the file"), "{text}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "garbage\n");
}

fn only_entries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}
