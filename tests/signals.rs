//! Signals an operator sends: QUIT drains, TERM is fast, USR1 reopens the
//! log, WINCH stops the workers until a HUP.

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use support::{Server, http, wait_until};

#[test]
fn quit_lets_a_slow_in_flight_request_finish_then_exits_zero() {
    let mut s = Server::start(&support::config(1, ""));
    let workers = s.wait_workers(1, Duration::from_secs(5));
    let mut c = http::Conn::open(&s.addr).unwrap();
    // A 10-byte upload, only half sent: the request is in flight.
    c.stream()
        .write_all(b"POST /upload HTTP/1.1\r\nhost: t\r\ncontent-length: 10\r\n\r\nhello")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    s.signal(Signal::SIGQUIT);
    assert!(s.log.wait_for("graceful stop", Duration::from_secs(5)));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !support::exited(s.pid),
        "master left before the request finished"
    );
    assert!(
        !support::exited(workers[0]),
        "worker left before the request finished"
    );
    c.stream().write_all(b"world").unwrap();
    let r = c.read_response().unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.contains("received=10"), "{}", r.body);
    assert!(
        r.closes(),
        "a draining worker answers with connection: close"
    );
    assert_eq!(
        s.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        s.log.text()
    );
    assert!(support::exited(workers[0]));
}

#[test]
fn quit_with_no_traffic_exits_promptly() {
    let mut s = Server::start(&support::config(2, ""));
    s.wait_workers(2, Duration::from_secs(5));
    s.signal(Signal::SIGQUIT);
    assert_eq!(s.wait_exit(Duration::from_secs(5)), Some(0));
}

#[test]
fn term_exits_fast_even_with_a_request_in_flight() {
    let mut s = Server::start(&support::config(2, ""));
    let workers = s.wait_workers(2, Duration::from_secs(5));
    let mut c = http::Conn::open(&s.addr).unwrap();
    c.stream()
        .write_all(b"POST / HTTP/1.1\r\nhost: t\r\ncontent-length: 100\r\n\r\nx")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    s.signal(Signal::SIGTERM);
    assert_eq!(s.wait_exit(Duration::from_secs(5)), Some(0));
    println!("TERM to exit: {:?}", t.elapsed());
    assert!(t.elapsed() < Duration::from_secs(3));
    assert!(wait_until(Duration::from_secs(2), || workers
        .iter()
        .all(|w| support::exited(*w))));
}

#[test]
fn int_stops_like_term() {
    let mut s = Server::start(&support::config(1, ""));
    s.wait_workers(1, Duration::from_secs(5));
    s.signal(Signal::SIGINT);
    assert_eq!(s.wait_exit(Duration::from_secs(5)), Some(0));
    assert!(s.log.text().contains("fast stop"));
}

#[test]
fn usr1_reopens_a_log_file_renamed_by_logrotate() {
    let dir = support::TempDir::new("usr1");
    let log_path = dir.join("bicorn.log");
    let config = support::config(1, "").replace(
        "[log]\nlevel = \"info\"",
        "[log]\nlevel = \"debug\"\nfile = \"bicorn.log\"",
    );
    let s = Server::builder(&config).dir(dir).no_wait().start();
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap_or_default();
    assert!(wait_until(Duration::from_secs(10), || read(&log_path)
        .contains("master ready")));
    let addr = read(&log_path)
        .lines()
        .find(|l| l.contains("master starting"))
        .and_then(|l| l.split("listening on ").nth(1))
        .unwrap()
        .to_string();
    let rotated = log_path.with_extension("log.1");
    std::fs::rename(&log_path, &rotated).unwrap();
    s.signal(Signal::SIGUSR1);
    assert!(wait_until(Duration::from_secs(5), || read(&log_path)
        .contains("USR1: reopened")));
    // A worker line after the reopen lands in the new file too: a bad
    // request is logged by the worker at debug.
    let mut c = http::Conn::open(&addr).unwrap();
    c.stream().write_all(b"NOT HTTP\r\n\r\n").unwrap();
    let _ = c.read_response();
    assert!(
        wait_until(Duration::from_secs(5), || read(&log_path)
            .contains("bad request")),
        "new file:\n{}\nold file:\n{}",
        read(&log_path),
        read(&rotated)
    );
    assert!(!read(&rotated).contains("bad request"));
}

#[test]
fn winch_stops_all_workers_and_hup_starts_them_again() {
    let s = Server::start(&support::config(2, ""));
    let before = s.wait_workers(2, Duration::from_secs(5));
    s.signal(Signal::SIGWINCH);
    s.wait_workers(0, Duration::from_secs(10));
    assert!(!support::exited(s.pid));
    s.signal(Signal::SIGHUP);
    let after = s.wait_workers(2, Duration::from_secs(10));
    assert!(after.iter().all(|p| !before.contains(p)));
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn a_signal_racing_a_fork_reaches_the_new_worker_not_the_master() {
    // TTIN forks a worker; WINCH right behind it QUITs every worker,
    // including one that may not yet have its own signal pipe.
    let s = Server::start(&support::config(1, ""));
    s.wait_workers(1, Duration::from_secs(5));
    for round in 0..10 {
        s.signal(Signal::SIGTTIN);
        s.signal(Signal::SIGWINCH);
        assert!(
            wait_until(Duration::from_secs(10), || s.workers().is_empty()),
            "round {round}: workers left: {:?}\n{}",
            s.workers(),
            s.log.text()
        );
        s.signal(Signal::SIGHUP);
        assert!(
            s.log
                .wait_for_n("reload complete", round + 1, Duration::from_secs(10)),
            "{}",
            s.log.text()
        );
    }
    assert!(!support::exited(s.pid));
    assert!(!s.log.text().contains("graceful stop"), "{}", s.log.text());
    assert_eq!(s.get("/").status, 200);
}
