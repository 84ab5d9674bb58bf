//! The `bicorn` command: run the server in the foreground, or check a
//! configuration file (`-t`). A program that embeds bicorn with its own
//! apps does the same with its apps registered (see `app::api::Server`).

use std::process::ExitCode;

fn main() -> ExitCode {
    bicorn::app::api::Server::new().run()
}
