//! One worker's cache of what its static-file routes found on disk, so a
//! hot file costs no system call per request.
//!
//! Entries are keyed by the candidate path (root joined with the mapped
//! request path) and remember what was found there: a directory, a file,
//! or a refusal (missing, hidden, a refused symlink), each checked under
//! the route's rules. A file's content is held in memory when small
//! (`Arc<[u8]>`, sent as `Body::Shared`); a larger file is held open
//! (`Arc<File>`, sent as `Body::File` ranges) and never read into memory.
//!
//! An entry is trusted for [`Limits::revalidate`] (1 s by default) after
//! it was checked. After that, the next lookup resolves the path again
//! (the symlink policy included) and stats it; if the file's device,
//! inode, size or mtime changed it is reopened and reread, so an edit
//! shows within a second. The cache is bounded in entries, in bytes of
//! content and in open files; past a bound the least recently used
//! entries go. A response already made keeps its own `Arc` of the content
//! or file, so eviction never cuts a transfer short.
//!
//! Host failures (EMFILE, EIO) are logged here, where the path is known,
//! and are not cached.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::date;
use super::error::Refusal;
use super::path::resolve;
use super::validators::Version;
use crate::app::{Body, FileRange};
use crate::config::FollowSymlinks;

/// Bounds of one worker's file cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Files up to this many octets are held in memory; larger ones are
    /// held open and sent from the file. Default 1 MiB.
    pub small_file: u64,
    /// Most entries (files, directories and misses). Default 4096.
    pub entries: usize,
    /// Most octets of small-file content held. Default 32 MiB.
    pub bytes: usize,
    /// Most large files held open. Default 256.
    pub open_files: usize,
    /// How long an entry is used without checking the disk. Default 1 s.
    pub revalidate: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            small_file: 1 << 20,
            entries: 4096,
            bytes: 32 << 20,
            open_files: 256,
            revalidate: Duration::from_secs(1),
        }
    }
}

/// The rules an entry was checked under: the same path may be reached
/// by routes with different roots or policies, and must be checked again
/// for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rules {
    /// Length of the root's path in the key (which starts with it).
    pub(super) root_len: usize,
    pub(super) follow: FollowSymlinks,
    pub(super) dotfiles: bool,
}

/// What a lookup found.
#[derive(Debug, Clone)]
pub(super) enum Found {
    Dir,
    File(Arc<FileEntry>),
}

/// One version of one file.
#[derive(Debug)]
pub(super) struct FileEntry {
    pub(super) version: Version,
    pub(super) content: Content,
    /// The ETag value, quotes included.
    pub(super) etag: Arc<str>,
    /// The mtime as an IMF-fixdate (before clamping to the clock).
    pub(super) last_modified: Arc<str>,
}

/// Where a file's octets are.
#[derive(Debug)]
pub(super) enum Content {
    Memory(Arc<[u8]>),
    Open(Arc<File>),
}

impl FileEntry {
    /// The representation's length.
    pub(super) fn len(&self) -> u64 {
        match &self.content {
            Content::Memory(data) => data.len() as u64,
            Content::Open(_) => self.version.len,
        }
    }

    /// `len` octets from `first`, which the caller has checked lie within
    /// [`len`](Self::len) (out-of-range values are clamped, not trusted).
    pub(super) fn body(&self, first: u64, len: u64) -> Body {
        let total = self.len();
        let first = first.min(total);
        let len = len.min(total - first);
        match &self.content {
            Content::Memory(data) => {
                // Both are at most data.len(), a usize.
                let start = usize::try_from(first).unwrap_or(data.len());
                let end = usize::try_from(first + len).unwrap_or(data.len());
                Body::Shared {
                    data: data.clone(),
                    start,
                    end,
                }
            }
            Content::Open(file) => Body::File(FileRange {
                file: file.clone(),
                offset: first,
                len,
            }),
        }
    }
}

/// What is known about one candidate path.
#[derive(Debug)]
enum State {
    Refused(Refusal),
    Dir,
    File(Arc<FileEntry>),
}

#[derive(Debug)]
struct Slot {
    rules: Rules,
    checked: Instant,
    /// Lookup count when last used, for least-recently-used eviction.
    used: u64,
    state: State,
}

/// The cache itself. See the module doc.
#[derive(Debug)]
pub(super) struct Cache {
    limits: Limits,
    /// By the file's path as octets (root and mapped segments, always
    /// in the same normal form): hashing a `Path` walks its components,
    /// which cost a few percent of a worker serving small files.
    slots: HashMap<OsString, Slot>,
    /// Octets of `Content::Memory` held.
    bytes: usize,
    /// `Content::Open` files held.
    open: usize,
    /// Lookups so far (the LRU clock).
    tick: u64,
    /// Reused to build keys, so a hit does not allocate.
    key: PathBuf,
}

impl Cache {
    pub(super) fn new(limits: Limits) -> Cache {
        Cache {
            limits,
            slots: HashMap::new(),
            bytes: 0,
            open: 0,
            tick: 0,
            key: PathBuf::new(),
        }
    }

