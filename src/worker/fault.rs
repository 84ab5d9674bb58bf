//! Fault injection for the process tests, compiled into debug builds only.
//!
//! `BICORN_TEST_FAULT` selects a fault; a release build (`cargo build
//! --release`, what operators deploy) has no such code at all, so it cannot
//! be switched on by accident. A debug build that sees the variable logs a
//! warning at every worker start.
//!
//! - `crash-at-start`: the worker exits with status 3 before it is ready.
//! - `crash-after-reload`: the same, but only in generations after the
//!   first, so a HUP starts a generation that never becomes ready.
//! - `hang-on-path`: a request for `/__bicorn_hang` stops the worker's
//!   event loop for good (no more heartbeats), as a stuck handler would.

/// The fault a test asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    None,
    CrashAtStart,
    CrashAfterReload,
    HangOnPath,
}

/// The path that hangs a worker under [`Fault::HangOnPath`].
pub(crate) const HANG_PATH: &str = "/__bicorn_hang";

impl Fault {
    /// Read the fault switch (always `None` in release builds).
    pub(crate) fn from_env() -> Self {
        if !cfg!(debug_assertions) {
            return Fault::None;
        }
        let fault = match std::env::var("BICORN_TEST_FAULT").as_deref() {
            Ok("crash-at-start") => Fault::CrashAtStart,
            Ok("crash-after-reload") => Fault::CrashAfterReload,
            Ok("hang-on-path") => Fault::HangOnPath,
            _ => Fault::None,
        };
        if fault != Fault::None {
            log::warn!("test fault injection active: {fault:?} (debug build)");
        }
        fault
    }
}

/// Block forever without ticking the heartbeat; signals still interrupt
/// `pause` but are not acted on. Only reachable in debug builds.
pub(crate) fn hang() -> ! {
    loop {
        nix::unistd::pause();
    }
}
