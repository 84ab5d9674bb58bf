//! The only module allowed to use `unsafe`: thin, audited wrappers over the
//! Unix calls that the rest of bicorn needs and that have no safe binding.
//!
//! Owns: `fork` (guarded so it runs only in a single-threaded process), the
//! anonymous shared mapping behind the worker scoreboard, `EPOLLEXCLUSIVE`
//! registration on a mio `Poll`'s epoll fd, async-signal-safe signal
//! handlers that write to a self-pipe, adopting inherited file descriptors,
//! and a few `prctl`s. Does not own policy: callers decide what to fork,
//! which signals to catch and what a slot means.
#![allow(unsafe_code)]

mod epoll;
mod fd;
mod process;
mod shm;
mod signals;

pub use epoll::{deregister_listener, register_exclusive};
pub use fd::{adopt_fd, set_cloexec};
pub use process::{
    Fork, fork, monotonic_ms, remove_env, set_child_subreaper, set_env, thread_count,
};
pub use shm::SharedWords;
pub use signals::{install_signal_pipe, redirect_signal_pipe};
