//! systemd integration without libsystemd: `sd_notify` datagrams and
//! `sd_listen_fds` socket activation, as sd_notify(3) and sd_listen_fds(3)
//! describe them.
//!
//! Only the master talks to systemd (the unit uses `NotifyAccess=main`);
//! during a binary upgrade the old master hands over with `MAINPID=`.

use std::os::fd::{OwnedFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

use crate::sys::adopt_fd;

/// sd_listen_fds(3): "SD_LISTEN_FDS_START … 3".
const LISTEN_FDS_START: RawFd = 3;

/// The notification socket named by `$NOTIFY_SOCKET`, if any.
#[derive(Debug)]
pub struct Notifier {
    socket: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// Read `$NOTIFY_SOCKET` and `$WATCHDOG_USEC`/`$WATCHDOG_PID`. The
    /// variables stay in the environment: a new master started by USR2
    /// needs them too.
    pub fn from_env() -> Self {
        let socket = std::env::var_os("NOTIFY_SOCKET").and_then(|path| {
            let bytes = path.as_encoded_bytes();
            // sd_notify(3): an address starting with "@" is in the abstract
            // namespace.
            let addr = match bytes.strip_prefix(b"@") {
                Some(name) => SocketAddr::from_abstract_name(name).ok()?,
                None => SocketAddr::from_pathname(&path).ok()?,
            };
            let sock = UnixDatagram::unbound().ok()?;
            sock.set_nonblocking(true).ok()?;
            Some((sock, addr))
        });
        let watchdog = watchdog_from_env();
        Self { socket, watchdog }
    }

    /// A notifier that says nothing (workers, `-t`).
    pub fn disabled() -> Self {
        Self {
            socket: None,
            watchdog: None,
        }
    }

    /// Send `state` (newline-separated `KEY=VALUE` lines). Failures are
    /// logged at debug: systemd being away must not stop the server.
    pub fn notify(&self, state: &str) {
        if let Some((sock, addr)) = &self.socket
            && let Err(e) = sock.send_to_addr(state.as_bytes(), addr)
        {
            log::debug!("sd_notify({}) failed: {e}", state.replace('\n', " "));
        }
    }

    /// The watchdog interval systemd asked for, if any.
    pub fn watchdog(&self) -> Option<Duration> {
        self.watchdog
    }
}

fn watchdog_from_env() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    // sd_watchdog_enabled(3): WATCHDOG_PID, when set, must be our pid.
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    (usec > 0).then(|| Duration::from_micros(usec))
}

/// `MONOTONIC_USEC=` for a `RELOADING=1` message: CLOCK_MONOTONIC in µs.
pub fn monotonic_usec() -> u64 {
    crate::sys::monotonic_ms() * 1000
}

/// One socket passed by systemd, with its `FileDescriptorName=`.
#[derive(Debug)]
pub struct ActivatedSocket {
    /// The fd, now owned by us (close-on-exec set).
    pub fd: OwnedFd,
    /// Its name from `$LISTEN_FDNAMES`, if given.
    pub name: Option<String>,
}

/// sd_listen_fds(3): take the sockets systemd passed if `$LISTEN_PID` is
/// us, and unset the variables so no child mistakes them for its own.
pub fn take_listen_fds() -> Result<Vec<ActivatedSocket>, String> {
    let pid = std::env::var("LISTEN_PID").ok();
    let count = std::env::var("LISTEN_FDS").ok();
    let names = std::env::var("LISTEN_FDNAMES").ok();
    clear_listen_env()?;
    let (Some(pid), Some(count)) = (pid, count) else {
        return Ok(Vec::new());
    };
    if pid.trim().parse::<u32>().ok() != Some(std::process::id()) {
        return Ok(Vec::new());
    }
    let count: RawFd = count
        .trim()
        .parse()
        .map_err(|_| format!("LISTEN_FDS is not a number: {count:?}"))?;
    let names: Vec<Option<String>> = match names {
        Some(n) => n
            .split(':')
            .map(|s| (!s.is_empty() && s != "unknown").then(|| s.to_string()))
            .collect(),
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for i in 0..count.max(0) {
        let fd = adopt_fd(LISTEN_FDS_START + i)
            .map_err(|e| format!("LISTEN_FDS fd {}: {e}", LISTEN_FDS_START + i))?;
        let name = names.get(i as usize).cloned().flatten();
        out.push(ActivatedSocket { fd, name });
    }
    Ok(out)
}

fn clear_listen_env() -> Result<(), String> {
    crate::sys::remove_env(&["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"])
        .map_err(|e| format!("cannot clear LISTEN_* variables: {e}"))
}
