//! The master's control socket: a unix stream socket (`control` in the
//! config, mode 0600) that `bicorn status`, `reload`, `upgrade` and `stop`
//! talk to. It owns the socket, its peers and the wire protocol; what a
//! command does is the supervisor's (`mod.rs`, `reload.rs`, `upgrade.rs`),
//! and the status document is built in `status.rs`.
//!
//! Protocol: one request per connection. The client sends one command
//! word and a newline (`status`, `reload`, `upgrade`, `stop`,
//! `add-worker`, `remove-worker`; at most [`MAX_REQUEST`] bytes within
//! [`REQUEST_TIMEOUT`]); the master answers one JSON object and a newline,
//! then closes: `{"ok":true,"message":"..."}`, `{"ok":false,"error":"..."}`,
//! or for `status` `{"ok":true,"master":{...},"workers":[...]}`. `reload`
//! and `upgrade` are answered only once decided (the new generation or
//! master is ready, or the attempt failed), so those clients wait.
//!
//! Only peers running as the master's uid or as root (`SO_PEERCRED`) are
//! served; others get an error answer and are closed. Everything is
//! non-blocking and driven by the master's loop, which polls
//! `Control::poll_fds` with its self-pipe. The socket survives reloads,
//! and is handed to a new master on USR2 through [`CONTROL_ENV`] (the old
//! master then stops accepting and leaves the file in place).

use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags};
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use nix::sys::stat::{Mode, umask};

use super::listeners::{local_address, remove_stale_socket};
use crate::config::ListenAddress;
use crate::sys::adopt_fd;

/// Environment variable handing the control socket to a new master:
/// `<fd> <path>`.
pub const CONTROL_ENV: &str = "BICORN_CONTROL";
/// Longest request line, newline included.
pub const MAX_REQUEST: usize = 256;
/// Time a client has to send its request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Time a client has to read its answer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Clients served at once; more are refused.
const MAX_CLIENTS: usize = 64;

/// A request, by its wire word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// The status document.
    Status,
    /// As HUP; answered once the reload is decided.
    Reload,
    /// As USR2; answered once the new master is ready or has failed.
    Upgrade,
    /// As QUIT; answered at once, then the master drains.
    Stop,
    /// As TTIN.
    AddWorker,
    /// As TTOU.
    RemoveWorker,
}

impl Command {
    /// Every command, in the order `--help` lists them.
    pub const ALL: [Command; 6] = [
        Command::Status,
        Command::Reload,
        Command::Upgrade,
        Command::Stop,
        Command::AddWorker,
        Command::RemoveWorker,
    ];

    /// The word on the wire.
    pub fn word(self) -> &'static str {
        match self {
            Command::Status => "status",
            Command::Reload => "reload",
            Command::Upgrade => "upgrade",
            Command::Stop => "stop",
            Command::AddWorker => "add-worker",
            Command::RemoveWorker => "remove-worker",
        }
    }

    /// The command a request line names (surrounding blanks ignored).
    pub fn parse(line: &str) -> Option<Command> {
        let word = line.trim();
        Command::ALL.into_iter().find(|c| c.word() == word)
    }
}

/// What the master answers.
#[derive(Debug, Clone)]
pub(super) enum Answer {
    Ok(String),
    Error(String),
    /// The status document (an object, which gets `"ok": true`).
    Status(serde_json::Value),
}

impl Answer {
    fn encode(self) -> Vec<u8> {
        let value = match self {
            Answer::Ok(message) => serde_json::json!({ "ok": true, "message": message }),
            Answer::Error(error) => serde_json::json!({ "ok": false, "error": error }),
            Answer::Status(mut doc) => {
                if let Some(map) = doc.as_object_mut() {
                    map.insert("ok".into(), serde_json::Value::Bool(true));
                }
                doc
            }
        };
        let mut out = value.to_string().into_bytes();
        out.push(b'\n');
        out
    }
}

/// Why the control socket could not be opened.
#[derive(Debug)]
pub enum ControlError {
    /// Creating its directory, binding or setting its mode failed.
    Bind { path: PathBuf, reason: String },
    /// `$BICORN_CONTROL` from a predecessor master is unusable.
    Inherit(String),
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::Bind { path, reason } => {
                write!(f, "cannot open control socket {}: {reason}", path.display())
            }
            ControlError::Inherit(reason) => {
                write!(f, "{CONTROL_ENV}: {reason}")
            }
        }
    }
}

