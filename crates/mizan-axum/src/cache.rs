//! The origin cache of context responses (SPEC §6) as the HTTP adapter uses
//! it: which contexts are cached, under which key and TTL, and what a
//! successful mutation purges.
//!
//! * Key: [`CacheKeyer::key`]`(context, coerced params, principal id if
//!   authenticated, effective rev)`; TTL from the effective cache policy.
//!   A context is cached unless its policy is `none`, or one of its members
//!   is gated by `staff`, `superuser` or a predicate (a cached entry would
//!   outlive a permission change; `required` is safe because the key carries
//!   the user).
//! * Scoped purge by key recomputation, with no reverse index. It can only
//!   recompute *canonical* entries: anonymous, with exactly the context's
//!   required params. Storing any other entry (personalised, or with
//!   optional params) also stores the context's **marker** key; a scoped
//!   purge that finds the marker purges the context broadly. Broad entries
//!   `SCAN` the context's keys. See docs/DECISIONS.md.
//! * The cache never fails a request: a backend error is a miss (or a
//!   skipped purge), logged at most once a second as a warning.

use mizan_core::cache::SharedCache;
use mizan_core::cache_key::CacheKeyer;
use mizan_core::invalidation::{Invalidation, MergeEntry};
use mizan_core::ir::{Auth, CachePolicy, Ir};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The marker's param name: no context can have a param called this (param
/// names are identifiers), so no request can produce the marker's key.
const MARKER_PARAM: &str = "\u{0}mizan";

/// How one context is cached.
#[derive(Debug)]
struct ContextPolicy {
    rev: u64,
    ttl: Option<Duration>,
    /// Required params (shared by every member), sorted.
    required: Vec<String>,
    /// The key saying "this context holds entries a scoped purge cannot
    /// recompute".
    marker: String,
}

/// The result of a cache lookup.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// The stored response.
    Hit(Vec<u8>),
    /// Not stored: fetch, then [`OriginCache::store`] under `key`.
    Miss {
        /// The entry's key.
        key: String,
        /// Whether a scoped purge can recompute the key (no marker needed).
        canonical: bool,
    },
    /// This context is never cached (or the backend failed): fetch only.
    Bypass,
}

/// The cache as the adapter sees it: keyer, backend and per-context policy.
#[derive(Debug)]
pub(crate) struct OriginCache {
    keyer: CacheKeyer,
    backend: SharedCache,
    /// Cached contexts only.
    contexts: HashMap<String, ContextPolicy>,
    started: Instant,
    /// Second (since `started`) of the last warning, to rate-limit them.
    last_warning: AtomicU64,
}

impl OriginCache {
    /// Derives every context's policy from the IR once.
    pub(crate) fn new(keyer: CacheKeyer, backend: SharedCache, ir: &Ir) -> Self {
        let mut contexts = HashMap::new();
        for ctx in &ir.contexts {
            let ttl = match ir.effective_cache(&ctx.name) {
                CachePolicy::None => continue,
                CachePolicy::Ttl(secs) => Some(Duration::from_secs(secs)),
                CachePolicy::Forever => None,
            };
            let gated = ir
                .members_of(&ctx.name)
                .any(|f| f.private || matches!(f.auth, Auth::Staff | Auth::Superuser | Auth::Predicate(_)));
            if gated {
                continue;
            }
            let rev = u64::from(ir.effective_rev(&ctx.name));
            let mut required: Vec<String> = ctx
                .params
                .iter()
                .filter(|p| p.required)
                .map(|p| p.name.clone())
                .collect();
            required.sort();
            let mut marker_params = Map::new();
            marker_params.insert(MARKER_PARAM.to_owned(), Value::from("non-canonical entries"));
            let marker = keyer.key(&ctx.name, &marker_params, None, rev);
            contexts.insert(
                ctx.name.clone(),
                ContextPolicy {
                    rev,
                    ttl,
                    required,
                    marker,
                },
            );
        }
        OriginCache {
            keyer,
            backend,
            contexts,
            started: Instant::now(),
            last_warning: AtomicU64::new(u64::MAX),
        }
    }

    /// Looks up the entry of `context` for these (coerced) params and user.
    pub(crate) async fn lookup(&self, context: &str, params: &Map<String, Value>, user: Option<&str>) -> Lookup {
        let Some(policy) = self.contexts.get(context) else {
            return Lookup::Bypass;
        };
        let key = self.keyer.key(context, params, user, policy.rev);
        match self.backend.get(&key).await {
            Ok(Some(bytes)) => Lookup::Hit(bytes),
            Ok(None) => {
                let canonical = user.is_none()
                    && params.len() == policy.required.len()
                    && policy.required.iter().all(|k| params.contains_key(k));
                Lookup::Miss { key, canonical }
            }
            Err(e) => {
                self.warn("get", context, &e);
                Lookup::Bypass
            }
        }
    }

    /// Stores a fetched response under the key [`lookup`](Self::lookup)
    /// returned (and the context's marker for a non-canonical entry).
    pub(crate) async fn store(&self, context: &str, key: &str, canonical: bool, body: &[u8]) {
        let Some(policy) = self.contexts.get(context) else {
            return;
        };
        if let Err(e) = self.backend.put(key, body, policy.ttl).await {
            self.warn("put", context, &e);
            return;
        }
        // After the entry, so an evicting backend drops the entry first.
        if !canonical && let Err(e) = self.backend.put(&policy.marker, b"1", policy.ttl).await {
            self.warn("put marker", context, &e);
        }
    }

