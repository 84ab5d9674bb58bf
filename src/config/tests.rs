//! Unit tests for `Config` loading: one story per key and per mistake.
//! Errors are checked as the operator sees them (the `Display` line) or
//! through the accessors; files live in a fresh directory under
//! `std::env::temp_dir()`. Listener and TLS stories are in
//! `tests/listen.rs`, route stories in `tests/route.rs`, access log
//! stories in `tests/access_log.rs`; all share the helpers here.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::{Config, ConfigError, ErrorKind, ListenAddress, Tls};

mod access_log;
mod listen;
mod route;

const FILE: &str = "conf/bicorn.toml";
const LISTEN: &str = "[[listen]]\naddress = \"127.0.0.1:8080\"\n";
const CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cert.pem");
const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/key.pem");

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new(FILE), text)
}

fn error(text: &str) -> ConfigError {
    parse(text).expect_err("config is rejected")
}

/// A directory of its own under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bicorn-config-{}-{n}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn tcp(addr: &str) -> ListenAddress {
    ListenAddress::Tcp(addr.parse::<SocketAddr>().unwrap())
}

fn tls_listen(cert: &str, key: &str) -> String {
    format!(
        "[[listen]]\naddress = \"127.0.0.1:8443\"\ntls = {{ cert = \"{cert}\", key = \"{key}\" }}\n"
    )
}

#[test]
fn minimal_config_takes_every_default() {
    let config = parse(LISTEN).unwrap();
    assert_eq!(config.source, PathBuf::from(FILE));
    assert_eq!(config.workers, 2);
    assert_eq!(config.listeners.len(), 1);
    let listen = &config.listeners[0];
    assert_eq!(listen.address, tcp("127.0.0.1:8080"));
    assert_eq!(listen.backlog, 1024);
    assert_eq!(listen.name, None);
    assert_eq!(listen.tls, None);
    assert_eq!(config.timeout, Duration::from_secs(30));
    assert_eq!(config.shutdown_timeout, Duration::from_secs(30));
    assert_eq!(config.upgrade_timeout, Duration::from_secs(60));
    assert_eq!(config.user, None);
    assert_eq!(config.group, None);
    assert_eq!(config.pid, None);
    assert_eq!(config.max_requests, 0);
    assert_eq!(config.log.level, log::LevelFilter::Info);
    assert_eq!(config.log.file, None);
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(config.state_dir, cwd.join("conf/state"));
}

#[test]
fn every_key_round_trips() {
    let text = format!(
        r#"
workers = 7
timeout = 5
shutdown_timeout = 2.5
upgrade_timeout = 120
user = "root"
group = "root"
pid = "/run/bicorn.pid"
max_requests = 10000
state_dir = "/var/lib/bicorn"

[[listen]]
address = "[::]:8080"
backlog = 16
name = "http"

[[listen]]
address = "unix:/run/bicorn.sock"

[[listen]]
address = "0.0.0.0:8443"
name = "https"
tls = {{ cert = "{CERT}", key = "{KEY}" }}

[log]
level = "debug"
file = "/var/log/bicorn.log"
"#
    );
    let config = parse(&text).unwrap();
    assert_eq!(config.workers, 7);
    assert_eq!(config.timeout, Duration::from_secs(5));
    assert_eq!(config.shutdown_timeout, Duration::from_millis(2500));
    assert_eq!(config.upgrade_timeout, Duration::from_secs(120));
    let user = config.user.unwrap();
    assert_eq!((user.name.as_str(), user.uid, user.gid), ("root", 0, 0));
    let group = config.group.unwrap();
    assert_eq!((group.name.as_str(), group.gid), ("root", 0));
    assert_eq!(config.pid, Some(PathBuf::from("/run/bicorn.pid")));
    assert_eq!(config.max_requests, 10_000);
    assert_eq!(config.state_dir, PathBuf::from("/var/lib/bicorn"));
    let [http, unix, https] = &config.listeners[..] else {
        panic!("three listeners, got {:?}", config.listeners);
    };
    assert_eq!(http.address, tcp("[::]:8080"));
    assert_eq!(http.backlog, 16);
    assert_eq!(http.name.as_deref(), Some("http"));
    assert_eq!(unix.address, ListenAddress::Unix("/run/bicorn.sock".into()));
    assert_eq!(unix.name, None);
    let Some(Tls::Certs(certs)) = &https.tls else {
        panic!("certificate files, got {:?}", https.tls);
    };
    let [pair] = &certs[..] else {
        panic!("one certificate, got {certs:?}");
    };
    assert_eq!(
        (pair.cert.as_path(), pair.key.as_path()),
        (Path::new(CERT), Path::new(KEY))
    );
    assert_eq!(config.log.level, log::LevelFilter::Debug);
    assert_eq!(config.log.file, Some(PathBuf::from("/var/log/bicorn.log")));
}

