//! Cache backends: one behavioural test body run against the memory backend
//! and against a real `redis-server` started by the test (its own port, no
//! persistence, killed on drop), plus "Redis unreachable" cases that must
//! surface as `Error::Cache` quickly — never a panic, never a hang.
#![cfg(feature = "redis")]

use std::time::{Duration, Instant};

use mizan_core::Error;
use mizan_core::cache::{
    CacheBackend, Generation, MemoryCache, RedisCache, SharedCache, Slot, context_generation_key,
    instance_generation_key,
};
use mizan_core::cache_key::{CacheKeyer, key_belongs_to};
use mizan_testkit::{Redis, free_port};
use serde_json::{Map, Value, json};

fn params(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// More keys than one SCAN/UNLINK batch (1000 by default).
const MANY: u64 = 2_500;
const LONG: Duration = Duration::from_secs(600);

struct Keys {
    keyer: CacheKeyer,
}

impl Keys {
    fn key(&self, ctx: &str, i: u64) -> String {
        self.keyer.key(ctx, &params(json!({"page": i})), None, 0)
    }
}

fn slot<'a>(context: &'a str, key: &'a str, instance: &'a str) -> Slot<'a> {
    Slot { context, key, instance }
}

async fn put(cache: &SharedCache, context: &str, key: &str, value: &[u8]) {
    let instance = instance_generation_key(key);
    let s = slot(context, key, &instance);
    let seen = cache.read(s).await.expect("read").generation;
    assert!(cache.write(s, seen, value, LONG).await.expect("write"), "stored {key}");
}

async fn get(cache: &SharedCache, context: &str, key: &str) -> Option<Vec<u8>> {
    let instance = instance_generation_key(key);
    cache.read(slot(context, key, &instance)).await.expect("read").entry
}

