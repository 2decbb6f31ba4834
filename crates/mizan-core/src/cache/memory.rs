//! The in-process cache backend: a sorted map behind a mutex.
//!
//! Meant for development, tests and single-process deployments. Entries
//! honour their TTL (expired entries are invisible at once and swept
//! opportunistically); an optional entry limit bounds memory. It must never
//! hold its lock across an `.await` (it never awaits at all).

use std::collections::BTreeMap;
use std::future::ready;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{CacheBackend, CacheFuture};
use crate::cache_key::{KEY_PREFIX, key_belongs_to, key_context};
use crate::error::{Error, Result};

/// How many `put`s between two sweeps of expired entries.
const SWEEP_EVERY: u64 = 1024;

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires_at: Option<Instant>,
    /// Insertion sequence number, for evicting the oldest entry when full.
    seq: u64,
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

#[derive(Debug, Default)]
struct State {
    entries: BTreeMap<String, Entry>,
    next_seq: u64,
}

impl State {
    fn sweep(&mut self, now: Instant) {
        self.entries.retain(|_, e| e.is_live(now));
    }

    /// Removes the keys starting with `prefix` that `belongs` accepts
    /// (expired ones included); returns how many live entries went.
    fn remove_prefixed(&mut self, prefix: &str, belongs: impl Fn(&str) -> bool) -> u64 {
        let now = Instant::now();
        let doomed: Vec<String> = self
            .entries
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter(|(k, _)| belongs(k))
            .map(|(k, _)| k.clone())
            .collect();
        let mut removed = 0;
        for key in doomed {
            if self.entries.remove(&key).is_some_and(|e| e.is_live(now)) {
                removed += 1;
            }
        }
        removed
    }
}

/// In-memory [`CacheBackend`].
#[derive(Debug, Default)]
pub struct MemoryCache {
    state: Mutex<State>,
    max_entries: Option<usize>,
}

impl MemoryCache {
    /// An unbounded memory cache (entries leave only by TTL or purge).
    pub fn new() -> Self {
        Self::default()
    }

    /// A memory cache holding at most `max_entries` entries: when full,
    /// expired entries are swept first, then the oldest insertion is
    /// evicted.
    pub fn with_max_entries(max_entries: usize) -> Self {
        Self {
            state: Mutex::default(),
            max_entries: Some(max_entries),
        }
    }

    /// Number of stored entries, including expired ones not yet swept.
    pub fn len(&self) -> usize {
        self.lock().map_or(0, |s| s.entries.len())
    }

    /// Whether no entry is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state.lock().map_err(|_| Error::Cache {
            backend: "memory",
            reason: "lock poisoned by a panicking thread".into(),
        })
    }

    fn get_now(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let now = Instant::now();
        let mut state = self.lock()?;
        match state.entries.get(key) {
            Some(e) if e.is_live(now) => Ok(Some(e.value.clone())),
            Some(_) => {
                state.entries.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    fn put_now(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let now = Instant::now();
        let mut state = self.lock()?;
        if ttl.is_some_and(|t| t.is_zero()) {
            state.entries.remove(key);
            return Ok(());
        }
        let seq = state.next_seq;
        state.next_seq += 1;
        if seq % SWEEP_EVERY == SWEEP_EVERY - 1 {
            state.sweep(now);
        }
        if let Some(max) = self.max_entries {
            if max == 0 {
                return Ok(());
            }
            if !state.entries.contains_key(key) && state.entries.len() >= max {
                state.sweep(now);
                if state.entries.len() >= max {
                    let oldest = state.entries.iter().min_by_key(|(_, e)| e.seq).map(|(k, _)| k.clone());
                    if let Some(oldest) = oldest {
                        state.entries.remove(&oldest);
                    }
                }
            }
        }
        state.entries.insert(
            key.to_owned(),
            Entry {
                value: value.to_vec(),
                // An unrepresentable deadline (absurd TTL) means "forever".
                expires_at: ttl.and_then(|t| now.checked_add(t)),
                seq,
            },
        );
        Ok(())
    }

    fn purge_key_now(&self, key: &str) -> Result<bool> {
        let now = Instant::now();
        let mut state = self.lock()?;
        Ok(state.entries.remove(key).is_some_and(|e| e.is_live(now)))
    }

    fn purge_context_now(&self, context: &str) -> Result<u64> {
        let prefix = format!("{KEY_PREFIX}{context}:");
        let mut state = self.lock()?;
        Ok(state.remove_prefixed(&prefix, |k| key_belongs_to(k, context)))
    }

    fn clear_now(&self) -> Result<u64> {
        let mut state = self.lock()?;
        Ok(state.remove_prefixed(KEY_PREFIX, |k| key_context(k).is_some()))
    }

    fn list_keys_now(&self, context: &str, limit: usize) -> Result<Vec<String>> {
        let now = Instant::now();
        let prefix = format!("{KEY_PREFIX}{context}:");
        let state = self.lock()?;
        Ok(state
            .entries
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, e)| e.is_live(now) && key_belongs_to(k, context))
            .take(limit)
            .map(|(k, _)| k.clone())
            .collect())
    }
}

impl CacheBackend for MemoryCache {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn get<'a>(&'a self, key: &'a str) -> CacheFuture<'a, Option<Vec<u8>>> {
        Box::pin(ready(self.get_now(key)))
    }

    fn put<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Option<Duration>) -> CacheFuture<'a, ()> {
        Box::pin(ready(self.put_now(key, value, ttl)))
    }

    fn purge_key<'a>(&'a self, key: &'a str) -> CacheFuture<'a, bool> {
        Box::pin(ready(self.purge_key_now(key)))
    }

    fn purge_context<'a>(&'a self, context: &'a str) -> CacheFuture<'a, u64> {
        Box::pin(ready(self.purge_context_now(context)))
    }

    fn clear(&self) -> CacheFuture<'_, u64> {
        Box::pin(ready(self.clear_now()))
    }

    fn list_keys<'a>(&'a self, context: &'a str, limit: usize) -> CacheFuture<'a, Vec<String>> {
        Box::pin(ready(self.list_keys_now(context, limit)))
    }
}
