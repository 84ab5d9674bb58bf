//! Stories of `StaticFiles::serve`, a request in and a reply out, over
//! real files in a fresh temporary directory; and the helpers the other
//! files' tests share (`TempDir`, `files_route`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::config::{FilesRoute, FollowSymlinks};

/// A directory of its own under the system temp dir (canonical, so it
/// can serve as a root), removed on drop.
pub(super) struct TempDir(PathBuf);

impl TempDir {
    pub(super) fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bicorn-files-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(std::fs::canonicalize(&dir).unwrap())
    }

    pub(super) fn path(&self) -> &Path {
        &self.0
    }

    /// `www` inside it, created: the root to serve, with room beside it
    /// for files outside the root.
    pub(super) fn root(&self) -> PathBuf {
        let root = self.0.join("www");
        std::fs::create_dir_all(&root).unwrap();
        root
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A route serving `root` with the defaults of the config file.
pub(super) fn files_route(root: &Path) -> FilesRoute {
    FilesRoute {
        root: root.to_path_buf(),
        listing: false,
        dotfiles: false,
        follow_symlinks: FollowSymlinks::Inside,
        precompressed: false,
    }
}

use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant, SystemTime};

use super::{Limits, StaticFiles};
use crate::app::{Body, FieldPairs, Reply, Request};

/// A served directory, a route over it, and the clocks requests see.
struct Site {
    tmp: TempDir,
    root: PathBuf,
    files: StaticFiles,
    route: FilesRoute,
    headers: Vec<(String, String)>,
    now: Instant,
    wall: SystemTime,
}

