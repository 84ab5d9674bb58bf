//! The master process: owns the listening sockets and the worker table,
//! and turns Unix signals into operations. It never parses HTTP.
//!
//! The loop is Unicorn's: reap every exited child, handle one queued
//! signal, serve the control socket (`control.rs`, `commands.rs`: status, reload,
//! upgrade, stop, worker count, each answered), notice ready and hung
//! workers, keep the worker count, sleep on the self-pipe and the control
//! socket's fds with a timeout. Signal handlers only enqueue (a byte in
//! the self-pipe, see `sys::signals`); workers write a zero byte to the same
//! pipe when their scoreboard state changes. The master is single-threaded,
//! which `sys::fork` checks before every fork.

pub mod backoff;
mod commands;
pub mod control;
pub mod control_client;
pub mod listeners;
pub mod pidfile;
mod reload;
pub mod scoreboard;
mod status;
pub mod systemd;
pub mod upgrade;
mod workers;

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::signal::Signal;

use crate::config::{Config, ConfigError};
use crate::sys;
use crate::tls::{ServerConfigs, TlsError};

use backoff::Backoff;
use control::{Answer, Command, Control};
use listeners::{Inherited, ListenError, Listener};
use pidfile::PidFile;
use scoreboard::{MAX_SLOTS, Scoreboard};
use status::History;
use systemd::Notifier;
use upgrade::{Handover, Invocation, Upgrade};
use workers::WorkerProc;

/// Signals the master catches. They are blocked across `fork` so that one
/// sent to a new worker before it has its own signal pipe waits for it
/// instead of landing in the master's queue.
pub(crate) const CAUGHT: [i32; 10] = [
    libc::SIGQUIT,
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGHUP,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
    libc::SIGTTIN,
    libc::SIGTTOU,
    libc::SIGCHLD,
];

/// Longest sleep of the master loop (hung-worker checks run this often).
const MAX_SLEEP: Duration = Duration::from_millis(500);
/// Time workers get to exit after a fast stop before they are killed.
const FAST_STOP_GRACE: Duration = Duration::from_secs(3);

