//! The `bicorn` command: run the server in the foreground, or check a
//! configuration file (`-t`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// A Unicorn-style prefork HTTP/2 server.
#[derive(Debug, Parser)]
#[command(name = "bicorn", version, about)]
struct Cli {
    /// Configuration file.
    #[arg(short = 'c', long = "config", default_value = "conf/bicorn.toml")]
    config: PathBuf,
    /// Check the configuration file and exit: 0 if valid, 1 with the error.
    #[arg(short = 't', long = "test-config")]
    test: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.test {
        return match bicorn::config::Config::load(&cli.config) {
            Ok(_) => {
                println!("bicorn: configuration {} is valid", cli.config.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("bicorn: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match bicorn::supervisor::run(&cli.config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bicorn: cannot start: {e}");
            ExitCode::FAILURE
        }
    }
}
