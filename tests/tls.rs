//! TLS from outside: the real binary on 127.0.0.1:0 with certificates
//! made at test time (rcgen) or the repo's fixtures, driven by curl and
//! h2load (installed by .ci/run) and by raw sockets for the misdirected
//! clients.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use support::{Server, TempDir, body_generation, tool};

const FIXTURE_CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cert.pem");
const FIXTURE_KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/key.pem");

/// A self-signed certificate for `names` (the first is also its CN),
/// written as `<tag>.pem` and `<tag>.key` in `dir`.
fn make_cert(dir: &Path, tag: &str, names: &[&str]) -> (PathBuf, PathBuf) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, names[0]);
    params.distinguished_name = dn;
    let cert = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (
        dir.join(format!("{tag}.pem")),
        dir.join(format!("{tag}.key")),
    );
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path)
}

/// One worker, a cleartext listener and a TLS one with `tls` as written.
fn config(tls: &str) -> String {
    format!(
        "workers = 1\ntimeout = 5\nshutdown_timeout = 10\nupgrade_timeout = 20\n\n\
         [[listen]]\naddress = \"127.0.0.1:0\"\n\n\
         [[listen]]\naddress = \"127.0.0.2:0\"\ntls = {tls}\n\n[log]\nlevel = \"debug\"\n"
    )
}

fn cert_key(cert: &Path, key: &Path) -> String {
    format!(
        "{{ cert = \"{}\", key = \"{}\" }}",
        cert.display(),
        key.display()
    )
}

/// The server's (cleartext, TLS) addresses.
fn addrs(s: &Server) -> (String, String) {
    let all = s.listen_addrs();
    (all[0].clone(), all[1].clone())
}

fn port(addr: &str) -> &str {
    addr.rsplit(':').next().unwrap()
}

/// curl's exit success and stdout+stderr.
fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Read until the server closes (or `limit` passes); returns what came
/// and whether the close came.
fn read_to_close(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            // A reset is a close too (the server need not read it all).
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (got, true),
            Err(_) => return (got, false),
        }
    }
}

#[test]
fn curl_over_https_gets_http2_by_alpn_and_http11_when_asked() {
    if !tool("curl") {
        return;
    }
    let s = Server::start(&config(&cert_key(
        Path::new(FIXTURE_CERT),
        Path::new(FIXTURE_KEY),
    )));
    let (_, tls) = addrs(&s);
    let url = format!("https://{tls}/");
    let (ok, out) = curl(&["-k", "--http2", "-w", " version=%{http_version}", &url]);
    assert!(ok, "{out}");
    assert!(
        out.contains("protocol=HTTP/2") && out.ends_with("version=2"),
        "{out}"
    );
    let (ok, out) = curl(&["-k", "--http2", "-d", "hello", &url]);
    assert!(ok && out.contains("protocol=HTTP/2 received=5"), "{out}");
    let (ok, out) = curl(&["-k", "--http1.1", "-w", " version=%{http_version}", &url]);
    assert!(ok, "{out}");
    assert!(
        out.contains("protocol=HTTP/1.1") && out.ends_with("version=1.1"),
        "{out}"
    );
}

