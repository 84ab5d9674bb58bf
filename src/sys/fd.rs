//! Taking ownership of inherited file descriptors, and close-on-exec.

use std::io;
use std::os::fd::{AsFd, FromRawFd, OwnedFd, RawFd};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};

/// Take ownership of an fd inherited from a parent (systemd's `LISTEN_FDS`
/// or a predecessor master). Fails if the fd is not open. Each fd number
/// must be adopted once; callers remove the environment that named it.
pub fn adopt_fd(raw: RawFd) -> io::Result<OwnedFd> {
    if raw < 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "negative fd"));
    }
    // SAFETY: F_GETFD reads flags of an fd number; it is harmless on any
    // number and fails with EBADF when the fd is not open.
    let rc = unsafe { libc::fcntl(raw, libc::F_GETFD) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the fd is open (checked above) and was handed to this process
    // by exec; no other owner exists in this process because callers adopt
    // each inherited number exactly once.
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
