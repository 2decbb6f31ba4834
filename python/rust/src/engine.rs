//! `Engine`: one application's IR loaded once, with what every request
//! needs from the core — the invalidation plans, the response body and
//! header of a call, query coercion, the origin cache's keys, purges and
//! entry format, and the per-connection view of a push.

use crate::{IrParseError, QueryInvalid, UnknownName, json_in, json_out, object_in, parse_ir_text};
use mizan_core::cache::entry::{self, Generation};
use mizan_core::cache::policy::{CacheOptions, CachePolicies};
use mizan_core::cache::{context_generation_key, instance_generation_key};
use mizan_core::cache_key::CacheKeyer;
use mizan_core::invalidation::{Invalidation, InvalidationIndex, MergeEntry, Resolution, ScopedInvalidation};
use mizan_core::ir::{Auth, Ir, emit};
use mizan_core::query::{QueryError, coerce_query};
use mizan_core::wire::CallResponse;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

/// One push (SPEC §3.1), as the Rust runtime's `mizan::Push` serializes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Push {
    invalidate: Vec<Invalidation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    merge: Vec<MergeEntry>,
    #[serde(rename = "fn", default, skip_serializing_if = "Option::is_none")]
    function: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client: Option<String>,
}

/// The IR of one application and the core's per-request operations on it.
#[pyclass(frozen, module = "mizan._core")]
pub struct Engine {
    ir: Ir,
    index: InvalidationIndex,
    policies: CachePolicies,
    keyer: Option<CacheKeyer>,
    personal: HashSet<String>,
}

