//! `[[listen]]`: the sockets the server accepts on, and their TLS files.
//!
//! Owns [`Listen`], [`ListenAddress`] (with its `127.0.0.1:8080` /
//! `[::]:8080` / `unix:/run/bicorn.sock` text form) and [`Tls`], and the
//! checks that build them: address syntax, backlog range, systemd-safe
//! unique names, no duplicate addresses, and TLS certificate and key files
//! that are readable and hold PEM of the right kind. It does not bind or
//! load anything into rustls, and does not generate the self-signed
//! certificate; the master does (see `crate::tls`).

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use toml::Spanned;

use super::raw::{RawCertKey, RawListen, RawTls};
use super::{Checker, ConfigError, ErrorKind};

/// Default `listen` queue length for `listen(2)`.
const DEFAULT_BACKLOG: i32 = 1024;

/// One socket to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    pub address: ListenAddress,
    /// The `listen(2)` backlog, 1..=65535.
    pub backlog: i32,
    /// Name matched against systemd's `LISTEN_FDNAMES`; never empty,
    /// never contains `:`, unique.
    pub name: Option<String>,
    pub tls: Option<Tls>,
}

/// Where a listener accepts: a TCP address or a unix socket path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListenAddress {
    Tcp(SocketAddr),
    /// Absolute once it is part of a [`Config`](super::Config).
    Unix(PathBuf),
}

impl fmt::Display for ListenAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddress::Tcp(addr) => write!(f, "{addr}"),
            ListenAddress::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

impl FromStr for ListenAddress {
    type Err = String;

    /// `127.0.0.1:8080`, `[::]:8080` or `unix:PATH`. Host names are not
    /// accepted: what to bind must not depend on DNS.
    fn from_str(s: &str) -> Result<ListenAddress, String> {
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("a unix socket address needs a path after `unix:`".to_string());
            }
            return Ok(ListenAddress::Unix(PathBuf::from(path)));
        }
        SocketAddr::from_str(s)
            .map(ListenAddress::Tcp)
            .map_err(|_| format!("expected `IP:PORT`, `[IPv6]:PORT` or `unix:PATH`, got `{s}`"))
    }
}

/// How a listener serves TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// Certificates to serve, in file order, never empty: the one whose
    /// names match the client's SNI is chosen, the first when none does
    /// (or the client sent no SNI).
    Certs(Vec<CertKey>),
    /// `tls = "self-signed"`: a certificate for `localhost`, `127.0.0.1`
    /// and `::1` that the master generates once in `state_dir`.
    SelfSigned,
}

/// The word that asks for a generated certificate: `tls = "self-signed"`.
pub const SELF_SIGNED: &str = "self-signed";

/// A certificate chain file and its private key file, checked to hold PEM
/// of the right kind when the config was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertKey {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Most `[[listen]]` tables a config may hold (a worker's event loop
/// reserves this many tokens for listeners).
pub const MAX_LISTENERS: usize = 1024;

