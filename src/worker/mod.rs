//! A worker process: one mio `Poll`, never blocking.
//!
//! mio registers sockets edge-triggered, so every readiness event is
//! drained until `WouldBlock` (reads, writes and accepts). Listening
//! sockets are the exception: they are added level-triggered with
//! `EPOLLEXCLUSIVE` straight on the Poll's epoll fd (see `sys::epoll`), so
//! one idle worker is woken per incoming connection instead of all of them.
//!
//! Each loop turn ticks the heartbeat in the worker's scoreboard slot (the
//! master kills a worker whose tick is older than `timeout`), and the poll
//! timeout is capped so an idle worker still ticks twice a second.
//!
//! A connection accepted on a TLS listener is wrapped in a rustls server
//! connection (`tls.rs`, with the settings the master loaded) and shakes
//! hands before it speaks HTTP; ALPN then picks HTTP/2 or HTTP/1.1
//! (`client.rs`). The wrapper keeps the edge-triggered rule: it reports
//! `WouldBlock` only when the socket did.
//!
//! Signals (written to a self-pipe by `sys::signals`): QUIT starts a
//! graceful drain, TERM and INT exit at once, USR1 reopens the log file. A
//! worker whose master has gone (its parent pid changed) drains too.
//!
//! Drain: stop accepting (the shared sockets stay open in the other
//! workers and the master, so queued connections are not lost), let each
//! connection finish its request and answer it with `Connection: close`;
//! an idle keep-alive connection is given a short linger in which a request
//! the client already sent is still answered; exit when no connection is
//! left, or at `shutdown_timeout`.

mod access;
mod apps;
mod body;
mod client;
mod conn;
mod fault;
mod h1_reply;
mod h2conn;
mod listener;
mod respond;
mod status;
mod tally;
mod tls;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use nix::unistd::Pid;

use crate::config::{Config, Listen};
use crate::supervisor::scoreboard::{Scoreboard, Slot, WorkerState};
use crate::sys;

use crate::app::api::{Completion, WorkerInfo};
use client::Client;
use fault::Fault;
use listener::Acceptor;
use tally::Seen;

const SIGNAL: Token = Token(0);
/// App handler threads report here (connection tokens never reach it).
const WAKER: Token = Token(usize::MAX);
const FIRST_LISTENER: usize = 1;
const MAX_LISTENERS: usize = crate::config::MAX_LISTENERS;
const FIRST_CONN: usize = FIRST_LISTENER + MAX_LISTENERS;
/// How often a worker checks that its master is still its parent.
const PARENT_CHECK: Duration = Duration::from_millis(100);
/// Longest poll wait: the heartbeat must move even when nothing happens.
const TICK: Duration = Duration::from_millis(500);
/// Most connections accepted per listener event; the listener is
/// level-triggered, so the rest are taken on the next turn (or by another
/// worker) and one worker cannot swallow a whole backlog at once.
const ACCEPT_BATCH: usize = 64;
/// Pause before accepting again when out of file descriptors.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Everything a freshly forked worker is given by its master.
#[derive(Debug)]
pub struct WorkerSetup<'a> {
    /// The configuration of this worker's generation.
    pub config: Config,
    /// Its copies of the listening sockets of that configuration, each
    /// with its TLS settings if it serves TLS (loaded by the master).
    pub listeners: Vec<(Listen, OwnedFd, Option<Arc<rustls::ServerConfig>>)>,
    /// Its scoreboard slot.
    pub slot: Slot<'a>,
    /// The whole scoreboard, which the status routes read.
    pub board: &'a Scoreboard,
    /// Write end of the master's wake-up pipe: a byte there makes the
    /// master look at the scoreboard (ready, draining).
    pub master_pipe: OwnedFd,
    /// The master's pid: when our parent is no longer it, we drain.
    pub master: Pid,
    /// Generation number, for logs and responses.
    pub generation: u32,
    /// Requests after which to recycle (already jittered); 0 = never.
    pub max_requests: u64,
}

