//! The server's configuration: a TOML file turned into a validated
//! [`Config`].
//!
//! Loading happens in two steps ("parse, don't validate"). `raw.rs`
//! mirrors the file with serde and rejects unknown keys and wrong types;
//! this module then builds `Config` from that mirror, checking ranges,
//! resolving `"auto"`, relative paths and user/group names, and reading
//! the TLS certificate and key files so that a bad one is reported now,
//! at its key, rather than when a worker first needs it. A `Config` that
//! exists is therefore usable as it stands.
//!
//! Relative paths (`pid`, `log.file`, `access_log.destination`, TLS
//! files, `state_dir`, unix socket paths) are resolved against the
//! directory holding the config file and made absolute, so the server's
//! working directory does not matter.
//!
//! Every error is a [`ConfigError`] naming file, line, column and the
//! dotted key path (`listen[1].backlog`). What the keys mean, and their
//! defaults, is documented in `conf/bicorn.toml`. This module does not
//! bind sockets, drop privileges or set up logging; the supervisor does.

mod access_log;
mod app;
mod error;
mod http;
mod listen;
mod locate;
mod raw;
mod route;
#[cfg(test)]
mod tests;

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use toml::Spanned;

pub use access_log::{AccessLogConfig, AccessLogDestination, AccessLogFormat};
pub use app::AppConfig;
pub use error::{ConfigError, ErrorKind};
pub use http::HttpConfig;
pub use listen::{CertKey, Listen, ListenAddress, MAX_LISTENERS, SELF_SIGNED, Tls};
use raw::{RawConfig, RawLog, Seconds, Workers};
pub use route::{FilesRoute, FollowSymlinks, Route, RouteTarget, StatusPage};

/// Workers when `workers` is not set.
const DEFAULT_WORKERS: usize = 2;
/// The most workers `workers` may ask for (and `"auto"` resolves to).
pub const MAX_WORKERS: usize = 1024;
/// Default for `timeout`, `shutdown_timeout`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default for `upgrade_timeout`.
const DEFAULT_UPGRADE_TIMEOUT: Duration = Duration::from_secs(60);
/// Shortest `timeout`: workers report a heartbeat about twice a second,
/// so a shorter one would kill healthy workers.
const MIN_HEARTBEAT_TIMEOUT: f64 = 1.0;
/// Default `state_dir`, relative to the config file's directory.
const DEFAULT_STATE_DIR: &str = "state";
/// Longest unix socket path (`sun_path` is 108 bytes with its NUL).
const MAX_UNIX_PATH: usize = 107;
/// Longest accepted timeout: one day.
const MAX_SECONDS: f64 = 86_400.0;

/// A validated configuration. Build it with [`Config::load`].
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The path the file was read from, as given.
    pub source: PathBuf,
    /// Number of worker processes; `"auto"` already resolved to the CPUs
    /// available.
    pub workers: usize,
    /// Sockets to serve, in file order; never empty.
    pub listeners: Vec<Listen>,
    /// A worker that has not reported a heartbeat for this long is killed.
    pub timeout: Duration,
    /// How long a graceful stop lets in-flight requests finish.
    pub shutdown_timeout: Duration,
    /// How long a USR2 upgrade waits for the new master to be ready.
    pub upgrade_timeout: Duration,
    /// Whom workers run as, if the master is started as root.
    pub user: Option<User>,
    /// Group workers run as, overriding the user's primary group.
    pub group: Option<Group>,
    /// Where the master writes its pid.
    pub pid: Option<PathBuf>,
    /// A worker exits after serving this many requests; 0 = never.
    pub max_requests: u64,
    /// Where the master keeps files it makes itself (the self-signed
    /// certificate); absolute. Created when first needed.
    pub state_dir: PathBuf,
    /// The master's control socket (`bicorn status`, `bicorn reload`, ...);
    /// absolute. `None`: no control socket.
    pub control: Option<PathBuf>,
    /// `[[route]]` tables, in file order.
    pub routes: Vec<Route>,
    pub http: HttpConfig,
    /// How app handlers run.
    pub app: AppConfig,
    /// Logging.
    pub log: LogConfig,
    /// The `[access_log]` table.
    pub access_log: AccessLogConfig,
}

