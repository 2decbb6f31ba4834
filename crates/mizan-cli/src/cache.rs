//! `mizan cache explain` and the fingerprint report of `ir check
//! --previous`: thin printers over `mizan_core::cache::policy`, the same
//! functions the runtime and the studio use.

use crate::Failure;
use mizan_core::cache::policy::{CacheOptions, CachePolicies, CacheRequest, Decision, Explanation, compare};
use mizan_core::cache_key::CacheKeyer;
use mizan_core::ir::Ir;
use serde_json::{Map, Value};

/// What `cache explain` was asked.
pub struct ExplainArgs {
    pub secret: String,
    pub context: String,
    pub params: Vec<String>,
    pub user: Option<String>,
    pub rev: Option<u64>,
    pub against_params: Option<Vec<String>>,
    pub against_user: Option<String>,
    pub against_rev: Option<u64>,
    pub json: bool,
}

/// `KEY=VALUE` pairs as a param map (values as strings: `S(v)` makes
/// `5` and `"5"` one key).
pub fn parse_params(pairs: &[String]) -> Result<Map<String, Value>, Failure> {
    let mut params = Map::new();
    for p in pairs {
        let Some((k, v)) = p.split_once('=') else {
            return Err(Failure::Usage(format!("--param expects KEY=VALUE, got `{p}`")));
        };
        if k.is_empty() {
            return Err(Failure::Usage(format!("--param has an empty key: `{p}`")));
        }
        if params.insert(k.to_owned(), Value::String(v.to_owned())).is_some() {
            return Err(Failure::Usage(format!("--param `{k}` given twice")));
        }
    }
    Ok(params)
}

pub fn explain(ir: &Ir, a: ExplainArgs) -> Result<(), Failure> {
    if a.secret.is_empty() {
        return Err(Failure::Usage("the cache secret is empty".into()));
    }
    let policies = CachePolicies::new(ir, &CacheOptions::default());
    let keyer = CacheKeyer::new(a.secret.as_bytes());
    let request = CacheRequest {
        context: a.context.clone(),
        params: parse_params(&a.params)?,
        user: a.user.clone(),
        rev: a.rev,
    };
    let first = policies
        .explain(&keyer, &request)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let against = match (&a.against_params, &a.against_user, a.against_rev) {
        (None, None, None) => None,
        (params, user, rev) => {
            let other = CacheRequest {
                context: a.context.clone(),
                params: match params {
                    Some(p) => parse_params(p)?,
                    None => request.params.clone(),
                },
                user: user.clone().or_else(|| a.user.clone()),
                rev: rev.or(a.rev),
            };
            Some(
                policies
                    .explain(&keyer, &other)
                    .map_err(|e| Failure::Usage(e.to_string()))?,
            )
        }
    };
    if a.json {
        let mut out = serde_json::json!({ "explain": first });
        if let Some(second) = &against {
            let (same_key, differences) = compare(&first, second);
            out["against"] = serde_json::to_value(second).unwrap_or_default();
            out["same_key"] = same_key.into();
            out["differences"] = serde_json::to_value(differences).unwrap_or_default();
        }
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return Ok(());
    }
    print_explanation(&first);
    if let Some(second) = &against {
        println!();
        println!("against:");
        print_explanation(second);
        let (same_key, differences) = compare(&first, second);
        println!();
        if same_key {
            println!("same key: both requests share one entry");
        } else {
            println!("different keys, because:");
            for d in differences {
                println!(
                    "  {}: {} vs {} — {}",
                    d.component,
                    d.first.as_deref().unwrap_or("(absent)"),
                    d.second.as_deref().unwrap_or("(absent)"),
                    d.note
                );
            }
        }
    }
    Ok(())
}

fn print_explanation(e: &Explanation) {
    let p = &e.policy;
    println!("context      {}", p.context);
    match &p.decision {
        Decision::Cached {
            declared,
            ttl_secs,
            capped,
        } => println!(
            "policy       cached for {ttl_secs} s (declared {declared}{})",
            if *capped { ", capped by max TTL" } else { "" }
        ),
        Decision::Never { reason } => println!("policy       never cached: {reason}"),
    }
    println!("rev          {} (effective: max over members)", e.rev);
    println!("fingerprint  {}", p.fingerprint);
    println!(
        "user         {}",
        e.request
            .user
            .as_deref()
            .unwrap_or("(anonymous: entry shared by all anonymous callers)")
    );
    for (k, v) in &e.stringified {
        println!("param        {k} = {v:?}");
    }
    for k in &e.unknown_params {
        println!(
            "warning      `{}` has no param `{k}` (a real request is rejected)",
            p.context
        );
    }
    println!("message      {}", e.message);
    println!("key          {}", e.key);
    match &e.instance_key {
        Some(k) => println!("instance     {k} (scoped purges bump it)"),
        None => println!(
            "instance     none: a required param ({}) is missing, so this request is never cached",
            p.required.join(", ")
        ),
    }
}

/// `ir check --previous OLD`: per context whose fingerprint changed, what
/// changed (old cache entries of it will not be served).
pub fn fingerprint_report(old: &Ir, new: &Ir) -> Vec<String> {
    let options = CacheOptions::default();
    let (old, new) = (CachePolicies::new(old, &options), CachePolicies::new(new, &options));
    let mut out = Vec::new();
    for policy in new.iter() {
        let Some(before) = old.get(&policy.context) else {
            continue;
        };
        let changes = policy.changes_since(before);
        if changes.is_empty() {
            continue;
        }
        out.push(format!(
            "cache: context `{}` fingerprint {} → {}: its cached bundles from before will not be served",
            policy.context, before.fingerprint, policy.fingerprint
        ));
        out.extend(changes.into_iter().map(|c| format!("  {c}")));
    }
    out
}
