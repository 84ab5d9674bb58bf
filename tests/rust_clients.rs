//! Interop with Rust's HTTP clients against the real binary: hyper's
//! HTTP/1.1 client (keep-alive, a POST, HEAD, the h2c upgrade), pipelined
//! HTTP/1.1 read back with httparse, and HTTP/2 (the `h2` crate) and
//! HTTP/1.1 (hyper) over TLS (tokio-rustls, trusting the generated
//! self-signed certificate through a root store) as ALPN chooses; and the
//! configured TLS handshake deadline. The `h2` crate over h2c by prior
//! knowledge, with many streams and large bodies, is in `h2_client.rs`.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bicorn::h2::frame::FrameType;
use bicorn::hpack::HeaderList;
use bytes::Bytes;
use http::{Request, StatusCode, Version};
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use support::h2client::RawClient;
use support::{Server, TempDir};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

type Sender = http1::SendRequest<Full<Bytes>>;

/// hyper's HTTP/1.1 client on one connection (TCP or TLS); the task
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

/// One worker, a cleartext listener and a TLS one (on 127.0.0.2: two
/// listeners may not share an address, port 0 included) serving the
/// generated self-signed certificate, kept in the server's `state/`;
/// `http` is the body of the `[http]` table.
fn tls_config(http: &str) -> String {
    format!(
        "workers = 1\ntimeout = 5\nshutdown_timeout = 10\nupgrade_timeout = 20\n\
         state_dir = \"state\"\n\n\
         [[listen]]\naddress = \"127.0.0.1:0\"\n\n\
         [[listen]]\naddress = \"127.0.0.2:0\"\ntls = \"self-signed\"\n\n\
         [http]\n{http}\n[log]\nlevel = \"debug\"\n"
    )
}

/// The TLS listener's address (the second `[[listen]]`).
fn tls_addr(s: &Server) -> String {
    s.listen_addrs()[1].clone()
}

/// A TLS connection to the server's TLS listener that trusts only its
/// generated certificate (as a root, verified for `localhost`) and
/// offers `alpn`.
async fn tls_connect(s: &Server, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
    let ca = s.dir.join("state/self-signed.pem");
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    assert!(!roots.is_empty(), "no certificate in {}", ca.display());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(tls_addr(s)).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap()
}

#[test]
fn h2_crate_over_tls_gets_h2_by_alpn_and_concurrent_streams_all_succeed() {
    let s = Server::start(&tls_config(""));
    let port = tls_addr(&s).rsplit(':').next().unwrap().to_string();
    rt().block_on(async {
        let tls = tls_connect(&s, &[b"h2"]).await;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (client, conn) = h2::client::handshake(tls).await.unwrap();
        tokio::spawn(async move {
            let _ = conn.await;
        });
        // Every request is sent before any response is read: the streams
        // are open together. Odd ones are POSTs with i octets.
        let mut client = client.ready().await.unwrap();
        let mut pending = Vec::new();
        for i in 0..20usize {
            let uri = format!("https://localhost:{port}/stream/{i}");
            let (method, end) = if i % 2 == 1 {
                ("POST", false)
            } else {
                ("GET", true)
            };
            let req = Request::builder().method(method).uri(uri).body(()).unwrap();
            let (resp, mut body) = client.send_request(req, end).unwrap();
            if !end {
                body.send_data(Bytes::from(vec![b'x'; i]), true).unwrap();
            }
            pending.push((i, resp));
            client = client.ready().await.unwrap();
        }
        for (i, resp) in pending {
            let resp = resp.await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "stream {i}");
            assert_eq!(resp.version(), Version::HTTP_2);
            let mut body = resp.into_body();
            let mut got = Vec::new();
            while let Some(chunk) = body.data().await {
                let chunk = chunk.unwrap();
                got.extend_from_slice(&chunk);
                body.flow_control().release_capacity(chunk.len()).unwrap();
            }
            let got = String::from_utf8_lossy(&got).into_owned();
            assert!(got.contains("protocol=HTTP/2"), "stream {i}: {got}");
            if i % 2 == 1 {
                assert!(
                    got.contains(&format!("received={i}\n")),
                    "stream {i}: {got}"
                );
            }
        }
    });
}