/// A user from the user database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    /// The user's primary group.
    pub gid: u32,
}

/// A group from the group database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub gid: u32,
}

/// The `[log]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    pub level: log::LevelFilter,
    /// When set, stderr is redirected here (and reopened on USR1).
    pub file: Option<PathBuf>,
}

impl Config {
    /// The `app = "name"` routes: (index in the file, app name).
    pub fn app_routes(&self) -> impl Iterator<Item = (usize, &str)> {
        self.routes
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match &r.target {
                RouteTarget::App(name) => Some((i, name.as_str())),
                RouteTarget::Files(_) | RouteTarget::Status(_) => None,
            })
    }

    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = fs::read_to_string(path).map_err(|e| ConfigError::unreadable(path, &e))?;
        Config::parse(path, &text)
    }

    /// Validates `text` as if read from `path`, which is used in error
    /// messages and to resolve relative paths.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
        Checker::new(path, text).config(raw)
    }
}

/// Builds the validated types from the raw ones, with what it needs to
/// locate errors and resolve paths.
struct Checker<'a> {
    file: &'a Path,
    text: &'a str,
    /// The directory relative paths are resolved against.
    dir: PathBuf,
}

impl<'a> Checker<'a> {
    fn new(file: &'a Path, text: &'a str) -> Checker<'a> {
        let dir = file
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // Only fails if the working directory is gone; then relative paths
        // stay relative and unix sockets are rejected as not absolute.
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        Checker { file, text, dir }
    }

    fn config(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        Ok(Config {
            source: self.file.to_path_buf(),
            workers: self.workers(raw.workers.as_ref())?,
            listeners: self.listeners(raw.listen)?,
            timeout: self.seconds(
                raw.timeout.as_ref(),
                "timeout",
                MIN_HEARTBEAT_TIMEOUT,
                DEFAULT_TIMEOUT,
            )?,
            shutdown_timeout: self.seconds(
                raw.shutdown_timeout.as_ref(),
                "shutdown_timeout",
                0.0,
                DEFAULT_TIMEOUT,
            )?,
            upgrade_timeout: self.seconds(
                raw.upgrade_timeout.as_ref(),
                "upgrade_timeout",
                0.0,
                DEFAULT_UPGRADE_TIMEOUT,
            )?,
            user: raw.user.as_ref().map(|name| self.user(name)).transpose()?,
            group: raw
                .group
                .as_ref()
                .map(|name| self.group(name))
                .transpose()?,
            pid: raw
                .pid
                .as_ref()
                .map(|pid| self.path(pid, "pid"))
                .transpose()?,
            max_requests: self.max_requests(raw.max_requests.as_ref())?,
            state_dir: match &raw.state_dir {
                Some(dir) => self.path(dir, "state_dir")?,
                None => self.resolve(Path::new(DEFAULT_STATE_DIR)),
            },
            control: raw
                .control
                .as_ref()
                .map(|path| self.control(path))
                .transpose()?,
            routes: self.routes(raw.route)?,
            http: self.http(raw.http)?,
            app: self.app(raw.app)?,
            log: self.log(raw.log)?,
            access_log: self.access_log(raw.access_log)?,
        })
    }

    fn workers(&self, raw: Option<&Spanned<Workers>>) -> Result<usize, ConfigError> {
        let Some(raw) = raw else {
            return Ok(DEFAULT_WORKERS);
        };
        match *raw.get_ref() {
            Workers::Auto => Ok(std::thread::available_parallelism()
                .map_or(DEFAULT_WORKERS, |n| n.get())
                .min(MAX_WORKERS)),
            Workers::Count(n) => usize::try_from(n)
                .ok()
                .filter(|n| (1..=MAX_WORKERS).contains(n))
                .ok_or_else(|| {
                    self.invalid(
                        raw.span(),
                        "workers",
                        format!("must be between 1 and {MAX_WORKERS} or \"auto\", got {n}"),
                    )
                }),
        }
    }

    /// A timeout in seconds, at most a day, and at least `min` (or, when
    /// `min` is 0, more than 0).
    fn seconds(
        &self,
        raw: Option<&Spanned<Seconds>>,
        key: &str,
        min: f64,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        let Some(raw) = raw else {
            return Ok(default);
        };
        let Seconds(seconds) = *raw.get_ref();
        let in_range = if min > 0.0 {
            seconds >= min && seconds <= MAX_SECONDS
        } else {
            seconds > 0.0 && seconds <= MAX_SECONDS
        };
        if !in_range {
            let bound = if min > 0.0 {
                format!("at least {min}")
            } else {
                "more than 0".to_string()
            };
            return Err(self.invalid(
                raw.span(),
                key,
                format!("must be {bound} and at most {MAX_SECONDS} seconds, got {seconds}"),
            ));
        }
        Ok(Duration::from_secs_f64(seconds))
    }

    fn user(&self, raw: &Spanned<String>) -> Result<User, ConfigError> {
        let name = raw.get_ref();
        let found = match name.parse::<u32>() {
            Ok(uid) => nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)),
            Err(_) => nix::unistd::User::from_name(name),
        };
        match found {
            Ok(Some(user)) => Ok(User {
                name: user.name,
                uid: user.uid.as_raw(),
                gid: user.gid.as_raw(),
            }),
            Ok(None) => Err(self.invalid(raw.span(), "user", format!("no such user `{name}`"))),
            Err(errno) => Err(self.invalid(
                raw.span(),
                "user",
                format!("cannot look up user `{name}`: {errno}"),
            )),
        }
    }

    fn group(&self, raw: &Spanned<String>) -> Result<Group, ConfigError> {
        let name = raw.get_ref();
        let found = match name.parse::<u32>() {
            Ok(gid) => nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid)),
            Err(_) => nix::unistd::Group::from_name(name),
        };
        match found {
            Ok(Some(group)) => Ok(Group {
                name: group.name,
                gid: group.gid.as_raw(),
            }),
            Ok(None) => Err(self.invalid(raw.span(), "group", format!("no such group `{name}`"))),
            Err(errno) => Err(self.invalid(
                raw.span(),
                "group",
                format!("cannot look up group `{name}`: {errno}"),
            )),
        }
    }

    fn max_requests(&self, raw: Option<&Spanned<i64>>) -> Result<u64, ConfigError> {
        let Some(raw) = raw else {
            return Ok(0);
        };
        let n = *raw.get_ref();
        u64::try_from(n).map_err(|_| {
            self.invalid(
                raw.span(),
                "max_requests",
                format!("must be 0 (never) or more, got {n}"),
            )
        })
    }

    fn log(&self, raw: Option<RawLog>) -> Result<LogConfig, ConfigError> {
        let Some(raw) = raw else {
            return Ok(LogConfig {
                level: log::LevelFilter::Info,
                file: None,
            });
        };
        let level = match &raw.level {
            None => log::LevelFilter::Info,
            Some(level) => log::LevelFilter::from_str(level.get_ref()).map_err(|_| {
                self.invalid(
                    level.span(),
                    "log.level",
                    format!(
                        "must be one of off, error, warn, info, debug, trace, got `{}`",
                        level.get_ref()
                    ),
                )
            })?,
        };
        let file = raw
            .file
            .as_ref()
            .map(|file| self.path(file, "log.file"))
            .transpose()?;
        Ok(LogConfig { level, file })
    }

    /// The control socket's path: non-empty, resolved, and short enough
    /// for a unix socket address (`sun_path` holds 107 bytes and a NUL).
    fn control(&self, raw: &Spanned<String>) -> Result<PathBuf, ConfigError> {
        let path = self.path(raw, "control")?;
        let len = path.as_os_str().len();
        if len > MAX_UNIX_PATH {
            return Err(self.invalid(
                raw.span(),
                "control",
                format!(
                    "unix socket path `{}` is {len} bytes long, more than {MAX_UNIX_PATH}",
                    path.display()
                ),
            ));
        }
        Ok(path)
    }

    /// A non-empty path, resolved against the config file's directory.
    fn path(&self, raw: &Spanned<String>, key: &str) -> Result<PathBuf, ConfigError> {
        if raw.get_ref().is_empty() {
            return Err(self.invalid(raw.span(), key, "must not be empty"));
        }
        Ok(self.resolve(Path::new(raw.get_ref())))
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }

    fn invalid(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::at(
            self.file,
            self.text,
            span.start,
            key,
            ErrorKind::InvalidValue,
            message,
        )
    }
}
