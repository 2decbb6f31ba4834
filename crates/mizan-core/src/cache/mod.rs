//! Origin-cache backends (SPEC §6): where context responses are stored under
//! the keys derived by [`crate::cache_key`].
//!
//! [`CacheBackend`] is dyn-compatible so an adapter can hold the backend
//! chosen at runtime as a [`SharedCache`] (`Arc<dyn CacheBackend>`):
//! [`memory::MemoryCache`] (single process, development, tests) or
//! [`redis::RedisCache`] (feature `redis`, shared between processes).
//!
//! Every failure is an [`Error::Cache`](crate::Error::Cache), never a panic or
//! a hang: adapters treat it as a miss, serve uncached and log. A backend
//! must never touch keys outside Mizan's `ctx:` namespace (no `FLUSHDB`),
//! and must never keep a reverse index: a scoped purge recomputes its key,
//! a broad purge scans the context's prefix. Which rev and TTL apply to a
//! context is decided by the IR, not here.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;

pub mod memory;
#[cfg(feature = "redis")]
pub mod redis;

pub use memory::MemoryCache;
#[cfg(feature = "redis")]
pub use redis::RedisCache;

/// The boxed future returned by [`CacheBackend`] methods (what keeps the
/// trait dyn-compatible).
pub type CacheFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A cache backend chosen at runtime and shared between requests.
pub type SharedCache = Arc<dyn CacheBackend>;

/// Storage for cached context responses, keyed by full Mizan keys
/// (`ctx:<context>:<hex>`).
pub trait CacheBackend: Send + Sync + std::fmt::Debug {
    /// Short backend name for logs and errors (`memory`, `redis`).
    fn name(&self) -> &'static str;

    /// The value stored under `key`, if present and not expired.
    fn get<'a>(&'a self, key: &'a str) -> CacheFuture<'a, Option<Vec<u8>>>;

    /// Stores `value` under `key`, replacing any previous value. `ttl: None`
    /// keeps it until purged (policy `forever`); a zero TTL stores nothing
    /// and removes any previous value.
    fn put<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Option<Duration>) -> CacheFuture<'a, ()>;

    /// Scoped purge: removes exactly `key` (one `UNLINK`). Returns whether a
    /// value was removed.
    fn purge_key<'a>(&'a self, key: &'a str) -> CacheFuture<'a, bool>;

    /// Broad purge: removes every key of `context` (and only of `context`:
    /// not of a context whose name merely starts with it). Returns how many
    /// keys were removed.
    fn purge_context<'a>(&'a self, context: &'a str) -> CacheFuture<'a, u64>;

    /// Removes every Mizan key (`ctx:<context>:<hex>`) and nothing else.
    /// Returns how many keys were removed.
    fn clear(&self) -> CacheFuture<'_, u64>;

    /// Up to `limit` keys of `context`, sorted. With more than `limit` keys
    /// present, which ones are returned is unspecified (Redis `SCAN` order).
    fn list_keys<'a>(&'a self, context: &'a str, limit: usize) -> CacheFuture<'a, Vec<String>>;
}