/// The behaviour every backend must have, through `dyn CacheBackend`.
async fn exercise(cache: SharedCache) {
    let keys = Keys {
        keyer: CacheKeyer::new(b"cache-test-secret"),
    };
    let k = keys.key("orders", 0);
    let instance = instance_generation_key(&k);
    let s = slot("orders", &k, &instance);

    // read / write / overwrite, binary values
    let empty = cache.read(s).await.expect("read");
    assert_eq!((empty.entry, empty.generation), (None, Generation::default()));
    assert!(cache.write(s, Generation::default(), b"v0", LONG).await.expect("write"));
    assert_eq!(get(&cache, "orders", &k).await.as_deref(), Some(&b"v0"[..]));
    let bytes: Vec<u8> = (0..=255).collect();
    assert!(
        cache
            .write(s, Generation::default(), &bytes, LONG)
            .await
            .expect("overwrite")
    );
    assert_eq!(get(&cache, "orders", &k).await, Some(bytes));

    // A scoped purge bumps the instance and removes the canonical entry; a
    // write with what the lookup saw before it is refused.
    cache.purge_instance("orders", &instance, &k).await.expect("purge");
    let after = cache.read(s).await.expect("read");
    assert_eq!(after.entry, None);
    assert_eq!(
        after.generation,
        Generation {
            context: 0,
            instance: 1
        }
    );
    assert!(
        !cache
            .write(s, Generation::default(), b"stale", LONG)
            .await
            .expect("write")
    );
    assert_eq!(get(&cache, "orders", &k).await, None, "a stale write never lands");
    assert!(cache.write(s, after.generation, b"fresh", LONG).await.expect("write"));

    // A broad purge bumps the context generation for every instance.
    cache.bump_context("orders").await.expect("bump");
    let broad = cache.read(s).await.expect("read");
    assert_eq!(
        broad.generation,
        Generation {
            context: 1,
            instance: 1
        }
    );
    assert!(!cache.write(s, after.generation, b"stale", LONG).await.expect("write"));

    // TTL expiry, and a zero TTL stores nothing
    let short = keys.key("ttl", 1);
    let short_instance = instance_generation_key(&short);
    let ss = slot("ttl", &short, &short_instance);
    assert!(
        cache
            .write(ss, Generation::default(), b"s", Duration::from_millis(300))
            .await
            .expect("write")
    );
    assert!(get(&cache, "ttl", &short).await.is_some());
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(get(&cache, "ttl", &short).await, None, "expired");
    assert!(
        !cache
            .write(ss, Generation::default(), b"z", Duration::ZERO)
            .await
            .expect("zero ttl")
    );
    assert_eq!(get(&cache, "ttl", &short).await, None);

    // GC over more keys than one batch, other contexts and foreign keys untouched
    for i in 0..MANY {
        put(&cache, "orders", &keys.key("orders", i), b"o").await;
    }
    let neighbours = [
        ("orders:eu", keys.key("orders:eu", 1)), // shares the `ctx:orders:` prefix
        ("ordersx", keys.key("ordersx", 1)),
        ("catalog", keys.key("catalog", 1)),
        ("catalog", keys.key("catalog", 2)),
        ("café*?[]", keys.key("café*?[]", 1)), // glob metacharacters in the name
    ];
    for (ctx, n) in &neighbours {
        put(&cache, ctx, n, b"n").await;
    }
    let foreign = ["ctx:orders:not-a-mizan-key", "sessions:1", "ctx:x"];
    for f in foreign {
        put(&cache, "orders", f, b"f").await;
    }

    let listed = cache.list_keys("orders", 10).await.expect("list");
    assert_eq!(listed.len(), 10);
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "sorted");
    assert!(listed.iter().all(|k| key_belongs_to(k, "orders")), "{listed:?}");
    let catalog = cache.list_keys("catalog", 100).await.expect("list");
    let mut want = vec![keys.key("catalog", 1), keys.key("catalog", 2)];
    want.sort();
    assert_eq!(catalog, want);
    assert_eq!(
        cache.list_keys("café*?[]", 100).await.expect("list glob"),
        vec![keys.key("café*?[]", 1)]
    );
    assert!(cache.list_keys("orders", 0).await.expect("list 0").is_empty());

    assert_eq!(cache.remove_context("orders").await.expect("gc"), MANY);
    assert!(cache.list_keys("orders", 10).await.expect("list").is_empty());
    for (ctx, n) in &neighbours {
        assert!(get(&cache, ctx, n).await.is_some(), "{n} survived");
    }
    for f in foreign {
        assert!(get(&cache, "orders", f).await.is_some(), "{f} survived");
    }
    assert_eq!(cache.remove_context("café*?[]").await.expect("gc glob"), 1);

    // clear: every Mizan entry, nothing else — generations survive it
    assert_eq!(cache.clear().await.expect("clear"), 4);
    for (ctx, n) in &neighbours {
        assert_eq!(get(&cache, ctx, n).await, None);
    }
    for f in foreign {
        assert!(get(&cache, "orders", f).await.is_some(), "{f} survived clear");
    }
    assert_eq!(cache.read(s).await.expect("read").generation.context, 1);
    assert_eq!(context_generation_key("orders"), "ctx:orders:g");
}

#[tokio::test]
async fn memory_backend_behaviour() {
    exercise(std::sync::Arc::new(MemoryCache::new())).await;
}

#[tokio::test]
async fn redis_backend_behaviour() {
    let server = Redis::start();
    let cache = RedisCache::new(&server.url()).expect("url");
    cache.ping().await.expect("ping");
    exercise(std::sync::Arc::new(cache)).await;
}

#[tokio::test]
async fn memory_backend_is_bounded() {
    let by_count = std::sync::Arc::new(MemoryCache::with_max_entries(3));
    let shared: SharedCache = by_count.clone();
    for i in 0..50u8 {
        put(&shared, "a", &format!("ctx:a:{i}"), &[i]).await;
    }
    assert!(by_count.len() <= 3, "{} entries in a 3-entry cache", by_count.len());
    let by_bytes = std::sync::Arc::new(MemoryCache::with_max_bytes(10_000));
    let shared: SharedCache = by_bytes.clone();
    for i in 0..100u32 {
        put(&shared, "a", &format!("ctx:a:{i}"), &[0u8; 1000]).await;
    }
    assert!(
        by_bytes.len() <= 10,
        "{} entries of 1 KB in a 10 KB cache",
        by_bytes.len()
    );
    assert!(MemoryCache::new().is_empty());
}

