//! The shipped `conf/bicorn.toml` must stay loadable: it is what a new
//! user runs first (`cargo run --release -- -c conf/bicorn.toml`).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bicorn::config::{
    AccessLogDestination, AccessLogFormat, Config, HttpConfig, ListenAddress, RouteTarget,
    StatusPage, Tls,
};

const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conf/bicorn.toml");
const CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cert.pem");
const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/key.pem");

#[test]
fn shipped_config_listens_on_loopback_8080_in_cleartext_and_8443_self_signed() {
    let config = Config::load(Path::new(SHIPPED)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.source, Path::new(SHIPPED));
    let [http, https] = &config.listeners[..] else {
        panic!("two listeners, got {:?}", config.listeners);
    };
    let loopback: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    assert_eq!(http.address, ListenAddress::Tcp(loopback));
    assert_eq!(http.backlog, 1024);
    assert_eq!(http.name, None);
    assert_eq!(http.tls, None);
    let loopback: SocketAddr = "127.0.0.1:8443".parse().unwrap();
    assert_eq!(https.address, ListenAddress::Tcp(loopback));
    assert_eq!(https.tls, Some(Tls::SelfSigned));
}

#[test]
fn shipped_config_uses_a_worker_per_cpu_and_default_timeouts() {
    let config = Config::load(Path::new(SHIPPED)).unwrap_or_else(|e| panic!("{e}"));
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    assert_eq!(config.workers, cpus.min(1024));
    assert_eq!(config.timeout, Duration::from_secs(30));
    assert_eq!(config.shutdown_timeout, Duration::from_secs(30));
    assert_eq!(config.upgrade_timeout, Duration::from_secs(60));
    assert_eq!(config.max_requests, 0);
}

/// The shipped `[http]` writes every key out with its default, so the
/// file and the code must agree.
#[test]
fn shipped_http_section_states_the_defaults() {
    let config = Config::load(Path::new(SHIPPED)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.http, HttpConfig::default());
    let text = std::fs::read_to_string(SHIPPED).unwrap();
    assert!(
        text.contains("\ntls_handshake_timeout = 10\n"),
        "tls_handshake_timeout is documented"
    );
}

/// The status routes ship enabled, which is safe only because every
/// shipped listener is on loopback.
#[test]
fn shipped_config_serves_status_routes_on_loopback_only() {
    let config = Config::load(Path::new(SHIPPED)).unwrap_or_else(|e| panic!("{e}"));
    let status: Vec<(&str, StatusPage)> = config
        .routes
        .iter()
        .filter_map(|r| match r.target {
            RouteTarget::Status(page) => Some((r.path.as_str(), page)),
            _ => None,
        })
        .collect();
    assert_eq!(
        status,
        [
            ("/-/metrics", StatusPage::Metrics),
            ("/-/health", StatusPage::Health),
            ("/-/status", StatusPage::Page),
        ]
    );
    for l in &config.listeners {
        match &l.address {
            ListenAddress::Tcp(a) => assert!(a.ip().is_loopback(), "{a} is not loopback"),
            other => panic!("unexpected listener {other:?}"),
        }
    }
}

#[test]
fn shipped_config_drops_no_privileges_and_writes_only_its_state_beside_itself() {
    let config = Config::load(Path::new(SHIPPED)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.user, None);
    assert_eq!(config.group, None);
    assert_eq!(config.pid, None);
    assert_eq!(config.log.level, log::LevelFilter::Info);
    assert_eq!(config.log.file, None);
    let conf = Path::new(SHIPPED).parent().unwrap();
    assert_eq!(config.state_dir, conf.join("state"));
    assert_eq!(config.control, Some(conf.join("state/control.sock")));
}

#[test]
fn shipped_config_logs_requests_to_stdout_in_combined_format() {
    let config = Config::load(Path::new(SHIPPED)).unwrap_or_else(|e| panic!("{e}"));
    let access = &config.access_log;
    assert_eq!(access.destination, AccessLogDestination::Stdout);
    assert_eq!(access.format, AccessLogFormat::Combined);
    assert_eq!(access.flush_interval, Duration::from_secs(1));
    assert_eq!(access.buffer, 65_536);
}

/// Each commented example, uncommented on its own, must still be a valid
/// config, so that following the file's advice never produces an error.
#[test]
fn shipped_commented_examples_are_valid_when_uncommented() {
    let text = std::fs::read_to_string(SHIPPED).unwrap();
    let examples = [
        "# user = ",
        "# group = ",
        "# pid = ",
        "# [[listen]]\n# address = \"unix:",
        "# [[listen]]\n# address = \"0.0.0.0:80\"\n# name = ",
        "# [[listen]]\n# address = \"0.0.0.0:443\"",
        "# [[route]]\n# path = \"/api\"",
        "# file = ",
    ];
    for example in examples {
        let Some(start) = text.find(example) else {
            panic!("example {example:?} is in the shipped config");
        };
        let end = text[start..].find("\n\n").map_or(text.len(), |n| start + n);
        let uncommented = text[start..end].replace("# ", "");
        let edited = format!("{}{}{}", &text[..start], uncommented, &text[end..]);
        // Stand-ins that exist on any test host.
        let edited = edited
            .replace("\"www-data\"", "\"root\"")
            .replace("/etc/bicorn/cert.pem", CERT)
            .replace("/etc/bicorn/key.pem", KEY);
        if let Err(e) = Config::parse(Path::new(SHIPPED), &edited) {
            panic!("uncommenting {example:?} breaks the config: {e}");
        }
    }
}
