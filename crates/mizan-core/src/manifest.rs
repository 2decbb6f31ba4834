//! The edge manifest (SPEC §9): what a CDN or edge worker needs to cache
//! context endpoints and purge them (and their pages) when mutations run.
//! Derived from the IR, deterministic (objects have sorted keys, lists are
//! sorted or in declaration order).
//!
//! Decisions where the SPEC is silent (also in `docs/PROTOCOL.md`):
//! * function `path` is `"rpc"` for http functions and `"websocket"` for
//!   websocket ones;
//! * `cache` appears on a function as seconds or `"none"` when not forever;
//! * `auth` appears on a function when it is not open to anyone
//!   (`required`, `staff`, `superuser`, `predicate:NAME`), so the edge can
//!   infer per-user data (tier 2) and never share it across callers;
//! * mutation `affects` lists the contexts a call refetches and `merge`
//!   the contexts it patches (when there are any), both from the core's
//!   [`MutationPlan`] — so a merged context is not listed as affected, and
//!   a merge that resolves to a refetch is — in declaration order;
//! * `auto_scoped_params` are the mutation's args that are params of any
//!   affected or merged context, sorted.

use crate::invalidation::MutationPlan;
use crate::ir::{Auth, CachePolicy, Ir, Transport};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// The manifest format version.
pub const MANIFEST_VERSION: u32 = 1;

/// Default mount point of the HTTP adapter.
pub const DEFAULT_BASE: &str = "/api/mizan";

/// Param names that make a context per-user.
const USER_PARAMS: [&str; 4] = ["user_id", "user", "owner_id", "account_id"];

/// Builds the manifest. `base` is the adapter mount (e.g. `/api/mizan` or a
/// full URL); a trailing slash is ignored.
pub fn build(ir: &Ir, base: &str) -> Value {
    let base = base.trim_end_matches('/');
    let mut contexts = Map::new();
    for ctx in &ir.contexts {
        let members: Vec<_> = ir.members_of(&ctx.name).collect();
        let functions: Vec<Value> = members
            .iter()
            .map(|f| {
                let mut e = Map::new();
                e.insert("name".into(), json!(f.name));
                e.insert(
                    "path".into(),
                    json!(if f.transport == Transport::Websocket {
                        "websocket"
                    } else {
                        "rpc"
                    }),
                );
                if f.rev != 0 {
                    e.insert("rev".into(), json!(f.rev));
                }
                match f.cache {
                    CachePolicy::Forever => {}
                    CachePolicy::Ttl(n) => {
                        e.insert("cache".into(), json!(n));
                    }
                    CachePolicy::None => {
                        e.insert("cache".into(), json!("none"));
                    }
                }
                if let Some(r) = &f.route {
                    e.insert("route".into(), json!(r));
                }
                if !f.methods.is_empty() {
                    e.insert("methods".into(), json!(f.methods));
                }
                if let Some(auth) = auth_label(&f.auth) {
                    e.insert("auth".into(), json!(auth));
                }
                Value::Object(e)
            })
            .collect();
        let params: Vec<&str> = ctx.params.iter().map(|p| p.name.as_str()).collect();
        let user_scoped = params.iter().any(|p| USER_PARAMS.contains(p));
        let page_routes: BTreeSet<&str> = members.iter().filter_map(|f| f.route.as_deref()).collect();
        contexts.insert(
            ctx.name.clone(),
            json!({
                "functions": functions,
                "endpoints": [format!("{base}/ctx/{}/", ctx.name)],
                "params": params,
                "user_scoped": user_scoped,
                "render_strategy": if user_scoped { "dynamic_cached" } else { "psr" },
                "page_routes": page_routes,
            }),
        );
    }
    let mut mutations = Map::new();
    for f in ir.functions.iter().filter(|f| f.is_mutation()) {
        // What a call really does, from the core's plan: merged contexts
        // are not refetched, and merges that cannot resolve (or cannot be
        // scoped) are refetches.
        let plan = MutationPlan::new(ir, f);
        let mut affects: Vec<&str> = Vec::new();
        for t in &plan.targets {
            if !affects.contains(&t.context.as_str()) {
                affects.push(&t.context);
            }
        }
        let mut merged: Vec<&str> = Vec::new();
        for m in &plan.merges {
            if !merged.contains(&m.context.as_str()) {
                merged.push(&m.context);
            }
        }
        let touched: BTreeSet<&str> = affects.iter().chain(&merged).copied().collect();
        let scoped: BTreeSet<&str> = f
            .params
            .iter()
            .filter(|p| {
                touched.iter().any(|c| {
                    ir.context(c)
                        .is_some_and(|c| c.params.iter().any(|cp| cp.name == p.name))
                })
            })
            .map(|p| p.name.as_str())
            .collect();
        let mut m = Map::new();
        m.insert("affects".into(), json!(affects));
        m.insert("auto_scoped_params".into(), json!(scoped));
        if !merged.is_empty() {
            m.insert("merge".into(), json!(merged));
        }
        if f.private {
            m.insert("private".into(), json!(true));
        }
        if let Some(r) = &f.route {
            m.insert("route".into(), json!(r));
        }
        if !f.methods.is_empty() {
            m.insert("methods".into(), json!(f.methods));
        }
        mutations.insert(f.name.clone(), Value::Object(m));
    }
    json!({"version": MANIFEST_VERSION, "contexts": contexts, "mutations": mutations})
}

/// `auth` of a function entry when not open to anyone: an edge must not
/// share such responses across callers (tier-2 inference happens there).
fn auth_label(auth: &Auth) -> Option<String> {
    match auth {
        Auth::None => None,
        Auth::Required => Some("required".into()),
        Auth::Staff => Some("staff".into()),
        Auth::Superuser => Some("superuser".into()),
        Auth::Predicate(p) => Some(format!("predicate:{p}")),
    }
}

/// The manifest as deterministic pretty JSON text (sorted keys, two-space
/// indent, trailing newline).
pub fn to_text(manifest: &Value) -> String {
    let sorted = crate::canonical_json::sort_keys(manifest);
    let mut text = serde_json::to_string_pretty(&sorted).unwrap_or_default();
    text.push('\n');
    text
}