#[test]
fn unknown_top_level_key_is_rejected_by_name_with_line() {
    let err = error(&format!("# comment\n\nwrokers = 3\n{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:3:1: `wrokers`: unknown key (expected one of workers, listen, \
         timeout, shutdown_timeout, upgrade_timeout, user, group, pid, max_requests, \
         state_dir, control, route, http, app, log, access_log)"
    );
    assert_eq!(err.kind(), ErrorKind::UnknownKey);
}

#[test]
fn unknown_key_in_log_table_names_the_table() {
    let err = error(&format!(
        "{LISTEN}[log]\nlevel = \"info\"\nlevle = \"debug\"\n"
    ));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:5:1: `log.levle`: unknown key (expected level or file)"
    );
}

#[test]
fn unknown_key_in_second_listener_names_its_index() {
    let err = error(&format!("{LISTEN}{LISTEN}port = 80\n"));
    assert_eq!(err.key(), "listen[1].port");
    assert_eq!((err.line(), err.column()), (5, 1));
    assert!(
        err.message()
            .starts_with("unknown key (expected one of address, backlog")
    );
}

#[test]
fn unknown_key_in_inline_tls_table_names_the_member() {
    let err = error("[[listen]]\naddress = \"127.0.0.1:1\"\ntls = { cert = \"c\", kye = \"k\" }\n");
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:3:21: `listen[0].tls.kye`: unknown key (expected cert or key)"
    );
}

