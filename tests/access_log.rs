//! The access log under the real binary: one line per request over
//! HTTP/1.1 and HTTP/2 in both formats, flushed within its interval,
//! reopened on USR1 after a rename (logrotate's way).
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;
use support::{Server, TempDir, tool, wait_until};

fn config(format: &str) -> (TempDir, String) {
    let dir = TempDir::new("alog");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::write(dir.join("www/index.html"), "<p>hi</p>\n").unwrap();
    let config = support::config(1, "").replace(
        "[log]",
        &format!(
            "[[route]]\npath = \"/site\"\nroot = \"www\"\n\n\
             [access_log]\ndestination = \"access.log\"\nformat = \"{format}\"\nflush_interval = 0.2\n\n[log]"
        ),
    );
    (dir, config)
}

/// Send raw HTTP/1.1 `request` and read the response to its end.
fn raw(addr: &str, request: &str) -> String {
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).unwrap();
    out
}

fn lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn combined_lines_record_each_request_over_http11_and_http2() {
    let (dir, config) = config("combined");
    let log = dir.join("access.log");
    let s = Server::builder(&config).dir(dir).start();
    raw(
        &s.addr,
        "GET /site/ HTTP/1.1\r\nhost: example.test\r\nuser-agent: probe/1.0\r\n\
         referer: http://r.example/\r\nconnection: close\r\n\r\n",
    );
    raw(
        &s.addr,
        "GET /site/missing \"q HTTP/1.1\r\nconnection: close\r\n\r\n",
    );
    let mut want = 2;
    if tool("curl") {
        let out = Command::new("curl")
            .args([
                "-sS",
                "-o",
                "/dev/null",
                "--http2-prior-knowledge",
                "-A",
                "curl-h2",
            ])
            .arg(format!("http://{}/site/index.html?x=1", s.addr))
            .output()
            .unwrap();
        assert!(out.status.success());
        want = 3;
    }
    assert!(
        wait_until(Duration::from_secs(5), || lines(&log).len() >= want),
        "{:?}",
        lines(&log)
    );
    let l = lines(&log);
    // addr - - [time] "request" status bytes "referer" "ua"
    assert!(l[0].starts_with("127.0.0.1 - - ["), "{}", l[0]);
    assert!(
        l[0].ends_with("] \"GET /site/ HTTP/1.1\" 200 10 \"http://r.example/\" \"probe/1.0\""),
        "{}",
        l[0]
    );
    assert!(l[1].ends_with("\"-\" 400 0 \"-\" \"-\""), "{}", l[1]);
    if want == 3 {
        assert!(
            l[2].contains("\"GET /site/index.html?x=1 HTTP/2.0\" 200 10 \"-\" \"curl-h2\""),
            "{}",
            l[2]
        );
    }
}

#[test]
fn json_lines_parse_and_name_the_stream_and_pid() {
    if !tool("curl") {
        return;
    }
    let (dir, config) = config("json");
    let log = dir.join("access.log");
    let s = Server::builder(&config).dir(dir).start();
    let worker = s.wait_workers(1, Duration::from_secs(5))[0];
    let url = format!("http://{}/site/", s.addr);
    let out = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-o",
            "/dev/null",
            "--http2",
            "-e",
            "ref\"q",
        ])
        .args([&url, &format!("{url}nope")])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(wait_until(Duration::from_secs(5), || lines(&log).len() >= 2));
    let entries: Vec<serde_json::Value> = lines(&log)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let statuses: Vec<u64> = entries
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 404]);
    for e in &entries {
        assert_eq!(e["pid"].as_i64(), Some(i64::from(worker.as_raw())));
        assert_eq!(e["remote"], "127.0.0.1");
        assert_eq!(e["referer"], "ref\"q");
        assert!(e["duration_ms"].as_f64().unwrap() >= 0.0);
    }
    // The first request went out as HTTP/1.1 with an h2c upgrade: stream
    // 1 of the upgraded connection; the second is stream 3.
    assert_eq!(entries[1]["protocol"], "HTTP/2.0");
    assert_eq!(entries[1]["stream"], 3);
}

#[test]
fn usr1_after_a_rename_writes_new_lines_to_a_new_file() {
    let (dir, config) = config("combined");
    let log = dir.join("access.log");
    let rotated = dir.join("access.log.1");
    let s = Server::builder(&config).dir(dir).start();
    assert_eq!(s.get("/site/").status, 200);
    assert!(wait_until(Duration::from_secs(5), || lines(&log).len() == 1));
    std::fs::rename(&log, &rotated).unwrap();
    s.signal(Signal::SIGUSR1);
    assert!(wait_until(Duration::from_secs(5), || log.exists()));
    assert!(wait_until(Duration::from_secs(5), || {
        s.get("/site/nope");
        !lines(&log).is_empty()
    }));
    assert_eq!(lines(&rotated).len(), 1, "the old file keeps its line");
    assert!(lines(&log)[0].contains("/site/nope"), "{:?}", lines(&log));
}
