//! What the master remembers for its status answer, and the document
//! itself.
//!
//! Per worker the scoreboard has what the worker reports (state,
//! heartbeat, requests, connections); the master adds what only it knows,
//! kept here in its own memory: restarts and the last exit of each worker
//! position, and global counts (reloads, upgrades, the last reload's
//! outcome). The control socket (`control.rs`) sends the document; this
//! file neither reads requests nor writes sockets.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::{Value, json};

use super::Supervisor;
use super::scoreboard::WorkerState;
use crate::sys;

/// How a worker ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ExitInfo {
    Exited(i32),
    Signaled(Signal),
}

impl fmt::Display for ExitInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitInfo::Exited(code) => write!(f, "exit status {code}"),
            ExitInfo::Signaled(sig) => write!(f, "signal {} ({sig})", *sig as i32),
        }
    }
}

/// One worker position's past (a position is a worker's number within
/// its generation; its replacements keep it).
#[derive(Debug, Clone, Default)]
struct PositionHistory {
    /// Workers of this position that died unexpectedly and were replaced.
    restarts: u64,
    last_exit: Option<ExitInfo>,
}

/// The last reload's outcome.
#[derive(Debug, Clone)]
struct ReloadOutcome {
    ok: bool,
    message: String,
    at: Instant,
}

/// The master's own memory for status answers.
#[derive(Debug)]
pub(super) struct History {
    started: Instant,
    reloads_completed: u64,
    reloads_rejected: u64,
    reloads_rolled_back: u64,
    upgrades_started: u64,
    upgrades_failed: u64,
    last_reload: Option<ReloadOutcome>,
    positions: HashMap<(u32, usize), PositionHistory>,
}

impl History {
    pub(super) fn new(now: Instant) -> History {
        History {
            started: now,
            reloads_completed: 0,
            reloads_rejected: 0,
            reloads_rolled_back: 0,
            upgrades_started: 0,
            upgrades_failed: 0,
            last_reload: None,
            positions: HashMap::new(),
        }
    }

    /// A worker of `generation`/`position` exited; `restarted` when it
    /// was not asked to (a crash, a hung worker killed).
    pub(super) fn worker_exited(
        &mut self,
        generation: u32,
        position: usize,
        how: ExitInfo,
        restarted: bool,
    ) {
        let p = self.positions.entry((generation, position)).or_default();
        p.last_exit = Some(how);
        if restarted {
            p.restarts += 1;
        }
    }

    /// Forget positions of generations no longer running.
    pub(super) fn keep_generations(&mut self, keep: impl Fn(u32) -> bool) {
        self.positions.retain(|(g, _), _| keep(*g));
    }

    pub(super) fn reload_completed(&mut self, message: String) {
        self.reloads_completed += 1;
        self.last_reload = Some(ReloadOutcome {
            ok: true,
            message,
            at: Instant::now(),
        });
    }

    pub(super) fn reload_rejected(&mut self, message: String) {
        self.reloads_rejected += 1;
        self.last_reload = Some(ReloadOutcome {
            ok: false,
            message,
            at: Instant::now(),
        });
    }

    pub(super) fn reload_rolled_back(&mut self, message: String) {
        self.reloads_rolled_back += 1;
        self.last_reload = Some(ReloadOutcome {
            ok: false,
            message,
            at: Instant::now(),
        });
    }

    pub(super) fn upgrade_started(&mut self) {
        self.upgrades_started += 1;
    }

    pub(super) fn upgrade_failed(&mut self) {
        self.upgrades_failed += 1;
    }
}

fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

