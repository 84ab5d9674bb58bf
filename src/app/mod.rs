//! What answers requests: which route a path belongs to (`routing`),
//! static files (`files`), the App API for programs that embed bicorn
//! (`api`), and the request and response types every answer is made of
//! (`request`, `reply`). It speaks HTTP semantics only: requests and
//! replies, never sockets or framing; `worker/` carries the replies over
//! HTTP/1.1 or HTTP/2.

pub mod access_log;
pub mod api;
pub mod files;
pub mod html;
pub mod reply;
pub mod request;
pub mod routing;

pub use files::StaticFiles;
pub use reply::{Body, FieldName, FieldValue, FileRange, Reply};
pub use request::{FieldPairs, Fields, NoFields, Request};
pub use routing::route_for;
