//! Hostile or broken clients get a clean answer or a closed connection,
//! never a hang, and other clients are served meanwhile.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bicorn::h2::StreamId;
use bicorn::h2::frame::{FrameType, SettingId, SettingsFrame, WindowUpdate};
use support::h2client::RawClient;
use support::{Server, TempDir};

fn with_http(config: String, http: &str) -> String {
    config.replace("[log]", &format!("[http]\n{http}\n\n[log]"))
}

/// Read until EOF (or error); how long it took.
fn closed_within(sock: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    sock.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match sock.read(&mut buf) {
            Ok(0) => return Some(started.elapsed()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(started.elapsed());
            }
            Err(_) => return None,
        }
    }
}

#[test]
fn garbage_bytes_get_a_400_and_a_close() {
    let s = Server::start(&support::config(1, ""));
    let mut sock = TcpStream::connect(&s.addr).unwrap();
    sock.write_all(b"\x00\x01\x02 garbage \xff\xfe\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = sock.read_to_string(&mut text);
    assert!(text.starts_with("HTTP/1.1 400"), "{text:?}");
    assert!(text.contains("connection: close"), "{text:?}");
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn a_truncated_http2_preface_is_closed_at_the_header_deadline() {
    let s = Server::start(&with_http(support::config(1, ""), "header_timeout = 1"));
    let mut sock = TcpStream::connect(&s.addr).unwrap();
    sock.write_all(b"PRI * HTTP/2.0\r\n").unwrap();
    let closed = closed_within(&mut sock, Duration::from_secs(10));
    println!("truncated preface closed after {closed:?} (header_timeout 1 s)");
    assert!(closed.is_some(), "a truncated preface held the connection");
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn an_http2_client_that_never_reads_is_freed_at_the_write_deadline() {
    // A 1 MiB file, and a client that opens its windows wide, asks for it
    // many times and never reads: our writes stall once the socket
    // buffers are full, and write_timeout frees the connection.
    let dir = TempDir::new("h2stall");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::write(dir.join("www/big.bin"), vec![1u8; 1 << 20]).unwrap();
    let config = with_http(
        support::config(1, "").replace("[log]", "[[route]]\npath = \"/\"\nroot = \"www\"\n\n[log]"),
        "write_timeout = 1",
    );
    let s = Server::builder(&config).dir(dir).start();
    let mut c = RawClient::connect(&s.addr);
    c.send(|b| {
        SettingsFrame::new(&[(SettingId::INITIAL_WINDOW_SIZE, (1 << 31) - 1)]).encode(b);
        WindowUpdate::new(StreamId::CONNECTION, (1 << 31) - 1 - 65_535).encode(b);
    });
    for i in 0..64 {
        c.get(1 + 2 * i, "/big.bin");
    }
    std::thread::sleep(Duration::from_secs(4));
    // Now read everything: a freed connection ends well short of 64 MiB.
    let mut received = 0usize;
    let started = Instant::now();
    while let Some((kind, _, _, payload)) = c.next_frame() {
        if kind == FrameType::DATA {
            received += payload.len();
        }
        if started.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    println!(
        "a non-reading HTTP/2 client got {} KiB of 64 MiB before being closed",
        received / 1024
    );
    assert!(
        received < 64 << 20,
        "the stalled connection was never closed"
    );
    assert_eq!(s.get("/big.bin").status, 200, "the worker still serves");
}
