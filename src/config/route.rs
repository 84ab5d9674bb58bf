//! `[[route]]` tables: which URL path prefix is answered from which
//! directory. For now a route serves static files plainly (the content
//! layer extends routes with applications and response headers later).

use std::path::PathBuf;

use super::raw::RawRoute;
use super::{Checker, ConfigError};

/// One route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The URL path prefix, starting with `/`; the longest match wins.
    pub path: String,
    /// The directory served under it, canonical (symlinks resolved).
    pub root: PathBuf,
}

impl Checker<'_> {
    pub(super) fn routes(&self, raw: Option<Vec<RawRoute>>) -> Result<Vec<Route>, ConfigError> {
        let mut out: Vec<Route> = Vec::new();
        for (i, r) in raw.unwrap_or_default().iter().enumerate() {
            let path = r.path.get_ref();
            if !path.starts_with('/') {
                return Err(self.invalid(
                    r.path.span(),
                    &format!("route[{i}].path"),
                    format!("must start with `/`, got `{path}`"),
                ));
            }
            if out.iter().any(|o| o.path == *path) {
                return Err(self.invalid(
                    r.path.span(),
                    &format!("route[{i}].path"),
                    format!("`{path}` is already routed"),
                ));
            }
            let key = format!("route[{i}].root");
            let root = self.path(&r.root, &key)?;
            let root = std::fs::canonicalize(&root).map_err(|e| {
                self.invalid(r.root.span(), &key, format!("`{}`: {e}", root.display()))
            })?;
            if !root.is_dir() {
                return Err(self.invalid(
                    r.root.span(),
                    &key,
                    format!("`{}` is not a directory", root.display()),
                ));
            }
            out.push(Route {
                path: path.clone(),
                root,
            });
        }
        Ok(out)
    }
}
