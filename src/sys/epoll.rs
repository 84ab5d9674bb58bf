//! `EPOLLEXCLUSIVE` registration of listening sockets on a mio `Poll`.
//!
//! mio has no flag for it, but it stores the token in `epoll_event.u64`, so
//! registering the fd ourselves on the Poll's epoll fd yields ordinary mio
//! events. With every worker's epoll registered exclusively, a new
//! connection wakes one idle worker instead of all of them (no thundering
//! herd), and a busy worker is skipped. `EPOLL_CTL_MOD` is not allowed on
//! an exclusive registration, so stopping accepting is a delete.

use std::io;
use std::os::fd::RawFd;

/// Add `fd` to the epoll instance `epfd` for `EPOLLIN | EPOLLEXCLUSIVE`,
/// level-triggered, reporting `token` (mio's `Token.0`).
pub fn register_exclusive(epfd: RawFd, fd: RawFd, token: usize) -> io::Result<()> {
    let mut event = libc::epoll_event {
        events: (libc::EPOLLIN | libc::EPOLLEXCLUSIVE) as u32,
        u64: token as u64,
    };
    // SAFETY: `event` is a valid epoll_event for the duration of the call;
    // epoll_ctl does not keep the pointer.
    let rc = unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd, &mut event) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Remove `fd` from the epoll instance `epfd`.
pub fn deregister_listener(epfd: RawFd, fd: RawFd) -> io::Result<()> {
    // SAFETY: EPOLL_CTL_DEL ignores the event argument (null is allowed since
    // Linux 2.6.9).
    let rc = unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
