//! HTTP/2 through a real Rust client (the `h2` crate, over h2c with prior
//! knowledge): many concurrent streams on one connection, and large bodies
//! both ways through flow control.
#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use http::Request;
use support::{Server, TempDir};
use tokio::net::TcpStream;

type Client = h2::client::SendRequest<Bytes>;

async fn connect(addr: &str) -> Client {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// Read a whole response body, returning the flow-control credit as it
/// goes, as an application consuming the body would.
async fn body_len(mut body: h2::RecvStream) -> (usize, Vec<u8>) {
    let mut total = 0;
    let mut head = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        total += chunk.len();
        if head.len() < 256 {
            head.extend_from_slice(&chunk[..chunk.len().min(256)]);
        }
        body.flow_control().release_capacity(chunk.len()).unwrap();
    }
    (total, head)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_hundred_concurrent_streams_on_one_connection_all_succeed() {
    let s = Server::start(&support::config(1, ""));
    let addr = s.addr.clone();
    rt().block_on(async move {
        let client = connect(&addr).await;
        let mut client = client.ready().await.unwrap();
        let mut pending = Vec::new();
        for i in 0..100 {
            let req = Request::get(format!("http://{addr}/stream/{i}"))
                .body(())
                .unwrap();
            let (resp, _) = client.send_request(req, true).unwrap();
            pending.push(resp);
            client = client.ready().await.unwrap();
        }
        let mut ok = 0;
        for resp in pending {
            let resp = resp.await.unwrap();
            assert_eq!(resp.status(), 200);
            let (_, head) = body_len(resp.into_body()).await;
            assert!(String::from_utf8_lossy(&head).contains("protocol=HTTP/2"));
            ok += 1;
        }
        assert_eq!(ok, 100);
    });
}

#[test]
fn a_10_mb_upload_and_a_10_mb_download_pass_through_flow_control() {
    const SIZE: usize = 10 * 1024 * 1024;
    let dir = TempDir::new("h2big");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    let content: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.join("www/big.bin"), &content).unwrap();
    let config = support::config(1, "").replace(
        "[log]",
        "[[route]]\npath = \"/files/\"\nroot = \"www\"\n\n[log]",
    );
    let s = Server::builder(&config).dir(dir).start();
    let addr = s.addr.clone();
    rt().block_on(async move {
        let client = connect(&addr).await;
        // Upload: 10 MB sent as the server's windows allow.
        let mut client = client.ready().await.unwrap();
        let req = Request::post(format!("http://{addr}/upload"))
            .body(())
            .unwrap();
        let (resp, mut send) = client.send_request(req, false).unwrap();
        let mut sent = 0;
        let chunk = Bytes::from(vec![7u8; 64 * 1024]);
        while sent < SIZE {
            send.reserve_capacity(chunk.len());
            let cap = std::future::poll_fn(|cx| send.poll_capacity(cx))
                .await
                .unwrap()
                .unwrap();
            let n = cap.min(SIZE - sent).min(chunk.len());
            send.send_data(chunk.slice(..n), sent + n == SIZE).unwrap();
            sent += n;
        }
        let resp = resp.await.unwrap();
        assert_eq!(resp.status(), 200);
        let (_, head) = body_len(resp.into_body()).await;
        let text = String::from_utf8_lossy(&head).into_owned();
        assert!(text.contains(&format!("received={SIZE}")), "{text}");
        // Download: 10 MB received as we release credit.
        let mut client = client.ready().await.unwrap();
        let req = Request::get(format!("http://{addr}/files/big.bin"))
            .body(())
            .unwrap();
        let (resp, _) = client.send_request(req, true).unwrap();
        let resp = resp.await.unwrap();
        assert_eq!(resp.status(), 200);
        let mut body = resp.into_body();
        let mut got = Vec::with_capacity(SIZE);
        while let Some(chunk) = body.data().await {
            let chunk = chunk.unwrap();
            got.extend_from_slice(&chunk);
            body.flow_control().release_capacity(chunk.len()).unwrap();
        }
        assert_eq!(got.len(), SIZE);
        assert!(got == content, "the download matches the file");
    });
}
