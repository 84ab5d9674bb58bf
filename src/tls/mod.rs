//! TLS settings, loaded by the master: each TLS listener's certificates
//! and keys become one ready `rustls::ServerConfig` that the workers get
//! across `fork` (an `Arc`, never re-read in a worker).
//!
//! Loading happens before any worker starts and again on every reload
//! (HUP), so a certificate that cannot be used is reported at once, naming
//! the listener's config key and the file: at start the master exits
//! non-zero, on a reload the reload is rejected and the running generation
//! keeps serving with what it loaded before. The config check (`config/`)
//! already made sure the files hold PEM of the right kind; here they are
//! read again and handed to rustls, which also catches a key that is not
//! the certificate's or of a type it cannot sign with.
//!
//! What every TLS listener serves:
//!
//! - TLS 1.3 and 1.2, with rustls' cipher suites (all ECDHE with AEAD,
//!   which is also what RFC 9113 §9.2 demands for HTTP/2 over TLS 1.2).
//! - ALPN `h2` then `http/1.1`: the worker hands an `h2` connection to the
//!   HTTP/2 side at once.
//! - Several certificates chosen by SNI (`sni.rs`), the first the default.
//! - Session resumption: a per-listener session cache of
//!   [`SESSION_CACHE_SIZE`] entries, and tickets. The ticket key is made
//!   here, in the master, so every worker forked from it can decrypt the
//!   tickets of the others (each worker rotates it on its own after rustls'
//!   6 hours, and a reload makes a new one: a ticket that no longer
//!   decrypts costs a full handshake, nothing more); the cache is per
//!   worker process.
//!
//! The crypto provider is rustls' *ring* one, not the default aws-lc-rs:
//! ring builds with a C compiler alone, while aws-lc needs cmake and a
//! longer native build that CI machines should not have to carry. RSA,
//! ECDSA (P-256, P-384) and Ed25519 keys in PKCS#8, PKCS#1 or SEC1 form are
//! accepted.
//!
//! `tls = "self-signed"` is served from a certificate the master generates
//! once into `state_dir` (`self_signed.rs`). This module does not touch
//! sockets; the worker's TLS stream does (`worker/tls.rs`).

mod self_signed;
mod sni;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::server::ServerSessionMemoryCache;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::{CertKey, Config, Tls};

pub use self_signed::FILE_NAME as SELF_SIGNED_FILE;
use sni::SniResolver;

/// Most TLS sessions a listener's cache keeps per worker for stateful
/// resumption (a few hundred bytes each); the oldest go first.
pub const SESSION_CACHE_SIZE: usize = 4096;

/// ALPN protocol ids offered, in the server's order of preference.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// What made a listener's certificates unusable.
#[derive(Debug)]
pub enum TlsError {
    /// A certificate or key file could not be read.
    Unreadable {
        key: String,
        path: PathBuf,
        source: io::Error,
    },
    /// A file holds malformed PEM, or nothing of the kind expected.
    BadPem {
        key: String,
        path: PathBuf,
        reason: String,
    },
    /// rustls (ring) cannot sign with this private key: an unsupported
    /// algorithm or curve, or a malformed key.
    UnsupportedKey {
        key: String,
        path: PathBuf,
        reason: rustls::Error,
    },
    /// The private key does not belong to the certificate.
    KeyMismatch {
        key: String,
        cert: PathBuf,
        path: PathBuf,
    },
    /// The leaf certificate cannot be parsed as X.509.
    BadCertificate {
        key: String,
        path: PathBuf,
        reason: rustls::Error,
    },
    /// The self-signed certificate could not be generated or stored.
    SelfSigned { path: PathBuf, reason: String },
    /// rustls refused the settings themselves (a bug here, not the
    /// operator's files).
    Settings(rustls::Error),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Unreadable { key, path, source } => {
                write!(f, "`{key}`: cannot read `{}`: {source}", path.display())
            }
            TlsError::BadPem { key, path, reason } => {
                write!(f, "`{key}`: `{}`: {reason}", path.display())
            }
            TlsError::UnsupportedKey { key, path, reason } => write!(
                f,
                "`{key}`: `{}`: unusable private key (RSA, ECDSA P-256/P-384 or Ed25519 \
                 expected): {reason}",
                path.display()
            ),
            TlsError::KeyMismatch { key, cert, path } => write!(
                f,
                "`{key}`: the private key in `{}` does not belong to the certificate in `{}`",
                path.display(),
                cert.display()
            ),
            TlsError::BadCertificate { key, path, reason } => write!(
                f,
                "`{key}`: `{}`: the first certificate is not usable X.509: {reason}",
                path.display()
            ),
            TlsError::SelfSigned { path, reason } => {
                write!(f, "self-signed certificate `{}`: {reason}", path.display())
            }
            TlsError::Settings(e) => write!(f, "TLS settings refused by rustls: {e}"),
        }
    }
}

impl std::error::Error for TlsError {}

