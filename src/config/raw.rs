//! The config file as written: a serde mirror of the TOML.
//!
//! Every table is `deny_unknown_fields`, so a misspelt key is an error
//! naming it rather than a silently ignored default. Values keep their
//! spans (`toml::Spanned`) so that validation can point at them. Nothing
//! here checks ranges, resolves paths or looks up names; `Config` does
//! that when it is built from these types (see `mod.rs`). Field order is
//! the order serde lists them in "expected one of ..." messages.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Unexpected, Visitor};
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) workers: Option<Spanned<Workers>>,
    pub(super) listen: Option<Spanned<Vec<RawListen>>>,
    pub(super) timeout: Option<Spanned<Seconds>>,
    pub(super) shutdown_timeout: Option<Spanned<Seconds>>,
    pub(super) upgrade_timeout: Option<Spanned<Seconds>>,
    pub(super) user: Option<Spanned<String>>,
    pub(super) group: Option<Spanned<String>>,
    pub(super) pid: Option<Spanned<String>>,
    pub(super) max_requests: Option<Spanned<i64>>,
    pub(super) state_dir: Option<Spanned<String>>,
    pub(super) control: Option<Spanned<String>>,
    pub(super) route: Option<Vec<RawRoute>>,
    pub(super) http: Option<RawHttp>,
    pub(super) app: Option<RawApp>,
    pub(super) log: Option<RawLog>,
    pub(super) access_log: Option<RawAccessLog>,
}

/// One `[[route]]` table. `root` and `app` are both optional here; that
/// exactly one is given is checked with the spans (`route.rs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    pub(super) path: Spanned<String>,
    pub(super) root: Option<Spanned<String>>,
    pub(super) app: Option<Spanned<String>>,
    pub(super) status: Option<Spanned<String>>,
    pub(super) headers: Option<RawHeaders>,
    pub(super) listing: Option<Spanned<bool>>,
    pub(super) dotfiles: Option<Spanned<bool>>,
    pub(super) follow_symlinks: Option<Spanned<String>>,
    pub(super) precompressed: Option<Spanned<bool>>,
}

/// A route's `headers = { name = "value", ... }`, in file order, each
/// name and value with its span.
#[derive(Debug, Default)]
pub(super) struct RawHeaders(pub(super) Vec<(Spanned<String>, Spanned<String>)>);

impl<'de> Deserialize<'de> for RawHeaders {
    /// A map read entry by entry, so the file's order is kept (a
    /// `BTreeMap` would sort it) and each key keeps its span.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeadersVisitor;

        impl<'de> Visitor<'de> for HeadersVisitor {
            type Value = RawHeaders;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of field names and string values")
            }

            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<RawHeaders, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<Spanned<String>, Spanned<String>>()? {
                    out.push(entry);
                }
                Ok(RawHeaders(out))
            }
        }

        deserializer.deserialize_map(HeadersVisitor)
    }
}

/// One `[[listen]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawListen {
    pub(super) address: Spanned<String>,
    pub(super) backlog: Option<Spanned<i64>>,
    pub(super) name: Option<Spanned<String>>,
    pub(super) tls: Option<Spanned<RawTls>>,
}

/// A listener's `tls`, in one of its three written forms.
#[derive(Debug)]
pub(super) enum RawTls {
    /// `tls = "self-signed"` (the word is checked later, with its span).
    Word(String),
    /// `tls = { cert = "...", key = "..." }`, or a `[listen.tls]` table.
    One(RawCertKey),
    /// `tls = [{ cert, key }, ...]`, or repeated `[[listen.tls]]` tables:
    /// certificates chosen by SNI.
    Many(Vec<RawCertKey>),
}

/// One certificate chain file and its private key file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCertKey {
    pub(super) cert: Spanned<String>,
    pub(super) key: Spanned<String>,
}

/// The `[app]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApp {
    pub(super) threads: Option<Spanned<i64>>,
    pub(super) max_request_body: Option<Spanned<i64>>,
}

/// The `[http]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    pub(super) max_connections: Option<Spanned<i64>>,
    pub(super) header_timeout: Option<Spanned<Seconds>>,
    pub(super) keepalive_timeout: Option<Spanned<Seconds>>,
    pub(super) write_timeout: Option<Spanned<Seconds>>,
    pub(super) drain_linger: Option<Spanned<Seconds>>,
    pub(super) tls_handshake_timeout: Option<Spanned<Seconds>>,
}

impl<'de> Deserialize<'de> for RawTls {
    /// Dispatches on the TOML type, then lets the derived `RawCertKey`
    /// deserializer read the table(s), so that its unknown-key and
    /// missing-key messages reach the operator unchanged.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TlsVisitor;

        impl<'de> Visitor<'de> for TlsVisitor {
            type Value = RawTls;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table { cert, key }, an array of such tables, or \"self-signed\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawTls, E> {
                Ok(RawTls::Word(v.to_string()))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawTls, A::Error> {
                RawCertKey::deserialize(de::value::MapAccessDeserializer::new(map)).map(RawTls::One)
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<RawTls, A::Error> {
                Vec::<RawCertKey>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(RawTls::Many)
            }
        }

        deserializer.deserialize_any(TlsVisitor)
    }
}

/// The `[log]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    pub(super) level: Option<Spanned<String>>,
    pub(super) file: Option<Spanned<String>>,
}

/// The `[access_log]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAccessLog {
    pub(super) destination: Option<Spanned<String>>,
    pub(super) format: Option<Spanned<String>>,
    pub(super) flush_interval: Option<Spanned<Seconds>>,
    pub(super) buffer: Option<Spanned<i64>>,
}

/// `workers = 4` or `workers = "auto"`. The count is range-checked later,
/// so that the error can say what the range is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Workers {
    Count(i64),
    Auto,
}

impl<'de> Deserialize<'de> for Workers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WorkersVisitor;

        impl Visitor<'_> for WorkersVisitor {
            type Value = Workers;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or \"auto\"")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Workers, E> {
                Ok(Workers::Count(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Workers, E> {
                Ok(Workers::Count(i64::try_from(v).unwrap_or(i64::MAX)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Workers, E> {
                if v == "auto" {
                    Ok(Workers::Auto)
                } else {
                    Err(E::invalid_value(Unexpected::Str(v), &self))
                }
            }
        }

        deserializer.deserialize_any(WorkersVisitor)
    }
}

/// A duration in seconds, written as an integer or a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Seconds(pub(super) f64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecondsVisitor;

        impl Visitor<'_> for SecondsVisitor {
            type Value = Seconds;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of seconds")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Seconds, E> {
                Ok(Seconds(v as f64))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seconds, E> {
                Ok(Seconds(v as f64))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Seconds, E> {
                Ok(Seconds(v))
            }
        }

        deserializer.deserialize_any(SecondsVisitor)
    }
}
