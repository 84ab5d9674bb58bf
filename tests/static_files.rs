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
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
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
