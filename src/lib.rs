//! bicorn: a Unicorn-style prefork HTTP/2 server; `h1` is its sans-I/O HTTP/1.1 codec.
pub mod h1;
