//! Choosing a listener's certificate by the name the client asked for
//! (SNI, RFC 6066 §3).
//!
//! A listener's certificates are tried in config order; the first whose
//! leaf is valid for the requested name (its subjectAltName DNS entries,
//! wildcards included, as webpki checks a server name) is served. A client
//! that sends no SNI, or a name no certificate covers, gets the first
//! certificate: that is what a client connecting by IP address sees.

use std::sync::Arc;

use rustls::client::verify_server_name;
use rustls::server::{ClientHello, ParsedCertificate, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{DnsName, ServerName};

/// A listener's certificates, never empty.
#[derive(Debug)]
pub(super) struct SniResolver {
    certs: Vec<Arc<CertifiedKey>>,
}

impl SniResolver {
    /// `certs` must not be empty (the config guarantees at least one).
    pub(super) fn new(certs: Vec<Arc<CertifiedKey>>) -> SniResolver {
        SniResolver { certs }
    }

    /// The certificate for `name` (an SNI host name), or the first.
    fn choose(&self, name: Option<&str>) -> Option<&Arc<CertifiedKey>> {
        if self.certs.len() > 1
            && let Some(name) = name.and_then(|n| DnsName::try_from(n).ok())
        {
            let name = ServerName::DnsName(name);
            if let Some(ck) = self.certs.iter().find(|ck| covers(ck, &name)) {
                return Some(ck);
            }
        }
        self.certs.first()
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.choose(hello.server_name()).cloned()
    }
}

/// Is the leaf of `ck` valid for `name`? (Parsing a certificate is cheap
/// next to the handshake's signature, so nothing is cached.)
fn covers(ck: &CertifiedKey, name: &ServerName<'_>) -> bool {
    ck.end_entity_cert()
        .and_then(ParsedCertificate::try_from)
        .and_then(|leaf| verify_server_name(&leaf, name))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rustls::sign::CertifiedKey;
    use rustls_pki_types::PrivateKeyDer;

    use super::SniResolver;

    fn cert_for(names: &[&str]) -> Arc<CertifiedKey> {
        let key = rcgen::KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let cert = rcgen::CertificateParams::new(names)
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let provider = rustls::crypto::ring::default_provider();
        Arc::new(CertifiedKey::from_der(vec![cert.der().clone()], der, &provider).unwrap())
    }

    fn resolver() -> (SniResolver, [Arc<CertifiedKey>; 3]) {
        let a = cert_for(&["a.test"]);
        let b = cert_for(&["b.test", "*.b.test"]);
        let c = cert_for(&["c.test"]);
        let r = SniResolver::new(vec![a.clone(), b.clone(), c.clone()]);
        (r, [a, b, c])
    }

    #[test]
    fn sni_name_picks_the_certificate_that_covers_it() {
        let (r, [a, b, c]) = resolver();
        assert!(Arc::ptr_eq(r.choose(Some("a.test")).unwrap(), &a));
        assert!(Arc::ptr_eq(r.choose(Some("b.test")).unwrap(), &b));
        assert!(Arc::ptr_eq(r.choose(Some("c.test")).unwrap(), &c));
    }

    #[test]
    fn wildcard_covers_one_label() {
        let (r, [a, b, _]) = resolver();
        assert!(Arc::ptr_eq(r.choose(Some("www.b.test")).unwrap(), &b));
        assert!(Arc::ptr_eq(r.choose(Some("x.www.b.test")).unwrap(), &a));
    }

    #[test]
    fn no_sni_or_an_unknown_name_gets_the_first_certificate() {
        let (r, [a, _, _]) = resolver();
        assert!(Arc::ptr_eq(r.choose(None).unwrap(), &a));
        assert!(Arc::ptr_eq(r.choose(Some("other.test")).unwrap(), &a));
        assert!(Arc::ptr_eq(r.choose(Some("not a name!")).unwrap(), &a));
    }
}