#[test]
fn wrong_type_for_backlog_names_listen_index_and_line() {
    let err = error(&format!("{LISTEN}{LISTEN}backlog = \"x\"\n"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:5:11: `listen[1].backlog`: expected an integer, got string \"x\""
    );
    assert_eq!(err.kind(), ErrorKind::WrongType);
}

#[test]
fn wrong_word_for_workers_names_workers() {
    let err = error(&format!("workers = \"lots\"\n{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:1:11: `workers`: expected an integer or \"auto\", got string \"lots\""
    );
}

#[test]
fn boolean_workers_is_a_wrong_type() {
    let err = error(&format!("workers = true\n{LISTEN}"));
    assert_eq!(err.key(), "workers");
    assert_eq!(err.kind(), ErrorKind::WrongType);
}

#[test]
fn workers_outside_one_to_1024_are_rejected() {
    for n in ["0", "-1", "1025"] {
        let err = error(&format!("workers = {n}\n{LISTEN}"));
        assert_eq!(
            err.to_string(),
            format!(
                "conf/bicorn.toml:1:11: `workers`: must be between 1 and 1024 or \"auto\", got {n}"
            )
        );
    }
}

#[test]
fn workers_auto_resolves_to_available_cpus() {
    let cpus = std::thread::available_parallelism()
        .unwrap()
        .get()
        .min(1024);
    let config = parse(&format!("workers = \"auto\"\n{LISTEN}")).unwrap();
    assert_eq!(config.workers, cpus);
}

#[test]
fn timeout_below_one_second_is_rejected() {
    let err = error(&format!("timeout = 0.5\n{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:1:11: `timeout`: must be at least 1 and at most 86400 seconds, got 0.5"
    );
}

#[test]
fn zero_shutdown_timeout_is_rejected() {
    let err = error(&format!("shutdown_timeout = 0\n{LISTEN}"));
    assert_eq!(err.key(), "shutdown_timeout");
    assert!(err.message().starts_with("must be more than 0"), "{err}");
}

#[test]
fn upgrade_timeout_over_a_day_is_rejected() {
    let err = error(&format!("upgrade_timeout = 86401\n{LISTEN}"));
    assert_eq!(err.key(), "upgrade_timeout");
    let err = error(&format!("upgrade_timeout = inf\n{LISTEN}"));
    assert_eq!(err.key(), "upgrade_timeout");
    let err = error(&format!("upgrade_timeout = nan\n{LISTEN}"));
    assert_eq!(err.key(), "upgrade_timeout");
}

#[test]
fn fractional_timeouts_are_kept() {
    let config = parse(&format!("timeout = 1.5\nupgrade_timeout = 0.25\n{LISTEN}")).unwrap();
    assert_eq!(config.timeout, Duration::from_millis(1500));
    assert_eq!(config.upgrade_timeout, Duration::from_millis(250));
}

#[test]
fn string_timeout_is_a_wrong_type() {
    let err = error(&format!("timeout = \"30s\"\n{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:1:11: `timeout`: expected a number of seconds, got string \"30s\""
    );
}

#[test]
fn missing_user_names_the_user_key() {
    let err = error(&format!("user = \"bicorn-no-such-user\"\n{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:1:8: `user`: no such user `bicorn-no-such-user`"
    );
}

#[test]
fn numeric_user_is_looked_up_by_id() {
    let config = parse(&format!("user = \"0\"\n{LISTEN}")).unwrap();
    assert_eq!(config.user.unwrap().name, "root");
}

#[test]
fn missing_group_names_the_group_key() {
    let err = error(&format!("group = \"bicorn-no-such-group\"\n{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:1:9: `group`: no such group `bicorn-no-such-group`"
    );
}

#[test]
fn numeric_group_is_looked_up_by_id() {
    let group = parse(&format!("group = \"0\"\n{LISTEN}"))
        .unwrap()
        .group
        .unwrap();
    assert_eq!((group.name.as_str(), group.gid), ("root", 0));
}

#[test]
fn relative_pid_path_resolves_against_config_dir() {
    let config = Config::parse(
        Path::new("/etc/bicorn/bicorn.toml"),
        &format!("pid = \"run/bicorn.pid\"\n{LISTEN}"),
    )
    .unwrap();
    assert_eq!(
        config.pid,
        Some(PathBuf::from("/etc/bicorn/run/bicorn.pid"))
    );
}

#[test]
fn relative_log_file_resolves_against_config_dir() {
    let config = Config::parse(
        Path::new("/etc/bicorn/bicorn.toml"),
        &format!("{LISTEN}[log]\nfile = \"../log/bicorn.log\"\n"),
    )
    .unwrap();
    assert_eq!(
        config.log.file,
        Some(PathBuf::from("/etc/bicorn/../log/bicorn.log"))
    );
}

#[test]
fn empty_pid_path_is_rejected() {
    let err = error(&format!("pid = \"\"\n{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:1:7: `pid`: must not be empty"
    );
}

#[test]
fn negative_max_requests_is_rejected() {
    let err = error(&format!("max_requests = -1\n{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:1:16: `max_requests`: must be 0 (never) or more, got -1"
    );
}

#[test]
fn unknown_log_level_lists_the_levels() {
    let err = error(&format!("{LISTEN}[log]\nlevel = \"loud\"\n"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:4:9: `log.level`: must be one of off, error, warn, info, debug, \
         trace, got `loud`"
    );
}

#[test]
fn every_log_level_is_accepted() {
    for (word, level) in [
        ("off", log::LevelFilter::Off),
        ("error", log::LevelFilter::Error),
        ("warn", log::LevelFilter::Warn),
        ("info", log::LevelFilter::Info),
        ("debug", log::LevelFilter::Debug),
        ("trace", log::LevelFilter::Trace),
    ] {
        let config = parse(&format!("{LISTEN}[log]\nlevel = \"{word}\"\n")).unwrap();
        assert_eq!(config.log.level, level);
    }
}

#[test]
fn syntax_error_reports_line_and_column() {
    let err = error("workers = 2\nx = [\n");
    assert_eq!(err.kind(), ErrorKind::Syntax);
    assert_eq!((err.line(), err.column(), err.key()), (2, 6, "x"));
    assert!(
        err.to_string().starts_with("conf/bicorn.toml:2:6: `x`: "),
        "{err}"
    );
}

#[test]
fn duplicate_key_is_reported_at_the_second_one() {
    let err = error(&format!("workers = 2\nworkers = 3\n{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:2:1: `workers`: duplicate key"
    );
}

#[test]
fn load_of_missing_file_says_cannot_read() {
    let dir = TempDir::new();
    let path = dir.0.join("absent.toml");
    let err = Config::load(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreadable);
    assert_eq!((err.line(), err.column(), err.key()), (0, 0, ""));
    assert_eq!(err.file(), path);
    let expected = format!("{}: cannot read: ", path.display());
    assert!(err.to_string().starts_with(&expected), "{err}");
}

#[test]
fn load_reads_the_file_and_keeps_the_path_as_given() {
    let dir = TempDir::new();
    let path = dir.write("bicorn.toml", &format!("workers = 3\n{LISTEN}"));
    let config = Config::load(&path).unwrap();
    assert_eq!(config.source, path);
    assert_eq!(config.workers, 3);
}

#[test]
fn load_errors_name_the_file_as_given() {
    let dir = TempDir::new();
    let path = dir.write("bicorn.toml", "workers = 0\n");
    let err = Config::load(&path).unwrap_err();
    assert_eq!(err.file(), path);
    assert!(
        err.to_string()
            .starts_with(&format!("{}:1:11: ", path.display()))
    );
}

#[test]
fn http_section_defaults_and_values() {
    let config = parse(LISTEN).unwrap();
    assert_eq!(config.http, super::HttpConfig::default());
    let config = parse(&format!(
        "[http]\nmax_connections = 5\nheader_timeout = 2.5\nkeepalive_timeout = 10\nwrite_timeout = 3\ndrain_linger = 0.5\ntls_handshake_timeout = 1.5\n{LISTEN}"
    ))
    .unwrap();
    assert_eq!(config.http.max_connections, 5);
    assert_eq!(config.http.header_timeout, Duration::from_millis(2500));
    assert_eq!(config.http.keepalive_timeout, Duration::from_secs(10));
    assert_eq!(config.http.write_timeout, Duration::from_secs(3));
    assert_eq!(config.http.drain_linger, Duration::from_millis(500));
    assert_eq!(
        config.http.tls_handshake_timeout,
        Duration::from_millis(1500)
    );
}

#[test]
fn tls_handshake_timeout_defaults_to_10_s_and_must_be_positive() {
    let config = parse(LISTEN).unwrap();
    assert_eq!(config.http.tls_handshake_timeout, Duration::from_secs(10));
    let err = error(&format!("[http]\ntls_handshake_timeout = 0\n{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:2:25: `http.tls_handshake_timeout`: must be more than 0 and at most 86400 seconds, got 0"
    );
    let err = error(&format!("[http]\ntls_handshake_timeout = -1\n{LISTEN}"));
    assert_eq!(err.key(), "http.tls_handshake_timeout");
    let err = error(&format!("[http]\ntls_handshake_timeout = \"1s\"\n{LISTEN}"));
    assert_eq!(err.kind(), ErrorKind::WrongType);
    assert_eq!(err.key(), "http.tls_handshake_timeout");
}

#[test]
fn http_values_out_of_range_name_the_key() {
    let err = error(&format!("[http]\nmax_connections = 0\n{LISTEN}"));
    assert_eq!(err.key(), "http.max_connections");
    let err = error(&format!("[http]\nheader_timeout = 0\n{LISTEN}"));
    assert_eq!(err.key(), "http.header_timeout");
    let err = error(&format!("[http]\nkeepalive = 3\n{LISTEN}"));
    assert_eq!(err.key(), "http.keepalive");
}

#[test]
fn app_section_defaults_values_and_bounds() {
    let config = parse(LISTEN).unwrap();
    assert_eq!(config.app, crate::config::AppConfig::default());
    assert_eq!(config.app.threads, 4);
    assert_eq!(config.app.max_request_body, 1 << 20);
    let config = parse(&format!(
        "[app]\nthreads = 16\nmax_request_body = 0\n{LISTEN}"
    ))
    .unwrap();
    assert_eq!(config.app.threads, 16);
    assert_eq!(config.app.max_request_body, 0);
    let err = error(&format!("[app]\nthreads = 0\n{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:2:11: `app.threads`: must be between 1 and 1024, got 0"
    );
    let err = error(&format!("[app]\nmax_request_body = -1\n{LISTEN}"));
    assert_eq!(err.key(), "app.max_request_body");
    let err = error(&format!("[app]\nthread = 3\n{LISTEN}"));
    assert_eq!(err.kind(), ErrorKind::UnknownKey);
}

#[test]
fn control_socket_is_off_by_default_and_resolves_against_config_dir() {
    assert_eq!(parse(LISTEN).unwrap().control, None);
    let config = Config::parse(
        Path::new("/etc/bicorn/bicorn.toml"),
        &format!("control = \"state/control.sock\"\n{LISTEN}"),
    )
    .unwrap();
    assert_eq!(
        config.control,
        Some(PathBuf::from("/etc/bicorn/state/control.sock"))
    );
    let config = parse(&format!("control = \"/run/bicorn/control.sock\"\n{LISTEN}")).unwrap();
    assert_eq!(
        config.control,
        Some(PathBuf::from("/run/bicorn/control.sock"))
    );
}

#[test]
fn empty_control_path_is_rejected() {
    let err = error(&format!("control = \"\"\n{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:1:11: `control`: must not be empty"
    );
}

#[test]
fn control_path_too_long_for_a_unix_socket_is_rejected_with_its_length() {
    let long = format!("/run/{}", "d".repeat(120));
    let err = error(&format!("control = \"{long}\"\n{LISTEN}"));
    let text = err.to_string();
    assert!(
        text.starts_with("conf/bicorn.toml:1:11: `control`: unix socket path")
            && text.ends_with("is 125 bytes long, more than 107"),
        "{text}"
    );
}

#[test]
fn control_of_the_wrong_type_names_the_key() {
    let err = error(&format!("control = 1\n{LISTEN}"));
    assert!(err.to_string().contains("`control`"), "{err}");
}
