//! The master keeps its workers: count, crash replacement, heartbeat,
//! backoff, TTIN/TTOU, max_requests recycling, accept spreading.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use support::{Server, body_pid, http, wait_until};

#[test]
fn starts_the_configured_number_of_workers_and_serves() {
    let s = Server::start(&support::config(3, ""));
    let workers = s.wait_workers(3, Duration::from_secs(5));
    let r = s.get("/");
    assert_eq!(r.status, 200);
    let pid = body_pid(&r.body).unwrap();
    assert!(
        workers.iter().any(|w| w.as_raw() == pid),
        "{pid} not in {workers:?}"
    );
}

#[test]
fn a_sigkilled_worker_is_replaced_and_its_replacement_serves_within_a_second() {
    let s = Server::start(&support::config(1, ""));
    let old = s.wait_workers(1, Duration::from_secs(5))[0];
    kill(old, Signal::SIGKILL).unwrap();
    let started = Instant::now();
    let mut served_by = None;
    while started.elapsed() < Duration::from_secs(1) {
        if let Ok(r) = http::get(&s.addr, "/")
            && let Some(pid) = body_pid(&r.body)
            && pid != old.as_raw()
        {
            served_by = Some(pid);
            break;
        }
    }
    assert!(
        served_by.is_some(),
        "no replacement served within 1 s; log:\n{}",
        s.log.text()
    );
    assert!(
        s.log.wait_for("crashed", Duration::from_secs(5)),
        "{}",
        s.log.text()
    );
}

#[test]
fn a_hung_worker_is_killed_after_timeout_and_replaced() {
    let config = support::config(1, "").replace("timeout = 5", "timeout = 2");
    let s = Server::builder(&config)
        .env("BICORN_TEST_FAULT", "hang-on-path")
        .start();
    let old = s.wait_workers(1, Duration::from_secs(5))[0];
    // This request hangs the worker's event loop for good.
    let mut stuck = http::Conn::open(&s.addr).unwrap();
    stuck.send("GET", "/__bicorn_hang", b"").unwrap();
    let hung_at = Instant::now();
    assert!(
        s.log.wait_for(
            &format!("worker pid {old} missed its heartbeat"),
            Duration::from_secs(10)
        ),
        "{}",
        s.log.text()
    );
    let waited = hung_at.elapsed();
    assert!(
        waited >= Duration::from_secs(2),
        "killed before timeout: {waited:?}"
    );
    assert!(wait_until(Duration::from_secs(5), || support::exited(old)));
    let r = s.get("/");
    assert_ne!(body_pid(&r.body), Some(old.as_raw()));
}

#[test]
fn a_worker_crashing_at_start_is_respawned_with_backoff_not_in_a_spin() {
    let s = Server::builder(&support::config(1, ""))
        .env("BICORN_TEST_FAULT", "crash-at-start")
        .no_wait()
        .start();
    std::thread::sleep(Duration::from_secs(3));
    let spawns = s.log.count("spawned worker 0");
    // Backoff 100, 200, 400, 800, 1600 ms: about 5 spawns in 3 s; a spin
    // would be thousands.
    println!("spawns in 3 s with a worker crashing at start: {spawns}");
    assert!(
        (3..=8).contains(&spawns),
        "spawns: {spawns}\n{}",
        s.log.text()
    );
    assert!(s.log.text().contains("died before becoming ready"));
    assert!(s.log.text().contains("WARN"));
}

