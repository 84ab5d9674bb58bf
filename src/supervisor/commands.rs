//! The control socket's requests, carried out by the master: which
//! operation each command starts (the same ones the signals start) and
//! when its client is answered. The socket and the wire protocol are
//! `control.rs`'s; the operations themselves live in `mod.rs`,
//! `reload.rs` and `upgrade.rs`.

use std::time::Instant;

use super::control::{self, Answer, ClientId, Command, Control};
use super::{StartError, Supervisor};
use crate::config::Config;

impl Supervisor {
    /// Serve the control socket for one turn and carry out its requests.
    /// A new master accepts only once it is in charge (its predecessor
    /// answers until then).
    pub(super) fn serve_control(&mut self, now: Instant) {
        let accepting = self.handover.is_none() && !self.handed_over;
        let Some(control) = self.control.as_mut() else {
            return;
        };
        for (id, cmd) in control.turn(accepting, now) {
            self.on_command(id, cmd, now);
        }
    }

    fn on_command(&mut self, id: ClientId, cmd: Command, now: Instant) {
        match cmd {
            Command::Status => log::debug!("control socket: status"),
            _ => log::info!("control socket: {}", cmd.word()),
        }
        let answer = match cmd {
            Command::Status => Some(Answer::Status(self.status_document(now))),
            Command::Reload => match self.begin_reload(now) {
                Ok(()) => None,
                Err(e) => Some(Answer::Error(e)),
            },
            Command::Upgrade => match self.begin_upgrade(now) {
                Ok(()) => None,
                Err(e) => Some(Answer::Error(e)),
            },
            Command::Stop => Some(match self.stop {
                Some(_) => Answer::Ok("already stopping".into()),
                None => {
                    let n = self.workers.len();
                    self.begin_stop(now, true);
                    Answer::Ok(format!(
                        "stopping: draining {n} workers, then master pid {} exits",
                        std::process::id()
                    ))
                }
            }),
            Command::AddWorker => Some(match self.add_worker("add-worker") {
                Ok(m) => Answer::Ok(m),
                Err(e) => Answer::Error(e),
            }),
            Command::RemoveWorker => Some(match self.remove_worker("remove-worker") {
                Ok(m) => Answer::Ok(m),
                Err(e) => Answer::Error(e),
            }),
        };
        let Some(control) = self.control.as_mut() else {
            return;
        };
        match answer {
            Some(a) => control.answer(id, a, now),
            None => control.wait(id, cmd),
        }
    }

    /// Tell control clients waiting on `cmd` how it ended.
    pub(super) fn answer_waiting(&mut self, cmd: Command, answer: Answer) {
        if let Some(control) = self.control.as_mut() {
            control.answer_waiting(cmd, &answer, Instant::now());
        }
    }
}

/// The control socket `config` asks for: the one a predecessor master
/// handed over when it has the same path, else a new one.
pub(super) fn open_control(config: &Config) -> Result<Option<Control>, StartError> {
    let inherited = Control::from_env().map_err(|e| StartError::Setup(e.to_string()))?;
    let setup = |e: control::ControlError| StartError::Setup(e.to_string());
    match (inherited, &config.control) {
        (Some((path, fd)), Some(wanted)) if path == *wanted => {
            log::info!(
                "adopted control socket {} from the previous master",
                path.display()
            );
            Control::adopt(&path, fd).map(Some).map_err(setup)
        }
        (inherited, wanted) => {
            if let Some((path, _fd)) = inherited {
                log::warn!(
                    "closing the inherited control socket {}: not the configured one",
                    path.display()
                );
            }
            let control = wanted
                .as_deref()
                .map(Control::bind)
                .transpose()
                .map_err(setup)?;
            if let Some(c) = &control {
                log::info!("control socket on {}", c.path().display());
            }
            Ok(control)
        }
    }
}
