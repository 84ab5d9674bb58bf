//! The client side of the control socket, for `bicorn status`, `reload`,
//! `upgrade`, `stop`, `add-worker` and `remove-worker`: plain blocking
//! `UnixStream` code with timeouts (this is a command-line tool, not the
//! event loop). It finds the socket from a config file or takes its path,
//! sends one command, reads the one JSON answer (see `control.rs` for the
//! protocol) and renders the status document as a table. It never changes
//! the server by itself.

use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::control::Command;

/// How long to wait for the answer to `status`, `stop` and the worker
/// count commands.
const QUICK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for `reload` and `upgrade`, which are answered once
/// the new generation or master is ready (bounded on the server by
/// `upgrade_timeout`).
const SLOW_TIMEOUT: Duration = Duration::from_secs(600);
/// Largest answer accepted (a status of 4096 workers fits).
const MAX_ANSWER: u64 = 16 << 20;

/// Why a control command did not succeed.
#[derive(Debug)]
pub enum ClientError {
    /// The config file does not say where the socket is.
    NoSocket { config: PathBuf, reason: String },
    /// Connecting failed (no master running, wrong path, permissions).
    Connect { path: PathBuf, error: io::Error },
    /// Sending or receiving failed, or timed out.
    Io { path: PathBuf, error: io::Error },
    /// The answer is not the protocol's JSON.
    BadAnswer(String),
    /// The master answered with an error.
    Refused(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::NoSocket { config, reason } => {
                write!(f, "{}: {reason} (or pass --control PATH)", config.display())
            }
            ClientError::Connect { path, error } => write!(
                f,
                "cannot connect to control socket {}: {error} (is the master running?)",
                path.display()
            ),
            ClientError::Io { path, error } => {
                write!(f, "control socket {}: {error}", path.display())
            }
            ClientError::BadAnswer(text) => write!(f, "unexpected answer from the master: {text}"),
            ClientError::Refused(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ClientError {}

/// The control socket a config file names. Only the `control` key is
/// read, leniently, so that `bicorn reload` works while the file holds
/// the very mistake the master will reject with file, line and key.
pub fn socket_from_config(config: &Path) -> Result<PathBuf, ClientError> {
    let no_socket = |reason: String| ClientError::NoSocket {
        config: config.to_path_buf(),
        reason,
    };
    let text =
        std::fs::read_to_string(config).map_err(|e| no_socket(format!("cannot read: {e}")))?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|e| no_socket(format!("cannot find `control`: {}", e.message())))?;
    let path = match table.get("control") {
        Some(toml::Value::String(p)) if !p.is_empty() => PathBuf::from(p),
        Some(_) => return Err(no_socket("`control` is not a path".into())),
        None => return Err(no_socket("no `control` socket is configured".into())),
    };
    if path.is_absolute() {
        return Ok(path);
    }
    let dir = config
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    Ok(dir.join(path))
}

/// Send `cmd` to the master at `socket` and return its answer: the
/// status document (for `status`), or the message. An `"ok": false`
/// answer is [`ClientError::Refused`] with the master's text.
pub fn request(socket: &Path, cmd: Command) -> Result<Value, ClientError> {
    let io_err = |error| ClientError::Io {
        path: socket.to_path_buf(),
        error,
    };
    let mut stream = UnixStream::connect(socket).map_err(|error| ClientError::Connect {
        path: socket.to_path_buf(),
        error,
    })?;
    let wait = match cmd {
        Command::Reload | Command::Upgrade => SLOW_TIMEOUT,
        _ => QUICK_TIMEOUT,
    };
    stream.set_read_timeout(Some(wait)).map_err(io_err)?;
    stream
        .set_write_timeout(Some(QUICK_TIMEOUT))
        .map_err(io_err)?;
    stream
        .write_all(format!("{}\n", cmd.word()).as_bytes())
        .map_err(io_err)?;
    let mut text = String::new();
    stream
        .take(MAX_ANSWER)
        .read_to_string(&mut text)
        .map_err(io_err)?;
    let answer: Value = serde_json::from_str(text.trim()).map_err(|_| {
        ClientError::BadAnswer(if text.is_empty() {
            "nothing (the connection closed)".into()
        } else {
            text.trim().to_string()
        })
    })?;
    match answer.get("ok") {
        Some(Value::Bool(true)) => Ok(answer),
        Some(Value::Bool(false)) => Err(ClientError::Refused(
            answer
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("the master refused without saying why")
                .to_string(),
        )),
        _ => Err(ClientError::BadAnswer(text.trim().to_string())),
    }
}

/// The `message` of a command's answer.
pub fn message(answer: &Value) -> &str {
    answer
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("ok")
}

fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or(&Value::Null)
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => format!("{f:.1}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// The status document as an operator reads it: the master's summary,
/// then one row per worker.
pub fn render_status(doc: &Value) -> String {
    let m = field(doc, "master");
    let reloads = field(m, "reloads");
    let upgrades = field(m, "upgrades");
    let mut out = format!(
        "master pid {}  {}  generation {}  workers {}  uptime {}s\n",
        text(field(m, "pid")),
        text(field(m, "state")),
        text(field(m, "generation")),
        text(field(m, "workers_target")),
        text(field(m, "uptime_s")),
    );
    out.push_str(&format!(
        "reloads: {} completed, {} rejected, {} rolled back; upgrades: {} started, {} failed\n",
        text(field(reloads, "completed")),
        text(field(reloads, "rejected")),
        text(field(reloads, "rolled_back")),
        text(field(upgrades, "started")),
        text(field(upgrades, "failed")),
    ));
    let last = field(m, "last_reload");
    if !last.is_null() {
        out.push_str(&format!(
            "last reload ({}s ago): {}\n",
            text(field(last, "age_s")),
            text(field(last, "message"))
        ));
    }
    for b in field(m, "backoff").as_array().into_iter().flatten() {
        out.push_str(&format!(
            "backoff: position {} failed {} times at start; next spawn in {}s\n",
            text(field(b, "position")),
            text(field(b, "failures")),
            text(field(b, "next_spawn_in_s")),
        ));
    }
    let header = [
        "SLOT",
        "PID",
        "GEN",
        "STATE",
        "AGE",
        "HEARTBEAT",
        "REQUESTS",
        "CONNS",
        "STREAMS",
        "RESTARTS",
        "LAST EXIT",
    ];
    let mut rows = vec![header.map(str::to_string).to_vec()];
    for w in field(doc, "workers").as_array().into_iter().flatten() {
        rows.push(vec![
            text(field(w, "slot")),
            text(field(w, "pid")),
            text(field(w, "generation")),
            text(field(w, "state")),
            format!("{}s", text(field(w, "age_s"))),
            format!("{}s", text(field(w, "heartbeat_age_s"))),
            text(field(w, "requests")),
            text(field(w, "connections")),
            text(field(w, "streams")),
            text(field(w, "restarts")),
            text(field(w, "last_exit")),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, String::len))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_is_found_beside_a_config_even_when_the_rest_is_invalid() {
        let dir = std::env::temp_dir().join(format!("bicorn-client-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("bicorn.toml");
        std::fs::write(&config, "workers = 0\ncontrol = \"run/control.sock\"\n").unwrap();
        assert_eq!(
            socket_from_config(&config).unwrap(),
            dir.join("run/control.sock")
        );
        std::fs::write(&config, "workers = 2\n").unwrap();
        let err = socket_from_config(&config).unwrap_err().to_string();
        assert!(err.contains("no `control` socket"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn status_table_has_the_master_line_and_a_row_per_worker() {
        let doc = serde_json::json!({
            "master": {"pid": 10, "state": "running", "generation": 2, "workers_target": 1,
                       "uptime_s": 3.25, "reloads": {"completed": 1, "rejected": 0, "rolled_back": 0},
                       "upgrades": {"started": 0, "failed": 0}, "last_reload": null},
            "workers": [{"slot": 0, "pid": 11, "generation": 2, "state": "ready", "age_s": 1.0,
                         "heartbeat_age_s": 0.2, "requests": 5, "connections": 1, "restarts": 1,
                         "last_exit": "signal 9 (SIGKILL)"}]
        });
        let table = render_status(&doc);
        assert!(
            table.starts_with("master pid 10  running  generation 2"),
            "{table}"
        );
        let row = table.lines().last().unwrap();
        assert!(
            row.starts_with("0     11   2    ready") && row.ends_with("signal 9 (SIGKILL)"),
            "{table}"
        );
    }
}
