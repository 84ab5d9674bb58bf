//! The HTML index of a directory without `index.html`, on routes with
//! `listing = true`: directories first, then files with their sizes,
//! each group by name.
//!
//! Names are untrusted text (anyone who can write to the directory
//! chooses them): in hrefs every octet but the unreserved ones is
//! percent-encoded (so `:` cannot start a scheme and `"` cannot end the
//! attribute), and in text they are HTML-escaped. Dotfiles are left out
//! unless the route serves them, and so are symlinks the route's
//! `follow_symlinks` would refuse, entries that are neither files nor
//! directories, and anything past [`MAX_ENTRIES`].
//!
//! The listing is made per request and not cached: it is an operator's
//! convenience, not a hot path.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::error::Refusal;
use super::path::percent_decode;
use crate::config::{FilesRoute, FollowSymlinks};

/// Most entries listed; the rest are summarised in one line, so a huge
/// directory costs bounded time and memory.
pub(super) const MAX_ENTRIES: usize = 10_000;

/// One listed entry.
#[derive(Debug)]
struct Entry {
    name: Vec<u8>,
    /// `None` for a directory.
    size: Option<u64>,
}

/// The listing of `dir` (a directory under `route.root`), shown at URL
/// path `url_path` (as received, ending in `/`).
pub(super) fn render(dir: &Path, url_path: &[u8], route: &FilesRoute) -> Result<Vec<u8>, Refusal> {
    let mut entries = Vec::new();
    let mut more = 0usize;
    for item in fs::read_dir(dir).map_err(|e| Refusal::from_io(&e))? {
        let Ok(item) = item else { continue };
        let name = item.file_name().as_bytes().to_vec();
        if !route.dotfiles && name.starts_with(b".") {
            continue;
        }
        let Some(size) = listed(&item, route) else {
            continue;
        };
        if entries.len() == MAX_ENTRIES {
            more += 1;
            continue;
        }
        entries.push(Entry { name, size });
    }
    entries.sort_by(|a, b| (a.size.is_some(), &a.name).cmp(&(b.size.is_some(), &b.name)));
    Ok(html(url_path, &entries, more))
}

/// Whether `item` is listed and, if so, its size (`None` for a
/// directory).
fn listed(item: &fs::DirEntry, route: &FilesRoute) -> Option<Option<u64>> {
    let kind = item.file_type().ok()?;
    let meta = if kind.is_symlink() {
        match route.follow_symlinks {
            FollowSymlinks::Never => return None,
            FollowSymlinks::Inside => {
                let real = fs::canonicalize(item.path()).ok()?;
                if !real.starts_with(&route.root) {
                    return None;
                }
                fs::metadata(real).ok()?
            }
            FollowSymlinks::Any => fs::metadata(item.path()).ok()?,
        }
    } else {
        item.metadata().ok()?
    };
    if meta.is_dir() {
        Some(None)
    } else if meta.is_file() {
        Some(Some(meta.len()))
    } else {
        None
    }
}

fn html(url_path: &[u8], entries: &[Entry], more: usize) -> Vec<u8> {
    let shown = percent_decode(url_path).unwrap_or_else(|| url_path.to_vec());
    let title = escape(&shown);
    let mut out = format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Index of {title}</title>\n</head>\n<body>\n<h1>Index of {title}</h1>\n<table>\n"
    );
    if url_path != b"/" {
        out.push_str("<tr><td><a href=\"../\">../</a></td><td></td></tr>\n");
    }
    for e in entries {
        let href = href(&e.name);
        let text = escape(&e.name);
        match e.size {
            None => out.push_str(&format!(
                "<tr><td><a href=\"{href}/\">{text}/</a></td><td>-</td></tr>\n"
            )),
            Some(size) => out.push_str(&format!(
                "<tr><td><a href=\"{href}\">{text}</a></td><td>{size}</td></tr>\n"
            )),
        }
    }
    out.push_str("</table>\n");
    if more > 0 {
        out.push_str(&format!("<p>{more} more entries not shown.</p>\n"));
    }
    out.push_str("</body>\n</html>\n");
    out.into_bytes()
}

