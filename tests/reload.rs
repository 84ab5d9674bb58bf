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
