//! The built-in responder, for both protocols, until the content layer
//! lands: configured `[[route]]` directories are served plainly (GET and
//! HEAD, index.html, a 301 adding a directory's trailing slash,
//! Content-Type by extension), anything else is answered with a short
//! text naming the protocol, worker pid and generation.
//!
//! Path mapping is the safe minimum: the path is percent-decoded once;
//! `..`, `.`, dotfiles, backslashes and NUL are refused (404), and a
//! symlink may not lead outside the root. Small files (up to 1 MiB) are
//! kept in memory and revalidated (size and mtime) at most once a second,
//! so a hot file costs no system call per request.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::app::{Body, FieldValue, FileRange, Reply};
use crate::config::{Route, RouteTarget};

/// Files up to this size are cached in memory.
const CACHE_MAX_FILE: u64 = 1 << 20;
/// Most files cached per worker.
const CACHE_MAX_ENTRIES: usize = 1024;
/// How often a cached file is checked for changes.
const REVALIDATE: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Cached {
    data: Arc<[u8]>,
    content_type: &'static str,
    len: u64,
    modified: Option<SystemTime>,
    checked: Instant,
}

/// Routes and the file cache of one worker.
#[derive(Debug)]
pub(crate) struct Responder {
    identity: String,
    routes: Vec<Route>,
    /// Small files by URL path: a hit within the revalidation second
    /// costs no system call.
    cache: HashMap<Vec<u8>, Cached>,
}

impl Responder {
    pub(crate) fn new(identity: String, mut routes: Vec<Route>) -> Self {
        // Longest prefix first.
        routes.sort_by_key(|r| std::cmp::Reverse(r.path.len()));
        Self {
            identity,
            routes,
            cache: HashMap::new(),
        }
    }

    /// Answer `method` `target`; `protocol` and `received` (body octets
    /// of a POST) only feed the identity text.
    pub(crate) fn respond(
        &mut self,
        method: &[u8],
        target: &[u8],
        protocol: &str,
        received: Option<u64>,
        now: Instant,
    ) -> Reply {
        let path = match target.iter().position(|&b| b == b'?') {
            Some(q) => &target[..q],
            None => target,
        };
        let route = self
            .routes
            .iter()
            .find(|r| path.starts_with(r.path.as_bytes()))
            .and_then(|r| match &r.target {
                RouteTarget::Files(f) => Some((r.path.len(), f.root.clone())),
                RouteTarget::App(_) => None,
            });
        let Some((prefix_len, root)) = route else {
            let text = match received {
                Some(n) => format!(
                    "bicorn worker {} protocol={protocol} received={n}\n",
                    self.identity
                ),
                None => format!("bicorn worker {} protocol={protocol}\n", self.identity),
            };
            return Reply::text(200, text);
        };
        if method != b"GET" && method != b"HEAD" {
            return Reply::text(405, "method not allowed\n").with("allow", "GET, HEAD");
        }
        if let Some(c) = self.cache.get(path)
            && now.duration_since(c.checked) < REVALIDATE
        {
            return Reply::new(200, Body::shared(c.data.clone()))
                .with("content-type", FieldValue::Static(c.content_type));
        }
        let Some(rel) = safe_relative(&path[prefix_len..]) else {
            return Reply::text(404, "not found\n");
        };
        let mut file = root.join(&rel);
        if file.is_dir() {
            if !path.ends_with(b"/") {
                return Reply::text(301, "moved permanently\n")
                    .with("location", format!("{}/", String::from_utf8_lossy(path)));
            }
            file.push("index.html");
        }
        // A symlink may not lead outside the root.
        match std::fs::canonicalize(&file) {
            Ok(real) if real.starts_with(&root) => {}
            _ => return Reply::text(404, "not found\n"),
        }
        match self.file(path, &file, now) {
            Some(body) => {
                Reply::new(200, body).with("content-type", FieldValue::Static(content_type(&file)))
            }
            None => Reply::text(404, "not found\n"),
        }
    }

    /// The contents of `file` (URL `path`), reusing the cached copy when
    /// its size and mtime are unchanged.
    /// Larger files are opened and sent as a range, never read whole.
    fn file(&mut self, path: &[u8], file: &Path, now: Instant) -> Option<Body> {
        if let Some(c) = self.cache.get_mut(path) {
            let meta = std::fs::metadata(file).ok()?;
            if meta.len() == c.len && meta.modified().ok() == c.modified {
                c.checked = now;
                return Some(Body::shared(c.data.clone()));
            }
        }
        let meta = std::fs::metadata(file).ok()?;
        if !meta.is_file() {
            return None;
        }
        if meta.len() > CACHE_MAX_FILE {
            let opened = std::fs::File::open(file).ok()?;
            let len = opened.metadata().ok()?.len();
            return Some(Body::File(FileRange {
                file: Arc::new(opened),
                offset: 0,
                len,
            }));
        }
        let data: Arc<[u8]> = std::fs::read(file).ok()?.into();
        if meta.len() <= CACHE_MAX_FILE {
            if self.cache.len() >= CACHE_MAX_ENTRIES {
                self.cache.clear();
            }
            self.cache.insert(
                path.to_vec(),
                Cached {
                    data: data.clone(),
                    content_type: content_type(file),
                    len: meta.len(),
                    modified: meta.modified().ok(),
                    checked: now,
                },
            );
        }
        Some(Body::shared(data))
    }
}

/// The path below a route as a relative path, or `None` if it tries to
/// escape or name something hidden.
fn safe_relative(raw: &[u8]) -> Option<PathBuf> {
    let decoded = percent_decode(raw)?;
    if decoded.contains(&0) || decoded.contains(&b'\\') {
        return None;
    }
    let text = String::from_utf8(decoded).ok()?;
    let mut rel = PathBuf::new();
    for segment in text.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." || segment.starts_with('.') {
            return None;
        }
        rel.push(segment);
    }
    Some(rel)
}

/// Percent-decoding, once (so `%252e` stays `%2e`, a literal name).
fn percent_decode(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            let s = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(s, 16).ok()?);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Some(out)
}

fn content_type(file: &Path) -> &'static str {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref().map(Cow::from).as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("wasm") => "application/wasm",
        Some("xml") => "application/xml",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_encoded_traversal_backslash_nul_and_dotfiles_are_refused() {
        for bad in [
            &b"../etc/passwd"[..],
            b"a/../../x",
            b"%2e%2e/x",
            b"%2E%2E%2Fx",
            b"a\\..\\x",
            b"a%5c..%5cx",
            b"x%00.html",
            b".env",
            b"a/.git/config",
            b"%",
            b"%zz",
        ] {
            assert_eq!(safe_relative(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(safe_relative(b"a/b.html"), Some(PathBuf::from("a/b.html")));
        assert_eq!(
            safe_relative(b"%252e%252e"),
            Some(PathBuf::from("%2e%2e")),
            "decoded once"
        );
        assert_eq!(
            safe_relative(b"my%20file.txt"),
            Some(PathBuf::from("my file.txt"))
        );
    }

    #[test]
    fn content_types_by_extension_with_charset_for_text() {
        assert_eq!(
            content_type(Path::new("a.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("a.png")), "image/png");
        assert_eq!(content_type(Path::new("a")), "application/octet-stream");
    }
}
