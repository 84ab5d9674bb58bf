//! `[[route]]` tables: which URL path prefix is answered by what. A route
//! serves the files under a directory (`root`, with the options of
//! [`FilesRoute`]), hands requests to an application registered by the
//! program embedding bicorn (`app`, recorded here by name only: the
//! registry of apps is not config's business), or answers with the
//! server's own state (`status`: metrics, health or a status page). Any
//! kind may add response fields (`headers`) to everything it answers.
//!
//! This module checks the keys and builds [`Route`]; it does not match
//! request paths to routes (`crate::app::routing` does) or read files
//! (`crate::app::files` does).

use std::path::PathBuf;

use toml::Spanned;

use super::raw::{RawHeaders, RawRoute};
use super::{Checker, ConfigError};

/// One route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The URL path prefix, starting with `/`; the longest match wins,
    /// and it matches whole path segments only (`/static` answers
    /// `/static` and `/static/...`, never `/staticfoo`).
    pub path: String,
    /// Fields added to every response of this route, errors and 304s
    /// included, in file order. Names are lowercase tokens, values valid
    /// field values; framing and hop-by-hop fields are refused.
    pub headers: Vec<(String, String)>,
    /// What answers.
    pub target: RouteTarget,
}

/// What answers a route's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTarget {
    /// Static files (`root = "dir"`).
    Files(FilesRoute),
    /// The application registered under this name by the program that
    /// embeds bicorn (`app = "name"`): a non-empty identifier of ASCII
    /// letters, digits, `_` and `-`, not starting with a digit or `-`.
    App(String),
    /// The server's own state (`status = "..."`), from the scoreboard.
    Status(StatusPage),
}

/// What a `status` route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusPage {
    /// `"metrics"`: Prometheus text exposition of every live worker's
    /// counters.
    Metrics,
    /// `"health"`: 200 `ok` while the answering worker accepts
    /// connections, 503 while it drains (for load balancers).
    Health,
    /// `"page"`: a small HTML table of the workers, refreshed every 2 s.
    Page,
}

impl StatusPage {
    /// The words `status` accepts.
    const WORDS: &'static str = "\"metrics\", \"health\" or \"page\"";

    fn from_word(word: &str) -> Option<StatusPage> {
        match word {
            "metrics" => Some(StatusPage::Metrics),
            "health" => Some(StatusPage::Health),
            "page" => Some(StatusPage::Page),
            _ => None,
        }
    }
}

/// A `root = "dir"` route and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesRoute {
    /// The directory served, canonical (symlinks resolved), so that the
    /// symlink policy can compare canonical paths against it.
    pub root: PathBuf,
    /// `listing`: an HTML index of a directory without `index.html`.
    /// Default false: a directory is not listed (404).
    pub listing: bool,
    /// `dotfiles`: serve names starting with `.`. Default false: they
    /// answer 404 and are left out of listings (except `.well-known`,
    /// RFC 8615's public well-known URIs).
    pub dotfiles: bool,
    /// `follow_symlinks`: which symlinks may be followed.
    pub follow_symlinks: FollowSymlinks,
    /// `precompressed`: serve `NAME.br` / `NAME.gz` beside `NAME` to
    /// clients that accept them. Default false.
    pub precompressed: bool,
}

/// Which symlinks below a root may be followed (`follow_symlinks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FollowSymlinks {
    /// `"never"`: a path through any symlink below the root is 404.
    Never,
    /// `"inside"` (the default): a symlink may be followed if where it
    /// leads, canonically, is still inside the root.
    Inside,
    /// `"any"`: symlinks may lead anywhere the workers can read.
    Any,
}

impl FollowSymlinks {
    /// The words `follow_symlinks` accepts.
    const WORDS: &'static str = "\"never\", \"inside\" or \"any\"";

    fn from_word(word: &str) -> Option<FollowSymlinks> {
        match word {
            "never" => Some(FollowSymlinks::Never),
            "inside" => Some(FollowSymlinks::Inside),
            "any" => Some(FollowSymlinks::Any),
            _ => None,
        }
    }
}

