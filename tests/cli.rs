//! The command line: `-t`, `--version`, and refusing to start on bad input
//! with one clear line and nothing half-started.

#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;
use std::time::Duration;

use support::{BIN, Server, TempDir};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_check_accepts_a_good_config_and_exits_zero() {
    let dir = TempDir::new("cli");
    let path = dir.join("good.toml");
    std::fs::write(&path, support::config(2, "")).unwrap();
    let (code, out, _) = run(&["-t", "-c", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("is valid"), "{out}");
}

#[test]
fn config_check_rejects_a_broken_config_naming_file_line_and_key() {
    let dir = TempDir::new("cli");
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "workers = 2\nwrokers = 3\n[[listen]]\naddress = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&["-t", "-c", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("bad.toml:2:"), "{err}");
    assert!(err.contains("wrokers"), "{err}");
}

#[test]
fn shipped_default_config_passes_the_check() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/conf/bicorn.toml");
    let (code, out, err) = run(&["-t", "-c", path]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn version_flag_prints_the_version() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.contains(env!("CARGO_PKG_VERSION")), "{out}");
}

#[test]
fn start_with_a_wrong_type_exits_nonzero_naming_key_and_line() {
    let mut s = Server::builder("workers = \"lots\"\n[[listen]]\naddress = \"127.0.0.1:0\"\n")
        .no_wait()
        .start();
    let code = s.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(1));
    let log = s.log.text();
    assert!(log.contains("bicorn.toml:1:"), "{log}");
    assert!(log.contains("`workers`"), "{log}");
    assert_eq!(log.lines().count(), 1, "one clear line: {log}");
}

#[test]
fn start_with_an_unreadable_config_exits_nonzero() {
    let (code, _, err) = run(&["-c", "/nonexistent/bicorn.toml"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/bicorn.toml"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn start_with_a_port_in_use_exits_nonzero_and_forks_no_worker() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let config = format!("workers = 2\npid = \"bicorn.pid\"\n[[listen]]\naddress = \"{addr}\"\n");
    let mut s = Server::builder(&config).no_wait().start();
    let code = s.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(1));
    let log = s.log.text();
    assert!(log.contains(&format!("cannot listen on {addr}")), "{log}");
    assert_eq!(log.lines().count(), 1, "one clear line: {log}");
    assert!(
        !s.dir.join("bicorn.pid").exists(),
        "no pid file left behind"
    );
}

#[test]
fn start_with_a_missing_user_exits_nonzero_naming_the_key() {
    let mut s =
        Server::builder("user = \"no-such-user-bicorn\"\n[[listen]]\naddress = \"127.0.0.1:0\"\n")
            .no_wait()
            .start();
    assert_eq!(s.wait_exit(Duration::from_secs(10)), Some(1));
    let log = s.log.text();
    assert!(
        log.contains("`user`") && log.contains("no-such-user-bicorn"),
        "{log}"
    );
    assert_eq!(log.lines().count(), 1, "one clear line: {log}");
}
