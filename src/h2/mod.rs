//! HTTP/2 (RFC 9113), sans-I/O.

pub mod flow;
pub mod request;
