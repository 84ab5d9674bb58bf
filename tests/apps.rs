//! The App API under the real master/worker machinery: the `hello` and
//! `sse` examples (built by `cargo test`) run with a temp config, driven
//! by real clients and real signals.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;
use support::{Server, TempDir, http, tool};

/// An example binary, built beside the test binaries by `cargo test`.
fn example(name: &str) -> PathBuf {
    let bicorn = PathBuf::from(env!("CARGO_BIN_EXE_bicorn"));
    let path = bicorn.parent().unwrap().join("examples").join(name);
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("examples/{name}.rs"));
    let stale = |p: &PathBuf| {
        let built = std::fs::metadata(p).and_then(|m| m.modified());
        let edited = std::fs::metadata(&source).and_then(|m| m.modified());
        !matches!((built, edited), (Ok(b), Ok(e)) if b >= e)
    };
    if stale(&path) {
        // `cargo test` builds examples; `cargo test --test apps` alone
        // does not.
        let status = Command::new(env!("CARGO"))
            .args(["build", "--example", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "cargo build --example {name}");
    }
    path
}

/// One worker with `threads` handler threads; `/` goes to `app`, and
/// `/static` to a directory of files.
fn config(app: &str, threads: usize) -> (TempDir, String) {
    let dir = TempDir::new("app");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::write(dir.join("www/index.html"), "<p>static</p>\n").unwrap();
    let config = support::config(1, "").replace(
        "[log]",
        &format!(
            "[[route]]\npath = \"/\"\napp = \"{app}\"\n\n[[route]]\npath = \"/static\"\nroot = \"www\"\n\n\
             [app]\nthreads = {threads}\nmax_request_body = 65536\n\n[log]"
        ),
    );
    (dir, config)
}

/// The example `bin` serving `app` with `threads` handler threads.
fn start(app: &str, threads: usize, bin: &str) -> Server {
    let (dir, config) = config(app, threads);
    Server::builder(&config).dir(dir).bin(example(bin)).start()
}

#[test]
fn hello_example_answers_over_http11_and_http2_with_its_hooks_run() {
    let s = start("hello", 4, "hello");
    let r = s.get("/");
    assert_eq!(r.status, 200);
    assert!(r.body.starts_with("hello from bicorn"), "{}", r.body);
    assert!(r.body.contains("HTTP/1.1"), "{}", r.body);
    assert!(
        s.log
            .wait_for("hello: after_fork in worker 0", Duration::from_secs(5))
    );
    // A body in, the same body out.
    let mut c = http::Conn::open(&s.addr).unwrap();
    let r = c.request("POST", "/echo", b"0123456789").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "0123456789");
    assert_eq!(r.header("x-echo-length"), Some("10"));
    // Too large a body: 413, and the handler never runs.
    let r = c.request("POST", "/echo", &[b'x'; 70_000]).unwrap();
    assert_eq!(r.status, 413);
    // A file body.
    let r = c.request("GET", "/source", b"").unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.contains("fn main()"));
    // Static files beside the app, on the longer prefix.
    let r = c.request("GET", "/static/", b"").unwrap();
    assert_eq!(r.body, "<p>static</p>\n");
    if tool("curl") {
        let out = Command::new("curl")
            .args(["-sS", "--http2-prior-knowledge"])
            .arg(format!("http://{}/", s.addr))
            .output()
            .unwrap();
        let body = String::from_utf8_lossy(&out.stdout);
        assert!(body.contains("HTTP/2.0"), "{body}");
        let out = Command::new("curl")
            .args(["-sS", "--http2-prior-knowledge", "-d", "over h2"])
            .arg(format!("http://{}/echo", s.addr))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "over h2");
    }
}