/// `name` percent-encoded but for RFC 3986's unreserved characters.
fn href(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    for &b in name {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `text` (UTF-8, invalid sequences replaced) with `& < > " '` escaped.
fn escape(text: &[u8]) -> String {
    crate::app::html::escape(&String::from_utf8_lossy(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::files::tests::{TempDir, files_route};

    fn listing(dir: &Path, url: &str, route: &FilesRoute) -> String {
        String::from_utf8(render(dir, url.as_bytes(), route).unwrap()).unwrap()
    }

    #[test]
    fn directories_come_first_then_files_with_sizes_by_name() {
        let tmp = TempDir::new();
        let root = tmp.root();
        std::fs::create_dir(root.join("zdir")).unwrap();
        std::fs::create_dir(root.join("adir")).unwrap();
        std::fs::write(root.join("b.txt"), "12345").unwrap();
        std::fs::write(root.join("a.txt"), "").unwrap();
        let page = listing(&root, "/", &files_route(&root));
        let order: Vec<usize> = ["adir/", "zdir/", ">a.txt<", ">b.txt<"]
            .iter()
            .map(|needle| page.find(needle).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{page}");
        assert!(
            page.contains("<a href=\"b.txt\">b.txt</a></td><td>5</td>"),
            "{page}"
        );
        assert!(!page.contains("../"), "no parent at /");
    }

    #[test]
    fn names_are_escaped_in_text_and_percent_encoded_in_hrefs() {
        let tmp = TempDir::new();
        let root = tmp.root();
        std::fs::write(root.join("<b>\"x\" & 'y'.html"), "").unwrap();
        std::fs::write(root.join("a:b c%.txt"), "").unwrap();
        let page = listing(&root, "/sub%20dir/", &files_route(&root));
        assert!(
            page.contains(
                "<a href=\"%3Cb%3E%22x%22%20%26%20%27y%27.html\">\
                 &lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;.html</a>"
            ),
            "{page}"
        );
        assert!(
            page.contains("<a href=\"a%3Ab%20c%25.txt\">a:b c%.txt</a>"),
            "{page}"
        );
        assert!(page.contains("<title>Index of /sub dir/</title>"), "{page}");
        assert!(page.contains("<a href=\"../\">"), "{page}");
        assert!(!page.contains("<b>"), "{page}");
    }

    #[test]
    fn dotfiles_and_refused_symlinks_are_left_out() {
        let tmp = TempDir::new();
        let root = tmp.root();
        std::fs::write(root.join(".env"), "x").unwrap();
        std::fs::write(root.join("shown.txt"), "x").unwrap();
        std::fs::write(tmp.path().join("outside.txt"), "x").unwrap();
        std::os::unix::fs::symlink("../outside.txt", root.join("out-link")).unwrap();
        std::os::unix::fs::symlink("shown.txt", root.join("in-link")).unwrap();
        std::os::unix::fs::symlink("missing", root.join("broken-link")).unwrap();
        let mut route = files_route(&root);
        let page = listing(&root, "/", &route);
        assert!(
            page.contains("shown.txt") && page.contains("in-link"),
            "{page}"
        );
        for hidden in [".env", "out-link", "broken-link"] {
            assert!(!page.contains(hidden), "{hidden}: {page}");
        }
        route.dotfiles = true;
        route.follow_symlinks = FollowSymlinks::Any;
        let page = listing(&root, "/", &route);
        assert!(page.contains(".env") && page.contains("out-link"), "{page}");
        route.follow_symlinks = FollowSymlinks::Never;
        let page = listing(&root, "/", &route);
        assert!(!page.contains("in-link"), "{page}");
    }
}
