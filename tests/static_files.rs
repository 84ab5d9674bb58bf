//! `[[route]]` directories served plainly by the built-in responder, over
//! HTTP/1.1 and HTTP/2, with traversal attempts refused.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

use support::{Server, TempDir, http, tool};

fn site() -> (TempDir, String) {
    let dir = TempDir::new("site");
    let www = dir.join("www");
    std::fs::create_dir_all(www.join("sub")).unwrap();
    std::fs::write(www.join("index.html"), "<h1>bicorn</h1>\n").unwrap();
    std::fs::write(www.join("sub/app.js"), "console.log(1)\n").unwrap();
    std::fs::write(www.join(".env"), "SECRET=1\n").unwrap();
    std::fs::write(dir.join("outside.txt"), "outside\n").unwrap();
    std::os::unix::fs::symlink(dir.join("outside.txt"), www.join("link.txt")).unwrap();
    let config =
        support::config(1, "").replace("[log]", "[[route]]\npath = \"/\"\nroot = \"www\"\n\n[log]");
    (dir, config)
}

#[test]
fn a_route_serves_files_index_and_redirects_over_http11() {
    let (dir, config) = site();
    let s = Server::builder(&config).dir(dir).start();
    let r = s.get("/");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "<h1>bicorn</h1>\n");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let r = s.get("/sub/app.js?v=2");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let r = s.get("/sub");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/sub/"));
    let mut c = http::Conn::open(&s.addr).unwrap();
    let r = c.request("POST", "/", b"x").unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    // HEAD: the GET's length, no body.
    use std::io::{Read, Write};
    let mut raw = std::net::TcpStream::connect(&s.addr).unwrap();
    raw.write_all(b"HEAD / HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    raw.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("content-length: 16\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\n"), "no body: {text:?}");
}

#[test]
fn traversal_dotfiles_and_symlinks_out_of_the_root_are_refused() {
    let (dir, config) = site();
    let s = Server::builder(&config).dir(dir).start();
    for bad in [
        "/.env",
        "/%2e%2e/outside.txt",
        "/%2E%2E%2Foutside.txt",
        "/sub/..%2f..%2foutside.txt",
        "/sub%5c..%5c..%5coutside.txt",
        "/index.html%00.txt",
        "/%252e%252e/outside.txt",
        "/%252e%252e%252foutside.txt",
        "/sub/%2e%2e%2f%2e%2e%2foutside.txt",
        "/sub\\..\\..\\outside.txt",
        "/link.txt",
    ] {
        let r = s.get(bad);
        assert_eq!(r.status, 404, "{bad}: {}", r.body);
        assert!(
            !r.body.contains("outside") && !r.body.contains("SECRET"),
            "{bad}"
        );
    }
}

#[test]
fn a_route_serves_the_same_file_over_http2() {
    if !tool("curl") {
        return;
    }
    let (dir, config) = site();
    let s = Server::builder(&config).dir(dir).start();
    let out = Command::new("curl")
        .args([
            "-s",
            "--http2-prior-knowledge",
            "-w",
            " %{http_code} %{content_type}",
        ])
        .arg(format!("http://{}/", s.addr))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out, "<h1>bicorn</h1>\n 200 text/html; charset=utf-8");
}

#[test]
fn the_shipped_config_serves_the_public_site() {
    let root = env!("CARGO_MANIFEST_DIR");
    let shipped = std::fs::read_to_string(format!("{root}/conf/bicorn.toml")).unwrap();
    let config = shipped
        .replace("address = \"127.0.0.1:8080\"", "address = \"127.0.0.1:0\"")
        .replace("root = \"../public\"", &format!("root = \"{root}/public\""))
        .replace("workers = \"auto\"", "workers = 1");
    assert_ne!(
        config, shipped,
        "the test's replacements still match the shipped file"
    );
    let s = Server::start(&config);
    let r = s.get("/");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("bicorn is running"), "{}", r.body);
}

/// One request through curl over `proto` ("1.1" or "2"): (status,
/// header block, body).
fn curl_req(proto: &str, url: &str, headers: &[&str]) -> (u16, String, Vec<u8>) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-D", "/dev/stderr", "-o", "-"]);
    cmd.arg(if proto == "2" {
        "--http2-prior-knowledge"
    } else {
        "--http1.1"
    });
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(url).output().unwrap();
    let head = String::from_utf8_lossy(&out.stderr).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head, out.stdout)
}

