//! Under sustained client load, reloads and binary upgrades lose no
//! request, and killing workers loses only what those workers held.
//!
//! Clients: keep-alive connections (GET and POST, reconnecting when the
//! server says `connection: close`) and one-request connections, all
//! counting every outcome. Nothing is retried: a failure is a failure.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use support::{Server, body_pid, http, wait_until};

#[derive(Debug, Clone)]
struct Failure {
    at: Instant,
    what: String,
    /// Worker that answered this connection's previous request, if any.
    prior_pid: Option<i32>,
    refused: bool,
}

#[derive(Debug, Default)]
struct Tally {
    ok: AtomicU64,
    failures: Mutex<Vec<Failure>>,
}

impl Tally {
    fn fail(&self, what: String, prior_pid: Option<i32>, refused: bool) {
        self.failures.lock().unwrap().push(Failure {
            at: Instant::now(),
            what,
            prior_pid,
            refused,
        });
    }
}

/// Longest any client loop may run, whatever happens.
const CLIENT_LIMIT: Duration = Duration::from_secs(120);

fn keep_alive_client(addr: String, stop: Arc<AtomicBool>, tally: Arc<Tally>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let started = Instant::now();
        let mut conn: Option<http::Conn> = None;
        let mut prior = None;
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) && started.elapsed() < CLIENT_LIMIT {
            let c = match conn.as_mut() {
                Some(c) => c,
                None => match http::Conn::open(&addr) {
                    Ok(c) => {
                        prior = None;
                        conn.insert(c)
                    }
                    Err(e) => {
                        let refused = e.kind() == std::io::ErrorKind::ConnectionRefused;
                        tally.fail(format!("connect: {e}"), None, refused);
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                },
            };
            n += 1;
            let result = if n.is_multiple_of(2) {
                c.request("POST", "/upload", &[b'x'; 1024])
            } else {
                c.request("GET", "/", b"")
            };
            match result {
                Ok(r) if r.status == 200 => {
                    tally.ok.fetch_add(1, Ordering::Relaxed);
                    prior = body_pid(&r.body);
                    if r.closes() {
                        conn = None;
                    }
                }
                Ok(r) => {
                    tally.fail(format!("status {}", r.status), prior, false);
                    conn = None;
                }
                Err(e) => {
                    tally.fail(format!("keep-alive request: {e}"), prior, false);
                    conn = None;
                }
            }
        }
    })
}

fn fresh_client(addr: String, stop: Arc<AtomicBool>, tally: Arc<Tally>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let started = Instant::now();
        while !stop.load(Ordering::Relaxed) && started.elapsed() < CLIENT_LIMIT {
            match http::Conn::open(&addr) {
                Err(e) => {
                    let refused = e.kind() == std::io::ErrorKind::ConnectionRefused;
                    tally.fail(format!("connect: {e}"), None, refused);
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(mut c) => match c.request("GET", "/fresh", b"") {
                    Ok(r) if r.status == 200 => {
                        tally.ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => tally.fail(format!("status {}", r.status), None, false),
                    Err(e) => tally.fail(format!("fresh request: {e}"), None, false),
                },
            }
        }
    })
}