/// Fields a route may not set, and why: they frame the message or
/// belong to one connection (RFC 9110 §7.6.1, RFC 9113 §8.2.2), describe
/// the body the file layer sends (content-length, content-range,
/// content-encoding), or are written by the connection itself (date,
/// server).
const REFUSED_FIELDS: &[&str] = &[
    "connection",
    "content-encoding",
    "content-length",
    "content-range",
    "date",
    "keep-alive",
    "proxy-connection",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

impl Checker<'_> {
    pub(super) fn routes(&self, raw: Option<Vec<RawRoute>>) -> Result<Vec<Route>, ConfigError> {
        let mut out: Vec<Route> = Vec::new();
        for (i, r) in raw.unwrap_or_default().into_iter().enumerate() {
            let span = r.path.span();
            let route = self.route(i, r)?;
            // `/static` and `/static/` name the same segments.
            let same = |o: &Route| o.path.trim_end_matches('/') == route.path.trim_end_matches('/');
            if out.iter().any(same) {
                return Err(self.invalid(
                    span,
                    &format!("route[{i}].path"),
                    format!("`{}` is already routed", route.path),
                ));
            }
            out.push(route);
        }
        Ok(out)
    }

    fn route(&self, i: usize, mut r: RawRoute) -> Result<Route, ConfigError> {
        let key = format!("route[{i}]");
        self.route_path(&r.path, &key)?;
        let headers = self.route_headers(r.headers.take().unwrap_or_default(), &key)?;
        Ok(Route {
            path: r.path.get_ref().clone(),
            headers,
            target: self.route_target(&r, &key)?,
        })
    }

    /// Exactly one of `root`, `app` and `status`.
    fn route_target(&self, r: &RawRoute, key: &str) -> Result<RouteTarget, ConfigError> {
        let named = [("root", &r.root), ("app", &r.app), ("status", &r.status)];
        let mut given = named
            .iter()
            .filter_map(|(name, v)| v.as_ref().map(|v| (*name, v)));
        if let (Some((first, _)), Some((second, v))) = (given.next(), given.next()) {
            return Err(self.invalid(
                v.span(),
                &format!("{key}.{second}"),
                format!(
                    "a route has one of `root` (static files), `app` and `status`; this one \
                     already has `{first}`"
                ),
            ));
        }
        Ok(match (&r.root, &r.app, &r.status) {
            (Some(root), _, _) => RouteTarget::Files(self.files_route(root, r, key)?),
            (None, Some(app), _) => {
                self.no_files_options(r, key, "app")?;
                RouteTarget::App(self.app_name(app, key)?)
            }
            (None, None, Some(word)) => {
                self.no_files_options(r, key, "status")?;
                RouteTarget::Status(StatusPage::from_word(word.get_ref()).ok_or_else(|| {
                    self.invalid(
                        word.span(),
                        &format!("{key}.status"),
                        format!("must be {}, got `{}`", StatusPage::WORDS, word.get_ref()),
                    )
                })?)
            }
            (None, None, None) => {
                return Err(self.invalid(
                    r.path.span(),
                    key,
                    "needs `root = \"dir\"` (static files), `app = \"name\"` or \
                     `status = \"metrics\"` (or \"health\", \"page\")",
                ));
            }
        })
    }

    fn route_path(&self, raw: &Spanned<String>, key: &str) -> Result<(), ConfigError> {
        let path = raw.get_ref();
        let key = format!("{key}.path");
        if !path.starts_with('/') {
            return Err(self.invalid(
                raw.span(),
                &key,
                format!("must start with `/`, got `{path}`"),
            ));
        }
        if let Some(c) = path
            .chars()
            .find(|c| matches!(c, '?' | '#') || c.is_whitespace() || c.is_control())
        {
            return Err(self.invalid(
                raw.span(),
                &key,
                format!("must be a plain URL path, without {c:?}"),
            ));
        }
        Ok(())
    }

    fn files_route(
        &self,
        raw_root: &Spanned<String>,
        r: &RawRoute,
        key: &str,
    ) -> Result<FilesRoute, ConfigError> {
        let root_key = format!("{key}.root");
        let root = self.path(raw_root, &root_key)?;
        let root = std::fs::canonicalize(&root).map_err(|e| {
            self.invalid(
                raw_root.span(),
                &root_key,
                format!("`{}`: {e}", root.display()),
            )
        })?;
        if !root.is_dir() {
            return Err(self.invalid(
                raw_root.span(),
                &root_key,
                format!("`{}` is not a directory", root.display()),
            ));
        }
        let follow_symlinks = match &r.follow_symlinks {
            None => FollowSymlinks::Inside,
            Some(word) => FollowSymlinks::from_word(word.get_ref()).ok_or_else(|| {
                self.invalid(
                    word.span(),
                    &format!("{key}.follow_symlinks"),
                    format!(
                        "must be {}, got `{}`",
                        FollowSymlinks::WORDS,
                        word.get_ref()
                    ),
                )
            })?,
        };
        let flag = |raw: &Option<Spanned<bool>>| raw.as_ref().is_some_and(|b| *b.get_ref());
        Ok(FilesRoute {
            root,
            listing: flag(&r.listing),
            dotfiles: flag(&r.dotfiles),
            follow_symlinks,
            precompressed: flag(&r.precompressed),
        })
    }

    /// An `app` or `status` route with a static-file option is a mistake
    /// worth naming: the option would silently do nothing.
    fn no_files_options(&self, r: &RawRoute, key: &str, kind: &str) -> Result<(), ConfigError> {
        let bools = [
            ("listing", &r.listing),
            ("dotfiles", &r.dotfiles),
            ("precompressed", &r.precompressed),
        ];
        let first = bools
            .iter()
            .filter_map(|(name, v)| v.as_ref().map(|v| (*name, v.span())))
            .chain(
                r.follow_symlinks
                    .as_ref()
                    .map(|v| ("follow_symlinks", v.span())),
            )
            .next();
        if let Some((name, span)) = first {
            return Err(self.invalid(
                span,
                &format!("{key}.{name}"),
                format!("only applies to static-file routes (with `root`), not to `{kind}` routes"),
            ));
        }
        Ok(())
    }

    fn app_name(&self, raw: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let name = raw.get_ref();
        let first_ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        let rest_ok = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !first_ok || !rest_ok {
            return Err(self.invalid(
                raw.span(),
                &format!("{key}.app"),
                format!(
                    "must be a name of ASCII letters, digits, `_` and `-`, starting with a \
                     letter or `_`, got `{name}`"
                ),
            ));
        }
        Ok(name.clone())
    }

    fn route_headers(
        &self,
        raw: RawHeaders,
        key: &str,
    ) -> Result<Vec<(String, String)>, ConfigError> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (name, value) in raw.0 {
            let written = name.get_ref();
            let field_key = format!("{key}.headers.{written}");
            // RFC 9110 §5.1: field-name = token.
            if written.is_empty() || !written.bytes().all(is_tchar) {
                return Err(self.invalid(
                    name.span(),
                    &field_key,
                    "a field name must be a token (letters, digits and !#$%&'*+-.^_`|~)",
                ));
            }
            let lower = written.to_ascii_lowercase();
            if REFUSED_FIELDS.contains(&lower.as_str()) {
                return Err(self.invalid(
                    name.span(),
                    &field_key,
                    format!(
                        "`{lower}` is set by the server itself (framing, connection or body \
                         fields cannot be configured)"
                    ),
                ));
            }
            if out.iter().any(|(n, _)| *n == lower) {
                return Err(self.invalid(
                    name.span(),
                    &field_key,
                    format!("`{lower}` is already set (field names are case-insensitive)"),
                ));
            }
            if let Err(why) = check_field_value(value.get_ref()) {
                return Err(self.invalid(value.span(), &field_key, why));
            }
            out.push((lower, value.into_inner()));
        }
        Ok(out)
    }
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 9110 §5.5: `field-value = *field-content`, with no leading or
/// trailing whitespace. Limited to visible ASCII, space and tab, as the
/// RFC asks of new fields ("SHOULD limit their values to visible US-ASCII
/// octets (VCHAR), SP, and HTAB"); CR, LF, NUL and other controls are
/// refused outright ("invalid and dangerous").
fn check_field_value(value: &str) -> Result<(), String> {
    if let Some(c) = value
        .chars()
        .find(|&c| !(c == ' ' || c == '\t' || c.is_ascii_graphic()))
    {
        return Err(format!(
            "a field value may hold visible ASCII, spaces and tabs only, not {c:?}"
        ));
    }
    if value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']) {
        return Err("a field value may not start or end with whitespace".to_string());
    }
    Ok(())
}
