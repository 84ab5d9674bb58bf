//! HUP: a valid config starts a new generation and retires the old one; a
//! broken one changes nothing.

mod support;

use std::time::Duration;

use nix::sys::signal::Signal;
use support::{Server, body_generation, body_pid, http, wait_until};

#[test]
fn hup_with_a_changed_worker_count_starts_a_new_generation_with_new_pids() {
    let s = Server::start(&support::config(2, ""));
    let old = s.wait_workers(2, Duration::from_secs(5));
    std::fs::write(&s.config_path, support::config(3, "")).unwrap();
    s.signal(Signal::SIGHUP);
    assert!(
        s.log.wait_for("reload complete", Duration::from_secs(10)),
        "{}",
        s.log.text()
    );
    let new = s.wait_workers(3, Duration::from_secs(10));
    assert!(
        new.iter().all(|p| !old.contains(p)),
        "old {old:?} new {new:?}"
    );
    let r = s.get("/");
    assert_eq!(body_generation(&r.body), Some(2), "{}", r.body);
}

#[test]
fn hup_with_a_broken_config_keeps_the_same_workers_serving_and_logs_the_key() {
    let s = Server::start(&support::config(2, ""));
    let before = s.wait_workers(2, Duration::from_secs(5));
    std::fs::write(
        &s.config_path,
        support::config(2, "").replace("workers = 2", "workers = 0"),
    )
    .unwrap();
    s.signal(Signal::SIGHUP);
    assert!(s.log.wait_for("reload rejected", Duration::from_secs(5)));
    let log = s.log.text();
    let line = log.lines().find(|l| l.contains("reload rejected")).unwrap();
    assert!(line.contains("ERROR"), "{line}");
    assert!(
        line.contains("bicorn.toml:1:") && line.contains("`workers`"),
        "{line}"
    );
    std::thread::sleep(Duration::from_millis(500));
    let after = s.wait_workers(2, Duration::from_secs(1));
    assert_eq!(before, after);
    let r = s.get("/");
    assert_eq!(body_generation(&r.body), Some(1));
    assert!(before.iter().any(|p| Some(p.as_raw()) == body_pid(&r.body)));
}

#[test]
fn hup_adding_a_unix_listener_serves_it_and_removing_it_closes_it() {
    let s = Server::start(&support::config(1, ""));
    s.wait_workers(1, Duration::from_secs(5));
    let sock = s.dir.join("extra.sock");
    let with_unix = format!(
        "{}\n[[listen]]\naddress = \"unix:{}\"\n",
        support::config(1, ""),
        sock.display()
    );
    std::fs::write(&s.config_path, &with_unix).unwrap();
    s.signal(Signal::SIGHUP);
    assert!(
        s.log
            .wait_for_n("reload complete", 1, Duration::from_secs(10))
    );
    let r = http::get_unix(&sock, "/").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(s.get("/").status, 200, "the TCP listener is kept");
    std::fs::write(&s.config_path, support::config(1, "")).unwrap();
    s.signal(Signal::SIGHUP);
    assert!(
        s.log
            .wait_for_n("reload complete", 2, Duration::from_secs(10))
    );
    assert!(
        wait_until(Duration::from_secs(5), || !sock.exists()),
        "socket file removed"
    );
    assert!(http::get_unix(&sock, "/").is_err());
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn hup_with_a_new_listener_on_a_port_in_use_is_rejected_and_changes_nothing() {
    let s = Server::start(&support::config(1, ""));
    let before = s.wait_workers(1, Duration::from_secs(5));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    std::fs::write(
        &s.config_path,
        format!(
            "{}\n[[listen]]\naddress = \"{addr}\"\n",
            support::config(1, "")
        ),
    )
    .unwrap();
    s.signal(Signal::SIGHUP);
    assert!(s.log.wait_for("reload rejected", Duration::from_secs(5)));
    assert!(s.log.text().contains(&format!("cannot listen on {addr}")));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.wait_workers(1, Duration::from_secs(1)), before);
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn hup_into_a_generation_that_cannot_start_rolls_back_and_the_old_one_stays_whole() {
    let config = support::config(2, "").replace("upgrade_timeout = 20", "upgrade_timeout = 3");
    let s = Server::builder(&config)
        .env("BICORN_TEST_FAULT", "crash-after-reload")
        .start();
    let old = s.wait_workers(2, Duration::from_secs(5));
    s.signal(Signal::SIGHUP);
    assert!(
        s.log
            .wait_for("starting generation 2", Duration::from_secs(5))
    );
    // While the reload is pending the old generation alone serves; a worker
    // of it that dies is replaced with the old config.
    nix::sys::signal::kill(old[0], Signal::SIGKILL).unwrap();
    assert!(wait_until(Duration::from_secs(3), || {
        let r = http::get(&s.addr, "/").unwrap();
        body_generation(&r.body) == Some(1) && body_pid(&r.body) != Some(old[0].as_raw())
    }));
    assert!(
        s.log.wait_for("reload abandoned", Duration::from_secs(10)),
        "{}",
        s.log.text()
    );
    // Two HUPs in a row: generations 3 and 4 (numbers are never reused);
    // 3 is retired when 4 starts, 4 is rolled back; generation 1 serves on.
    s.signal(Signal::SIGHUP);
    assert!(
        s.log
            .wait_for("starting generation 3", Duration::from_secs(5)),
        "{}",
        s.log.text()
    );
    s.signal(Signal::SIGHUP);
    assert!(
        s.log
            .wait_for("starting generation 4", Duration::from_secs(5)),
        "{}",
        s.log.text()
    );
    assert!(
        s.log
            .wait_for_n("reload abandoned", 2, Duration::from_secs(10)),
        "{}",
        s.log.text()
    );
    std::thread::sleep(Duration::from_millis(500));
    let workers = s.wait_workers(2, Duration::from_secs(5));
    for _ in 0..20 {
        let r = s.get("/");
        assert_eq!(body_generation(&r.body), Some(1), "{}", r.body);
        assert!(
            workers
                .iter()
                .any(|w| Some(w.as_raw()) == body_pid(&r.body))
        );
    }
    assert!(!s.log.text().contains("graceful stop"));
}
