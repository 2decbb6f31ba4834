//! The cache inspector: one request's key, what is stored under it in the
//! environment's Redis, why a lookup missed, a context's keys, and purges.
//!
//! Everything about keys and policy is `mizan_core::cache::policy` (the
//! code behind `mizan cache explain` and the servers' origin cache); the
//! stored entries are read with [`RedisCache::inspect`] (one pipelined
//! round trip, never `SCAN` for a lookup) and classified with the core's
//! `entry::decode_fresh`, exactly as a server decides to serve them.
//! Purges go through `mizan::cache::OriginCache::purge`, the path every
//! mutation takes.

use mizan::Mizan;
use mizan::cache::OriginCache;
use mizan::commit::Commit;
use mizan_core::cache::entry::{self, Stale};
use mizan_core::cache::policy::{CacheOptions, CachePolicies, CacheRequest, Decision, Explanation, compare};
use mizan_core::cache::{Inspection, RedisCache, SharedCache, Slot};
use mizan_core::cache_key::CacheKeyer;
use mizan_core::invalidation::{Invalidation, ScopedInvalidation};
use mizan_core::ir::Ir;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Values larger than this are folded (shown cut, with the size).
pub const FOLD_BYTES: usize = 256 * 1024;
/// Enough of an entry to read its header (`mizan1 <fp> <c> <i>\n`).
const HEAD_BYTES: usize = 128;

/// One param as it goes into the key.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct KeyParam {
    /// The name.
    pub name: String,
    /// `S(v)`.
    pub value: String,
}

/// The generations an entry saw and the current ones.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Generations {
    /// Context generation.
    pub context: i64,
    /// Instance generation.
    pub instance: i64,
}

impl From<mizan_core::cache::Generation> for Generations {
    fn from(g: mizan_core::cache::Generation) -> Self {
        Generations {
            context: g.context as i64,
            instance: g.instance as i64,
        }
    }
}

/// What is stored under a key.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct StoredEntry {
    /// The fingerprint the entry was built for.
    pub fingerprint: String,
    /// Whether it is the project's current fingerprint.
    pub fingerprint_current: bool,
    /// The generations its lookup saw.
    pub stored: Generations,
    /// The generations now.
    pub current: Generations,
    /// Remaining TTL in ms (`None`: no expiry).
    pub ttl_ms: Option<i64>,
    /// Why it is not served, in words; empty when it is.
    pub stale: String,
    /// The body, pretty-printed (folded past [`FOLD_BYTES`]).
    pub value: String,
    /// The body's size in bytes.
    pub value_bytes: i64,
    /// Whether `value` was cut.
    pub folded: bool,
}

/// A lookup: the key and what the cache would do with it.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct CacheLookup {
    /// The context.
    pub context: String,
    /// Whether the context is cached at all.
    pub cached: bool,
    /// The decision in words (`cached for 60 s (declared ttl(60))`,
    /// `never cached: member …`).
    pub decision: String,
    /// The rev used.
    pub rev: i64,
    /// The context's effective rev.
    pub effective_rev: i64,
    /// The user (empty: anonymous).
    pub user: String,
    /// Each param's `S(v)`.
    pub params: Vec<KeyParam>,
    /// Params the context does not have.
    pub unknown_params: Vec<String>,
    /// The canonical message.
    pub message: String,
    /// The key.
    pub key: String,
    /// The instance's generation key (empty: a required param is missing).
    pub instance_key: String,
    /// `HIT` or `MISS` (empty when no Redis was asked).
    pub status: String,
    /// One sentence: what the cache would do and why.
    pub note: String,
    /// Why Redis was not asked, or its error; empty when it answered.
    pub redis_error: String,
    /// The stored entry, when there is one.
    pub entry: Option<StoredEntry>,
    /// Milliseconds Redis took.
    pub redis_ms: f64,
}

/// A neighbour of a missed request, and whether it would hit.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct Neighbour {
    /// What was changed, in words (`rev 2 instead of 1`).
    pub change: String,
    /// Its key.
    pub key: String,
    /// `HIT`, `stale` or `absent`.
    pub state: String,
    /// Why it is stale (empty otherwise).
    pub stale: String,
}

