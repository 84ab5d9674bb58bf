//! Which `[[route]]` answers a request path: the longest prefix that
//! matches whole path segments, and the part of the path below it.
//!
//! `/static` (or `/static/`) answers `/static`, `/static/` and
//! `/static/...`, never `/staticfoo`; `/` answers everything no longer
//! prefix does. The match is on the octets as received (not decoded), so
//! `/st%61tic` is not `/static`: the files layer decodes what lies below
//! the prefix, once.

use crate::config::Route;

/// The route for `path` (the request target without its query), and the
/// rest of the path below the route's prefix, as the files layer or an
/// app takes it (empty, or starting with `/`).
pub fn route_for<'r, 'p>(routes: &'r [Route], path: &'p [u8]) -> Option<(&'r Route, &'p [u8])> {
    let mut best: Option<(&Route, &[u8], usize)> = None;
    for route in routes {
        let prefix = route.path.trim_end_matches('/').as_bytes();
        let Some(rest) = path.strip_prefix(prefix) else {
            continue;
        };
        if !(rest.is_empty() || rest.starts_with(b"/")) {
            continue;
        }
        if best.is_none_or(|(_, _, len)| prefix.len() > len) {
            best = Some((route, rest, prefix.len()));
        }
    }
    best.map(|(route, rest, _)| (route, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RouteTarget;

    fn routes(paths: &[&str]) -> Vec<Route> {
        paths
            .iter()
            .map(|p| Route {
                path: (*p).to_string(),
                headers: Vec::new(),
                target: RouteTarget::App(format!("app{}", p.len())),
            })
            .collect()
    }

    fn matched<'p>(routes: &[Route], path: &'p str) -> Option<(String, &'p str)> {
        route_for(routes, path.as_bytes())
            .map(|(r, rest)| (r.path.clone(), std::str::from_utf8(rest).unwrap()))
    }

    #[test]
    fn the_longest_whole_segment_prefix_wins() {
        let r = routes(&["/", "/static", "/static/img/"]);
        assert_eq!(matched(&r, "/"), Some(("/".into(), "/")));
        assert_eq!(matched(&r, "/a/b"), Some(("/".into(), "/a/b")));
        assert_eq!(matched(&r, "/static"), Some(("/static".into(), "")));
        assert_eq!(matched(&r, "/static/"), Some(("/static".into(), "/")));
        assert_eq!(
            matched(&r, "/static/a.css"),
            Some(("/static".into(), "/a.css"))
        );
        assert_eq!(
            matched(&r, "/static/img"),
            Some(("/static/img/".into(), ""))
        );
        assert_eq!(
            matched(&r, "/static/img/x.png"),
            Some(("/static/img/".into(), "/x.png"))
        );
    }

    #[test]
    fn a_prefix_never_matches_inside_a_segment() {
        let r = routes(&["/static"]);
        assert_eq!(matched(&r, "/staticfoo"), None);
        assert_eq!(matched(&r, "/st%61tic/a"), None);
        let r = routes(&["/", "/static"]);
        assert_eq!(matched(&r, "/staticfoo"), Some(("/".into(), "/staticfoo")));
    }

    #[test]
    fn no_routes_match_nothing() {
        assert_eq!(matched(&[], "/"), None);
    }
}
