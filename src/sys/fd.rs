//! Taking ownership of inherited file descriptors, and close-on-exec.

use std::collections::BTreeSet;
use std::io;
use std::os::fd::{AsFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

use nix::fcntl::{FcntlArg, FdFlag, fcntl};

/// Numbers adopted so far: each may be adopted once per process.
static ADOPTED: Mutex<BTreeSet<RawFd>> = Mutex::new(BTreeSet::new());

/// Take ownership of an fd inherited from a parent (systemd's `LISTEN_FDS`
/// or a predecessor master). Fails if the fd is not open, is stdin, stdout
/// or stderr, or was adopted before: two owners of one number would close
/// it twice, the second time closing whatever reused the number.
pub fn adopt_fd(raw: RawFd) -> io::Result<OwnedFd> {
    if raw < 3 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("fd {raw} is not an inherited socket"),
        ));
    }
    let mut adopted = ADOPTED.lock().unwrap_or_else(|e| e.into_inner());
    if !adopted.insert(raw) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("fd {raw} is named twice"),
        ));
    }
    // SAFETY: F_GETFD reads flags of an fd number; it is harmless on any
    // number and fails with EBADF when the fd is not open.
    let rc = unsafe { libc::fcntl(raw, libc::F_GETFD) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the fd is open (checked above), above stderr, and handed to
    // this process by exec; ADOPTED guarantees this is the only OwnedFd
    // ever made from this number in this process.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    set_cloexec(&fd, true)?;
    Ok(fd)
}

/// Set or clear `FD_CLOEXEC`.
pub fn set_cloexec(fd: &impl AsFd, on: bool) -> io::Result<()> {
    let flags = FdFlag::from_bits_truncate(fcntl(fd.as_fd(), FcntlArg::F_GETFD)?);
    let flags = if on {
        flags | FdFlag::FD_CLOEXEC
    } else {
        flags - FdFlag::FD_CLOEXEC
    };
    fcntl(fd.as_fd(), FcntlArg::F_SETFD(flags))?;
    Ok(())
}