/// Why a lookup missed.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct MissExplanation {
    /// The answer in one or two sentences.
    pub verdict: String,
    /// The neighbours that would hit (their `change`).
    pub would_hit: Vec<String>,
    /// Every neighbour tried.
    pub neighbours: Vec<Neighbour>,
    /// What differs between the request and the first neighbour that hits
    /// (the core's `compare`), one line each.
    pub differences: Vec<String>,
}

/// A recorded mutation that invalidated something (from the replay
/// history), to name the purger of an entry.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedPurge {
    /// The mutation.
    pub function: String,
    /// When, in words (`12:03:04`).
    pub when: String,
    /// What the server said it invalidated.
    pub invalidate: Vec<Invalidation>,
}

/// What the explanation may use beyond the request.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    /// Users worth trying (recent token subjects, history principals).
    pub users: Vec<String>,
    /// Recorded mutations, oldest first.
    pub purges: Vec<RecordedPurge>,
}

/// One page of a context's keys.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct KeyPage {
    /// The keys found in this step, with what their headers say.
    pub keys: Vec<KeyRow>,
    /// The cursor to continue from (`"0"`: done).
    pub cursor: String,
    /// Whether the scan is complete.
    pub done: bool,
}

/// One stored key.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct KeyRow {
    /// The key.
    pub key: String,
    /// Remaining TTL in ms.
    pub ttl_ms: Option<i64>,
    /// The fingerprint in its header (empty: not a Mizan entry).
    pub fingerprint: String,
    /// The generations its lookup saw.
    pub stored: Generations,
}

/// What a purge did.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// What was purged, in words.
    pub purged: String,
    /// The generation key bumped.
    pub generation_key: String,
    /// Its value before.
    pub before: i64,
    /// Its value after.
    pub after: i64,
}

/// The inspector of one project against one Redis.
pub struct Inspector {
    policies: CachePolicies,
    keyer: CacheKeyer,
    redis: Option<Arc<RedisCache>>,
}

impl Inspector {
    /// An inspector for `ir` with `secret`; `redis` is the environment's.
    pub fn new(ir: &Ir, options: &CacheOptions, secret: &str, redis: Option<Arc<RedisCache>>) -> Self {
        Inspector {
            policies: CachePolicies::new(ir, options),
            keyer: CacheKeyer::new(secret.as_bytes()),
            redis,
        }
    }

    fn explain(&self, req: &CacheRequest) -> Result<Explanation, String> {
        self.policies.explain(&self.keyer, req).map_err(|e| e.to_string())
    }