    /// Purges what a successful mutation invalidated or merged.
    pub(crate) async fn purge(&self, invalidate: &[Invalidation], merge: &[MergeEntry]) {
        let targets = invalidate
            .iter()
            .map(|i| (i.context(), i.params()))
            .chain(merge.iter().map(|m| (m.context.as_str(), m.params.as_ref())));
        let mut broad_done: Vec<&str> = Vec::new();
        for (context, params) in targets {
            if broad_done.contains(&context) {
                continue;
            }
            let Some(policy) = self.contexts.get(context) else {
                continue; // never cached
            };
            let broad = match params {
                Some(params) => !self.purge_scoped(context, policy, params).await,
                None => true,
            };
            if broad {
                self.purge_broad(context).await;
                broad_done.push(context);
            }
        }
    }

    /// Removes the canonical entry for `params`; returns `false` when the
    /// context must be purged broadly instead (a required param is not
    /// given, or the marker says there are entries this cannot reach).
    async fn purge_scoped(&self, context: &str, policy: &ContextPolicy, params: &Map<String, Value>) -> bool {
        let mut canonical = Map::new();
        for name in &policy.required {
            match params.get(name) {
                Some(v) => canonical.insert(name.clone(), v.clone()),
                None => return false,
            };
        }
        let key = self.keyer.key(context, &canonical, None, policy.rev);
        if let Err(e) = self.backend.purge_key(&key).await {
            self.warn("purge", context, &e);
        }
        match self.backend.get(&policy.marker).await {
            Ok(marker) => marker.is_none(),
            Err(e) => {
                self.warn("get marker", context, &e);
                false
            }
        }
    }

    async fn purge_broad(&self, context: &str) {
        match self.backend.purge_context(context).await {
            Ok(n) => tracing::debug!(context, removed = n, "broad purge"),
            Err(e) => self.warn("broad purge", context, &e),
        }
    }

    /// Logs a backend failure: a warning at most once a second (Redis down
    /// would otherwise log on every request), debug otherwise.
    fn warn(&self, op: &'static str, context: &str, error: &mizan_core::Error) {
        let second = self.started.elapsed().as_secs();
        let previous = self.last_warning.swap(second, Ordering::Relaxed);
        if previous != second {
            tracing::warn!(op, context, backend = self.backend.name(), %error, "origin cache failed; serving uncached");
        } else {
            tracing::debug!(op, context, backend = self.backend.name(), %error, "origin cache failed; serving uncached");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mizan_core::cache::MemoryCache;
    use mizan_core::ir::parse;
    use serde_json::json;
    use std::sync::Arc;

    const IR: &str = r#"mizan-ir version=1 {
    context staff_only {
        member secret
    }
    context user {
        member user_orders
        member user_profile
        param page integer {
            shared-by user_orders
        }
        param user_id integer required=#true {
            shared-by user_orders user_profile
        }
    }
    function secret {
        context staff_only
        auth staff
        returns integer
    }
    function user_orders {
        context user
        param user_id integer
        param page integer default=1 required=#false
        returns integer
    }
    function user_profile {
        context user
        rev 2
        param user_id integer
        returns integer
    }
}
"#;

    fn cache() -> (OriginCache, Arc<MemoryCache>) {
        let ir = parse(IR).unwrap();
        let memory = Arc::new(MemoryCache::new());
        (OriginCache::new(CacheKeyer::new(b"k"), memory.clone(), &ir), memory)
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    async fn put(cache: &OriginCache, params: &Map<String, Value>, user: Option<&str>) {
        match cache.lookup("user", params, user).await {
            Lookup::Miss { key, canonical } => cache.store("user", &key, canonical, b"{}").await,
            other => panic!("expected a miss, got {other:?}"),
        }
    }

    async fn is_hit(cache: &OriginCache, params: &Map<String, Value>, user: Option<&str>) -> bool {
        matches!(cache.lookup("user", params, user).await, Lookup::Hit(_))
    }

    #[tokio::test]
    async fn gated_contexts_are_never_cached() {
        let (cache, _) = cache();
        assert!(matches!(
            cache.lookup("staff_only", &Map::new(), Some("1")).await,
            Lookup::Bypass
        ));
        assert_eq!(cache.contexts["user"].rev, 2);
    }

    #[tokio::test]
    async fn scoped_purges_stay_scoped_while_every_entry_is_canonical() {
        let (cache, memory) = cache();
        let (five, six) = (map(json!({"user_id": 5})), map(json!({"user_id": 6})));
        put(&cache, &five, None).await;
        put(&cache, &six, None).await;
        let scoped = Invalidation::Scoped(
            serde_json::from_value(json!({"context": "user", "params": {"user_id": "5"}})).unwrap(),
        );
        cache.purge(&[scoped], &[]).await;
        assert!(!is_hit(&cache, &five, None).await);
        assert!(is_hit(&cache, &six, None).await);
        assert_eq!(memory.len(), 1);
    }

    #[tokio::test]
    async fn a_marker_turns_scoped_purges_broad() {
        let (cache, memory) = cache();
        let six = map(json!({"user_id": 6}));
        let six_page_2 = map(json!({"user_id": 6, "page": 2}));
        put(&cache, &six, None).await;
        put(&cache, &six, Some("7")).await;
        put(&cache, &six_page_2, None).await;
        assert_eq!(memory.len(), 4, "three entries and the marker");
        let scoped =
            Invalidation::Scoped(serde_json::from_value(json!({"context": "user", "params": {"user_id": 5}})).unwrap());
        cache.purge(&[scoped], &[]).await;
        assert!(memory.is_empty(), "the marker and every entry are gone");
        // A scoped entry without the required param is broad too.
        put(&cache, &six, None).await;
        let unscoped =
            Invalidation::Scoped(serde_json::from_value(json!({"context": "user", "params": {"page": 1}})).unwrap());
        cache.purge(&[unscoped], &[]).await;
        assert!(memory.is_empty());
    }
}
