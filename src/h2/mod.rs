//! HTTP/2 (RFC 9113) as a sans-I/O engine: bytes in, frames and errors
//! out, never a socket or a clock.
//!
//! So far this holds the frame layer; the connection (stream states, flow
//! control, the SETTINGS exchange, HPACK via [`crate::hpack`]) comes next
//! and is built on it.
//!
//! - [`frame`]: the 9-octet header, one file per frame type with its
//!   parser and encoder, and [`frame::parse_frame`], the deframer.
//! - [`error`]: [`ErrorCode`] and [`Error`], whose two variants are the
//!   connection and stream scopes of §5.4, and [`Error::to_frame`], the one
//!   place an error becomes a GOAWAY or RST_STREAM.
//! - [`priority_field`]: the RFC 9218 Priority Field Value (`u=1, i`)
//!   carried by PRIORITY_UPDATE and the `priority` header field.

pub mod error;
pub mod frame;
pub mod priority_field;

pub use error::{Error, ErrorCode, ErrorFrame};
pub use frame::StreamId;
pub use priority_field::Priority;