    /// The key of `req` and, with Redis, what is stored under it.
    pub async fn lookup(&self, req: &CacheRequest) -> Result<CacheLookup, String> {
        let e = self.explain(req)?;
        let policy = &e.policy;
        let (cached, decision) = describe(&policy.decision);
        let mut out = CacheLookup {
            context: req.context.clone(),
            cached,
            decision,
            rev: e.rev as i64,
            effective_rev: policy.rev as i64,
            user: req.user.clone().unwrap_or_default(),
            params: e
                .stringified
                .iter()
                .map(|(name, value)| KeyParam {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            unknown_params: e.unknown_params.clone(),
            message: e.message.clone(),
            key: e.key.clone(),
            instance_key: e.instance_key.clone().unwrap_or_default(),
            ..Default::default()
        };
        let Some(redis) = &self.redis else {
            out.redis_error = "no Redis configured: give a Redis URL (an app on the in-memory cache backend has none to look in; its entries show in the devtools tap)".into();
            out.note = self.policy_note(&e);
            return Ok(out);
        };
        let instance = e
            .instance_key
            .clone()
            .unwrap_or_else(|| format!("{}:no-instance", e.key));
        let slot = Slot {
            context: &req.context,
            key: &e.key,
            instance: &instance,
        };
        let started = std::time::Instant::now();
        let seen = redis.inspect(&[slot], None).await;
        out.redis_ms = started.elapsed().as_secs_f64() * 1000.0;
        let seen = match seen {
            Ok(mut v) => v.remove(0),
            Err(err) => {
                out.redis_error = redis_error(&err.to_string());
                out.note = "Redis did not answer; the server serves uncached while this lasts".into();
                return Ok(out);
            }
        };
        let entry = seen
            .entry
            .as_deref()
            .map(|bytes| stored_entry(bytes, &seen, &policy.fingerprint));
        let hit = entry.as_ref().is_some_and(|s| s.stale.is_empty());
        out.status = if hit { "HIT" } else { "MISS" }.into();
        out.note = match (&entry, cached) {
            (_, false) => self.policy_note(&e),
            (Some(s), _) if s.stale.is_empty() => "served from the cache".into(),
            (Some(s), _) => format!("an entry is stored under this key but is not served: {}", s.stale),
            (None, _) if e.instance_key.is_none() => self.policy_note(&e),
            (None, _) => "nothing is stored under this key (Explain a miss tries the neighbours)".into(),
        };
        out.entry = entry;
        Ok(out)
    }

    fn policy_note(&self, e: &Explanation) -> String {
        match (&e.policy.decision, &e.instance_key) {
            (Decision::Never { reason }, _) => format!("never cached: {reason}"),
            (_, None) => format!(
                "never cached: a required param ({}) is missing, so no scoped purge could reach the entry",
                e.policy.required.join(", ")
            ),
            (Decision::Cached { ttl_secs, .. }, _) => format!("cached for {}", words(*ttl_secs)),
        }
    }

    /// Why `req` misses: its neighbours (other revs, with and without the
    /// user, other stringifications, optional params left out or added)
    /// looked up in one pipelined round trip; otherwise whether the entry
    /// expired or was purged, and by which recorded mutation.
    pub async fn explain_miss(&self, ir: &Ir, req: &CacheRequest, hints: &Hints) -> Result<MissExplanation, String> {
        let first = self.explain(req)?;
        if let Decision::Never { reason } = &first.policy.decision {
            return Ok(MissExplanation {
                verdict: format!("This context is never cached: {reason}. Every request is a miss by design."),
                ..Default::default()
            });
        }
        let Some(redis) = &self.redis else {
            return Err("no Redis configured: give a Redis URL to look up the neighbours".into());
        };
        let mut candidates: Vec<(String, CacheRequest)> = vec![(String::new(), req.clone())];
        candidates.extend(neighbours(ir, &first, req, hints));
        let explained: Vec<(String, Explanation)> = candidates
            .into_iter()
            .filter_map(|(change, r)| self.explain(&r).ok().map(|e| (change, e)))
            .filter(|(_, e)| e.instance_key.is_some() || e.request == *req)
            .collect();
        let instances: Vec<String> = explained
            .iter()
            .map(|(_, e)| {
                e.instance_key
                    .clone()
                    .unwrap_or_else(|| format!("{}:no-instance", e.key))
            })
            .collect();
        let slots: Vec<Slot> = explained
            .iter()
            .zip(&instances)
            .map(|((_, e), instance)| Slot {
                context: &e.request.context,
                key: &e.key,
                instance,
            })
            .collect();
        let seen = redis
            .inspect(&slots, Some(HEAD_BYTES))
            .await
            .map_err(|e| redis_error(&e.to_string()))?;
        let fingerprint = &first.policy.fingerprint;
        let state = |s: &Inspection| -> (String, String) {
            match &s.entry {
                None => ("absent".into(), String::new()),
                Some(bytes) => match fresh(bytes, fingerprint, s) {
                    Ok(()) => ("HIT".into(), String::new()),
                    Err(stale) => ("stale".into(), stale),
                },
            }
        };
        let (own_state, own_stale) = state(&seen[0]);
        let own = &seen[0];
        let mut out = MissExplanation::default();
        for ((change, e), s) in explained.iter().zip(&seen).skip(1) {
            let (state, stale) = state(s);
            if state == "HIT" {
                if out.would_hit.is_empty() {
                    let (_, diffs) = compare(&first, e);
                    out.differences = diffs
                        .iter()
                        .map(|d| {
                            format!(
                                "{}: {} vs {} — {}",
                                d.component,
                                d.first.as_deref().unwrap_or("(absent)"),
                                d.second.as_deref().unwrap_or("(absent)"),
                                d.note
                            )
                        })
                        .collect();
                }
                out.would_hit.push(change.clone());
            }
            out.neighbours.push(Neighbour {
                change: change.clone(),
                key: e.key.clone(),
                state,
                stale,
            });
        }
        out.verdict = if own_state == "HIT" {
            "It does not miss: this key has a fresh entry (HIT).".into()
        } else if let Some(change) = out.would_hit.first() {
            format!("An entry exists for a neighbour: the request would hit with {change}.")
        } else if own_state == "stale" {
            let purger = hints
                .purges
                .iter()
                .rev()
                .find(|p| covers(&p.invalidate, req))
                .map(|p| {
                    format!(
                        " The replay history's last mutation that invalidated it: `{}` at {}.",
                        p.function, p.when
                    )
                })
                .unwrap_or_default();
            format!("The entry was stored but is not served: {own_stale}.{purger}")
        } else {
            let ttl = first.policy.ttl().map(|t| t.as_secs()).unwrap_or(0);
            let purger = hints
                .purges
                .iter()
                .rev()
                .find(|p| covers(&p.invalidate, req))
                .map(|p| format!(" by `{}` at {} (replay history)", p.function, p.when));
            match (own.generation.instance, own.generation.context, purger) {
                (i, _, Some(by)) if i > 0 => format!(
                    "No entry under this key: the instance was purged{by} (instance generation {i}); the next fetch stores it again."
                ),
                (i, _, None) if i > 0 => format!(
                    "No entry under this key: the instance was purged (instance generation {i}) by a mutation that affects it; the next fetch stores it again."
                ),
                (_, c, _) if c > 0 => format!(
                    "No entry under this key: the context was purged broadly (context generation {c}), or the entry expired after its TTL of {}.",
                    words(ttl)
                ),
                _ => format!(
                    "No entry under this key and no neighbour has one: it expired (cached for {}) or was never fetched with these params.",
                    words(ttl)
                ),
            }
        };
        Ok(out)
    }

    /// One `SCAN` step over `context`'s keys, with each key's TTL and
    /// header (one more pipelined round trip).
    pub async fn scan(&self, context: &str, cursor: u64, count: usize) -> Result<KeyPage, String> {
        if self.policies.get(context).is_none() {
            return Err(format!("context `{context}` is not in the project"));
        }
        let redis = self.redis.as_ref().ok_or("no Redis configured: give a Redis URL")?;
        let (next, keys) = redis
            .scan_context(context, cursor, count)
            .await
            .map_err(|e| redis_error(&e.to_string()))?;
        let generation = mizan_core::cache::context_generation_key(context);
        let slots: Vec<Slot> = keys
            .iter()
            .map(|k| Slot {
                context,
                key: k,
                instance: &generation,
            })
            .collect();
        let seen = redis
            .inspect(&slots, Some(HEAD_BYTES))
            .await
            .map_err(|e| redis_error(&e.to_string()))?;
        let rows = keys
            .into_iter()
            .zip(seen)
            .map(|(key, s)| {
                let header = s.entry.as_deref().and_then(entry::decode).map(|(h, _)| h);
                KeyRow {
                    key,
                    ttl_ms: s.ttl.map(|t| t.as_millis() as i64),
                    fingerprint: header.as_ref().map(|h| h.fingerprint.clone()).unwrap_or_default(),
                    stored: header.map(|h| h.generation.into()).unwrap_or_default(),
                }
            })
            .collect();
        Ok(KeyPage {
            keys: rows,
            cursor: next.to_string(),
            done: next == 0,
        })
    }

    /// Purges one instance (`params` with every required param) or, with
    /// `params` `None`, the whole context — through the origin cache's own
    /// purge, exactly as a mutation's commit would.
    pub async fn purge(
        &self,
        ir: &Ir,
        options: &CacheOptions,
        secret: &str,
        context: &str,
        params: Option<Map<String, Value>>,
    ) -> Result<PurgeReport, String> {
        let policy = self
            .policies
            .get(context)
            .ok_or_else(|| format!("context `{context}` is not in the project"))?;
        if policy.ttl().is_none() {
            return Err(format!("`{context}` is never cached: there is nothing to purge"));
        }
        let redis = self.redis.clone().ok_or("no Redis configured: give a Redis URL")?;
        let (invalidation, generation_key, purged) = match params {
            Some(p) => {
                let key = policy.instance_key(&self.keyer, &p).ok_or_else(|| {
                    format!(
                        "a scoped purge needs every required param ({}); purge the whole context instead",
                        policy.required.join(", ")
                    )
                })?;
                let shown = p
                    .iter()
                    .map(|(k, v)| format!("{k}={}", mizan_core::canonical_json::stringify(v)))
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    Invalidation::Scoped(ScopedInvalidation {
                        context: context.to_owned(),
                        function: None,
                        params: Some(p),
                    }),
                    key,
                    format!("the instance {context} ({shown})"),
                )
            }
            None => (
                Invalidation::Broad(context.to_owned()),
                mizan_core::cache::context_generation_key(context),
                format!("every entry of {context}"),
            ),
        };
        let before = redis
            .generations(std::slice::from_ref(&generation_key))
            .await
            .map_err(|e| redis_error(&e.to_string()))?[0];
        let backend: SharedCache = redis.clone();
        let cache = OriginCache::new(secret, backend, ir, options.clone());
        let commit = Commit {
            function: None,
            origin: mizan::Origin::Internal,
            client: None,
            caller: None,
            invalidate: vec![invalidation],
            merge: Vec::new(),
        };
        cache.purge(&commit).await;
        if !cache.pending_contexts().is_empty() {
            return Err("Redis did not take the purge (it is down or refused); nothing was changed".into());
        }
        let after = redis
            .generations(std::slice::from_ref(&generation_key))
            .await
            .map_err(|e| redis_error(&e.to_string()))?[0];
        Ok(PurgeReport {
            purged,
            generation_key,
            before: before as i64,
            after: after as i64,
        })
    }
}

/// A TTL in words (`60 s`, `5 min`, `7 days`).
pub fn words(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 && s % 60 == 0 => format!("{} min", s / 60),
        s if s < 172_800 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 86_400 == 0 => format!("{} days", s / 86_400),
        s => format!("{s} s"),
    }
}

