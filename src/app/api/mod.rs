//! The App API: how a Rust program that embeds bicorn answers requests,
//! as Rack is for Ruby servers. An [`App`] takes an `http::Request` and
//! returns an `http::Response`; [`Server`] registers apps by name and runs
//! them under the same master, workers and signals as the `bicorn`
//! command, and `[[route]]` tables with `app = "name"` send requests to
//! them.
//!
//! Handlers run on a thread pool in each worker (`[app] threads`), never
//! on the event loop, so a handler that blocks (a database call, a sleep)
//! delays only its own request. Results come back to the event loop
//! through a channel and a `mio::Waker`. A handler that panics answers its
//! request with 500 and the worker carries on.
//!
//! Request bodies are buffered up to `[app] max_request_body` before the
//! handler is called (413 beyond), so a handler never waits on a slow
//! client. Response bodies are bytes, a file, or a stream produced over
//! time ([`ResponseBody::stream`]) whose chunks are sent as they are
//! written: Server-Sent Events work.

mod body;
mod pool;
mod server;

pub use body::{BodyWriter, RequestBody, ResponseBody};
pub use server::Server;

pub(crate) use body::{Polled, StreamItem, StreamReceiver};
pub(crate) use pool::{Completion, Job, Pool, ReplyKey};

use std::sync::{Arc, OnceLock};

/// An application: answers requests. Implemented for closures
/// `Fn(Request<RequestBody>) -> Response<ResponseBody>`.
pub trait App: Send + Sync + 'static {
    /// Answer one request. Runs on a worker's thread pool: it may block.
    fn call(&self, request: http::Request<RequestBody>) -> http::Response<ResponseBody>;

    /// Called in each worker process after it is forked and before it
    /// serves: open connection pools and other per-process resources here
    /// (they must not be shared across fork).
    fn after_fork(&self, _worker: &WorkerInfo) {}

    /// Called in each worker process before it exits after a graceful
    /// drain (QUIT, reload, recycling), when its last connection is done.
    fn before_exit(&self, _worker: &WorkerInfo) {}
}

impl std::fmt::Debug for dyn App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("App")
    }
}

impl<F> App for F
where
    F: Fn(http::Request<RequestBody>) -> http::Response<ResponseBody> + Send + Sync + 'static,
{
    fn call(&self, request: http::Request<RequestBody>) -> http::Response<ResponseBody> {
        self(request)
    }
}

/// Which worker a hook runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerInfo {
    /// The worker's process id.
    pub pid: u32,
    /// Its scoreboard slot.
    pub slot: usize,
    /// Its generation (incremented by each reload).
    pub generation: u32,
}

/// The apps a program registered, by name.
#[derive(Clone, Default)]
pub struct Apps(Vec<(String, Arc<dyn App>)>);

impl std::fmt::Debug for Apps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(n, _)| n))
            .finish()
    }
}

impl Apps {
    /// The app registered as `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn App>> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    /// The registered names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    /// Every registered app.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn App>> {
        self.0.iter().map(|(_, a)| a)
    }

    /// None registered (the plain `bicorn` command).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn insert(&mut self, name: String, app: Arc<dyn App>) {
        self.0.retain(|(n, _)| *n != name);
        self.0.push((name, app));
    }
}

/// The process's registered apps, set once by [`Server::run`] before the
/// master starts (and so inherited by every forked worker).
static REGISTERED: OnceLock<Apps> = OnceLock::new();

/// The apps this program registered (none for the `bicorn` command).
pub fn registered() -> Apps {
    REGISTERED.get().cloned().unwrap_or_default()
}

fn register(apps: Apps) {
    // Set once: Server::run is the process's entry point.
    let _ = REGISTERED.set(apps);
}

/// Check that every `app = "name"` route names a registered app; the
/// error says which route and what is registered.
pub fn check_routes(config: &crate::config::Config) -> Result<(), String> {
    let apps = registered();
    for (i, name) in config.app_routes() {
        if apps.get(name).is_none() {
            let known: Vec<&str> = apps.names().collect();
            return Err(format!(
                "{}: `route[{i}].app`: no app named `{name}` is registered by this program ({})",
                config.source.display(),
                if known.is_empty() {
                    "the bicorn command registers none; apps come from a program that embeds bicorn"
                        .to_string()
                } else {
                    format!("it registers: {}", known.join(", "))
                }
            ));
        }
    }
    Ok(())
}
