//! [`Server`]: the entry point of a program that embeds bicorn. It takes
//! the same command line as the `bicorn` command (`-c FILE`, `-t`,
//! `--version`), registers the program's apps, and runs the master.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use super::{App, Apps};

/// The command line of `bicorn` and of every program built on it.
#[derive(Debug, Parser)]
#[command(
    name = "bicorn",
    version,
    about = "A Unicorn-style prefork HTTP/2 server"
)]
struct Cli {
    /// Configuration file.
    #[arg(short = 'c', long = "config", default_value = "conf/bicorn.toml")]
    config: PathBuf,
    /// Check the configuration file and exit: 0 if valid, 1 with the error.
    #[arg(short = 't', long = "test-config")]
    test: bool,
}

/// A bicorn server with the program's apps.
///
/// ```no_run
/// use bicorn::app::api::{ResponseBody, Server};
///
/// fn main() -> std::process::ExitCode {
///     Server::new()
///         .app("hello", |_req| http::Response::new(ResponseBody::from("hello\n")))
///         .run()
/// }
/// ```
#[derive(Debug, Default)]
pub struct Server {
    apps: Apps,
}

impl Server {
    /// A server with no apps yet (what the `bicorn` command runs).
    pub fn new() -> Self {
        Self::default()
    }

    /// Register `app` as `name`, for `[[route]]` tables with
    /// `app = "name"`.
    pub fn app(mut self, name: &str, app: impl App) -> Self {
        self.apps.insert(name.to_string(), Arc::new(app));
        self
    }

    /// Parse the command line and run: check the config (`-t`), or start
    /// the master and serve until stopped. Returns the exit status.
    pub fn run(self) -> ExitCode {
        let cli = Cli::parse();
        super::register(self.apps);
        if cli.test {
            let checked = crate::config::Config::load(&cli.config)
                .map_err(|e| e.to_string())
                .and_then(|c| super::check_routes(&c));
            return match checked {
                Ok(()) => {
                    println!("bicorn: configuration {} is valid", cli.config.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("bicorn: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        match crate::supervisor::run(&cli.config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bicorn: cannot start: {e}");
                ExitCode::FAILURE
            }
        }
    }
}
