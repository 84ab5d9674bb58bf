//! Files larger than the in-memory cache are streamed: read in bounded
//! chunks as the client takes them (HTTP/2 and TLS) or moved by
//! `sendfile` (cleartext HTTP/1.1). They arrive whole over every protocol,
//! and a 1 GiB download leaves the worker's memory flat.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;
use std::time::Duration;

use support::{Server, TempDir, status_kib, tool};

/// A worker with a cleartext and a TLS listener serving `www`.
fn config() -> String {
    "workers = 1\ntimeout = 30\nshutdown_timeout = 10\nupgrade_timeout = 20\n\n\
     [[listen]]\naddress = \"127.0.0.1:0\"\n\n\
     [[listen]]\naddress = \"127.0.0.2:0\"\ntls = \"self-signed\"\n\n\
     [[route]]\npath = \"/\"\nroot = \"www\"\n\n[log]\nlevel = \"info\"\n"
        .to_string()
}

/// curl's stdout, asserting success.
fn curl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("curl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn a_file_larger_than_the_cache_arrives_whole_over_every_protocol() {
    if !tool("curl") {
        return;
    }
    let dir = TempDir::new("large");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    // 3 MiB + 17 octets of a pattern that shows any reordering or loss.
    let content: Vec<u8> = (0u32..3 * 1024 * 1024 + 17)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.join("www/big.bin"), &content).unwrap();
    let s = Server::builder(&config()).dir(dir).start();
    let addrs = s.listen_addrs();
    let (plain, tls) = (&addrs[0], &addrs[1]);
    for (label, args, url) in [
        (
            "HTTP/1.1 (sendfile)",
            vec!["--http1.1"],
            format!("http://{plain}/big.bin"),
        ),
        (
            "h2c",
            vec!["--http2-prior-knowledge"],
            format!("http://{plain}/big.bin"),
        ),
        (
            "h2 over TLS",
            vec!["-k", "--http2"],
            format!("https://{tls}/big.bin"),
        ),
        (
            "HTTP/1.1 over TLS",
            vec!["-k", "--http1.1"],
            format!("https://{tls}/big.bin"),
        ),
    ] {
        let mut all = vec!["-sS"];
        all.extend(args);
        all.push(&url);
        let body = curl(&all);
        assert_eq!(body.len(), content.len(), "{label}");
        assert!(body == content, "{label}: content differs");
    }
    // Two at once on one HTTP/2 connection (curl 7.88 cannot reuse a
    // prior-knowledge connection, curl#10634, so over TLS), and twice in
    // a row on one HTTP/1.1 connection: each streamed body is whole.
    let out = TempDir::new("large-out");
    let (a, b) = (out.join("a"), out.join("b"));
    let url = format!("https://{tls}/big.bin");
    curl(&[
        "-sS",
        "-k",
        "--http2",
        "--parallel",
        "--parallel-max",
        "2",
        &url,
        "-o",
        a.to_str().unwrap(),
        &url,
        "-o",
        b.to_str().unwrap(),
    ]);
    assert!(
        std::fs::read(&a).unwrap() == content,
        "first of two streams"
    );
    assert!(
        std::fs::read(&b).unwrap() == content,
        "second of two streams"
    );
    let url = format!("http://{plain}/big.bin");
    let body = curl(&["-sS", "--http1.1", &url, &url]);
    assert!(body.len() == 2 * content.len() && body[content.len()..] == content[..]);
}

#[test]
fn a_1_gib_download_leaves_worker_memory_flat_over_http11_and_http2() {
    if !tool("curl") {
        return;
    }
    let dir = TempDir::new("huge");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    const GIB: u64 = 1 << 30;
    // Sparse: the disk holds nothing, the page cache serves zeros.
    let f = std::fs::File::create(dir.join("www/huge.bin")).unwrap();
    f.set_len(GIB).unwrap();
    let s = Server::builder(&config()).dir(dir).start();
    let worker = s.wait_workers(1, Duration::from_secs(10))[0];
    let addrs = s.listen_addrs();
    let (plain, tls) = (&addrs[0], &addrs[1]);
    // Warm up both paths (TLS, HPACK tables) before the baseline.
    let small = format!("http://{plain}/");
    curl(&["-sS", "-o", "/dev/null", "--http2-prior-knowledge", &small]);
    curl(&["-sS", "-o", "/dev/null", "-k", &format!("https://{tls}/")]);
    let before = status_kib(worker, "VmHWM:");
    for args in [
        vec!["--http1.1", "--url", "http://PLAIN/huge.bin"],
        vec!["--http2-prior-knowledge", "--url", "http://PLAIN/huge.bin"],
        vec!["-k", "--http2", "--url", "https://TLS/huge.bin"],
    ] {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("PLAIN", plain).replace("TLS", tls))
            .collect();
        let mut all = vec!["-sS", "-o", "/dev/null", "-w", "%{size_download}"];
        all.extend(args.iter().map(String::as_str));
        let size = String::from_utf8(curl(&all)).unwrap();
        assert_eq!(size, GIB.to_string(), "{args:?}");
    }
    let after = status_kib(worker, "VmHWM:");
    eprintln!("worker peak RSS: {before} KiB before, {after} KiB after 3 GiB sent");
    assert!(
        after < before + 8 * 1024,
        "worker peak RSS grew from {before} KiB to {after} KiB"
    );
}