/// Run the worker; returns the process exit status.
pub fn run(setup: WorkerSetup<'_>) -> i32 {
    match Worker::new(setup).and_then(|w| w.serve()) {
        Ok(()) => 0,
        Err(e) => {
            log::error!("worker failed: {e}");
            1
        }
    }
}

/// The connection table: indices are recycled, tokens carry a generation
/// tag so an event for a closed connection never reaches its successor.
#[derive(Debug, Default)]
struct Table {
    entries: Vec<Option<(u32, Client)>>,
    tags: Vec<u32>,
    /// What each connection last contributed to the scoreboard's gauges.
    seen: Vec<Seen>,
    free: Vec<usize>,
    live: usize,
}

impl Table {
    fn token(index: usize, tag: u32) -> Token {
        Token(FIRST_CONN + index + ((tag as usize) << 32))
    }

    fn index(token: Token) -> (usize, u32) {
        let raw = token.0 - FIRST_CONN;
        (raw & 0xffff_ffff, (raw >> 32) as u32)
    }

    fn insert(&mut self, conn: Client) -> (Token, usize) {
        let index = self.free.pop().unwrap_or_else(|| {
            self.entries.push(None);
            self.tags.push(0);
            self.seen.push(Seen::default());
            self.entries.len() - 1
        });
        self.seen[index] = Seen::default();
        let tag = self.tags[index];
        self.entries[index] = Some((tag, conn));
        self.live += 1;
        (Self::token(index, tag), index)
    }

    /// What the connection at `token` last contributed.
    fn seen_mut(&mut self, token: Token) -> Option<&mut Seen> {
        self.seen.get_mut(Self::index(token).0)
    }

    fn get(&mut self, token: Token) -> Option<&mut Client> {
        let (index, tag) = Self::index(token);
        match self.entries.get_mut(index) {
            Some(Some((t, conn))) if *t == tag => Some(conn),
            _ => None,
        }
    }

    /// Take the connection out to transform it; put it back with
    /// [`Table::put_back`].
    fn take(&mut self, token: Token) -> Option<Client> {
        let (index, tag) = Self::index(token);
        let entry = self.entries.get_mut(index)?;
        if !matches!(entry, Some((t, _)) if *t == tag) {
            return None;
        }
        entry.take().map(|(_, c)| c)
    }

    fn put_back(&mut self, token: Token, client: Client) {
        let (index, tag) = Self::index(token);
        if let Some(entry) = self.entries.get_mut(index) {
            *entry = Some((tag, client));
        }
    }

    fn remove(&mut self, token: Token) -> Option<Client> {
        let (index, tag) = Self::index(token);
        let entry = self.entries.get_mut(index)?;
        if !matches!(entry, Some((t, _)) if *t == tag) {
            return None;
        }
        let (_, conn) = entry.take()?;
        self.tags[index] = self.tags[index].wrapping_add(1) & 0x7fff_ffff;
        self.free.push(index);
        self.live -= 1;
        Some(conn)
    }

    fn tokens(&self) -> Vec<Token> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|(tag, _)| Self::token(i, *tag)))
            .collect()
    }
}

struct Worker<'a> {
    config: Config,
    poll: Poll,
    acceptors: Vec<Acceptor>,
    accepting: bool,
    /// Accepting paused after EMFILE/ENFILE, until this instant.
    accept_resume: Option<Instant>,
    /// Accepting paused at max_connections, until a connection closes.
    full: bool,
    last_accept_error_log: Option<Instant>,
    slot: Slot<'a>,
    master_pipe: OwnedFd,
    signal_rx: std::fs::File,
    _signal_tx: OwnedFd,
    generation: u32,
    parent: Pid,
    /// When the parent pid was last compared with the master's.
    parent_checked: Instant,
    conns: Table,
    /// Connections to serve again without waiting for an event.
    revisit: VecDeque<Token>,
    deadlines: BinaryHeap<Reverse<(Instant, Token)>>,
    requests: u64,
    max_requests: u64,
    drain: Option<Instant>,
    fault: Fault,
    ctx: conn::Context<'a>,
}

