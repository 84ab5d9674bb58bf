//! Why a static-file request is not answered with the file: the one
//! error enum of the files layer, and the one function ([`Refusal::reply`])
//! that turns it into a status and a short text.
//!
//! Replies are small plain text and never name a filesystem path: what the
//! client sent is not echoed and what the server holds is not revealed. The
//! operator gets the detail from the log (host failures only; a client
//! asking for a missing or hidden file is not worth a log line above
//! `debug`).

use std::fmt;
use std::io;

use crate::app::Reply;

/// A request the files layer refuses or cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// A `.` or `..` segment, literal or percent-encoded.
    DotSegment,
    /// A `/` or `\` produced by percent-decoding (which must not act as a
    /// separator), a literal backslash, or a segment that a second
    /// decoding would turn into one of those or a dot segment.
    EncodedSeparator,
    /// A NUL octet, literal or encoded.
    Nul,
    /// A name starting with `.` on a route that hides dotfiles.
    Hidden,
    /// A symlink the route's `follow_symlinks` does not allow.
    SymlinkRefused,
    /// Nothing there (or not a regular file or directory, or a file
    /// asked for with a trailing `/`).
    NotFound,
    /// The worker may not read it.
    PermissionDenied,
    /// Anything else the filesystem said: a host problem (EMFILE, EIO).
    Io(io::ErrorKind),
}

impl Refusal {
    /// The refusal an I/O error on a path means.
    pub(super) fn from_io(error: &io::Error) -> Refusal {
        match error.raw_os_error() {
            Some(libc::ENOENT | libc::ENOTDIR | libc::ENAMETOOLONG | libc::ELOOP) => {
                Refusal::NotFound
            }
            Some(libc::EACCES | libc::EPERM) => Refusal::PermissionDenied,
            _ if error.kind() == io::ErrorKind::NotFound => Refusal::NotFound,
            _ => Refusal::Io(error.kind()),
        }
    }

    /// The reply: 400 for a target that cannot be decoded, 403 for a file
    /// the server may not read, 500 for a host failure, 404 for the rest
    /// (hidden, refused and absent look the same from outside, so that
    /// probing learns nothing).
    pub(super) fn reply(self) -> Reply {
        match self {
            Refusal::BadEscape => Reply::text(400, "bad request\n"),
            Refusal::PermissionDenied => Reply::text(403, "forbidden\n"),
            Refusal::Io(_) => Reply::text(500, "internal server error\n"),
            Refusal::DotSegment
            | Refusal::EncodedSeparator
            | Refusal::Nul
            | Refusal::Hidden
            | Refusal::SymlinkRefused
            | Refusal::NotFound => Reply::text(404, "not found\n"),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::BadEscape => f.write_str("malformed percent-encoding"),
            Refusal::DotSegment => f.write_str("dot segment in path"),
            Refusal::EncodedSeparator => f.write_str("encoded or backslash separator in path"),
            Refusal::Nul => f.write_str("NUL in path"),
            Refusal::Hidden => f.write_str("hidden name (dotfile)"),
            Refusal::SymlinkRefused => f.write_str("symlink not allowed by follow_symlinks"),
            Refusal::NotFound => f.write_str("not found"),
            Refusal::PermissionDenied => f.write_str("permission denied"),
            Refusal::Io(kind) => write!(f, "I/O error: {kind}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_map_to_few_statuses_with_bodies_that_name_no_path() {
        let cases = [
            (Refusal::BadEscape, 400),
            (Refusal::DotSegment, 404),
            (Refusal::EncodedSeparator, 404),
            (Refusal::Nul, 404),
            (Refusal::Hidden, 404),
            (Refusal::SymlinkRefused, 404),
            (Refusal::NotFound, 404),
            (Refusal::PermissionDenied, 403),
            (Refusal::Io(io::ErrorKind::Other), 500),
        ];
        for (refusal, status) in cases {
            let reply = refusal.reply();
            assert_eq!(reply.status, status, "{refusal}");
            assert_eq!(
                reply.field("content-type"),
                Some("text/plain; charset=utf-8")
            );
            assert!(reply.body.len() < 32);
        }
    }

    #[test]
    fn io_errors_map_by_errno() {
        let of = |errno| Refusal::from_io(&io::Error::from_raw_os_error(errno));
        assert_eq!(of(libc::ENOENT), Refusal::NotFound);
        assert_eq!(of(libc::ENOTDIR), Refusal::NotFound);
        assert_eq!(of(libc::ENAMETOOLONG), Refusal::NotFound);
        assert_eq!(of(libc::ELOOP), Refusal::NotFound);
        assert_eq!(of(libc::EACCES), Refusal::PermissionDenied);
        assert!(matches!(of(libc::EMFILE), Refusal::Io(_)));
    }
}
