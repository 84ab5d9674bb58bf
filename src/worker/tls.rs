//! TLS on an accepted socket: a `rustls::ServerConnection` pumped so that
//! the connection code sees the same non-blocking `Read`/`Write` as on a
//! cleartext socket, and the handshake state a TLS client starts in.
//!
//! # The readiness contract
//!
//! mio is edge-triggered: an event comes only when the kernel's state
//! changes, so the HTTP code reads and writes until `WouldBlock`. A TLS
//! stream returns `WouldBlock` only when the *socket* did, never while
//! rustls still holds something the caller could use:
//!
//! - `read` first hands out plaintext rustls has already decrypted; only
//!   when that is empty does it read ciphertext (`read_tls`), decrypt
//!   (`process_new_packets`) and try again, until the socket would block
//!   or the peer is done. A caller reading to `WouldBlock` therefore
//!   empties rustls too, and no plaintext is stranded waiting for an edge
//!   that will not come. (A caller that stops early, at its read budget,
//!   is revisited by the worker, exactly as on a cleartext socket.)
//! - `write` passes plaintext to rustls and pushes the records out with
//!   `write_tls`. Records the socket would not take stay queued in rustls;
//!   while any are queued `write` takes nothing new and says `WouldBlock`
//!   (the socket said it first, so a writable edge will come). Every
//!   `read` and `write` first pushes what is queued, so handshake replies,
//!   session tickets and alerts go out on whichever event comes next.
//!
//! # Closing
//!
//! `shutdown_write` queues a close_notify alert and shuts the socket's
//! write side once every record is out (on a later call if the socket is
//! full). Dropping the stream sends close_notify too, best effort, unless
//! the connection failed (rustls then already queued the fatal alert,
//! which is sent instead). A client's protocol errors are logged at
//! debug, and a handshake not finished within [`HANDSHAKE_TIMEOUT`] is
//! closed.
//!
//! # ALPN
//!
//! The handshake ends with ALPN decided: `h2` goes straight to the HTTP/2
//! side (which still expects the client's preface, as RFC 9113 §3.4
//! says), `http/1.1` or none to HTTP/1.1 (`client.rs` does the hand-off).

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::{Interest, Registry, Token};
use rustls::{ServerConfig, ServerConnection};

use super::listener::Socket;

/// Time a client gets from accept to a finished TLS handshake. A
/// constant for now: long enough for a slow mobile link's two round
/// trips, short enough that idle half-open handshakes do not pile up.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the write side has been closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shutdown {
    Open,
    /// close_notify queued; shut the socket once rustls' queue is empty.
    Pending,
    Done,
}

/// A socket wrapped in a server-side TLS connection.
#[derive(Debug)]
pub(crate) struct TlsStream {
    socket: Socket,
    tls: ServerConnection,
    shutdown: Shutdown,
    /// A fatal TLS error happened: no close_notify, no more reading.
    failed: bool,
}

impl TlsStream {
    pub(crate) fn new(socket: Socket, config: Arc<ServerConfig>) -> Result<Self, rustls::Error> {
        Ok(TlsStream {
            socket,
            tls: ServerConnection::new(config)?,
            shutdown: Shutdown::Open,
            failed: false,
        })
    }

    /// Advance the handshake as far as the socket allows. `Ok(true)` once
    /// it is complete; an error when the client broke it off or sent
    /// something rustls refused (the alert is already sent).
    pub(crate) fn handshake(&mut self) -> io::Result<bool> {
        loop {
            self.push_queued()?;
            if !self.tls.is_handshaking() {
                return Ok(true);
            }
            match self.tls.read_tls(&mut self.socket) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "closed during the TLS handshake",
                    ));
                }
                Ok(_) => self.process()?,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Did the handshake settle on HTTP/2 through ALPN?
    pub(crate) fn negotiated_h2(&self) -> bool {
        self.tls.alpn_protocol() == Some(b"h2")
    }

    /// Queue close_notify; the socket's write side is shut once it and
    /// everything before it is sent.
    pub(crate) fn shutdown_write(&mut self) {
        if self.shutdown != Shutdown::Open {
            return;
        }
        if !self.failed {
            self.tls.send_close_notify();
        }
        self.shutdown = Shutdown::Pending;
        let _ = self.push_queued();
    }

    /// Write queued records until none is left (`Ok`) or the socket would
    /// block (`Err(WouldBlock)`); then finish a pending shutdown.
    fn flush_tls(&mut self) -> io::Result<()> {
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut self.socket) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.shutdown == Shutdown::Pending {
            self.socket.shutdown_write();
            self.shutdown = Shutdown::Done;
        }
        Ok(())
    }

    /// [`flush_tls`](Self::flush_tls) where a full socket is no error:
    /// the rest goes on a later call.
    fn push_queued(&mut self) -> io::Result<()> {
        match self.flush_tls() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            other => other,
        }
    }

    /// Decrypt what `read_tls` brought in. On a TLS error, send the alert
    /// rustls queued and report the connection as broken.
    fn process(&mut self) -> io::Result<()> {
        match self.tls.process_new_packets() {
            Ok(_) => Ok(()),
            Err(e) => {
                log::debug!("TLS error from client: {e}");
                self.failed = true;
                let _ = self.push_queued();
                Err(io::Error::new(io::ErrorKind::InvalidData, e))
            }
        }
    }
}