/// Why the server could not start. Nothing is left running when this is
/// returned.
#[derive(Debug)]
pub enum StartError {
    /// The configuration is invalid.
    Config(ConfigError),
    /// A TLS listener's certificate or key cannot be used.
    Tls {
        config: PathBuf,
        error: Box<TlsError>,
    },
    /// A listener could not be opened.
    Listen(ListenError),
    /// Anything else (pid file, log file, environment, privileges).
    Setup(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Config(e) => write!(f, "{e}"),
            StartError::Tls { config, error } => write!(f, "{}: {error}", config.display()),
            StartError::Listen(e) => write!(f, "{e}"),
            StartError::Setup(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for StartError {}

#[derive(Debug, Clone, Copy)]
enum Stop {
    /// QUIT, or retiring after a successful upgrade.
    Graceful { deadline: Instant, killed: bool },
    /// TERM or INT.
    Fast { deadline: Instant, killed: bool },
}

/// The master.
#[derive(Debug)]
pub struct Supervisor {
    config: Config,
    /// The TLS settings loaded for `config`, listener by listener.
    tls: ServerConfigs,
    invocation: Invocation,
    listeners: Vec<Listener>,
    board: Scoreboard,
    free_slots: Vec<usize>,
    workers: Vec<WorkerProc>,
    /// The generation now in charge (its workers count toward `target`).
    generation: u32,
    /// The highest generation number handed out so far.
    last_generation: u32,
    target: usize,
    backoff: Vec<Backoff>,
    reload: Option<reload::Pending>,
    upgrade: Option<Upgrade>,
    upgrade_victim: Option<(nix::unistd::Pid, Instant)>,
    handover: Option<Handover>,
    handed_over: bool,
    winched: bool,
    stop: Option<Stop>,
    /// The self-pipe: signal handlers and workers write, the loop reads.
    /// `None` only in a child between fork and becoming a worker.
    wake_rx: Option<File>,
    wake_tx: Option<OwnedFd>,
    queue: VecDeque<i32>,
    notifier: Notifier,
    pidfile: Option<PidFile>,
    announced: bool,
    last_watchdog: Option<Instant>,
    /// The control socket, when `control` is configured.
    control: Option<Control>,
    /// What the master remembers for status answers.
    history: History,
}

/// Start the master on the config at `path` and run until it stops.
pub fn run(path: &Path) -> Result<(), StartError> {
    let mut sup = Supervisor::start(path)?;
    sup.serve();
    Ok(())
}

impl Supervisor {
    fn start(path: &Path) -> Result<Self, StartError> {
        let config = Config::load(path).map_err(StartError::Config)?;
        crate::app::api::check_routes(&config).map_err(StartError::Setup)?;
        crate::logging::init(config.log.level);
        if let Some(file) = &config.log.file {
            crate::logging::redirect_stderr(file, crate::logging::log_owner(&config)).map_err(
                |e| StartError::Setup(format!("cannot open log file {}: {e}", file.display())),
            )?;
        }
        check_privileges(&config).map_err(StartError::Setup)?;
        // The access log file is created here (owned by the workers' user)
        // so that an unwritable path stops the start, naming it.
        crate::app::access_log::AccessLog::prepare(
            &config.access_log,
            crate::logging::log_owner(&config),
        )
        .map_err(|e| StartError::Setup(e.to_string()))?;
        // Certificates are loaded before any socket is bound or worker
        // forked: a bad one stops the start here, naming its file.
        let tls = ServerConfigs::load(&config).map_err(|error| StartError::Tls {
            config: config.source.clone(),
            error: Box::new(error),
        })?;
        let invocation = Invocation::capture()
            .map_err(|e| StartError::Setup(format!("cannot find own executable: {e}")))?;
        let activated = systemd::take_listen_fds().map_err(StartError::Setup)?;
        let mut inherited = Inherited::from_env(activated).map_err(StartError::Setup)?;
        let handover = Handover::from_env().map_err(StartError::Setup)?;
        let listeners =
            listeners::open_all(&config.listeners, &mut inherited).map_err(StartError::Listen)?;
        inherited.close_unused();
        let control = commands::open_control(&config)?;
        let board = Scoreboard::new()
            .map_err(|e| StartError::Setup(format!("cannot map the scoreboard: {e}")))?;
        let (rx, tx) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
            .map_err(|e| StartError::Setup(format!("pipe: {e}")))?;
        sys::install_signal_pipe(tx.as_raw_fd(), &CAUGHT)
            .map_err(|e| StartError::Setup(format!("cannot install signal handlers: {e}")))?;
        let pidfile = match &config.pid {
            Some(p) => Some(PidFile::create(p).map_err(|e| {
                StartError::Setup(format!("cannot write pid file {}: {e}", p.display()))
            })?),
            None => None,
        };
        let target = config.workers;
        log::info!(
            "master starting: pid {}, config {}, {} workers, listening on {}",
            std::process::id(),
            config.source.display(),
            target,
            listeners
                .iter()
                .map(|l| l.local().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(Self {
            config,
            tls,
            invocation,
            listeners,
            board,
            free_slots: (0..MAX_SLOTS).rev().collect(),
            workers: Vec::new(),
            generation: 1,
            last_generation: 1,
            target,
            backoff: vec![Backoff::default(); target],
            reload: None,
            upgrade: None,
            upgrade_victim: None,
            handover,
            handed_over: false,
            winched: false,
            stop: None,
            wake_rx: Some(File::from(rx)),
            wake_tx: Some(tx),
            queue: VecDeque::new(),
            notifier: Notifier::from_env(),
            pidfile,
            announced: false,
            last_watchdog: None,
            control,
            history: History::new(Instant::now()),
        })
    }

    fn serve(&mut self) {
        loop {
            let now = Instant::now();
            self.reap(now);
            if let Some(sig) = self.queue.pop_front() {
                self.on_signal(sig, now);
            }
            self.serve_control(now);
            self.check_workers(now);
            self.check_reload(now);
            self.check_upgrade(now);
            if self.stop.is_some() {
                if self.workers.is_empty() && self.upgrade.is_none() {
                    break;
                }
                self.enforce_stop_deadline(now);
            } else {
                self.maintain(now);
            }
            self.watchdog(now);
            self.sleep(now);
        }
        self.finish();
    }

    fn on_signal(&mut self, sig: i32, now: Instant) {
        let Ok(signal) = Signal::try_from(sig) else {
            return;
        };
        match signal {
            Signal::SIGQUIT => self.begin_stop(now, true),
            Signal::SIGTERM | Signal::SIGINT => self.begin_stop(now, false),
            Signal::SIGHUP => {
                let _ = self.begin_reload(now);
            }
            Signal::SIGUSR2 => {
                let _ = self.begin_upgrade(now);
            }
            Signal::SIGUSR1 => self.reopen_logs(),
            Signal::SIGWINCH if self.stop.is_none() => {
                log::info!("WINCH: stopping all workers; HUP starts them again");
                self.winched = true;
                self.retire_all(now, |_| true);
                self.status();
            }
            Signal::SIGTTIN => {
                let _ = self.add_worker("TTIN");
            }
            Signal::SIGTTOU => {
                let _ = self.remove_worker("TTOU");
            }
            _ => {} // SIGCHLD: reaping happens every turn
        }
    }

    /// TTIN: one more worker, up to [`crate::config::MAX_WORKERS`].
    fn add_worker(&mut self, why: &str) -> Result<String, String> {
        if self.target >= crate::config::MAX_WORKERS {
            let message = format!("{why} ignored: already at {} workers", self.target);
            log::info!("{message}");
            return Err(message);
        }
        self.target += 1;
        self.backoff.resize(self.target, Backoff::default());
        let message = format!("{why}: worker count now {}", self.target);
        log::info!("{message}");
        Ok(message)
    }

    /// TTOU: one fewer worker, never below 1.
    fn remove_worker(&mut self, why: &str) -> Result<String, String> {
        if self.target <= 1 {
            let message = format!("{why} ignored: already at 1 worker");
            log::info!("{message}");
            return Err(message);
        }
        self.target -= 1;
        self.backoff.truncate(self.target);
        let message = format!("{why}: worker count now {}", self.target);
        log::info!("{message}");
        Ok(message)
    }

    fn begin_stop(&mut self, now: Instant, graceful: bool) {
        match (self.stop, graceful) {
            (Some(Stop::Fast { .. }), _) | (Some(Stop::Graceful { .. }), true) => return,
            _ => {}
        }
        if !self.handed_over {
            self.notifier.notify("STOPPING=1");
        }
        if self.upgrade.is_some() {
            self.upgrade_failed("the server is stopping", false);
        }
        if self.reload.is_some() {
            self.answer_waiting(
                Command::Reload,
                Answer::Error("the server is stopping; the reload is abandoned".into()),
            );
        }
        if graceful {
            log::info!(
                "graceful stop: draining {} workers (limit {:?})",
                self.workers.len(),
                self.config.shutdown_timeout
            );
            self.stop = Some(Stop::Graceful {
                deadline: now + self.config.shutdown_timeout,
                killed: false,
            });
            self.retire_all(now, |_| true);
        } else {
            log::info!("fast stop: terminating {} workers", self.workers.len());
            self.stop = Some(Stop::Fast {
                deadline: now + FAST_STOP_GRACE,
                killed: false,
            });
            for w in &self.workers {
                let _ = nix::sys::signal::kill(w.pid, Signal::SIGTERM);
            }
        }
    }

    fn enforce_stop_deadline(&mut self, now: Instant) {
        let (deadline, killed) = match &mut self.stop {
            Some(Stop::Graceful { deadline, killed }) | Some(Stop::Fast { deadline, killed }) => {
                (*deadline, killed)
            }
            None => return,
        };
        if now >= deadline && !*killed {
            *killed = true;
            for w in &self.workers {
                log::warn!(
                    "worker pid {} still running at stop deadline; killing",
                    w.pid
                );
                let _ = nix::sys::signal::kill(w.pid, Signal::SIGKILL);
            }
        }
    }

    fn reopen_logs(&mut self) {
        if let Some(path) = &self.config.log.file {
            match crate::logging::redirect_stderr(path, crate::logging::log_owner(&self.config)) {
                Ok(()) => log::info!("USR1: reopened {}", path.display()),
                Err(e) => log::error!("USR1: cannot reopen {}: {e}", path.display()),
            }
        }
        // A renamed access log is created again (owned by the workers'
        // user) before the workers reopen it.
        if let Err(e) = crate::app::access_log::AccessLog::prepare(
            &self.config.access_log,
            crate::logging::log_owner(&self.config),
        ) {
            log::warn!("USR1: {e}");
        }
        for w in &self.workers {
            let _ = nix::sys::signal::kill(w.pid, Signal::SIGUSR1);
        }
    }

    /// Systemd's watchdog is fed only while every worker's heartbeat is
    /// fresh: no older than `timeout` plus two loop turns, the latest the
    /// master kills and replaces a hung worker. Pings thus stop exactly
    /// when supervision has failed (a master that no longer kills hung
    /// workers, or no longer runs its loop), and a single hung worker,
    /// which the master handles, never gets the whole service killed.
    fn watchdog(&mut self, now: Instant) {
        let Some(interval) = self.notifier.watchdog() else {
            return;
        };
        if self.handed_over {
            return; // systemd now watches the new master
        }
        if self
            .last_watchdog
            .is_some_and(|t| now.duration_since(t) < interval / 2)
        {
            return;
        }
        let fresh = self.config.timeout + 2 * MAX_SLEEP;
        if self.all_heartbeats_fresh(fresh) {
            self.notifier.notify("WATCHDOG=1");
            self.last_watchdog = Some(now);
        }
    }

    fn status(&self) {
        let ready = self
            .workers
            .iter()
            .filter(|w| w.ready && w.retiring.is_none())
            .count();
        let line = if self.winched {
            format!(
                "STATUS=generation {}, workers stopped (WINCH)",
                self.generation
            )
        } else {
            format!(
                "STATUS=generation {}, {ready}/{} workers ready",
                self.generation, self.target
            )
        };
        self.notifier.notify(&line);
    }

    fn sleep(&mut self, now: Instant) {
        let mut wait = MAX_SLEEP;
        for b in &self.backoff {
            if let Some(t) = b.waiting_until() {
                wait = wait.min(t.saturating_duration_since(now));
            }
        }
        if !self.queue.is_empty() {
            wait = Duration::ZERO;
        }
        let upgrade_fd = match &self.upgrade {
            Some(up) if up.is_closed() => {
                wait = wait.min(Duration::from_millis(50));
                None
            }
            Some(up) => Some(up.fd().as_fd()),
            None => None,
        };
        let accepting = self.handover.is_none() && !self.handed_over;
        let (control_fds, control_wait) = match &self.control {
            Some(c) => c.poll_fds(accepting, now),
            None => (Vec::new(), Duration::MAX),
        };
        wait = wait.min(control_wait);
        let Some(wake_rx) = self.wake_rx.as_mut() else {
            return;
        };
        let millis = u16::try_from(wait.as_millis()).unwrap_or(u16::MAX);
        let mut fds = vec![PollFd::new(wake_rx.as_fd(), PollFlags::POLLIN)];
        if let Some(fd) = upgrade_fd {
            fds.push(PollFd::new(fd, PollFlags::POLLIN));
        }
        fds.extend(control_fds);
        let _ = nix::poll::poll(&mut fds, PollTimeout::from(millis));
        drop(fds);
        let mut buf = [0u8; 256];
        while let Ok(n) = wake_rx.read(&mut buf) {
            if n == 0 {
                break;
            }
            self.queue
                .extend(buf[..n].iter().filter(|&&b| b != 0).map(|&b| i32::from(b)));
        }
    }

    fn finish(&mut self) {
        if let Some(control) = self.control.take() {
            control.close();
        }
        if !self.handed_over {
            if let Some(p) = &self.pidfile {
                p.remove_if_ours();
            }
            for l in self.listeners.drain(..) {
                l.close();
            }
            log::info!("master exiting");
        } else {
            if let Some(p) = &self.pidfile {
                p.remove_oldbin();
            }
            log::info!("old master exiting after upgrade");
        }
    }

    fn current_pidfile_path(&self) -> Option<PathBuf> {
        self.pidfile.as_ref().map(|p| p.path().to_path_buf())
    }
}

/// The set of [`CAUGHT`] signals.
pub(crate) fn caught_set() -> nix::sys::signal::SigSet {
    let mut set = nix::sys::signal::SigSet::empty();
    for sig in CAUGHT {
        if let Ok(s) = Signal::try_from(sig) {
            set.add(s);
        }
    }
    set
}

/// `user`/`group` need root; say so before anything starts.
fn check_privileges(config: &Config) -> Result<(), String> {
    let euid = nix::unistd::geteuid();
    if euid.is_root() {
        return Ok(());
    }
    if let Some(u) = &config.user
        && u.uid != euid.as_raw()
    {
        return Err(format!(
            "{}: `user` = {:?} needs the master to start as root (running as uid {})",
            config.source.display(),
            u.name,
            euid
        ));
    }
    if let Some(g) = &config.group
        && g.gid != nix::unistd::getegid().as_raw()
    {
        return Err(format!(
            "{}: `group` = {:?} needs the master to start as root",
            config.source.display(),
            g.name
        ));
    }
    Ok(())
}
