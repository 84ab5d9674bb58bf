//! The writer's stories, with explicit time and real files: nothing is
//! written before the deadline or a full buffer, everything after a flush
//! or a drop; USR1 after logrotate's rename; a disk that fails.

use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, UNIX_EPOCH};

use super::sink::{LineChunks, Sink};
use super::{AccessLog, Entry, Health, Protocol, Remote};
use crate::config::{AccessLogConfig, AccessLogDestination, AccessLogFormat};

/// A directory of its own under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bicorn-access-{}-{n}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn config(path: &Path, buffer: usize) -> AccessLogConfig {
    AccessLogConfig {
        destination: AccessLogDestination::File(path.to_path_buf()),
        format: AccessLogFormat::Combined,
        flush_interval: Duration::from_secs(1),
        buffer,
    }
}

fn open(path: &Path, buffer: usize) -> AccessLog {
    AccessLog::open(&config(path, buffer))
        .unwrap()
        .expect("a file destination is on")
}

/// A request for `target`; its combined line is 76 bytes plus the target,
/// newline included.
fn request(target: &str) -> Entry<'_> {
    Entry {
        time: UNIX_EPOCH + Duration::from_secs(971_186_136),
        remote: Remote::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        method: b"GET",
        target: target.as_bytes(),
        protocol: Protocol::Http11,
        status: 200,
        bytes: 5,
        duration: Duration::from_millis(1),
        stream: None,
        host: None,
        referer: None,
        user_agent: Some(b"test"),
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// The targets logged in `path`, in order.
fn targets(path: &Path) -> Vec<String> {
    read(path)
        .lines()
        .map(|l| l.split(' ').nth(6).unwrap_or("?").to_string())
        .collect()
}

#[test]
fn off_opens_nothing() {
    assert!(
        AccessLog::open(&AccessLogConfig::default())
            .unwrap()
            .is_none()
    );
}

#[test]
fn stdout_is_opened_as_a_descriptor_of_its_own() {
    let config = AccessLogConfig {
        destination: AccessLogDestination::Stdout,
        ..AccessLogConfig::default()
    };
    let log = AccessLog::open(&config).unwrap().expect("stdout is on");
    assert_eq!(log.sink.to_string(), "stdout");
}

#[test]
fn entries_wait_for_their_deadline() {
    let dir = Scratch::new();
    let path = dir.path("access.log");
    let mut log = open(&path, 65_536);
    let t0 = Instant::now();
    assert_eq!(log.next_flush_deadline(), None);
    log.record(&request("/a"), t0);
    log.record(&request("/b"), t0 + Duration::from_millis(600));
    // The deadline counts from the oldest entry.
    assert_eq!(log.next_flush_deadline(), Some(t0 + Duration::from_secs(1)));
    log.on_deadline(t0 + Duration::from_millis(999));
    assert_eq!(read(&path), "", "nothing before the deadline");
    log.on_deadline(t0 + Duration::from_secs(1));
    assert_eq!(targets(&path), ["/a", "/b"]);
    assert_eq!(log.next_flush_deadline(), None);
    // The next entry starts a new interval.
    let t1 = t0 + Duration::from_secs(5);
    log.record(&request("/c"), t1);
    assert_eq!(log.next_flush_deadline(), Some(t1 + Duration::from_secs(1)));
}

#[test]
fn a_full_buffer_is_written_at_once_in_one_piece() {
    let dir = Scratch::new();
    let path = dir.path("access.log");
    // Three 78-byte lines stay under 256 bytes; the fourth fills it.
    let mut log = open(&path, 256);
    let now = Instant::now();
    for target in ["/1", "/2", "/3"] {
        log.record(&request(target), now);
    }
    assert_eq!(read(&path), "");
    log.record(&request("/4"), now);
    assert_eq!(targets(&path), ["/1", "/2", "/3", "/4"]);
    assert_eq!(log.next_flush_deadline(), None);
    assert!(log.buf.is_empty());
}

#[test]
fn zero_buffer_writes_every_entry_as_it_comes() {
    let dir = Scratch::new();
    let path = dir.path("access.log");
    let mut log = open(&path, 0);
    log.record(&request("/1"), Instant::now());
    assert_eq!(targets(&path), ["/1"]);
    log.record(&request("/2"), Instant::now());
    assert_eq!(targets(&path), ["/1", "/2"]);
}

#[test]
fn flush_and_drop_write_everything_left() {
    let dir = Scratch::new();
    let path = dir.path("access.log");
    let mut log = open(&path, 65_536);
    log.record(&request("/1"), Instant::now());
    log.flush();
    assert_eq!(targets(&path), ["/1"]);
    assert_eq!(log.next_flush_deadline(), None);
    log.flush();
    assert_eq!(targets(&path), ["/1"], "an empty flush writes nothing");
    log.record(&request("/2"), Instant::now());
    drop(log);
    assert_eq!(targets(&path), ["/1", "/2"]);
}

#[test]
fn reopen_after_logrotate_renamed_the_file_splits_old_and_new_entries() {
    let dir = Scratch::new();
    let path = dir.path("access.log");
    let rotated = dir.path("access.log.1");
    let mut log = open(&path, 65_536);
    let now = Instant::now();
    log.record(&request("/before"), now);
    log.flush();
    log.record(&request("/buffered"), now);
    fs::rename(&path, &rotated).unwrap();
    // Still written to the renamed file, as the worker has it open.
    log.record(&request("/after-rename"), now);
    log.reopen();
    log.record(&request("/after-usr1"), now);
    log.flush();
    assert_eq!(targets(&rotated), ["/before", "/buffered", "/after-rename"]);
    assert_eq!(targets(&path), ["/after-usr1"]);
}

#[test]
fn failed_reopen_keeps_writing_to_the_old_file() {
    let dir = Scratch::new();
    let logs = dir.path("logs");
    fs::create_dir(&logs).unwrap();
    let path = logs.join("access.log");
    let mut log = open(&path, 65_536);
    // The directory moves away: the configured path cannot be opened.
    let moved = dir.path("moved");
    fs::rename(&logs, &moved).unwrap();
    log.record(&request("/1"), Instant::now());
    log.reopen();
    log.record(&request("/2"), Instant::now());
    log.flush();
    assert_eq!(targets(&moved.join("access.log")), ["/1", "/2"]);
    assert!(!path.exists());
}

#[test]
fn open_failure_names_the_file() {
    let dir = Scratch::new();
    let path = dir.path("missing/access.log");
    let err = AccessLog::open(&config(&path, 0)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("cannot open access log {}: ", path.display())),
        "{text}"
    );
}

