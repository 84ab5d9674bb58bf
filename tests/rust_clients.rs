//! Interop with Rust's HTTP clients against the real binary: hyper's
//! HTTP/1.1 client (keep-alive, a POST, HEAD, the h2c upgrade) and
//! pipelined HTTP/1.1 read back with httparse. The `h2` crate over h2c by
//! prior knowledge, with many streams and large bodies, is in
//! `h2_client.rs`.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use bicorn::h2::frame::FrameType;
use bicorn::hpack::HeaderList;
use bytes::Bytes;
use http::{Request, StatusCode, Version};
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use support::h2client::RawClient;
use support::{Server, TempDir};
use tokio::net::TcpStream;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

type Sender = http1::SendRequest<Full<Bytes>>;

/// hyper's HTTP/1.1 client on one connection; the task
/// driving the connection ends when the connection does.
async fn hyper_http1<T>(io: T) -> (Sender, tokio::task::JoinHandle<()>)
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, conn) = http1::handshake(TokioIo::new(io)).await.unwrap();
    let task = tokio::spawn(async move {
        conn.await.unwrap();
    });
    (send, task)
}

/// One request on `send`'s connection; the response head and whole body.
async fn exchange(
    send: &mut Sender,
    method: &str,
    path: &str,
    body: &'static [u8],
) -> (http::response::Parts, Bytes) {
    send.ready()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: the connection is gone: {e}"));
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "test")
        .body(Full::new(Bytes::from_static(body)))
        .unwrap();
    let resp = send
        .send_request(req)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let (parts, body) = resp.into_parts();
    (parts, body.collect().await.unwrap().to_bytes())
}

fn text(body: &Bytes) -> String {
    String::from_utf8_lossy(body).into_owned()
}

fn header<'a>(parts: &'a http::response::Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

#[test]
fn hyper_http1_client_sends_get_post_head_and_get_over_one_kept_alive_connection() {
    let s = Server::start(&support::config(1, ""));
    rt().block_on(async {
        let tcp = TcpStream::connect(&s.addr).await.unwrap();
        // One handshake on one socket: hyper cannot reconnect behind our
        // back, so a server that closed after any response fails the next
        // request here.
        let (mut send, conn) = hyper_http1(tcp).await;

        let (get, got) = exchange(&mut send, "GET", "/first", b"").await;
        assert_eq!(
            (get.status, get.version),
            (StatusCode::OK, Version::HTTP_11)
        );
        assert!(text(&got).contains("protocol=HTTP/1.1"), "{}", text(&got));
        assert_eq!(header(&get, "connection"), None, "{get:?}");

        let (post, got) = exchange(&mut send, "POST", "/upload", b"hello world").await;
        assert_eq!(post.status, StatusCode::OK);
        assert!(text(&got).contains("received=11"), "{}", text(&got));

        // HEAD: the GET's length, no body. A body sent anyway would be
        // read as the next response and break the GET after it.
        let (head, got) = exchange(&mut send, "HEAD", "/first", b"").await;
        let get_len = header(&get, "content-length").unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(header(&head, "content-length"), Some(get_len));
        assert!(got.is_empty(), "{got:?}");

        let (again, got) = exchange(&mut send, "GET", "/last", b"").await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(got.len().to_string(), get_len);
        assert_eq!(header(&again, "connection"), None, "{again:?}");
        assert!(!conn.is_finished(), "the connection is still open");
        drop(send);
        conn.await.unwrap();
    });
}

/// What one pipelined request expects back.
#[derive(Debug)]
enum Expect {
    /// A 200 with exactly this body.
    Body(String),
    /// A 200 whose body contains this.
    Contains(String),
    /// A 200 to HEAD: this content-length and no body.
    Head(usize),
}

