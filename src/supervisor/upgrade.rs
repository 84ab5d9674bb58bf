//! USR2 binary upgrade, both sides.
//!
//! Old master: fork+exec the binary on disk with the same argv and working
//! directory, listeners inherited (fd numbers and configured addresses in
//! `$BICORN_LISTENERS`), the control socket if any (`$BICORN_CONTROL`),
//! plus the write end of a pipe (`$BICORN_UPGRADE_FD`).
//! The pid file moves to `<pid>.oldbin`. When the new master's workers are
//! all ready it writes `ready` on the pipe; the old master then tells
//! systemd `MAINPID=<new>` and `READY=1` and retires gracefully. If the new
//! master exits, closes the pipe, or is not ready within
//! `upgrade_timeout`, the old one kills it, restores its pid file, logs why
//! and keeps serving. A control client that asked for the upgrade is
//! answered when it succeeds or fails; from then on only the new master
//! accepts on the control socket.
//!
//! New master: [`Handover::from_env`] finds the pipe; [`Handover::ready`]
//! is called once all its workers are ready.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Instant;

use nix::fcntl::OFlag;
use nix::unistd::Pid;

use crate::supervisor::control::{Answer, CONTROL_ENV, Command};
use crate::supervisor::listeners::{INHERIT_ENV, Listener, inherit_env_value};
use crate::sys::{adopt_fd, set_cloexec};

/// Environment variable carrying the readiness pipe's fd to a new master.
pub const UPGRADE_FD_ENV: &str = "BICORN_UPGRADE_FD";

/// How the binary was started, to start it again.
#[derive(Debug, Clone)]
pub struct Invocation {
    exe: PathBuf,
    args: Vec<OsString>,
    cwd: PathBuf,
}

impl Invocation {
    /// Capture the executable path, argv and cwd now, at start: after a
    /// deploy replaces the file, `/proc/self/exe` would name a deleted one.
    pub fn capture() -> io::Result<Self> {
        Ok(Self {
            exe: std::env::current_exe()?,
            args: std::env::args_os().skip(1).collect(),
            cwd: std::env::current_dir()?,
        })
    }

    /// The executable path.
    pub fn exe(&self) -> &Path {
        &self.exe
    }
}

/// An upgrade in progress, seen from the old master.
#[derive(Debug)]
pub struct Upgrade {
    child: Pid,
    ready_rx: File,
    received: Vec<u8>,
    deadline: Instant,
    closed_at: Option<Instant>,
}

/// What the old master learns when it looks at an upgrade.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// Not ready yet.
    Waiting,
    /// The new master's workers are all ready.
    Ready,
    /// The pipe closed without `ready`: the new master died or gave up.
    Closed,
}

