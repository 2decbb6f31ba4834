//! # mizan-core
//!
//! The protocol core of Mizan: the canonical IR and its KDL form, graph
//! checks, invalidation/merge resolution, the `X-Mizan-Invalidate` header,
//! origin-cache keys and backends, MWT tokens, the edge manifest and the wire
//! types shared by every adapter and client.
//!
//! Architecture invariant: this crate does no I/O beyond bytes in, bytes out.
//! The single exception is [`cache::redis`] (feature `redis`), the Redis
//! cache backend. It knows nothing of axum, Tauri, Leptos or the file system.

pub mod cache;
pub mod cache_key;
pub mod canonical_json;
pub mod check;
pub mod error;
pub mod graph;
pub mod header;
pub mod invalidation;
pub mod ir;
pub mod manifest;
pub mod mwt;
pub mod query;
pub mod wire;

pub use error::{Error, Result};
pub use ir::Ir;
