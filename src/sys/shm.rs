//! An anonymous `MAP_SHARED` mapping viewed as a slice of `AtomicU64`.
//!
//! The master maps it before forking; every worker inherits the same pages,
//! so a store by a worker is seen by the master. Callers give the words a
//! meaning (see `supervisor::scoreboard`); this file only guarantees that the
//! memory is mapped, zeroed, aligned and lives as long as the value.

use std::io;
use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};

/// A shared, zero-initialised array of atomic 64-bit words.
#[derive(Debug)]
pub struct SharedWords {
    ptr: NonNull<AtomicU64>,
    len: usize,
}

// SAFETY: the memory is only reached through `&[AtomicU64]`, and atomics are
// Sync; the mapping itself is not tied to a thread.
unsafe impl Send for SharedWords {}
// SAFETY: as above; all access is atomic.
unsafe impl Sync for SharedWords {}

impl SharedWords {
    /// Map `len` zeroed words shared with future children.
    pub fn new(len: usize) -> io::Result<Self> {
        let bytes = len
            .checked_mul(std::mem::size_of::<AtomicU64>())
            .and_then(NonZeroUsize::new)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad scoreboard size"))?;
        // SAFETY: a fresh anonymous mapping at an address of the kernel's
        // choosing aliases no Rust object.
        let ptr = unsafe {
            mmap_anonymous(
                None,
                bytes,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
            )
        }?;
        Ok(Self {
            ptr: ptr.cast(),
            len,
        })
    }

    /// The words. Anonymous mappings are zero-filled and page-aligned, and
    /// zero is a valid `AtomicU64`.
    pub fn words(&self) -> &[AtomicU64] {
        // SAFETY: `ptr` points to `len` words mapped read-write for the life
        // of `self`, page-aligned (so aligned for AtomicU64) and
        // zero-initialised by the kernel; all mutation goes through atomics.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for SharedWords {
    fn drop(&mut self) {
        let bytes = self.len * std::mem::size_of::<AtomicU64>();
        // SAFETY: unmaps exactly the region mapped in `new`; no reference
        // from `words()` can outlive `self`.
        let _ = unsafe { munmap(self.ptr.cast(), bytes) };
    }
}
