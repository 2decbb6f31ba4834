//! The in-process cache backend, on `moka` (bounded, O(1) eviction).
//!
//! Meant for development, tests and single-process deployments. Bounded by
//! default ([`DEFAULT_MAX_BYTES`] of stored bytes); entries honour their TTL
//! and are evicted least-recently-used when full. Generations live in a
//! small map beside the entries, each forgotten [`GENERATION_TTL`] after its
//! last bump; a write checks them and inserts under the same lock, so a
//! stale write can never land after a purge.

use std::collections::HashMap;
use std::future::ready;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::sync::Cache;

use super::{CacheBackend, CacheFuture, Generation, Read, Slot, context_generation_key};
use crate::cache_key::{KEY_PREFIX, key_belongs_to, key_context};
use crate::error::{Error, Result};

/// Default bound on stored bytes (keys and values): 64 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// How long a generation is remembered after its last bump: 8 days, a day
/// more than the origin cache's default TTL cap.
pub const GENERATION_TTL: Duration = Duration::from_secs(8 * 24 * 3600);

/// How many bumps between two sweeps of forgotten generations.
const SWEEP_EVERY: u64 = 4096;

#[derive(Debug)]
struct Stored {
    bytes: Vec<u8>,
    ttl: Duration,
}

struct PerEntryTtl;

impl Expiry<String, Arc<Stored>> for PerEntryTtl {
    fn expire_after_create(&self, _key: &String, value: &Arc<Stored>, _at: std::time::Instant) -> Option<Duration> {
        Some(value.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &Arc<Stored>,
        _at: std::time::Instant,
        _left: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

#[derive(Debug, Default)]
struct Generations {
    /// Generation key → (value, when it is forgotten).
    values: HashMap<String, (u64, Instant)>,
    bumps: u64,
}

impl Generations {
    fn get(&self, key: &str, now: Instant) -> u64 {
        self.values
            .get(key)
            .filter(|(_, until)| now < *until)
            .map_or(0, |(v, _)| *v)
    }

    fn bump(&mut self, key: &str, ttl: Duration) {
        let now = Instant::now();
        let next = self.get(key, now) + 1;
        let until = now.checked_add(ttl).unwrap_or(now);
        self.values.insert(key.to_owned(), (next, until));
        self.bumps += 1;
        if self.bumps.is_multiple_of(SWEEP_EVERY) {
            self.values.retain(|_, (_, until)| now < *until);
        }
    }
}

/// In-memory [`CacheBackend`].
pub struct MemoryCache {
    entries: Cache<String, Arc<Stored>>,
    generations: Mutex<Generations>,
    generation_ttl: Duration,
}

impl std::fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCache")
            .field("entries", &self.entries.entry_count())
            .field("max_bytes", &self.entries.policy().max_capacity())
            .finish()
    }
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::with_max_bytes(DEFAULT_MAX_BYTES)
    }
}

impl MemoryCache {
    /// A memory cache bounded to [`DEFAULT_MAX_BYTES`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A memory cache holding at most about `max_bytes` of keys and values;
    /// the least recently used entries are evicted first.
    pub fn with_max_bytes(max_bytes: u64) -> Self {
        Self::build(max_bytes, |k: &String, v: &Arc<Stored>| {
            u32::try_from(k.len() + v.bytes.len()).unwrap_or(u32::MAX)
        })
    }

    /// A memory cache holding at most `max_entries` entries.
    pub fn with_max_entries(max_entries: u64) -> Self {
        Self::build(max_entries, |_: &String, _: &Arc<Stored>| 1)
    }

    fn build(capacity: u64, weigher: impl Fn(&String, &Arc<Stored>) -> u32 + Send + Sync + 'static) -> Self {
        MemoryCache {
            entries: Cache::builder()
                .max_capacity(capacity)
                .weigher(weigher)
                .expire_after(PerEntryTtl)
                .build(),
            generations: Mutex::default(),
            generation_ttl: GENERATION_TTL,
        }
    }

    /// Number of stored entries (after pending evictions are applied).
    pub fn len(&self) -> usize {
        self.entries.run_pending_tasks();
        usize::try_from(self.entries.entry_count()).unwrap_or(usize::MAX)
    }