impl std::error::Error for ControlError {}

/// A client's id, for answering it later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ClientId(u64);

#[derive(Debug)]
enum ClientState {
    Reading(Vec<u8>),
    /// Its command runs; answered by [`Control::answer_waiting`].
    Waiting(Command),
    Writing {
        out: Vec<u8>,
        sent: usize,
    },
}

#[derive(Debug)]
struct Client {
    id: ClientId,
    stream: UnixStream,
    state: ClientState,
    /// For reading the request, then for writing the answer.
    deadline: Instant,
    /// Why this peer may not be served; answered once its request is read
    /// (closing with the request unread would reset the connection and
    /// lose the answer).
    refusal: Option<String>,
}

/// The control socket and its clients.
#[derive(Debug)]
pub(super) struct Control {
    path: PathBuf,
    /// `None` once handed to a new master.
    listener: Option<UnixListener>,
    handed_over: bool,
    uid: u32,
    clients: Vec<Client>,
    next_id: u64,
}

impl Control {
    /// Bind `path` (mode 0600, its directory created 0700 if missing). A
    /// stale socket file is replaced; a live one, or a file that is not a
    /// socket, is an error.
    pub(super) fn bind(path: &Path) -> Result<Control, ControlError> {
        let err = |reason: String| ControlError::Bind {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| err(format!("creating {}: {e}", dir.display())))?;
        }
        remove_stale_socket(path).map_err(err)?;
        // The master is single-threaded: the umask applies to this bind
        // only, so the file is never reachable with a wider mode.
        let previous = umask(Mode::from_bits_truncate(0o177));
        let bound = UnixListener::bind(path);
        umask(previous);
        let listener = bound.map_err(|e| err(e.to_string()))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| err(format!("chmod 0600: {e}")))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| err(e.to_string()))?;
        Ok(Control::new(path, listener))
    }

    /// A socket handed over by the master we replace, if any
    /// (`$BICORN_CONTROL`, then removed): its path and fd.
    pub(super) fn from_env() -> Result<Option<(PathBuf, OwnedFd)>, ControlError> {
        let Ok(value) = std::env::var(CONTROL_ENV) else {
            return Ok(None);
        };
        crate::sys::remove_env(&[CONTROL_ENV]).map_err(|e| ControlError::Inherit(e.to_string()))?;
        let (fd, path) = value
            .split_once(' ')
            .ok_or_else(|| ControlError::Inherit(format!("bad value {value:?}")))?;
        let fd: i32 = fd
            .parse()
            .map_err(|_| ControlError::Inherit(format!("bad fd in {value:?}")))?;
        let fd = adopt_fd(fd).map_err(|e| ControlError::Inherit(format!("fd {fd}: {e}")))?;
        Ok(Some((PathBuf::from(path), fd)))
    }

    /// Take over the socket a predecessor handed us, after checking it is
    /// a unix socket bound to `path`.
    pub(super) fn adopt(path: &Path, fd: OwnedFd) -> Result<Control, ControlError> {
        match local_address(&fd) {
            Some(ListenAddress::Unix(p)) if p == path => {}
            other => {
                return Err(ControlError::Inherit(format!(
                    "inherited fd {} is not the socket {} (it is {})",
                    fd.as_raw_fd(),
                    path.display(),
                    other.map_or("not a socket".to_string(), |a| a.to_string())
                )));
            }
        }
        let listener = UnixListener::from(fd);
        listener
            .set_nonblocking(true)
            .map_err(|e| ControlError::Inherit(e.to_string()))?;
        Ok(Control::new(path, listener))
    }

    fn new(path: &Path, listener: UnixListener) -> Control {
        Control {
            path: path.to_path_buf(),
            listener: Some(listener),
            handed_over: false,
            uid: nix::unistd::geteuid().as_raw(),
            clients: Vec::new(),
            next_id: 0,
        }
    }

    /// The socket's path.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The listening socket, to hand to a new master.
    pub(super) fn listener_fd(&self) -> Option<&UnixListener> {
        self.listener.as_ref()
    }

    /// Carry on answering `old`'s clients (the path changed on reload).
    pub(super) fn take_clients(&mut self, old: &mut Control) {
        self.clients.append(&mut old.clients);
        self.next_id = self.next_id.max(old.next_id);
    }

    /// A new master serves the socket now: stop accepting on it, and
    /// leave the file to the new master. Clients already accepted are
    /// still answered.
    pub(super) fn hand_over(&mut self) {
        self.listener = None;
        self.handed_over = true;
    }

    /// What the loop should poll: the listener (when `accepting`) and
    /// each client waiting to send or receive. Also the longest sleep
    /// before a client's deadline.
    pub(super) fn poll_fds(&self, accepting: bool, now: Instant) -> (Vec<PollFd<'_>>, Duration) {
        let mut fds = Vec::new();
        let mut wait = Duration::MAX;
        if accepting && let Some(l) = &self.listener {
            fds.push(PollFd::new(l.as_fd(), PollFlags::POLLIN));
        }
        for c in &self.clients {
            let flags = match c.state {
                ClientState::Reading(_) => PollFlags::POLLIN,
                ClientState::Writing { .. } => PollFlags::POLLOUT,
                ClientState::Waiting(_) => continue,
            };
            fds.push(PollFd::new(c.stream.as_fd(), flags));
            wait = wait.min(c.deadline.saturating_duration_since(now));
        }
        (fds, wait)
    }

    /// One turn: accept new clients (when `accepting`), read requests,
    /// write answers, drop clients past their deadline. Returns the
    /// complete requests; each must be answered ([`Control::answer`]) or
    /// parked ([`Control::wait`]).
    pub(super) fn turn(&mut self, accepting: bool, now: Instant) -> Vec<(ClientId, Command)> {
        if accepting {
            self.accept(now);
        }
        let mut requests = Vec::new();
        let mut answers = Vec::new();
        for c in &mut self.clients {
            let ClientState::Reading(buf) = &mut c.state else {
                continue;
            };
            match read_request(&mut c.stream, buf) {
                Ok(None) if now >= c.deadline => {
                    answers.push((c.id, Answer::Error("request timed out".into())));
                }
                Ok(None) => {}
                Ok(Some(_)) if c.refusal.is_some() => {
                    let why = c.refusal.take().unwrap_or_default();
                    answers.push((c.id, Answer::Error(why)));
                }
                Ok(Some(line)) => match Command::parse(&line) {
                    Some(cmd) => {
                        c.state = ClientState::Waiting(cmd);
                        requests.push((c.id, cmd));
                    }
                    None => answers.push((
                        c.id,
                        Answer::Error(format!(
                            "unknown command {:?} (expected one of {})",
                            line.trim(),
                            Command::ALL.map(Command::word).join(", ")
                        )),
                    )),
                },
                Err(RequestError::TooLong) => answers.push((
                    c.id,
                    Answer::Error(format!("request longer than {MAX_REQUEST} bytes")),
                )),
                Err(RequestError::Gone) => {
                    c.state = ClientState::Writing {
                        out: vec![],
                        sent: 0,
                    }
                }
            }
        }
        for (id, answer) in answers {
            self.answer(id, answer, now);
        }
        self.flush(now);
        requests
    }

    /// Park a client until its command is decided.
    pub(super) fn wait(&mut self, id: ClientId, cmd: Command) {
        if let Some(c) = self.clients.iter_mut().find(|c| c.id == id) {
            c.state = ClientState::Waiting(cmd);
        }
    }

    /// Answer one client (it is closed once the answer is written).
    pub(super) fn answer(&mut self, id: ClientId, answer: Answer, now: Instant) {
        if let Some(c) = self.clients.iter_mut().find(|c| c.id == id) {
            c.state = ClientState::Writing {
                out: answer.encode(),
                sent: 0,
            };
            c.deadline = now + WRITE_TIMEOUT;
        }
        self.flush(now);
    }

    /// Answer every client waiting on `cmd`.
    pub(super) fn answer_waiting(&mut self, cmd: Command, answer: &Answer, now: Instant) {
        let encoded = answer.clone().encode();
        for c in &mut self.clients {
            if matches!(c.state, ClientState::Waiting(w) if w == cmd) {
                c.state = ClientState::Writing {
                    out: encoded.clone(),
                    sent: 0,
                };
                c.deadline = now + WRITE_TIMEOUT;
            }
        }
        self.flush(now);
    }

    /// The master is exiting: answer whoever still waits, and give pending
    /// answers up to `limit` in all to be written.
    pub(super) fn finish(&mut self, limit: Duration) {
        let now = Instant::now();
        for cmd in Command::ALL {
            self.answer_waiting(cmd, &Answer::Error("the master exited".into()), now);
        }
        let deadline = now + limit;
        for c in &mut self.clients {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            if let ClientState::Writing { out, sent } = &c.state {
                let _ = c.stream.set_nonblocking(false);
                let _ = c.stream.set_write_timeout(Some(left));
                let _ = c.stream.write_all(out.get(*sent..).unwrap_or_default());
            }
        }
        self.clients.clear();
    }

    /// Close for good: the socket file is removed unless a new master
    /// now serves it.
    pub(super) fn close(mut self) {
        self.finish(Duration::from_secs(1));
        if !self.handed_over {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    fn accept(&mut self, now: Instant) {
        let Some(listener) = &self.listener else {
            return;
        };
        loop {
            let stream = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    log::error!("control socket {}: accept: {e}", self.path.display());
                    return;
                }
            };
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            let id = ClientId(self.next_id);
            self.next_id += 1;
            let refusal = match getsockopt(&stream, PeerCredentials) {
                Ok(cred) if cred.uid() == self.uid || cred.uid() == 0 => None,
                Ok(cred) => {
                    log::warn!(
                        "control socket: refused a client running as uid {} (pid {})",
                        cred.uid(),
                        cred.pid()
                    );
                    Some(format!(
                        "permission denied: uid {} may not control this master (uid {})",
                        cred.uid(),
                        self.uid
                    ))
                }
                Err(e) => Some(format!("cannot read peer credentials: {e}")),
            };
            if self.clients.len() >= MAX_CLIENTS {
                let mut stream = stream;
                let busy = Answer::Error("too many control clients; try again".into());
                let _ = stream.write(&busy.encode());
                continue;
            }
            self.clients.push(Client {
                id,
                stream,
                state: ClientState::Reading(Vec::new()),
                deadline: now + REQUEST_TIMEOUT,
                refusal,
            });
        }
    }

    /// Write what can be written; drop clients that are done, gone or
    /// past their deadline.
    fn flush(&mut self, now: Instant) {
        self.clients.retain_mut(|c| {
            let ClientState::Writing { out, sent } = &mut c.state else {
                return true;
            };
            while *sent < out.len() {
                match c.stream.write(out.get(*sent..).unwrap_or_default()) {
                    Ok(0) => return false,
                    Ok(n) => *sent += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return now < c.deadline,
                    Err(_) => return false,
                }
            }
            discard_unread(&mut c.stream);
            false
        });
    }
}