#[test]
fn ttin_adds_a_worker_and_ttou_removes_one_but_never_the_last() {
    let s = Server::start(&support::config(1, ""));
    s.wait_workers(1, Duration::from_secs(5));
    s.signal(Signal::SIGTTIN);
    s.wait_workers(2, Duration::from_secs(5));
    s.signal(Signal::SIGTTOU);
    s.wait_workers(1, Duration::from_secs(5));
    s.signal(Signal::SIGTTOU);
    assert!(s.log.wait_for("TTOU ignored", Duration::from_secs(5)));
    s.wait_workers(1, Duration::from_secs(2));
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn max_requests_recycles_workers_without_failing_a_request() {
    let s = Server::start(&support::config(2, "max_requests = 20"));
    let mut pids = BTreeMap::<i32, usize>::new();
    for i in 0..200 {
        let r = http::get(&s.addr, "/").unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(r.status, 200);
        *pids.entry(body_pid(&r.body).unwrap()).or_default() += 1;
    }
    println!("requests per worker pid: {pids:?}");
    // 200 requests with a recycle every 18-22: at least 8 distinct workers.
    assert!(pids.len() >= 8, "{pids:?}");
    assert!(pids.values().all(|&n| n <= 22), "{pids:?}");
    assert!(s.log.wait_for("recycling", Duration::from_secs(5)));
}

#[test]
fn accepts_are_spread_across_busy_workers() {
    let s = Server::start(&support::config(2, ""));
    s.wait_workers(2, Duration::from_secs(5));
    // Hold open keep-alive connections from several threads at once; each
    // new connection is accepted by whichever worker epoll wakes.
    let addr = s.addr.clone();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let mut seen = BTreeMap::<i32, usize>::new();
                for _ in 0..50 {
                    let mut c = http::Conn::open(&addr).unwrap();
                    for _ in 0..5 {
                        let r = c.request("GET", "/", b"").unwrap();
                        *seen.entry(body_pid(&r.body).unwrap()).or_default() += 1;
                    }
                }
                seen
            })
        })
        .collect();
    let mut total = BTreeMap::<i32, usize>::new();
    for t in threads {
        for (k, v) in t.join().unwrap() {
            *total.entry(k).or_default() += v;
        }
    }
    println!("accept spread over 2 workers (requests per pid, 400 connections): {total:?}");
    assert_eq!(total.values().sum::<usize>(), 2000);
    assert_eq!(
        total.len(),
        2,
        "both workers must take connections: {total:?}"
    );
}

fn uid_of(pid: nix::unistd::Pid) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|u| u.parse().ok())
        .unwrap()
}

#[test]
fn workers_drop_to_the_configured_user_while_the_master_keeps_root() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIPPED: needs root to switch users");
        return;
    }
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    let s = Server::start(&support::config(2, "user = \"nobody\""));
    let workers = s.wait_workers(2, Duration::from_secs(5));
    assert_eq!(uid_of(s.pid), 0);
    for w in &workers {
        assert_eq!(uid_of(*w), nobody.uid.as_raw(), "worker {w} runs as nobody");
    }
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn quit_kills_a_worker_that_cannot_drain_after_shutdown_timeout() {
    let config = support::config(1, "")
        .replace("shutdown_timeout = 10", "shutdown_timeout = 1")
        .replace("timeout = 5", "timeout = 30");
    let mut s = Server::builder(&config)
        .env("BICORN_TEST_FAULT", "hang-on-path")
        .start();
    let worker = s.wait_workers(1, Duration::from_secs(5))[0];
    let mut stuck = http::Conn::open(&s.addr).unwrap();
    stuck.send("GET", "/__bicorn_hang", b"").unwrap();
    assert!(s.log.wait_for("hanging on purpose", Duration::from_secs(5)));
    s.signal(Signal::SIGQUIT);
    assert_eq!(
        s.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        s.log.text()
    );
    assert!(
        s.log.text().contains(&format!("worker pid {worker} still")),
        "{}",
        s.log.text()
    );
    assert!(support::exited(worker));
}

#[test]
fn pipelined_requests_beyond_the_output_bound_are_all_answered() {
    use std::io::{Read, Write};
    let s = Server::start(&support::config(1, ""));
    let mut stream = std::net::TcpStream::connect(&s.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    const N: usize = 5000;
    let sender = std::thread::spawn(move || {
        let one = b"GET /pipelined HTTP/1.1\r\nhost: t\r\n\r\n";
        let all: Vec<u8> = one.iter().copied().cycle().take(one.len() * N).collect();
        writer.write_all(&all).unwrap();
        writer.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut received = Vec::new();
    stream.read_to_end(&mut received).unwrap();
    sender.join().unwrap();
    let text = String::from_utf8_lossy(&received);
    let answered = text.matches("HTTP/1.1 200 OK").count();
    assert_eq!(answered, N, "answered {answered} of {N} pipelined requests");
}

#[test]
fn a_worker_out_of_file_descriptors_pauses_accepting_instead_of_spinning() {
    let s = Server::builder(&support::config(1, ""))
        .ulimit_nofile(32)
        .start();
    let held: Vec<_> = (0..60)
        .filter_map(|_| std::net::TcpStream::connect(&s.addr).ok())
        .collect();
    assert!(
        s.log.wait_for("pausing accepts", Duration::from_secs(5)),
        "{}",
        s.log.text()
    );
    std::thread::sleep(Duration::from_secs(2));
    let errors = s.log.count("accept: ");
    println!("accept error lines in 2 s while out of descriptors: {errors}");
    assert!(errors <= 4, "log flooded: {errors} lines");
    drop(held);
    assert!(wait_until(Duration::from_secs(10), || http::get(
        &s.addr, "/"
    )
    .is_ok_and(|r| r.status == 200)));
}
