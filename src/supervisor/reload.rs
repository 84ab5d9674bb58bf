//! HUP: reload the configuration into a new generation of workers.
//!
//! Re-read and validate the file, and load its TLS certificates again; if
//! either fails, log why (file, line or certificate file, key) and change
//! nothing. Otherwise open any new listeners (a bind
//! failure also rejects the reload), start a new generation with the new
//! config, and only once every one of its workers is ready retire the old
//! generation gracefully and close listeners the new config dropped. If
//! the new generation is not ready within `upgrade_timeout` (it crashes at
//! start, say), the reload is rolled back: the new workers are stopped and
//! the old generation, still serving, stays in charge.

use std::time::Instant;

use nix::sys::signal::{Signal, kill};

use super::backoff::Backoff;
use super::control::{Answer, Command};
use super::pidfile::PidFile;
use super::systemd::monotonic_usec;
use super::{Supervisor, listeners};
use crate::config::Config;
use crate::tls::ServerConfigs;

/// A reload whose new generation is not ready yet. Until it is, the old
/// generation keeps its full count (see `Supervisor::maintain`).
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) old_config: Config,
    pub(super) old_tls: ServerConfigs,
    pub(super) old_generation: u32,
    pub(super) old_target: usize,
    pub(super) old_backoff: Vec<Backoff>,
    old_winched: bool,
    fresh_keys: Vec<String>,
    deadline: Instant,
}

impl Supervisor {
    /// Start a reload (HUP, or `reload` on the control socket). `Err`
    /// says why nothing changed; `Ok` means a new generation is starting,
    /// and its outcome is reported to waiting control clients later.
    pub(super) fn begin_reload(&mut self, now: Instant) -> Result<(), String> {
        if self.stop.is_some() {
            return Err("the server is stopping".into());
        }
        self.notifier
            .notify(&format!("RELOADING=1\nMONOTONIC_USEC={}", monotonic_usec()));
        log::info!("reloading {}", self.config.source.display());
        let new = match Config::load(&self.config.source) {
            Ok(c) => c,
            Err(e) => return Err(self.reject_reload(&e.to_string())),
        };
        if let Err(e) = crate::app::api::check_routes(&new) {
            return Err(self.reject_reload(&e));
        }
        if let Err(e) = super::check_privileges(&new) {
            return Err(self.reject_reload(&e));
        }
        if let Err(e) = crate::app::access_log::AccessLog::prepare(
            &new.access_log,
            crate::logging::log_owner(&new),
        ) {
            return Err(self.reject_reload(&e.to_string()));
        }
        let tls = match ServerConfigs::load(&new) {
            Ok(tls) => tls,
            Err(e) => return Err(self.reject_reload(&format!("{}: {e}", new.source.display()))),
        };
        let fresh = match listeners::reopen_for(&new.listeners, &self.listeners) {
            Ok(x) => x,
            Err(e) => return Err(self.reject_reload(&e.to_string())),
        };
        for spec in &new.listeners {
            let key = spec.address.to_string();
            if let Some(l) = self.listeners.iter_mut().find(|l| l.key() == key) {
                listeners::respec(l, spec);
            }
        }
        let fresh_keys: Vec<String> = fresh.iter().map(|l| l.key()).collect();
        for l in &fresh {
            log::info!("listening on {}", l.local());
        }
        self.listeners.extend(fresh);
        self.apply_process_settings(&new);
        // A reload during a reload: keep the oldest rollback point, and
        // retire the intermediate generation, which never became ready.
        let pending = match self.reload.take() {
            Some(mut p) => {
                let intermediate = self.generation;
                self.retire_all(now, |w| w.generation == intermediate);
                p.fresh_keys.extend(fresh_keys);
                p.deadline = now + new.upgrade_timeout;
                p
            }
            None => Pending {
                old_config: self.config.clone(),
                old_tls: self.tls.clone(),
                old_generation: self.generation,
                old_target: self.target,
                old_backoff: std::mem::take(&mut self.backoff),
                old_winched: self.winched,
                fresh_keys,
                deadline: now + new.upgrade_timeout,
            },
        };
        self.reload = Some(pending);
        // Generation numbers only grow, even across a rollback, so a number
        // always names one config.
        self.last_generation += 1;
        self.generation = self.last_generation;
        self.target = new.workers;
        self.backoff = vec![Backoff::default(); new.workers];
        self.winched = false;
        self.config = new;
        self.tls = tls;
        log::info!(
            "reload: starting generation {} with {} workers",
            self.generation,
            self.target
        );
        Ok(())
    }

    /// Log and remember why a reload changed nothing; returns the reason
    /// for the control client that asked.
    fn reject_reload(&mut self, why: &str) -> String {
        log::error!("reload rejected, still serving the previous config: {why}");
        self.history.reload_rejected(format!("rejected: {why}"));
        // A reload still in progress will say READY=1 when it completes.
        if self.reload.is_none() {
            self.notifier.notify("READY=1");
        }
        self.status();
        format!("reload rejected, still serving the previous config: {why}")
    }

