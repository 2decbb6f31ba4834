//! The Redis cache backend (feature `redis`): the one place in `mizan-core`
//! that does network I/O.
//!
//! One multiplexed connection is shared by all requests and re-established
//! lazily after a failure. Every connect and command is bounded by short
//! timeouts, and after a failed connect the backend fails fast for a short
//! back-off instead of retrying on every request, so "Redis is down" turns
//! into a quick [`Error::Cache`] (which adapters treat as a miss) — never a
//! panic, never a hang. This module must never run `FLUSHDB`/`FLUSHALL` or
//! touch keys outside the `ctx:` namespace, and never log the connection
//! password.

use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, FromRedisValue, RedisError};
use tokio::sync::Mutex;

use super::{CacheBackend, CacheFuture};
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
    /// After a failed connect, calls fail immediately for this long before
    /// the next connect attempt (default 1 s).
    pub retry_backoff: Duration,
    /// `COUNT` hint for `SCAN`, and the `UNLINK` batch size (default 1000).
    pub scan_count: usize,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_millis(500),
            retry_backoff: Duration::from_secs(1),
            scan_count: 1000,
        }
    }
}

/// State of the shared connection.
enum Link {
    /// Not connected; the next call connects.
    Idle,
    /// Connected; `generation` identifies this connection so that a failure
    /// seen on an old clone doesn't drop a newer one.
    Up {
        conn: MultiplexedConnection,
        generation: u64,
    },
    /// The last connect failed; calls fail fast until `retry_at`.
    Down { retry_at: Instant, reason: String },
}

/// [`CacheBackend`] on a Redis server.
pub struct RedisCache {
    client: Client,
    config: AsyncConnectionConfig,
    options: RedisOptions,
    link: Mutex<Link>,
    generations: std::sync::atomic::AtomicU64,
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
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(options.connect_timeout))
            .set_response_timeout(Some(options.response_timeout));
        Ok(Self {
            client,
            config,
            options: RedisOptions {
                scan_count: options.scan_count.max(1),
                ..options
            },
            link: Mutex::new(Link::Idle),
            generations: std::sync::atomic::AtomicU64::new(0),
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

    /// The current connection, connecting if needed.
    async fn connection(&self) -> Result<(MultiplexedConnection, u64)> {
        let mut link = self.link.lock().await;
        match &*link {
            Link::Up { conn, generation } => return Ok((conn.clone(), *generation)),
            Link::Down { retry_at, reason } if Instant::now() < *retry_at => {
                return Err(cache_err(format!("unavailable: {reason}")));
            }
            Link::Down { .. } | Link::Idle => {}
        }
        // Backstop in case the connect timeout does not cover every step.
        let bound = self
            .options
            .connect_timeout
            .saturating_add(self.options.response_timeout);
        let attempt = tokio::time::timeout(
            bound,
            self.client.get_multiplexed_async_connection_with_config(&self.config),
        )
        .await;
        let failure = match attempt {
            Ok(Ok(conn)) => {
                let generation = self.generations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                *link = Link::Up {
                    conn: conn.clone(),
                    generation,
                };
                return Ok((conn, generation));
            }
            Ok(Err(e)) => format!("cannot connect: {e}"),
            Err(_) => format!("cannot connect: no answer within {bound:?}"),
        };
        *link = Link::Down {
            retry_at: Instant::now()
                .checked_add(self.options.retry_backoff)
                .unwrap_or_else(Instant::now),
            reason: failure.clone(),
        };
        Err(cache_err(failure))
    }

    /// Forgets connection `generation` so the next call reconnects.
    async fn drop_connection(&self, generation: u64) {
        let mut link = self.link.lock().await;
        if matches!(&*link, Link::Up { generation: g, .. } if *g == generation) {
            *link = Link::Idle;
        }
    }

    /// Runs one command with a bounded wait, mapping every failure to
    /// [`Error::Cache`] and dropping the connection when it is broken.
    async fn run<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T> {
        let (mut conn, generation) = self.connection().await?;
        // Backstop in case the response timeout is not applied.
        let bound = self.options.response_timeout.saturating_mul(2);
        match tokio::time::timeout(bound, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                if is_connection_failure(&e) {
                    self.drop_connection(generation).await;
                }
                Err(cache_err(e.to_string()))
            }
            Err(_) => {
                self.drop_connection(generation).await;
                Err(cache_err(format!("no reply within {bound:?}")))
            }
        }
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

    async fn put_impl(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let cmd = match ttl {
            Some(ttl) if ttl.is_zero() => {
                let mut cmd = redis::cmd("UNLINK");
                cmd.arg(key);
                let _: u64 = self.run(&cmd).await?;
                return Ok(());
            }
            Some(ttl) => {
                let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
                let mut cmd = redis::cmd("SET");
                cmd.arg(key).arg(value).arg("PX").arg(millis);
                cmd
            }
            None => {
                let mut cmd = redis::cmd("SET");
                cmd.arg(key).arg(value);
                cmd
            }
        };
        // `SET` answers `OK`; anything else is an error reply, already mapped.
        let _: redis::Value = self.run(&cmd).await?;
        Ok(())
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

    fn get<'a>(&'a self, key: &'a str) -> CacheFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let mut cmd = redis::cmd("GET");
            cmd.arg(key);
            self.run(&cmd).await
        })
    }

    fn put<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Option<Duration>) -> CacheFuture<'a, ()> {
        Box::pin(self.put_impl(key, value, ttl))
    }

    fn purge_key<'a>(&'a self, key: &'a str) -> CacheFuture<'a, bool> {
        Box::pin(async move {
            let mut cmd = redis::cmd("UNLINK");
            cmd.arg(key);
            let n: u64 = self.run(&cmd).await?;
            Ok(n > 0)
        })
    }

    fn purge_context<'a>(&'a self, context: &'a str) -> CacheFuture<'a, u64> {
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
