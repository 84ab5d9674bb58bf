//! Request and response bodies of the App API.
//!
//! A streamed response body is produced on the pool thread by a closure
//! writing to a [`BodyWriter`]: each write is one chunk, handed to the
//! event loop at once (an SSE event is flushed when produced). The hand-
//! off is a small bounded channel, so a producer faster than its client
//! blocks in `write` instead of filling memory; when the client goes away
//! the next write fails with `BrokenPipe` and the producer should stop.

use std::fs::File;
use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

use super::pool::Notifier;

/// Chunks a streamed body may have written ahead of its client.
const STREAM_AHEAD: usize = 8;

/// A request body, received in full before the handler is called.
#[derive(Debug, Default)]
pub struct RequestBody {
    data: Vec<u8>,
    read: usize,
    trailers: Option<http::HeaderMap>,
}

impl RequestBody {
    pub(crate) fn new(data: Vec<u8>, trailers: Option<http::HeaderMap>) -> Self {
        Self {
            data,
            read: 0,
            trailers,
        }
    }

    /// The body's octets.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// The body's octets, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.data
    }

    /// Trailer fields the client sent after the body, if any.
    pub fn trailers(&self) -> Option<&http::HeaderMap> {
        self.trailers.as_ref()
    }
}

impl Read for RequestBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = self.data.get(self.read..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.read += n;
        Ok(n)
    }
}

/// A producer of a streamed body.
pub(crate) type Producer = Box<dyn FnOnce(&mut BodyWriter) -> io::Result<()> + Send>;

/// A response body.
pub struct ResponseBody(pub(crate) Kind);

pub(crate) enum Kind {
    Empty,
    Bytes(Vec<u8>),
    File(File),
    Stream(Producer),
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.0 {
            Kind::Empty => "empty",
            Kind::Bytes(_) => "bytes",
            Kind::File(_) => "file",
            Kind::Stream(_) => "stream",
        };
        f.debug_tuple("ResponseBody").field(&kind).finish()
    }
}

impl ResponseBody {
    /// No body.
    pub fn empty() -> Self {
        Self(Kind::Empty)
    }

    /// These octets.
    pub fn bytes(data: impl Into<Vec<u8>>) -> Self {
        Self(Kind::Bytes(data.into()))
    }

    /// An open file, sent from its current length in bounded chunks (by
    /// `sendfile` on cleartext HTTP/1.1); never read into memory whole.
    pub fn file(file: File) -> Self {
        Self(Kind::File(file))
    }

    /// A body produced over time: `produce` runs on the pool thread after
    /// the response head is sent, and each write to the [`BodyWriter`] is
    /// sent as it is made. Returning `Err`, or panicking, aborts the
    /// response (HTTP/1.1: the connection closes; HTTP/2: RST_STREAM), so
    /// the client can tell a truncated body from a complete one.
    pub fn stream<F>(produce: F) -> Self
    where
        F: FnOnce(&mut BodyWriter) -> io::Result<()> + Send + 'static,
    {
        Self(Kind::Stream(Box::new(produce)))
    }
}

impl From<&'static str> for ResponseBody {
    fn from(s: &'static str) -> Self {
        Self::bytes(s.as_bytes())
    }
}

impl From<String> for ResponseBody {
    fn from(s: String) -> Self {
        Self::bytes(s.into_bytes())
    }
}

impl From<Vec<u8>> for ResponseBody {
    fn from(v: Vec<u8>) -> Self {
        Self::bytes(v)
    }
}

/// What a streamed body hands to the event loop.
#[derive(Debug)]
pub(crate) enum StreamItem {
    Data(Vec<u8>),
    /// The body is complete; trailer fields (names lowercase) follow it.
    End(Vec<(String, Vec<u8>)>),
    /// The producer failed or panicked: abort the response.
    Abort,
}

/// The event loop's end of a streamed body.
#[derive(Debug)]
pub(crate) struct StreamReceiver(Receiver<StreamItem>);

/// What [`StreamReceiver::poll`] found.
#[derive(Debug)]
pub(crate) enum Polled {
    Item(StreamItem),
    /// Nothing yet; the producer wakes the loop when there is.
    Pending,
}

impl StreamReceiver {
    pub(crate) fn poll(&self) -> Polled {
        match self.0.try_recv() {
            Ok(item) => Polled::Item(item),
            Err(TryRecvError::Empty) => Polled::Pending,
            // The producer is gone without saying it finished.
            Err(TryRecvError::Disconnected) => Polled::Item(StreamItem::Abort),
        }
    }
}

/// Where a streamed body is written. Each [`send`](Self::send) (or
/// `write`) is one chunk, sent as soon as the client can take it.
pub struct BodyWriter {
    tx: SyncSender<StreamItem>,
    notify: Notifier,
    trailers: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for BodyWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyWriter").finish_non_exhaustive()
    }
}

impl BodyWriter {
    pub(crate) fn channel(notify: Notifier) -> (Self, StreamReceiver) {
        let (tx, rx) = sync_channel(STREAM_AHEAD);
        (
            Self {
                tx,
                notify,
                trailers: Vec::new(),
            },
            StreamReceiver(rx),
        )
    }

    /// Send one chunk now. Blocks while the client is behind by more than
    /// a few chunks; fails with `BrokenPipe` once the client is gone.
    pub fn send(&mut self, chunk: impl Into<Vec<u8>>) -> io::Result<()> {
        let chunk = chunk.into();
        if chunk.is_empty() {
            return Ok(()); // an empty chunk would end an HTTP/1.1 body
        }
        self.push(StreamItem::Data(chunk))
    }

    /// A trailer field to send after the body (HTTP/2, and HTTP/1.1
    /// chunked). `name` must be a lowercase token.
    pub fn trailer(&mut self, name: &str, value: &str) {
        self.trailers
            .push((name.to_ascii_lowercase(), value.as_bytes().to_vec()));
    }

    fn push(&mut self, item: StreamItem) -> io::Result<()> {
        self.tx
            .send(item)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))?;
        self.notify.wake();
        Ok(())
    }

    /// The producer returned: end the body (with its trailers) or abort.
    pub(crate) fn finish(mut self, ok: bool) {
        let item = if ok {
            StreamItem::End(std::mem::take(&mut self.trailers))
        } else {
            StreamItem::Abort
        };
        let _ = self.push(item);
    }
}

impl io::Write for BodyWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.send(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
