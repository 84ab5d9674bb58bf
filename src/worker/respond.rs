//! The worker's responder for everything that is not an app: a request
//! on a `root = "dir"` route is answered by the static-file layer
//! (`app::files`: safe paths, validators, conditional and range requests,
//! precompressed siblings, listings, a revalidating cache); a path outside
//! every route gets a short text naming the protocol, worker pid and
//! generation (what the process tests and benchmarks use to see who
//! answered).
//!
//! Route headers of app routes are added by the connection when the app's
//! reply comes back; an app route reaching here (no app runtime) is 404.

use std::time::{Instant, SystemTime};

use crate::app::{Fields, Reply, Request, StaticFiles, route_for};
use crate::config::{Route, RouteTarget};

/// Routes and the static-file cache of one worker.
#[derive(Debug)]
pub(crate) struct Responder {
    identity: String,
    routes: Vec<Route>,
    files: StaticFiles,
}

impl Responder {
    pub(crate) fn new(identity: String, routes: Vec<Route>) -> Self {
        Self {
            identity,
            routes,
            files: StaticFiles::new(),
        }
    }

    /// Answer `method` `target` with the request's `fields`; `protocol`
    /// and `received` (body octets of a POST) only feed the identity text.
    pub(crate) fn respond(
        &mut self,
        method: &[u8],
        target: &[u8],
        fields: &dyn Fields,
        protocol: &str,
        received: Option<u64>,
        now: Instant,
    ) -> Reply {
        let path = match target.iter().position(|&b| b == b'?') {
            Some(q) => &target[..q],
            None => target,
        };
        let Some((route, rel)) = route_for(&self.routes, path) else {
            let text = match received {
                Some(n) => format!(
                    "bicorn worker {} protocol={protocol} received={n}\n",
                    self.identity
                ),
                None => format!("bicorn worker {} protocol={protocol}\n", self.identity),
            };
            return Reply::text(200, text);
        };
        match &route.target {
            RouteTarget::Files(files) => {
                let req = Request {
                    method,
                    target,
                    fields,
                };
                self.files
                    .serve(files, &route.headers, rel, &req, now, SystemTime::now())
            }
            RouteTarget::App(_) => Reply::text(404, "not found\n"),
        }
    }
}
