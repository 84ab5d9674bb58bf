//! A worker's handler threads: jobs in from the event loop, completions
//! back through a channel and a `mio::Waker`.
//!
//! The event loop never waits on a handler. A panic in a handler is
//! caught and answered with 500 (the thread lives on); a panic in a
//! stream producer aborts that response only.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::body::{BodyWriter, Kind, StreamReceiver};
use super::{App, RequestBody};
use crate::app::{Body, FieldValue, FileRange, Reply};

/// Which connection and stream a reply belongs to: the connection's
/// token (generation-tagged, so a reply for a closed connection never
/// reaches its successor) and the HTTP/2 stream id (0 for HTTP/1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ReplyKey {
    pub(crate) conn: usize,
    pub(crate) stream: u32,
}

/// A request for a handler thread.
pub(crate) struct Job {
    pub(crate) key: ReplyKey,
    pub(crate) app: Arc<dyn App>,
    pub(crate) request: http::Request<RequestBody>,
    /// A HEAD request: a streamed body is not produced.
    pub(crate) head_only: bool,
    /// The route's configured response fields, added to the reply.
    pub(crate) headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("key", &self.key)
            .field("uri", self.request.uri())
            .finish_non_exhaustive()
    }
}

/// What comes back to the event loop.
#[derive(Debug)]
pub(crate) enum Completion {
    /// The response head and body; a streamed body's chunks follow
    /// through `stream`.
    Reply {
        key: ReplyKey,
        reply: Reply,
        stream: Option<StreamReceiver>,
        /// The request was HEAD: send the head only.
        head_only: bool,
    },
    /// A streamed body has something new for `key`.
    Wake { key: ReplyKey },
}

/// Tells the event loop that a stream has news.
#[derive(Debug, Clone)]
pub(crate) struct Notifier {
    tx: Sender<Completion>,
    waker: Arc<mio::Waker>,
    key: ReplyKey,
}

impl Notifier {
    pub(crate) fn wake(&self) {
        if self.tx.send(Completion::Wake { key: self.key }).is_ok() {
            let _ = self.waker.wake();
        }
    }
}

/// The handler threads of one worker.
#[derive(Debug)]
pub(crate) struct Pool {
    jobs: Option<Sender<Job>>,
    completions: Receiver<Completion>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Start `threads` handler threads that report through `waker`.
    pub(crate) fn new(threads: usize, waker: Arc<mio::Waker>) -> std::io::Result<Self> {
        let (jobs_tx, jobs_rx) = channel::<Job>();
        let (done_tx, done_rx) = channel();
        let jobs_rx = Arc::new(Mutex::new(jobs_rx));
        let mut handles = Vec::new();
        for i in 0..threads.max(1) {
            let rx = Arc::clone(&jobs_rx);
            let tx = done_tx.clone();
            let waker = Arc::clone(&waker);
            let handle = std::thread::Builder::new()
                .name(format!("bicorn-app-{i}"))
                .spawn(move || run_thread(&rx, &tx, &waker))?;
            handles.push(handle);
        }
        Ok(Self {
            jobs: Some(jobs_tx),
            completions: done_rx,
            threads: handles,
        })
    }

