//! The control socket and the `bicorn status|reload|upgrade|stop` client,
//! as an operator uses them: the real binary, a temporary config with
//! `control = "control.sock"`, and the client run as a separate process.

#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use support::{Server, TempDir, wait_until};

const CONTROL: &str = "control = \"control.sock\"";

fn start(workers: usize) -> Server {
    Server::start(&support::config(workers, CONTROL))
}

fn socket(s: &Server) -> PathBuf {
    s.dir.join("control.sock")
}

/// Run `bicorn ARGS`: (exit code, stdout, stderr).
fn bicorn(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(support::BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `bicorn status --json` against `sock`, parsed.
fn status(sock: &Path) -> Value {
    let (code, out, err) = bicorn(&["status", "--json", "--control", sock.to_str().unwrap()]);
    assert_eq!(code, 0, "status failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn workers(doc: &Value) -> &Vec<Value> {
    doc["workers"].as_array().unwrap()
}

fn pids(doc: &Value) -> Vec<i32> {
    let mut p: Vec<i32> = workers(doc)
        .iter()
        .map(|w| w["pid"].as_i64().unwrap() as i32)
        .collect();
    p.sort_unstable();
    p
}

fn sorted(mut pids: Vec<Pid>) -> Vec<i32> {
    let mut p: Vec<i32> = pids.drain(..).map(Pid::as_raw).collect();
    p.sort_unstable();
    p
}

#[test]
fn status_json_after_start_shows_the_master_and_every_ready_worker() {
    let s = start(2);
    let live = s.wait_workers(2, Duration::from_secs(5));
    let mut doc = status(&socket(&s));
    assert!(wait_until(Duration::from_secs(5), || {
        doc = status(&socket(&s));
        workers(&doc).iter().all(|w| w["state"] == "ready")
    }));
    let m = &doc["master"];
    assert_eq!(m["pid"].as_i64(), Some(i64::from(s.pid.as_raw())));
    assert_eq!(m["generation"], 1);
    assert_eq!(m["workers_target"], 2);
    assert_eq!(m["state"], "running");
    assert!(m["uptime_s"].as_f64().unwrap() >= 0.0);
    assert_eq!(m["last_reload"], Value::Null);
    assert_eq!(pids(&doc), sorted(live));
    for w in workers(&doc) {
        assert_eq!(w["generation"], 1);
        assert_eq!(w["restarts"], 0);
        assert_eq!(w["last_exit"], Value::Null);
        for key in [
            "slot",
            "age_s",
            "heartbeat_age_s",
            "requests",
            "connections",
            "streams",
        ] {
            assert!(w[key].is_number(), "{key} in {w}");
        }
    }
}

#[test]
fn status_table_names_the_master_and_one_row_per_worker() {
    let s = start(2);
    s.wait_workers(2, Duration::from_secs(5));
    let config = s.config_path.to_str().unwrap().to_string();
    let (code, out, err) = bicorn(&["status", "-c", &config]);
    assert_eq!(code, 0, "{err}");
    let first = out.lines().next().unwrap();
    assert!(first.starts_with(&format!("master pid {}", s.pid)), "{out}");
    let header = out.lines().find(|l| l.starts_with("SLOT")).unwrap();
    for column in [
        "PID",
        "GEN",
        "STATE",
        "AGE",
        "HEARTBEAT",
        "REQUESTS",
        "CONNS",
        "STREAMS",
        "RESTARTS",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let rows = out.lines().skip_while(|l| !l.starts_with("SLOT")).skip(1);
    assert_eq!(rows.count(), 2, "{out}");
}

#[test]
fn status_after_hup_shows_the_next_generation_and_old_workers_draining_or_gone() {
    let s = start(2);
    let old = sorted(s.wait_workers(2, Duration::from_secs(5)));
    std::fs::write(&s.config_path, support::config(3, CONTROL)).unwrap();
    s.signal(Signal::SIGHUP);
    assert!(
        s.log.wait_for("reload complete", Duration::from_secs(10)),
        "{}",
        s.log.text()
    );
    let doc = status(&socket(&s));
    assert_eq!(doc["master"]["generation"], 2, "{doc:#}");
    assert_eq!(doc["master"]["workers_target"], 3);
    assert_eq!(doc["master"]["reloads"]["completed"], 1);
    assert_eq!(doc["master"]["last_reload"]["ok"], true);
    let current = workers(&doc)
        .iter()
        .filter(|w| w["generation"] == 2)
        .count();
    assert_eq!(current, 3, "{doc:#}");
    for w in workers(&doc).iter().filter(|w| w["generation"] == 1) {
        assert_eq!(w["state"], "draining", "{w}");
        assert!(old.contains(&(w["pid"].as_i64().unwrap() as i32)));
    }
}

#[test]
fn status_after_usr2_is_answered_by_the_new_master_on_the_same_socket() {
    bicorn::sys::set_child_subreaper().unwrap();
    let dir = TempDir::new("control-usr2");
    let bin = dir.join("bicorn");
    std::fs::copy(support::BIN, &bin).unwrap();
    let mut s = Server::builder(&support::config(1, CONTROL))
        .bin(bin)
        .dir(dir)
        .start();
    s.wait_workers(1, Duration::from_secs(5));
    let sock = socket(&s);
    let (code, out, err) = bicorn(&["upgrade", "--control", sock.to_str().unwrap()]);
    assert_eq!(code, 0, "upgrade failed: {out}{err}\n{}", s.log.text());
    assert!(out.contains("upgrade complete: new master pid"), "{out}");
    let new_master: i32 = out
        .split("new master pid ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    s.also_kill.push(Pid::from_raw(new_master));
    assert_eq!(s.wait_exit(Duration::from_secs(15)), Some(0));
    assert!(
        sock.exists(),
        "the old master leaves the socket to the new one"
    );
    let doc = status(&sock);
    assert_eq!(doc["master"]["pid"].as_i64(), Some(i64::from(new_master)));
    assert_eq!(
        pids(&doc),
        sorted(support::children(Pid::from_raw(new_master)))
    );
    // The new master owns the socket: a stop through it removes the file.
    let (code, _, err) = bicorn(&["stop", "--control", sock.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(wait_until(Duration::from_secs(10), || support::exited(
        Pid::from_raw(new_master)
    )));
    support::reap(Pid::from_raw(new_master));
    assert!(!sock.exists());
}

#[test]
fn sigkilled_worker_is_counted_as_a_restart_with_its_signal() {
    let s = start(1);
    let [victim] = s.wait_workers(1, Duration::from_secs(5))[..] else {
        unreachable!()
    };
    kill(victim, Signal::SIGKILL).unwrap();
    let mut doc = Value::Null;
    let replaced = wait_until(Duration::from_secs(10), || {
        doc = status(&socket(&s));
        workers(&doc).len() == 1 && workers(&doc)[0]["pid"] != victim.as_raw()
    });
    assert!(replaced, "{doc:#}\n{}", s.log.text());
    let w = &workers(&doc)[0];
    assert_eq!(w["restarts"], 1, "{w}");
    assert_eq!(w["last_exit"], "signal 9 (SIGKILL)", "{w}");
    assert_eq!(w["position"], 0);
}

#[test]
fn reload_with_a_broken_config_exits_nonzero_naming_file_line_and_key_and_keeps_serving() {
    let s = start(2);
    let before = sorted(s.wait_workers(2, Duration::from_secs(5)));
    std::fs::write(
        &s.config_path,
        support::config(2, CONTROL).replace("workers = 2", "workers = 0"),
    )
    .unwrap();
    let config = s.config_path.to_str().unwrap().to_string();
    let (code, out, err) = bicorn(&["reload", "-c", &config]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("reload rejected")
            && err.contains("bicorn.toml:1:")
            && err.contains("`workers`"),
        "{err}"
    );
    assert_eq!(s.get("/").status, 200);
    assert_eq!(sorted(s.workers()), before);
    let doc = status(&socket(&s));
    assert_eq!(doc["master"]["generation"], 1);
    assert_eq!(doc["master"]["reloads"]["rejected"], 1);
    let last = &doc["master"]["last_reload"];
    assert_eq!(last["ok"], false);
    assert!(
        last["message"].as_str().unwrap().contains("`workers`"),
        "{last}"
    );
}

#[test]
fn reload_with_a_good_config_exits_zero_once_the_new_generation_serves() {
    let s = start(1);
    s.wait_workers(1, Duration::from_secs(5));
    std::fs::write(&s.config_path, support::config(2, CONTROL)).unwrap();
    let config = s.config_path.to_str().unwrap().to_string();
    let (code, out, err) = bicorn(&["reload", "-c", &config]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("reload complete: generation 2 serving"),
        "{out}"
    );
    // Answered only once decided: the new generation is already serving.
    assert_eq!(support::body_generation(&s.get("/").body), Some(2));
}

#[test]
fn reload_into_a_generation_that_cannot_start_exits_nonzero_after_the_rollback() {
    let config = support::config(1, CONTROL).replace("upgrade_timeout = 20", "upgrade_timeout = 2");
    let s = Server::builder(&config)
        .env("BICORN_TEST_FAULT", "crash-after-reload")
        .start();
    s.wait_workers(1, Duration::from_secs(5));
    let sock = socket(&s);
    let (code, out, err) = bicorn(&["reload", "--control", sock.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("reload abandoned: generation 2 not ready within upgrade_timeout"),
        "{err}"
    );
    let doc = status(&sock);
    assert_eq!(doc["master"]["generation"], 1);
    assert_eq!(doc["master"]["reloads"]["rolled_back"], 1);
    assert_eq!(support::body_generation(&s.get("/").body), Some(1));
}

#[test]
fn upgrade_to_a_binary_that_cannot_start_exits_nonzero_and_the_old_master_answers_on() {
    bicorn::sys::set_child_subreaper().unwrap();
    let dir = TempDir::new("control-usr2-broken");
    let bin = dir.join("bicorn");
    std::fs::copy(support::BIN, &bin).unwrap();
    let s = Server::builder(&support::config(1, CONTROL))
        .bin(bin.clone())
        .dir(dir)
        .start();
    s.wait_workers(1, Duration::from_secs(5));
    let tmp = bin.with_extension("new");
    std::fs::write(&tmp, "#!/bin/sh\necho 'broken build' >&2; exit 1\n").unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::rename(&tmp, &bin).unwrap();
    let sock = socket(&s);
    let (code, out, err) = bicorn(&["upgrade", "--control", sock.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("upgrade failed") && err.contains("exited"),
        "{err}"
    );
    let doc = status(&sock);
    assert_eq!(
        doc["master"]["pid"].as_i64(),
        Some(i64::from(s.pid.as_raw()))
    );
    assert_eq!(doc["master"]["upgrades"]["failed"], 1);
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn add_worker_and_remove_worker_change_the_count_like_ttin_and_ttou() {
    let s = start(1);
    s.wait_workers(1, Duration::from_secs(5));
    let sock = socket(&s);
    let sock = sock.to_str().unwrap();
    let (code, out, _) = bicorn(&["add-worker", "--control", sock]);
    assert_eq!(
        (code, out.trim()),
        (0, "bicorn: add-worker: worker count now 2")
    );
    s.wait_workers(2, Duration::from_secs(5));
    let (code, _, _) = bicorn(&["remove-worker", "--control", sock]);
    assert_eq!(code, 0);
    s.wait_workers(1, Duration::from_secs(10));
    let (code, _, err) = bicorn(&["remove-worker", "--control", sock]);
    assert_eq!(code, 1);
    assert!(err.contains("already at 1 worker"), "{err}");
}

#[test]
fn stop_exits_zero_and_the_master_drains_exits_and_removes_the_socket() {
    let mut s = start(2);
    s.wait_workers(2, Duration::from_secs(5));
    let sock = socket(&s);
    let (code, out, err) = bicorn(&["stop", "--control", sock.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("stopping"), "{out}");
    assert_eq!(s.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(!sock.exists());
}

#[test]
fn control_socket_is_mode_0600() {
    let s = start(1);
    let mode = std::fs::metadata(socket(&s)).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

#[test]
fn client_without_a_running_master_exits_nonzero_saying_so() {
    let dir = TempDir::new("control-none");
    let sock = dir.join("control.sock");
    let (code, _, err) = bicorn(&["status", "--control", sock.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot connect to control socket"), "{err}");
}

#[test]
fn client_with_a_config_without_control_says_to_set_it_or_pass_the_path() {
    let dir = TempDir::new("control-unset");
    let config = dir.join("bicorn.toml");
    std::fs::write(&config, support::config(1, "")).unwrap();
    let (code, _, err) = bicorn(&["reload", "-c", config.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no `control` socket is configured (or pass --control PATH)"),
        "{err}"
    );
}

#[test]
fn peer_running_as_another_user_is_refused() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIPPED: needs root to run the client as nobody");
        return;
    }
    if !support::tool("setpriv") {
        return;
    }
    let s = start(1);
    s.wait_workers(1, Duration::from_secs(5));
    let sock = socket(&s);
    let as_nobody = || {
        let out = Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .arg(support::BIN)
            .args(["status", "--control", sock.to_str().unwrap()])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Mode 0600 keeps other users from connecting at all.
    let (code, err) = as_nobody();
    assert_eq!(code, Some(1));
    assert!(err.contains("Permission denied"), "{err}");
    // Even with the file opened up, the master checks the peer's uid.
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o666)).unwrap();
    let (code, err) = as_nobody();
    assert_eq!(code, Some(1));
    assert!(
        err.contains("permission denied: uid 65534 may not control this master"),
        "{err}"
    );
    assert!(s.log.wait_for(
        "refused a client running as uid 65534",
        Duration::from_secs(2)
    ));
}

#[test]
fn status_watch_prints_a_table_every_second() {
    let s = start(1);
    s.wait_workers(1, Duration::from_secs(5));
    let out_path = s.dir.join("watch.out");
    let mut watch = Command::new(support::BIN)
        .args(["status", "--watch", "--control"])
        .arg(socket(&s))
        .stdout(std::fs::File::create(&out_path).unwrap())
        .spawn()
        .unwrap();
    let two = wait_until(Duration::from_secs(3), || {
        std::fs::read_to_string(&out_path)
            .unwrap_or_default()
            .matches("master pid")
            .count()
            >= 2
    });
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(two, "{}", std::fs::read_to_string(&out_path).unwrap());
}

#[test]
fn control_socket_survives_hup_and_follows_a_changed_path() {
    use std::os::unix::fs::MetadataExt;
    let s = start(1);
    s.wait_workers(1, Duration::from_secs(5));
    let sock = socket(&s);
    let inode = std::fs::metadata(&sock).unwrap().ino();
    let config = s.config_path.to_str().unwrap().to_string();
    let (code, _, err) = bicorn(&["reload", "-c", &config]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::metadata(&sock).unwrap().ino(),
        inode,
        "the same socket, not re-created"
    );
    std::fs::write(
        &s.config_path,
        support::config(1, "control = \"other.sock\""),
    )
    .unwrap();
    // The config now names the new path: reach the master at the old one.
    let (code, out, err) = bicorn(&["reload", "--control", sock.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("generation 3 serving"), "{out}");
    assert!(!sock.exists(), "the old socket file is removed");
    let doc = status(&s.dir.join("other.sock"));
    assert_eq!(doc["master"]["generation"], 3);
}

#[test]
fn status_shows_a_position_held_back_by_crash_loop_backoff() {
    let s = Server::builder(&support::config(1, CONTROL))
        .env("BICORN_TEST_FAULT", "crash-at-start")
        .no_wait()
        .start();
    let sock = socket(&s);
    let mut doc = Value::Null;
    assert!(
        wait_until(Duration::from_secs(10), || {
            if !sock.exists() {
                return false;
            }
            doc = status(&sock);
            doc["master"]["backoff"]
                .as_array()
                .is_some_and(|b| b.first().is_some_and(|p| p["failures"].as_u64() >= Some(2)))
        }),
        "{doc:#}\n{}",
        s.log.text()
    );
    let b = &doc["master"]["backoff"][0];
    assert_eq!(b["position"], 0);
    let (code, out, _) = bicorn(&["status", "--control", sock.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("backoff: position 0 failed"), "{out}");
}