#[test]
fn a_panicking_handler_gets_500_and_the_next_request_on_the_connection_succeeds() {
    let s = start("hello", 2, "hello");
    let mut c = http::Conn::open(&s.addr).unwrap();
    for _ in 0..3 {
        let r = c.request("GET", "/panic", b"").unwrap();
        assert_eq!(r.status, 500);
        assert!(!r.body.contains("panic"), "no internals leak: {}", r.body);
        let r = c.request("GET", "/", b"").unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert!(
        s.log
            .wait_for("app handler panicked", Duration::from_secs(5))
    );
    assert_eq!(s.workers().len(), 1, "the worker kept serving");
}

#[test]
fn a_handler_blocked_for_seconds_does_not_delay_other_connections() {
    let s = start("hello", 2, "hello");
    let addr = s.addr.clone();
    let slow = std::thread::spawn(move || {
        let mut c = http::Conn::open(&addr).unwrap();
        c.request("GET", "/sleep?ms=4000", b"").unwrap()
    });
    // Wait until the slow request is surely in its handler: its worker
    // accepted it (the handler sleeps 4 s, far longer than this wait).
    std::thread::sleep(Duration::from_millis(300));
    for path in ["/static/", "/", "/static/"] {
        let r = s.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert!(
            !slow.is_finished(),
            "{path} was answered only after the blocked handler finished"
        );
    }
    let r = slow.join().unwrap();
    assert!(r.body.starts_with("slept 4000 ms"), "{}", r.body);
}

#[test]
fn an_embedded_app_reloads_on_hup_and_drains_on_quit_running_its_exit_hook() {
    let mut s = start("hello", 2, "hello");
    let first = support::body_pid(&s.get("/").body).unwrap();
    s.signal(Signal::SIGHUP);
    assert!(
        s.log
            .wait_for("hello: after_fork in worker 0 (pid", Duration::from_secs(5))
    );
    assert!(support::wait_until(Duration::from_secs(10), || {
        support::body_pid(&s.get("/").body).is_some_and(|p| p != first)
    }));
    assert!(s.log.wait_for("generation 2)", Duration::from_secs(5)));
    assert!(
        s.log
            .wait_for("hello: before_exit in worker 0", Duration::from_secs(10)),
        "the retired generation ran its exit hook"
    );
    // A slow request in flight completes across QUIT.
    let addr = s.addr.clone();
    let slow = std::thread::spawn(move || {
        let mut c = http::Conn::open(&addr).unwrap();
        c.request("GET", "/sleep?ms=1500", b"").unwrap()
    });
    std::thread::sleep(Duration::from_millis(300));
    s.signal(Signal::SIGQUIT);
    let r = slow.join().unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(s.wait_exit(Duration::from_secs(15)), Some(0));
    assert!(s.log.count("hello: before_exit") >= 2, "{}", s.log.text());
}

#[test]
fn a_route_to_an_app_this_program_does_not_register_is_refused_at_start() {
    let (dir, config) = config("nonesuch", 1);
    let mut s = Server::builder(&config).dir(dir).no_wait().start();
    assert_eq!(s.wait_exit(Duration::from_secs(10)), Some(1));
    let log = s.log.text();
    assert!(
        log.contains("`route[0].app`: no app named `nonesuch`"),
        "{log}"
    );
}

/// Read from `c` until `needle` has arrived; returns all read so far.
fn read_until(c: &mut TcpStream, seen: &mut Vec<u8>, needle: &str) {
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(seen).contains(needle) {
        let n = c.read(&mut buf).unwrap();
        assert!(n > 0, "stream ended before {needle:?}");
        seen.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn sse_events_arrive_one_by_one_as_they_are_published() {
    let s = start("events", 8, "sse");
    let mut sub = TcpStream::connect(&s.addr).unwrap();
    sub.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    sub.write_all(b"GET /events HTTP/1.1\r\nhost: t\r\n\r\n")
        .unwrap();
    let mut seen = Vec::new();
    read_until(&mut sub, &mut seen, ": subscribed");
    let head = String::from_utf8_lossy(&seen).to_string();
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    for k in 0..5 {
        // Event k is published only now: receiving it proves it was sent
        // when produced, before event k+1 exists.
        let mut c = http::Conn::open(&s.addr).unwrap();
        let r = c
            .request("POST", "/publish", format!("event {k}").as_bytes())
            .unwrap();
        assert_eq!(r.body, "delivered to 1\n");
        read_until(&mut sub, &mut seen, &format!("data: event {k}\n\n"));
        let text = String::from_utf8_lossy(&seen);
        assert!(!text.contains(&format!("event {}", k + 1)));
        let order: Vec<usize> = (0..=k)
            .map(|i| text.find(&format!("data: event {i}\n")).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "in order");
    }
    // The subscriber leaves; the next publish reaches nobody, and the
    // producer notices at its next write.
    drop(sub);
    assert!(support::wait_until(Duration::from_secs(10), || {
        let mut c = http::Conn::open(&s.addr).unwrap();
        c.request("POST", "/publish", b"anyone?").unwrap().body == "delivered to 0\n"
    }));
}

#[test]
fn sse_events_arrive_one_by_one_over_http2() {
    if !tool("curl") {
        return;
    }
    let s = start("events", 8, "sse");
    let mut sub = Command::new("curl")
        .args(["-sSN", "--http2-prior-knowledge"])
        .arg(format!("http://{}/events", s.addr))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = sub.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut read_until = |needle: &str| {
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&seen).contains(needle) {
            let n = out.read(&mut buf).unwrap();
            assert!(n > 0, "stream ended before {needle:?}");
            seen.extend_from_slice(&buf[..n]);
        }
    };
    read_until(": subscribed");
    for k in 0..3 {
        let mut c = http::Conn::open(&s.addr).unwrap();
        let r = c
            .request("POST", "/publish", format!("h2 event {k}").as_bytes())
            .unwrap();
        assert_eq!(r.body, "delivered to 1\n");
        read_until(&format!("data: h2 event {k}\n\n"));
    }
    let _ = sub.kill();
    let _ = sub.wait();
}

#[test]
fn app_replies_are_access_logged_with_their_status_and_bytes() {
    let (dir, config) = config("hello", 2);
    let log = dir.join("access.log");
    let config = config.replace(
        "[log]",
        "[access_log]\ndestination = \"access.log\"\nformat = \"json\"\nflush_interval = 0.1\n\n[log]",
    );
    let s = Server::builder(&config)
        .dir(dir)
        .bin(example("hello"))
        .start();
    let mut c = http::Conn::open(&s.addr).unwrap();
    assert_eq!(c.request("POST", "/echo", b"12345").unwrap().status, 200);
    assert_eq!(c.request("GET", "/panic", b"").unwrap().status, 500);
    let mut want = 2;
    if tool("curl") {
        let out = Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "--http2-prior-knowledge"])
            .arg(format!("http://{}/", s.addr))
            .output()
            .unwrap();
        assert!(out.status.success());
        want = 3;
    }
    let read = || -> Vec<serde_json::Value> {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    assert!(support::wait_until(Duration::from_secs(5), || read().len() >= want));
    let lines = read();
    assert_eq!(lines[0]["target"], "/echo");
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(lines[0]["bytes"], 5);
    assert_eq!(lines[1]["status"], 500);
    if want == 3 {
        assert_eq!(lines[2]["protocol"], "HTTP/2.0");
        assert_eq!(lines[2]["stream"], 1);
        assert_eq!(lines[2]["status"], 200);
    }
}

#[test]
fn trailers_go_both_ways_over_http2_and_close_a_chunked_http11_body() {
    let s = start("hello", 2, "hello");
    let addr = s.addr.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let (mut client, conn) = h2::client::handshake(tcp).await.unwrap();
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let req = bicorn::http::Request::post("/trailers").body(()).unwrap();
        let (resp, mut send) = client.send_request(req, false).unwrap();
        send.send_data(bytes::Bytes::from_static(b"request body"), false)
            .unwrap();
        let mut trailers = bicorn::http::HeaderMap::new();
        trailers.insert("x-check", "42".parse().unwrap());
        send.send_trailers(trailers).unwrap();
        let resp = resp.await.unwrap();
        assert_eq!(resp.status(), 200);
        let mut body = resp.into_body();
        let mut got = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.unwrap();
            let _ = body.flow_control().release_capacity(chunk.len());
            got.extend_from_slice(&chunk);
        }
        assert_eq!(got, b"first chunk\nsecond chunk\n");
        let t = body.trailers().await.unwrap().expect("response trailers");
        assert_eq!(t["echo-x-check"], "42");
        assert_eq!(t["x-chunks"], "2");
    });
    // HTTP/1.1: chunked, ended by the last chunk with the trailer fields.
    let mut c = TcpStream::connect(&s.addr).unwrap();
    c.write_all(b"GET /trailers HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    c.read_to_string(&mut text).unwrap();
    assert!(text.contains("transfer-encoding: chunked\r\n"), "{text}");
    assert!(
        text.ends_with("0\r\nx-chunks: 2\r\n\r\n"),
        "chunked end with trailers: {text:?}"
    );
}
