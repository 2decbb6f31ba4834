//! The Redis cache backend (feature `redis`): the one place in `mizan-core`
//! that does network I/O.
//!
//! Commands go through the `redis` crate's reconnecting
//! [`ConnectionManager`] (one multiplexed connection, re-established in the
//! background after a failure; no lock is held across a connect). Every
//! command is bounded by a timeout, and after a connection failure the
//! backend fails fast for a short back-off instead of waiting on every
//! request, so "Redis is down" turns into a quick [`Error::Cache`] (which
//! adapters treat as a miss) — never a panic, never a hang.
//!
//! Generations (see [`super`]) are plain counters: `INCR` + `PEXPIRE` in one
//! `MULTI`; a write is a Lua script that compares them and `SET`s only when
//! they are unchanged, so no write can land after a purge. This module must
//! never run `FLUSHDB`/`FLUSHALL` or touch keys outside the `ctx:`
//! namespace, and never log the connection password. Redis Cluster is not
//! supported (the write script touches three keys).

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Cmd, FromRedisValue, RedisError, RedisResult, Script};

use super::{CacheBackend, CacheFuture, Generation, Read, Slot, context_generation_key};
use crate::cache_key::{KEY_PREFIX, context_pattern, key_belongs_to, key_context};
use crate::error::{Error, Result};

const BACKEND: &str = "redis";

/// Tunables of [`RedisCache`]. The defaults suit a Redis on the same host or
/// network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisOptions {
    /// Bound on establishing the TCP connection and handshake (default 1 s).
    pub connect_timeout: Duration,
    /// Bound on each command's reply (default 500 ms).
    pub response_timeout: Duration,
    /// After a connection failure, calls fail immediately for this long
    /// (default 1 s) while the manager reconnects.
    pub retry_backoff: Duration,
    /// `COUNT` hint for `SCAN`, and the `UNLINK` batch size (default 1000).
    pub scan_count: usize,
    /// How long a generation is remembered after its last bump (default 8
    /// days; the origin cache caps entry TTLs below it).
    pub generation_ttl: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_millis(500),
            retry_backoff: Duration::from_secs(1),
            scan_count: 1000,
            generation_ttl: super::memory::GENERATION_TTL,
        }
    }
}

/// What [`RedisCache::inspect`] saw of one slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The stored bytes (or their first bytes), `None` when absent.
    pub entry: Option<Vec<u8>>,
    /// The entry's remaining TTL (`None`: absent, or no expiry).
    pub ttl: Option<Duration>,
    /// The current generations of the slot's context and instance.
    pub generation: Generation,
}

