//! Process-wide logging: env_logger writing one line per record to stderr,
//! with the pid in every line so master and worker lines can be told apart.
//!
//! When `[log] file` is set, stderr itself is pointed at that file (`dup2`),
//! so panics and anything else written to stderr land there too. USR1
//! reopens it: a new open of the same path (after logrotate renamed the old
//! file) `dup2`ed over stderr. The level is changed at run time with
//! `log::set_max_level`, so a HUP can change it. [`open_log_file`] is
//! shared with the access log (`app::access_log`), which reopens its own
//! file the same way.

use std::fs::{File, OpenOptions};
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

/// Point stderr at `path` (see [`open_log_file`]). Called at start and on
/// USR1; on failure stderr is left as it was.
pub fn redirect_stderr(path: &Path, owner: Option<(u32, u32)>) -> io::Result<()> {
    let file = open_log_file(path, owner)?;
    nix::unistd::dup2_stderr(&file)?;
    Ok(())
}

/// Open a log file for appending, creating it 0640 if missing. Shared by
/// the server log and the access log.
///
/// `owner` (uid, gid): the master, running as root with workers that drop
/// privileges, hands the file to the workers' user so that they can reopen
/// it themselves after logrotate renames it.
pub fn open_log_file(path: &Path, owner: Option<(u32, u32)>) -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(path)?;
    if let Some((uid, gid)) = owner {
        nix::unistd::fchown(
            &file,
            Some(nix::unistd::Uid::from_raw(uid)),
            Some(nix::unistd::Gid::from_raw(gid)),
        )?;
    }
    Ok(file)
}

/// The owner a root master gives the log file: the workers' user and
/// group, when the config sets them.
pub fn log_owner(config: &crate::config::Config) -> Option<(u32, u32)> {
    if !nix::unistd::geteuid().is_root() {
        return None;
    }
    let uid = config.user.as_ref().map(|u| u.uid);
    let gid = config
        .group
        .as_ref()
        .map(|g| g.gid)
        .or(config.user.as_ref().map(|u| u.gid));
    match (uid, gid) {
        (None, None) => None,
        (u, g) => Some((u.unwrap_or(0), g.unwrap_or(0))),
    }
}
