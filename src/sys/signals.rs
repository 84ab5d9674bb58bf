//! Signal handlers that only enqueue: each caught signal writes its number
//! as one byte to a self-pipe, which the process's loop reads in order.
//!
//! The pipe is the queue. A handler does two async-signal-safe things: an
//! atomic load of the pipe's fd and a non-blocking `write(2)`; if the pipe
//! is full the signal is dropped (64 KiB of queued signals means the loop
//! is not running anyway). signal-hook preserves `errno` around handlers.
//! After a fork, a worker points the handlers at its own pipe with
//! [`redirect_signal_pipe`].

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, Ordering};

static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

/// Catch `signals`, writing each one's number to `write_fd` when it arrives.
/// Call once per process image; later calls only add signals.
pub fn install_signal_pipe(write_fd: RawFd, signals: &[libc::c_int]) -> io::Result<()> {
    SIGNAL_PIPE.store(write_fd, Ordering::SeqCst);
    for &sig in signals {
        let byte = u8::try_from(sig)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "signal number"))?;
        // SAFETY: the handler is async-signal-safe: it performs an atomic
        // load and write(2) on a non-blocking pipe, allocates nothing and
        // takes no lock.
        unsafe {
            signal_hook::low_level::register(sig, move || {
                let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
                if fd >= 0 {
                    let buf = [byte];
                    libc::write(fd, buf.as_ptr().cast(), 1);
                }
            })
        }?;
    }
    Ok(())
}

/// Make the handlers write to `write_fd` from now on (a worker's own pipe).
pub fn redirect_signal_pipe(write_fd: RawFd) {
    SIGNAL_PIPE.store(write_fd, Ordering::SeqCst);
}
