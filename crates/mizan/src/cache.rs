//! The origin cache of context bundles (SPEC §6), transport-independent:
//! every adapter fetches through [`Registry::fetch_cached`] and every
//! commit purges (the cache is a [`CommitHook`] of the registry).
//!
//! Which contexts are cached, for how long and under which key is
//! `mizan_core::cache::policy` (shared with the CLI and the studio);
//! entries carry the generations their lookup saw, so a purge is one O(1)
//! command per target and no fetch that read old data can store it after
//! a purge (see `mizan_core::cache`).
//!
//! **Failures err towards a miss.** The cache never fails a request: a
//! backend error is a miss. A purge that fails is kept as *pending*; while a
//! context has a pending purge, its reads bypass the cache (no lookup, no
//! store) and every read first retries the purge, as does
//! [`OriginCache::retry_pending`] (adapters call it periodically). Failures
//! are logged once when the backend goes down and once when it recovers.

use crate::commit::{Commit, CommitHook, Stage};
use crate::{MizanError, Registry, RequestHandle};
use futures::future::BoxFuture;
use mizan_core::cache::entry::{self, Stale};
use mizan_core::cache::policy::{CacheOptions, CachePolicies, ContextPolicy};
use mizan_core::cache::{Generation, SharedCache, Slot};
use mizan_core::cache_key::CacheKeyer;
use mizan_core::ir::Ir;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the cache did for one fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CacheStatus {
    /// Served from the cache.
    Hit,
    /// Fetched, then stored (unless a purge overtook the fetch).
    Miss,
    /// Not cached: the context never is, a required param is missing, a
    /// purge is pending, or the backend failed.
    Bypass,
}

impl CacheStatus {
    /// `HIT`, `MISS` or `BYPASS` (the `X-Mizan-Cache` value).
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "HIT",
            CacheStatus::Miss => "MISS",
            CacheStatus::Bypass => "BYPASS",
        }
    }
}

/// Why the cache missed or was bypassed (what the devtools tap reports
/// beside `HIT`/`MISS`; the names follow `mizan_core::cache::entry::Stale`
/// and the policy's `Decision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheReason {
    /// MISS: nothing stored under this key (first fetch, expired, evicted).
    NoEntry,
    /// MISS: the context was purged broadly since the entry was stored
    /// (its context generation moved).
    ContextPurged,
    /// MISS: this instance was purged since the entry was stored (its
    /// instance generation moved).
    InstancePurged,
    /// MISS: the entry was built by a deploy whose context differs
    /// (members, revs, shapes: the fingerprint changed).
    FingerprintChanged,
    /// MISS: the stored value is not a Mizan entry.
    Malformed,
    /// BYPASS: the context is never cached (a member is `cache none`, or
    /// the context has no policy).
    NeverCached,
    /// BYPASS: a required param is missing, so no scoped purge could find
    /// the entry.
    MissingParam,
    /// BYPASS: a purge of the context has not gone through yet.
    PendingPurge,
    /// BYPASS: the backend (Redis) failed; served uncached.
    BackendDown,
}

impl CacheReason {
    /// The reason in a few words (`no entry`, `generation moved`, ...).
    pub fn describe(self) -> &'static str {
        match self {
            CacheReason::NoEntry => "no entry",
            CacheReason::ContextPurged => "generation moved (context purged)",
            CacheReason::InstancePurged => "generation moved (instance purged)",
            CacheReason::FingerprintChanged => "fingerprint changed",
            CacheReason::Malformed => "malformed entry",
            CacheReason::NeverCached => "never cached",
            CacheReason::MissingParam => "a required param is missing",
            CacheReason::PendingPurge => "a purge is pending",
            CacheReason::BackendDown => "cache backend down",
        }
    }
}

/// A fetched context bundle, encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The bundle's JSON bytes (`{"<member>": <result>, ...}`).
    pub body: Vec<u8>,
    /// What the cache did, `None` without a cache.
    pub cache: Option<CacheStatus>,
    /// Why it missed or was bypassed (`None` for a hit or without a cache).
    pub reason: Option<CacheReason>,
}

