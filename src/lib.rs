//! bicorn: a Unicorn-style prefork HTTP/2 server; `hpack` is its header compression engine.
pub mod hpack;
