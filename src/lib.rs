//! bicorn: a Unicorn-style prefork HTTP/2 server.
//!
//! # Architecture
//!
//! ```text
//! main.rs ─► supervisor/ ─► worker/ ─► { h1/, h2/ ─► hpack/ } ─► http/
//!                │  │           │  │
//!                │  └─► tls/ ◄──┘  │     (rustls settings, made by the master)
//!                └──── sys/ ◄──────┘     (the only place with `unsafe`)
//! ```
//!
//! - [`supervisor`]: the master. Binds or adopts the listening sockets,
//!   forks workers, supervises them (heartbeat, backoff), and turns signals
//!   into operations: reload (HUP), binary upgrade (USR2), graceful and fast
//!   stop, worker count, also asked for over its control socket (and
//!   the `bicorn status|reload|...` client for it). Talks to systemd.
//!   Never parses HTTP.
//! - [`worker`]: one process, one mio event loop; accepts on the shared
//!   sockets and drives connections. Never parses a frame itself.
//! - [`h1`]: the sans-I/O HTTP/1.1 codec (bytes in, events out; time is a
//!   parameter).
//! - [`h2`]: the sans-I/O HTTP/2 engine: frames, connection, flow control,
//!   request validation, priorities.
//! - [`hpack`]: the sans-I/O HPACK (RFC 7541) header compression engine that
//!   the HTTP/2 engine builds on.
//! - [`tls`]: TLS settings the master loads for each TLS listener (rustls
//!   with the ring provider: certificates, SNI, ALPN, resumption, the
//!   generated self-signed certificate); workers get them ready-made.
//! - [`app`]: what answers requests (routing, static files, the reply type),
//!   in HTTP terms only; the worker carries replies over either protocol.
//! - [`config`]: the TOML file, as a serde mirror and a validated `Config`.
//! - [`logging`]: the process-wide logger and log-file reopening.
//! - [`sys`]: thin wrappers over the Unix calls that need `unsafe`.

pub mod app;
/// The `http` crate, whose `Request` and `Response` the App API speaks.
pub use http;
pub mod config;
pub mod h1;
pub mod h2;
pub mod hpack;
pub mod logging;
pub mod supervisor;
pub mod sys;
pub mod tls;
pub mod worker;