fn describe(d: &Decision) -> (bool, String) {
    match d {
        Decision::Cached {
            declared,
            ttl_secs,
            capped,
        } => (
            true,
            format!(
                "cached for {} (declared {declared}{})",
                words(*ttl_secs),
                if *capped { ", capped by the max TTL" } else { "" }
            ),
        ),
        Decision::Never { reason } => (false, format!("never cached: {reason}")),
    }
}

fn fresh(bytes: &[u8], fingerprint: &str, s: &Inspection) -> Result<(), String> {
    match entry::decode(bytes) {
        None => Err(stale_words(&Stale::Malformed)),
        Some((h, _)) => {
            let header_only = entry::encode(&h.fingerprint, h.generation, b"");
            entry::decode_fresh(&header_only, fingerprint, s.generation)
                .map(|_| ())
                .map_err(|st| stale_words(&st))
        }
    }
}

fn stored_entry(bytes: &[u8], s: &Inspection, fingerprint: &str) -> StoredEntry {
    let ttl_ms = s.ttl.map(|t| t.as_millis() as i64);
    let Some((header, body)) = entry::decode(bytes) else {
        return StoredEntry {
            stale: stale_words(&Stale::Malformed),
            value_bytes: bytes.len() as i64,
            ttl_ms,
            current: s.generation.into(),
            ..Default::default()
        };
    };
    let stale = fresh(bytes, fingerprint, s).err().unwrap_or_default();
    let (value, folded) = pretty(body);
    StoredEntry {
        fingerprint_current: header.fingerprint == fingerprint,
        fingerprint: header.fingerprint,
        stored: header.generation.into(),
        current: s.generation.into(),
        ttl_ms,
        stale,
        value,
        value_bytes: body.len() as i64,
        folded,
    }
}