    /// Settings of the master itself: log level and file, pid file.
    fn apply_process_settings(&mut self, new: &Config) {
        crate::logging::set_level(new.log.level);
        if new.log.file != self.config.log.file
            && let Some(path) = &new.log.file
            && let Err(e) = crate::logging::redirect_stderr(path, crate::logging::log_owner(new))
        {
            log::error!("cannot open log file {}: {e}", path.display());
        }
        if new.pid != self.current_pidfile_path() {
            if let Some(old) = self.pidfile.take() {
                old.remove_if_ours();
            }
            if let Some(path) = &new.pid {
                match PidFile::create(path) {
                    Ok(p) => self.pidfile = Some(p),
                    Err(e) => log::error!("cannot write pid file {}: {e}", path.display()),
                }
            }
        }
    }

    /// The new generation is ready: retire every older worker.
    pub(super) fn complete_reload(&mut self, now: Instant) {
        let Some(pending) = self.reload.take() else {
            return;
        };
        let generation = self.generation;
        self.retire_all(now, |w| w.generation != generation);
        self.close_unused_listeners();
        let message = format!(
            "reload complete: generation {} serving, generation {} retiring",
            self.generation, pending.old_generation
        );
        log::info!("{message}");
        self.switch_control_socket();
        let current = self.generation;
        self.history.keep_generations(|g| g == current);
        self.history.reload_completed(message.clone());
        self.answer_waiting(Command::Reload, Answer::Ok(message));
        self.notifier.notify("READY=1");
        self.status();
    }

    /// Roll back a reload whose generation did not become ready in time.
    pub(super) fn check_reload(&mut self, now: Instant) {
        let Some(p) = &self.reload else {
            return;
        };
        if now < p.deadline || self.stop.is_some() {
            return;
        }
        let Some(p) = self.reload.take() else {
            return;
        };
        let message = format!(
            "reload abandoned: generation {} not ready within upgrade_timeout ({:?}); generation {} keeps serving",
            self.generation, self.config.upgrade_timeout, p.old_generation
        );
        log::warn!("{message}");
        self.history.reload_rolled_back(message.clone());
        self.answer_waiting(Command::Reload, Answer::Error(message));
        let kept = p.old_generation;
        for w in self.workers.iter_mut().filter(|w| w.generation > kept) {
            w.retiring = Some(now);
            let _ = kill(w.pid, Signal::SIGTERM);
        }
        self.apply_process_settings(&p.old_config);
        self.config = p.old_config;
        self.tls = p.old_tls;
        self.generation = p.old_generation;
        self.target = p.old_target;
        self.backoff = p.old_backoff;
        self.winched = p.old_winched;
        // Old-generation workers are this generation's again.
        let keep: Vec<String> = self
            .config
            .listeners
            .iter()
            .map(|l| l.address.to_string())
            .collect();
        let (drop, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.listeners)
            .into_iter()
            .partition(|l| p.fresh_keys.contains(&l.key()) && !keep.contains(&l.key()));
        self.listeners = kept;
        drop.into_iter().for_each(listeners::Listener::close);
        for spec in &self.config.listeners {
            let key = spec.address.to_string();
            if let Some(l) = self.listeners.iter_mut().find(|l| l.key() == key) {
                listeners::respec(l, spec);
            }
        }
        self.notifier.notify("READY=1");
        self.status();
    }

    /// After a reload: follow a changed `control` path (a new socket is
    /// opened before the old one is closed; if it cannot be, the old one
    /// stays).
    fn switch_control_socket(&mut self) {
        let current = self.control.as_ref().map(|c| c.path().to_path_buf());
        if current == self.config.control {
            return;
        }
        let fresh = match &self.config.control {
            Some(path) => match super::control::Control::bind(path) {
                Ok(mut c) => {
                    if let Some(old) = self.control.as_mut() {
                        c.take_clients(old);
                    }
                    Some(c)
                }
                Err(e) => {
                    log::error!("{e}; keeping the previous control socket");
                    return;
                }
            },
            None => None,
        };
        if let Some(old) = std::mem::replace(&mut self.control, fresh) {
            log::info!("closing control socket {}", old.path().display());
            old.close();
        }
        if let Some(c) = &self.control {
            log::info!("control socket now {}", c.path().display());
        }
    }

    fn close_unused_listeners(&mut self) {
        let keep: Vec<String> = self
            .config
            .listeners
            .iter()
            .map(|l| l.address.to_string())
            .collect();
        let (kept, gone): (Vec<_>, Vec<_>) = std::mem::take(&mut self.listeners)
            .into_iter()
            .partition(|l| keep.contains(&l.key()));
        self.listeners = kept;
        for l in gone {
            log::info!("closing listener {} (no longer configured)", l.local());
            l.close();
        }
    }
}
