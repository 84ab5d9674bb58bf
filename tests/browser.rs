//! A real browser: headless Chromium loads a page with a script and an
//! image from bicorn over HTTPS, where it speaks HTTP/2 (ALPN), and over
//! cleartext HTTP/1.1. The page's script runs (the DOM shows it), and the
//! access log shows each resource fetched with the protocol used.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;
use std::time::Duration;

use support::{Server, TempDir, tool, wait_until};

fn site() -> (TempDir, String) {
    let dir = TempDir::new("browser");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::write(
        dir.join("www/index.html"),
        "<!doctype html><title>t</title><p id=x>served by bicorn</p>\
         <img src=\"/pixel.png\"><script src=\"/app.js\"></script>\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("www/app.js"),
        "document.getElementById('x').textContent += ' and the script ran';\n",
    )
    .unwrap();
    std::fs::write(dir.join("www/pixel.png"), [0x89u8, b'P', b'N', b'G']).unwrap();
    let config = "workers = 1\ntimeout = 10\n\n\
        [[listen]]\naddress = \"127.0.0.1:0\"\n\n\
        [[listen]]\naddress = \"127.0.0.2:0\"\ntls = \"self-signed\"\n\n\
        [[route]]\npath = \"/\"\nroot = \"www\"\n\n\
        [access_log]\ndestination = \"access.log\"\nflush_interval = 0.1\n\n\
        [log]\nlevel = \"info\"\n"
        .to_string();
    (dir, config)
}

/// The DOM of `url` after Chromium loaded it and ran its scripts.
fn dump_dom(profile: &std::path::Path, url: &str) -> String {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--ignore-certificate-errors",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn chromium_loads_a_page_its_script_and_image_over_h2_with_tls_and_over_http11() {
    if !tool("chromium") {
        return;
    }
    let (dir, config) = site();
    let log = dir.join("access.log");
    let profile = dir.join("chromium-profile");
    let s = Server::builder(&config).dir(dir).start();
    let addrs = s.listen_addrs();
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    for (url, protocol) in [
        (format!("https://{}/", addrs[1]), "HTTP/2.0"),
        (format!("http://{}/", addrs[0]), "HTTP/1.1"),
    ] {
        let dom = dump_dom(&profile, &url);
        assert!(
            dom.contains("served by bicorn and the script ran"),
            "{url}: {dom}"
        );
        for path in ["/", "/app.js", "/pixel.png"] {
            let line = format!("\"GET {path} {protocol}\" 200");
            assert!(
                wait_until(Duration::from_secs(5), || read()
                    .lines()
                    .any(|l| l.contains(&line) && l.contains("HeadlessChrome"))),
                "{url}: no {line} from Chromium in:\n{}",
                read()
            );
        }
    }
}
