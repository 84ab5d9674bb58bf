//! Loader for the HPACK interop corpus (http2jp/hpack-test-case subset in
//! the shared reference tree; its README.md describes the JSON). Shared by
//! `tests/hpack_corpus.rs` and `benches/hpack.rs` through `#[path]`.
//!
//! The corpus is found at `$CARGO_MANIFEST_DIR/../shared/reference/
//! hpack-test-case` or `/work/shared/reference/hpack-test-case`. If neither
//! exists the caller panics: a missing corpus must fail, not skip.

use std::path::{Path, PathBuf};

/// The six encoder directories, each with stories that carry `wire`.
pub(crate) const ENCODER_DIRS: [&str; 6] = [
    "go-hpack",
    "haskell-http2-linear",
    "nghttp2",
    "nghttp2-16384-4096",
    "nghttp2-change-table-size",
    "python-hpack",
];

/// One header block of a story.
#[derive(Debug)]
pub(crate) struct Case {
    /// SETTINGS_HEADER_TABLE_SIZE acknowledged just before this block.
    pub(crate) header_table_size: Option<usize>,
    /// The encoded block (absent in `raw-data`).
    pub(crate) wire: Option<Vec<u8>>,
    pub(crate) headers: Vec<(Vec<u8>, Vec<u8>)>,
}

/// One `story_NN.json`: blocks sharing one HPACK context, in order.
#[derive(Debug)]
pub(crate) struct Story {
    pub(crate) path: PathBuf,
    pub(crate) cases: Vec<Case>,
}

/// The corpus root directory.
pub(crate) fn root() -> PathBuf {
    let candidates = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/hpack-test-case"),
        PathBuf::from("/work/shared/reference/hpack-test-case"),
    ];
    candidates
        .into_iter()
        .find(|path| path.join("README.md").is_file())
        .expect("HPACK corpus not found next to the crate nor in /work/shared/reference")
}

/// Every story of `dir` (e.g. "nghttp2" or "raw-data"), sorted by name.
pub(crate) fn stories(dir: &str) -> Vec<Story> {
    let dir = root().join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths.into_iter().map(|path| load(&path)).collect()
}

fn load(path: &Path) -> Story {
    let text = std::fs::read_to_string(path).expect("readable story");
    let json: serde_json::Value = serde_json::from_str(&text).expect("story is JSON");
    let cases = json["cases"]
        .as_array()
        .expect("story has cases")
        .iter()
        .map(|case| Case {
            header_table_size: case["header_table_size"]
                .as_u64()
                .map(|n| usize::try_from(n).expect("table size fits usize")),
            wire: case["wire"].as_str().map(hex),
            headers: case["headers"]
                .as_array()
                .expect("case has headers")
                .iter()
                .map(|field| {
                    let (name, value) = field
                        .as_object()
                        .and_then(|o| o.iter().next())
                        .expect("header is a one-pair object");
                    let value = value.as_str().expect("header value is a string");
                    (name.as_bytes().to_vec(), value.as_bytes().to_vec())
                })
                .collect(),
        })
        .collect();
    Story {
        path: path.to_path_buf(),
        cases,
    }
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}
