//! Unit tests for `Config` loading: one story per key and per mistake.
