//! Server-Sent Events with bicorn: `cargo run --example sse -- -c examples/sse.toml`,
//! open http://127.0.0.1:8080/ in a browser, or:
//!
//! ```text
//! curl -N http://127.0.0.1:8080/events &
//! curl -d 'hello' http://127.0.0.1:8080/publish
//! ```
//!
//! Each subscriber holds one handler thread (`[app] threads` bounds them)
//! while its stream is open; every event is written, and so sent, the
//! moment it is published. Subscribers and publishers meet within one
//! worker process (run it with `workers = 1`, or put a broker between
//! workers in a real application).

use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc::{RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bicorn::app::api::{App, RequestBody, ResponseBody, Server};
use bicorn::http::{Method, Request, Response, StatusCode};

/// How often an idle stream sends a comment, which also notices a
/// client that has gone away.
const KEEPALIVE: Duration = Duration::from_secs(15);

#[derive(Default)]
struct Events {
    subscribers: Arc<Mutex<Vec<SyncSender<String>>>>,
}

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8"><title>bicorn SSE</title>
<h1>bicorn Server-Sent Events</h1>
<form onsubmit="fetch('/publish',{method:'POST',body:m.value});m.value='';return false">
<input id="m" placeholder="say something"> <button>publish</button></form>
<ul id="log"></ul>
<script>
new EventSource('/events').onmessage = e => {
  const li = document.createElement('li'); li.textContent = e.data; log.append(li);
};
</script>
"#;

impl App for Events {
    fn call(&self, req: Request<RequestBody>) -> Response<ResponseBody> {
        match (req.method(), req.uri().path()) {
            (&Method::GET, "/") => Response::builder()
                .header("content-type", "text/html; charset=utf-8")
                .body(ResponseBody::from(PAGE))
                .expect("valid response"),
            (&Method::GET, "/events") => self.subscribe(),
            (&Method::POST, "/publish") => {
                let text = String::from_utf8_lossy(req.body().bytes()).into_owned();
                let delivered = self.publish(&text);
                Response::builder()
                    .header("content-type", "text/plain; charset=utf-8")
                    .body(ResponseBody::from(format!("delivered to {delivered}\n")))
                    .expect("valid response")
            }
            _ => Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body(ResponseBody::from("not found\n"))
                .expect("valid response"),
        }
    }
}

impl Events {
    fn subscribe(&self) -> Response<ResponseBody> {
        let (tx, rx) = sync_channel::<String>(64);
        self.subscribers.lock().expect("not poisoned").push(tx);
        Response::builder()
            .header("content-type", "text/event-stream")
            .header("cache-control", "no-cache")
            .body(ResponseBody::stream(move |out| {
                // Tell the client it is subscribed before any event.
                out.write_all(b": subscribed\n\n")?;
                loop {
                    match rx.recv_timeout(KEEPALIVE) {
                        Ok(text) => {
                            let mut event = String::new();
                            for line in text.lines() {
                                event.push_str("data: ");
                                event.push_str(line);
                                event.push('\n');
                            }
                            event.push('\n');
                            out.write_all(event.as_bytes())?;
                        }
                        Err(RecvTimeoutError::Timeout) => out.write_all(b": keepalive\n\n")?,
                        Err(RecvTimeoutError::Disconnected) => return Ok(()),
                    }
                }
            }))
            .expect("valid response")
    }

    /// Send `text` to every live subscriber; returns how many got it.
    fn publish(&self, text: &str) -> usize {
        let mut subs = self.subscribers.lock().expect("not poisoned");
        subs.retain(|tx| tx.try_send(text.to_string()).is_ok());
        subs.len()
    }
}

fn main() -> ExitCode {
    Server::new().app("events", Events::default()).run()
}