impl std::fmt::Debug for Worker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("slot", &self.slot.index())
            .finish()
    }
}

impl<'a> Worker<'a> {
    fn new(setup: WorkerSetup<'a>) -> io::Result<Self> {
        let (rx, tx) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)?;
        sys::redirect_signal_pipe(tx.as_raw_fd());
        // The master blocked the caught signals across fork; any that
        // arrived since are delivered now, to this worker's own pipe.
        nix::sys::signal::sigprocmask(
            nix::sys::signal::SigmaskHow::SIG_SETMASK,
            Some(&nix::sys::signal::SigSet::empty()),
            None,
        )?;
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut SourceFd(&rx.as_raw_fd()), SIGNAL, Interest::READABLE)?;
        let acceptors = setup
            .listeners
            .into_iter()
            .map(|(spec, fd, tls)| Acceptor::new(&spec, fd, tls))
            .collect();
        let pid = std::process::id();
        Ok(Self {
            ctx: conn::Context::new(
                pid,
                setup.generation,
                setup.config.routes.clone(),
                setup.config.http,
                setup.board,
                setup.slot.index(),
            ),
            config: setup.config,
            poll,
            acceptors,
            accepting: false,
            accept_resume: None,
            last_accept_error_log: None,
            full: false,
            slot: setup.slot,
            master_pipe: setup.master_pipe,
            signal_rx: std::fs::File::from(rx),
            _signal_tx: tx,
            generation: setup.generation,
            parent: setup.master,
            parent_checked: Instant::now(),
            conns: Table::default(),
            revisit: VecDeque::new(),
            deadlines: BinaryHeap::new(),
            requests: 0,
            max_requests: setup.max_requests,
            drain: None,
            fault: Fault::from_env(),
        })
    }

    fn serve(mut self) -> io::Result<()> {
        if self.fault == Fault::CrashAtStart
            || (self.fault == Fault::CrashAfterReload && self.generation > 1)
        {
            log::warn!("worker exiting on purpose (test fault crash-at-start)");
            std::process::exit(3);
        }
        drop_privileges(&self.config)?;
        // Opened after the privilege drop, as the workers' user, so a
        // worker writes its own lines (and its pid in JSON).
        self.ctx.access_log = crate::app::access_log::AccessLog::open(&self.config.access_log)
            .unwrap_or_else(|e| {
                log::error!("{e}; serving without an access log");
                None
            });
        self.start_apps()?;
        self.start_accepting()?;
        self.slot.set_state(WorkerState::Ready);
        self.wake_master();
        log::debug!(
            "worker ready (slot {}, generation {})",
            self.slot.index(),
            self.generation
        );
        let mut events = Events::with_capacity(1024);
        loop {
            let now = Instant::now();
            self.slot.tick(sys::monotonic_ms());
            self.ctx
                .tally
                .publish(&self.slot, self.requests, self.conns.live as u64);
            self.fire_deadlines(now);
            if let Some(log) = &mut self.ctx.access_log {
                log.on_deadline(now);
            }
            if let Some(started) = self.drain {
                if self.conns.live == 0 {
                    self.apps_before_exit();
                    return Ok(());
                }
                if now.duration_since(started) >= self.config.shutdown_timeout {
                    log::warn!(
                        "drain time limit reached with {} connections open; exiting",
                        self.conns.live
                    );
                    return Ok(());
                }
            } else if now.duration_since(self.parent_checked) >= PARENT_CHECK && {
                self.parent_checked = now;
                nix::unistd::getppid() != self.parent
            } {
                log::warn!("master is gone; draining");
                self.begin_drain(now);
                continue;
            } else if self.accept_resume.is_some_and(|t| now >= t) {
                self.accept_resume = None;
                self.start_accepting()?;
            }
            let next = self
                .deadlines
                .peek()
                .map(|Reverse((t, _))| *t)
                .into_iter()
                .chain(self.accept_resume)
                .chain(
                    self.ctx
                        .access_log
                        .as_ref()
                        .and_then(crate::app::access_log::AccessLog::next_flush_deadline),
                )
                .min();
            let timeout = if self.revisit.is_empty() {
                next.map(|t| t.saturating_duration_since(now).min(TICK))
                    .unwrap_or(TICK)
            } else {
                Duration::ZERO
            };
            match self.poll.poll(&mut events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            for event in events.iter() {
                match event.token() {
                    SIGNAL => self.on_signals(),
                    WAKER => self.on_completions(),
                    Token(t) if t < FIRST_CONN => self.accept(t - FIRST_LISTENER),
                    token => {
                        self.on_conn_event(token);
                        // The peer's FIN came with this event, perhaps with
                        // its last data: a pass that stopped at a short
                        // read has not seen it, and no further edge will
                        // come. Another pass reads the end of the stream.
                        if event.is_read_closed() && !self.revisit.contains(&token) {
                            self.revisit.push_back(token);
                        }
                    }
                }
            }
            // Connections that stopped at their read budget get another
            // pass after everyone else's events (round robin, so a fast
            // sender shares the worker instead of holding it).
            for _ in 0..self.revisit.len() {
                if let Some(token) = self.revisit.pop_front() {
                    self.on_conn_event(token);
                }
            }
        }
    }

    fn info(&self) -> WorkerInfo {
        WorkerInfo {
            pid: std::process::id(),
            slot: self.slot.index(),
            generation: self.generation,
        }
    }

    /// Start the handler threads when the config routes to apps, after
    /// each app's `after_fork` hook.
    fn start_apps(&mut self) -> io::Result<()> {
        if self.config.app_routes().next().is_none() {
            return Ok(());
        }
        let apps = crate::app::api::registered();
        let info = self.info();
        for app in apps.iter() {
            app.after_fork(&info);
        }
        let waker = Arc::new(mio::Waker::new(self.poll.registry(), WAKER)?);
        self.ctx.apps = apps::AppRuntime::start(&self.config, &apps, waker)?;
        Ok(())
    }

    fn apps_before_exit(&mut self) {
        if self.ctx.apps.is_some() {
            let info = self.info();
            for app in crate::app::api::registered().iter() {
                app.before_exit(&info);
            }
        }
    }

    fn start_accepting(&mut self) -> io::Result<()> {
        let epfd = self.poll.as_raw_fd();
        for (i, a) in self.acceptors.iter().enumerate() {
            sys::register_exclusive(epfd, a.raw_fd(), FIRST_LISTENER + i)?;
        }
        self.accepting = true;
        Ok(())
    }

    /// Stop polling the listeners (they stay open).
    fn pause_accepting(&mut self) {
        if !self.accepting {
            return;
        }
        let epfd = self.poll.as_raw_fd();
        for a in &self.acceptors {
            let _ = sys::deregister_listener(epfd, a.raw_fd());
        }
        self.accepting = false;
    }

    /// Stop accepting for good (drain).
    fn stop_accepting(&mut self) {
        self.pause_accepting();
        self.accept_resume = None;
        // Close this worker's copies: the sockets stay open in the master
        // and the other workers, so nothing queued is lost.
        self.acceptors.clear();
    }

    fn wake_master(&self) {
        let _ = nix::unistd::write(&self.master_pipe, &[0u8]);
    }

    fn on_signals(&mut self) {
        let mut buf = [0u8; 64];
        loop {
            match self.signal_rx.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    for &sig in &buf[..n] {
                        self.on_signal(i32::from(sig));
                    }
                }
                Err(_) => return,
            }
        }
    }

    fn on_signal(&mut self, sig: i32) {
        match sig {
            libc::SIGQUIT if self.drain.is_none() => {
                log::debug!("QUIT: draining");
                self.begin_drain(Instant::now());
            }
            libc::SIGTERM | libc::SIGINT => {
                log::debug!("fast stop");
                if let Some(log) = &mut self.ctx.access_log {
                    log.flush();
                }
                std::process::exit(0);
            }
            libc::SIGUSR1 => {
                if let Some(log) = &mut self.ctx.access_log {
                    log.reopen();
                }
                if let Some(path) = &self.config.log.file
                    && let Err(e) = crate::logging::redirect_stderr(path, None)
                {
                    log::error!("cannot reopen log file {}: {e}", path.display());
                }
            }
            _ => {}
        }
    }

    fn begin_drain(&mut self, now: Instant) {
        self.drain = Some(now);
        self.stop_accepting();
        self.slot.set_state(WorkerState::Draining);
        self.wake_master();
        for token in self.conns.tokens() {
            if let Some(conn) = self.conns.get(token) {
                conn.begin_drain(now, now + self.config.http.drain_linger);
            }
            self.after_io(token, now);
        }
    }

    fn accept(&mut self, index: usize) {
        let now = Instant::now();
        for _ in 0..ACCEPT_BATCH {
            if !self.accepting {
                return;
            }
            if self.conns.live >= self.config.http.max_connections {
                // Full: stop taking connections, so that the other
                // workers (woken instead, EPOLLEXCLUSIVE) take the load.
                log::debug!(
                    "{} connections open (max_connections): not accepting",
                    self.conns.live
                );
                self.pause_accepting();
                self.full = true;
                return;
            }
            let Some(acceptor) = self.acceptors.get(index) else {
                return;
            };
            match acceptor.accept() {
                Ok(stream) => {
                    let http = self.config.http;
                    let conn = Client::new(
                        stream,
                        now,
                        self.drain.map(|_| now + http.drain_linger),
                        http,
                    );
                    let (token, _) = self.conns.insert(conn);
                    let registered = self.conns.get(token).map(|c| {
                        self.poll.registry().register(
                            c.source_mut(),
                            token,
                            Interest::READABLE | Interest::WRITABLE,
                        )
                    });
                    if let Some(Err(e)) = registered {
                        log::debug!("register failed: {e}");
                        self.conns.remove(token);
                        continue;
                    }
                    self.after_io(token, now);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
                    ) =>
                {
                    // Out of descriptors or memory: the level-triggered
                    // listener would fire again at once, so stop polling it
                    // briefly; other workers may still accept meanwhile.
                    if self
                        .last_accept_error_log
                        .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
                    {
                        log::error!(
                            "accept: {e}; pausing accepts for {ACCEPT_PAUSE:?} ({} connections open)",
                            self.conns.live
                        );
                        self.last_accept_error_log = Some(now);
                    }
                    self.pause_accepting();
                    self.accept_resume = Some(now + ACCEPT_PAUSE);
                    return;
                }
                Err(e) => {
                    // ECONNABORTED and the like: that connection is gone.
                    log::debug!("accept: {e}");
                }
            }
        }
    }

    /// Replies and stream news from the app threads: hand each to its
    /// connection (if still open) and drive that connection.
    fn on_completions(&mut self) {
        let mut touched: Vec<Token> = Vec::new();
        loop {
            let Some(done) = self.ctx.apps.as_ref().and_then(|a| a.pool.try_completion()) else {
                break;
            };
            let key = match done {
                Completion::Reply {
                    key,
                    reply,
                    stream,
                    head_only,
                } => {
                    if let Some((started, protocol)) = self.ctx.app_started.remove(&key) {
                        self.ctx.tally.response(protocol, started);
                    }
                    let date = self.ctx.date.get(std::time::SystemTime::now()).to_vec();
                    if let Some(client) = self.conns.get(Token(key.conn)) {
                        let log = self.ctx.access_log.as_mut();
                        client.deliver(key.stream, reply, stream, head_only, &date, log);
                    }
                    key
                }
                Completion::Wake { key } => key,
            };
            if !touched.contains(&Token(key.conn)) {
                touched.push(Token(key.conn));
            }
        }
        for token in touched {
            self.on_conn_event(token);
        }
    }

    fn on_conn_event(&mut self, token: Token) {
        let now = Instant::now();
        self.ctx.current = token.0;
        let closing = self.drain.is_some() || self.recycling();
        let Some(client) = self.conns.take(token) else {
            return;
        };
        let (client, served, more) =
            client.on_ready(now, &mut self.ctx, closing, self.drain.is_some());
        self.conns.put_back(token, client);
        if more && !self.revisit.contains(&token) {
            self.revisit.push_back(token);
        }
        if served > 0 {
            self.requests += served;
            if self.fault == Fault::HangOnPath && self.ctx.hang_requested() {
                log::warn!("worker hanging on purpose (test fault hang-on-path)");
                fault::hang();
            }
            if self.recycling() && self.drain.is_none() {
                log::info!(
                    "worker served {} requests (max_requests {}); recycling",
                    self.requests,
                    self.max_requests
                );
                self.begin_drain(now);
            }
        }
        self.after_io(token, now);
    }

    fn recycling(&self) -> bool {
        self.max_requests > 0 && self.requests >= self.max_requests
    }

    /// Close a finished connection, or schedule its next deadline.
    fn after_io(&mut self, token: Token, _now: Instant) {
        let Some(conn) = self.conns.get(token) else {
            return;
        };
        let (seen, closed) = (conn.seen(), conn.is_closed());
        if let Some(last) = self.conns.seen_mut(token) {
            self.ctx.tally.shift(last, &seen);
            *last = seen;
        }
        if closed {
            self.ctx.tally.shift(&seen, &Seen::default());
            if let Some(mut conn) = self.conns.remove(token) {
                let _ = self.poll.registry().deregister(conn.source_mut());
            }
            if self.full
                && self.conns.live < self.config.http.max_connections
                && self.drain.is_none()
                && self.accept_resume.is_none()
            {
                self.full = false;
                if let Err(e) = self.start_accepting() {
                    log::error!("cannot resume accepting: {e}");
                }
            }
            return;
        }
        let Some(conn) = self.conns.get(token) else {
            return;
        };
        if let Some(deadline) = conn.take_new_deadline() {
            self.deadlines.push(Reverse((deadline, token)));
        }
    }

    fn fire_deadlines(&mut self, now: Instant) {
        while let Some(Reverse((when, token))) = self.deadlines.peek().copied() {
            if when > now {
                break;
            }
            self.deadlines.pop();
            if let Some(conn) = self.conns.get(token) {
                conn.on_deadline(now, when);
            }
            self.after_io(token, now);
        }
    }
}

/// Switch to the configured user and group, when started as root.
fn drop_privileges(config: &Config) -> io::Result<()> {
    use nix::unistd::{Gid, Uid};
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    let gid = config
        .group
        .as_ref()
        .map(|g| g.gid)
        .or(config.user.as_ref().map(|u| u.gid));
    if let Some(user) = &config.user {
        let name = std::ffi::CString::new(user.name.clone()).map_err(io::Error::other)?;
        nix::unistd::initgroups(&name, Gid::from_raw(gid.unwrap_or(user.gid)))?;
    } else if gid.is_some() {
        nix::unistd::setgroups(&[])?;
    }
    if let Some(gid) = gid {
        nix::unistd::setgid(Gid::from_raw(gid))?;
    }
    if let Some(user) = &config.user {
        nix::unistd::setuid(Uid::from_raw(user.uid))?;
    }
    Ok(())
}