impl Read for TlsStream {
    /// Plaintext rustls holds, else more from the socket; `Ok(0)` when the
    /// client closed (with close_notify or, less politely, without).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.push_queued()?;
        loop {
            match self.tls.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // TCP closed without close_notify: for a server, that is
                // the end of the request stream like any other EOF.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(e),
            }
            if self.failed {
                return Err(io::ErrorKind::InvalidData.into());
            }
            match self.tls.read_tls(&mut self.socket) {
                // EOF: rustls notes it, and its reader says so above.
                Ok(_) => self.process()?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            self.push_queued()?;
        }
    }
}

impl Write for TlsStream {
    /// Take plaintext only when nothing is queued, so rustls' queue stays
    /// bounded and `WouldBlock` always means the socket is full.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.flush_tls()?;
        let n = self.tls.writer().write(buf)?;
        self.push_queued()?;
        if n == 0 && !buf.is_empty() {
            // rustls' queue was empty, so it takes at least one record's
            // worth; refusing all of it would be a bug, not back-pressure.
            return Err(io::Error::other("TLS connection took no plaintext"));
        }
        Ok(n)
    }

    /// Push queued records; `WouldBlock` while some are left.
    fn flush(&mut self) -> io::Result<()> {
        self.flush_tls()
    }
}

impl Source for TlsStream {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        self.socket.register(r, t, i)
    }

    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        self.socket.reregister(r, t, i)
    }

    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        self.socket.deregister(r)
    }
}

impl Drop for TlsStream {
    /// A connection closed without `shutdown_write` still says goodbye:
    /// close_notify, and whatever records the socket takes now.
    fn drop(&mut self) {
        if self.shutdown == Shutdown::Open && !self.failed && !self.tls.is_handshaking() {
            self.tls.send_close_notify();
        }
        let _ = self.flush_tls();
    }
}

/// A client on a TLS listener before its handshake is done.
#[derive(Debug)]
pub(crate) struct Handshake {
    tls: Box<TlsStream>,
    deadline: Instant,
    scheduled: Option<Instant>,
    /// The worker is draining: the connection that follows gets until
    /// then for its request.
    drain_by: Option<Instant>,
    failed: bool,
}

/// Where a readiness pass left a handshake.
#[derive(Debug)]
pub(crate) enum Progress {
    /// Waiting for the client.
    Waiting(Box<Handshake>),
    /// Broken off or refused; close.
    Failed(Box<Handshake>),
    /// Done: serve HTTP/2 (ALPN `h2`) or HTTP/1.1 on the stream.
    Done {
        tls: Box<TlsStream>,
        h2: bool,
        drain_by: Option<Instant>,
    },
}

impl Handshake {
    pub(crate) fn new(tls: Box<TlsStream>, now: Instant, drain_by: Option<Instant>) -> Self {
        let deadline = now + HANDSHAKE_TIMEOUT;
        Handshake {
            tls,
            deadline: drain_by.map_or(deadline, |t| t.min(deadline)),
            scheduled: None,
            drain_by,
            failed: false,
        }
    }

    pub(crate) fn source_mut(&mut self) -> &mut TlsStream {
        &mut self.tls
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.failed
    }

    /// The worker drains: a client still shaking hands is no nearer to a
    /// request than an idle one, so it gets the same short grace.
    pub(crate) fn begin_drain(&mut self, linger_until: Instant) {
        self.drain_by = Some(linger_until);
        self.deadline = self.deadline.min(linger_until);
    }

    pub(crate) fn take_new_deadline(&mut self) -> Option<Instant> {
        match self.scheduled {
            Some(at) if at <= self.deadline => None,
            _ => {
                self.scheduled = Some(self.deadline);
                Some(self.deadline)
            }
        }
    }

    pub(crate) fn on_deadline(&mut self, now: Instant, when: Instant) {
        if self.scheduled == Some(when) {
            self.scheduled = None;
        }
        if now >= self.deadline {
            log::debug!("TLS handshake not finished in time; closing");
            self.failed = true;
        }
    }

    /// Readiness: move the handshake on.
    pub(crate) fn on_ready(mut self: Box<Self>) -> Progress {
        match self.tls.handshake() {
            Ok(false) => Progress::Waiting(self),
            Ok(true) => Progress::Done {
                h2: self.tls.negotiated_h2(),
                tls: self.tls,
                drain_by: self.drain_by,
            },
            Err(e) => {
                log::debug!("TLS handshake failed: {e}");
                self.failed = true;
                Progress::Failed(self)
            }
        }
    }
}