/// A lookup's outcome.
#[derive(Debug)]
pub(crate) enum Lookup {
    Hit(Vec<u8>),
    Miss(Ticket, CacheReason),
    Bypass(CacheReason),
}

/// What a miss needs to store its answer.
#[derive(Debug)]
pub(crate) struct Ticket {
    context: String,
    key: String,
    instance: String,
    seen: Generation,
    ttl: Duration,
}

/// A purge that failed and must be retried.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Pending {
    Broad,
    Instance { generation: String, canonical: String },
}

/// The origin cache: keyer, backend and every context's policy.
pub struct OriginCache {
    keyer: CacheKeyer,
    backend: SharedCache,
    policies: CachePolicies,
    /// Failed purges by context.
    pending: Mutex<BTreeMap<String, Vec<Pending>>>,
    /// Whether the last backend operation failed (for logging transitions).
    down: AtomicBool,
}

impl std::fmt::Debug for OriginCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OriginCache")
            .field("backend", &self.backend)
            .field("contexts", &self.policies.iter().count())
            .finish_non_exhaustive()
    }
}

impl OriginCache {
    /// A cache for `ir`'s contexts: keys derived with `secret` (the cache
    /// secret, distinct from the MWT secret), entries in `backend`. TTLs are
    /// capped at `options.max_ttl` and below the backend's generation TTL.
    pub fn new(secret: impl AsRef<[u8]>, backend: SharedCache, ir: &Ir, options: CacheOptions) -> Self {
        let secret = secret.as_ref();
        if secret.len() < mizan_core::mwt::MIN_SECRET_LEN {
            tracing::warn!(
                bytes = secret.len(),
                "the cache secret is shorter than 32 bytes; use at least 32 random bytes"
            );
        }
        // An entry must expire before the generations that guard it.
        let ceiling = backend.generation_ttl().saturating_sub(Duration::from_secs(3600));
        let options = CacheOptions {
            max_ttl: options.max_ttl.min(ceiling).max(Duration::from_secs(1)),
        };
        OriginCache {
            keyer: CacheKeyer::new(secret),
            policies: CachePolicies::new(ir, &options),
            backend,
            pending: Mutex::default(),
            down: AtomicBool::new(false),
        }
    }

    /// Creates the cache and makes `registry`'s commits purge it.
    pub fn attach(
        registry: &Registry,
        secret: impl AsRef<[u8]>,
        backend: SharedCache,
        options: CacheOptions,
    ) -> Arc<Self> {
        let cache = Arc::new(Self::new(secret, backend, registry.ir(), options));
        registry.add_hook(cache.clone());
        cache
    }

    /// Every context's policy (what `mizan cache explain` and the studio show).
    pub fn policies(&self) -> &CachePolicies {
        &self.policies
    }

    /// The key deriver.
    pub fn keyer(&self) -> &CacheKeyer {
        &self.keyer
    }

    /// The backend.
    pub fn backend(&self) -> &SharedCache {
        &self.backend
    }

    /// Contexts with a purge that has not gone through yet.
    pub fn pending_contexts(&self) -> Vec<String> {
        self.lock_pending().keys().cloned().collect()
    }

