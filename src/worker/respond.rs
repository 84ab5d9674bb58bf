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
//!
//! A `status` route is answered from the scoreboard, which every worker
//! can read (it is mapped before the fork): metrics and the status page
//! from every slot in use, health from this worker's own state.

use std::time::{Instant, SystemTime};

use crate::app::reply::{FieldName, FieldValue};
use crate::app::{Body, Fields, Reply, Request, StaticFiles, route_for};
use crate::config::{Route, RouteTarget, StatusPage};
use crate::supervisor::scoreboard::{Scoreboard, Snapshot, WorkerState};
use crate::sys;

use super::status;

/// Routes and the static-file cache of one worker.
#[derive(Debug)]
pub(crate) struct Responder<'a> {
    identity: String,
    routes: Vec<Route>,
    files: StaticFiles,
    /// The whole scoreboard, read by status routes.
    board: &'a Scoreboard,
    /// This worker's slot on it.
    slot: usize,
}

impl<'a> Responder<'a> {
    pub(crate) fn new(
        identity: String,
        routes: Vec<Route>,
        board: &'a Scoreboard,
        slot: usize,
    ) -> Self {
        Self {
            identity,
            routes,
            files: StaticFiles::new(),
            board,
            slot,
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
            RouteTarget::Status(page) => {
                let mut reply = self.status(*page, method, rel);
                reply.fields.extend(
                    route
                        .headers
                        .iter()
                        .map(|(n, v)| (FieldName::Owned(n.clone()), FieldValue::Owned(v.clone()))),
                );
                if route.headers.iter().all(|(n, _)| n != "cache-control") {
                    reply = reply.with("cache-control", "no-store");
                }
                reply
            }
        }
    }

    /// A status route's answer to `method` for `rel` below its path
    /// (only the path itself is answered).
    fn status(&self, page: StatusPage, method: &[u8], rel: &[u8]) -> Reply {
        if !(rel.is_empty() || rel == b"/") {
            return Reply::text(404, "not found\n");
        }
        if method != b"GET" && method != b"HEAD" {
            return Reply::text(405, "method not allowed\n").with("allow", "GET, HEAD");
        }
        let now_ms = sys::monotonic_ms();
        let workers = || self.board.snapshots().collect::<Vec<Snapshot>>();
        match page {
            StatusPage::Health => match self.board.slot(self.slot).state() {
                WorkerState::Ready => Reply::text(200, "ok\n"),
                WorkerState::Booting | WorkerState::Draining => Reply::text(503, "draining\n"),
            },
            StatusPage::Metrics => Reply::new(
                200,
                Body::Owned(status::metrics(&workers(), now_ms).into_bytes()),
            )
            .with("content-type", status::METRICS_TYPE),
            StatusPage::Page => Reply::new(
                200,
                Body::Owned(status::page(&workers(), now_ms, std::process::id()).into_bytes()),
            )
            .with("content-type", status::PAGE_TYPE),
        }
    }
}
