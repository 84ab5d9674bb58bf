//! `[access_log]` stories: the default is off, each key is read, each
//! mistake names its key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{LISTEN, error, parse};
use crate::config::{AccessLogConfig, AccessLogDestination, AccessLogFormat, Config, ErrorKind};

#[test]
fn absent_access_log_table_means_no_access_log() {
    let config = parse(LISTEN).unwrap();
    assert_eq!(config.access_log, AccessLogConfig::default());
    assert_eq!(config.access_log.destination, AccessLogDestination::Off);
    assert_eq!(config.access_log.format, AccessLogFormat::Combined);
    assert_eq!(config.access_log.flush_interval, Duration::from_secs(1));
    assert_eq!(config.access_log.buffer, 65_536);
}

#[test]
fn every_access_log_key_is_read() {
    let config = parse(&format!(
        "{LISTEN}[access_log]\ndestination = \"/var/log/bicorn/access.log\"\n\
         format = \"json\"\nflush_interval = 0.25\nbuffer = 4096\n"
    ))
    .unwrap();
    assert_eq!(
        config.access_log,
        AccessLogConfig {
            destination: AccessLogDestination::File("/var/log/bicorn/access.log".into()),
            format: AccessLogFormat::Json,
            flush_interval: Duration::from_millis(250),
            buffer: 4096,
        }
    );
}

#[test]
fn off_and_stdout_are_words_not_file_names() {
    let config = parse(&format!("{LISTEN}[access_log]\ndestination = \"stdout\"\n")).unwrap();
    assert_eq!(config.access_log.destination, AccessLogDestination::Stdout);
    let config = parse(&format!("{LISTEN}[access_log]\ndestination = \"off\"\n")).unwrap();
    assert_eq!(config.access_log.destination, AccessLogDestination::Off);
    // A file that happens to be called `stdout` is spelt as a path.
    let config = Config::parse(
        Path::new("/etc/bicorn/bicorn.toml"),
        &format!("{LISTEN}[access_log]\ndestination = \"./stdout\"\n"),
    )
    .unwrap();
    assert_eq!(
        config.access_log.destination,
        AccessLogDestination::File(PathBuf::from("/etc/bicorn/./stdout"))
    );
}

#[test]
fn relative_access_log_path_resolves_against_config_dir() {
    let config = Config::parse(
        Path::new("/etc/bicorn/bicorn.toml"),
        &format!("{LISTEN}[access_log]\ndestination = \"../log/access.log\"\n"),
    )
    .unwrap();
    assert_eq!(
        config.access_log.destination,
        AccessLogDestination::File(PathBuf::from("/etc/bicorn/../log/access.log"))
    );
}

#[test]
fn zero_flush_interval_and_zero_buffer_mean_write_at_once() {
    let config = parse(&format!(
        "{LISTEN}[access_log]\nflush_interval = 0\nbuffer = 0\n"
    ))
    .unwrap();
    assert_eq!(config.access_log.flush_interval, Duration::ZERO);
    assert_eq!(config.access_log.buffer, 0);
}

#[test]
fn empty_destination_is_rejected_with_the_choices() {
    let err = error(&format!("{LISTEN}[access_log]\ndestination = \"\"\n"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:4:15: `access_log.destination`: must be \"off\", \"stdout\" \
         or a file path, got an empty string"
    );
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
}

#[test]
fn unknown_format_lists_the_formats() {
    let err = error(&format!("{LISTEN}[access_log]\nformat = \"common\"\n"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:4:10: `access_log.format`: must be \"combined\" or \"json\", \
         got `common`"
    );
}

#[test]
fn flush_interval_outside_zero_to_a_minute_is_rejected() {
    for value in ["-1", "61", "nan"] {
        let err = error(&format!("{LISTEN}[access_log]\nflush_interval = {value}\n"));
        assert_eq!(err.key(), "access_log.flush_interval", "{value}");
        assert!(
            err.message()
                .starts_with("must be between 0 and 60 seconds"),
            "{err}"
        );
    }
}

#[test]
fn buffer_outside_zero_to_16_mib_is_rejected() {
    let err = error(&format!("{LISTEN}[access_log]\nbuffer = 16777217\n"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:4:10: `access_log.buffer`: must be between 0 and 16777216 bytes, \
         got 16777217"
    );
    let err = error(&format!("{LISTEN}[access_log]\nbuffer = -1\n"));
    assert_eq!(err.key(), "access_log.buffer");
}

#[test]
fn wrong_types_in_access_log_name_the_key() {
    let err = error(&format!("{LISTEN}[access_log]\nbuffer = \"64k\"\n"));
    assert_eq!(err.key(), "access_log.buffer");
    assert_eq!(err.kind(), ErrorKind::WrongType);
    let err = error(&format!("{LISTEN}[access_log]\ndestination = false\n"));
    assert_eq!(err.key(), "access_log.destination");
    assert_eq!(err.kind(), ErrorKind::WrongType);
}

#[test]
fn unknown_key_in_access_log_lists_the_keys() {
    let err = error(&format!("{LISTEN}[access_log]\npath = \"a.log\"\n"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:4:1: `access_log.path`: unknown key (expected one of \
         destination, format, flush_interval, buffer)"
    );
}