/// An HTTP/2 client as browsers behave: one request at a time on a
/// connection; after a GOAWAY it finishes what the GOAWAY covers and
/// opens a new connection for the next request (a stream above the
/// GOAWAY's last id was not processed and may be retried, RFC 9113 §6.8).
/// It answers PINGs. A stream the server covered but never finished is a
/// failure.
fn h2_client(addr: String, stop: Arc<AtomicBool>, tally: Arc<Tally>) -> JoinHandle<()> {
    use bicorn::h2::StreamId;
    use bicorn::h2::frame::{FrameType, Ping, WindowUpdate};
    use support::h2client::RawClient;
    std::thread::spawn(move || {
        let started = Instant::now();
        'connection: while !stop.load(Ordering::Relaxed) && started.elapsed() < CLIENT_LIMIT {
            let mut c = RawClient::connect(&addr);
            let mut seen: Vec<String> = Vec::new();
            let mut id = 1u32;
            let mut last_allowed = u32::MAX >> 1;
            while !stop.load(Ordering::Relaxed) {
                if id > last_allowed {
                    continue 'connection; // after a GOAWAY: new connection
                }
                // A write can fail when the server closed after a GOAWAY we
                // have not read yet; the reads below find it.
                let _ = c.try_get(id, "/h2");
                loop {
                    let Some((kind, flags, stream, payload)) = c.next_frame() else {
                        if id <= last_allowed {
                            let tail = seen[seen.len().saturating_sub(8)..].join(" ");
                            tally.fail(
                                format!("h2 stream {id}: {:?}; last frames: {tail}", c.last_error),
                                None,
                                false,
                            );
                        }
                        continue 'connection;
                    };
                    seen.push(format!(
                        "{kind:?}/{stream}/{:02x}/{}",
                        flags,
                        payload.len().min(8)
                    ));
                    if seen.len() > 64 {
                        seen.drain(..32);
                    }
                    match kind {
                        FrameType::GOAWAY => {
                            last_allowed = u32::from_be_bytes([
                                payload[0], payload[1], payload[2], payload[3],
                            ]) & 0x7fff_ffff;
                            if id > last_allowed {
                                // Not processed: retry on a new connection.
                                continue 'connection;
                            }
                        }
                        FrameType::PING if flags & 1 == 0 => {
                            let mut data = [0u8; 8];
                            data.copy_from_slice(&payload);
                            let mut b = Vec::new();
                            Ping::new(data).ack().encode(&mut b);
                            let _ = c.try_send(&b);
                        }
                        FrameType::RST_STREAM if stream == id => {
                            tally.fail(format!("h2 stream {id} reset"), None, false);
                            continue 'connection;
                        }
                        FrameType::DATA => {
                            // Flow control, as every real client does:
                            // give back the connection window we used.
                            if !payload.is_empty() {
                                let mut b = Vec::new();
                                WindowUpdate::new(StreamId::CONNECTION, payload.len() as u32)
                                    .encode(&mut b);
                                let _ = c.try_send(&b);
                            }
                            if stream == id && flags & 1 == 1 {
                                tally.ok.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                id += 2;
            }
        }
    })
}

struct Load {
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
    threads: Vec<JoinHandle<()>>,
}

impl Load {
    fn start(addr: &str, keep_alive: usize, fresh: usize) -> Self {
        Self::start_with_h2(addr, keep_alive, fresh, 0)
    }

    fn start_with_h2(addr: &str, keep_alive: usize, fresh: usize, h2: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Tally::default());
        let mut threads = Vec::new();
        for _ in 0..keep_alive {
            threads.push(keep_alive_client(
                addr.to_string(),
                stop.clone(),
                tally.clone(),
            ));
        }
        for _ in 0..fresh {
            threads.push(fresh_client(addr.to_string(), stop.clone(), tally.clone()));
        }
        for _ in 0..h2 {
            threads.push(h2_client(addr.to_string(), stop.clone(), tally.clone()));
        }
        Self {
            stop,
            tally,
            threads,
        }
    }

    fn ok(&self) -> u64 {
        self.tally.ok.load(Ordering::Relaxed)
    }

    fn finish(self) -> (u64, Vec<Failure>) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().unwrap();
        }
        let ok = self.tally.ok.load(Ordering::Relaxed);
        let failures = self.tally.failures.lock().unwrap().clone();
        (ok, failures)
    }
}

/// Let the load make progress: at least `n` more successful requests.
fn progress(load: &Load, n: u64) {
    let start = load.ok();
    assert!(
        wait_until(Duration::from_secs(20), || load.ok() >= start + n),
        "load stalled at {} requests",
        load.ok()
    );
}

fn new_master_after(log: &str, skip: usize) -> Pid {
    let pid: i32 = log
        .lines()
        .filter_map(|l| l.split("started new master pid ").nth(1))
        .nth(skip)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    Pid::from_raw(pid)
}