#[pymethods]
impl Engine {
    /// Loads IR text; `cache_secret` enables the cache-key operations;
    /// `max_ttl` caps every entry's TTL (seconds, default 7 days).
    #[new]
    #[pyo3(signature = (ir_text, cache_secret=None, max_ttl=7 * 24 * 3600))]
    fn new(ir_text: &str, cache_secret: Option<&str>, max_ttl: u64) -> PyResult<Self> {
        let ir = parse_ir_text(ir_text)?;
        let errors: Vec<String> = mizan_core::check::check(&ir)
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| format!("error[{}]: {}", d.code, d.message))
            .collect();
        if !errors.is_empty() {
            return Err(IrParseError::new_err(errors.join("\n")));
        }
        let options = CacheOptions {
            max_ttl: Duration::from_secs(max_ttl.max(1)),
        };
        let personal = ir
            .contexts
            .iter()
            .filter(|c| ir.members_of(&c.name).any(|f| f.auth != Auth::None))
            .map(|c| c.name.clone())
            .collect();
        Ok(Engine {
            index: InvalidationIndex::new(&ir),
            policies: CachePolicies::new(&ir, &options),
            keyer: cache_secret.map(|s| CacheKeyer::new(s.as_bytes())),
            personal,
            ir,
        })
    }

    /// The canonical IR text.
    fn ir_text(&self) -> String {
        emit(&self.ir)
    }

    /// The success body of a call of `function` (`{"result", "invalidate",
    /// "merge"?}`), its `X-Mizan-Invalidate` value (`None` when nothing is
    /// invalidated) and its resolution as JSON (`None` when it resolves to
    /// nothing, so there is nothing to purge or push).
    fn call_response(&self, function: &str, args: &str, result: &str) -> PyResult<(String, Option<String>, Option<String>)> {
        let result = json_in(result, "the result")?;
        let resolution = match self.index.plan(function) {
            Some(_) => {
                let args = object_in(args, "args")?;
                self.index
                    .resolve(function, &args, &result)
                    .map_err(|e| UnknownName::new_err(e.to_string()))?
            }
            None => {
                if self.ir.function(function).is_none() {
                    return Err(UnknownName::new_err(format!("unknown function `{function}`")));
                }
                Resolution::default()
            }
        };
        let header = mizan_core::header::format_bounded(&resolution.invalidate, mizan_core::header::MAX_HEADER_BYTES)
            .filter(|h| !h.is_empty());
        let resolved = (!(resolution.invalidate.is_empty() && resolution.merge.is_empty())).then(|| json_out(&resolution));
        let body = json_out(&CallResponse::new(result, resolution));
        Ok((body, header, resolved))
    }

    /// Query-string pairs coerced to the context's param types, as a JSON
    /// object. Raises `UnknownName` or `QueryInvalid(message, fields_json)`.
    fn coerce_query(&self, context: &str, pairs: Vec<(String, String)>) -> PyResult<String> {
        match coerce_query(&self.ir, context, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(map) => Ok(json_out(&map)),
            Err(QueryError::UnknownContext(name)) => Err(UnknownName::new_err(format!("no context `{name}`"))),
            Err(QueryError::Invalid(fields)) => {
                let fields: Map<String, Value> = fields
                    .into_iter()
                    .map(|(k, v)| (k, Value::from(v)))
                    .collect();
                Err(QueryInvalid::new_err(("invalid query", json_out(&fields))))
            }
        }
    }

    /// Whether `context` is personal (a member requires an auth level).
    fn is_personal(&self, context: &str) -> bool {
        self.personal.contains(context)
    }

    /// Where a fetch of `context` with `params` by `user` is cached:
    /// `(key, instance generation key, context generation key, ttl ms,
    /// fingerprint)`, or `None` when it is not (no cache secret, a context
    /// never cached, a required param missing).
    #[pyo3(signature = (context, params, user=None))]
    fn cache_slot(
        &self,
        context: &str,
        params: &str,
        user: Option<&str>,
    ) -> PyResult<Option<(String, String, String, u64, String)>> {
        let Some(keyer) = &self.keyer else { return Ok(None) };
        let Some(policy) = self.policies.get(context) else {
            return Ok(None);
        };
        let Some(ttl) = policy.ttl() else { return Ok(None) };
        let params = object_in(params, "params")?;
        let Some(instance) = policy.instance_key(keyer, &params) else {
            return Ok(None);
        };
        let key = keyer.key(context, &params, user, policy.rev);
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        Ok(Some((
            key,
            instance,
            context_generation_key(context),
            ttl_ms,
            policy.fingerprint.clone(),
        )))
    }

    /// The purges of a resolution (JSON): per cached target, `(context,
    /// generation key to bump, entry key to unlink or None)` — an instance
    /// purge when the target's params name the instance, else a broad one.
    /// A broad purge of a context replaces its instance purges.
    fn purges(&self, resolution: &str) -> PyResult<Vec<(String, String, Option<String>)>> {
        let Some(keyer) = &self.keyer else {
            return Ok(Vec::new());
        };
        let resolution: Resolution =
            serde_json::from_value(json_in(resolution, "the resolution")?).map_err(|e| UnknownName::new_err(e.to_string()))?;
        let targets = resolution
            .invalidate
            .iter()
            .map(|i| (i.context(), i.params()))
            .chain(resolution.merge.iter().map(|m| (m.context.as_str(), m.params.as_ref())));
        let mut out: Vec<(String, String, Option<String>)> = Vec::new();
        for (context, params) in targets {
            let Some(policy) = self.policies.get(context) else { continue };
            if policy.ttl().is_none() {
                continue;
            }
            let purge = params.and_then(|p| policy.instance_params(p)).map(|instance| {
                let canonical = policy.canonical_key(keyer, &instance);
                (instance_generation_key(&canonical), Some(canonical))
            });
            let broad = (context_generation_key(context), None);
            let entry = (context.to_owned(), purge.clone().unwrap_or(broad.clone()).0, purge.unwrap_or(broad).1);
            if out.iter().any(|(c, _, k)| c == context && k.is_none()) || out.contains(&entry) {
                continue;
            }
            if entry.2.is_none() {
                out.retain(|(c, _, _)| c != context);
            }
            out.push(entry);
        }
        Ok(out)
    }

    /// The stored form of a cache entry.
    #[staticmethod]
    fn encode_entry<'py>(
        py: Python<'py>,
        fingerprint: &str,
        context_generation: u64,
        instance_generation: u64,
        body: &[u8],
    ) -> Bound<'py, PyBytes> {
        let generation = Generation {
            context: context_generation,
            instance: instance_generation,
        };
        PyBytes::new(py, &entry::encode(fingerprint, generation, body))
    }

    /// The body of a stored entry if it may be served (same fingerprint,
    /// same generations), else `None`.
    #[staticmethod]
    fn decode_entry<'py>(
        py: Python<'py>,
        stored: &[u8],
        fingerprint: &str,
        context_generation: u64,
        instance_generation: u64,
    ) -> Option<Bound<'py, PyBytes>> {
        let current = Generation {
            context: context_generation,
            instance: instance_generation,
        };
        entry::decode_fresh(stored, fingerprint, current)
            .ok()
            .map(|body| PyBytes::new(py, body))
    }

    /// The frame a connection receives for `push` (JSON, as published),
    /// or `None`: `own` when the connection's principal made the call (it
    /// sees merges into personal contexts and the client id), `readable`
    /// the contexts its principal may read, `watch` its watch list.
    #[pyo3(signature = (push, own, readable, watch=None))]
    fn push_frame(
        &self,
        push: &str,
        own: bool,
        readable: HashSet<String>,
        watch: Option<HashSet<String>>,
    ) -> PyResult<Option<String>> {
        let push: Push = serde_json::from_value(json_in(push, "the push")?)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("not a push: {e}")))?;
        let view = if own { push } else { self.for_others(push) };
        let contexts: BTreeSet<&str> = view
            .invalidate
            .iter()
            .map(Invalidation::context)
            .chain(view.merge.iter().map(|m| m.context.as_str()))
            .collect();
        let visible: BTreeSet<&str> = contexts
            .iter()
            .copied()
            .filter(|c| watch.as_ref().is_none_or(|w| w.contains(*c)))
            .filter(|c| readable.contains(*c))
            .collect();
        if visible.is_empty() {
            return Ok(None);
        }
        let view = Push {
            invalidate: view
                .invalidate
                .iter()
                .filter(|i| visible.contains(i.context()))
                .cloned()
                .collect(),
            merge: view
                .merge
                .iter()
                .filter(|m| visible.contains(m.context.as_str()))
                .cloned()
                .collect(),
            function: view.function,
            client: view.client,
        };
        #[derive(Serialize)]
        struct Frame<'a> {
            op: &'static str,
            #[serde(flatten)]
            push: &'a Push,
        }
        Ok(Some(json_out(&Frame { op: "push", push: &view })))
    }
}

impl Engine {
    /// What another principal than the caller may see of a push: no client
    /// id, and a merge into a personal context turned into an invalidation
    /// of the same instance (as `mizan::Push::for_others`).
    fn for_others(&self, push: Push) -> Push {
        let mut invalidate = push.invalidate;
        let mut merge = Vec::with_capacity(push.merge.len());
        for m in push.merge {
            if !self.personal.contains(&m.context) {
                merge.push(m);
                continue;
            }
            let entry = match m.params {
                Some(params) if !params.is_empty() => Invalidation::Scoped(ScopedInvalidation {
                    context: m.context,
                    function: None,
                    params: Some(params),
                }),
                _ => Invalidation::Broad(m.context),
            };
            if !invalidate.contains(&entry) {
                invalidate.push(entry);
            }
        }
        Push {
            invalidate,
            merge,
            function: push.function,
            client: None,
        }
    }
}