impl Checker<'_> {
    pub(super) fn listeners(
        &self,
        raw: Option<Spanned<Vec<RawListen>>>,
    ) -> Result<Vec<Listen>, ConfigError> {
        let Some(raw) = raw else {
            return Err(ConfigError::at(
                self.file,
                self.text,
                0,
                "listen",
                ErrorKind::MissingKey,
                "at least one [[listen]] table is required",
            ));
        };
        if raw.get_ref().is_empty() {
            return Err(self.invalid(
                raw.span(),
                "listen",
                "at least one [[listen]] table is required",
            ));
        }
        if raw.get_ref().len() > MAX_LISTENERS {
            return Err(self.invalid(
                raw.span(),
                "listen",
                format!(
                    "at most {MAX_LISTENERS} [[listen]] tables, got {}",
                    raw.get_ref().len()
                ),
            ));
        }
        let mut addresses = HashSet::new();
        let mut names = HashSet::new();
        let mut listeners = Vec::new();
        for (index, raw) in raw.into_inner().iter().enumerate() {
            let listen = self.listen(index, raw)?;
            // The configured address names a listener across reloads and
            // upgrades, so it must be unique, port 0 included.
            if !addresses.insert(listen.address.clone()) {
                return Err(self.invalid(
                    raw.address.span(),
                    &format!("listen[{index}].address"),
                    format!("`{}` is already listed", listen.address),
                ));
            }
            if let (Some(name), Some(raw_name)) = (&listen.name, &raw.name)
                && !names.insert(name.clone())
            {
                return Err(self.invalid(
                    raw_name.span(),
                    &format!("listen[{index}].name"),
                    format!("`{name}` is already the name of another listener"),
                ));
            }
            listeners.push(listen);
        }
        Ok(listeners)
    }

    fn listen(&self, index: usize, raw: &RawListen) -> Result<Listen, ConfigError> {
        let key = |field: &str| format!("listen[{index}].{field}");
        let address = ListenAddress::from_str(raw.address.get_ref())
            .map_err(|message| self.invalid(raw.address.span(), &key("address"), message))?;
        let address = match address {
            ListenAddress::Unix(path) => {
                let path = self.resolve(&path);
                if !path.is_absolute() {
                    return Err(self.invalid(
                        raw.address.span(),
                        &key("address"),
                        format!("unix socket path `{}` is not absolute", path.display()),
                    ));
                }
                ListenAddress::Unix(path)
            }
            tcp => tcp,
        };
        let backlog = match &raw.backlog {
            None => DEFAULT_BACKLOG,
            Some(backlog) => i32::try_from(*backlog.get_ref())
                .ok()
                .filter(|n| (1..=65535).contains(n))
                .ok_or_else(|| {
                    self.invalid(
                        backlog.span(),
                        &key("backlog"),
                        format!("must be between 1 and 65535, got {}", backlog.get_ref()),
                    )
                })?,
        };
        let name = match &raw.name {
            None => None,
            Some(name) => {
                let text = name.get_ref();
                let problem = if text.is_empty() {
                    Some("must not be empty")
                } else if text.contains(':') {
                    Some("must not contain `:` (systemd's LISTEN_FDNAMES is colon-separated)")
                } else {
                    None
                };
                if let Some(problem) = problem {
                    return Err(self.invalid(name.span(), &key("name"), problem));
                }
                Some(text.clone())
            }
        };
        let tls = raw
            .tls
            .as_ref()
            .map(|tls| self.tls(index, tls))
            .transpose()?;
        Ok(Listen {
            address,
            backlog,
            name,
            tls,
        })
    }

    fn tls(&self, index: usize, raw: &Spanned<RawTls>) -> Result<Tls, ConfigError> {
        let prefix = format!("listen[{index}].tls");
        match raw.get_ref() {
            RawTls::Word(word) if word == SELF_SIGNED => Ok(Tls::SelfSigned),
            RawTls::Word(word) => Err(self.invalid(
                raw.span(),
                &prefix,
                format!(
                    "expected \"{SELF_SIGNED}\", a table {{ cert, key }} or an array of them, \
                     got `{word}`"
                ),
            )),
            RawTls::One(pair) => Ok(Tls::Certs(vec![self.cert_key(&prefix, pair)?])),
            RawTls::Many(pairs) if pairs.is_empty() => Err(self.invalid(
                raw.span(),
                &prefix,
                "an empty list serves no certificate; give at least one { cert, key }",
            )),
            RawTls::Many(pairs) => pairs
                .iter()
                .enumerate()
                .map(|(i, pair)| self.cert_key(&format!("{prefix}[{i}]"), pair))
                .collect::<Result<_, _>>()
                .map(Tls::Certs),
        }
    }

    fn cert_key(&self, prefix: &str, raw: &RawCertKey) -> Result<CertKey, ConfigError> {
        let cert_key = format!("{prefix}.cert");
        let cert = self.path(&raw.cert, &cert_key)?;
        check_cert(&cert).map_err(|message| self.invalid(raw.cert.span(), &cert_key, message))?;
        let key_key = format!("{prefix}.key");
        let key = self.path(&raw.key, &key_key)?;
        check_key(&key).map_err(|message| self.invalid(raw.key.span(), &key_key, message))?;
        Ok(CertKey { cert, key })
    }
}

/// The file is readable and holds at least one PEM certificate, and no
/// malformed PEM.
fn check_cert(path: &Path) -> Result<(), String> {
    let pem = read(path, "certificate")?;
    let mut certs = 0;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        cert.map_err(|e| format!("`{}` is not valid PEM: {e}", path.display()))?;
        certs += 1;
    }
    if certs == 0 {
        return Err(format!(
            "`{}` holds no PEM certificate (expected a `-----BEGIN CERTIFICATE-----` block)",
            path.display()
        ));
    }
    Ok(())
}

/// The file is readable and holds a PEM private key (PKCS#8, PKCS#1 or
/// SEC1).
fn check_key(path: &Path) -> Result<(), String> {
    let pem = read(path, "private key")?;
    match PrivateKeyDer::from_pem_slice(&pem) {
        Ok(_) => Ok(()),
        Err(rustls_pki_types::pem::Error::NoItemsFound) => Err(format!(
            "`{}` holds no PEM private key (expected a `-----BEGIN PRIVATE KEY-----`, \
             `RSA PRIVATE KEY` or `EC PRIVATE KEY` block)",
            path.display()
        )),
        Err(e) => Err(format!("`{}` is not valid PEM: {e}", path.display())),
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("cannot read {what} file `{}`: {e}", path.display()))
}