#[test]
fn prepare_creates_the_file_for_the_workers_without_exposing_it() {
    let dir = Scratch::new();
    let path = dir.path("access.log");
    AccessLog::prepare(&config(&path, 0), None).unwrap();
    let mode = fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777 & !0o640, 0, "{mode:o}");
    // Nothing to prepare when off or on stdout.
    AccessLog::prepare(&AccessLogConfig::default(), None).unwrap();
    let missing = dir.path("missing/access.log");
    assert!(AccessLog::prepare(&config(&missing, 0), None).is_err());
}

#[test]
fn a_failing_disk_drops_entries_and_recovers_without_panicking() {
    let dir = Scratch::new();
    // Every write to /dev/full fails with ENOSPC.
    let mut log = open(Path::new("/dev/full"), 65_536);
    let now = Instant::now();
    log.record(&request("/1"), now);
    log.record(&request("/2"), now);
    log.flush();
    assert_eq!(log.health, Health::Failing { dropped: 2 });
    assert!(log.buf.is_empty(), "the buffer does not grow while failing");
    assert_eq!(log.next_flush_deadline(), None);
    log.record(&request("/3"), now);
    log.on_deadline(now + Duration::from_secs(1));
    assert_eq!(log.health, Health::Failing { dropped: 3 });
    // The disk has room again (here: another file).
    let path = dir.path("access.log");
    log.sink = Sink::file(&path).unwrap();
    log.record(&request("/4"), now);
    log.flush();
    assert_eq!(log.health, Health::Writing);
    assert_eq!(targets(&path), ["/4"]);
}

#[test]
fn a_line_torn_by_a_failed_write_is_ended_before_the_next_ones() {
    let dir = Scratch::new();
    let path = dir.path("access.log");
    fs::write(&path, "192.0.2.1 - - [half a line").unwrap();
    let mut log = open(&path, 65_536);
    log.torn = true;
    log.record(&request("/next"), Instant::now());
    log.flush();
    let text = read(&path);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text:?}");
    assert!(lines[1].contains(" /next "), "{text:?}");
    assert!(!log.torn);
}

#[test]
fn json_lines_carry_the_workers_pid() {
    let dir = Scratch::new();
    let path = dir.path("access.log");
    let config = AccessLogConfig {
        format: AccessLogFormat::Json,
        ..config(&path, 0)
    };
    let mut log = AccessLog::open(&config).unwrap().unwrap();
    log.record(&request("/j"), Instant::now());
    let v: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
    assert_eq!(v["pid"], std::process::id());
    assert_eq!(v["target"], "/j");
}

#[test]
fn pipe_writes_are_whole_lines_of_at_most_pipe_buf() {
    let lines: Vec<String> = (0..300)
        .map(|i| format!("line {i:04} {}\n", "x".repeat(i % 50)))
        .collect();
    let text = lines.concat();
    let chunks: Vec<&[u8]> = LineChunks::new(text.as_bytes(), 4096).collect();
    assert!(chunks.len() > 1);
    for chunk in &chunks {
        assert!(chunk.len() <= 4096);
        assert!(chunk.ends_with(b"\n"));
    }
    assert_eq!(chunks.concat(), text.as_bytes());
}

#[test]
fn a_line_longer_than_pipe_buf_goes_alone() {
    let long = format!("{}\n", "y".repeat(5000));
    let text = format!("a\n{long}b\n");
    let chunks: Vec<&[u8]> = LineChunks::new(text.as_bytes(), 4096).collect();
    assert_eq!(chunks, [b"a\n".as_slice(), long.as_bytes(), b"b\n"]);
}