    /// What is at `root/rel` under the route's rules, from the cache if
    /// it was checked less than `revalidate` before `now`.
    pub(super) fn lookup(
        &mut self,
        root: &Path,
        rel: &Path,
        follow: FollowSymlinks,
        dotfiles: bool,
        now: Instant,
    ) -> Result<Found, Refusal> {
        self.tick += 1;
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        key.push(root);
        if !rel.as_os_str().is_empty() {
            key.push(rel);
        }
        let rules = Rules {
            root_len: root.as_os_str().len(),
            follow,
            dotfiles,
        };
        let result = self.lookup_key(root, &key, rules, now);
        self.key = key;
        result
    }

    fn lookup_key(
        &mut self,
        root: &Path,
        key: &Path,
        rules: Rules,
        now: Instant,
    ) -> Result<Found, Refusal> {
        let tick = self.tick;
        let mut previous = None;
        if let Some(slot) = self.slots.get_mut(key.as_os_str())
            && slot.rules == rules
        {
            if now.duration_since(slot.checked) < self.limits.revalidate {
                slot.used = tick;
                return slot.state.found();
            }
            if let State::File(entry) = &slot.state {
                previous = Some(entry.clone());
            }
        }
        let state = match self.load(root, key, rules, previous) {
            Ok(state) => state,
            Err(refusal) => {
                log::error!("static file {}: {refusal}", key.display());
                return Err(refusal);
            }
        };
        let found = state.found();
        self.insert(
            key.as_os_str().to_os_string(),
            Slot {
                rules,
                checked: now,
                used: tick,
                state,
            },
        );
        found
    }

    /// Checks the disk. `Err` only for host failures, which are not
    /// cached; refusals are a state like any other.
    fn load(
        &self,
        root: &Path,
        candidate: &Path,
        rules: Rules,
        previous: Option<Arc<FileEntry>>,
    ) -> Result<State, Refusal> {
        let refused = |r: Refusal| match r {
            Refusal::Io(_) => Err(r),
            r => Ok(State::Refused(r)),
        };
        let real = match resolve(root, candidate, rules.follow, rules.dotfiles) {
            Ok(real) => real,
            Err(r) => return refused(r),
        };
        let meta = match fs::metadata(&real) {
            Ok(meta) => meta,
            Err(e) => return refused(Refusal::from_io(&e)),
        };
        if meta.is_dir() {
            return Ok(State::Dir);
        }
        if !meta.is_file() {
            return Ok(State::Refused(Refusal::NotFound));
        }
        if let Some(previous) = previous
            && previous.version == Version::of(&meta)
        {
            return Ok(State::File(previous));
        }
        match self.open(&real) {
            Ok(state) => Ok(state),
            Err(e) => refused(Refusal::from_io(&e)),
        }
    }

    /// Opens a regular file and takes its version from the open file.
    /// `O_NONBLOCK`: should the path have become a FIFO since it was
    /// stat'ed, opening it must not wait for a writer (regular files
    /// ignore the flag). `O_NOFOLLOW`: `path` is canonical, so a link
    /// there now is a swap made after the policy check.
    fn open(&self, path: &Path) -> std::io::Result<State> {
        let mut file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Ok(State::Refused(Refusal::NotFound));
        }
        let mut version = Version::of(&meta);
        let content = if version.len <= self.limits.small_file {
            // At most small_file octets, so the capacity fits.
            let mut data = Vec::with_capacity(usize::try_from(version.len).unwrap_or(0));
            file.read_to_end(&mut data)?;
            // Changed while read: describe what was read; the next
            // revalidation sees the file's real size and reloads.
            version.len = data.len() as u64;
            Content::Memory(Arc::from(data))
        } else {
            Content::Open(Arc::new(file))
        };
        Ok(State::File(Arc::new(FileEntry {
            etag: Arc::from(version.etag()),
            last_modified: Arc::from(date::format(version.mtime_secs())),
            version,
            content,
        })))
    }

    fn insert(&mut self, key: OsString, slot: Slot) {
        self.account(&slot.state, true);
        if let Some(old) = self.slots.insert(key.clone(), slot) {
            self.account(&old.state, false);
        }
        while self.slots.len() > self.limits.entries
            || self.bytes > self.limits.bytes
            || self.open > self.limits.open_files
        {
            let victim = self
                .slots
                .iter()
                .filter(|(k, _)| **k != key)
                .min_by_key(|(_, s)| s.used)
                .map(|(k, _)| k.clone());
            let Some(victim) = victim else { break };
            if let Some(old) = self.slots.remove(&victim) {
                self.account(&old.state, false);
            }
        }
    }

    /// Counts (or uncounts) what a state holds against the bounds.
    fn account(&mut self, state: &State, add: bool) {
        let State::File(entry) = state else { return };
        match &entry.content {
            Content::Memory(data) if add => self.bytes += data.len(),
            Content::Memory(data) => self.bytes = self.bytes.saturating_sub(data.len()),
            Content::Open(_) if add => self.open += 1,
            Content::Open(_) => self.open = self.open.saturating_sub(1),
        }
    }

    /// Entries, content octets and open files held (for tests).
    #[cfg(test)]
    pub(super) fn held(&self) -> (usize, usize, usize) {
        (self.slots.len(), self.bytes, self.open)
    }
}

impl State {
    fn found(&self) -> Result<Found, Refusal> {
        match self {
            State::Refused(r) => Err(*r),
            State::Dir => Ok(Found::Dir),
            State::File(entry) => Ok(Found::File(entry.clone())),
        }
    }
}

#[cfg(test)]
mod tests;
