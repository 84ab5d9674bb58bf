//! From the URL path below a route to a file under its root, safely.
//!
//! Two steps. [`map`] works on the request's octets alone: it splits the
//! raw path at `/`, percent-decodes each segment once, and refuses what
//! could climb out of the root or smuggle a separator: `.` and `..`
//! segments (literal or encoded), a decoded `/` (`%2f`, which must not act
//! as a separator), backslashes (literal or encoded), NUL, and segments
//! that a second decoding would turn into any of those (double encoding,
//! `%252e%252e`, against anything downstream that decodes again). Hidden
//! names (a leading `.`) are refused unless the route serves dotfiles,
//! except a first segment `.well-known` (RFC 8615). Empty segments
//! (`a//b`) are skipped.
//!
//! [`resolve`] then asks the filesystem: the canonical path of the
//! candidate (every symlink resolved) is checked against the route's
//! `follow_symlinks` policy and, when the result must stay inside the
//! root, against the dotfile rule again, so a link cannot reach a hidden
//! name either. The root must be canonical (`Config` makes it so).
//!
//! What it does not do: open files, decide about directories, or cache;
//! `cache.rs` calls [`resolve`] when it (re)validates an entry.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use super::error::Refusal;
use crate::config::FollowSymlinks;

/// The one hidden name served anyway: RFC 8615 well-known URIs are meant
/// to be public (ACME challenges, security.txt).
const WELL_KNOWN: &[u8] = b".well-known";

/// A request path below a route, mapped to a relative file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mapped {
    /// Decoded segments joined as a relative path; empty for the root.
    pub(super) rel: PathBuf,
}

/// Maps `raw` (the path below the route prefix, as received: not
/// decoded, without the query; with or without a leading `/`).
pub(super) fn map(raw: &[u8], dotfiles: bool) -> Result<Mapped, Refusal> {
    if raw.contains(&b'\\') {
        return Err(Refusal::EncodedSeparator);
    }
    let mut rel = PathBuf::new();
    for (i, segment) in raw
        .split(|&b| b == b'/')
        .filter(|s| !s.is_empty())
        .enumerate()
    {
        // Decoding is the identity on a segment without `%` (most of
        // them): no copy then.
        let decoded = if segment.contains(&b'%') {
            Cow::Owned(percent_decode(segment).ok_or(Refusal::BadEscape)?)
        } else {
            Cow::Borrowed(segment)
        };
        check_segment(&decoded)?;
        // Decoding once more must not reveal a separator or a dot
        // segment either: `%252f` is the file `%2f` here, but `/` to
        // anything that decodes again.
        if decoded.contains(&b'%')
            && let Some(twice) = percent_decode(&decoded)
            && twice[..] != decoded[..]
        {
            check_segment(&twice).map_err(|_| Refusal::EncodedSeparator)?;
        }
        if !dotfiles && is_hidden(&decoded, i == 0) {
            return Err(Refusal::Hidden);
        }
        rel.push(OsStr::from_bytes(&decoded));
    }
    Ok(Mapped { rel })
}

/// One decoded segment: not a dot segment, no separator, no NUL.
fn check_segment(decoded: &[u8]) -> Result<(), Refusal> {
    if decoded == b"." || decoded == b".." {
        return Err(Refusal::DotSegment);
    }
    if decoded.contains(&0) {
        return Err(Refusal::Nul);
    }
    if decoded.contains(&b'/') || decoded.contains(&b'\\') {
        return Err(Refusal::EncodedSeparator);
    }
    Ok(())
}

/// A dotfile, other than `.well-known` as the first segment.
fn is_hidden(name: &[u8], first: bool) -> bool {
    name.starts_with(b".") && !(first && name == WELL_KNOWN)
}

/// Percent-decoding, once; `None` for a `%` without two hex digits.
pub(super) fn percent_decode(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let (hex, tail) = tail.split_at_checked(2)?;
            let hi = hex_value(*hex.first()?)?;
            let lo = hex_value(*hex.get(1)?)?;
            out.push(hi << 4 | lo);
            rest = tail;
        } else {
            out.push(b);
            rest = tail;
        }
    }
    Some(out)
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).map(|d| d as u8)
}