// ---- Redis unreachable ---------------------------------------------------

fn assert_cache_error<T: std::fmt::Debug>(r: mizan_core::Result<T>, started: Instant, what: &str) {
    match r {
        Err(Error::Cache { backend, .. }) => assert_eq!(backend, "redis"),
        other => panic!("{what}: expected Error::Cache, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{what} took {:?}",
        started.elapsed()
    );
}

const SLOT: Slot<'static> = Slot {
    context: "a",
    key: "ctx:a:k",
    instance: "ctx:a:k:g",
};

#[tokio::test]
async fn redis_nothing_listening_fails_fast() {
    let url = format!("redis://127.0.0.1:{}/", free_port());
    let cache = RedisCache::new(&url).expect("url is valid");
    let g = Generation::default();
    let t = Instant::now();
    assert_cache_error(cache.read(SLOT).await, t, "read");
    let t = Instant::now();
    assert_cache_error(cache.write(SLOT, g, b"v", LONG).await, t, "write");
    let t = Instant::now();
    assert_cache_error(
        cache.purge_instance("a", "ctx:a:k:g", "ctx:a:k").await,
        t,
        "purge_instance",
    );
    let t = Instant::now();
    assert_cache_error(cache.bump_context("a").await, t, "bump_context");
    let t = Instant::now();
    assert_cache_error(cache.remove_context("a").await, t, "remove_context");
    let t = Instant::now();
    assert_cache_error(cache.clear().await, t, "clear");
    let t = Instant::now();
    assert_cache_error(cache.list_keys("a", 10).await, t, "list_keys");
    let t = Instant::now();
    assert_cache_error(cache.ping().await, t, "ping");
}

#[test]
fn redis_invalid_url_is_an_error() {
    assert!(matches!(
        RedisCache::new("not a url"),
        Err(Error::Cache { backend: "redis", .. })
    ));
}

#[tokio::test]
async fn redis_killed_then_restarted_with_its_data() {
    let mut server = Redis::start_durable();
    let cache = RedisCache::new(&server.url()).expect("url");
    let g = Generation::default();
    assert!(cache.write(SLOT, g, b"v", LONG).await.expect("write"));
    cache
        .purge_instance("a", "ctx:a:k:g", "ctx:other")
        .await
        .expect("purge");

    server.kill();
    let t = Instant::now();
    assert_cache_error(cache.read(SLOT).await, t, "read after kill");
    let t = Instant::now();
    assert_cache_error(cache.write(SLOT, g, b"v", LONG).await, t, "write after kill");

    // Once Redis is back, the backend reconnects by itself (after its
    // back-off) without being rebuilt, and the data (the entry and the
    // generation the purge bumped) is still there.
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(5);
    let read = loop {
        match cache.read(SLOT).await {
            Ok(read) => break read,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("no reconnect within 5 s: {e}"),
        }
    };
    assert_eq!(read.entry.as_deref(), Some(&b"v"[..]));
    assert_eq!(read.generation.instance, 1);
}

#[tokio::test]
async fn redis_frozen_server_times_out() {
    let server = Redis::start();
    let cache = RedisCache::new(&server.url()).expect("url");
    assert!(
        cache
            .write(SLOT, Generation::default(), b"v", LONG)
            .await
            .expect("write")
    );
    server.freeze();
    let t = Instant::now();
    assert_cache_error(cache.read(SLOT).await, t, "read from a frozen server");
    let t = Instant::now();
    assert_cache_error(cache.bump_context("a").await, t, "purge on a frozen server");
    // `server` is resumed and killed on drop.
}
