//! Process-level calls: a guarded `fork`, the monotonic clock shared by all
//! processes of a server, and `PR_SET_CHILD_SUBREAPER`.

use std::io;

use nix::time::{ClockId, clock_gettime};
use nix::unistd::Pid;

/// Which side of a `fork` this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fork {
    /// The caller, with the new child's pid.
    Parent(Pid),
    /// The new process.
    Child,
}

/// Number of threads of this process, read from `/proc/self/task`.
pub fn thread_count() -> io::Result<usize> {
    Ok(std::fs::read_dir("/proc/self/task")?.count())
}

/// `fork(2)`, refused unless this process has exactly one thread.
///
/// After a fork only async-signal-safe calls are sound in the child of a
/// multi-threaded parent; bicorn's master is single-threaded by design, and
/// this check turns a violation of that design into an error instead of a
/// rare deadlock in a child.
pub fn fork() -> io::Result<Fork> {
    let threads = thread_count()?;
    if threads != 1 {
        return Err(io::Error::other(format!(
            "refusing to fork a process with {threads} threads"
        )));
    }
    // SAFETY: the process has exactly one thread (checked just above), so the
    // child inherits no lock held by another thread and may run any code.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Parent { child } => Ok(Fork::Parent(child)),
        nix::unistd::ForkResult::Child => Ok(Fork::Child),
    }
}

/// Milliseconds of `CLOCK_MONOTONIC`: the same clock in every process of the
/// machine, so a worker's heartbeat can be read by its master.
pub fn monotonic_ms() -> u64 {
    match clock_gettime(ClockId::CLOCK_MONOTONIC) {
        Ok(ts) => (ts.tv_sec() as u64) * 1000 + (ts.tv_nsec() as u64) / 1_000_000,
        // CLOCK_MONOTONIC cannot fail on Linux; 0 reads as "very old", which
        // errs on the side of noticing a problem.
        Err(_) => 0,
    }
}

/// Make this process adopt orphaned descendants (`PR_SET_CHILD_SUBREAPER`).
///
/// Used by tests so a master re-parented after a binary upgrade becomes
/// their child and can be reaped.
pub fn set_child_subreaper() -> io::Result<()> {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes one integer argument and touches
    // no memory of ours.
    let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Remove environment variables. Refused (returning an error) when the
/// process has more than one thread, where it would race with `getenv`.
pub fn remove_env(keys: &[&str]) -> io::Result<()> {
    single_threaded()?;
    for key in keys {
        // SAFETY: the process has one thread (checked above), so no other
        // thread can read the environment concurrently.
        unsafe { std::env::remove_var(key) };
    }
    Ok(())
}

/// Set an environment variable, under the same rule as [`remove_env`].
pub fn set_env(key: &str, value: &str) -> io::Result<()> {
    single_threaded()?;
    // SAFETY: single-threaded, checked above.
    unsafe { std::env::set_var(key, value) };
    Ok(())
}

fn single_threaded() -> io::Result<()> {
    match thread_count()? {
        1 => Ok(()),
        n => Err(io::Error::other(format!(
            "cannot change the environment with {n} threads running"
        ))),
    }
}
