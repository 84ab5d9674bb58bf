//! The worker's side of the App API: which routes go to which app, the
//! handler pool, and turning a decoded request into an `http::Request`
//! for a handler.

use std::sync::Arc;

use crate::app::api::{App, Apps, Job, Pool, ReplyKey, RequestBody};
use crate::app::route_for;
use crate::config::{Config, Route, RouteTarget};

/// Apps of one worker: present only when its config routes to an app.
#[derive(Debug)]
pub(crate) struct AppRuntime {
    pub(crate) pool: Pool,
    /// Every route (the longest matching prefix wins, so a static-file
    /// route under an app route takes its paths), each app route's app.
    routes: Vec<Route>,
    apps: Vec<Option<Arc<dyn App>>>,
    max_body: u64,
}

/// A route's configured response fields (name, value).
pub(crate) type RouteFields = [(String, String)];

/// A decoded request bound for an app.
#[derive(Debug, Default)]
pub(crate) struct AppRequest {
    pub(crate) method: Vec<u8>,
    pub(crate) target: Vec<u8>,
    /// Field lines, names lowercase.
    pub(crate) fields: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) body: Vec<u8>,
    pub(crate) trailers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The route's configured response fields.
    pub(crate) route_headers: Vec<(String, String)>,
    /// The body went over `max_request_body` (answered 413, not run).
    pub(crate) too_large: bool,
    pub(crate) http2: bool,
}

impl AppRequest {
    /// Append body octets, up to the limit.
    pub(crate) fn push_body(&mut self, data: &[u8], max: u64) {
        if self.too_large {
            return;
        }
        if (self.body.len() + data.len()) as u64 > max {
            self.too_large = true;
            self.body = Vec::new();
        } else {
            self.body.extend_from_slice(data);
        }
    }
}

impl AppRuntime {
    /// The runtime for `config`, when it has app routes: starts the
    /// handler threads. Runs in the worker, after fork.
    pub(crate) fn start(
        config: &Config,
        apps: &Apps,
        waker: Arc<mio::Waker>,
    ) -> std::io::Result<Option<Self>> {
        if config.app_routes().next().is_none() {
            return Ok(None);
        }
        let apps_by_route = config
            .routes
            .iter()
            .map(|r| match &r.target {
                RouteTarget::App(name) => apps.get(name).cloned(),
                RouteTarget::Files(_) | RouteTarget::Status(_) => None,
            })
            .collect();
        Ok(Some(Self {
            pool: Pool::new(config.app.threads, waker)?,
            routes: config.routes.clone(),
            apps: apps_by_route,
            max_body: config.app.max_request_body,
        }))
    }

    /// The app answering `target` (if the route matching its path is an
    /// app route) and that route's response fields.
    pub(crate) fn app_for(&self, target: &[u8]) -> Option<(Arc<dyn App>, &RouteFields)> {
        let path = match target.iter().position(|&b| b == b'?') {
            Some(q) => &target[..q],
            None => target,
        };
        let (route, _) = route_for(&self.routes, path)?;
        let index = self.routes.iter().position(|r| std::ptr::eq(r, route))?;
        let app = self.apps.get(index)?.as_ref()?;
        Some((Arc::clone(app), &route.headers))
    }

    pub(crate) fn max_body(&self) -> u64 {
        self.max_body
    }

    /// Hand `req` to a handler thread; the reply comes back for `key`.
    pub(crate) fn submit(&self, key: ReplyKey, app: Arc<dyn App>, mut req: AppRequest) {
        let head_only = req.method == b"HEAD";
        let headers = std::mem::take(&mut req.route_headers);
        match build(req) {
            Some(request) => self.pool.submit(Job {
                key,
                app,
                request,
                head_only,
                headers,
            }),
            None => log::debug!("request not representable as http::Request; dropped"),
        }
    }
}

fn build(req: AppRequest) -> Option<http::Request<RequestBody>> {
    let mut trailers = http::HeaderMap::new();
    for (n, v) in &req.trailers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(n),
            http::HeaderValue::from_bytes(v),
        ) {
            trailers.append(n, v);
        }
    }
    let trailers = (!trailers.is_empty()).then_some(trailers);
    let mut builder = http::Request::builder()
        .method(http::Method::from_bytes(&req.method).ok()?)
        .uri(http::Uri::try_from(req.target.as_slice()).ok()?)
        .version(if req.http2 {
            http::Version::HTTP_2
        } else {
            http::Version::HTTP_11
        });
    for (n, v) in &req.fields {
        // Field names and values were validated by the decoders.
        builder = builder.header(n.as_slice(), v.as_slice());
    }
    builder.body(RequestBody::new(req.body, trailers)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoded_request_becomes_an_http_request() {
        let req = AppRequest {
            method: b"POST".to_vec(),
            target: b"/x?y=1".to_vec(),
            fields: vec![(b"host".to_vec(), b"h".to_vec())],
            body: b"abc".to_vec(),
            trailers: vec![(b"x-t".to_vec(), b"1".to_vec())],
            too_large: false,
            http2: true,
            route_headers: Vec::new(),
        };
        let r = build(req).expect("request");
        assert_eq!(r.method(), http::Method::POST);
        assert_eq!(r.uri().path(), "/x");
        assert_eq!(r.uri().query(), Some("y=1"));
        assert_eq!(r.version(), http::Version::HTTP_2);
        assert_eq!(r.headers()["host"], "h");
        assert_eq!(r.body().bytes(), b"abc");
        assert_eq!(
            r.body().trailers().map(|t| t["x-t"].clone()),
            Some(http::HeaderValue::from_static("1"))
        );
    }

    #[test]
    fn a_body_over_the_limit_is_marked_and_dropped() {
        let mut r = AppRequest::default();
        r.push_body(b"12345", 8);
        r.push_body(b"6789", 8);
        assert!(r.too_large);
        assert!(r.body.is_empty());
    }
}
