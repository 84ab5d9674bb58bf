//! A worker's copy of a shared listening socket, TCP or Unix, with the TLS
//! settings the master loaded for it; the accepted [`Socket`]; and the
//! [`Stream`] that unifies cleartext and TLS for the connection code, which
//! only ever sees non-blocking `Read` and `Write` (see `tls.rs` for how a
//! TLS stream keeps that promise).

use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;

use mio::event::Source;
use mio::{Interest, Registry, Token};
use rustls::ServerConfig;

use super::tls::TlsStream;
use crate::config::{Listen, ListenAddress};

/// A listening socket in a worker.
#[derive(Debug)]
pub(crate) struct Acceptor {
    socket: ListenSocket,
    /// Set for a TLS listener: every accepted connection is wrapped.
    tls: Option<Arc<ServerConfig>>,
}

#[derive(Debug)]
enum ListenSocket {
    Tcp(mio::net::TcpListener),
    Unix(mio::net::UnixListener),
}

impl Acceptor {
    /// Wrap the fd inherited from the master.
    pub(crate) fn new(spec: &Listen, fd: OwnedFd, tls: Option<Arc<ServerConfig>>) -> Self {
        let socket = match spec.address {
            ListenAddress::Tcp(_) => ListenSocket::Tcp(mio::net::TcpListener::from_std(
                std::net::TcpListener::from(fd),
            )),
            ListenAddress::Unix(_) => ListenSocket::Unix(mio::net::UnixListener::from_std(
                std::os::unix::net::UnixListener::from(fd),
            )),
        };
        Acceptor { socket, tls }
    }

    /// Accept one connection, non-blocking. On a TLS listener the stream
    /// starts its handshake on the first readiness event.
    pub(crate) fn accept(&self) -> io::Result<Stream> {
        let socket = match &self.socket {
            ListenSocket::Tcp(l) => {
                let (s, _) = l.accept()?;
                // Responses are written whole; Nagle would only add latency.
                let _ = s.set_nodelay(true);
                Socket::Tcp(s)
            }
            ListenSocket::Unix(l) => Socket::Unix(l.accept()?.0),
        };
        match &self.tls {
            None => Ok(Stream::Plain(socket)),
            Some(config) => TlsStream::new(socket, Arc::clone(config))
                .map(|tls| Stream::Tls(Box::new(tls)))
                .map_err(io::Error::other),
        }
    }

    pub(crate) fn raw_fd(&self) -> RawFd {
        match &self.socket {
            ListenSocket::Tcp(l) => l.as_raw_fd(),
            ListenSocket::Unix(l) => l.as_raw_fd(),
        }
    }
}

/// An accepted socket, as the kernel gives it.
#[derive(Debug)]
pub(crate) enum Socket {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
}

impl Socket {
    /// Half-close: send FIN, keep reading (lingering close).
    pub(crate) fn shutdown_write(&self) {
        let _ = match self {
            Socket::Tcp(s) => s.shutdown(std::net::Shutdown::Write),
            Socket::Unix(s) => s.shutdown(std::net::Shutdown::Write),
        };
    }
}

impl std::os::fd::AsFd for Socket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self {
            Socket::Tcp(s) => s.as_fd(),
            Socket::Unix(s) => s.as_fd(),
        }
    }
}

/// Every client octet passes here (TLS records included), so the
/// worker's byte counters are kept here (`tally::count_in` / `count_out`).
impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self {
            Socket::Tcp(s) => s.read(buf),
            Socket::Unix(s) => s.read(buf),
        }?;
        super::tally::count_in(n);
        Ok(n)
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match self {
            Socket::Tcp(s) => s.write(buf),
            Socket::Unix(s) => s.write(buf),
        }?;
        super::tally::count_out(n);
        Ok(n)
    }

    /// rustls hands its queued records over as several slices.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let n = match self {
            Socket::Tcp(s) => s.write_vectored(bufs),
            Socket::Unix(s) => s.write_vectored(bufs),
        }?;
        super::tally::count_out(n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Source for Socket {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.register(r, t, i),
            Socket::Unix(s) => s.register(r, t, i),
        }
    }

    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.reregister(r, t, i),
            Socket::Unix(s) => s.reregister(r, t, i),
        }
    }

    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.deregister(r),
            Socket::Unix(s) => s.deregister(r),
        }
    }
}

/// An accepted connection as the HTTP code sees it: plaintext octets in
/// and out, non-blocking, `WouldBlock` meaning "wait for the next event".
#[derive(Debug)]
pub(crate) enum Stream {
    Plain(Socket),
    Tls(Box<TlsStream>),
}

impl Stream {
    /// Does a read shorter than the buffer prove the socket is drained
    /// for now? True for a plain socket; TLS keeps its own buffers, so a
    /// TLS stream is read until WouldBlock.
    /// The peer, for the access log.
    pub(crate) fn remote(&self) -> crate::app::access_log::Remote {
        use crate::app::access_log::Remote;
        let socket = match self {
            Stream::Plain(s) => s,
            Stream::Tls(t) => t.socket(),
        };
        match socket {
            Socket::Tcp(s) => s.peer_addr().map_or(Remote::Unix, |a| Remote::Ip(a.ip())),
            Socket::Unix(_) => Remote::Unix,
        }
    }

    pub(crate) fn drained_by_short_read(&self) -> bool {
        match self {
            Stream::Plain(_) => true,
            Stream::Tls(_) => false,
        }
    }

    /// Half-close: no more output (for TLS, after a close_notify alert),
    /// keep reading (lingering close).
    pub(crate) fn shutdown_write(&mut self) {
        match self {
            Stream::Plain(s) => s.shutdown_write(),
            Stream::Tls(s) => s.shutdown_write(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    /// HTTP/2 output comes as frame headers and cached bodies: one
    /// `writev` (or one pass through rustls) for all of them.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write_vectored(bufs),
            Stream::Tls(s) => s.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

impl Source for Stream {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.register(r, t, i),
            Stream::Tls(s) => s.register(r, t, i),
        }
    }

    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.reregister(r, t, i),
            Stream::Tls(s) => s.reregister(r, t, i),
        }
    }

    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.deregister(r),
            Stream::Tls(s) => s.deregister(r),
        }
    }
}