/// The body pretty-printed, cut at [`FOLD_BYTES`] (on a char boundary).
pub fn pretty(body: &[u8]) -> (String, bool) {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(v) if body.len() <= 4 * FOLD_BYTES => serde_json::to_string_pretty(&v).unwrap_or_default(),
        _ => String::from_utf8_lossy(body).into_owned(),
    };
    if text.len() <= FOLD_BYTES {
        return (text, false);
    }
    let cut = text.floor_char_boundary(FOLD_BYTES);
    (
        format!("{}\n… {} more bytes folded", &text[..cut], text.len() - cut),
        true,
    )
}

fn stale_words(s: &Stale) -> String {
    match s {
        Stale::Malformed => "the stored bytes are not a Mizan entry".into(),
        Stale::Fingerprint { stored } => {
            format!("it was built by a deploy with another schema (fingerprint {stored}; the project's differs)")
        }
        Stale::ContextPurged { stored, current } => {
            format!("the context was purged broadly since it was stored (context generation {stored} → {current})")
        }
        Stale::InstancePurged { stored, current } => {
            format!("the instance was purged since it was stored (instance generation {stored} → {current})")
        }
    }
}

fn redis_error(e: &str) -> String {
    // The core's message never carries the URL or password.
    format!("Redis: {e}")
}