#[test]
fn pipelined_requests_in_one_write_are_answered_in_order() {
    const N: usize = 15;
    let dir = TempDir::new("pipeline");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    for i in 0..N {
        std::fs::write(dir.join(&format!("www/{i}.txt")), format!("file {i}\n")).unwrap();
    }
    let config = support::config(1, "").replace(
        "[log]",
        "[[route]]\npath = \"/files/\"\nroot = \"www\"\n\n[log]",
    );
    let s = Server::builder(&config).dir(dir).start();

    // GET, POST and HEAD in turn, each told apart by its path or size.
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for i in 0..N {
        match i % 3 {
            0 => {
                write!(wire, "GET /files/{i}.txt HTTP/1.1\r\nhost: t\r\n\r\n").unwrap();
                expected.push(Expect::Body(format!("file {i}\n")));
            }
            1 => {
                let n = i * 100;
                write!(
                    wire,
                    "POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: {n}\r\n\r\n"
                )
                .unwrap();
                wire.extend(std::iter::repeat_n(b'x', n));
                expected.push(Expect::Contains(format!("received={n}\n")));
            }
            _ => {
                write!(wire, "HEAD /files/{i}.txt HTTP/1.1\r\nhost: t\r\n\r\n").unwrap();
                expected.push(Expect::Head(format!("file {i}\n").len()));
            }
        }
    }
    let mut sock = std::net::TcpStream::connect(&s.addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    sock.write_all(&wire).unwrap();

    let mut buf = Vec::new();
    for (i, expect) in expected.iter().enumerate() {
        // Parse one response off the front of `buf`, reading more as
        // needed.
        let (status, head_len, content_length) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(head_len) = resp.parse(&buf).unwrap() {
                let length = resp
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .map(|h| {
                        std::str::from_utf8(h.value)
                            .unwrap()
                            .parse::<usize>()
                            .unwrap()
                    })
                    .unwrap_or_else(|| panic!("response {i} has no content-length"));
                break (resp.code, head_len, length);
            }
            read_more(&mut sock, &mut buf, i);
        };
        assert_eq!(status, Some(200), "response {i}");
        let body_len = match expect {
            Expect::Head(_) => 0,
            _ => content_length,
        };
        while buf.len() < head_len + body_len {
            read_more(&mut sock, &mut buf, i);
        }
        let body = String::from_utf8_lossy(&buf[head_len..head_len + body_len]).into_owned();
        match expect {
            Expect::Body(want) => assert_eq!(&body, want, "response {i}"),
            Expect::Contains(want) => assert!(body.contains(want), "response {i}: {body}"),
            Expect::Head(len) => assert_eq!(content_length, *len, "response {i}"),
        }
        buf.drain(..head_len + body_len);
    }
    assert!(buf.is_empty(), "bytes after the last response: {buf:?}");
}

/// Append what the socket has to `buf`; a close before response `i` is
/// complete fails the test.
fn read_more(sock: &mut std::net::TcpStream, buf: &mut Vec<u8>, i: usize) {
    let mut chunk = [0u8; 16384];
    match sock.read(&mut chunk) {
        Ok(0) => panic!("closed before response {i} was complete"),
        Ok(n) => buf.extend_from_slice(&chunk[..n]),
        Err(e) => panic!("reading response {i}: {e}"),
    }
}

#[test]
fn hyper_upgrade_to_h2c_gets_101_and_the_response_on_stream_1() {
    let s = Server::start(&support::config(1, ""));
    let (sock, already_read) = rt().block_on(async {
        let tcp = TcpStream::connect(&s.addr).await.unwrap();
        let (mut send, conn) = http1::handshake(TokioIo::new(tcp)).await.unwrap();
        tokio::spawn(async move {
            let _ = conn.with_upgrades().await;
        });
        // RFC 7540 §3.2: the upgrade request names Upgrade and
        // HTTP2-Settings in Connection; HTTP2-Settings is a SETTINGS
        // payload in base64url (here MAX_CONCURRENT_STREAMS = 100).
        let req = Request::get("/upgraded")
            .header("host", "test")
            .header("connection", "Upgrade, HTTP2-Settings")
            .header("upgrade", "h2c")
            .header("http2-settings", "AAMAAABk")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let mut resp = send.send_request(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(
            resp.headers().get("upgrade").map(|v| v.as_bytes()),
            Some(&b"h2c"[..])
        );
        let upgraded = hyper::upgrade::on(&mut resp).await.unwrap();
        let parts = upgraded
            .downcast::<TokioIo<TcpStream>>()
            .unwrap_or_else(|_| panic!("the upgraded connection is our socket"));
        let sock = parts.io.into_inner().into_std().unwrap();
        (sock, parts.read_buf.to_vec())
    });
    sock.set_nonblocking(false).unwrap();
    // The client's preface follows the 101 (RawClient sends it); the
    // server answers the upgraded request on stream 1, half-closed by the
    // client from the start.
    let mut c = RawClient::over(sock, &already_read);
    let (_, stream, block) = c.until(FrameType::HEADERS);
    assert_eq!(stream, 1);
    let mut list = HeaderList::new();
    c.dec.decode(&block, &mut list).unwrap();
    let status = list.get(0).unwrap();
    assert_eq!((status.name, status.value), (&b":status"[..], &b"200"[..]));
    let (_, stream, body) = c.until(FrameType::DATA);
    assert_eq!(stream, 1);
    let body = String::from_utf8_lossy(&body).into_owned();
    assert!(body.contains("protocol=HTTP/2"), "{body}");
}