impl Site {
    fn new() -> Site {
        let tmp = TempDir::new();
        let root = tmp.root();
        Site {
            route: files_route(&root),
            tmp,
            root,
            files: StaticFiles::with_limits(Limits {
                small_file: 64,
                ..Limits::default()
            }),
            headers: Vec::new(),
            now: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    /// `method target` on a route at `/`, so the whole path is below it.
    fn request(&mut self, method: &str, target: &str, fields: &[(&str, &str)]) -> Reply {
        let fields = FieldPairs(fields);
        let req = Request {
            method: method.as_bytes(),
            target: target.as_bytes(),
            fields: &fields,
        };
        let rel = req.path();
        self.files
            .serve(&self.route, &self.headers, rel, &req, self.now, self.wall)
    }

    fn get(&mut self, target: &str) -> Reply {
        self.request("GET", target, &[])
    }
}

/// The octets a reply's body holds.
fn body(reply: &Reply) -> Vec<u8> {
    match &reply.body {
        Body::Empty => Vec::new(),
        Body::Owned(v) => v.clone(),
        Body::Shared { data, start, end } => data[*start..*end].to_vec(),
        Body::File(range) => {
            let mut out = vec![0; usize::try_from(range.len).unwrap()];
            range.file.read_exact_at(&mut out, range.offset).unwrap();
            out
        }
    }
}

fn text(reply: &Reply) -> String {
    String::from_utf8(body(reply)).unwrap()
}

#[test]
fn get_serves_a_file_with_its_type_validators_and_accept_ranges() {
    let mut site = Site::new();
    site.write("css/site.css", "body{}");
    let r = site.get("/css/site.css?v=3");
    assert_eq!(r.status, 200);
    assert_eq!(text(&r), "body{}");
    assert_eq!(r.field("content-type"), Some("text/css; charset=utf-8"));
    assert!(r.field("etag").unwrap().starts_with("\"6-"));
    assert!(r.field("last-modified").unwrap().ends_with(" GMT"));
    assert_eq!(r.field("accept-ranges"), Some("bytes"));
    assert_eq!(r.field("vary"), None, "no siblings, nothing varies");
    assert!(matches!(r.body, Body::Shared { .. }));
}

#[test]
fn head_gets_the_same_fields_and_body_length_as_get() {
    let mut site = Site::new();
    site.write("a.txt", "hello");
    let get = site.get("/a.txt");
    let head = site.request("HEAD", "/a.txt", &[]);
    assert_eq!(head.status, 200);
    assert_eq!(
        head.body.len(),
        5,
        "the connection sends the length, not the body"
    );
    let names = |r: &Reply| {
        r.fields
            .iter()
            .map(|(n, v)| format!("{n}: {}", v.as_str()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&head), names(&get));
}

#[test]
fn head_ignores_range() {
    let mut site = Site::new();
    site.write("a.txt", "hello");
    let r = site.request("HEAD", "/a.txt", &[("range", "bytes=0-0")]);
    assert_eq!((r.status, r.body.len()), (200, 5));
}

#[test]
fn a_directory_without_its_slash_is_redirected_with_the_query_kept() {
    let mut site = Site::new();
    site.write("docs/index.html", "<h1>docs</h1>");
    let r = site.get("/docs?lang=en");
    assert_eq!(r.status, 301);
    assert_eq!(r.field("location"), Some("/docs/?lang=en"));
    let r = site.get("/docs");
    assert_eq!(r.field("location"), Some("/docs/"));
}

#[test]
fn a_redirect_never_points_off_site() {
    let mut site = Site::new();
    std::fs::create_dir_all(site.root.join("evil.example/x")).unwrap();
    let r = site.get("//evil.example/x");
    assert_eq!(r.status, 301);
    assert_eq!(r.field("location"), Some("/evil.example/x/"));
}

#[test]
fn a_directory_with_its_slash_serves_index_html() {
    let mut site = Site::new();
    site.write("index.html", "<h1>home</h1>");
    site.write("docs/index.html", "<h1>docs</h1>");
    let r = site.get("/");
    assert_eq!((r.status, text(&r).as_str()), (200, "<h1>home</h1>"));
    assert_eq!(r.field("content-type"), Some("text/html; charset=utf-8"));
    let r = site.get("/docs/");
    assert_eq!(text(&r), "<h1>docs</h1>");
}

#[test]
fn a_directory_without_index_is_404_unless_listing_is_on() {
    let mut site = Site::new();
    site.write("files/report.pdf", "%PDF");
    assert_eq!(site.get("/files/").status, 404);
    site.route.listing = true;
    let r = site.get("/files/");
    assert_eq!(r.status, 200);
    assert_eq!(r.field("content-type"), Some("text/html; charset=utf-8"));
    assert!(
        text(&r).contains("<a href=\"report.pdf\">report.pdf</a>"),
        "{}",
        text(&r)
    );
}

#[test]
fn a_file_asked_for_as_a_directory_is_404() {
    let mut site = Site::new();
    site.write("a.txt", "x");
    assert_eq!(site.get("/a.txt/").status, 404);
}

#[test]
fn traversal_attempts_get_404_or_400_and_name_no_path() {
    let mut site = Site::new();
    site.write("a.txt", "x");
    std::fs::write(site.tmp.path().join("secret.txt"), "secret").unwrap();
    for target in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/%252e%252e/secret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/a.txt%00.html",
        "/x%2f..%2f..%2fsecret.txt",
    ] {
        let r = site.get(target);
        assert_eq!(r.status, 404, "{target}");
        assert_eq!(text(&r), "not found\n", "{target}");
    }
    let r = site.get("/%zz");
    assert_eq!((r.status, text(&r).as_str()), (400, "bad request\n"));
}

#[test]
fn a_symlink_out_of_the_root_is_refused_by_default_and_followed_with_any() {
    let mut site = Site::new();
    std::fs::write(site.tmp.path().join("outside.txt"), "outside").unwrap();
    std::os::unix::fs::symlink("../outside.txt", site.root.join("link.txt")).unwrap();
    assert_eq!(site.get("/link.txt").status, 404);
    site.route.follow_symlinks = FollowSymlinks::Any;
    let r = site.get("/link.txt");
    assert_eq!((r.status, text(&r).as_str()), (200, "outside"));
}

#[test]
fn a_symlink_inside_the_root_is_followed_unless_the_route_says_never() {
    let mut site = Site::new();
    site.write("real/a.txt", "a");
    std::os::unix::fs::symlink("real", site.root.join("alias")).unwrap();
    assert_eq!(text(&site.get("/alias/a.txt")), "a");
    site.route.follow_symlinks = FollowSymlinks::Never;
    site.now += Duration::from_secs(1);
    assert_eq!(site.get("/alias/a.txt").status, 404);
    assert_eq!(site.get("/real/a.txt").status, 200);
}

#[test]
fn dotfiles_are_404_unless_served_and_well_known_is_public() {
    let mut site = Site::new();
    site.write(".env", "SECRET=1");
    site.write(".git/config", "[core]");
    site.write(".well-known/security.txt", "Contact: x");
    assert_eq!(site.get("/.env").status, 404);
    assert_eq!(site.get("/.git/config").status, 404);
    assert_eq!(site.get("/%2eenv").status, 404);
    assert_eq!(site.get("/.well-known/security.txt").status, 200);
    site.route.dotfiles = true;
    assert_eq!(text(&site.get("/.env")), "SECRET=1");
}

#[test]
fn options_gets_allow_and_other_methods_405() {
    let mut site = Site::new();
    site.write("a.txt", "x");
    let r = site.request("OPTIONS", "/a.txt", &[]);
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert_eq!(r.field("allow"), Some("GET, HEAD, OPTIONS"));
    for method in ["POST", "PUT", "DELETE", "get"] {
        let r = site.request(method, "/a.txt", &[]);
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.field("allow"), Some("GET, HEAD, OPTIONS"));
    }
}

#[test]
fn route_headers_are_on_every_reply() {
    let mut site = Site::new();
    site.write("a.txt", "x");
    site.write("d/index.html", "x");
    site.headers = vec![("cache-control".into(), "max-age=60".into())];
    let etag = site.get("/a.txt").field("etag").unwrap().to_string();
    let replies = [
        site.get("/a.txt"),
        site.request("GET", "/a.txt", &[("if-none-match", &etag)]),
        site.request("GET", "/a.txt", &[("if-match", "\"stale\"")]),
        site.request("GET", "/a.txt", &[("range", "bytes=5-")]),
        site.get("/missing"),
        site.get("/d"),
        site.request("POST", "/a.txt", &[]),
        site.request("OPTIONS", "/a.txt", &[]),
    ];
    for r in replies {
        assert_eq!(r.field("cache-control"), Some("max-age=60"), "{}", r.status);
    }
}

#[test]
fn if_none_match_with_the_current_etag_is_304_with_validators_and_no_body() {
    let mut site = Site::new();
    site.write("a.txt", "hello");
    let etag = site.get("/a.txt").field("etag").unwrap().to_string();
    for method in ["GET", "HEAD"] {
        let r = site.request(method, "/a.txt", &[("if-none-match", &etag)]);
        assert_eq!(r.status, 304, "{method}");
        assert_eq!(r.field("etag"), Some(etag.as_str()));
        assert!(matches!(r.body, Body::Empty));
        assert_eq!(r.field("content-type"), None, "no representation metadata");
    }
    let weak = format!("W/{etag}");
    assert_eq!(
        site.request("GET", "/a.txt", &[("if-none-match", &weak)])
            .status,
        304
    );
    assert_eq!(
        site.request("GET", "/a.txt", &[("if-none-match", "*")])
            .status,
        304
    );
}

#[test]
fn if_modified_since_last_modified_is_304_and_a_changed_file_is_200() {
    let mut site = Site::new();
    site.write("a.txt", "hello");
    let date = site
        .get("/a.txt")
        .field("last-modified")
        .unwrap()
        .to_string();
    assert_eq!(
        site.request("GET", "/a.txt", &[("if-modified-since", &date)])
            .status,
        304
    );
    site.write("a.txt", "hello, again");
    let file = std::fs::File::options()
        .write(true)
        .open(site.root.join("a.txt"))
        .unwrap();
    file.set_modified(site.wall + Duration::from_secs(10))
        .unwrap();
    site.now += Duration::from_secs(1);
    site.wall += Duration::from_secs(20);
    let r = site.request("GET", "/a.txt", &[("if-modified-since", &date)]);
    assert_eq!((r.status, text(&r).as_str()), (200, "hello, again"));
}

#[test]
fn a_stale_if_match_is_412_even_when_if_none_match_would_say_304() {
    let mut site = Site::new();
    site.write("a.txt", "hello");
    let etag = site.get("/a.txt").field("etag").unwrap().to_string();
    let r = site.request(
        "GET",
        "/a.txt",
        &[("if-match", "\"stale\""), ("if-none-match", &etag)],
    );
    assert_eq!(r.status, 412);
    assert_eq!(text(&r), "precondition failed\n");
}

#[test]
fn a_future_mtime_is_sent_as_the_response_time() {
    let mut site = Site::new();
    site.write("a.txt", "x");
    let file = std::fs::File::options()
        .write(true)
        .open(site.root.join("a.txt"))
        .unwrap();
    file.set_modified(site.wall + Duration::from_secs(3600))
        .unwrap();
    let r = site.get("/a.txt");
    let now = super::date::format(
        site.wall
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    );
    assert_eq!(r.field("last-modified"), Some(now.as_str()));
}

#[test]
fn one_range_of_a_small_file_is_206_from_the_shared_buffer() {
    let mut site = Site::new();
    site.write("a.txt", "0123456789");
    let r = site.request("GET", "/a.txt", &[("range", "bytes=2-4")]);
    assert_eq!(r.status, 206);
    assert_eq!(text(&r), "234");
    assert_eq!(r.field("content-range"), Some("bytes 2-4/10"));
    assert_eq!(r.field("content-type"), Some("text/plain; charset=utf-8"));
    assert!(r.field("etag").is_some());
    let r = site.request("GET", "/a.txt", &[("range", "bytes=0-0")]);
    assert_eq!(
        (text(&r).as_str(), r.field("content-range")),
        ("0", Some("bytes 0-0/10"))
    );
    let r = site.request("GET", "/a.txt", &[("range", "bytes=-3")]);
    assert_eq!(text(&r), "789");
}

#[test]
fn a_range_of_a_large_file_is_a_file_range_at_the_right_offset() {
    let mut site = Site::new();
    let big: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    site.write("big.bin", &big);
    let r = site.request("GET", "/big.bin", &[("range", "bytes=500-599")]);
    assert_eq!(r.status, 206);
    let Body::File(range) = &r.body else {
        panic!("a file range, got {:?}", r.body);
    };
    assert_eq!((range.offset, range.len), (500, 100));
    assert_eq!(body(&r), &big[500..600]);
    assert_eq!(r.field("content-range"), Some("bytes 500-599/1000"));
    let r = site.get("/big.bin");
    let Body::File(range) = &r.body else {
        panic!("a file range, got {:?}", r.body);
    };
    assert_eq!((range.offset, range.len), (0, 1000));
}

#[test]
fn unsatisfiable_ranges_are_416_with_the_length() {
    let mut site = Site::new();
    site.write("a.txt", "0123456789");
    for range in ["bytes=-0", "bytes=10-", "bytes=20-30"] {
        let r = site.request("GET", "/a.txt", &[("range", range)]);
        assert_eq!(r.status, 416, "{range}");
        assert_eq!(r.field("content-range"), Some("bytes */10"));
    }
}

#[test]
fn invalid_several_or_stale_if_range_ranges_get_the_whole_file() {
    let mut site = Site::new();
    site.write("a.txt", "0123456789");
    let etag = site.get("/a.txt").field("etag").unwrap().to_string();
    for fields in [
        vec![("range", "bytes=5-2")],
        vec![("range", "bytes=0-0,-1")],
        vec![("range", "pages=1-2")],
        vec![("range", "bytes=0-0"), ("if-range", "\"stale\"")],
    ] {
        let r = site.request("GET", "/a.txt", &fields);
        assert_eq!((r.status, r.body.len()), (200, 10), "{fields:?}");
        assert_eq!(r.field("content-range"), None);
    }
    let r = site.request(
        "GET",
        "/a.txt",
        &[("range", "bytes=0-0"), ("if-range", &etag)],
    );
    assert_eq!(r.status, 206);
}

#[test]
fn precompressed_siblings_are_chosen_by_accept_encoding() {
    let mut site = Site::new();
    site.route.precompressed = true;
    site.write("app.js", "console.log(1)");
    site.write("app.js.br", "BR");
    site.write("app.js.gz", "GZ");
    let get = |site: &mut Site, accept: &str| {
        site.request("GET", "/app.js", &[("accept-encoding", accept)])
    };
    let br = get(&mut site, "gzip, br");
    assert_eq!(text(&br), "BR");
    assert_eq!(br.field("content-encoding"), Some("br"));
    assert_eq!(
        br.field("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(br.field("vary"), Some("accept-encoding"));
    let gz = get(&mut site, "br;q=0, gzip");
    assert_eq!(
        (text(&gz).as_str(), gz.field("content-encoding")),
        ("GZ", Some("gzip"))
    );
    let plain = get(&mut site, "br;q=0, gzip;q=0");
    assert_eq!(text(&plain), "console.log(1)");
    assert_eq!(plain.field("content-encoding"), None);
    assert_eq!(
        plain.field("vary"),
        Some("accept-encoding"),
        "identity varies too"
    );
    let etags = [&br, &gz, &plain].map(|r| r.field("etag").unwrap().to_string());
    assert!(
        etags[0] != etags[1] && etags[1] != etags[2] && etags[0] != etags[2],
        "{etags:?}"
    );
    let none = site.get("/app.js");
    assert_eq!(
        text(&none),
        "console.log(1)",
        "no Accept-Encoding, no coding"
    );
}

#[test]
fn a_304_for_a_precompressed_file_varies_and_matches_the_coding_sent() {
    let mut site = Site::new();
    site.route.precompressed = true;
    site.write("app.js", "console.log(1)");
    site.write("app.js.br", "BR");
    let br = site.request("GET", "/app.js", &[("accept-encoding", "br")]);
    let etag = br.field("etag").unwrap().to_string();
    let again = site.request(
        "GET",
        "/app.js",
        &[("accept-encoding", "br"), ("if-none-match", &etag)],
    );
    assert_eq!(again.status, 304);
    assert_eq!(again.field("vary"), Some("accept-encoding"));
    let identity = site.request("GET", "/app.js", &[("if-none-match", &etag)]);
    assert_eq!(
        identity.status, 200,
        "the br tag does not validate identity"
    );
}

#[test]
fn siblings_are_ignored_unless_the_route_is_precompressed_and_need_not_exist() {
    let mut site = Site::new();
    site.write("a.css", "a{}");
    site.write("a.css.gz", "GZ");
    let r = site.request("GET", "/a.css", &[("accept-encoding", "gzip")]);
    assert_eq!((text(&r).as_str(), r.field("vary")), ("a{}", None));
    site.route.precompressed = true;
    site.write("b.css", "b{}");
    let r = site.request("GET", "/b.css", &[("accept-encoding", "gzip")]);
    assert_eq!((text(&r).as_str(), r.field("vary")), ("b{}", None));
}

#[test]
fn a_rewritten_file_is_served_new_after_the_revalidation_second() {
    let mut site = Site::new();
    site.write("a.txt", "first");
    assert_eq!(text(&site.get("/a.txt")), "first");
    site.write("a.txt", "second, longer");
    assert_eq!(
        text(&site.get("/a.txt")),
        "first",
        "within the second, the cache answers"
    );
    site.now += Duration::from_secs(1);
    assert_eq!(text(&site.get("/a.txt")), "second, longer");
}

#[test]
fn a_route_below_a_prefix_takes_the_rest_of_the_path() {
    let mut site = Site::new();
    site.write("img/logo.svg", "<svg/>");
    let fields = FieldPairs(&[]);
    let req = Request {
        method: b"GET",
        target: b"/static/img/logo.svg",
        fields: &fields,
    };
    let r = site.files.serve(
        &site.route,
        &[],
        b"/img/logo.svg",
        &req,
        site.now,
        site.wall,
    );
    assert_eq!(
        (r.status, r.field("content-type")),
        (200, Some("image/svg+xml"))
    );
    let req = Request {
        method: b"GET",
        target: b"/static",
        fields: &fields,
    };
    let r = site
        .files
        .serve(&site.route, &[], b"", &req, site.now, site.wall);
    assert_eq!((r.status, r.field("location")), (301, Some("/static/")));
}
