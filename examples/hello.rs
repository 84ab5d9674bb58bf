//! The smallest bicorn app: `cargo run --example hello -- -c examples/hello.toml`,
//! then `curl http://127.0.0.1:8080/`.
//!
//! It shows the App API's pieces: a handler over `http` types, a request
//! body, a blocking handler (`/sleep?ms=N`, which holds only its own
//! thread), a panicking one (`/panic`, answered 500 while the worker keeps
//! serving), a file body, and the per-worker hooks.

use std::process::ExitCode;
use std::time::Duration;

use bicorn::app::api::{App, RequestBody, ResponseBody, Server, WorkerInfo};
use bicorn::http::{Request, Response, StatusCode};

struct Hello;

impl App for Hello {
    fn call(&self, req: Request<RequestBody>) -> Response<ResponseBody> {
        let pid = std::process::id();
        match req.uri().path() {
            "/" | "/hello" => text(format!(
                "hello from bicorn (worker pid={pid} {:?})\n",
                req.version()
            )),
            "/echo" => {
                let body = req.into_body().into_bytes();
                Response::builder()
                    .header("content-type", "application/octet-stream")
                    .header("x-echo-length", body.len().to_string())
                    .body(ResponseBody::bytes(body))
                    .expect("valid response")
            }
            "/sleep" => {
                let ms = query(&req, "ms").unwrap_or(1000).min(60_000);
                std::thread::sleep(Duration::from_millis(ms));
                text(format!("slept {ms} ms (worker pid={pid} )\n"))
            }
            "/panic" => panic!("the /panic route panics on purpose"),
            "/trailers" => {
                // Echo the request's trailers back as response trailers,
                // after a body streamed in two chunks.
                let echoed: Vec<(String, String)> = req
                    .body()
                    .trailers()
                    .into_iter()
                    .flatten()
                    .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                Response::builder()
                    .header("content-type", "text/plain; charset=utf-8")
                    .body(ResponseBody::stream(move |w| {
                        w.send("first chunk\n")?;
                        w.send("second chunk\n")?;
                        for (n, v) in &echoed {
                            w.trailer(&format!("echo-{n}"), v);
                        }
                        w.trailer("x-chunks", "2");
                        Ok(())
                    }))
                    .expect("valid response")
            }
            "/source" => {
                match std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/", file!())) {
                    Ok(f) => Response::builder()
                        .header("content-type", "text/plain; charset=utf-8")
                        .body(ResponseBody::file(f))
                        .expect("valid response"),
                    Err(_) => status(StatusCode::NOT_FOUND),
                }
            }
            _ => status(StatusCode::NOT_FOUND),
        }
    }

    fn after_fork(&self, w: &WorkerInfo) {
        log::info!(
            "hello: after_fork in worker {} (pid {}, generation {})",
            w.slot,
            w.pid,
            w.generation
        );
    }

    fn before_exit(&self, w: &WorkerInfo) {
        log::info!("hello: before_exit in worker {} (pid {})", w.slot, w.pid);
    }
}

fn text(s: String) -> Response<ResponseBody> {
    Response::builder()
        .header("content-type", "text/plain; charset=utf-8")
        .body(ResponseBody::from(s))
        .expect("valid response")
}

fn status(code: StatusCode) -> Response<ResponseBody> {
    Response::builder()
        .status(code)
        .header("content-type", "text/plain; charset=utf-8")
        .body(ResponseBody::from(format!("{code}\n")))
        .expect("valid response")
}

fn query(req: &Request<RequestBody>, key: &str) -> Option<u64> {
    req.uri().query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.parse().ok()).flatten()
    })
}

fn main() -> ExitCode {
    Server::new().app("hello", Hello).run()
}
