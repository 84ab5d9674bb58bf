//! Shared helpers for the process tests: start the real `bicorn` binary
//! with a temporary config on 127.0.0.1:0, read its log, find its workers,
//! send it signals, and talk HTTP/1.1 to it.
#![allow(
    dead_code,
    unreachable_pub,
    missing_debug_implementations,
    clippy::unwrap_used
)]

pub mod h2client;
pub mod http;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

pub const BIN: &str = env!("CARGO_BIN_EXE_bicorn");

/// A scratch directory removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bicorn-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A config with one TCP listener on port 0, `workers` workers and short
/// timeouts; `extra` is appended at top level (before the tables).
pub fn config(workers: usize, extra: &str) -> String {
    format!(
        "workers = {workers}\ntimeout = 5\nshutdown_timeout = 10\nupgrade_timeout = 20\n{extra}\n\n[[listen]]\naddress = \"127.0.0.1:0\"\n\n[log]\nlevel = \"info\"\n"
    )
}

/// Shared, growing text of a process's stderr.
#[derive(Debug, Clone, Default)]
pub struct Log(Arc<Mutex<String>>, Arc<std::sync::atomic::AtomicBool>);

impl Log {
    /// Collect the lines of `reader` (a child's stderr) as they come.
    pub fn capture(reader: impl std::io::Read + Send + 'static) -> Log {
        let log = Log::default();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { break };
                if std::env::var_os("BICORN_TEST_ECHO").is_some() {
                    eprintln!("{line}");
                }
                let mut s = sink.0.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
            sink.1.store(true, Ordering::SeqCst);
        });
        log
    }

    /// Wait until every writer has closed the stream (bounded).
    pub fn wait_eof(&self, within: Duration) -> bool {
        wait_until(within, || self.1.load(Ordering::SeqCst))
    }

    pub fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }

    pub fn count(&self, needle: &str) -> usize {
        self.text().matches(needle).count()
    }

    /// Wait until `needle` appears at least `n` times.
    pub fn wait_for_n(&self, needle: &str, n: usize, within: Duration) -> bool {
        wait_until(within, || self.count(needle) >= n)
    }

    pub fn wait_for(&self, needle: &str, within: Duration) -> bool {
        self.wait_for_n(needle, 1, within)
    }
}

/// A running master started by a test.
#[derive(Debug)]
pub struct Server {
    pub dir: TempDir,
    pub config_path: PathBuf,
    pub child: Option<Child>,
    pub pid: Pid,
    pub log: Log,
    pub addr: String,
    /// Other masters (after USR2) to kill with their families on drop.
    pub also_kill: Vec<Pid>,
}

pub struct Builder {
    config: String,
    env: Vec<(String, String)>,
    bin: PathBuf,
    dir: Option<TempDir>,
    wait_ready: bool,
    nofile: Option<u32>,
}

impl Builder {
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn bin(mut self, bin: PathBuf) -> Self {
        self.bin = bin;
        self
    }

    pub fn dir(mut self, dir: TempDir) -> Self {
        self.dir = Some(dir);
        self
    }

    /// Start under `ulimit -n n` (through sh).
    pub fn ulimit_nofile(mut self, n: u32) -> Self {
        self.nofile = Some(n);
        self
    }

    pub fn no_wait(mut self) -> Self {
        self.wait_ready = false;
        self
    }

    pub fn start(self) -> Server {
        let dir = self.dir.unwrap_or_else(|| TempDir::new("srv"));
        let config_path = dir.join("bicorn.toml");
        std::fs::write(&config_path, &self.config).unwrap();
        let mut cmd = match self.nofile {
            Some(n) => {
                let mut c = Command::new("/bin/sh");
                c.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(&self.bin);
                c
            }
            None => Command::new(&self.bin),
        };
        cmd.arg("-c")
            .arg(&config_path)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .env_remove("NOTIFY_SOCKET")
            .env_remove("LISTEN_FDS")
            .env_remove("LISTEN_PID")
            .env_remove("RUST_LOG");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        // A binary copied by this test may be briefly "busy": another test
        // thread's fork can hold the copy's write fd until its exec.
        let mut tries = 0;
        let mut child = loop {
            match cmd.spawn() {
                Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 100 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                r => break r.expect("spawn bicorn"),
            }
        };
        let log = Log::capture(child.stderr.take().unwrap());
        let pid = Pid::from_raw(child.id() as i32);
        let mut server = Server {
            dir,
            config_path,
            child: Some(child),
            pid,
            log,
            addr: String::new(),
            also_kill: Vec::new(),
        };
        if self.wait_ready {
            assert!(
                server.log.wait_for("master ready", Duration::from_secs(20)),
                "server did not become ready; log:\n{}",
                server.log.text()
            );
            server.addr = server.listen_addr();
        }
        server
    }
}