    pub(crate) async fn lookup(&self, context: &str, params: &Map<String, Value>, user: Option<&str>) -> Lookup {
        let Some(policy) = self.policies.get(context) else {
            return Lookup::Bypass(CacheReason::NeverCached);
        };
        let Some(ttl) = policy.ttl() else {
            return Lookup::Bypass(CacheReason::NeverCached);
        };
        // Without every required param no scoped purge could find the
        // entry: such requests are not cached.
        let Some(instance) = policy.instance_key(&self.keyer, params) else {
            return Lookup::Bypass(CacheReason::MissingParam);
        };
        if self.has_pending(context) && !self.retry_context(context).await {
            return Lookup::Bypass(if self.down.load(Ordering::Relaxed) {
                CacheReason::BackendDown
            } else {
                CacheReason::PendingPurge
            });
        }
        let key = self.keyer.key(context, params, user, policy.rev);
        let slot = Slot {
            context,
            key: &key,
            instance: &instance,
        };
        let read = match self.backend.read(slot).await {
            Ok(read) => {
                self.up();
                read
            }
            Err(e) => {
                self.failed("read", context, &e);
                return Lookup::Bypass(CacheReason::BackendDown);
            }
        };
        let mut reason = CacheReason::NoEntry;
        if let Some(stored) = &read.entry {
            match entry::decode_fresh(stored, &policy.fingerprint, read.generation) {
                Ok(body) => return Lookup::Hit(body.to_vec()),
                Err(stale) => {
                    log_stale(context, &stale);
                    reason = match stale {
                        Stale::Malformed => CacheReason::Malformed,
                        Stale::Fingerprint { .. } => CacheReason::FingerprintChanged,
                        Stale::ContextPurged { .. } => CacheReason::ContextPurged,
                        Stale::InstancePurged { .. } => CacheReason::InstancePurged,
                    };
                }
            }
        }
        Lookup::Miss(
            Ticket {
                context: context.to_owned(),
                key,
                instance,
                seen: read.generation,
                ttl,
            },
            reason,
        )
    }

    pub(crate) async fn store(&self, ticket: Ticket, body: &[u8]) {
        let Some(policy) = self.policies.get(&ticket.context) else {
            return;
        };
        if self.has_pending(&ticket.context) {
            return;
        }
        let stored = entry::encode(&policy.fingerprint, ticket.seen, body);
        let slot = Slot {
            context: &ticket.context,
            key: &ticket.key,
            instance: &ticket.instance,
        };
        match self.backend.write(slot, ticket.seen, &stored, ticket.ttl).await {
            Ok(true) => self.up(),
            Ok(false) => {
                self.up();
                tracing::debug!(context = %ticket.context, "a purge overtook this fetch; not stored");
            }
            Err(e) => self.failed("write", &ticket.context, &e),
        }
    }

    /// Purges what a commit invalidated or merged: per target one O(1)
    /// backend command (an instance or a context generation bump). Failed
    /// purges stay pending (see the module docs).
    pub async fn purge(&self, commit: &Commit) {
        let targets = commit
            .invalidate
            .iter()
            .map(|i| (i.context(), i.params()))
            .chain(commit.merge.iter().map(|m| (m.context.as_str(), m.params.as_ref())));
        let mut contexts: Vec<&str> = Vec::new();
        for (context, params) in targets {
            let Some(policy) = self.policies.get(context) else {
                continue;
            };
            if policy.ttl().is_none() {
                continue; // never cached
            }
            let purge = params
                .and_then(|p| self.instance_purge(policy, p))
                .unwrap_or(Pending::Broad);
            self.add_pending(context, purge);
            if !contexts.contains(&context) {
                contexts.push(context);
            }
        }
        for context in contexts {
            self.retry_context(context).await;
        }
    }

    /// Retries every pending purge; returns whether none is left.
    pub async fn retry_pending(&self) -> bool {
        for context in self.pending_contexts() {
            self.retry_context(&context).await;
        }
        self.lock_pending().is_empty()
    }

    fn instance_purge(&self, policy: &ContextPolicy, params: &Map<String, Value>) -> Option<Pending> {
        let instance = policy.instance_params(params)?;
        let canonical = policy.canonical_key(&self.keyer, &instance);
        Some(Pending::Instance {
            generation: mizan_core::cache::instance_generation_key(&canonical),
            canonical,
        })
    }

    /// Runs the pending purges of `context`; returns whether all succeeded.
    async fn retry_context(&self, context: &str) -> bool {
        let purges = self.lock_pending().get(context).cloned().unwrap_or_default();
        let mut failed = Vec::new();
        let mut down = false;
        for purge in purges {
            if down {
                failed.push(purge);
                continue;
            }
            let result = match &purge {
                Pending::Broad => self.backend.bump_context(context).await,
                Pending::Instance { generation, canonical } => {
                    self.backend.purge_instance(context, generation, canonical).await
                }
            };
            match result {
                Ok(()) => self.up(),
                Err(e) => {
                    self.failed("purge", context, &e);
                    failed.push(purge);
                    down = true; // fail fast: the rest stay pending
                }
            }
        }
        let mut pending = self.lock_pending();
        if failed.is_empty() {
            pending.remove(context);
            true
        } else {
            pending.insert(context.to_owned(), failed);
            false
        }
    }

