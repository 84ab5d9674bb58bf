//! systemd integration as systemd would exercise it: socket activation,
//! the sd_notify sequence on our own NOTIFY_SOCKET, the watchdog, and the
//! shipped unit files.
#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use support::{Server, TempDir, tool, wait_until};

/// A NOTIFY_SOCKET of our own, recording every datagram with its arrival.
struct NotifyListener {
    path: std::path::PathBuf,
    got: Arc<Mutex<Vec<(Instant, String)>>>,
}

impl NotifyListener {
    fn new(dir: &TempDir) -> Self {
        let path = dir.join("notify.sock");
        let sock = UnixDatagram::bind(&path).unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = sock.recv(&mut buf) {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                sink.lock().unwrap().push((Instant::now(), msg));
            }
        });
        Self { path, got }
    }

    fn messages(&self) -> Vec<String> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, m)| m.clone())
            .collect()
    }

    fn wait_for(&self, needle: &str, n: usize) -> bool {
        wait_until(Duration::from_secs(20), || {
            self.messages()
                .iter()
                .filter(|m| m.contains(needle))
                .count()
                >= n
        })
    }
}

#[test]
fn socket_activation_adopts_the_named_socket_from_systemd() {
    if !tool("systemd-socket-activate") {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = TempDir::new("activate");
    let config = dir.join("bicorn.toml");
    std::fs::write(
        &config,
        format!("workers = 2\n[[listen]]\naddress = \"127.0.0.1:{port}\"\nname = \"web\"\n"),
    )
    .unwrap();
    let mut child = Command::new("systemd-socket-activate")
        .arg(format!("--listen=127.0.0.1:{port}"))
        .arg("--fdname=web")
        .arg(support::BIN)
        .arg("-c")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = support::Log::capture(child.stderr.take().unwrap());
    assert!(
        log.wait_for("Listening on", Duration::from_secs(10)),
        "{}",
        log.text()
    );
    // systemd-socket-activate accepts nothing itself: it execs bicorn when
    // the first connection arrives on the socket, passing it as fd 3.
    let r = support::http::get(&format!("127.0.0.1:{port}"), "/");
    // The log is read by another thread: wait for the lines, don't
    // snapshot.
    let adopted = format!("adopted listener 127.0.0.1:{port} (fd 3) from systemd");
    let seen = log.wait_for(&adopted, Duration::from_secs(10))
        && log.wait_for("master ready", Duration::from_secs(10));
    let text = log.text();
    let master = text
        .lines()
        .find_map(|l| l.split("master starting: pid ").nth(1))
        .and_then(|r| r.split(',').next())
        .and_then(|p| p.parse::<i32>().ok())
        .map(Pid::from_raw);
    if let Some(m) = master {
        let _ = kill(m, Signal::SIGQUIT);
    }
    let _ = wait_until(Duration::from_secs(10), || {
        child.try_wait().unwrap().is_some()
    });
    let _ = child.kill();
    let _ = child.wait();
    let r = r.unwrap_or_else(|e| panic!("request on the activated socket: {e}\n{text}"));
    assert_eq!(r.status, 200);
    assert!(seen && text.contains(&adopted), "{text}");
}

#[test]
fn sd_notify_sequence_across_start_hup_usr2_and_quit() {
    bicorn::sys::set_child_subreaper().unwrap();
    let dir = TempDir::new("notify");
    let notify = NotifyListener::new(&dir);
    let s = Server::builder(&support::config(2, ""))
        .env("NOTIFY_SOCKET", notify.path.to_str().unwrap())
        .dir(dir)
        .start();
    assert!(notify.wait_for("READY=1", 1));
    s.signal(Signal::SIGHUP);
    assert!(notify.wait_for("READY=1", 2));
    s.signal(Signal::SIGUSR2);
    assert!(notify.wait_for("MAINPID=", 1), "{:?}", notify.messages());
    let new_master: i32 = notify
        .messages()
        .iter()
        .find_map(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MAINPID="))
                .map(str::to_string)
        })
        .unwrap()
        .parse()
        .unwrap();
    let new_master = Pid::from_raw(new_master);
    let mut s = s;
    s.also_kill.push(new_master);
    assert!(wait_until(Duration::from_secs(10), || support::exited(
        s.pid
    )));
    kill(new_master, Signal::SIGQUIT).unwrap();
    assert!(notify.wait_for("STOPPING=1", 1));
    assert!(wait_until(Duration::from_secs(10), || support::exited(
        new_master
    )));
    support::reap(new_master);

    let msgs = notify.messages();
    println!("sd_notify messages: {msgs:#?}");
    let key: Vec<&str> = msgs
        .iter()
        .filter_map(|m| {
            if m.starts_with("RELOADING=1") {
                Some("RELOADING")
            } else if m.starts_with("MAINPID=") {
                Some(if m.contains("READY=1") {
                    "MAINPID+READY"
                } else {
                    "MAINPID"
                })
            } else if m == "READY=1" {
                Some("READY")
            } else if m == "STOPPING=1" {
                Some("STOPPING")
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        key,
        ["READY", "RELOADING", "READY", "MAINPID+READY", "STOPPING"]
    );
    let reloading = msgs.iter().find(|m| m.starts_with("RELOADING=1")).unwrap();
    let usec: u64 = reloading
        .lines()
        .find_map(|l| l.strip_prefix("MONOTONIC_USEC="))
        .unwrap()
        .parse()
        .unwrap();
    let now_usec = bicorn::sys::monotonic_ms() * 1000;
    assert!(
        usec <= now_usec && now_usec - usec < 60_000_000,
        "{usec} vs {now_usec}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("STATUS=generation 2, 2/2 workers ready")),
        "{msgs:?}"
    );
}

#[test]
fn watchdog_keeps_pinging_through_a_hung_worker_that_the_master_replaces() {
    // Pings stop only when supervision fails (a heartbeat older than
    // timeout plus two loop turns; see the scoreboard's unit test). A hung
    // worker that the master kills at `timeout` must not get the service
    // killed by systemd: with WatchdogSec=1 s, no gap may reach 1 s.
    let dir = TempDir::new("watchdog");
    let notify = NotifyListener::new(&dir);
    let config = support::config(1, "").replace("timeout = 5", "timeout = 3");
    let s = Server::builder(&config)
        .env("NOTIFY_SOCKET", notify.path.to_str().unwrap())
        .env("WATCHDOG_USEC", "1000000")
        .env("BICORN_TEST_FAULT", "hang-on-path")
        .dir(dir)
        .start();
    assert!(notify.wait_for("WATCHDOG=1", 3), "pings while healthy");
    let mut stuck = support::http::Conn::open(&s.addr).unwrap();
    stuck.send("GET", "/__bicorn_hang", b"").unwrap();
    let hung_at = Instant::now();
    assert!(
        s.log
            .wait_for("missed its heartbeat", Duration::from_secs(10))
    );
    assert!(s.log.wait_for_n("ready: pid", 2, Duration::from_secs(10)));
    let before = notify
        .messages()
        .iter()
        .filter(|m| *m == "WATCHDOG=1")
        .count();
    assert!(notify.wait_for("WATCHDOG=1", before + 2), "pings go on");
    let pings: Vec<Instant> = notify
        .got
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, m)| m == "WATCHDOG=1")
        .map(|(t, _)| *t)
        .collect();
    let gap = pings
        .windows(2)
        .filter(|w| w[1] > hung_at)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap();
    println!("longest gap between WATCHDOG=1 across a hung worker: {gap:?}");
    assert!(
        gap < Duration::from_secs(1),
        "systemd would have fired: {gap:?}"
    );
}

#[test]
fn shipped_unit_files_pass_systemd_analyze_verify() {
    if !tool("systemd-analyze") {
        return;
    }
    let dir = TempDir::new("units");
    let root = env!("CARGO_MANIFEST_DIR");
    let service = std::fs::read_to_string(format!("{root}/systemd/bicorn.service")).unwrap();
    std::fs::write(
        dir.join("bicorn.service"),
        service.replace("/usr/local/bin/bicorn", support::BIN),
    )
    .unwrap();
    std::fs::copy(
        format!("{root}/systemd/bicorn.socket"),
        dir.join("bicorn.socket"),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(dir.join("bicorn.service"))
        .arg(dir.join("bicorn.socket"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("bicorn"), "warnings about our units: {err}");
}
