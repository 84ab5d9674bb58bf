//! Listening sockets: bound once by the master (or adopted from systemd or
//! from a predecessor master), shared by every worker, and never closed and
//! re-bound while serving, so no connection waiting in an accept queue is
//! lost when a worker exits.
//!
//! A listener is keyed by its configured address string (`127.0.0.1:0`
//! stays `127.0.0.1:0` even though the kernel picked a port), which is how
//! a reload keeps a socket and how a new master after USR2 matches the fds
//! it inherits to its config.

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use nix::sys::socket::{AddressFamily, Backlog, SockaddrLike, SockaddrStorage};

use crate::config::{Listen, ListenAddress};
use crate::supervisor::systemd::ActivatedSocket;
use crate::sys::adopt_fd;

/// Environment variable naming the listeners a new master inherits:
/// lines of `<fd> <configured address>`.
pub const INHERIT_ENV: &str = "BICORN_LISTENERS";

/// Where a listening socket came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Bound by this master (a unix socket file is ours to remove).
    Bound,
    /// Passed by systemd (socket activation).
    Systemd,
    /// Inherited from the master we replaced (USR2).
    Predecessor,
}

/// One open listening socket.
#[derive(Debug)]
pub struct Listener {
    spec: Listen,
    fd: OwnedFd,
    local: String,
    origin: Origin,
}

impl Listener {
    /// The configuration it serves.
    pub fn spec(&self) -> &Listen {
        &self.spec
    }

    /// Its key: the configured address.
    pub fn key(&self) -> String {
        self.spec.address.to_string()
    }

    /// The address actually bound (the kernel's port for `:0`).
    pub fn local(&self) -> &str {
        &self.local
    }

    /// The socket.
    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Give up the socket (a worker taking its copy after fork).
    pub fn into_parts(self) -> (Listen, OwnedFd) {
        (self.spec, self.fd)
    }

    /// Where it came from.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Close for good, removing a unix socket file we created.
    pub fn close(self) {
        if self.origin == Origin::Bound
            && let ListenAddress::Unix(path) = &self.spec.address
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A failure to open a listener, naming the address.
#[derive(Debug)]
pub struct ListenError {
    address: String,
    reason: String,
}

impl fmt::Display for ListenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot listen on {}: {}", self.address, self.reason)
    }
}

impl std::error::Error for ListenError {}

/// Sockets handed to a starting master: from a predecessor or systemd.
#[derive(Debug, Default)]
pub struct Inherited {
    predecessor: Vec<(OwnedFd, String)>,
    activated: Vec<ActivatedSocket>,
}

impl Inherited {
    /// Read `$BICORN_LISTENERS` (then removed) and the systemd sockets.
    pub fn from_env(activated: Vec<ActivatedSocket>) -> Result<Self, String> {
        let mut predecessor = Vec::new();
        if let Ok(text) = std::env::var(INHERIT_ENV) {
            crate::sys::remove_env(&[INHERIT_ENV]).map_err(|e| e.to_string())?;
            for line in text.lines().filter(|l| !l.is_empty()) {
                let (fd, key) = line
                    .split_once(' ')
                    .ok_or_else(|| format!("{INHERIT_ENV}: bad line {line:?}"))?;
                let fd: i32 = fd
                    .parse()
                    .map_err(|_| format!("{INHERIT_ENV}: bad fd in {line:?}"))?;
                let fd = adopt_fd(fd).map_err(|e| format!("{INHERIT_ENV}: fd {fd}: {e}"))?;
                predecessor.push((fd, key.to_string()));
            }
        }
        Ok(Self {
            predecessor,
            activated,
        })
    }

    /// Anything left over is not in the config: log and close.
    pub fn close_unused(self) {
        for (fd, key) in self.predecessor {
            log::warn!(
                "closing inherited listener {key} (fd {}): not in the config",
                fd.as_raw_fd()
            );
        }
        for s in self.activated {
            log::warn!(
                "closing systemd socket fd {} ({}): not in the config",
                s.fd.as_raw_fd(),
                s.name.as_deref().unwrap_or("unnamed")
            );
        }
    }

    fn take(&mut self, spec: &Listen) -> Option<(OwnedFd, Origin)> {
        let key = spec.address.to_string();
        if let Some(i) = self.predecessor.iter().position(|(_, k)| *k == key) {
            return Some((self.predecessor.swap_remove(i).0, Origin::Predecessor));
        }
        if let Some(name) = &spec.name
            && let Some(i) = self
                .activated
                .iter()
                .position(|s| s.name.as_deref() == Some(name))
        {
            return Some((self.activated.swap_remove(i).fd, Origin::Systemd));
        }
        let i = self
            .activated
            .iter()
            .position(|s| local_address(&s.fd).is_some_and(|a| same_address(&a, &spec.address)))?;
        Some((self.activated.swap_remove(i).fd, Origin::Systemd))
    }
}

/// Open every listener of `specs`: adopted from `inherited` where one
/// matches, else bound. All or nothing: on error, what was opened is closed.
pub fn open_all(specs: &[Listen], inherited: &mut Inherited) -> Result<Vec<Listener>, ListenError> {
    let mut out: Vec<Listener> = Vec::new();
    for spec in specs {
        let opened = match inherited.take(spec) {
            Some((fd, origin)) => {
                log::info!(
                    "adopted listener {} (fd {}) from {}",
                    spec.address,
                    fd.as_raw_fd(),
                    match origin {
                        Origin::Systemd => "systemd",
                        _ => "the previous master",
                    }
                );
                adopt(spec, fd, origin)
            }
            None => bind(spec),
        };
        match opened {
            Ok(l) => out.push(l),
            Err(e) => {
                out.into_iter().for_each(Listener::close);
                return Err(e);
            }
        }
    }
    Ok(out)
}

