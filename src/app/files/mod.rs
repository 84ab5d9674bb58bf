//! Static files: the answer to a request on a `root = "dir"` route, as a
//! [`Reply`]. One [`StaticFiles`] per worker holds the file cache; the
//! worker calls [`StaticFiles::serve`] with the route, the path below the
//! route's prefix and the request, and carries the reply over HTTP/1.1 or
//! HTTP/2 (sending a `Body::File` range in bounded chunks or by
//! `sendfile`, and no body at all for HEAD).
//!
//! What a request gets, in order:
//!
//! 1. Methods: GET and HEAD are served (HEAD gets GET's fields and body,
//!    which the connection does not send); OPTIONS gets 204 with `Allow`;
//!    anything else 405 with `Allow: GET, HEAD, OPTIONS`.
//! 2. The path is mapped safely (`path.rs`) and looked up through the
//!    cache (`cache.rs`) under the route's symlink and dotfile rules. A
//!    directory without its trailing `/` is redirected (301, query kept);
//!    one with it serves its `index.html`, else its listing if the route
//!    has `listing = true` (`listing.rs`), else 404. A file asked for with
//!    a trailing `/` is 404.
//! 3. On `precompressed` routes, a `.br` / `.gz` sibling may stand in for
//!    the file (`encoding.rs`).
//! 4. Preconditions (`conditional.rs`): 304 or 412.
//! 5. Range (`range.rs`): 206, 416, or the whole file as 200.
//!
//! Every reply then gets the route's configured `headers`. Refusals and
//! failures are short plain-text replies that name no path (`error.rs`).
//!
//! This module does not match routes to request paths (see
//! [`crate::app::routing`]), compress, or touch sockets.

mod cache;
mod conditional;
mod date;
mod encoding;
mod error;
mod field;
mod listing;
mod media_type;
mod path;
mod range;
mod validators;

#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub use cache::Limits;
use cache::{Cache, FileEntry, Found};
use conditional::Precondition;
use encoding::Coding;
use error::Refusal;
use media_type::MediaTypes;
use range::RangeAnswer;
use validators::Validators;

use crate::app::{Body, FieldName, FieldValue, Reply, Request};
use crate::config::FilesRoute;

/// The methods a static-file route allows, for `Allow`.
const ALLOW: &str = "GET, HEAD, OPTIONS";

/// One worker's static-file server: the file cache and memoised media
/// types. Not shared between workers (each is a process); cheap to make.
#[derive(Debug)]
pub struct StaticFiles {
    cache: Cache,
    types: MediaTypes,
}

impl Default for StaticFiles {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a request led, before preconditions and ranges.
#[derive(Debug)]
enum Located {
    /// A file, and its path below the root (for its media type and its
    /// precompressed siblings).
    File { rel: PathBuf, entry: Arc<FileEntry> },
    /// A directory asked for without its trailing `/`.
    Redirect,
    /// A directory to list, by its path below the root.
    Listing(PathBuf),
}

impl StaticFiles {
    /// A server with the default cache [`Limits`].
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A server with the given cache bounds.
    pub fn with_limits(limits: Limits) -> Self {
        StaticFiles {
            cache: Cache::new(limits),
            types: MediaTypes::default(),
        }
    }

    /// Answers `req` from the files of `route`.
    ///
    /// - `headers`: the route's configured fields (`Route::headers`),
    ///   added to every reply.
    /// - `rel`: the request path below the route's prefix, as received
    ///   (percent-encoded, no query), with or without a leading `/`: for
    ///   route `/static` and target `/static/a%20b.css?v=1`, `/a%20b.css`.
    ///   It is decoded and checked here.
    /// - `req`: the request; its method, its path (for the trailing `/`
    ///   of directories and the redirect's `Location`), its query (kept
    ///   by redirects) and its fields (preconditions, `Range`,
    ///   `Accept-Encoding`).
    /// - `now`: the worker's monotonic clock, for cache revalidation.
    /// - `wall`: the wall clock, the `Date` of the response: it bounds
    ///   `Last-Modified` and places two-digit years in obsolete dates.
    ///
    /// The reply's body is the GET body for HEAD too; a 304, 204 has
    /// `Body::Empty`. The connection adds `content-length`, `date` and
    /// `server`.
    pub fn serve(
        &mut self,
        route: &FilesRoute,
        headers: &[(String, String)],
        rel: &[u8],
        req: &Request<'_>,
        now: Instant,
        wall: SystemTime,
    ) -> Reply {
        let mut reply = self.answer(route, rel, req, now, wall);
        reply.fields.extend(
            headers
                .iter()
                .map(|(n, v)| (FieldName::Owned(n.clone()), FieldValue::Owned(v.clone()))),
        );
        reply
    }