/// The canonical path of `root.join(rel)`, if `follow` allows reaching
/// it and (unless `follow` is `Any`) no component below the root is a
/// hidden name the route does not serve.
pub(super) fn resolve(
    root: &Path,
    candidate: &Path,
    follow: FollowSymlinks,
    dotfiles: bool,
) -> Result<PathBuf, Refusal> {
    let real = std::fs::canonicalize(candidate).map_err(|e| Refusal::from_io(&e))?;
    match follow {
        // `candidate` is the canonical root plus plain names, so it is
        // its own canonical form exactly when no component is a link.
        FollowSymlinks::Never if real != candidate => return Err(Refusal::SymlinkRefused),
        FollowSymlinks::Never | FollowSymlinks::Inside => {
            let Ok(below) = real.strip_prefix(root) else {
                return Err(Refusal::SymlinkRefused);
            };
            if !dotfiles {
                for (i, c) in below.components().enumerate() {
                    if let Component::Normal(name) = c
                        && is_hidden(name.as_bytes(), i == 0)
                    {
                        return Err(Refusal::Hidden);
                    }
                }
            }
        }
        FollowSymlinks::Any => {}
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::files::tests::TempDir;

    fn mapped(raw: &str) -> Result<PathBuf, Refusal> {
        map(raw.as_bytes(), false).map(|m| m.rel)
    }

    #[test]
    fn plain_paths_map_segment_by_segment_decoded_once() {
        assert_eq!(mapped("a/b.html"), Ok(PathBuf::from("a/b.html")));
        assert_eq!(mapped("/a//b/"), Ok(PathBuf::from("a/b")));
        assert_eq!(mapped(""), Ok(PathBuf::new()));
        assert_eq!(mapped("my%20file.txt"), Ok(PathBuf::from("my file.txt")));
        assert_eq!(mapped("100%25"), Ok(PathBuf::from("100%")));
        assert_eq!(mapped("caf%C3%A9"), Ok(PathBuf::from("café")));
        let latin1 = map(b"%e9t%e9", false).unwrap().rel;
        assert_eq!(
            latin1.as_os_str().as_bytes(),
            b"\xe9t\xe9",
            "names are octets"
        );
    }

    #[test]
    fn dot_segments_literal_or_encoded_are_refused() {
        for raw in [
            "..",
            "a/../../x",
            ".",
            "a/./b",
            "%2e%2e/x",
            "%2E%2e",
            "%2e",
            "a/%2e%2e",
        ] {
            assert_eq!(mapped(raw), Err(Refusal::DotSegment), "{raw}");
        }
    }

    #[test]
    fn an_encoded_slash_is_not_a_separator_and_is_refused() {
        for raw in ["a%2fb", "%2F..%2Fx", "..%2fetc%2fpasswd", "%2e%2e%2f"] {
            assert_eq!(mapped(raw), Err(Refusal::EncodedSeparator), "{raw}");
        }
    }

    #[test]
    fn backslashes_literal_or_encoded_are_refused() {
        for raw in ["a\\..\\x", "a%5c..%5cx", "%5C"] {
            assert_eq!(mapped(raw), Err(Refusal::EncodedSeparator), "{raw}");
        }
    }

    #[test]
    fn double_encoded_separators_and_dot_segments_are_refused() {
        for raw in ["%252e%252e/x", "a%252fb", "%255c", "%252E", "%2500"] {
            assert_eq!(mapped(raw), Err(Refusal::EncodedSeparator), "{raw}");
        }
        assert_eq!(
            mapped("%2525"),
            Ok(PathBuf::from("%25")),
            "a harmless %25 stays"
        );
    }

    #[test]
    fn nul_literal_or_encoded_is_refused() {
        assert_eq!(map(b"x\0.html", false).map(|m| m.rel), Err(Refusal::Nul));
        assert_eq!(mapped("x%00.html"), Err(Refusal::Nul));
    }

    #[test]
    fn malformed_escapes_are_a_bad_request() {
        for raw in ["%", "a%2", "%zz", "%%41", "%G0"] {
            assert_eq!(mapped(raw), Err(Refusal::BadEscape), "{raw}");
        }
    }

    #[test]
    fn dotfiles_are_hidden_unless_the_route_serves_them() {
        for raw in [".env", "a/.git/config", "%2egit/HEAD", "a/.well-known/x"] {
            assert_eq!(mapped(raw), Err(Refusal::Hidden), "{raw}");
            assert!(map(raw.as_bytes(), true).is_ok(), "{raw} with dotfiles");
        }
        assert_eq!(
            mapped(".well-known/acme-challenge/t"),
            Ok(PathBuf::from(".well-known/acme-challenge/t"))
        );
        assert_eq!(map(b"..", true).map(|m| m.rel), Err(Refusal::DotSegment));
    }

    fn site() -> (TempDir, PathBuf) {
        let dir = TempDir::new();
        let root = dir.path().join("www");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/in.txt"), "in").unwrap();
        std::fs::write(root.join(".secret"), "s").unwrap();
        std::fs::write(dir.path().join("outside.txt"), "out").unwrap();
        let link = |to: &str, name: &str| std::os::unix::fs::symlink(to, root.join(name)).unwrap();
        link("sub/in.txt", "inside-link.txt");
        link("../outside.txt", "outside-link.txt");
        link(".secret", "secret-link.txt");
        (dir, root)
    }

    #[test]
    fn symlinks_follow_the_route_policy_on_the_canonical_path() {
        let (_dir, root) = site();
        let check = |name: &str, follow| resolve(&root, &root.join(name), follow, false);
        use FollowSymlinks::{Any, Inside, Never};
        assert_eq!(check("sub/in.txt", Never), Ok(root.join("sub/in.txt")));
        assert_eq!(
            check("inside-link.txt", Never),
            Err(Refusal::SymlinkRefused)
        );
        assert_eq!(
            check("inside-link.txt", Inside),
            Ok(root.join("sub/in.txt"))
        );
        assert_eq!(
            check("outside-link.txt", Inside),
            Err(Refusal::SymlinkRefused)
        );
        let outside = root.parent().unwrap().join("outside.txt");
        assert_eq!(check("outside-link.txt", Any), Ok(outside));
        assert_eq!(check("missing", Inside), Err(Refusal::NotFound));
        assert_eq!(check("sub/in.txt/x", Inside), Err(Refusal::NotFound));
    }

    #[test]
    fn a_symlink_cannot_reach_a_hidden_name_unless_dotfiles_are_served() {
        let (_dir, root) = site();
        let link = root.join("secret-link.txt");
        assert_eq!(
            resolve(&root, &link, FollowSymlinks::Inside, false),
            Err(Refusal::Hidden)
        );
        assert_eq!(
            resolve(&root, &link, FollowSymlinks::Inside, true),
            Ok(root.join(".secret"))
        );
    }
}