/// For a reload: bind the listeners of `specs` that `current` does not
/// already have (matched by key). All or nothing.
pub fn reopen_for(specs: &[Listen], current: &[Listener]) -> Result<Vec<Listener>, ListenError> {
    let mut fresh: Vec<Listener> = Vec::new();
    for spec in specs {
        let key = spec.address.to_string();
        if current.iter().any(|l| l.key() == key) {
            continue;
        }
        match bind(spec) {
            Ok(l) => fresh.push(l),
            Err(e) => {
                fresh.into_iter().for_each(Listener::close);
                return Err(e);
            }
        }
    }
    Ok(fresh)
}

/// Update a kept listener to a reloaded spec (backlog, name, tls).
pub fn respec(listener: &mut Listener, spec: &Listen) {
    if spec.backlog != listener.spec.backlog
        && let Err(e) = set_backlog(&listener.fd, spec.backlog)
    {
        log::warn!("cannot change backlog of {}: {e}", listener.key());
    }
    listener.spec = spec.clone();
}

/// The environment value that hands `listeners` to a new master.
pub fn inherit_env_value(listeners: &[Listener]) -> String {
    listeners
        .iter()
        .map(|l| format!("{} {}\n", l.fd.as_raw_fd(), l.key()))
        .collect()
}

fn adopt(spec: &Listen, fd: OwnedFd, origin: Origin) -> Result<Listener, ListenError> {
    let err = |reason: String| ListenError {
        address: spec.address.to_string(),
        reason,
    };
    let local = local_address(&fd).ok_or_else(|| err("inherited fd is not a socket".into()))?;
    let family_ok = matches!(
        (&local, &spec.address),
        (ListenAddress::Tcp(_), ListenAddress::Tcp(_))
            | (ListenAddress::Unix(_), ListenAddress::Unix(_))
    );
    if !family_ok {
        return Err(err(format!("inherited socket is {local}, of another kind")));
    }
    nix::fcntl::fcntl(
        fd.as_fd(),
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
    )
    .map_err(|e| err(e.to_string()))?;
    Ok(Listener {
        spec: spec.clone(),
        fd,
        local: local.to_string(),
        origin,
    })
}

fn bind(spec: &Listen) -> Result<Listener, ListenError> {
    let err = |reason: String| ListenError {
        address: spec.address.to_string(),
        reason,
    };
    let (fd, local): (OwnedFd, String) = match &spec.address {
        ListenAddress::Tcp(addr) => {
            let l = TcpListener::bind(addr).map_err(|e| err(e.to_string()))?;
            l.set_nonblocking(true).map_err(|e| err(e.to_string()))?;
            let local = l.local_addr().map_err(|e| err(e.to_string()))?;
            (OwnedFd::from(l), local.to_string())
        }
        ListenAddress::Unix(path) => {
            remove_stale_socket(path).map_err(err)?;
            let l = UnixListener::bind(path).map_err(|e| err(e.to_string()))?;
            l.set_nonblocking(true).map_err(|e| err(e.to_string()))?;
            (OwnedFd::from(l), format!("unix:{}", path.display()))
        }
    };
    set_backlog(&fd, spec.backlog).map_err(|e| err(e.to_string()))?;
    Ok(Listener {
        spec: spec.clone(),
        fd,
        local,
        origin: Origin::Bound,
    })
}

fn set_backlog(fd: &OwnedFd, backlog: i32) -> io::Result<()> {
    let backlog = Backlog::new(backlog).map_err(io::Error::from)?;
    nix::sys::socket::listen(fd, backlog)?;
    Ok(())
}

/// A unix socket file left by a crashed server is removed; one that still
/// accepts connections belongs to a live server and is an error.
pub(super) fn remove_stale_socket(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(format!("{} exists and is not a socket", path.display()));
    }
    match UnixStream::connect(path) {
        Ok(_) => Err(format!("{} is in use by a running server", path.display())),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            std::fs::remove_file(path).map_err(|e| format!("removing stale socket: {e}"))
        }
        Err(e) => Err(format!("checking existing socket: {e}")),
    }
}

/// The address a socket is bound to.
pub fn local_address(fd: &OwnedFd) -> Option<ListenAddress> {
    let addr: SockaddrStorage = nix::sys::socket::getsockname(fd.as_raw_fd()).ok()?;
    match addr.family()? {
        AddressFamily::Inet => {
            let a = addr.as_sockaddr_in()?;
            Some(ListenAddress::Tcp(SocketAddr::V4((*a).into())))
        }
        AddressFamily::Inet6 => {
            let a = addr.as_sockaddr_in6()?;
            Some(ListenAddress::Tcp(SocketAddr::V6((*a).into())))
        }
        AddressFamily::Unix => {
            let path = addr.as_unix_addr()?.path()?;
            Some(ListenAddress::Unix(PathBuf::from(path)))
        }
        _ => None,
    }
}

fn same_address(actual: &ListenAddress, configured: &ListenAddress) -> bool {
    match (actual, configured) {
        (ListenAddress::Tcp(a), ListenAddress::Tcp(c)) => {
            a.port() == c.port()
                && (a.ip() == c.ip() || c.ip().is_unspecified() && a.ip().is_unspecified())
        }
        (ListenAddress::Unix(a), ListenAddress::Unix(c)) => a == c,
        _ => false,
    }
}