    fn answer(
        &mut self,
        route: &FilesRoute,
        rel: &[u8],
        req: &Request<'_>,
        now: Instant,
        wall: SystemTime,
    ) -> Reply {
        match req.method {
            b"GET" | b"HEAD" => {}
            // RFC 9110 §9.3.7: "A server generating a successful response
            // to OPTIONS SHOULD send any header that might indicate
            // optional features implemented by the server and applicable
            // to the target resource (e.g., Allow)".
            b"OPTIONS" => return Reply::new(204, Body::Empty).with("allow", ALLOW),
            // RFC 9110 §10.2.1: "An origin server MUST generate an Allow
            // header field in a 405 (Method Not Allowed) response".
            _ => return Reply::text(405, "method not allowed\n").with("allow", ALLOW),
        }
        match self.locate(route, rel, req, now) {
            Ok(Located::File { rel, entry }) => self.file(route, &rel, entry, req, now, wall),
            Ok(Located::Redirect) => redirect(req),
            Ok(Located::Listing(dir)) => {
                match listing::render(&route.root.join(dir), req.path(), route) {
                    Ok(html) => Reply::new(200, Body::Owned(html))
                        .with("content-type", "text/html; charset=utf-8"),
                    Err(refusal) => refusal.reply(),
                }
            }
            Err(refusal) => {
                log::debug!(
                    "static file {:?}: {refusal}",
                    String::from_utf8_lossy(req.path())
                );
                refusal.reply()
            }
        }
    }

    /// The file, redirect or listing a request path leads to.
    fn locate(
        &mut self,
        route: &FilesRoute,
        rel: &[u8],
        req: &Request<'_>,
        now: Instant,
    ) -> Result<Located, Refusal> {
        let mapped = path::map(rel, route.dotfiles)?;
        let slash = req.path().ends_with(b"/");
        let found = self.lookup(route, &mapped.rel, now)?;
        match found {
            Found::File(_) if slash => Err(Refusal::NotFound),
            Found::File(entry) => Ok(Located::File {
                rel: mapped.rel,
                entry,
            }),
            Found::Dir if !slash => Ok(Located::Redirect),
            Found::Dir => {
                let index = mapped.rel.join("index.html");
                match self.lookup(route, &index, now) {
                    Ok(Found::File(entry)) => Ok(Located::File { rel: index, entry }),
                    Ok(Found::Dir) | Err(Refusal::NotFound) if route.listing => {
                        Ok(Located::Listing(mapped.rel))
                    }
                    Ok(Found::Dir) => Err(Refusal::NotFound),
                    Err(refusal) => Err(refusal),
                }
            }
        }
    }

    fn lookup(&mut self, route: &FilesRoute, rel: &Path, now: Instant) -> Result<Found, Refusal> {
        self.cache
            .lookup(&route.root, rel, route.follow_symlinks, route.dotfiles, now)
    }

