//! The connections' side of the access log: what a request looked like
//! when it arrived, kept until its response is done, then written.
//!
//! A response answered at once (static files, the identity text, an
//! error) is logged from the decoded request in place, copying nothing.
//! One answered later (an app's reply, a streamed body) keeps a
//! [`Logged`] copy of the few fields the log needs, made only while an
//! access log is configured.

use std::time::{Instant, SystemTime};

use crate::app::Fields;
use crate::app::access_log::{AccessLog, Entry, Protocol, Remote};

/// A request's log fields, kept until its response is done.
#[derive(Debug)]
pub(crate) struct Logged {
    method: Vec<u8>,
    target: Vec<u8>,
    host: Option<Vec<u8>>,
    referer: Option<Vec<u8>>,
    user_agent: Option<Vec<u8>>,
    protocol: Protocol,
    stream: Option<u32>,
    started: Instant,
    wall: SystemTime,
}

impl Logged {
    pub(crate) fn new(
        method: &[u8],
        target: &[u8],
        fields: &dyn Fields,
        protocol: Protocol,
        stream: Option<u32>,
        started: Instant,
    ) -> Self {
        Self {
            method: method.to_vec(),
            target: target.to_vec(),
            host: fields.first_value("host"),
            referer: fields.first_value("referer"),
            user_agent: fields.first_value("user-agent"),
            protocol,
            stream,
            started,
            wall: wall_at(started),
        }
    }

    /// Write the entry: the response was `status` with `bytes` of body.
    pub(crate) fn record(&self, log: &mut AccessLog, remote: Remote, status: u16, bytes: u64) {
        let now = Instant::now();
        log.record(
            &Entry {
                time: self.wall,
                remote,
                method: &self.method,
                target: &self.target,
                protocol: self.protocol,
                status,
                bytes,
                duration: now.saturating_duration_since(self.started),
                stream: self.stream,
                host: self.host.as_deref(),
                referer: self.referer.as_deref(),
                user_agent: self.user_agent.as_deref(),
            },
            now,
        );
    }
}

/// Log a response made at once, from the request as decoded.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_now(
    log: &mut AccessLog,
    remote: Remote,
    method: &[u8],
    target: &[u8],
    fields: &dyn Fields,
    protocol: Protocol,
    stream: Option<u32>,
    started: Instant,
    status: u16,
    bytes: u64,
) {
    let now = Instant::now();
    let host = fields.first_value("host");
    let referer = fields.first_value("referer");
    let user_agent = fields.first_value("user-agent");
    log.record(
        &Entry {
            time: wall_at(started),
            remote,
            method,
            target,
            protocol,
            status,
            bytes,
            duration: now.saturating_duration_since(started),
            stream,
            host: host.as_deref(),
            referer: referer.as_deref(),
            user_agent: user_agent.as_deref(),
        },
        now,
    );
}

/// The wall-clock time of monotonic instant `at` (in the past).
fn wall_at(at: Instant) -> SystemTime {
    SystemTime::now() - Instant::now().saturating_duration_since(at)
}
