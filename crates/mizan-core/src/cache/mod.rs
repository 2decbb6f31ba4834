//! Origin-cache backends (SPEC §6): where context responses are stored under
//! the keys derived by [`crate::cache_key`], and the generations that make a
//! purge impossible to lose.
//!
//! [`CacheBackend`] is dyn-compatible so an adapter can hold the backend
//! chosen at runtime as a [`SharedCache`] (`Arc<dyn CacheBackend>`):
//! [`memory::MemoryCache`] (single process, development, tests; bounded) or
//! [`redis::RedisCache`] (feature `redis`, shared between processes).
//!
//! **Generations.** Every context has a *context generation* and every
//! instance (the context with its required params, see
//! [`policy::ContextPolicy::instance_key`]) an *instance generation*. An
//! entry is stored with the generations its lookup saw
//! ([`entry::encode`]) and is only served while both are unchanged. A purge
//! bumps a generation, one O(1) command whatever the number of cached users
//! or optional-param variants, and an entry written by a fetch that read the
//! old data can never land after it ([`CacheBackend::write`] checks the
//! generations atomically). Generation keys outlive every entry
//! ([`CacheBackend::generation_ttl`]), so a generation never resets under a
//! live entry.
//!
//! Every failure is an [`Error::Cache`](crate::Error::Cache), never a panic or
//! a hang: adapters treat it as a miss, serve uncached and log. A backend
//! must never touch keys outside Mizan's `ctx:` namespace (no `FLUSHDB`).
//! Which rev, fingerprint and TTL apply to a context is decided by
//! [`policy`], not here.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;

pub mod entry;
pub mod memory;
pub mod policy;
#[cfg(feature = "redis")]
pub mod redis;

pub use entry::Generation;
pub use memory::MemoryCache;
pub use policy::{CacheOptions, CachePolicies, ContextPolicy};
#[cfg(feature = "redis")]
pub use redis::{Inspection, RedisCache};

/// The boxed future returned by [`CacheBackend`] methods (what keeps the
/// trait dyn-compatible).
pub type CacheFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A cache backend chosen at runtime and shared between requests.
pub type SharedCache = Arc<dyn CacheBackend>;

/// Where one entry lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot<'a> {
    /// The context.
    pub context: &'a str,
    /// The entry's key (`ctx:<context>:<hex>`).
    pub key: &'a str,
    /// The key of its instance's generation
    /// ([`policy::ContextPolicy::instance_key`]).
    pub instance: &'a str,
}

/// What a [`CacheBackend::read`] saw, in one atomic step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Read {
    /// The stored bytes ([`entry::encode`]d), if any.
    pub entry: Option<Vec<u8>>,
    /// The current generations of the slot's context and instance.
    pub generation: Generation,
}

/// Storage for cached context responses, keyed by full Mizan keys
/// (`ctx:<context>:<hex>`), with the generations of contexts and instances.
pub trait CacheBackend: Send + Sync + std::fmt::Debug {
    /// Short backend name for logs and errors (`memory`, `redis`).
    fn name(&self) -> &'static str;

    /// How long a generation is remembered after its last bump. Entries
    /// must expire well before (the origin cache caps every TTL below it).
    fn generation_ttl(&self) -> Duration;

    /// The entry under `slot.key` and the current generations, atomically.
    fn read<'a>(&'a self, slot: Slot<'a>) -> CacheFuture<'a, Read>;

    /// Stores `entry` under `slot.key` for `ttl` **only if** the slot's
    /// generations still equal `seen` (what the lookup read), atomically.
    /// Returns whether it was stored. A zero TTL stores nothing.
    fn write<'a>(&'a self, slot: Slot<'a>, seen: Generation, entry: &'a [u8], ttl: Duration) -> CacheFuture<'a, bool>;

    /// Scoped purge: bumps the instance generation `instance` of `context`
    /// (every copy of that instance — any user, any optional params —
    /// stops being served) and removes `canonical`, the anonymous entry, in
    /// one atomic step.
    fn purge_instance<'a>(&'a self, context: &'a str, instance: &'a str, canonical: &'a str) -> CacheFuture<'a, ()>;

    /// Broad purge: bumps the context generation (every entry of `context`
    /// stops being served at once).
    fn bump_context<'a>(&'a self, context: &'a str) -> CacheFuture<'a, ()>;

    /// Removes the entries of `context` (and only of `context`: not of a
    /// context whose name merely starts with it). Garbage collection after
    /// [`bump_context`](Self::bump_context); returns how many were removed.
    fn remove_context<'a>(&'a self, context: &'a str) -> CacheFuture<'a, u64>;

    /// Removes every Mizan entry (`ctx:<context>:<hex>`) and nothing else.
    /// Returns how many were removed.
    fn clear(&self) -> CacheFuture<'_, u64>;

    /// Up to `limit` entry keys of `context`, sorted. With more than `limit`
    /// keys present, which ones are returned is unspecified (Redis `SCAN`
    /// order).
    fn list_keys<'a>(&'a self, context: &'a str, limit: usize) -> CacheFuture<'a, Vec<String>>;
}

/// The key of `context`'s generation: `ctx:<context>:g` (not an entry key:
/// entry keys end in 64 hex digits, so purges and `clear` never touch it).
pub fn context_generation_key(context: &str) -> String {
    format!("{}{context}:g", crate::cache_key::KEY_PREFIX)
}

/// The key of an instance's generation, from the key of its canonical
/// (anonymous, required-params-only) entry: `<canonical>:g`.
pub fn instance_generation_key(canonical: &str) -> String {
    format!("{canonical}:g")
}