    /// Queue a request for the next free thread.
    pub(crate) fn submit(&self, job: Job) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(job);
        }
    }

    /// The next completion, if one is waiting.
    pub(crate) fn try_completion(&self) -> Option<Completion> {
        self.completions.try_recv().ok()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing the job queue ends each thread after its current job;
        // threads blocked in a producer are not waited for.
        self.jobs = None;
        for t in self.threads.drain(..) {
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

fn run_thread(jobs: &Mutex<Receiver<Job>>, done: &Sender<Completion>, waker: &Arc<mio::Waker>) {
    loop {
        let job = {
            let Ok(rx) = jobs.lock() else { return };
            match rx.recv() {
                Ok(job) => job,
                Err(_) => return, // the worker is exiting
            }
        };
        run_job(job, done, waker);
    }
}

fn run_job(job: Job, done: &Sender<Completion>, waker: &Arc<mio::Waker>) {
    let Job {
        key,
        app,
        request,
        head_only,
        headers,
    } = job;
    let path = request.uri().path().to_string();
    let whole = |mut reply: Reply| {
        add_route_headers(&mut reply, &headers);
        let stream = None;
        send(
            done,
            waker,
            Completion::Reply {
                key,
                reply,
                stream,
                head_only,
            },
        );
    };
    let response = match catch_unwind(AssertUnwindSafe(|| app.call(request))) {
        Ok(r) => r,
        Err(_) => {
            log::error!("app handler panicked answering {path}; sent 500");
            return whole(Reply::text(500, "internal server error\n"));
        }
    };
    let (parts, body) = response.into_parts();
    let mut reply = Reply::new(parts.status.as_u16(), Body::Empty);
    for (name, value) in &parts.headers {
        if is_connection_specific(name.as_str()) {
            continue;
        }
        reply.fields.push((
            name.as_str().to_string().into(),
            FieldValue::Owned(String::from_utf8_lossy(value.as_bytes()).into_owned()),
        ));
    }
    let producer = match body.0 {
        Kind::Empty => None,
        Kind::Bytes(v) => {
            reply.body = Body::Owned(v);
            None
        }
        Kind::File(file) => match file.metadata() {
            Ok(meta) => {
                reply.body = Body::File(FileRange {
                    file: Arc::new(file),
                    offset: 0,
                    len: meta.len(),
                });
                None
            }
            Err(e) => {
                log::error!("app file body for {path}: {e}; sent 500");
                reply = Reply::text(500, "internal server error\n");
                None
            }
        },
        Kind::Stream(p) => Some(p),
    };
    add_route_headers(&mut reply, &headers);
    let Some(producer) = producer.filter(|_| !head_only) else {
        return whole(reply);
    };
    let notifier = Notifier {
        tx: done.clone(),
        waker: Arc::clone(waker),
        key,
    };
    let (mut writer, receiver) = BodyWriter::channel(notifier);
    send(
        done,
        waker,
        Completion::Reply {
            key,
            reply,
            stream: Some(receiver),
            head_only,
        },
    );
    let ok = match catch_unwind(AssertUnwindSafe(|| producer(&mut writer))) {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                log::warn!("app stream for {path} failed: {e}");
            }
            false
        }
        Err(_) => {
            log::error!("app stream producer panicked for {path}; response aborted");
            false
        }
    };
    writer.finish(ok);
}

/// The route's `headers`, after (and not replacing) the app's own.
fn add_route_headers(reply: &mut Reply, headers: &[(String, String)]) {
    for (name, value) in headers {
        if reply.field(name).is_none() {
            reply
                .fields
                .push((name.clone().into(), FieldValue::Owned(value.clone())));
        }
    }
}

fn send(done: &Sender<Completion>, waker: &mio::Waker, c: Completion) {
    if done.send(c).is_ok() {
        let _ = waker.wake();
    }
}