impl Supervisor {
    /// What the master is doing, in one word.
    fn master_state(&self) -> &'static str {
        if self.handed_over {
            "retiring"
        } else if self.stop.is_some() {
            "stopping"
        } else if self.upgrade.is_some() {
            "upgrading"
        } else if self.reload.is_some() {
            "reloading"
        } else if self.winched {
            "workers-stopped"
        } else if !self.announced {
            "starting"
        } else {
            "running"
        }
    }

    /// The status document: the master, then one entry per worker, by
    /// slot.
    pub(super) fn status_document(&self, now: Instant) -> Value {
        let h = &self.history;
        let last_reload = h.last_reload.as_ref().map(|r| {
            json!({
                "ok": r.ok,
                "message": r.message,
                "age_s": seconds(now.saturating_duration_since(r.at)),
            })
        });
        let master = json!({
            "pid": std::process::id(),
            "state": self.master_state(),
            "generation": self.generation,
            "workers_target": self.target,
            "uptime_s": seconds(now.saturating_duration_since(h.started)),
            "config": self.config.source.display().to_string(),
            "reloads": {
                "completed": h.reloads_completed,
                "rejected": h.reloads_rejected,
                "rolled_back": h.reloads_rolled_back,
            },
            "last_reload": last_reload,
            "upgrades": {
                "started": h.upgrades_started,
                "failed": h.upgrades_failed,
            },
        });
        let now_ms = sys::monotonic_ms();
        let mut workers: Vec<&super::workers::WorkerProc> = self.workers.iter().collect();
        workers.sort_by_key(|w| w.slot);
        let workers: Vec<Value> = workers
            .into_iter()
            .map(|w| {
                let slot = self.board.slot(w.slot);
                let state = match slot.state() {
                    _ if w.killed => "killed",
                    _ if w.retiring.is_some() => "draining",
                    WorkerState::Booting => "booting",
                    WorkerState::Ready => "ready",
                    WorkerState::Draining => "draining",
                };
                let past = h
                    .positions
                    .get(&(w.generation, w.position))
                    .cloned()
                    .unwrap_or_default();
                json!({
                    "slot": w.slot,
                    "pid": w.pid.as_raw(),
                    "generation": w.generation,
                    "position": w.position,
                    "state": state,
                    "age_s": seconds(Duration::from_millis(now_ms.saturating_sub(slot.started_ms()))),
                    "heartbeat_age_s": seconds(Duration::from_millis(now_ms.saturating_sub(slot.heartbeat_ms()))),
                    "requests": slot.requests(),
                    "connections": slot.connections(),
                    "streams": slot.snapshot().map_or(0, |s| s.gauges.h2_streams),
                    "restarts": past.restarts,
                    "last_exit": past.last_exit.map(|e| e.to_string()),
                })
            })
            .collect();
        // Positions of the serving generation held back by crash-loop
        // backoff (their worker died before it became ready).
        let backoff: Vec<Value> = self
            .backoff
            .iter()
            .enumerate()
            .filter(|(_, b)| b.failures() > 0)
            .map(|(position, b)| {
                json!({
                    "position": position,
                    "failures": b.failures(),
                    "next_spawn_in_s": b
                        .waiting_until()
                        .map(|t| seconds(t.saturating_duration_since(now))),
                })
            })
            .collect();
        let mut master = master;
        master["backoff"] = Value::Array(backoff);
        json!({ "master": master, "workers": workers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_info_names_signals_by_number_and_name() {
        assert_eq!(
            ExitInfo::Signaled(Signal::SIGKILL).to_string(),
            "signal 9 (SIGKILL)"
        );
        assert_eq!(ExitInfo::Exited(3).to_string(), "exit status 3");
    }

    #[test]
    fn only_unexpected_exits_count_as_restarts() {
        let mut h = History::new(Instant::now());
        h.worker_exited(1, 0, ExitInfo::Signaled(Signal::SIGKILL), true);
        h.worker_exited(1, 0, ExitInfo::Exited(0), false);
        let p = &h.positions[&(1, 0)];
        assert_eq!(p.restarts, 1);
        assert_eq!(p.last_exit, Some(ExitInfo::Exited(0)));
        h.keep_generations(|g| g == 2);
        assert!(h.positions.is_empty());
    }
}
