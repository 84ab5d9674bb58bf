//! What answers requests: static files (`files`), and the response type
//! every answer is made of (`reply`). It speaks HTTP semantics only:
//! requests and replies, never sockets or framing; `worker/` carries the
//! replies over HTTP/1.1 or HTTP/2.

pub mod access_log;
pub mod reply;
pub mod request;

pub use reply::{Body, FieldName, FieldValue, FileRange, Reply};
pub use request::{FieldPairs, Fields, NoFields, Request};