/// Whether `entries` reach `req`'s instance (SPEC §4: a scoped entry
/// matches when every key of it equals the request's param, as strings).
fn covers(entries: &[Invalidation], req: &CacheRequest) -> bool {
    entries.iter().any(|i| {
        i.context() == req.context
            && i.params().is_none_or(|scope| {
                scope.iter().all(|(k, v)| {
                    req.params.get(k).is_some_and(|p| {
                        mizan_core::canonical_json::stringify(p) == mizan_core::canonical_json::stringify(v)
                    })
                })
            })
    })
}

/// The requests next to `req` worth trying, with what was changed.
fn neighbours(ir: &Ir, first: &Explanation, req: &CacheRequest, hints: &Hints) -> Vec<(String, CacheRequest)> {
    let mut out: Vec<(String, CacheRequest)> = Vec::new();
    let mut push = |change: String, r: CacheRequest| {
        if r != *req && !out.iter().any(|(_, o)| *o == r) {
            out.push((change, r));
        }
    };
    let effective = first.policy.rev;
    // Other revs: every one up to one past the larger of asked/effective.
    let top = effective.max(first.rev) + 1;
    for rev in 0..=top.min(first.rev + 16) {
        if rev != first.rev {
            let label = if rev == effective {
                format!("rev {rev} (the effective rev) instead of {}", first.rev)
            } else {
                format!("rev {rev} instead of {}", first.rev)
            };
            push(
                label,
                CacheRequest {
                    rev: Some(rev),
                    ..req.clone()
                },
            );
        }
    }
    let at_effective = CacheRequest {
        rev: Some(effective),
        ..req.clone()
    };
    // Users: anonymous when one was given; the likely ones when not.
    if let Some(user) = &req.user {
        push(
            format!("no user instead of `{user}` (anonymous)"),
            CacheRequest {
                user: None,
                ..req.clone()
            },
        );
    }
    let mut users: Vec<String> = hints.users.clone();
    users.extend(
        req.params
            .values()
            .map(|v| mizan_core::canonical_json::stringify(v).into_owned()),
    );
    for u in users {
        if u.is_empty() || req.user.as_deref() == Some(u.as_str()) {
            continue;
        }
        push(
            format!("user `{u}`"),
            CacheRequest {
                user: Some(u.clone()),
                ..req.clone()
            },
        );
        if first.rev != effective {
            push(
                format!("user `{u}` at the effective rev {effective}"),
                CacheRequest {
                    user: Some(u),
                    ..at_effective.clone()
                },
            );
        }
    }
    // Stringifications.
    for (name, value) in &req.params {
        for (label, alt) in stringifications(value) {
            let mut params = req.params.clone();
            params.insert(name.clone(), alt);
            push(format!("{name} = {label}"), CacheRequest { params, ..req.clone() });
        }
    }
    // Optional params left out, or added with their default.
    let required = &first.policy.required;
    for name in req.params.keys().filter(|n| !required.contains(n)) {
        let mut params = req.params.clone();
        params.remove(name);
        push(
            format!("without the optional `{name}`"),
            CacheRequest { params, ..req.clone() },
        );
    }
    for member in ir.members_of(&req.context) {
        for p in &member.params {
            if !req.params.contains_key(&p.name)
                && let Some(default) = &p.default
            {
                let mut params = req.params.clone();
                params.insert(p.name.clone(), default.clone());
                push(
                    format!(
                        "with `{}` = {} (its default)",
                        p.name,
                        mizan_core::canonical_json::stringify(default)
                    ),
                    CacheRequest { params, ..req.clone() },
                );
            }
        }
    }
    out
}

