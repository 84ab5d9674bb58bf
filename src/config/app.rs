//! The `[app]` table: how a worker runs the handlers of apps registered
//! by a program that embeds bicorn (`[[route]]` with `app = "name"`).

use toml::Spanned;

use super::raw::RawApp;
use super::{Checker, ConfigError};

/// Handler threads and request-body buffering of the App API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppConfig {
    /// Handler threads per worker (Puma-style): a handler that blocks
    /// holds one thread, never the event loop. Started only in workers
    /// that have app routes. Default 4.
    pub threads: usize,
    /// Largest request body buffered for a handler; a larger one is
    /// answered 413. Default 1 MiB.
    pub max_request_body: u64,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            threads: 4,
            max_request_body: 1 << 20,
        }
    }
}

const MAX_THREADS: i64 = 1024;
const MAX_BODY: i64 = 1 << 40;

impl Checker<'_> {
    pub(super) fn app(&self, raw: Option<RawApp>) -> Result<AppConfig, ConfigError> {
        let d = AppConfig::default();
        let Some(raw) = raw else {
            return Ok(d);
        };
        Ok(AppConfig {
            threads: self
                .bounded(raw.threads.as_ref(), "app.threads", 1, MAX_THREADS)?
                .map_or(d.threads, |n| usize::try_from(n).unwrap_or(d.threads)),
            max_request_body: self
                .bounded(
                    raw.max_request_body.as_ref(),
                    "app.max_request_body",
                    0,
                    MAX_BODY,
                )?
                .map_or(d.max_request_body, |n| n.unsigned_abs()),
        })
    }

    fn bounded(
        &self,
        raw: Option<&Spanned<i64>>,
        key: &str,
        min: i64,
        max: i64,
    ) -> Result<Option<i64>, ConfigError> {
        let Some(raw) = raw else { return Ok(None) };
        let n = *raw.get_ref();
        if !(min..=max).contains(&n) {
            return Err(self.invalid(
                raw.span(),
                key,
                format!("must be between {min} and {max}, got {n}"),
            ));
        }
        Ok(Some(n))
    }
}