/// Fields that belong to one connection, not to the response (RFC 9110
/// §7.6.1; RFC 9113 §8.2.2: "An endpoint MUST NOT generate an HTTP/2
/// message containing connection-specific header fields"), and the
/// framing the connection derives itself.
fn is_connection_specific(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "upgrade"
            | "te"
            | "content-length"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::api::body::Polled;
    use crate::app::api::{ResponseBody, StreamItem};
    use std::time::Duration;

    fn pool() -> (Pool, mio::Poll) {
        let poll = mio::Poll::new().expect("poll");
        let waker = Arc::new(mio::Waker::new(poll.registry(), mio::Token(7)).expect("waker"));
        (Pool::new(2, waker).expect("pool"), poll)
    }

    fn next(pool: &Pool) -> Completion {
        for _ in 0..500 {
            if let Some(c) = pool.try_completion() {
                return c;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("no completion");
    }

    fn job(app: Arc<dyn App>, stream: u32) -> Job {
        Job {
            key: ReplyKey { conn: 1, stream },
            app,
            request: http::Request::new(RequestBody::default()),
            head_only: false,
            headers: Vec::new(),
        }
    }

    #[test]
    fn a_panicking_handler_answers_500_and_the_thread_keeps_serving() {
        let (pool, _poll) = pool();
        let app: Arc<dyn App> = Arc::new(|req: http::Request<RequestBody>| {
            if req.uri().path() == "/" {
                panic!("on purpose");
            }
            http::Response::new(ResponseBody::from("fine"))
        });
        for i in 0..3 {
            pool.submit(job(Arc::clone(&app), i));
            match next(&pool) {
                Completion::Reply { reply, .. } => assert_eq!(reply.status, 500),
                c => panic!("{c:?}"),
            }
        }
        let mut ok = job(app, 9);
        *ok.request.uri_mut() = "/ok".parse().expect("uri");
        pool.submit(ok);
        match next(&pool) {
            Completion::Reply { reply, .. } => assert_eq!(reply.status, 200),
            c => panic!("{c:?}"),
        }
    }

    #[test]
    fn connection_specific_fields_are_dropped_and_the_rest_kept() {
        let (pool, _poll) = pool();
        let app: Arc<dyn App> = Arc::new(|_| {
            http::Response::builder()
                .header("connection", "close")
                .header("transfer-encoding", "chunked")
                .header("content-length", "999")
                .header("x-app", "yes")
                .body(ResponseBody::from("abc"))
                .expect("response")
        });
        pool.submit(job(app, 1));
        let Completion::Reply { reply, .. } = next(&pool) else {
            panic!()
        };
        assert_eq!(reply.field("x-app"), Some("yes"));
        assert_eq!(reply.field("connection"), None);
        assert_eq!(reply.field("transfer-encoding"), None);
        assert_eq!(reply.field("content-length"), None);
        assert_eq!(reply.body.len(), 3);
    }

    #[test]
    fn a_stream_delivers_chunks_in_order_then_its_end_with_trailers() {
        let (pool, _poll) = pool();
        let app: Arc<dyn App> = Arc::new(|_| {
            http::Response::new(ResponseBody::stream(|w| {
                for i in 0..3 {
                    w.send(format!("event {i}\n"))?;
                }
                w.trailer("x-sum", "3");
                Ok(())
            }))
        });
        pool.submit(job(app, 5));
        let Completion::Reply {
            stream: Some(rx), ..
        } = next(&pool)
        else {
            panic!("a stream")
        };
        let mut got = Vec::new();
        loop {
            match rx.poll() {
                Polled::Item(StreamItem::Data(d)) => got.push(String::from_utf8(d).expect("utf8")),
                Polled::Item(StreamItem::End(t)) => {
                    assert_eq!(t, vec![("x-sum".to_string(), b"3".to_vec())]);
                    break;
                }
                Polled::Item(other) => panic!("{other:?}"),
                Polled::Pending => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        assert_eq!(got, ["event 0\n", "event 1\n", "event 2\n"]);
    }

    #[test]
    fn a_producer_that_panics_aborts_its_stream() {
        let (pool, _poll) = pool();
        let app: Arc<dyn App> = Arc::new(|_| {
            http::Response::new(ResponseBody::stream(|w| {
                w.send("first")?;
                panic!("mid-stream");
            }))
        });
        pool.submit(job(app, 5));
        let Completion::Reply {
            stream: Some(rx), ..
        } = next(&pool)
        else {
            panic!("a stream")
        };
        let mut items = Vec::new();
        while items.len() < 2 {
            if let Polled::Item(i) = rx.poll() {
                items.push(i);
            } else {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        assert!(matches!(items[0], StreamItem::Data(_)));
        assert!(matches!(items[1], StreamItem::Abort));
    }
}
