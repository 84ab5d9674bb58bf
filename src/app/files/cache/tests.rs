//! Cache stories: small files in memory, large ones held open, changes
//! seen after the revalidation interval and not before, misses cached
//! too, rules checked per route, and the bounds.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Cache, Content, FileEntry, Found, Limits};
use crate::app::Body;
use crate::app::files::error::Refusal;
use crate::app::files::tests::TempDir;
use crate::config::FollowSymlinks;

const SECOND: Duration = Duration::from_secs(1);

fn limits() -> Limits {
    Limits {
        small_file: 16,
        ..Limits::default()
    }
}

fn file(cache: &mut Cache, root: &Path, rel: &str, now: Instant) -> Arc<FileEntry> {
    match cache.lookup(root, Path::new(rel), FollowSymlinks::Inside, false, now) {
        Ok(Found::File(entry)) => entry,
        other => panic!("{rel}: a file, got {other:?}"),
    }
}

fn bytes(entry: &FileEntry) -> Vec<u8> {
    match entry.body(0, entry.len()) {
        Body::Shared { data, start, end } => data[start..end].to_vec(),
        other => panic!("small files are shared from memory, got {other:?}"),
    }
}

#[test]
fn a_small_file_is_held_in_memory_with_its_validators() {
    let tmp = TempDir::new();
    let root = tmp.root();
    std::fs::write(root.join("a.txt"), "hello").unwrap();
    let mut cache = Cache::new(limits());
    let entry = file(&mut cache, &root, "a.txt", Instant::now());
    assert!(matches!(entry.content, Content::Memory(_)));
    assert_eq!(bytes(&entry), b"hello");
    assert_eq!(entry.len(), 5);
    assert!(
        entry.etag.starts_with("\"5-") && entry.etag.ends_with('"'),
        "{}",
        entry.etag
    );
    assert!(entry.last_modified.ends_with(" GMT"));
    assert_eq!(cache.held(), (1, 5, 0));
}

#[test]
fn a_rewritten_file_is_seen_after_the_revalidation_second_and_not_before() {
    let tmp = TempDir::new();
    let root = tmp.root();
    std::fs::write(root.join("a.txt"), "one").unwrap();
    let mut cache = Cache::new(limits());
    let t0 = Instant::now();
    let first = file(&mut cache, &root, "a.txt", t0);
    std::fs::write(root.join("a.txt"), "three").unwrap();
    let within = file(&mut cache, &root, "a.txt", t0 + SECOND / 2);
    assert!(Arc::ptr_eq(&first, &within), "trusted for a second");
    let after = file(&mut cache, &root, "a.txt", t0 + SECOND);
    assert_eq!(bytes(&after), b"three");
    assert_ne!(after.etag, first.etag);
    assert_eq!(
        cache.held(),
        (1, 5, 0),
        "the old content is no longer counted"
    );
}

#[test]
fn an_unchanged_file_keeps_its_entry_across_revalidation() {
    let tmp = TempDir::new();
    let root = tmp.root();
    std::fs::write(root.join("a.txt"), "same").unwrap();
    let mut cache = Cache::new(limits());
    let t0 = Instant::now();
    let first = file(&mut cache, &root, "a.txt", t0);
    let later = file(&mut cache, &root, "a.txt", t0 + 5 * SECOND);
    assert!(Arc::ptr_eq(&first, &later));
    assert_eq!(cache.held(), (1, 4, 0));
}

#[test]
fn a_large_file_is_held_open_and_never_read_into_memory() {
    let tmp = TempDir::new();
    let root = tmp.root();
    std::fs::write(root.join("big.bin"), vec![7u8; 100]).unwrap();
    let mut cache = Cache::new(limits());
    let entry = file(&mut cache, &root, "big.bin", Instant::now());
    assert!(matches!(entry.content, Content::Open(_)));
    assert_eq!(entry.len(), 100);
    match entry.body(90, 10) {
        Body::File(range) => assert_eq!((range.offset, range.len), (90, 10)),
        other => panic!("a file range, got {other:?}"),
    }
    match entry.body(95, 10) {
        Body::File(range) => assert_eq!((range.offset, range.len), (95, 5), "clamped"),
        other => panic!("a file range, got {other:?}"),
    }
    assert_eq!(cache.held(), (1, 0, 1));
}