/// Before closing: read away what the client sent beyond its request (a
/// too-long one, say), so the close is a FIN after the answer rather than
/// a reset that could destroy it. Bounded; it is only a courtesy.
fn discard_unread(stream: &mut UnixStream) {
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

enum RequestError {
    TooLong,
    Gone,
}

/// Read what is there; a complete line (or the bytes before EOF) is the
/// request.
fn read_request(
    stream: &mut UnixStream,
    buf: &mut Vec<u8>,
) -> Result<Option<String>, RequestError> {
    let mut chunk = [0u8; MAX_REQUEST];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Err(RequestError::Gone),
            Ok(0) => return Ok(Some(String::from_utf8_lossy(buf).into_owned())),
            Ok(n) => {
                buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
                if let Some(end) = buf.iter().position(|&b| b == b'\n') {
                    let line = buf.get(..end).unwrap_or_default();
                    return Ok(Some(String::from_utf8_lossy(line).into_owned()));
                }
                if buf.len() >= MAX_REQUEST {
                    return Err(RequestError::TooLong);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(_) => return Err(RequestError::Gone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_word_parses_back_to_its_command() {
        for cmd in Command::ALL {
            assert_eq!(Command::parse(cmd.word()), Some(cmd));
            assert_eq!(Command::parse(&format!(" {}\r", cmd.word())), Some(cmd));
        }
        assert_eq!(Command::parse("restart"), None);
        assert_eq!(Command::parse(""), None);
    }

    #[test]
    fn answers_are_one_json_line_with_ok() {
        let ok = Answer::Ok("done".into()).encode();
        assert_eq!(ok, b"{\"message\":\"done\",\"ok\":true}\n");
        let err = Answer::Error("no".into()).encode();
        assert_eq!(err, b"{\"error\":\"no\",\"ok\":false}\n");
        let status = Answer::Status(serde_json::json!({"master": {}})).encode();
        assert_eq!(status, b"{\"master\":{},\"ok\":true}\n");
    }

    fn socket_path(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bicorn-control-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("sub").join("control.sock")
    }

    #[test]
    fn bound_socket_is_mode_0600_in_a_0700_directory_and_removed_on_close() {
        use std::os::unix::fs::PermissionsExt;
        let path = socket_path("mode");
        let control = Control::bind(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        control.close();
        assert!(!path.exists());
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn a_regular_file_at_the_path_is_never_clobbered() {
        let path = socket_path("file");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "precious").unwrap();
        let err = Control::bind(&path).unwrap_err();
        assert!(err.to_string().contains("is not a socket"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn a_stale_socket_is_replaced_and_a_live_one_refused() {
        let path = socket_path("stale");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        drop(UnixListener::bind(&path).unwrap()); // stale: nobody accepts
        let live = Control::bind(&path).unwrap();
        let err = Control::bind(&path).unwrap_err();
        assert!(err.to_string().contains("in use"), "{err}");
        live.close();
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn a_status_request_is_read_parked_and_answered() {
        let path = socket_path("turn");
        let mut control = Control::bind(&path).unwrap();
        let mut client = UnixStream::connect(&path).unwrap();
        client.write_all(b"status\n").unwrap();
        let now = Instant::now();
        let mut requests = Vec::new();
        for _ in 0..100 {
            requests = control.turn(true, now);
            if !requests.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let [(id, Command::Status)] = requests[..] else {
            panic!("one status request, got {requests:?}");
        };
        control.answer(id, Answer::Ok("fine".into()), now);
        let mut text = String::new();
        client.read_to_string(&mut text).unwrap();
        assert_eq!(text, "{\"message\":\"fine\",\"ok\":true}\n");
        control.close();
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    /// Turn `control` at `now` until it has no client left (bounded).
    fn turn_until_idle(control: &mut Control, now: Instant) {
        for _ in 0..200 {
            assert!(control.turn(true, now).is_empty());
            if control.clients.is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("clients left: {:?}", control.clients);
    }

    #[test]
    fn a_silent_client_is_told_it_timed_out_after_the_request_timeout() {
        let path = socket_path("silent");
        let mut control = Control::bind(&path).unwrap();
        let mut client = UnixStream::connect(&path).unwrap();
        let start = Instant::now();
        for _ in 0..100 {
            control.turn(true, start);
            if !control.clients.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(control.clients.len(), 1, "accepted, still waiting");
        turn_until_idle(&mut control, start + REQUEST_TIMEOUT);
        let mut text = String::new();
        client.read_to_string(&mut text).unwrap();
        assert_eq!(text, "{\"error\":\"request timed out\",\"ok\":false}\n");
        control.close();
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn a_request_longer_than_the_limit_is_refused_and_the_answer_arrives() {
        let path = socket_path("long");
        let mut control = Control::bind(&path).unwrap();
        let mut client = UnixStream::connect(&path).unwrap();
        client.write_all(&[b'x'; MAX_REQUEST + 10]).unwrap();
        turn_until_idle(&mut control, Instant::now());
        let mut text = String::new();
        client.read_to_string(&mut text).unwrap();
        assert!(text.contains("request longer than 256 bytes"), "{text}");
        control.close();
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn an_unknown_command_gets_an_error_naming_the_commands() {
        let path = socket_path("unknown");
        let mut control = Control::bind(&path).unwrap();
        let mut client = UnixStream::connect(&path).unwrap();
        client.write_all(b"restart\n").unwrap();
        for _ in 0..100 {
            assert!(control.turn(true, Instant::now()).is_empty());
            if control.clients.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut text = String::new();
        client.read_to_string(&mut text).unwrap();
        assert!(text.contains("unknown command \\\"restart\\\""), "{text}");
        assert!(text.contains("add-worker"), "{text}");
        control.close();
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }
}
