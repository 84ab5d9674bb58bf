//! `[[listen]]` stories: addresses, backlog, names, duplicates, unix
//! socket paths and TLS files.

use std::fs;
use std::path::{Path, PathBuf};

use super::{CERT, KEY, LISTEN, TempDir, error, parse, tls_listen};
use crate::config::{Config, ErrorKind, ListenAddress, Tls};

#[test]
fn missing_listen_is_rejected() {
    let err = error("workers = 2\n");
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:1:1: `listen`: at least one [[listen]] table is required"
    );
    assert_eq!(err.kind(), ErrorKind::MissingKey);
}

#[test]
fn empty_listen_array_is_rejected_at_the_array() {
    let err = error("workers = 2\nlisten = []\n");
    assert_eq!((err.line(), err.column(), err.key()), (2, 10, "listen"));
}

#[test]
fn listener_without_address_names_the_address_key() {
    let err = error("[[listen]]\nbacklog = 5\n");
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:1:1: `listen[0].address`: required key is missing"
    );
    assert_eq!(err.kind(), ErrorKind::MissingKey);
}

#[test]
fn tls_without_key_names_the_missing_tls_key() {
    let err = error(&format!("{LISTEN}tls = {{ cert = \"{CERT}\" }}\n"));
    assert_eq!(err.key(), "listen[0].tls.key");
    assert_eq!((err.line(), err.column()), (3, 7));
}

#[test]
fn host_name_address_is_rejected_with_the_accepted_forms() {
    let err = error("[[listen]]\naddress = \"localhost:8080\"\n");
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:2:11: `listen[0].address`: expected `IP:PORT`, `[IPv6]:PORT` or \
         `unix:PATH`, got `localhost:8080`"
    );
}

#[test]
fn listen_address_text_round_trips() {
    for text in [
        "127.0.0.1:8080",
        "[::]:8080",
        "[::1]:443",
        "unix:/run/bicorn.sock",
    ] {
        let address: ListenAddress = text.parse().unwrap();
        assert_eq!(address.to_string(), text);
    }
    assert!("unix:".parse::<ListenAddress>().is_err());
    assert!("8080".parse::<ListenAddress>().is_err());
}

#[test]
fn backlog_zero_is_rejected_with_the_range() {
    let err = error(&format!(
        "{LISTEN}[[listen]]\naddress = \"127.0.0.1:8081\"\nbacklog = 0\n"
    ));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:5:11: `listen[1].backlog`: must be between 1 and 65535, got 0"
    );
}

#[test]
fn backlog_above_65535_is_rejected() {
    let err = error(&format!("{LISTEN}backlog = 65536\n"));
    assert_eq!(err.key(), "listen[0].backlog");
}

#[test]
fn listener_name_with_a_colon_is_rejected() {
    let err = error(&format!("{LISTEN}name = \"a:b\"\n"));
    assert_eq!(err.key(), "listen[0].name");
    assert!(err.message().contains("LISTEN_FDNAMES"), "{err}");
}