fn header_value(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

#[test]
fn conditional_and_range_requests_follow_rfc_9110_over_http11_and_http2() {
    if !tool("curl") {
        return;
    }
    let (dir, config) = site();
    let body: Vec<u8> = (0..5000u32).map(|i| b'a' + (i % 26) as u8).collect();
    std::fs::write(dir.join("www/data.txt"), &body).unwrap();
    let s = Server::builder(&config).dir(dir).start();
    let url = format!("http://{}/data.txt", s.addr);
    for proto in ["1.1", "2"] {
        let (status, head, got) = curl_req(proto, &url, &[]);
        assert_eq!(status, 200, "{proto}");
        assert_eq!(got, body);
        assert_eq!(
            header_value(&head, "accept-ranges").as_deref(),
            Some("bytes")
        );
        let etag = header_value(&head, "etag").expect("etag");
        let modified = header_value(&head, "last-modified").expect("last-modified");
        // 304: If-None-Match (weak comparison), or If-Modified-Since.
        let (status, _, got) = curl_req(proto, &url, &[&format!("if-none-match: {etag}")]);
        assert_eq!((status, got.len()), (304, 0), "{proto} if-none-match");
        let (status, _, _) = curl_req(proto, &url, &[&format!("if-none-match: W/{etag}")]);
        assert_eq!(status, 304, "{proto} weak if-none-match");
        let (status, _, _) = curl_req(proto, &url, &[&format!("if-modified-since: {modified}")]);
        assert_eq!(status, 304, "{proto} if-modified-since");
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        let (status, _, _) = curl_req(
            proto,
            &url,
            &[
                "if-none-match: \"other\"",
                &format!("if-modified-since: {modified}"),
            ],
        );
        assert_eq!(
            status, 200,
            "{proto} a failing if-none-match ignores the date"
        );
        // 412: If-Match with another tag, If-Unmodified-Since in the past.
        let (status, _, _) = curl_req(proto, &url, &["if-match: \"other\""]);
        assert_eq!(status, 412, "{proto} if-match");
        let (status, _, _) = curl_req(
            proto,
            &url,
            &["if-unmodified-since: Sun, 06 Nov 1994 08:49:37 GMT"],
        );
        assert_eq!(status, 412, "{proto} if-unmodified-since");
        let (status, _, _) = curl_req(proto, &url, &[&format!("if-match: {etag}")]);
        assert_eq!(status, 200, "{proto} if-match with the current tag");
        // 206 for one range, suffix ranges, 416 beyond the end.
        let (status, head, got) = curl_req(proto, &url, &["range: bytes=10-19"]);
        assert_eq!(status, 206, "{proto}");
        assert_eq!(got, &body[10..20]);
        assert_eq!(
            header_value(&head, "content-range").as_deref(),
            Some("bytes 10-19/5000")
        );
        let (status, _, got) = curl_req(proto, &url, &["range: bytes=-7"]);
        assert_eq!((status, got.as_slice()), (206, &body[4993..]));
        let (status, head, _) = curl_req(proto, &url, &["range: bytes=9000-"]);
        assert_eq!(status, 416, "{proto}");
        assert_eq!(
            header_value(&head, "content-range").as_deref(),
            Some("bytes */5000")
        );
        // If-Range: the current tag gives the range, a stale one the whole.
        let (status, _, _) = curl_req(
            proto,
            &url,
            &["range: bytes=0-0", &format!("if-range: {etag}")],
        );
        assert_eq!(status, 206, "{proto} if-range current");
        let (status, _, got) = curl_req(proto, &url, &["range: bytes=0-0", "if-range: \"stale\""]);
        assert_eq!((status, got.len()), (200, 5000), "{proto} if-range stale");
        // Several ranges: the whole file (documented choice).
        let (status, _, got) = curl_req(proto, &url, &["range: bytes=0-1,5-6"]);
        assert_eq!((status, got.len()), (200, 5000), "{proto} multi-range");
    }
}

#[test]
fn a_precompressed_sibling_is_chosen_by_accept_encoding_with_vary() {
    if !tool("curl") {
        return;
    }
    let (dir, config) = site();
    std::fs::write(dir.join("www/app.css"), "body{color:red}\n").unwrap();
    std::fs::write(dir.join("www/app.css.gz"), b"GZIP-BYTES").unwrap();
    std::fs::write(dir.join("www/app.css.br"), b"BROTLI-BYTES").unwrap();
    let config = config.replace("root = \"www\"\n", "root = \"www\"\nprecompressed = true\n");
    let s = Server::builder(&config).dir(dir).start();
    let url = format!("http://{}/app.css", s.addr);
    for proto in ["1.1", "2"] {
        let (status, head, got) = curl_req(proto, &url, &["accept-encoding: gzip, br"]);
        assert_eq!(status, 200);
        assert_eq!(got, b"BROTLI-BYTES", "{proto}: br preferred");
        assert_eq!(
            header_value(&head, "content-encoding").as_deref(),
            Some("br")
        );
        assert_eq!(
            header_value(&head, "vary").as_deref(),
            Some("accept-encoding")
        );
        assert_eq!(
            header_value(&head, "content-type").as_deref(),
            Some("text/css; charset=utf-8")
        );
        let (_, head, got) = curl_req(proto, &url, &["accept-encoding: gzip, br;q=0"]);
        assert_eq!(got, b"GZIP-BYTES", "{proto}: br refused by q=0");
        assert_eq!(
            header_value(&head, "content-encoding").as_deref(),
            Some("gzip")
        );
        let (_, head, got) = curl_req(proto, &url, &[]);
        assert_eq!(got, b"body{color:red}\n", "{proto}: identity");
        assert_eq!(header_value(&head, "content-encoding"), None);
        assert_eq!(
            header_value(&head, "vary").as_deref(),
            Some("accept-encoding")
        );
    }
}

#[test]
fn route_headers_and_directory_listing_are_served_when_configured() {
    let (dir, _) = site();
    std::fs::create_dir_all(dir.join("www/files")).unwrap();
    std::fs::write(dir.join("www/files/a <b>.txt"), "x").unwrap();
    let config = support::config(1, "").replace(
        "[log]",
        "[[route]]\npath = \"/\"\nroot = \"www\"\nheaders = { \"cache-control\" = \"max-age=60\" }\n\n\
         [[route]]\npath = \"/files\"\nroot = \"www/files\"\nlisting = true\n\n[log]",
    );
    let s = Server::builder(&config).dir(dir).start();
    let r = s.get("/");
    assert_eq!(r.header("cache-control"), Some("max-age=60"));
    let r = s.get("/nonesuch");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.header("cache-control"),
        Some("max-age=60"),
        "on errors too"
    );
    let r = s.get("/files/");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("a &lt;b&gt;.txt"), "escaped: {}", r.body);
    assert!(
        r.body.contains("href=\"a%20%3Cb%3E.txt\""),
        "encoded: {}",
        r.body
    );
    assert!(!r.body.contains("<b>"));
}