impl Upgrade {
    /// Start the new master, handing it `listeners` and the control
    /// socket (`control`: its fd and path).
    pub fn start(
        inv: &Invocation,
        listeners: &[Listener],
        control: Option<(BorrowedFd<'_>, &Path)>,
        deadline: Instant,
    ) -> io::Result<Self> {
        let (rx, tx) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        set_cloexec(&tx, false)?;
        for l in listeners {
            set_cloexec(l.fd(), false)?;
        }
        let mut cmd = std::process::Command::new(&inv.exe);
        if let Some((fd, path)) = control {
            set_cloexec(&fd, false)?;
            cmd.env(
                CONTROL_ENV,
                format!("{} {}", fd.as_raw_fd(), path.display()),
            );
        }
        let spawned = cmd
            .args(&inv.args)
            .current_dir(&inv.cwd)
            .env(INHERIT_ENV, inherit_env_value(listeners))
            .env(UPGRADE_FD_ENV, tx.as_raw_fd().to_string())
            .env_remove("LISTEN_PID")
            .env_remove("LISTEN_FDS")
            .env_remove("LISTEN_FDNAMES")
            .env_remove("WATCHDOG_PID")
            .spawn();
        for l in listeners {
            let _ = set_cloexec(l.fd(), true);
        }
        if let Some((fd, _)) = control {
            let _ = set_cloexec(&fd, true);
        }
        drop(tx);
        let child = spawned?;
        Ok(Self {
            child: Pid::from_raw(child.id() as i32),
            ready_rx: File::from(rx),
            received: Vec::new(),
            deadline,
            closed_at: None,
        })
    }

    /// The new master's pid.
    pub fn child(&self) -> Pid {
        self.child
    }

    /// When the new master must be ready.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Has the pipe been seen closed without `ready`?
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    /// The pipe's fd, to sleep on.
    pub fn fd(&self) -> &File {
        &self.ready_rx
    }

    /// Read what the new master wrote.
    pub fn progress(&mut self) -> Progress {
        let mut buf = [0u8; 64];
        loop {
            match self.ready_rx.read(&mut buf) {
                Ok(0) => {
                    return if self.received.starts_with(b"ready") {
                        Progress::Ready
                    } else {
                        Progress::Closed
                    };
                }
                Ok(n) => {
                    self.received.extend_from_slice(&buf[..n]);
                    if self.received.contains(&b'\n') {
                        return if self.received.starts_with(b"ready") {
                            Progress::Ready
                        } else {
                            Progress::Closed
                        };
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Progress::Waiting,
            }
        }
    }
}

/// The new master's end of the readiness pipe.
#[derive(Debug)]
pub struct Handover {
    tx: OwnedFd,
}

impl Handover {
    /// Take the pipe named by `$BICORN_UPGRADE_FD` (then removed).
    pub fn from_env() -> Result<Option<Self>, String> {
        let Ok(value) = std::env::var(UPGRADE_FD_ENV) else {
            return Ok(None);
        };
        crate::sys::remove_env(&[UPGRADE_FD_ENV]).map_err(|e| e.to_string())?;
        let fd: i32 = value
            .parse()
            .map_err(|_| format!("{UPGRADE_FD_ENV} is not an fd: {value:?}"))?;
        let tx = adopt_fd(fd).map_err(|e| format!("{UPGRADE_FD_ENV} fd {fd}: {e}"))?;
        Ok(Some(Self { tx }))
    }

    /// Tell the old master we serve.
    pub fn ready(self) {
        let mut f = File::from(self.tx);
        if let Err(e) = writeln!(f, "ready {}", std::process::id()) {
            log::warn!("cannot tell the old master we are ready: {e}");
        }
    }
}

impl super::Supervisor {
    /// USR2, or `upgrade` on the control socket. `Err` says why no new
    /// master was started; `Ok` means one is starting, and its outcome is
    /// reported to waiting control clients later.
    pub(super) fn begin_upgrade(&mut self, now: Instant) -> Result<(), String> {
        if self.stop.is_some() {
            return Err("the server is stopping".into());
        }
        if let Some(up) = &self.upgrade {
            let why = format!(
                "an upgrade (new master pid {}) is already in progress",
                up.child()
            );
            log::warn!("USR2 ignored: {why}");
            return Err(why);
        }
        if self.handover.is_some() {
            let why = "this master is itself still starting up".to_string();
            log::warn!("USR2 ignored: {why}");
            return Err(why);
        }
        if let Some(p) = &self.pidfile
            && let Err(e) = p.move_to_oldbin()
        {
            log::warn!(
                "cannot rename pid file to {}: {e}",
                p.oldbin_path().display()
            );
        }
        let deadline = now + self.config.upgrade_timeout;
        let control = self
            .control
            .as_ref()
            .and_then(|c| c.listener_fd().map(|l| (l.as_fd(), c.path())));
        let started = Upgrade::start(&self.invocation, &self.listeners, control, deadline);
        match started {
            Ok(up) => {
                log::info!(
                    "USR2: started new master pid {} from {}",
                    up.child(),
                    self.invocation.exe().display()
                );
                self.history.upgrade_started();
                self.upgrade = Some(up);
                Ok(())
            }
            Err(e) => {
                self.restore_pidfile();
                let why = format!(
                    "upgrade failed: cannot start {}: {e}; still serving",
                    self.invocation.exe().display()
                );
                log::error!("{why}");
                self.history.upgrade_failed();
                Err(why)
            }
        }
    }

    /// Look at an upgrade in progress, and at a failed new master we are
    /// waiting to see gone.
    pub(super) fn check_upgrade(&mut self, now: Instant) {
        if let Some((pid, since)) = self.upgrade_victim
            && now.duration_since(since) > std::time::Duration::from_secs(5)
        {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
        let Some(up) = &mut self.upgrade else {
            return;
        };
        match up.progress() {
            Progress::Ready => {
                let child = up.child();
                self.upgrade = None;
                log::info!("upgrade: new master pid {child} is ready; this master retires");
                if let Some(c) = self.control.as_mut() {
                    c.hand_over();
                }
                self.answer_waiting(
                    Command::Upgrade,
                    Answer::Ok(format!(
                        "upgrade complete: new master pid {child} is ready; master pid {} retires",
                        std::process::id()
                    )),
                );
                self.notifier.notify(&format!("MAINPID={child}\nREADY=1"));
                self.handed_over = true;
                if let Some(p) = &self.pidfile {
                    p.remove_oldbin();
                }
                self.stop = Some(super::Stop::Graceful {
                    deadline: now + self.config.shutdown_timeout,
                    killed: false,
                });
                self.retire_all(now, |_| true);
            }
            Progress::Closed => {
                // Usually the new master exited: give the reaper a moment
                // to report how, before settling for "closed the pipe".
                let closed_at = *up.closed_at.get_or_insert(now);
                if now.duration_since(closed_at) < std::time::Duration::from_secs(1) {
                    return;
                }
                let child = up.child();
                self.upgrade_failed(
                    &format!(
                        "new master pid {child} closed the readiness pipe without being ready"
                    ),
                    false,
                );
            }
            Progress::Waiting if now >= up.deadline() => {
                let child = up.child();
                self.upgrade_failed(
                    &format!(
                        "new master pid {child} not ready within upgrade_timeout ({:?})",
                        self.config.upgrade_timeout
                    ),
                    false,
                );
            }
            Progress::Waiting => {}
        }
    }

    /// Give up on the upgrade: stop the new master, restore the pid file.
    pub(super) fn upgrade_failed(&mut self, why: &str, reaped: bool) {
        let Some(up) = self.upgrade.take() else {
            return;
        };
        // The pid file names this master again before anyone is told (log
        // line, control client) that the upgrade failed.
        self.restore_pidfile();
        if !reaped && nix::sys::signal::kill(up.child(), nix::sys::signal::Signal::SIGTERM).is_ok()
        {
            self.upgrade_victim = Some((up.child(), Instant::now()));
        }
        self.history.upgrade_failed();
        let message = if self.stop.is_some() {
            format!("upgrade abandoned: {why}")
        } else {
            format!("upgrade failed: {why}; the old master keeps serving")
        };
        if self.stop.is_some() {
            log::warn!("{message}");
        } else {
            log::error!("{message}");
        }
        self.answer_waiting(Command::Upgrade, Answer::Error(message));
    }

    fn restore_pidfile(&self) {
        if let Some(p) = &self.pidfile
            && let Err(e) = p.restore()
        {
            log::error!("cannot restore pid file {}: {e}", p.path().display());
        }
    }
}