    /// A file's reply: representation choice, preconditions, range.
    fn file(
        &mut self,
        route: &FilesRoute,
        rel: &Path,
        identity: Arc<FileEntry>,
        req: &Request<'_>,
        now: Instant,
        wall: SystemTime,
    ) -> Reply {
        let now_secs = wall.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let (entry, coding, vary) = if route.precompressed {
            self.representation(route, rel, identity, req, now)
        } else {
            (identity, None, false)
        };
        let last_modified = validators::last_modified(entry.version.mtime_secs(), now_secs);
        let v = Validators {
            etag: &entry.etag,
            last_modified,
        };
        let etag = FieldValue::Shared(entry.etag.clone());
        let with_vary = |reply: Reply| {
            if vary {
                reply.with("vary", "accept-encoding")
            } else {
                reply
            }
        };
        match conditional::evaluate(req, v, now_secs) {
            // RFC 9110 §15.4.5: "The server generating a 304 response MUST
            // generate any of the following header fields that would have
            // been sent in a 200 (OK) response to the same request:
            // Content-Location, Date, ETag, and Vary; Cache-Control and
            // Expires" (Cache-Control comes with the route's headers), and
            // "SHOULD NOT generate representation metadata other than the
            // above listed fields".
            Precondition::NotModified => {
                return with_vary(Reply::new(304, Body::Empty).with("etag", etag));
            }
            Precondition::Failed => {
                return with_vary(Reply::text(412, "precondition failed\n"));
            }
            Precondition::Proceed => {}
        }
        let total = entry.len();
        let (status, body, content_range) = match range::select(req, total, v, now_secs) {
            RangeAnswer::Full => (200, entry.body(0, total), None),
            RangeAnswer::Partial { first, len } => (
                206,
                entry.body(first, len),
                Some(range::content_range(first, len, total)),
            ),
            RangeAnswer::Unsatisfiable => {
                // RFC 9110 §15.5.17: "A server that generates a 416
                // response to a byte-range request SHOULD generate a
                // Content-Range header field specifying the current length
                // of the selected representation".
                let reply = Reply::text(416, "range not satisfiable\n")
                    .with("content-range", range::unsatisfied(total));
                return with_vary(reply);
            }
        };
        let last_modified = if last_modified == entry.version.mtime_secs() {
            FieldValue::Shared(entry.last_modified.clone())
        } else {
            FieldValue::Owned(date::format(last_modified))
        };
        let mut reply = Reply::new(status, body)
            .with("content-type", self.types.of(rel))
            .with("etag", etag)
            .with("last-modified", last_modified)
            .with("accept-ranges", "bytes");
        if let Some(coding) = coding {
            reply = reply.with("content-encoding", coding.name());
        }
        if let Some(content_range) = content_range {
            reply = reply.with("content-range", content_range);
        }
        with_vary(reply)
    }

    /// The file or one of its precompressed siblings, the coding chosen,
    /// and whether any sibling exists (then every response about the file
    /// varies on Accept-Encoding, the identity one included, so that
    /// caches keep the codings apart).
    fn representation(
        &mut self,
        route: &FilesRoute,
        rel: &Path,
        identity: Arc<FileEntry>,
        req: &Request<'_>,
        now: Instant,
    ) -> (Arc<FileEntry>, Option<Coding>, bool) {
        let mut siblings: Vec<(Coding, Arc<FileEntry>)> = Vec::new();
        for coding in Coding::ALL {
            let mut name = OsString::from(rel.as_os_str());
            name.push(coding.suffix());
            if let Ok(Found::File(entry)) = self.lookup(route, Path::new(&name), now) {
                siblings.push((coding, entry));
            }
        }
        let available: Vec<Coding> = siblings.iter().map(|(c, _)| *c).collect();
        let vary = !siblings.is_empty();
        match encoding::choose(req.fields, &available) {
            Some(chosen) => match siblings.into_iter().find(|(c, _)| *c == chosen) {
                Some((coding, entry)) => (entry, Some(coding), vary),
                None => (identity, None, vary),
            },
            None => (identity, None, vary),
        }
    }
}

/// 301 to the directory with its trailing `/`, the query kept. Leading
/// slashes are collapsed to one, so that `//evil.example/dir` cannot
/// become a protocol-relative `Location` leading off-site; octets that
/// may not stand in a field value are percent-encoded.
fn redirect(req: &Request<'_>) -> Reply {
    let path = req.path();
    let path = match path.iter().position(|&b| b != b'/') {
        Some(i) => path.get(i.saturating_sub(1)..).unwrap_or(path),
        None => b"/",
    };
    let query = req.target.get(req.path().len()..).unwrap_or_default();
    let mut location = String::with_capacity(path.len() + query.len() + 1);
    let mut push = |bytes: &[u8]| {
        for &b in bytes {
            if b.is_ascii_graphic() {
                location.push(char::from(b));
            } else {
                location.push_str(&format!("%{b:02X}"));
            }
        }
    };
    push(path);
    push(b"/");
    push(query);
    Reply::text(301, "moved permanently\n").with("location", location)
}