/// The TLS settings of one configuration: an entry per listener, in the
/// config's order, `None` for a cleartext one.
#[derive(Debug, Clone, Default)]
pub struct ServerConfigs(Vec<Option<Arc<ServerConfig>>>);

impl ServerConfigs {
    /// Load every TLS listener's certificates (generating the self-signed
    /// one if asked for and missing).
    pub fn load(config: &Config) -> Result<ServerConfigs, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut self_signed: Option<Arc<CertifiedKey>> = None;
        let mut configs = Vec::with_capacity(config.listeners.len());
        for (index, listen) in config.listeners.iter().enumerate() {
            let certs = match &listen.tls {
                None => {
                    configs.push(None);
                    continue;
                }
                Some(Tls::Certs(pairs)) => {
                    let mut certs = Vec::with_capacity(pairs.len());
                    for (i, pair) in pairs.iter().enumerate() {
                        let key = if pairs.len() == 1 {
                            format!("listen[{index}].tls")
                        } else {
                            format!("listen[{index}].tls[{i}]")
                        };
                        certs.push(Arc::new(certified_key(&key, pair, &provider)?));
                    }
                    certs
                }
                Some(Tls::SelfSigned) => {
                    let ck = match &self_signed {
                        Some(ck) => Arc::clone(ck),
                        None => {
                            let ck = Arc::new(load_self_signed(index, config, &provider)?);
                            self_signed = Some(Arc::clone(&ck));
                            ck
                        }
                    };
                    vec![ck]
                }
            };
            let server = server_config(Arc::clone(&provider), certs)?;
            configs.push(Some(Arc::new(server)));
        }
        Ok(ServerConfigs(configs))
    }

    /// The settings of the listener at `index` in the config, if it serves
    /// TLS.
    pub fn get(&self, index: usize) -> Option<Arc<ServerConfig>> {
        self.0.get(index).cloned().flatten()
    }
}

/// The `ServerConfig` every TLS listener shares but for its certificates.
fn server_config(
    provider: Arc<CryptoProvider>,
    certs: Vec<Arc<CertifiedKey>>,
) -> Result<ServerConfig, TlsError> {
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(TlsError::Settings)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SniResolver::new(certs)));
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE_SIZE);
    config.ticketer = rustls::crypto::ring::Ticketer::new().map_err(TlsError::Settings)?;
    Ok(config)
}

/// Read a chain and its key, and check that rustls can sign with the key
/// and that it is the leaf's.
fn certified_key(
    key: &str,
    pair: &CertKey,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let chain = read_chain(&format!("{key}.cert"), &pair.cert)?;
    let private = read_key(&format!("{key}.key"), &pair.key)?;
    let signer = provider
        .key_provider
        .load_private_key(private)
        .map_err(|reason| TlsError::UnsupportedKey {
            key: format!("{key}.key"),
            path: pair.key.clone(),
            reason,
        })?;
    let ck = CertifiedKey::new(chain, signer);
    match ck.keys_match() {
        // Unknown: the key cannot tell its public half; nothing to compare.
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(ck),
        Err(rustls::Error::InconsistentKeys(_)) => Err(TlsError::KeyMismatch {
            key: format!("{key}.key"),
            cert: pair.cert.clone(),
            path: pair.key.clone(),
        }),
        Err(reason) => Err(TlsError::BadCertificate {
            key: format!("{key}.cert"),
            path: pair.cert.clone(),
            reason,
        }),
    }
}

fn read_chain(key: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(key, path)?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_pem(key, path, format!("not valid PEM: {e}")))?;
    if chain.is_empty() {
        return Err(bad_pem(key, path, "holds no PEM certificate".into()));
    }
    Ok(chain)
}

fn read_key(key: &str, path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read(key, path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => {
            bad_pem(key, path, "holds no PEM private key".into())
        }
        e => bad_pem(key, path, format!("not valid PEM: {e}")),
    })
}

fn read(key: &str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Unreadable {
        key: key.to_string(),
        path: path.to_path_buf(),
        source,
    })
}

fn bad_pem(key: &str, path: &Path, reason: String) -> TlsError {
    TlsError::BadPem {
        key: key.to_string(),
        path: path.to_path_buf(),
        reason,
    }
}

/// The generated certificate (made now if missing), as any other pair.
fn load_self_signed(
    index: usize,
    config: &Config,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let (path, made) = self_signed::ensure(&config.state_dir)?;
    if made {
        log::info!(
            "TLS: generated a self-signed certificate for {} in {} (clients must be told \
             to trust it, e.g. curl -k)",
            self_signed::NAMES.join(", "),
            path.display()
        );
    } else {
        log::info!(
            "TLS: serving the self-signed certificate {} (for {})",
            path.display(),
            self_signed::NAMES.join(", ")
        );
    }
    let pair = CertKey {
        cert: path.clone(),
        key: path.clone(),
    };
    certified_key(&format!("listen[{index}].tls"), &pair, provider).map_err(|e| {
        TlsError::SelfSigned {
            path,
            reason: format!("{e} (remove the file to have a new one generated)"),
        }
    })
}

#[cfg(test)]
mod tests;
