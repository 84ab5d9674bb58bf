//! bicorn: a Unicorn-style prefork HTTP/2 server.

pub mod config;
pub mod h1;
