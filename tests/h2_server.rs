//! HTTP/2 in the worker, checked from outside: h2c with prior knowledge
//! on the same port as HTTP/1.1, with real clients (curl, nghttp, h2load,
//! installed by .ci/run) and a raw client built on bicorn's own frame
//! layer for the drain sequence.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;
use std::time::Duration;

use bicorn::h2::StreamId;
use bicorn::h2::frame::{Data, FrameType, Ping};
use bicorn::hpack::HeaderList;
use nix::sys::signal::Signal;
use support::h2client::RawClient;
use support::{Server, body_pid, tool};

fn run(cmd: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(cmd).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn curl_with_prior_knowledge_gets_http2_and_http11_shares_the_port() {
    if !tool("curl") {
        return;
    }
    let s = Server::start(&support::config(1, ""));
    let url = format!("http://{}/", s.addr);
    let (ok, body) = run("curl", &["-sS", "--http2-prior-knowledge", &url]);
    assert!(ok && body.contains("protocol=HTTP/2"), "{body}");
    let (ok, body) = run(
        "curl",
        &["-sS", "--http2-prior-knowledge", "-d", "hello", &url],
    );
    assert!(ok && body.contains("received=5"), "{body}");
    let (ok, body) = run("curl", &["-sS", "--http1.1", &url]);
    assert!(ok && body.contains("protocol=HTTP/1.1"), "{body}");
}

#[test]
fn nghttp_exchanges_settings_and_gets_a_response() {
    if !tool("nghttp") {
        return;
    }
    let s = Server::start(&support::config(1, ""));
    let (ok, out) = run("nghttp", &["-nv", &format!("http://{}/", s.addr)]);
    assert!(ok, "{out}");
    assert!(out.contains("recv SETTINGS frame"), "{out}");
    // nghttp first builds RFC 7540 priority groups on idle streams 3-11,
    // then requests on stream 13.
    assert!(out.contains(":status: 200"), "{out}");
    assert!(out.contains("send PRIORITY frame"), "{out}");
}

#[test]
fn h2load_20000_requests_over_h2c_all_succeed() {
    if !tool("h2load") {
        return;
    }
    let s = Server::start(&support::config(2, ""));
    let (ok, out) = run(
        "h2load",
        &[
            "-n",
            "20000",
            "-c",
            "20",
            "-m",
            "10",
            &format!("http://{}/", s.addr),
        ],
    );
    println!("{out}");
    assert!(ok, "{out}");
    assert!(
        out.contains("20000 total, 20000 started, 20000 done, 20000 succeeded, 0 failed, 0 errored, 0 timeout"),
        "{out}"
    );
}

#[test]
fn quit_drains_http2_with_two_goaways_and_finishes_the_stream_in_flight() {
    let mut s = Server::start(&support::config(1, ""));
    let worker = s.wait_workers(1, Duration::from_secs(5))[0];
    let mut c = RawClient::connect(&s.addr);
    c.until(FrameType::SETTINGS);
    c.post_head(1);
    c.send(|b| Data::new(StreamId::new(1), b"hello ").encode(b));
    std::thread::sleep(Duration::from_millis(200));
    s.signal(Signal::SIGQUIT);
    // RFC 9113 §6.8: first GOAWAY with 2^31-1, then a PING.
    let (_, _, first) = c.until(FrameType::GOAWAY);
    assert_eq!(&first[..4], &[0x7f, 0xff, 0xff, 0xff]);
    let (flags, _, opaque) = c.until(FrameType::PING);
    assert_eq!(flags & 1, 0, "a PING, not an ACK");
    let mut data = [0u8; 8];
    data.copy_from_slice(&opaque);
    c.send(|b| Ping::new(data).ack().encode(b));
    let (_, _, last) = c.until(FrameType::GOAWAY);
    assert_eq!(&last[..4], &[0, 0, 0, 1], "the real last stream id");
    // The stream in flight still completes.
    c.send(|b| Data::new(StreamId::new(1), b"world").end_stream().encode(b));
    let (_, stream, block) = c.until(FrameType::HEADERS);
    assert_eq!(stream, 1);
    let mut list = HeaderList::new();
    c.dec.decode(&block, &mut list).unwrap();
    assert_eq!(list.get(0).map(|f| f.value.to_vec()), Some(b"200".to_vec()));
    let (_, _, body) = c.until(FrameType::DATA);
    let body = String::from_utf8_lossy(&body).into_owned();
    assert!(body.contains("received=11"), "{body}");
    assert_eq!(body_pid(&body), Some(worker.as_raw()));
    assert_eq!(
        s.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        s.log.text()
    );
}

#[test]
fn curl_http2_upgrades_a_get_to_h2c_and_keeps_a_post_on_http11() {
    if !tool("curl") {
        return;
    }
    let s = Server::start(&support::config(1, ""));
    let url = format!("http://{}/", s.addr);
    // RFC 7540 §3.2: Upgrade: h2c with HTTP2-Settings; 101; the response
    // to the upgraded request comes on stream 1.
    let (ok, out) = run(
        "curl",
        &["-sS", "--http2", "-w", " [%{http_version}]", &url],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("protocol=HTTP/2") && out.ends_with("[2]"),
        "{out}"
    );
    // A request with a body is not upgraded (we do not carry a body
    // across the switch); it is served over HTTP/1.1.
    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            "--http2",
            "-d",
            "hi",
            "-w",
            " [%{http_version}]",
            &url,
        ],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("protocol=HTTP/1.1 received=2") && out.ends_with("[1.1]"),
        "{out}"
    );
}

#[test]
fn clients_that_close_right_after_their_last_frame_are_let_go_at_once() {
    use bicorn::h2::ErrorCode;
    use bicorn::h2::conn::PREFACE;
    use bicorn::h2::frame::{GoAway, SettingsFrame};
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpStream};

    let s = Server::start(&support::config(1, ""));
    s.wait_workers(1, Duration::from_secs(5));
    let mut hello = PREFACE.to_vec();
    SettingsFrame::new(&[]).encode(&mut hello);
    let mut bye = Vec::new();
    SettingsFrame::ack().encode(&mut bye);
    GoAway::new(StreamId::new(0), ErrorCode::NO_ERROR).encode(&mut bye);
    let clients: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut c = TcpStream::connect(&s.addr).unwrap();
            c.write_all(&hello).unwrap();
            // The server's SETTINGS: the connection is HTTP/2 now.
            let mut settings = [0u8; 9];
            c.read_exact(&mut settings).unwrap();
            c
        })
        .collect();
    // The last frames and the FIN back to back, as h2load ends its
    // connections: the FIN often arrives with them, in one readiness
    // event.
    for mut c in &clients {
        c.write_all(&bye).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
    }
    // The worker closes each connection then, not at the keep-alive
    // timeout (75 s): each client reads to the end within seconds.
    for mut c in clients {
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut rest = Vec::new();
        c.read_to_end(&mut rest)
            .expect("the worker closes a connection whose client closed");
    }
}
