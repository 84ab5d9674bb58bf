//! USR2: the binary on disk replaces the running master with no downtime,
//! and a new binary that cannot start leaves the old one serving.
//!
//! Each test runs a private copy of the binary so it can replace it the way
//! a deploy does (write a new file, rename it over the old path). The test
//! process is a child subreaper: the new master, orphaned when the old one
//! exits, becomes its child and is reaped by it.

#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::Signal;
use nix::unistd::Pid;
use support::{Server, TempDir, body_pid, wait_until};

fn private_binary(dir: &TempDir) -> PathBuf {
    let bin = dir.join("bicorn");
    std::fs::copy(support::BIN, &bin).unwrap();
    bin
}

/// Replace `bin` with a shell script, as a broken deploy would.
fn deploy_script(bin: &Path, script: &str) {
    let tmp = bin.with_extension("new");
    std::fs::write(&tmp, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::rename(&tmp, bin).unwrap();
}

fn new_master_pid(log: &str) -> Option<Pid> {
    log.lines()
        .rev()
        .find_map(|l| l.split("started new master pid ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .map(Pid::from_raw)
}

fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[test]
fn usr2_replaces_the_master_moves_the_pid_file_and_keeps_serving() {
    bicorn::sys::set_child_subreaper().unwrap();
    let dir = TempDir::new("usr2");
    let bin = private_binary(&dir);
    let mut s = Server::builder(&support::config(2, "pid = \"bicorn.pid\""))
        .bin(bin)
        .dir(dir)
        .start();
    let pidfile = s.dir.join("bicorn.pid");
    let old_master = s.pid;
    let old_workers = s.wait_workers(2, Duration::from_secs(5));
    assert_eq!(read_pid(&pidfile), Some(old_master.as_raw()));
    s.signal(Signal::SIGUSR2);
    assert!(
        s.log
            .wait_for("is ready; this master retires", Duration::from_secs(20)),
        "{}",
        s.log.text()
    );
    let new_master = new_master_pid(&s.log.text()).unwrap();
    s.also_kill.push(new_master);
    assert_eq!(
        s.wait_exit(Duration::from_secs(10)),
        Some(0),
        "old master exits 0"
    );
    assert!(
        old_workers
            .iter()
            .all(|w| wait_until(Duration::from_secs(5), || support::exited(*w)))
    );
    assert_eq!(
        read_pid(&pidfile),
        Some(new_master.as_raw()),
        "pid file names the new master"
    );
    assert!(!s.dir.join("bicorn.pid.oldbin").exists());
    let new_workers = support::children(new_master);
    assert_eq!(new_workers.len(), 2);
    let r = s.get("/");
    assert!(
        new_workers
            .iter()
            .any(|w| Some(w.as_raw()) == body_pid(&r.body)),
        "{}",
        r.body
    );
    // The new master is a full master: it stops on QUIT and removes its pid file.
    nix::sys::signal::kill(new_master, Signal::SIGQUIT).unwrap();
    assert!(wait_until(Duration::from_secs(10), || support::exited(
        new_master
    )));
    support::reap(new_master);
    assert!(!pidfile.exists());
}

#[test]
fn usr2_with_a_binary_that_cannot_start_keeps_the_old_master_and_restores_the_pid_file() {
    bicorn::sys::set_child_subreaper().unwrap();
    let dir = TempDir::new("usr2-broken");
    let bin = private_binary(&dir);
    let s = Server::builder(&support::config(2, "pid = \"bicorn.pid\""))
        .bin(bin.clone())
        .dir(dir)
        .start();
    let pidfile = s.dir.join("bicorn.pid");
    let workers = s.wait_workers(2, Duration::from_secs(5));
    deploy_script(&bin, "echo 'broken build' >&2; exit 1");
    s.signal(Signal::SIGUSR2);
    assert!(
        s.log.wait_for("upgrade failed", Duration::from_secs(10)),
        "{}",
        s.log.text()
    );
    let line = s
        .log
        .text()
        .lines()
        .find(|l| l.contains("upgrade failed"))
        .unwrap()
        .to_string();
    assert!(line.contains("exited"), "{line}");
    assert_eq!(read_pid(&pidfile), Some(s.pid.as_raw()));
    assert!(!s.dir.join("bicorn.pid.oldbin").exists());
    assert_eq!(s.wait_workers(2, Duration::from_secs(1)), workers);
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn usr2_with_a_new_master_that_never_becomes_ready_is_abandoned_after_upgrade_timeout() {
    bicorn::sys::set_child_subreaper().unwrap();
    let dir = TempDir::new("usr2-hang");
    let bin = private_binary(&dir);
    let config = support::config(1, "pid = \"bicorn.pid\"")
        .replace("upgrade_timeout = 20", "upgrade_timeout = 2");
    let s = Server::builder(&config).bin(bin.clone()).dir(dir).start();
    let pidfile = s.dir.join("bicorn.pid");
    deploy_script(&bin, "exec sleep 60");
    s.signal(Signal::SIGUSR2);
    assert!(s.log.wait_for("started new master", Duration::from_secs(5)));
    let child = new_master_pid(&s.log.text()).unwrap();
    assert!(wait_until(Duration::from_secs(3), || s
        .dir
        .join("bicorn.pid.oldbin")
        .exists()
        || read_pid(&pidfile).is_none()));
    // A second USR2 while one is in progress is refused.
    s.signal(Signal::SIGUSR2);
    assert!(
        s.log.wait_for("USR2 ignored", Duration::from_secs(5)),
        "{}",
        s.log.text()
    );
    assert!(
        s.log
            .wait_for("not ready within upgrade_timeout", Duration::from_secs(10)),
        "{}",
        s.log.text()
    );
    assert!(
        wait_until(Duration::from_secs(10), || support::exited(child)),
        "the stuck new master is killed"
    );
    assert_eq!(read_pid(&pidfile), Some(s.pid.as_raw()));
    assert_eq!(s.get("/").status, 200);
}