    /// Whether no entry is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> Result<MutexGuard<'_, Generations>> {
        self.generations.lock().map_err(|_| Error::Cache {
            backend: "memory",
            reason: "lock poisoned by a panicking thread".into(),
        })
    }

    fn generation_of(&self, generations: &Generations, slot: Slot<'_>) -> Generation {
        let now = Instant::now();
        Generation {
            context: generations.get(&context_generation_key(slot.context), now),
            instance: generations.get(slot.instance, now),
        }
    }

    fn read_now(&self, slot: Slot<'_>) -> Result<Read> {
        let generations = self.lock()?;
        let generation = self.generation_of(&generations, slot);
        let entry = self.entries.get(slot.key).map(|s| s.bytes.clone());
        Ok(Read { entry, generation })
    }

    fn write_now(&self, slot: Slot<'_>, seen: Generation, entry: &[u8], ttl: Duration) -> Result<bool> {
        let generations = self.lock()?;
        if ttl.is_zero() || self.generation_of(&generations, slot) != seen {
            return Ok(false);
        }
        self.entries.insert(
            slot.key.to_owned(),
            Arc::new(Stored {
                bytes: entry.to_vec(),
                ttl,
            }),
        );
        Ok(true)
    }

    fn purge_instance_now(&self, instance: &str, canonical: &str) -> Result<()> {
        let mut generations = self.lock()?;
        generations.bump(instance, self.generation_ttl);
        self.entries.invalidate(canonical);
        Ok(())
    }

    fn bump_context_now(&self, context: &str) -> Result<()> {
        self.lock()?.bump(&context_generation_key(context), self.generation_ttl);
        Ok(())
    }

    fn remove_matching(&self, belongs: impl Fn(&str) -> bool) -> u64 {
        let doomed: Vec<Arc<String>> = self
            .entries
            .iter()
            .filter(|(k, _)| belongs(k))
            .map(|(k, _)| k)
            .collect();
        for key in &doomed {
            self.entries.invalidate(key.as_str());
        }
        doomed.len() as u64
    }

    fn list_keys_now(&self, context: &str, limit: usize) -> Vec<String> {
        let mut keys: Vec<String> = self
            .entries
            .iter()
            .filter(|(k, _)| key_belongs_to(k, context))
            .map(|(k, _)| (*k).clone())
            .collect();
        keys.sort();
        keys.truncate(limit);
        keys
    }
}

impl CacheBackend for MemoryCache {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn generation_ttl(&self) -> Duration {
        self.generation_ttl
    }

    fn read<'a>(&'a self, slot: Slot<'a>) -> CacheFuture<'a, Read> {
        Box::pin(ready(self.read_now(slot)))
    }

    fn write<'a>(&'a self, slot: Slot<'a>, seen: Generation, entry: &'a [u8], ttl: Duration) -> CacheFuture<'a, bool> {
        Box::pin(ready(self.write_now(slot, seen, entry, ttl)))
    }

    fn purge_instance<'a>(&'a self, _context: &'a str, instance: &'a str, canonical: &'a str) -> CacheFuture<'a, ()> {
        Box::pin(ready(self.purge_instance_now(instance, canonical)))
    }

    fn bump_context<'a>(&'a self, context: &'a str) -> CacheFuture<'a, ()> {
        Box::pin(ready(self.bump_context_now(context)))
    }

    fn remove_context<'a>(&'a self, context: &'a str) -> CacheFuture<'a, u64> {
        Box::pin(ready(Ok(self.remove_matching(|k| key_belongs_to(k, context)))))
    }

    fn clear(&self) -> CacheFuture<'_, u64> {
        Box::pin(ready(Ok(
            self.remove_matching(|k| k.starts_with(KEY_PREFIX) && key_context(k).is_some())
        )))
    }

    fn list_keys<'a>(&'a self, context: &'a str, limit: usize) -> CacheFuture<'a, Vec<String>> {
        Box::pin(ready(Ok(self.list_keys_now(context, limit))))
    }
}