    fn has_pending(&self, context: &str) -> bool {
        self.lock_pending().contains_key(context)
    }

    /// Records a purge to run; a broad one covers every instance purge.
    fn add_pending(&self, context: &str, purge: Pending) {
        let mut pending = self.lock_pending();
        let list = pending.entry(context.to_owned()).or_default();
        if list.contains(&purge) || list.contains(&Pending::Broad) {
            return;
        }
        if purge == Pending::Broad {
            list.clear();
        }
        list.push(purge);
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<Pending>>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn up(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::warn!(backend = self.backend.name(), "origin cache backend recovered");
        }
    }

    fn failed(&self, op: &'static str, context: &str, error: &mizan_core::Error) {
        if self.down.swap(true, Ordering::Relaxed) {
            tracing::debug!(op, context, backend = self.backend.name(), %error, "origin cache failed");
        } else {
            tracing::warn!(op, context, backend = self.backend.name(), %error, "origin cache failed; serving uncached until it recovers");
        }
    }
}

fn log_stale(context: &str, stale: &Stale) {
    tracing::debug!(context, ?stale, "cached entry not served");
}

impl CommitHook for OriginCache {
    fn stage(&self) -> Stage {
        Stage::Purge
    }

    fn committed<'a>(&'a self, commit: &'a Commit) -> BoxFuture<'a, ()> {
        Box::pin(self.purge(commit))
    }
}

impl Registry {
    /// Fetches `context` through the origin cache (when given): the
    /// caller is authorized for every member **before** the lookup, exactly
    /// as for an uncached fetch; a hit returns the stored bytes; a miss
    /// fetches, encodes and stores.
    pub async fn fetch_cached(
        &self,
        req: &RequestHandle<'_>,
        context: &str,
        params: &Map<String, Value>,
        cache: Option<&OriginCache>,
    ) -> Result<Fetched, MizanError> {
        #[cfg(feature = "devtools")]
        if let Some(started) = self.tap.start() {
            let outcome = self.fetch_cached_untraced(req, context, params, cache).await;
            let seen = outcome.as_ref().map(|f| (f.cache, f.reason));
            self.tap.fetch_done(started, req, context, params, seen);
            return outcome;
        }
        self.fetch_cached_untraced(req, context, params, cache).await
    }

    async fn fetch_cached_untraced(
        &self,
        req: &RequestHandle<'_>,
        context: &str,
        params: &Map<String, Value>,
        cache: Option<&OriginCache>,
    ) -> Result<Fetched, MizanError> {
        let plan = self.plan_fetch(req, context, params)?;
        let Some(cache) = cache else {
            let body = encode(&self.run_fetch(req, plan).await?)?;
            return Ok(Fetched {
                body,
                cache: None,
                reason: None,
            });
        };
        let user = req.principal().map(|p| p.id.as_str());
        match cache.lookup(context, params, user).await {
            Lookup::Hit(body) => Ok(Fetched {
                body,
                cache: Some(CacheStatus::Hit),
                reason: None,
            }),
            Lookup::Miss(ticket, reason) => {
                let body = encode(&self.run_fetch(req, plan).await?)?;
                cache.store(ticket, &body).await;
                Ok(Fetched {
                    body,
                    cache: Some(CacheStatus::Miss),
                    reason: Some(reason),
                })
            }
            Lookup::Bypass(reason) => {
                let body = encode(&self.run_fetch(req, plan).await?)?;
                Ok(Fetched {
                    body,
                    cache: Some(CacheStatus::Bypass),
                    reason: Some(reason),
                })
            }
        }
    }
}

fn encode(bundle: &mizan_core::wire::ContextBundle) -> Result<Vec<u8>, MizanError> {
    serde_json::to_vec(bundle).map_err(|e| MizanError::internal(format!("cannot encode the bundle: {e}")))
}
