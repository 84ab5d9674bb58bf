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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::NoFields;
    use crate::config::{Route, RouteTarget, StatusPage};

    fn responder(board: &Scoreboard, headers: Vec<(String, String)>) -> Responder<'_> {
        let route = |path: &str, page| Route {
            path: path.to_string(),
            headers: headers.clone(),
            target: RouteTarget::Status(page),
        };
        let routes = vec![
            route("/-/metrics", StatusPage::Metrics),
            route("/-/health", StatusPage::Health),
            route("/-/status", StatusPage::Page),
        ];
        Responder::new("test".into(), routes, board, 0)
    }

    fn ask(r: &mut Responder<'_>, method: &str, target: &str) -> Reply {
        let (m, t) = (method.as_bytes(), target.as_bytes());
        r.respond(m, t, &NoFields, "HTTP/1.1", None, Instant::now())
    }

    #[test]
    fn health_follows_the_workers_own_slot_state() {
        let board = Scoreboard::new().unwrap();
        board.slot(0).claim(1);
        let mut r = responder(&board, Vec::new());
        assert_eq!(ask(&mut r, "GET", "/-/health").status, 503, "booting");
        board.slot(0).set_state(WorkerState::Ready);
        let ok = ask(&mut r, "GET", "/-/health?probe=lb");
        assert_eq!(ok.status, 200);
        assert_eq!(ok.field("cache-control"), Some("no-store"));
        board.slot(0).set_state(WorkerState::Draining);
        assert_eq!(ask(&mut r, "HEAD", "/-/health").status, 503);
    }

    #[test]
    fn status_routes_answer_get_and_head_on_their_own_path_only() {
        let board = Scoreboard::new().unwrap();
        board.slot(0).claim(1);
        let mut r = responder(&board, Vec::new());
        let m = ask(&mut r, "GET", "/-/metrics");
        assert_eq!(m.status, 200);
        assert_eq!(m.field("content-type"), Some(status::METRICS_TYPE));
        assert_eq!(ask(&mut r, "GET", "/-/metrics/").status, 200);
        assert_eq!(ask(&mut r, "GET", "/-/metrics/x").status, 404);
        let post = ask(&mut r, "POST", "/-/status");
        assert_eq!(post.status, 405);
        assert_eq!(post.field("allow"), Some("GET, HEAD"));
        assert_eq!(
            ask(&mut r, "HEAD", "/-/status").field("content-type"),
            Some(status::PAGE_TYPE)
        );
    }

    #[test]
    fn a_routes_own_cache_control_replaces_no_store() {
        let board = Scoreboard::new().unwrap();
        board.slot(0).claim(1);
        let headers = vec![("cache-control".to_string(), "max-age=5".to_string())];
        let mut r = responder(&board, headers);
        let reply = ask(&mut r, "GET", "/-/status");
        let cc: Vec<&str> = reply
            .fields
            .iter()
            .filter(|(n, _)| n == "cache-control")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(cc, ["max-age=5"]);
    }
}