/// Other ways the same value may have reached a server: `"05"` → `5`,
/// `" 5"` → `"5"`, `"True"` → `true`, `5` → `"5.0"`.
fn stringifications(v: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    match v {
        Value::String(s) => {
            let t = s.trim();
            if t != s {
                out.push((format!("\"{t}\" (trimmed)"), Value::String(t.to_owned())));
            }
            if let Ok(n) = t.parse::<f64>()
                && n.is_finite()
            {
                let num = if n.fract() == 0.0 && n.abs() < 9.0e15 {
                    Value::from(n as i64)
                } else {
                    serde_json::Number::from_f64(n)
                        .map(Value::Number)
                        .unwrap_or(Value::Null)
                };
                let shown = mizan_core::canonical_json::stringify(&num).into_owned();
                if shown != *s {
                    out.push((format!("{shown} (the number, not \"{s}\")"), num));
                }
            }
            match t.to_ascii_lowercase().as_str() {
                "true" | "false" if t != "true" && t != "false" => {
                    out.push((
                        format!("{} (a boolean)", t.to_ascii_lowercase()),
                        Value::Bool(t.eq_ignore_ascii_case("true")),
                    ));
                }
                _ => {}
            }
        }
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push((format!("\"{i}.0\" (a float's text)"), Value::String(format!("{i}.0"))));
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stringification_neighbours() {
        let alts = stringifications(&Value::String("05".into()));
        assert_eq!(alts[0].1, Value::from(5));
        assert!(alts[0].0.contains("the number"));
        assert_eq!(
            stringifications(&Value::String(" x ".into()))[0].1,
            Value::String("x".into())
        );
        assert_eq!(stringifications(&Value::String("True".into()))[0].1, Value::Bool(true));
        assert!(stringifications(&Value::String("5".into())).is_empty());
        assert_eq!(stringifications(&Value::from(5))[0].1, Value::String("5.0".into()));
    }

    #[test]
    fn folds_large_values_on_a_char_boundary() {
        let big = serde_json::to_vec(&Value::String("é".repeat(FOLD_BYTES))).unwrap();
        let (text, folded) = pretty(&big);
        assert!(folded);
        assert!(text.ends_with("more bytes folded"));
        let (small, folded) = pretty(br#"{"a":1}"#);
        assert!(!folded);
        assert_eq!(small, "{\n  \"a\": 1\n}");
    }

    #[test]
    fn covers_follows_spec_matching() {
        let req = CacheRequest {
            context: "user".into(),
            params: serde_json::from_str(r#"{"user_id": 5, "page": 2}"#).unwrap(),
            ..Default::default()
        };
        let scoped = |json: &str| {
            Invalidation::Scoped(ScopedInvalidation {
                context: "user".into(),
                function: None,
                params: Some(serde_json::from_str(json).unwrap()),
            })
        };
        assert!(covers(&[scoped(r#"{"user_id": "5"}"#)], &req));
        assert!(!covers(&[scoped(r#"{"user_id": 6}"#)], &req));
        assert!(covers(&[Invalidation::Broad("user".into())], &req));
        assert!(!covers(&[Invalidation::Broad("items".into())], &req));
    }
}