impl Server {
    pub fn builder(config: &str) -> Builder {
        Builder {
            config: config.to_string(),
            env: Vec::new(),
            bin: PathBuf::from(BIN),
            dir: None,
            wait_ready: true,
            nofile: None,
        }
    }

    pub fn start(config: &str) -> Server {
        Self::builder(config).start()
    }

    /// The first TCP address from the "listening on" part of the start line.
    pub fn listen_addr(&self) -> String {
        let text = self.log.text();
        let line = text
            .lines()
            .find(|l| l.contains("master starting"))
            .expect("start line");
        let list = line.split("listening on ").nth(1).expect("listening on");
        list.split(", ")
            .find(|a| !a.starts_with("unix:"))
            .unwrap_or("")
            .to_string()
    }

    /// Every address from the "listening on" part of the start line, in
    /// config order (unix ones included, as `unix:PATH`).
    pub fn listen_addrs(&self) -> Vec<String> {
        let text = self.log.text();
        let line = text
            .lines()
            .find(|l| l.contains("master starting"))
            .expect("start line");
        let list = line.split("listening on ").nth(1).expect("listening on");
        list.split(", ").map(str::to_string).collect()
    }

    pub fn signal(&self, sig: Signal) {
        kill(self.pid, sig).unwrap();
    }

    /// Live (non-zombie) children of the master: its workers.
    pub fn workers(&self) -> Vec<Pid> {
        children(self.pid)
    }

    /// Wait until the master has exactly `n` workers, all answering.
    pub fn wait_workers(&self, n: usize, within: Duration) -> Vec<Pid> {
        let mut last = Vec::new();
        let ok = wait_until(within, || {
            last = self.workers();
            last.len() == n
        });
        assert!(
            ok,
            "expected {n} workers, have {:?}; log:\n{}",
            last,
            self.log.text()
        );
        last
    }

    pub fn get(&self, path: &str) -> http::Response {
        http::get(&self.addr, path)
            .unwrap_or_else(|e| panic!("GET {path}: {e}\nlog:\n{}", self.log.text()))
    }

    /// Wait for the master to exit; returns its exit code.
    pub fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let child = self.child.as_mut()?;
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.log.wait_eof(Duration::from_secs(2));
                return status.code();
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Kill the whole family: workers first, then masters we know of.
        for &master in std::iter::once(&self.pid).chain(&self.also_kill) {
            for pid in descendants(master) {
                let _ = kill(pid, Signal::SIGKILL);
            }
            let _ = kill(master, Signal::SIGKILL);
        }
        for &master in &self.also_kill {
            let _ = nix::sys::wait::waitpid(master, None);
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.wait();
        }
    }
}

/// Poll `f` every 20 ms until it holds or `within` passes.
pub fn wait_until(within: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The state letter of /proc/PID/stat, None if the process is gone.
pub fn proc_state(pid: Pid) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.trim_start().chars().next()
}

/// Gone or a zombie: it has exited (a zombie still answers `kill -0`).
pub fn exited(pid: Pid) -> bool {
    matches!(proc_state(pid), None | Some('Z') | Some('X'))
}

/// Live children of `pid` (zombies excluded).
pub fn children(pid: Pid) -> Vec<Pid> {
    let text =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    text.split_whitespace()
        .filter_map(|s| s.parse::<i32>().ok())
        .map(Pid::from_raw)
        .filter(|p| !exited(*p))
        .collect()
}

/// All live descendants of `pid`.
pub fn descendants(pid: Pid) -> Vec<Pid> {
    let mut out = Vec::new();
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        for c in children(p) {
            out.push(c);
            stack.push(c);
        }
    }
    out
}

/// Reap `pid` if it is our zombie child (after a re-parenting).
pub fn reap(pid: Pid) {
    let _ = nix::sys::wait::waitpid(pid, Some(nix::sys::wait::WaitPidFlag::WNOHANG));
}

/// The pid a response body names (`pid=N`).
pub fn body_pid(body: &str) -> Option<i32> {
    body.split_whitespace()
        .find_map(|w| w.strip_prefix("pid="))
        .and_then(|p| p.parse().ok())
}

/// `generation=N` from a response body.
pub fn body_generation(body: &str) -> Option<u32> {
    body.split_whitespace()
        .find_map(|w| w.strip_prefix("generation="))
        .and_then(|p| p.parse().ok())
}

/// Is an external tool installed? Under CI (`CI=true`) a missing tool is
/// a failure: `.ci/run` installs them. Elsewhere the test is skipped, and
/// says so.
pub fn tool(name: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()));
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is not installed, and CI=true: .ci/run must install it"
        );
        eprintln!("SKIPPED: {name} is not installed (this test fails under CI=true)");
    }
    found
}

/// A `/proc/PID/status` value in KiB (`VmRSS:`, `VmHWM:`).
pub fn status_kib(pid: Pid, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}
