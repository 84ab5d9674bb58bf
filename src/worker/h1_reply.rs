//! HTTP/1.1 framing of a [`Reply`]: the head (status line, date, framing,
//! the reply's fields), an in-memory body, the chunked end with trailer
//! fields; and the request's field lines as the content layer reads them.
//! A file body is handed back to the connection, which sends it after the
//! head (`sendfile` or chunks).

use crate::app::{Body, Fields, Reply};
use crate::h1;

use super::body::FileSource;

/// HTTP/1.1 field lines as the content layer looks them up.
pub(super) struct H1Fields<'a>(pub(super) &'a [(String, Vec<u8>)]);

impl Fields for H1Fields<'_> {
    fn each_value(&self, name: &str, each: &mut dyn FnMut(&[u8])) {
        for (n, v) in self.0 {
            if n == name {
                each(v);
            }
        }
    }
}

/// The head of a reply whose body is streamed: chunked, no length.
pub(super) fn encode_streamed_head(
    reply: &Reply,
    keep_alive: bool,
    date: &[u8],
    out: &mut Vec<u8>,
) {
    let fields: Vec<(&str, &[u8])> = std::iter::once(("server", &b"bicorn"[..]))
        .chain(reply.fields.iter().map(|(n, v)| (&**n, v.as_bytes())))
        .collect();
    let head = h1::ResponseHead {
        status: reply.status,
        headers: &fields,
    };
    h1::encode_head(&head, h1::BodyFraming::Chunked, keep_alive, date, out);
}

/// The last chunk of a chunked body, with trailer fields (RFC 9112
/// §7.1.2); fields that are not safe to write are dropped.
pub(super) fn encode_end(trailers: &[(String, Vec<u8>)], out: &mut Vec<u8>) {
    if trailers.is_empty() {
        h1::encode_last_chunk(out);
        return;
    }
    out.extend_from_slice(b"0\r\n");
    for (name, value) in trailers {
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        let clean = value.iter().all(|&b| b != b'\r' && b != b'\n' && b != 0);
        if token && clean {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// The most fields a response head is framed with from the stack.
const STACK_FIELDS: usize = 24;

/// Frame `reply` as HTTP/1.1; returns the file body still to send.
pub(super) fn encode_reply(
    reply: &Reply,
    head_only: bool,
    keep_alive: bool,
    date: &[u8],
    out: &mut Vec<u8>,
) -> Option<FileSource> {
    let framing = match &reply.body {
        Body::Empty => h1::BodyFraming::Empty,
        body => h1::BodyFraming::Length(body.len()),
    };
    let mut stack: [(&str, &[u8]); STACK_FIELDS] = [("", b""); STACK_FIELDS];
    let heap: Vec<(&str, &[u8])>;
    let fields: &[(&str, &[u8])] = if reply.fields.len() < STACK_FIELDS {
        stack[0] = ("server", b"bicorn");
        for (slot, (name, value)) in stack[1..].iter_mut().zip(&reply.fields) {
            *slot = (name, value.as_bytes());
        }
        &stack[..=reply.fields.len()]
    } else {
        heap = std::iter::once(("server", &b"bicorn"[..]))
            .chain(reply.fields.iter().map(|(n, v)| (&**n, v.as_bytes())))
            .collect();
        &heap
    };
    let head = h1::ResponseHead {
        status: reply.status,
        headers: fields,
    };
    h1::encode_head(&head, framing, keep_alive, date, out);
    if head_only {
        return None;
    }
    match &reply.body {
        Body::Empty => None,
        Body::Owned(v) => {
            out.extend_from_slice(v);
            None
        }
        Body::Shared { data, start, end } => {
            out.extend_from_slice(data.get(*start..*end).unwrap_or_default());
            None
        }
        Body::File(range) => Some(FileSource::new(range.clone())),
    }
}