#[test]
fn a_miss_is_remembered_for_the_revalidation_second() {
    let tmp = TempDir::new();
    let root = tmp.root();
    let mut cache = Cache::new(limits());
    let t0 = Instant::now();
    let look = |cache: &mut Cache, at| {
        cache
            .lookup(
                &root,
                Path::new("new.txt"),
                FollowSymlinks::Inside,
                false,
                at,
            )
            .map(|_| ())
    };
    assert_eq!(look(&mut cache, t0), Err(Refusal::NotFound));
    std::fs::write(root.join("new.txt"), "x").unwrap();
    assert_eq!(look(&mut cache, t0 + SECOND / 2), Err(Refusal::NotFound));
    assert_eq!(look(&mut cache, t0 + SECOND), Ok(()));
}

#[test]
fn directories_are_found_as_such() {
    let tmp = TempDir::new();
    let root = tmp.root();
    std::fs::create_dir(root.join("sub")).unwrap();
    let mut cache = Cache::new(limits());
    let now = Instant::now();
    let found = cache.lookup(&root, Path::new("sub"), FollowSymlinks::Inside, false, now);
    assert!(matches!(found, Ok(Found::Dir)));
    let found = cache.lookup(&root, Path::new(""), FollowSymlinks::Inside, false, now);
    assert!(matches!(found, Ok(Found::Dir)), "the root itself");
}

#[test]
fn the_same_path_is_checked_again_under_another_routes_rules() {
    let tmp = TempDir::new();
    let root = tmp.root();
    std::fs::write(tmp.path().join("outside.txt"), "out").unwrap();
    std::os::unix::fs::symlink("../outside.txt", root.join("link.txt")).unwrap();
    let mut cache = Cache::new(limits());
    let now = Instant::now();
    let rel = Path::new("link.txt");
    let inside = cache.lookup(&root, rel, FollowSymlinks::Inside, false, now);
    assert!(matches!(inside, Err(Refusal::SymlinkRefused)));
    let any = cache.lookup(&root, rel, FollowSymlinks::Any, false, now);
    assert!(matches!(any, Ok(Found::File(_))), "{any:?}");
    let inside = cache.lookup(&root, rel, FollowSymlinks::Inside, false, now);
    assert!(
        matches!(inside, Err(Refusal::SymlinkRefused)),
        "not the other route's answer"
    );
}

#[test]
fn a_fifo_is_not_a_file_and_is_never_opened() {
    let tmp = TempDir::new();
    let root = tmp.root();
    nix::unistd::mkfifo(&root.join("pipe"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    let mut cache = Cache::new(limits());
    let found = cache.lookup(
        &root,
        Path::new("pipe"),
        FollowSymlinks::Inside,
        false,
        Instant::now(),
    );
    assert!(matches!(found, Err(Refusal::NotFound)), "{found:?}");
}

#[test]
fn entries_beyond_the_bound_evict_the_least_recently_used() {
    let tmp = TempDir::new();
    let root = tmp.root();
    for name in ["a", "b", "c"] {
        std::fs::write(root.join(name), name).unwrap();
    }
    let mut cache = Cache::new(Limits {
        entries: 2,
        ..limits()
    });
    let now = Instant::now();
    let a = file(&mut cache, &root, "a", now);
    file(&mut cache, &root, "b", now);
    file(&mut cache, &root, "a", now);
    file(&mut cache, &root, "c", now);
    assert_eq!(cache.held().0, 2);
    assert!(
        Arc::ptr_eq(&a, &file(&mut cache, &root, "a", now)),
        "a was used last, b went"
    );
}

#[test]
fn content_bytes_and_open_files_are_bounded() {
    let tmp = TempDir::new();
    let root = tmp.root();
    for name in ["s1", "s2", "s3"] {
        std::fs::write(root.join(name), [1u8; 10]).unwrap();
    }
    for name in ["l1", "l2", "l3"] {
        std::fs::write(root.join(name), [1u8; 100]).unwrap();
    }
    let mut cache = Cache::new(Limits {
        bytes: 25,
        open_files: 2,
        ..limits()
    });
    let now = Instant::now();
    for name in ["s1", "s2", "s3", "l1", "l2", "l3"] {
        let entry = file(&mut cache, &root, name, now);
        assert!(entry.len() > 0);
    }
    let (_, bytes, open) = cache.held();
    assert!(bytes <= 25, "{bytes}");
    assert!(open <= 2, "{open}");
}

#[test]
fn a_response_keeps_its_content_after_eviction() {
    let tmp = TempDir::new();
    let root = tmp.root();
    std::fs::write(root.join("a"), "kept").unwrap();
    std::fs::write(root.join("b"), "next").unwrap();
    let mut cache = Cache::new(Limits {
        entries: 1,
        ..limits()
    });
    let now = Instant::now();
    let body = file(&mut cache, &root, "a", now).body(0, 4);
    file(&mut cache, &root, "b", now);
    let Body::Shared { data, start, end } = body else {
        panic!("shared");
    };
    assert_eq!(&data[start..end], b"kept");
}