/// [`CacheBackend`] on a Redis server.
pub struct RedisCache {
    client: Client,
    options: RedisOptions,
    /// Created on first use (it needs the Tokio runtime).
    manager: OnceLock<ConnectionManager>,
    /// Milliseconds since `epoch` until which calls fail fast (0: up).
    down_until: AtomicU64,
    epoch: Instant,
    write_script: Script,
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The address only: the URL may carry a password.
        f.debug_struct("RedisCache")
            .field("addr", &self.client.get_connection_info().addr().to_string())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl RedisCache {
    /// A backend for `url` (`redis://[:password@]host[:port][/db]`) with
    /// default [`RedisOptions`]. Does not connect: the first call does.
    pub fn new(url: &str) -> Result<Self> {
        Self::with_options(url, RedisOptions::default())
    }

    /// A backend for `url` with explicit options. Fails only if the URL is
    /// invalid.
    pub fn with_options(url: &str, options: RedisOptions) -> Result<Self> {
        let client = Client::open(url).map_err(|e| cache_err(format!("invalid URL: {e}")))?;
        Ok(Self {
            client,
            options: RedisOptions {
                scan_count: options.scan_count.max(1),
                ..options
            },
            manager: OnceLock::new(),
            down_until: AtomicU64::new(0),
            epoch: Instant::now(),
            write_script: Script::new(super::entry::REDIS_WRITE_SCRIPT),
        })
    }

    /// Round-trips a `PING`: a health check for adapters and the studio.
    pub async fn ping(&self) -> Result<()> {
        let reply: String = self.run(&redis::cmd("PING")).await?;
        if reply == "PONG" {
            Ok(())
        } else {
            Err(cache_err(format!("unexpected PING reply `{reply}`")))
        }
    }

    /// Looks at entries without serving them (the studio's cache
    /// inspector): for each slot, in **one** pipelined round trip, the
    /// stored bytes (or only their first `head` bytes, enough for the
    /// entry header, when `head` is `Some`), the entry's remaining TTL and
    /// the current generations of its context and instance. No `SCAN`.
    pub async fn inspect(&self, slots: &[Slot<'_>], head: Option<usize>) -> Result<Vec<Inspection>> {
        if slots.is_empty() {
            return Ok(Vec::new());
        }
        let flat: Vec<redis::Value> = self
            .with_conn(|mut conn| async move {
                let mut pipe = redis::pipe();
                for slot in slots {
                    match head {
                        Some(n) => pipe.cmd("GETRANGE").arg(slot.key).arg(0).arg(n.saturating_sub(1)),
                        None => pipe.cmd("GET").arg(slot.key),
                    };
                    pipe.cmd("PTTL")
                        .arg(slot.key)
                        .cmd("GET")
                        .arg(context_generation_key(slot.context))
                        .cmd("GET")
                        .arg(slot.instance);
                }
                pipe.query_async(&mut conn).await
            })
            .await?;
        let parse = |e: redis::ParsingError| cache_err(format!("unexpected reply: {e}"));
        let replies = flat
            .chunks(4)
            .map(|c| {
                Ok((
                    Option::<Vec<u8>>::from_redis_value_ref(&c[0]).map_err(parse)?,
                    i64::from_redis_value_ref(&c[1]).map_err(parse)?,
                    Option::<u64>::from_redis_value_ref(&c[2]).map_err(parse)?,
                    Option::<u64>::from_redis_value_ref(&c[3]).map_err(parse)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(replies
            .into_iter()
            .map(|(bytes, pttl, context, instance)| Inspection {
                // GETRANGE answers "" for a missing key.
                entry: bytes.filter(|b| !b.is_empty()),
                ttl: u64::try_from(pttl).ok().map(Duration::from_millis),
                generation: Generation {
                    context: context.unwrap_or(0),
                    instance: instance.unwrap_or(0),
                },
            })
            .collect())
    }

    /// One `SCAN` step over `context`'s entry keys: the next cursor (0 when
    /// the scan is complete) and the keys of this step that belong to
    /// `context` (a step may return none). `count` is the `COUNT` hint.
    pub async fn scan_context(&self, context: &str, cursor: u64, count: usize) -> Result<(u64, Vec<String>)> {
        let mut cmd = redis::cmd("SCAN");
        cmd.arg(cursor)
            .arg("MATCH")
            .arg(context_pattern(context))
            .arg("COUNT")
            .arg(count.max(1));
        let (next, keys): (u64, Vec<Vec<u8>>) = self.run(&cmd).await?;
        let keys = keys
            .into_iter()
            .filter_map(|k| String::from_utf8(k).ok())
            .filter(|k| key_belongs_to(k, context))
            .collect();
        Ok((next, keys))
    }

    /// The current values of generation keys (absent = 0), one `MGET`.
    pub async fn generations(&self, keys: &[String]) -> Result<Vec<u64>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut cmd = redis::cmd("MGET");
        cmd.arg(keys);
        let values: Vec<Option<u64>> = self.run(&cmd).await?;
        Ok(values.into_iter().map(|v| v.unwrap_or(0)).collect())
    }

    fn manager(&self) -> Result<ConnectionManager> {
        if let Some(m) = self.manager.get() {
            return Ok(m.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.options.connect_timeout))
            .set_response_timeout(Some(self.options.response_timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(self.options.retry_backoff);
        let manager = ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            .map_err(|e| cache_err(format!("cannot create the connection manager: {e}")))?;
        Ok(self.manager.get_or_init(|| manager).clone())
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Runs `op` on the shared connection with a bounded wait, mapping every
    /// failure to [`Error::Cache`] and failing fast after a connection
    /// failure.
    async fn with_conn<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        if self.now_ms() < self.down_until.load(Ordering::Relaxed) {
            return Err(cache_err("unavailable (reconnecting)".into()));
        }
        let conn = self.manager()?;
        // Backstop: a reconnect in progress may take up to the connect
        // timeout, a command up to the response timeout.
        let bound = self
            .options
            .connect_timeout
            .saturating_add(self.options.response_timeout);
        let failure = match tokio::time::timeout(bound, op(conn)).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) if !is_connection_failure(&e) => return Err(cache_err(e.to_string())),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no reply within {bound:?}"),
        };
        let backoff = u64::try_from(self.options.retry_backoff.as_millis()).unwrap_or(u64::MAX);
        self.down_until
            .store(self.now_ms().saturating_add(backoff), Ordering::Relaxed);
        Err(cache_err(failure))
    }

    async fn run<T: FromRedisValue + Send>(&self, cmd: &Cmd) -> Result<T> {
        self.with_conn(|mut conn| async move { cmd.query_async::<T>(&mut conn).await })
            .await
    }

    fn generation_ms(&self) -> u64 {
        u64::try_from(self.options.generation_ttl.as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    async fn bump(&self, generation_key: &str, also_unlink: Option<&str>) -> Result<()> {
        let ms = self.generation_ms();
        self.with_conn(|mut conn| async move {
            let mut pipe = redis::pipe();
            pipe.atomic()
                .cmd("INCR")
                .arg(generation_key)
                .ignore()
                .cmd("PEXPIRE")
                .arg(generation_key)
                .arg(ms)
                .ignore();
            if let Some(key) = also_unlink {
                pipe.cmd("UNLINK").arg(key).ignore();
            }
            pipe.query_async::<()>(&mut conn).await
        })
        .await
    }

    /// `UNLINK`s `keys` (at most one batch), returning how many existed.
    async fn unlink(&self, keys: &[Vec<u8>]) -> Result<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        let mut cmd = redis::cmd("UNLINK");
        cmd.arg(keys);
        self.run(&cmd).await
    }

    /// Scans `pattern` and unlinks, in batches, the keys `belongs` accepts.
    async fn purge_matching(&self, pattern: &str, belongs: impl Fn(&str) -> bool) -> Result<u64> {
        let batch_size = self.options.scan_count;
        let mut cursor = 0u64;
        let mut batch: Vec<Vec<u8>> = Vec::with_capacity(batch_size);
        let mut removed = 0u64;
        loop {
            let (next, keys) = self.scan(cursor, pattern).await?;
            batch.extend(keys.into_iter().filter(|k| std::str::from_utf8(k).is_ok_and(&belongs)));
            if batch.len() >= batch_size {
                removed += self.unlink(&batch).await?;
                batch.clear();
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        removed += self.unlink(&batch).await?;
        Ok(removed)
    }

    async fn scan(&self, cursor: u64, pattern: &str) -> Result<(u64, Vec<Vec<u8>>)> {
        let mut cmd = redis::cmd("SCAN");
        cmd.arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(self.options.scan_count);
        self.run(&cmd).await
    }

    async fn read_impl(&self, slot: Slot<'_>) -> Result<Read> {
        let mut cmd = redis::cmd("MGET");
        cmd.arg(slot.key)
            .arg(context_generation_key(slot.context))
            .arg(slot.instance);
        let (entry, context, instance): (Option<Vec<u8>>, Option<u64>, Option<u64>) = self.run(&cmd).await?;
        Ok(Read {
            entry,
            generation: Generation {
                context: context.unwrap_or(0),
                instance: instance.unwrap_or(0),
            },
        })
    }

    async fn write_impl(&self, slot: Slot<'_>, seen: Generation, entry: &[u8], ttl: Duration) -> Result<bool> {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        if millis == 0 {
            return Ok(false);
        }
        let context_key = context_generation_key(slot.context);
        let stored: i64 = self
            .with_conn(|mut conn| async move {
                self.write_script
                    .key(slot.key)
                    .key(&context_key)
                    .key(slot.instance)
                    .arg(seen.context)
                    .arg(seen.instance)
                    .arg(entry)
                    .arg(millis)
                    .invoke_async(&mut conn)
                    .await
            })
            .await?;
        Ok(stored == 1)
    }

    async fn list_keys_impl(&self, context: &str, limit: usize) -> Result<Vec<String>> {
        let pattern = context_pattern(context);
        let mut found = BTreeSet::new();
        let mut cursor = 0u64;
        while found.len() < limit {
            let (next, keys) = self.scan(cursor, &pattern).await?;
            found.extend(
                keys.into_iter()
                    .filter_map(|k| String::from_utf8(k).ok())
                    .filter(|k| key_belongs_to(k, context)),
            );
            if next == 0 {
                break;
            }
            cursor = next;
        }
        Ok(found.into_iter().take(limit).collect())
    }
}

impl CacheBackend for RedisCache {
    fn name(&self) -> &'static str {
        BACKEND
    }

    fn generation_ttl(&self) -> Duration {
        self.options.generation_ttl
    }

    fn read<'a>(&'a self, slot: Slot<'a>) -> CacheFuture<'a, Read> {
        Box::pin(self.read_impl(slot))
    }

    fn write<'a>(&'a self, slot: Slot<'a>, seen: Generation, entry: &'a [u8], ttl: Duration) -> CacheFuture<'a, bool> {
        Box::pin(self.write_impl(slot, seen, entry, ttl))
    }

    fn purge_instance<'a>(&'a self, _context: &'a str, instance: &'a str, canonical: &'a str) -> CacheFuture<'a, ()> {
        Box::pin(self.bump(instance, Some(canonical)))
    }

    fn bump_context<'a>(&'a self, context: &'a str) -> CacheFuture<'a, ()> {
        Box::pin(async move { self.bump(&context_generation_key(context), None).await })
    }

    fn remove_context<'a>(&'a self, context: &'a str) -> CacheFuture<'a, u64> {
        Box::pin(async move {
            self.purge_matching(&context_pattern(context), |k| key_belongs_to(k, context))
                .await
        })
    }

    fn clear(&self) -> CacheFuture<'_, u64> {
        Box::pin(async move {
            let pattern = format!("{KEY_PREFIX}*");
            self.purge_matching(&pattern, |k| key_context(k).is_some()).await
        })
    }

    fn list_keys<'a>(&'a self, context: &'a str, limit: usize) -> CacheFuture<'a, Vec<String>> {
        Box::pin(self.list_keys_impl(context, limit))
    }
}

fn cache_err(reason: String) -> Error {
    Error::Cache {
        backend: BACKEND,
        reason,
    }
}

/// Whether `e` means the connection itself is unusable (as opposed to an
/// error reply from a healthy server).
fn is_connection_failure(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || e.is_unrecoverable_error()
}