#[test]
fn hyper_http1_over_tls_is_served_when_alpn_asks_for_http11_or_names_nothing() {
    let s = Server::start(&tls_config(""));
    rt().block_on(async {
        for (offer, chosen) in [
            (&[&b"http/1.1"[..]][..], Some(&b"http/1.1"[..])),
            (&[][..], None),
        ] {
            let tls = tls_connect(&s, offer).await;
            assert_eq!(tls.get_ref().1.alpn_protocol(), chosen);
            let (mut send, conn) = hyper_http1(tls).await;
            let (get, got) = exchange(&mut send, "GET", "/", b"").await;
            assert_eq!(get.status, StatusCode::OK, "{chosen:?}");
            assert!(
                text(&got).contains("protocol=HTTP/1.1"),
                "{chosen:?}: {}",
                text(&got)
            );
            let (post, got) = exchange(&mut send, "POST", "/", b"over tls").await;
            assert_eq!(post.status, StatusCode::OK, "{chosen:?}");
            assert!(
                text(&got).contains("received=8"),
                "{chosen:?}: {}",
                text(&got)
            );
            drop(send);
            conn.await.unwrap();
        }
    });
}

/// Whether `sock` is still open at `until`: a read that times out means
/// open, end of stream or a reset means closed.
fn open_at(sock: &mut std::net::TcpStream, until: Instant) -> bool {
    let wait = until
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    sock.set_read_timeout(Some(wait)).unwrap();
    let mut byte = [0u8; 1];
    match sock.read(&mut byte) {
        Ok(0) => false,
        Ok(_) => panic!("the server sent something to a silent TLS client"),
        Err(e) => matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[test]
fn tls_handshake_timeout_closes_stalled_handshakes_while_a_finished_one_is_served() {
    let s = Server::start(&tls_config("tls_handshake_timeout = 1\n"));
    let connected = Instant::now();
    let mut silent = std::net::TcpStream::connect(tls_addr(&s)).unwrap();
    let mut halfway = std::net::TcpStream::connect(tls_addr(&s)).unwrap();
    halfway.write_all(&[0x16, 0x03, 0x01]).unwrap(); // a record header, cut short

    // The server accepted them after `connected`: at half the timeout
    // they are still open.
    let half = connected + Duration::from_millis(500);
    assert!(open_at(&mut silent, half), "silent client closed early");
    assert!(open_at(&mut halfway, half), "halfway client closed early");

    // Meanwhile a client that completes its handshake is served.
    let rt = rt();
    let (mut send, conn) = rt.block_on(async {
        let tls = tls_connect(&s, &[b"http/1.1"]).await;
        let (mut send, conn) = hyper_http1(tls).await;
        let (get, _) = exchange(&mut send, "GET", "/before", b"").await;
        assert_eq!(get.status, StatusCode::OK);
        (send, conn)
    });
    // It was accepted before this: its own handshake deadline, were it
    // still armed, falls before `served + 1 s`.
    let served = Instant::now();

    // Closed well before the 10 s default, so a setting that did not
    // reach the worker fails here.
    let by = connected + Duration::from_secs(5);
    assert!(!open_at(&mut silent, by), "silent client still open");
    assert!(!open_at(&mut halfway, by), "halfway client still open");
    assert!(
        s.log.wait_for_n(
            "TLS handshake not finished in time",
            2,
            Duration::from_secs(5)
        ),
        "{}",
        s.log.text()
    );

    // The deadline ends with the handshake: the served client, idle past
    // where its deadline would be, is answered again. (Nothing happens
    // to wait for here, so this is a plain sleep.)
    std::thread::sleep(
        (served + Duration::from_millis(1500)).saturating_duration_since(Instant::now()),
    );
    rt.block_on(async {
        let (get, _) = exchange(&mut send, "GET", "/after", b"").await;
        assert_eq!(get.status, StatusCode::OK);
        drop(send);
        conn.await.unwrap();
    });
}
