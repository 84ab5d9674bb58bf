//! [`Server`]: the entry point of a program that embeds bicorn. It takes
//! the same command line as the `bicorn` command (`-c FILE`, `-t`,
//! `--version`, and the control commands `status`, `reload`, `upgrade`,
//! `stop`, `add-worker`, `remove-worker`), registers the program's apps,
//! and runs the master.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use std::io::{IsTerminal, Write};

use clap::{Args, Parser, Subcommand};

use crate::supervisor::control::Command;
use crate::supervisor::control_client::{self, ClientError};

use super::{App, Apps};

/// The command line of `bicorn` and of every program built on it.
#[derive(Debug, Parser)]
#[command(
    name = "bicorn",
    version,
    about = "A Unicorn-style prefork HTTP/2 server"
)]
struct Cli {
    /// Configuration file (the control commands read its `control` key).
    #[arg(
        short = 'c',
        long = "config",
        default_value = "conf/bicorn.toml",
        global = true
    )]
    config: PathBuf,
    /// Check the configuration file and exit: 0 if valid, 1 with the error.
    #[arg(short = 't', long = "test-config")]
    test: bool,
    /// Talk to a running master over its control socket instead of
    /// starting one.
    #[command(subcommand)]
    command: Option<ControlCommand>,
}

/// Where the control socket is.
#[derive(Debug, Args)]
struct Target {
    /// The control socket's path (default: the config's `control`).
    #[arg(long = "control", value_name = "PATH")]
    control: Option<PathBuf>,
}

/// The control commands; each exits 0 on success, 1 with the reason.
#[derive(Debug, Subcommand)]
enum ControlCommand {
    /// Show the master and its workers.
    Status {
        #[command(flatten)]
        target: Target,
        /// Print the raw JSON status document.
        #[arg(long)]
        json: bool,
        /// Refresh every second until interrupted.
        #[arg(long)]
        watch: bool,
    },
    /// Reload the config (as HUP); waits until the new generation serves
    /// or the reload is rejected or rolled back.
    Reload(Target),
    /// Upgrade to the binary on disk (as USR2); waits until the new
    /// master is ready or the upgrade failed.
    Upgrade(Target),
    /// Stop gracefully (as QUIT).
    Stop(Target),
    /// One more worker (as TTIN).
    AddWorker(Target),
    /// One fewer worker (as TTOU).
    RemoveWorker(Target),
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
        if let Some(command) = cli.command {
            return control(&cli.config, command);
        }
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

/// Run a control command against the master.
fn control(config: &std::path::Path, command: ControlCommand) -> ExitCode {
    let (target, cmd) = match &command {
        ControlCommand::Status { target, .. } => (target, Command::Status),
        ControlCommand::Reload(t) => (t, Command::Reload),
        ControlCommand::Upgrade(t) => (t, Command::Upgrade),
        ControlCommand::Stop(t) => (t, Command::Stop),
        ControlCommand::AddWorker(t) => (t, Command::AddWorker),
        ControlCommand::RemoveWorker(t) => (t, Command::RemoveWorker),
    };
    let run = || -> Result<(), ClientError> {
        let socket = match &target.control {
            Some(p) => p.clone(),
            None => control_client::socket_from_config(config)?,
        };
        let io_err = |error| ClientError::Io {
            path: socket.clone(),
            error,
        };
        let mut stdout = std::io::stdout();
        match command {
            ControlCommand::Status { json, watch, .. } => loop {
                let mut doc = control_client::request(&socket, cmd)?;
                let text = if json {
                    if let Some(map) = doc.as_object_mut() {
                        map.remove("ok");
                    }
                    format!("{doc:#}\n")
                } else if watch && stdout.is_terminal() {
                    format!("\x1b[H\x1b[2J{}", control_client::render_status(&doc))
                } else {
                    control_client::render_status(&doc)
                };
                // A closed stdout (`| head`) ends the command quietly.
                if stdout
                    .write_all(text.as_bytes())
                    .and_then(|()| stdout.flush())
                    .is_err()
                {
                    return Ok(());
                }
                if !watch {
                    return Ok(());
                }
                // The `bicorn status --watch` client process (not a server
                // event loop): refresh once a second until interrupted.
                std::thread::sleep(std::time::Duration::from_secs(1));
            },
            _ => {
                let answer = control_client::request(&socket, cmd)?;
                writeln!(stdout, "bicorn: {}", control_client::message(&answer)).map_err(io_err)
            }
        }
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bicorn {}: {e}", cmd.word());
            ExitCode::FAILURE
        }
    }
}
