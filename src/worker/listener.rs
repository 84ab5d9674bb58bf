//! A worker's copy of a shared listening socket, TCP or Unix, and the
//! accepted stream type that unifies both for the connection code.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use mio::event::Source;
use mio::{Interest, Registry, Token};

use crate::config::{Listen, ListenAddress};

/// A listening socket in a worker.
#[derive(Debug)]
pub(crate) enum Acceptor {
    Tcp(mio::net::TcpListener),
    Unix(mio::net::UnixListener),
}

impl Acceptor {
    /// Wrap the fd inherited from the master.
    pub(crate) fn new(spec: &Listen, fd: OwnedFd) -> Self {
        match spec.address {
            ListenAddress::Tcp(_) => Acceptor::Tcp(mio::net::TcpListener::from_std(
                std::net::TcpListener::from(fd),
            )),
            ListenAddress::Unix(_) => Acceptor::Unix(mio::net::UnixListener::from_std(
                std::os::unix::net::UnixListener::from(fd),
            )),
        }
    }

    /// Accept one connection, non-blocking.
    pub(crate) fn accept(&self) -> io::Result<Stream> {
        match self {
            Acceptor::Tcp(l) => {
                let (s, _) = l.accept()?;
                // Responses are written whole; Nagle would only add latency.
                let _ = s.set_nodelay(true);
                Ok(Stream::Tcp(s))
            }
            Acceptor::Unix(l) => Ok(Stream::Unix(l.accept()?.0)),
        }
    }

    pub(crate) fn raw_fd(&self) -> RawFd {
        match self {
            Acceptor::Tcp(l) => l.as_raw_fd(),
            Acceptor::Unix(l) => l.as_raw_fd(),
        }
    }
}

/// An accepted connection.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
}

impl Stream {
    /// Does a read shorter than the buffer prove the socket is drained
    /// for now? True for a plain socket; a layer with its own buffers
    /// (TLS) must say false, and be read until WouldBlock.
    pub(crate) fn drained_by_short_read(&self) -> bool {
        match self {
            Stream::Tcp(_) | Stream::Unix(_) => true,
        }
    }

    /// Half-close: send FIN, keep reading (lingering close).
    pub(crate) fn shutdown_write(&self) {
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Write),
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Write),
        };
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Source for Stream {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.register(r, t, i),
            Stream::Unix(s) => s.register(r, t, i),
        }
    }

    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.reregister(r, t, i),
            Stream::Unix(s) => s.reregister(r, t, i),
        }
    }

    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.deregister(r),
            Stream::Unix(s) => s.deregister(r),
        }
    }
}