#[test]
fn load_through_ten_hups_and_two_usr2_upgrades_loses_no_request() {
    bicorn::sys::set_child_subreaper().unwrap();
    let mut s = Server::start(&support::config(2, "pid = \"bicorn.pid\""));
    s.wait_workers(2, Duration::from_secs(5));
    // HTTP/1.1 keep-alive, HTTP/1.1 fresh connections, and HTTP/2.
    let load = Load::start_with_h2(&s.addr, 2, 2, 2);
    progress(&load, 200);
    let mut master = s.pid;
    let mut hups = 0;
    for upgrade in 0..2 {
        for _ in 0..5 {
            let before = s.log.count("reload complete");
            kill(master, Signal::SIGHUP).unwrap();
            assert!(
                s.log
                    .wait_for_n("reload complete", before + 1, Duration::from_secs(20)),
                "{}",
                s.log.text()
            );
            hups += 1;
            progress(&load, 300);
        }
        kill(master, Signal::SIGUSR2).unwrap();
        assert!(
            s.log.wait_for_n(
                "is ready; this master retires",
                upgrade + 1,
                Duration::from_secs(30)
            ),
            "{}",
            s.log.text()
        );
        let old = master;
        master = new_master_after(&s.log.text(), upgrade);
        s.also_kill.push(master);
        assert!(
            wait_until(Duration::from_secs(20), || support::exited(old)),
            "old master {old} exits"
        );
        if old == s.pid {
            assert_eq!(s.wait_exit(Duration::from_secs(5)), Some(0));
        } else {
            support::reap(old);
        }
        progress(&load, 300);
    }
    let (ok, failures) = load.finish();
    println!(
        "zero-downtime: {hups} HUPs and 2 USR2 upgrades under HTTP/1.1 and HTTP/2 load: {ok} requests ok, {} failed",
        failures.len()
    );
    assert_eq!(failures.len(), 0, "failed requests: {failures:#?}");
    assert!(ok > 1000, "too little load to mean anything: {ok}");
    assert_eq!(s.log.count("reload complete"), 10);
    kill(master, Signal::SIGQUIT).unwrap();
    assert!(wait_until(Duration::from_secs(20), || support::exited(
        master
    )));
    support::reap(master);
}

#[test]
fn load_through_three_worker_sigkills_refuses_no_connection_and_loses_only_the_killed_workers_requests()
 {
    let s = Server::start(&support::config(2, ""));
    s.wait_workers(2, Duration::from_secs(5));
    let load = Load::start(&s.addr, 3, 3);
    progress(&load, 200);
    let mut kills: Vec<(Pid, Instant)> = Vec::new();
    for _ in 0..3 {
        let victim = s.wait_workers(2, Duration::from_secs(10))[0];
        kill(victim, Signal::SIGKILL).unwrap();
        kills.push((victim, Instant::now()));
        assert!(wait_until(Duration::from_secs(10), || support::exited(
            victim
        )));
        s.wait_workers(2, Duration::from_secs(10));
        progress(&load, 200);
    }
    let (ok, failures) = load.finish();
    let refused = failures.iter().filter(|f| f.refused).count();
    // A failure belongs to a killed worker when its connection had been
    // served by that worker, or it is a fresh connection that failed within
    // a second of a kill (accepted by the victim, never answered).
    let on_killed = |f: &Failure| {
        f.prior_pid
            .is_some_and(|p| kills.iter().any(|(k, _)| k.as_raw() == p))
            || (f.prior_pid.is_none()
                && !f.refused
                && kills
                    .iter()
                    .any(|(_, t)| f.at >= *t && f.at.duration_since(*t) < Duration::from_secs(1)))
    };
    let lost_with_victims = failures.iter().filter(|f| on_killed(f)).count();
    let others: Vec<_> = failures.iter().filter(|f| !on_killed(f)).collect();
    println!(
        "worker kills under load: 3 SIGKILLs, {ok} requests ok, {refused} connections refused, \
         {lost_with_victims} requests lost in flight on the killed workers, {} other failures",
        others.len()
    );
    for f in &failures {
        println!(
            "  lost: {} (previous response from pid {:?})",
            f.what, f.prior_pid
        );
    }
    assert_eq!(refused, 0, "{failures:#?}");
    assert!(
        others.is_empty(),
        "failures not explained by a kill: {others:#?}"
    );
    assert!(
        lost_with_victims <= 3 * 6,
        "more losses than requests in flight: {failures:#?}"
    );
}
