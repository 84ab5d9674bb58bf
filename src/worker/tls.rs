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
//! debug, and a handshake not finished within `[http]
//! tls_handshake_timeout` (10 s by default) is closed.
//!
//! # ALPN
//!
//! The handshake ends with ALPN decided: `h2` goes straight to the HTTP/2
//! side (which still expects the client's preface, as RFC 9113 §3.4
//! says), `http/1.1` or none to HTTP/1.1 (`client.rs` does the hand-off).

use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::{Interest, Registry, Token};
use rustls::{ServerConfig, ServerConnection};

use super::listener::Socket;

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
    /// The underlying socket.
    pub(crate) fn socket(&self) -> &Socket {
        &self.socket
    }

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

    /// As `write`, for several slices at once (rustls frames them into
    /// records without joining them first).
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.flush_tls()?;
        let n = self.tls.writer().write_vectored(bufs)?;
        self.push_queued()?;
        if n == 0 && bufs.iter().any(|b| !b.is_empty()) {
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
    /// A client accepted at `now`, given `timeout` (`[http]
    /// tls_handshake_timeout`) to finish its handshake.
    pub(crate) fn new(
        tls: Box<TlsStream>,
        now: Instant,
        drain_by: Option<Instant>,
        timeout: Duration,
    ) -> Self {
        let deadline = now + timeout;
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

#[cfg(test)]
mod tests {
    //! The readiness contract over a real (unix) socket pair, with a
    //! rustls client on the other end, pumped by hand.

    use std::io::{self, Read, Write};
    use std::os::unix::net::UnixStream;
    use std::sync::Arc;

    use rustls::pki_types::{PrivateKeyDer, ServerName};
    use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig};

    use super::TlsStream;
    use crate::worker::listener::Socket;

    struct Pair {
        server: TlsStream,
        client: ClientConnection,
        sock: UnixStream,
        /// Plaintext the client received.
        received: Vec<u8>,
    }

    fn pair(alpn: &[&[u8]]) -> Pair {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
            )
            .unwrap();
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let mut roots = RootCertStore::empty();
        roots.add(cert.der().clone()).unwrap();
        let mut client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        client.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        Pair {
            server: TlsStream::new(
                Socket::Unix(mio::net::UnixStream::from_std(a)),
                Arc::new(server),
            )
            .unwrap(),
            client: ClientConnection::new(Arc::new(client), name).unwrap(),
            sock: b,
            received: Vec::new(),
        }
    }

    impl Pair {
        /// Move the client's records to the socket and the server's to
        /// the client, as far as both will go.
        fn pump_client(&mut self) {
            while self.client.wants_write() {
                match self.client.write_tls(&mut self.sock) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{e}"),
                }
            }
            loop {
                match self.client.read_tls(&mut self.sock) {
                    Ok(0) => break,
                    Ok(_) => {
                        self.client.process_new_packets().unwrap();
                        // Ok(0) at a clean close, WouldBlock otherwise.
                        let _ = self.client.reader().read_to_end(&mut self.received);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{e}"),
                }
            }
        }

        fn handshake(&mut self) {
            for _ in 0..10 {
                self.pump_client();
                if self.server.handshake().unwrap() && !self.client.is_handshaking() {
                    self.pump_client();
                    return;
                }
            }
            panic!("handshake did not finish");
        }

        /// Plaintext the client received so far.
        fn client_plaintext(&mut self) -> Vec<u8> {
            std::mem::take(&mut self.received)
        }
    }

    #[test]
    fn alpn_h2_is_reported_once_the_handshake_is_done() {
        let mut p = pair(&[b"h2"]);
        p.handshake();
        assert!(p.server.negotiated_h2());
        let mut p = pair(&[b"http/1.1"]);
        p.handshake();
        assert!(!p.server.negotiated_h2());
    }

    #[test]
    fn read_hands_out_every_buffered_record_before_would_block() {
        let mut p = pair(&[]);
        p.handshake();
        // Three records arrive in one go; rustls decrypts them together.
        let sent: Vec<u8> = (0..30_000u32).map(|i| i as u8).collect();
        for chunk in sent.chunks(10_000) {
            p.client.writer().write_all(chunk).unwrap();
        }
        p.pump_client();
        let mut got = Vec::new();
        let mut buf = [0u8; 1000];
        loop {
            match p.server.read(&mut buf) {
                Ok(0) => panic!("EOF"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, sent, "nothing stranded in rustls at WouldBlock");
    }

    #[test]
    fn write_blocks_only_on_a_full_socket_and_resumes_after_the_peer_reads() {
        let mut p = pair(&[]);
        p.handshake();
        let sent: Vec<u8> = (0..4_000_000u32).map(|i| (i % 251) as u8).collect();
        let (mut offset, mut got, mut blocked) = (0, Vec::new(), 0);
        while got.len() < sent.len() {
            while offset < sent.len() {
                match p.server.write(&sent[offset..]) {
                    Ok(n) => offset += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        blocked += 1;
                        break;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            // What was accepted but queued goes out on the next call.
            let _ = p.server.flush();
            p.pump_client();
            got.extend(p.client_plaintext());
        }
        assert!(blocked > 0, "the socket buffer never filled");
        assert!(got == sent, "every octet arrives, in order");
    }

    #[test]
    fn shutdown_write_sends_close_notify_and_reads_end_at_the_peers() {
        let mut p = pair(&[]);
        p.handshake();
        p.server.write_all(b"bye").unwrap();
        p.server.shutdown_write();
        p.pump_client();
        assert_eq!(p.client_plaintext(), b"bye");
        // Ok(0), not UnexpectedEof: the close was a clean close_notify.
        assert_eq!(p.client.reader().read(&mut [0u8; 16]).unwrap(), 0);
        p.client.send_close_notify();
        p.pump_client();
        let mut buf = [0u8; 16];
        assert_eq!(p.server.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn cleartext_bytes_fail_the_handshake_with_an_alert() {
        let mut p = pair(&[]);
        p.sock
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .unwrap();
        let err = p.server.handshake().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let mut alert = [0u8; 16];
        let n = p.sock.read(&mut alert).unwrap();
        assert_eq!(alert.get(..1), Some(&[21u8][..]), "{:?}", &alert[..n]);
    }
}
