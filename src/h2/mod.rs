//! HTTP/2 (RFC 9113) as a sans-I/O engine: bytes in, frames and errors
//! out, never a socket or a clock.
//!
//! The frame layer, flow-control windows and request validation are
//! here; the connection (stream states, the SETTINGS exchange, HPACK via
//! [`crate::hpack`]) is built on them.
//!
//! - [`frame`]: the 9-octet header, one file per frame type with its
//!   parser and encoder, and [`frame::parse_frame`], the deframer.
//! - [`error`]: [`ErrorCode`] and [`Error`], whose two variants are the
//!   connection and stream scopes of §5.4, and [`Error::to_frame`], the one
//!   place an error becomes a GOAWAY or RST_STREAM.
//! - [`priority_field`]: the RFC 9218 Priority Field Value (`u=1, i`)
//!   carried by PRIORITY_UPDATE and the `priority` header field.
//! - [`flow`]: send and receive flow-control windows (§5.2, §6.9).
//! - [`request`]: request field validation (§8.1–§8.3).
//! - [`priority`]: which stream sends next (RFC 9218 urgency and
//!   incremental; the RFC 7540 dependency tree before any RFC 9218 signal).
//! - [`conn`]: the server connection that ties them together.

pub mod conn;
pub mod error;
pub mod flow;
pub mod frame;
pub mod priority;
pub mod priority_field;
pub mod request;

pub use error::{Error, ErrorCode, ErrorFrame};
pub use frame::StreamId;
pub use priority_field::Priority;