#[test]
fn h2load_over_tls_completes_every_request() {
    if !tool("h2load") {
        return;
    }
    let s = Server::start(&config(&cert_key(
        Path::new(FIXTURE_CERT),
        Path::new(FIXTURE_KEY),
    )));
    let (_, tls) = addrs(&s);
    let out = Command::new("h2load")
        .args(["-n", "5000", "-c", "10", "-m", "10"])
        .arg(format!("https://{tls}/"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Application protocol: h2"), "{text}");
    assert!(
        text.contains("5000 succeeded, 0 failed, 0 errored, 0 timeout"),
        "{text}\nlog:\n{}",
        s.log.text()
    );
}

#[test]
fn sni_picks_the_certificate_for_each_name_and_the_first_without_one() {
    if !tool("curl") {
        return;
    }
    let certs = TempDir::new("sni");
    let (a_cert, a_key) = make_cert(certs.path(), "a", &["a.test"]);
    let (b_cert, b_key) = make_cert(certs.path(), "b", &["b.test", "*.b.test"]);
    let list = format!(
        "[{}, {}]",
        cert_key(&a_cert, &a_key),
        cert_key(&b_cert, &b_key)
    );
    let s = Server::start(&config(&list));
    let (_, tls) = addrs(&s);
    let port = port(&tls);
    let ip = tls.rsplit_once(':').unwrap().0;
    // Each name verifies against its own certificate only: the server
    // must have presented that one.
    for (name, cert) in [
        ("a.test", &a_cert),
        ("b.test", &b_cert),
        ("www.b.test", &b_cert),
    ] {
        let resolve = format!("{name}:{port}:{ip}");
        let url = format!("https://{name}:{port}/");
        let cacert = cert.to_str().unwrap();
        let (ok, out) = curl(&["--resolve", &resolve, "--cacert", cacert, &url]);
        assert!(ok && out.contains("bicorn worker"), "{name}: {out}");
    }
    let resolve = format!("a.test:{port}:{ip}");
    let url = format!("https://a.test:{port}/");
    let (ok, out) = curl(&[
        "--resolve",
        &resolve,
        "--cacert",
        b_cert.to_str().unwrap(),
        &url,
    ]);
    assert!(!ok, "a.test must not be served b's certificate: {out}");
    // By IP address there is no SNI: the first certificate.
    let (ok, out) = curl(&["-kv", &format!("https://{tls}/")]);
    assert!(ok && out.contains("subject: CN=a.test"), "{out}");
}

#[test]
fn plaintext_http11_on_the_tls_port_gets_an_alert_and_a_close() {
    let s = Server::start(&config(&cert_key(
        Path::new(FIXTURE_CERT),
        Path::new(FIXTURE_KEY),
    )));
    let (_, tls) = addrs(&s);
    let mut c = TcpStream::connect(&tls).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
        .unwrap();
    let (got, closed) = read_to_close(&mut c, Duration::from_secs(10));
    assert!(closed, "connection left open; got {got:?}");
    // Nothing but a TLS alert record (type 21), if anything.
    assert!(got.is_empty() || got[0] == 21, "{got:?}");
    assert!(
        s.log
            .wait_for("TLS handshake failed", Duration::from_secs(5)),
        "{}",
        s.log.text()
    );
    // Still serving.
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn tls_client_hello_on_the_cleartext_port_gets_400_and_a_close() {
    let s = Server::start(&config(&cert_key(
        Path::new(FIXTURE_CERT),
        Path::new(FIXTURE_KEY),
    )));
    let (plain, _) = addrs(&s);
    // A handshake record holding a ClientHello's start, with no CR or LF
    // anywhere (so no line end would ever come).
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03,
    ];
    hello.extend(std::iter::repeat_n(0x42, 160));
    let mut c = TcpStream::connect(&plain).unwrap();
    c.write_all(&hello).unwrap();
    let (got, closed) = read_to_close(&mut c, Duration::from_secs(10));
    assert!(
        got.starts_with(b"HTTP/1.1 400 "),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    assert!(closed);
    if tool("curl") {
        // A real client fails cleanly, without waiting.
        let (ok, out) = curl(&["-k", &format!("https://{plain}/")]);
        assert!(!ok, "{out}");
    }
}

#[test]
fn handshake_never_finished_is_closed_at_the_deadline() {
    let s = Server::start(&config(&cert_key(
        Path::new(FIXTURE_CERT),
        Path::new(FIXTURE_KEY),
    )));
    let (_, tls) = addrs(&s);
    let started = Instant::now();
    let mut c = TcpStream::connect(&tls).unwrap();
    c.write_all(&[0x16, 0x03, 0x01]).unwrap(); // a record header, cut short
    let (got, closed) = read_to_close(&mut c, Duration::from_secs(30));
    let waited = started.elapsed();
    assert!(closed && got.is_empty(), "{got:?}");
    // The 10 s handshake deadline, not some other reason.
    assert!(waited >= Duration::from_secs(9), "closed after {waited:?}");
    // The log is read by another thread: wait for the line.
    assert!(
        s.log
            .wait_for("TLS handshake not finished in time", Duration::from_secs(5)),
        "{}",
        s.log.text()
    );
}

#[test]
fn start_with_a_key_not_matching_its_certificate_exits_nonzero_naming_the_files() {
    let dir = TempDir::new("mismatch");
    let (_, other_key) = make_cert(dir.path(), "other", &["localhost"]);
    let mut s = Server::builder(&config(&cert_key(Path::new(FIXTURE_CERT), &other_key)))
        .no_wait()
        .start();
    assert_eq!(s.wait_exit(Duration::from_secs(10)), Some(1));
    let log = s.log.text();
    assert!(log.contains("cannot start"), "{log}");
    assert!(log.contains("`listen[1].tls.key`"), "{log}");
    assert!(log.contains(other_key.to_str().unwrap()), "{log}");
    assert!(log.contains(FIXTURE_CERT), "{log}");
    assert!(!log.contains("spawned worker"), "{log}");
}

#[test]
fn hup_with_a_broken_certificate_keeps_the_old_one_serving_and_a_fixed_one_is_served() {
    if !tool("curl") {
        return;
    }
    let certs = TempDir::new("hupcert");
    let (cert, key) = make_cert(certs.path(), "live", &["localhost"]);
    let s = Server::start(&config(&cert_key(&cert, &key)));
    let (_, tls) = addrs(&s);
    let resolve = format!("localhost:{}:127.0.0.2", port(&tls));
    let url = format!("https://localhost:{}/", port(&tls));
    let old_pem = std::fs::read(&cert).unwrap();
    let trusted = certs.path().join("trusted-old.pem");
    std::fs::write(&trusted, &old_pem).unwrap();
    let get = |cacert: &Path| {
        curl(&[
            "--resolve",
            &resolve,
            "--cacert",
            cacert.to_str().unwrap(),
            &url,
        ])
    };
    let (ok, out) = get(&trusted);
    assert!(ok && body_generation(&out) == Some(1), "{out}");

    // A new certificate whose key is not the one beside it.
    let (_, stray_key) = make_cert(certs.path(), "stray", &["localhost"]);
    let (_, _) = make_cert(certs.path(), "live", &["localhost"]);
    std::fs::copy(&stray_key, &key).unwrap();
    s.signal(Signal::SIGHUP);
    assert!(
        s.log.wait_for("reload rejected", Duration::from_secs(10)),
        "{}",
        s.log.text()
    );
    let log = s.log.text();
    let line = log.lines().find(|l| l.contains("reload rejected")).unwrap();
    assert!(
        line.contains("ERROR") && line.contains(key.to_str().unwrap()),
        "{line}"
    );
    let (ok, out) = get(&trusted);
    assert!(
        ok && body_generation(&out) == Some(1),
        "old certificate, old generation: {out}"
    );

    // Fixed: the next HUP serves the new certificate.
    let (_, _) = make_cert(certs.path(), "live", &["localhost"]);
    s.signal(Signal::SIGHUP);
    assert!(
        s.log.wait_for("reload complete", Duration::from_secs(20)),
        "{}",
        s.log.text()
    );
    let (ok, out) = get(&cert);
    assert!(ok && body_generation(&out) == Some(2), "{out}");
    let (ok, out) = get(&trusted);
    assert!(!ok, "the replaced certificate is no longer served: {out}");
}

/// The shipped config with its fixed ports moved to free ones, its
/// state directory at `state`, and one worker.
fn shipped_config(state: &Path) -> String {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/conf/bicorn.toml")).unwrap();
    assert!(
        text.contains("\nstate_dir = \"state\"\n"),
        "shipped state_dir"
    );
    assert!(
        text.contains("\naddress = \"127.0.0.1:8443\"\n"),
        "shipped https"
    );
    text.replace("\nworkers = \"auto\"\n", "\nworkers = 1\n")
        .replace(
            "\nstate_dir = \"state\"\n",
            &format!("\nstate_dir = \"{}\"\n", state.display()),
        )
        .replace("\"127.0.0.1:8080\"", "\"127.0.0.1:0\"")
        .replace("\"127.0.0.1:8443\"", "\"127.0.0.2:0\"")
        .replace(
            "root = \"../public\"",
            &format!("root = \"{}/public\"", env!("CARGO_MANIFEST_DIR")),
        )
}

#[test]
fn shipped_config_serves_https_with_a_self_signed_certificate_reused_on_restart() {
    if !tool("curl") {
        return;
    }
    let state_parent = TempDir::new("state");
    let state = state_parent.join("not/yet/made");
    let file = state.join("self-signed.pem");
    let mut pems = Vec::new();
    for (run, says) in [
        (1, "TLS: generated a self-signed certificate"),
        (2, "TLS: serving the self-signed certificate"),
    ] {
        let mut s = Server::start(&shipped_config(&state));
        assert!(s.log.text().contains(says), "run {run}: {}", s.log.text());
        assert!(s.log.text().contains(file.to_str().unwrap()));
        let (_, tls) = addrs(&s);
        let resolve = format!("localhost:{}:127.0.0.2", port(&tls));
        let url = format!("https://localhost:{}/", port(&tls));
        let cacert = file.to_str().unwrap();
        let (ok, out) = curl(&[
            "--resolve",
            &resolve,
            "--cacert",
            cacert,
            "-w",
            " [%{http_version}]",
            &url,
        ]);
        // The shipped route serves public/ over HTTP/2 (ALPN).
        assert!(
            ok && out.contains("bicorn is running") && out.ends_with("[2]"),
            "run {run}: {out}"
        );
        pems.push(std::fs::read(&file).unwrap());
        s.signal(Signal::SIGQUIT);
        assert_eq!(s.wait_exit(Duration::from_secs(10)), Some(0));
    }
    assert_eq!(pems[0], pems[1], "the certificate is reused, not remade");
}
