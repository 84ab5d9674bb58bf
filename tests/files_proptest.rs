//! Property tests for the static-file layer: whatever path and fields a
//! client sends, `StaticFiles::serve` never panics, never answers with a
//! file from outside the root (nor a hidden one when dotfiles are off),
//! and every partial body it gives agrees with its Content-Range.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Instant, SystemTime};

use bicorn::app::files::StaticFiles;
use bicorn::app::{Body, FieldPairs, Reply, Request};
use bicorn::config::{FilesRoute, FollowSymlinks};
use proptest::prelude::*;

/// What the file outside the root holds; no reply may contain it.
const SECRET: &[u8] = b"SECRET-OUTSIDE-THE-ROOT";
/// What a dotfile inside the root holds; only a route serving dotfiles
/// may send it.
const HIDDEN: &[u8] = b"HIDDEN-CONTENT";

/// A site made once per test run: a root with files, a directory and
/// links in and out, and a secret beside the root.
fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("bicorn-files-prop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let root = dir.join("www");
        std::fs::create_dir_all(root.join("d")).unwrap();
        std::fs::write(dir.join("secret.txt"), SECRET).unwrap();
        std::fs::write(root.join(".hidden"), HIDDEN).unwrap();
        std::fs::write(root.join("a.txt"), "0123456789").unwrap();
        std::fs::write(root.join("a.txt.gz"), "GZ").unwrap();
        std::fs::write(root.join("d/index.html"), "<p>d</p>").unwrap();
        std::fs::write(root.join("big.bin"), vec![b'b'; 3000]).unwrap();
        std::os::unix::fs::symlink("../secret.txt", root.join("out")).unwrap();
        std::os::unix::fs::symlink(".hidden", root.join("to-hidden")).unwrap();
        std::os::unix::fs::symlink("d", root.join("in")).unwrap();
        std::fs::canonicalize(root).unwrap()
    })
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_string()),
        Just(".".to_string()),
        Just("%2e%2e".to_string()),
        Just("%2E".to_string()),
        Just("%2f".to_string()),
        Just("%252e%252e".to_string()),
        Just("%5c".to_string()),
        Just("\\".to_string()),
        Just("%00".to_string()),
        Just("".to_string()),
        Just("a.txt".to_string()),
        Just("big.bin".to_string()),
        Just("d".to_string()),
        Just("in".to_string()),
        Just("out".to_string()),
        Just("to-hidden".to_string()),
        Just(".hidden".to_string()),
        Just("secret.txt".to_string()),
        Just("index.html".to_string()),
        "[ -~]{0,6}",
    ]
}

fn target() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(segment(), 0..6),
        any::<bool>(),
        "(\\?[ -~]{0,8})?",
    )
        .prop_map(|(segments, slash, query)| {
            let mut t = format!("/{}", segments.join("/"));
            if slash {
                t.push('/');
            }
            t + &query
        })
}

fn range() -> impl Strategy<Value = String> {
    prop_oneof![
        "bytes=[0-9]{0,5}-[0-9]{0,5}",
        "bytes=-[0-9]{0,25}",
        "bytes=[0-9]{0,25}-",
        "bytes=[0-9]{1,4}-[0-9]{1,4},[0-9]{0,4}-[0-9]{0,4}",
        "[ -~]{0,16}",
    ]
}

fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_string()),
        Just("W/\"x\"".to_string()),
        Just("Sun, 06 Nov 1994 08:49:37 GMT".to_string()),
        Just("gzip;q=0.5, br, *;q=0".to_string()),
        "[ -~]{0,24}",
    ]
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_string()),
        Just("HEAD".to_string()),
        Just("OPTIONS".to_string()),
        "[A-Z]{1,7}",
    ]
}

fn body(reply: &Reply) -> Vec<u8> {
    match &reply.body {
        Body::Empty => Vec::new(),
        Body::Owned(v) => v.clone(),
        Body::Shared { data, start, end } => data.get(*start..*end).expect("in range").to_vec(),
        Body::File(range) => {
            let mut out = vec![0; usize::try_from(range.len).unwrap()];
            range.file.read_exact_at(&mut out, range.offset).unwrap();
            out
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_request_is_answered_within_the_root_and_describes_its_body(
        method in method(),
        target in target(),
        range in range(),
        if_range in field_value(),
        conditional in field_value(),
        accept in field_value(),
        dotfiles in any::<bool>(),
        precompressed in any::<bool>(),
        listing in any::<bool>(),
    ) {
        let route = FilesRoute {
            root: root().clone(),
            listing,
            dotfiles,
            follow_symlinks: FollowSymlinks::Inside,
            precompressed,
        };
        let fields = [
            ("range", range.as_str()),
            ("if-range", if_range.as_str()),
            ("if-none-match", conditional.as_str()),
            ("if-modified-since", conditional.as_str()),
            ("accept-encoding", accept.as_str()),
        ];
        let fields = FieldPairs(&fields);
        let req = Request { method: method.as_bytes(), target: target.as_bytes(), fields: &fields };
        let mut files = StaticFiles::new();
        let reply = files.serve(&route, &[], req.path(), &req, Instant::now(), SystemTime::now());
        prop_assert!(
            [200, 204, 206, 301, 304, 400, 404, 405, 412, 416].contains(&reply.status),
            "{} for {target}", reply.status
        );
        let octets = body(&reply);
        prop_assert!(
            !octets.windows(SECRET.len()).any(|w| w == SECRET),
            "{target} reached a file outside the root"
        );
        if !dotfiles {
            prop_assert!(
                !octets.windows(HIDDEN.len()).any(|w| w == HIDDEN),
                "{target} reached a hidden file"
            );
        }
        if reply.status == 206 {
            let content_range = reply.field("content-range").expect("206 has content-range");
            let (span, total) = content_range
                .strip_prefix("bytes ")
                .and_then(|r| r.split_once('/'))
                .expect("bytes first-last/total");
            let (first, last) = span.split_once('-').expect("first-last");
            let (first, last): (u64, u64) = (first.parse().unwrap(), last.parse().unwrap());
            let total: u64 = total.parse().unwrap();
            prop_assert!(first <= last && last < total, "{content_range}");
            prop_assert_eq!(octets.len() as u64, last - first + 1);
        }
        if reply.status == 304 {
            prop_assert!(octets.is_empty());
            prop_assert!(reply.field("etag").is_some());
        }
    }
}