#[test]
fn empty_listener_name_is_rejected() {
    let err = error(&format!("{LISTEN}name = \"\"\n"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:3:8: `listen[0].name`: must not be empty"
    );
}

#[test]
fn duplicate_listener_names_are_rejected() {
    let err = error(
        "[[listen]]\naddress = \"127.0.0.1:1\"\nname = \"http\"\n\
         [[listen]]\naddress = \"127.0.0.1:2\"\nname = \"http\"\n",
    );
    assert_eq!((err.key(), err.line()), ("listen[1].name", 6));
}

#[test]
fn duplicate_listen_addresses_are_rejected() {
    let err = error(&format!("{LISTEN}{LISTEN}"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:4:11: `listen[1].address`: `127.0.0.1:8080` is already listed"
    );
}

#[test]
fn two_listeners_on_port_zero_are_duplicates_too() {
    // The configured address is a listener's name across reloads and
    // upgrades, so even `:0` may appear once.
    let text = "[[listen]]\naddress = \"127.0.0.1:0\"\n".repeat(2);
    let err = error(&text);
    assert_eq!(err.key(), "listen[1].address");
}

#[test]
fn more_than_1024_listeners_are_rejected() {
    let text: String = (1..=1025)
        .map(|p| format!("[[listen]]\naddress = \"127.0.0.1:{p}\"\n"))
        .collect();
    let err = error(&text);
    assert_eq!(err.key(), "listen");
    assert!(err.message().contains("at most 1024"), "{err}");
}

#[test]
fn listeners_given_as_an_array_of_inline_tables_name_their_index() {
    let err = error("listen = [{ address = \"127.0.0.1:1\" }, { address = \"x\" }]\n");
    assert_eq!(err.key(), "listen[1].address");
    let err = error("listen = [{ address = \"127.0.0.1:1\" }, { bcklog = 1 }]\n");
    assert_eq!(err.key(), "listen[1].bcklog");
}

#[test]
fn relative_unix_socket_resolves_against_config_dir() {
    let config = Config::parse(
        Path::new("/etc/bicorn/bicorn.toml"),
        "[[listen]]\naddress = \"unix:run/b.sock\"\n",
    )
    .unwrap();
    let expected = ListenAddress::Unix("/etc/bicorn/run/b.sock".into());
    assert_eq!(config.listeners[0].address, expected);
    assert_eq!(expected.to_string(), "unix:/etc/bicorn/run/b.sock");
}

#[test]
fn unix_socket_under_a_relative_config_path_becomes_absolute() {
    let config = Config::parse(
        Path::new("bicorn.toml"),
        "[[listen]]\naddress = \"unix:b.sock\"\n",
    )
    .unwrap();
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(
        config.listeners[0].address,
        ListenAddress::Unix(cwd.join("b.sock"))
    );
}

#[test]
fn tls_with_unreadable_cert_names_the_cert_key() {
    let err = error(&tls_listen("/nonexistent/cert.pem", KEY));
    assert_eq!(
        (err.key(), err.line(), err.column()),
        ("listen[0].tls.cert", 3, 16)
    );
    assert!(
        err.message()
            .starts_with("cannot read certificate file `/nonexistent/cert.pem`: "),
        "{err}"
    );
}

#[test]
fn tls_with_unreadable_key_names_the_key_key() {
    let err = error(&tls_listen(CERT, "/nonexistent/key.pem"));
    assert_eq!(err.key(), "listen[0].tls.key");
    assert!(
        err.message().starts_with("cannot read private key file"),
        "{err}"
    );
}

#[test]
fn tls_cert_file_without_a_certificate_names_the_cert_key() {
    let err = error(&tls_listen(KEY, KEY));
    assert_eq!(err.key(), "listen[0].tls.cert");
    assert!(err.message().contains("holds no PEM certificate"), "{err}");
}

#[test]
fn tls_key_file_without_a_private_key_names_the_key_key() {
    let err = error(&tls_listen(CERT, CERT));
    assert_eq!(err.key(), "listen[0].tls.key");
    assert!(err.message().contains("holds no PEM private key"), "{err}");
}

#[test]
fn tls_cert_with_broken_pem_is_rejected() {
    let dir = TempDir::new();
    let cert = dir.write("cert.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n");
    let err = error(&tls_listen(cert.to_str().unwrap(), KEY));
    assert_eq!(err.key(), "listen[0].tls.cert");
    assert!(err.message().contains("is not valid PEM"), "{err}");
}

#[test]
fn tls_relative_paths_resolve_against_config_dir() {
    let dir = TempDir::new();
    dir.write("c.pem", &fs::read_to_string(CERT).unwrap());
    dir.write("k.pem", &fs::read_to_string(KEY).unwrap());
    let file = dir.write("bicorn.toml", &tls_listen("c.pem", "k.pem"));
    let config = Config::load(&file).unwrap();
    let Some(Tls::Certs(certs)) = &config.listeners[0].tls else {
        panic!("certificate files, got {:?}", config.listeners[0].tls);
    };
    assert_eq!(certs[0].cert, dir.0.join("c.pem"));
    assert_eq!(certs[0].key, dir.0.join("k.pem"));
}

#[test]
fn tls_may_be_written_as_a_subtable() {
    let text = format!("{LISTEN}[listen.tls]\ncert = \"{CERT}\"\nkey = \"{KEY}\"\n");
    assert!(parse(&text).unwrap().listeners[0].tls.is_some());
    let err = error(&format!(
        "{LISTEN}[listen.tls]\ncert = \"{CERT}\"\nkye = \"k\"\n"
    ));
    assert_eq!((err.key(), err.line()), ("listen[0].tls.kye", 5));
}

#[test]
fn tls_lists_several_certificates_in_file_order_for_sni() {
    let dir = TempDir::new();
    dir.write("a.pem", &fs::read_to_string(CERT).unwrap());
    let text = format!(
        "{LISTEN}tls = [\n  {{ cert = \"{CERT}\", key = \"{KEY}\" }},\n  \
         {{ cert = \"a.pem\", key = \"{KEY}\" }},\n]\n"
    );
    let file = dir.write("bicorn.toml", &text);
    let config = Config::load(&file).unwrap();
    let Some(Tls::Certs(certs)) = &config.listeners[0].tls else {
        panic!("certificate files, got {:?}", config.listeners[0].tls);
    };
    let files: Vec<_> = certs.iter().map(|c| c.cert.clone()).collect();
    assert_eq!(files, [PathBuf::from(CERT), dir.0.join("a.pem")]);
}

#[test]
fn tls_certificates_may_be_repeated_listen_tls_tables() {
    let pair = format!("cert = \"{CERT}\"\nkey = \"{KEY}\"\n");
    let text = format!("{LISTEN}[[listen.tls]]\n{pair}[[listen.tls]]\n{pair}");
    let config = parse(&text).unwrap();
    assert!(matches!(&config.listeners[0].tls, Some(Tls::Certs(c)) if c.len() == 2));
}

#[test]
fn tls_bad_file_in_a_list_names_its_index() {
    let text = format!(
        "{LISTEN}tls = [{{ cert = \"{CERT}\", key = \"{KEY}\" }}, \
         {{ cert = \"/nonexistent/b.pem\", key = \"{KEY}\" }}]\n"
    );
    let err = error(&text);
    assert_eq!(err.key(), "listen[0].tls[1].cert");
    assert!(err.message().contains("/nonexistent/b.pem"), "{err}");
}

#[test]
fn tls_empty_list_is_rejected() {
    let err = error(&format!("{LISTEN}tls = []\n"));
    assert_eq!(err.key(), "listen[0].tls");
    assert!(err.message().contains("no certificate"), "{err}");
}

#[test]
fn tls_self_signed_is_a_word_and_other_words_are_rejected() {
    let config = parse(&format!("{LISTEN}tls = \"self-signed\"\n")).unwrap();
    assert_eq!(config.listeners[0].tls, Some(Tls::SelfSigned));
    let err = error(&format!("{LISTEN}tls = \"self-sigend\"\n"));
    assert_eq!(
        (err.key(), err.line(), err.column()),
        ("listen[0].tls", 3, 7)
    );
    assert!(err.message().contains("got `self-sigend`"), "{err}");
}

#[test]
fn tls_of_the_wrong_type_says_what_is_expected() {
    let err = error(&format!("{LISTEN}tls = 1\n"));
    assert_eq!(err.key(), "listen[0].tls");
    assert_eq!(err.kind(), ErrorKind::WrongType);
    assert!(err.message().contains("\"self-signed\""), "{err}");
}
