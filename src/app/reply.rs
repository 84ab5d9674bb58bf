//! A response as the content layer hands it to a connection: status,
//! fields, and a body that may be in memory, a range of an open file, or
//! produced later. The connections (`worker/conn.rs` for HTTP/1.1,
//! `worker/h2conn.rs` for HTTP/2) frame it; the content layer never sees a
//! socket.
//!
//! `content-length` is not a field here: the connection derives it from
//! the body (a streamed body has none, and goes out chunked over
//! HTTP/1.1). `date`, `server` and `connection` are the connection's too.

use std::fs::File;
use std::sync::Arc;

/// A field value: static text, text shared with a cache entry, or text
/// made for this response.
#[derive(Debug, Clone)]
pub enum FieldValue {
    /// Known at compile time (`text/html; charset=utf-8`).
    Static(&'static str),
    /// Shared with a cache entry (an ETag), so a hit does not allocate.
    Shared(Arc<str>),
    /// Made for this response.
    Owned(String),
}

impl FieldValue {
    /// The value's octets.
    pub fn as_bytes(&self) -> &[u8] {
        self.as_str().as_bytes()
    }

    /// The value as text.
    pub fn as_str(&self) -> &str {
        match self {
            FieldValue::Static(s) => s,
            FieldValue::Shared(s) => s,
            FieldValue::Owned(s) => s,
        }
    }
}

impl From<&'static str> for FieldValue {
    fn from(s: &'static str) -> Self {
        FieldValue::Static(s)
    }
}

impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Owned(s)
    }
}

impl From<Arc<str>> for FieldValue {
    fn from(s: Arc<str>) -> Self {
        FieldValue::Shared(s)
    }
}

/// A field name: lowercase (HTTP/2 requires it; HTTP/1.1 does not mind).
pub type FieldName = std::borrow::Cow<'static, str>;

/// A range of an open file, sent in bounded chunks (or by `sendfile`),
/// so a file of any size never sits in memory.
#[derive(Debug, Clone)]
pub struct FileRange {
    /// The open file (shared with the open-file cache).
    pub file: Arc<File>,
    /// First octet to send.
    pub offset: u64,
    /// Octets to send.
    pub len: u64,
}

/// A response body.
#[derive(Debug, Clone)]
pub enum Body {
    /// No octets (304, 204). A HEAD's reply is not `Empty`: it carries
    /// the GET's body, which is not sent (see [`Reply::body`]).
    Empty,
    /// Octets made for this response (an error page, a listing).
    Owned(Vec<u8>),
    /// `data[start..end]` of a buffer shared with a cache (a small file).
    Shared {
        /// The whole cached content.
        data: Arc<[u8]>,
        /// First octet sent.
        start: usize,
        /// One past the last octet sent.
        end: usize,
    },
    /// A range of a file, read as the client takes it.
    File(FileRange),
}

impl Body {
    /// The body's length, known before it is sent.
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Owned(v) => v.len() as u64,
            Body::Shared { start, end, .. } => end.saturating_sub(*start) as u64,
            Body::File(f) => f.len,
        }
    }

    /// No octets.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A whole shared buffer.
    pub fn shared(data: Arc<[u8]>) -> Self {
        let end = data.len();
        Body::Shared {
            data,
            start: 0,
            end,
        }
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The final status.
    pub status: u16,
    /// Fields other than content-length, date, server and connection.
    pub fields: Vec<(FieldName, FieldValue)>,
    /// The body; for a HEAD request, the body a GET would have had, so
    /// that content-length is right, and it is not sent.
    pub body: Body,
}

impl Reply {
    /// A reply with no fields yet.
    pub fn new(status: u16, body: Body) -> Self {
        Self {
            status,
            fields: Vec::new(),
            body,
        }
    }

    /// A short plain-text reply (errors, the identity text).
    pub fn text(status: u16, text: impl Into<String>) -> Self {
        Self::new(status, Body::Owned(text.into().into_bytes())).with(
            "content-type",
            FieldValue::Static("text/plain; charset=utf-8"),
        )
    }

    /// Add a field.
    pub fn with(mut self, name: impl Into<FieldName>, value: impl Into<FieldValue>) -> Self {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// The value of field `name` (lowercase), if present.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_lengths_are_known_before_sending() {
        let data: Arc<[u8]> = Arc::from(&b"0123456789"[..]);
        assert_eq!(Body::shared(data.clone()).len(), 10);
        let part = Body::Shared {
            data,
            start: 2,
            end: 5,
        };
        assert_eq!(part.len(), 3);
        assert!(Body::Empty.is_empty());
        assert_eq!(Body::Owned(b"abc".to_vec()).len(), 3);
    }

    #[test]
    fn text_reply_carries_its_content_type() {
        let r = Reply::text(404, "not found\n").with("x-a", "b");
        assert_eq!(r.status, 404);
        assert_eq!(r.field("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(r.field("x-a"), Some("b"));
        assert_eq!(r.body.len(), 10);
    }
}
