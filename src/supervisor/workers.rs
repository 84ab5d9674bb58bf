//! The master's worker table: spawning (fork), reaping, readiness, the
//! heartbeat check, crash-loop backoff, and keeping the count.
//!
//! Workers are numbered by position (0..target) within a generation; a
//! position whose worker dies before becoming ready backs off (see
//! `backoff`). A retiring worker (asked to drain, or draining by itself
//! for `max_requests`) no longer counts, so its replacement starts at once.

use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use super::Supervisor;
use super::backoff::Backoff;
use super::scoreboard::WorkerState;
use super::status::ExitInfo;
use crate::sys::{self, Fork};
use crate::worker::{self, WorkerSetup};

/// A live worker process, as the master tracks it.
#[derive(Debug)]
pub(super) struct WorkerProc {
    pub(super) pid: Pid,
    pub(super) slot: usize,
    pub(super) generation: u32,
    pub(super) position: usize,
    pub(super) ready: bool,
    pub(super) retiring: Option<Instant>,
    pub(super) killed: bool,
}

impl Supervisor {
    /// Reap every exited child (`waitpid` WNOHANG until none is left).
    pub(super) fn reap(&mut self, now: Instant) {
        loop {
            let status = match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(s) => s,
            };
            let (pid, how, exit) = match status {
                WaitStatus::Exited(pid, code) => {
                    (pid, format!("exit status {code}"), ExitInfo::Exited(code))
                }
                WaitStatus::Signaled(pid, sig, _) => {
                    (pid, format!("signal {sig}"), ExitInfo::Signaled(sig))
                }
                _ => continue,
            };
            if self.upgrade.as_ref().is_some_and(|u| u.child() == pid) {
                self.upgrade_failed(
                    &format!("new master pid {pid} exited ({how}) before it was ready"),
                    true,
                );
                continue;
            }
            if self.upgrade_victim.is_some_and(|(p, _)| p == pid) {
                self.upgrade_victim = None;
                continue;
            }
            let Some(i) = self.workers.iter().position(|w| w.pid == pid) else {
                continue;
            };
            let w = self.workers.swap_remove(i);
            self.board.slot(w.slot).clear();
            self.free_slots.push(w.slot);
            let expected = w.retiring.is_some() || self.stop.is_some();
            self.history
                .worker_exited(w.generation, w.position, exit, !expected);
            if expected {
                log::info!(
                    "worker pid {pid} (generation {}) exited: {how}",
                    w.generation
                );
            } else if self.backoff_of(w.generation, w.position).is_none() {
                log::warn!("old-generation worker pid {pid} exited: {how}");
            } else if !w.ready {
                let (failures, delay) =
                    self.backoff_of(w.generation, w.position)
                        .map_or((0, Duration::ZERO), |b| {
                            let d = b.failed(now);
                            (b.failures(), d)
                        });
                log::warn!(
                    "worker {} (pid {pid}) died before becoming ready ({how}), {failures} in a row; next start in {delay:?}",
                    w.position
                );
            } else if w.killed {
                log::warn!("hung worker pid {pid} is gone ({how}); replacing it");
            } else {
                log::warn!(
                    "worker {} (pid {pid}) crashed ({how}); replacing it",
                    w.position
                );
            }
        }
    }

    /// Readiness, self-draining workers, hung workers, drain deadlines.
    pub(super) fn check_workers(&mut self, now: Instant) {
        let now_ms = sys::monotonic_ms();
        let timeout_ms = self.config.timeout.as_millis() as u64;
        let mut became_ready = Vec::new();
        for w in &mut self.workers {
            let slot = self.board.slot(w.slot);
            match slot.state() {
                WorkerState::Ready if !w.ready => {
                    w.ready = true;
                    became_ready.push((w.generation, w.position));
                    log::info!(
                        "worker {} ready: pid {}, generation {}",
                        w.position,
                        w.pid,
                        w.generation
                    );
                }
                WorkerState::Draining if w.retiring.is_none() => {
                    // Recycling itself (max_requests): replace it now.
                    w.ready = true;
                    w.retiring = Some(now);
                }
                _ => {}
            }
            if w.killed {
                continue;
            }
            let age = now_ms.saturating_sub(slot.heartbeat_ms());
            if age > timeout_ms {
                log::warn!(
                    "worker pid {} missed its heartbeat for {:.1}s (timeout {:?}); killing it",
                    w.pid,
                    age as f64 / 1000.0,
                    self.config.timeout
                );
                let _ = kill(w.pid, Signal::SIGKILL);
                w.killed = true;
            } else if let Some(since) = w.retiring
                && now.duration_since(since) > self.config.shutdown_timeout
            {
                log::warn!(
                    "worker pid {} still draining after {:?}; killing it",
                    w.pid,
                    self.config.shutdown_timeout
                );
                let _ = kill(w.pid, Signal::SIGKILL);
                w.killed = true;
            }
        }
        for (generation, position) in became_ready {
            if let Some(b) = self.backoff_of(generation, position) {
                b.succeeded();
            }
        }
        if self.stop.is_none() && !self.winched && self.generation_ready() {
            self.on_generation_ready(now);
        }
    }

    /// Every position of the current generation has a ready worker.
    fn generation_ready(&self) -> bool {
        let ready = self
            .workers
            .iter()
            .filter(|w| w.generation == self.generation && w.retiring.is_none() && w.ready)
            .count();
        ready >= self.target
    }

    fn on_generation_ready(&mut self, now: Instant) {
        if self.reload.is_some() {
            self.complete_reload(now);
        }
        if !self.announced {
            self.announced = true;
            match self.handover.take() {
                Some(h) => {
                    log::info!(
                        "master ready (upgraded): pid {}, generation {}, {} workers",
                        std::process::id(),
                        self.generation,
                        self.target
                    );
                    h.ready();
                }
                None => {
                    log::info!(
                        "master ready: pid {}, generation {}, {} workers",
                        std::process::id(),
                        self.generation,
                        self.target
                    );
                    self.notifier.notify("READY=1");
                }
            }
            self.status();
        }
    }

    /// Start what is missing and retire what is surplus.
    pub(super) fn maintain(&mut self, now: Instant) {
        if self.winched {
            return;
        }
        let target = self.target;
        let gen_ = self.generation;
        self.retire_all(now, |w| w.generation == gen_ && w.position >= target);
        for position in 0..target {
            let allowed = self.backoff.get(position).is_none_or(|b| b.allows(now));
            if allowed && !self.has_worker(gen_, position) {
                self.spawn(position, false);
            }
        }
        // While a reload is pending the old generation still serves alone:
        // keep it at full strength (a crash or a max_requests recycle there
        // is replaced with the old config).
        let old = self
            .reload
            .as_ref()
            .map(|p| (p.old_generation, p.old_target));
        if let Some((old_gen, old_target)) = old {
            for position in 0..old_target {
                let allowed = self
                    .reload
                    .as_ref()
                    .is_some_and(|p| p.old_backoff.get(position).is_none_or(|b| b.allows(now)));
                if allowed && !self.has_worker(old_gen, position) {
                    self.spawn(position, true);
                }
            }
        }
    }

    fn has_worker(&self, generation: u32, position: usize) -> bool {
        self.workers
            .iter()
            .any(|w| w.generation == generation && w.position == position && w.retiring.is_none())
    }

    /// The backoff of `w`'s position, in its generation's table.
    fn backoff_of(&mut self, generation: u32, position: usize) -> Option<&mut Backoff> {
        if generation == self.generation {
            return self.backoff.get_mut(position);
        }
        match &mut self.reload {
            Some(p) if p.old_generation == generation => p.old_backoff.get_mut(position),
            _ => None,
        }
    }

    /// Ask matching workers to drain (QUIT).
    pub(super) fn retire_all(&mut self, now: Instant, pick: impl Fn(&WorkerProc) -> bool) {
        for w in self.workers.iter_mut().filter(|w| w.retiring.is_none()) {
            if pick(w) {
                w.retiring = Some(now);
                let _ = kill(w.pid, Signal::SIGQUIT);
            }
        }
    }

    /// Every worker ticked within `limit`.
    pub(super) fn all_heartbeats_fresh(&self, limit: Duration) -> bool {
        self.board.all_fresh(
            self.workers.iter().map(|w| w.slot),
            sys::monotonic_ms(),
            limit.as_millis() as u64,
        )
    }

    /// Fork a worker for `position` of the current generation, or of the
    /// previous one (`old`) while a reload is pending.
    fn spawn(&mut self, position: usize, old: bool) {
        let (generation, max_requests) = match (&self.reload, old) {
            (Some(p), true) => (p.old_generation, p.old_config.max_requests),
            _ => (self.generation, self.config.max_requests),
        };
        let Some(slot) = self.free_slots.pop() else {
            log::error!("no free scoreboard slot; cannot start worker {position}");
            if let Some(b) = self.backoff_of(generation, position) {
                b.failed(Instant::now());
            }
            return;
        };
        self.board.slot(slot).claim(generation);
        let max_requests = jitter(max_requests, slot);
        let master = nix::unistd::getpid();
        // Block the caught signals across fork: the child unblocks them once
        // its handlers write to its own pipe, so a QUIT meant for it is not
        // read by the master as its own.
        let mut saved = SigSet::empty();
        let blocked = sigprocmask(
            SigmaskHow::SIG_BLOCK,
            Some(&super::caught_set()),
            Some(&mut saved),
        );
        let forked = sys::fork();
        if !matches!(forked, Ok(Fork::Child)) && blocked.is_ok() {
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&saved), None);
        }
        match forked {
            Ok(Fork::Child) => self.become_worker(slot, master, max_requests, old),
            Ok(Fork::Parent(pid)) => {
                self.board.slot(slot).set_pid(pid.as_raw() as u32);
                log::info!("spawned worker {position}: pid {pid}, generation {generation}");
                self.workers.push(WorkerProc {
                    pid,
                    slot,
                    generation,
                    position,
                    ready: false,
                    retiring: None,
                    killed: false,
                });
            }
            Err(e) => {
                log::error!("fork failed: {e}");
                self.board.slot(slot).clear();
                self.free_slots.push(slot);
                if let Some(b) = self.backoff_of(generation, position) {
                    b.failed(Instant::now());
                }
            }
        }
    }

    /// In the child after fork: keep only what a worker needs. Master-only
    /// fds are closed (the self-pipe's read end, the systemd socket, an
    /// upgrade's pipes), and so are listeners this generation does not
    /// use, so a socket the master later retires does not linger unpolled
    /// here. Listener specs and TLS settings come from this generation's
    /// config.
    fn become_worker(&mut self, slot: usize, master: Pid, max_requests: u64, old: bool) -> ! {
        let (config, tls, generation) = match self.reload.take() {
            Some(p) if old => (p.old_config, p.old_tls, p.old_generation),
            _ => (self.config.clone(), self.tls.clone(), self.generation),
        };
        let mut pool = std::mem::take(&mut self.listeners);
        let mut mine = Vec::new();
        for (index, spec) in config.listeners.iter().enumerate() {
            let key = spec.address.to_string();
            if let Some(i) = pool.iter().position(|l| l.key() == key) {
                mine.push((
                    spec.clone(),
                    pool.swap_remove(i).into_parts().1,
                    tls.get(index),
                ));
            }
        }
        drop(pool);
        self.wake_rx = None;
        // Dropped, not closed: the master still serves the socket file.
        self.control = None;
        self.upgrade = None;
        self.handover = None;
        self.notifier = super::systemd::Notifier::disabled();
        let Some(pipe) = self.wake_tx.take() else {
            std::process::exit(1);
        };
        self.board.slot(slot).set_pid(std::process::id());
        let setup = WorkerSetup {
            config,
            listeners: mine,
            slot: self.board.slot(slot),
            board: &self.board,
            master_pipe: pipe,
            master,
            generation,
            max_requests,
        };
        std::process::exit(worker::run(setup));
    }
}

/// `max_requests` ± 10%, different per worker so workers started together
/// do not all recycle together.
fn jitter(max_requests: u64, salt: usize) -> u64 {
    if max_requests == 0 {
        return 0;
    }
    let spread = max_requests / 10;
    if spread == 0 {
        return max_requests;
    }
    let mut x = sys::monotonic_ms() ^ ((salt as u64) << 32) ^ u64::from(std::process::id());
    // xorshift64*: enough to decorrelate workers; not cryptographic.
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    let r = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
    max_requests - spread + r % (2 * spread + 1)
}

#[cfg(test)]
mod tests {
    use super::jitter;

    #[test]
    fn max_requests_jitter_stays_within_ten_percent() {
        for salt in 0..200 {
            let n = jitter(1000, salt);
            assert!((900..=1100).contains(&n), "{n}");
        }
        assert_eq!(jitter(0, 1), 0);
        assert_eq!(jitter(5, 1), 5);
    }
}
