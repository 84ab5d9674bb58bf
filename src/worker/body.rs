//! Response bodies sent over time rather than from memory: a range of an
//! open file, read in bounded chunks as the client takes them (or handed
//! to the kernel with `sendfile` on a cleartext HTTP/1.1 connection), so a
//! file of any size costs a connection at most one chunk of memory.
//!
//! A file that shrinks while it is being sent cannot be finished: the
//! framing (Content-Length, or the DATA frames' total) already promised
//! its length. The source then reports an error and the connection ends
//! the response abnormally (HTTP/1.1: close; HTTP/2: RST_STREAM).

use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use crate::app::FileRange;

/// The largest chunk read from a file at a time.
pub(crate) const CHUNK: usize = 64 * 1024;
/// The most one `sendfile` call is asked to move (the kernel moves what
/// the socket buffer takes).
const SENDFILE_MAX: usize = 1 << 20;

/// A body being sent.
#[derive(Debug)]
pub(crate) struct FileSource {
    file: Arc<File>,
    offset: u64,
    remaining: u64,
}

impl FileSource {
    pub(crate) fn new(range: FileRange) -> Self {
        Self {
            file: range.file,
            offset: range.offset,
            remaining: range.len,
        }
    }

    /// Everything is sent.
    pub(crate) fn is_done(&self) -> bool {
        self.remaining == 0
    }

    /// Append the next chunk (at most `max` octets, at most [`CHUNK`]) to
    /// `out`. Returns the octets appended (0 only when done).
    pub(crate) fn read_into(&mut self, out: &mut Vec<u8>, max: usize) -> io::Result<usize> {
        let want = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(max)
            .min(CHUNK);
        if want == 0 {
            return Ok(0);
        }
        let start = out.len();
        out.resize(start + want, 0);
        let mut filled = 0;
        while filled < want {
            match self
                .file
                .read_at(&mut out[start + filled..], self.offset + filled as u64)
            {
                Ok(0) => {
                    out.truncate(start);
                    return Err(shrunk());
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    out.truncate(start);
                    return Err(e);
                }
            }
        }
        self.offset += want as u64;
        self.remaining -= want as u64;
        Ok(want)
    }

    /// Move the next octets straight from the file to `socket` with
    /// `sendfile(2)`, until the socket would block or the range is sent.
    /// `Ok` means progress or `WouldBlock`; the caller checks
    /// [`is_done`](Self::is_done).
    pub(crate) fn send_to(&mut self, socket: impl AsFd) -> io::Result<()> {
        while self.remaining > 0 {
            let count = usize::try_from(self.remaining)
                .unwrap_or(usize::MAX)
                .min(SENDFILE_MAX);
            let mut offset = i64::try_from(self.offset).map_err(|_| shrunk())?;
            match nix::sys::sendfile::sendfile64(
                socket.as_fd(),
                self.file.as_fd(),
                Some(&mut offset),
                count,
            ) {
                Ok(0) => return Err(shrunk()),
                Ok(n) => {
                    super::tally::count_out(n);
                    self.offset += n as u64;
                    self.remaining -= n as u64;
                }
                Err(nix::errno::Errno::EAGAIN) => return Ok(()),
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

fn shrunk() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "file shrank while it was being sent",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_file(content: &[u8]) -> (std::path::PathBuf, Arc<File>) {
        let path = std::env::temp_dir().join(format!(
            "bicorn-body-{}-{}",
            std::process::id(),
            content.len()
        ));
        let mut f = File::create(&path).expect("temp file");
        f.write_all(content).expect("write");
        (path.clone(), Arc::new(File::open(&path).expect("open")))
    }

    #[test]
    fn a_range_is_read_in_bounded_chunks() {
        let content: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let (path, file) = temp_file(&content);
        let mut src = FileSource::new(FileRange {
            file,
            offset: 10,
            len: 150_000,
        });
        let mut out = Vec::new();
        let mut reads = 0;
        while !src.is_done() {
            let n = src.read_into(&mut out, usize::MAX).expect("read");
            assert!(n <= CHUNK);
            reads += 1;
        }
        assert_eq!(out, content[10..150_010]);
        assert_eq!(reads, 3);
        assert_eq!(src.read_into(&mut out, 100).expect("done"), 0);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_file_that_shrank_is_an_error_not_a_short_body() {
        let (path, file) = temp_file(&[7u8; 1000]);
        let mut src = FileSource::new(FileRange {
            file,
            offset: 0,
            len: 5000,
        });
        let mut out = Vec::new();
        let err = src.read_into(&mut out, usize::MAX).expect_err("shrunk");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(out.is_empty());
        let _ = std::fs::remove_file(path);
    }
}
