//! Scoped purge cost against the number of cached users (issue: "a scoped
//! purge is O(1) Redis commands whatever the number of users").
//!
//! For N = 10 and N = 10,000 personalised copies of one instance in a real
//! `redis-server`, it counts the commands one scoped purge sends (Redis's
//! own `total_commands_processed`) and times 500 purges, then prints both
//! and the ratio of the two timings. Run: `cargo bench -p mizan --bench scoped_purge`.

use mizan::{Commit, Origin, OriginCache, Principal, Registry, RequestHandle};
use mizan_core::cache::{CacheOptions, RedisCache};
use mizan_core::invalidation::{Invalidation, ScopedInvalidation};
use mizan_testkit::Redis;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Instant;

#[mizan::context("doc")]
pub struct DocCtx;

#[mizan::client(context = DocCtx)]
pub async fn doc_body(req: &RequestHandle<'_>, doc_id: i64) -> String {
    format!(
        "doc {doc_id} for {}",
        req.principal().map_or("anyone", |p| p.id.as_str())
    )
}

fn commands(redis: &Redis) -> u64 {
    redis
        .cli(&["INFO", "stats"])
        .iter()
        .find_map(|l| l.strip_prefix("total_commands_processed:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("INFO stats")
}

async fn run(users: usize) -> (u64, f64) {
    let redis = Redis::start();
    let registry = Registry::from_linked().expect("registry");
    let backend = Arc::new(RedisCache::new(&redis.url()).expect("url"));
    let cache = OriginCache::attach(&registry, [7u8; 32], backend, CacheOptions::default());
    let extensions = mizan::Extensions::new();
    let params: Map<String, Value> = json!({"doc_id": 1}).as_object().cloned().unwrap();
    for u in 0..users {
        let p = Principal::user(format!("user-{u}"));
        let req = RequestHandle::new(Origin::Http, Some(&p), &extensions);
        registry
            .fetch_cached(&req, "doc", &params, Some(&cache))
            .await
            .expect("fetch");
    }
    let commit = Commit {
        function: Some("edit_doc".into()),
        origin: Origin::Http,
        client: None,
        caller: None,
        invalidate: vec![Invalidation::Scoped(ScopedInvalidation {
            context: "doc".into(),
            function: None,
            params: Some(params.clone()),
        })],
        merge: Vec::new(),
    };
    let before = commands(&redis);
    cache.purge(&commit).await;
    // `INFO` itself is one command.
    let per_purge = commands(&redis) - before - 1;
    const ROUNDS: u32 = 500;
    let t = Instant::now();
    for _ in 0..ROUNDS {
        cache.purge(&commit).await;
    }
    (per_purge, t.elapsed().as_secs_f64() * 1e6 / f64::from(ROUNDS))
}

#[tokio::main]
async fn main() {
    let (few_cmds, few_us) = run(10).await;
    let (many_cmds, many_us) = run(10_000).await;
    println!("scoped purge, 10 cached users:     {few_cmds} Redis command(s), {few_us:.1} µs per purge");
    println!("scoped purge, 10,000 cached users: {many_cmds} Redis command(s), {many_us:.1} µs per purge");
    println!("ratio (10,000 / 10): {:.2}", many_us / few_us);
}
