//! Process-wide logging: env_logger writing one line per record to stderr,
//! with the pid in every line so master and worker lines can be told apart.
//!
//! When `[log] file` is set, stderr itself is pointed at that file (`dup2`),
//! so panics and anything else written to stderr land there too. USR1
//! reopens it: a new open of the same path (after logrotate renamed the old
//! file) `dup2`ed over stderr. The level is changed at run time with
//! `log::set_max_level`, so a HUP can change it.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use log::LevelFilter;

/// Install the logger (once per process image) at `level`.
pub fn init(level: LevelFilter) {
    let mut builder = env_logger::Builder::new();
    builder
        .filter_level(LevelFilter::Trace)
        .target(env_logger::Target::Stderr)
        .format(|buf, record| {
            writeln!(
                buf,
                "{} {:<5} [{}] {}",
                buf.timestamp_millis(),
                record.level(),
                std::process::id(),
                record.args()
            )
        });
    // A second init (tests embedding the library) keeps the first logger.
    let _ = builder.try_init();
    log::set_max_level(level);
}

/// Change the level of this process's logger.
pub fn set_level(level: LevelFilter) {
    log::set_max_level(level);
}

/// Point stderr at `path` (append, created 0640 if missing). Called at start
/// and on USR1; on failure stderr is left as it was.
pub fn redirect_stderr(path: &Path) -> io::Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(path)?;
    nix::unistd::dup2_stderr(&file)?;
    Ok(())
}
