//! The origin cache through the runtime, on the memory backend and a real
//! `redis-server`: every origin purges (HTTP is covered in afi-app; here
//! IPC, a private function called server-side, `publish`), auth is checked
//! before a hit, a fetch that read old data can never store it after the
//! purge that followed (held inside its handler until the purge has run),
//! scoped purges reach every copy of an instance and nothing else, and a
//! purge that fails while Redis is down is retried — reads bypass the cache
//! meanwhile — even when Redis comes back with its old data.

use mizan::{CacheStatus, Extensions, Origin, OriginCache, Principal, Registry, RequestHandle};
use mizan_core::cache::{CacheOptions, MemoryCache, RedisCache, SharedCache};
use mizan_core::invalidation::Invalidation;
use mizan_testkit::Redis;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, oneshot};

#[mizan::context("row")]
pub struct RowCtx;

#[mizan::context("vault")]
pub struct VaultCtx;

/// The app state: rows by id, and an optional gate that holds the next
/// read of a row after it has read the value.
#[derive(Default)]
pub struct Rows {
    values: Mutex<HashMap<i64, String>>,
    gate: Mutex<Option<Gate>>,
}

pub struct Gate {
    read_done: oneshot::Sender<()>,
    release: Arc<Notify>,
}

impl Rows {
    fn get(&self, id: i64) -> String {
        self.values.lock().unwrap().get(&id).cloned().unwrap_or_default()
    }

    fn set(&self, id: i64, value: String) {
        self.values.lock().unwrap().insert(id, value);
    }
}

#[mizan::client(context = RowCtx)]
pub async fn row_value(req: &RequestHandle<'_>, id: i64) -> Result<String, mizan::MizanError> {
    let rows = req.state::<Rows>()?;
    let value = rows.get(id);
    let gate = rows.gate.lock().unwrap().take();
    if let Some(gate) = gate {
        let _ = gate.read_done.send(());
        gate.release.notified().await;
    }
    Ok(value)
}

#[mizan::client(context = RowCtx)]
pub async fn row_viewer(req: &RequestHandle<'_>, id: i64, #[mizan(default = false)] verbose: bool) -> String {
    let who = req.principal().map_or("anonymous", |p| p.id.as_str());
    format!("{id} seen by {who}{}", if verbose { " (verbose)" } else { "" })
}

#[mizan::client(affects = RowCtx)]
pub async fn set_row(req: &RequestHandle<'_>, id: i64, value: String) -> Result<bool, mizan::MizanError> {
    req.state::<Rows>()?.set(id, value);
    Ok(true)
}

/// A webhook: private, called by the server itself.
#[mizan::client(affects = RowCtx, private)]
pub async fn row_webhook(req: &RequestHandle<'_>, id: i64, value: String) -> Result<bool, mizan::MizanError> {
    req.state::<Rows>()?.set(id, value);
    Ok(true)
}

#[mizan::client(context = VaultCtx, auth = "required")]
pub async fn vault_secret(req: &RequestHandle<'_>) -> Result<String, mizan::MizanError> {
    Ok(format!("secret of {}", req.require_principal()?.id))
}

const SECRET: &str = "origin-cache-test-secret-0123456789";

struct App {
    registry: Arc<Registry>,
    cache: Arc<OriginCache>,
    extensions: Extensions,
}

impl App {
    fn new(backend: SharedCache) -> App {
        let registry = Arc::new(Registry::from_linked().expect("valid registry"));
        let cache = OriginCache::attach(&registry, SECRET, backend, CacheOptions::default());
        let mut extensions = Extensions::new();
        extensions.insert(Rows::default());
        App {
            registry,
            cache,
            extensions,
        }
    }

    fn rows(&self) -> &Rows {
        self.extensions.get::<Rows>().unwrap()
    }

    fn req<'a>(&'a self, origin: Origin, principal: Option<&'a Principal>) -> RequestHandle<'a> {
        RequestHandle::new(origin, principal, &self.extensions)
    }

    async fn fetch_as(&self, principal: Option<&Principal>, params: Value) -> (Value, CacheStatus) {
        let params: Map<String, Value> = params.as_object().cloned().unwrap();
        let fetched = self
            .registry
            .fetch_cached(&self.req(Origin::Http, principal), "row", &params, Some(&self.cache))
            .await
            .expect("fetch");
        (
            serde_json::from_slice(&fetched.body).unwrap(),
            fetched.cache.expect("a cache status"),
        )
    }

    async fn fetch(&self, id: i64) -> (String, CacheStatus) {
        let (bundle, status) = self.fetch_as(None, json!({ "id": id })).await;
        (bundle["row_value"].as_str().unwrap().to_owned(), status)
    }

    async fn call(&self, origin: Origin, function: &str, args: Value) {
        self.registry
            .call(&self.req(origin, None), function, args.as_object().unwrap())
            .await
            .expect("call");
    }
}

async fn backends() -> Vec<(&'static str, SharedCache, Option<Redis>)> {
    let redis = Redis::start();
    let backend = RedisCache::new(&redis.url()).expect("url");
    vec![
        ("memory", Arc::new(MemoryCache::new()) as SharedCache, None),
        ("redis", Arc::new(backend) as SharedCache, Some(redis)),
    ]
}

#[tokio::test]
async fn a_fetch_that_read_old_data_never_stores_it_after_the_purge() {
    for (name, backend, _redis) in backends().await {
        let app = Arc::new(App::new(backend));
        app.rows().set(1, "old".into());
        let (read_done, read) = oneshot::channel();
        let release = Arc::new(Notify::new());
        *app.rows().gate.lock().unwrap() = Some(Gate {
            read_done,
            release: release.clone(),
        });
        // The fetch reads "old" and is held inside its handler...
        let slow = tokio::spawn({
            let app = app.clone();
            async move { app.fetch(1).await }
        });
        read.await.expect("the fetch read the row");
        // ... while a mutation changes the row and purges ...
        app.call(Origin::Http, "set_row", json!({"id": 1, "value": "new"}))
            .await;
        // ... then the fetch answers (its caller gets what it read) and
        // tries to store it.
        release.notify_one();
        assert_eq!(slow.await.unwrap(), ("old".to_owned(), CacheStatus::Miss), "{name}");
        assert_eq!(
            app.fetch(1).await,
            ("new".to_owned(), CacheStatus::Miss),
            "{name}: no stale entry"
        );
        assert_eq!(app.fetch(1).await, ("new".to_owned(), CacheStatus::Hit), "{name}");
    }
}

#[tokio::test]
async fn every_origin_purges() {
    for (name, backend, _redis) in backends().await {
        let app = App::new(backend);
        app.fetch(1).await;
        assert_eq!(app.fetch(1).await.1, CacheStatus::Hit, "{name}");
        app.call(Origin::Ipc, "set_row", json!({"id": 1, "value": "ipc"})).await;
        assert_eq!(
            app.fetch(1).await,
            ("ipc".to_owned(), CacheStatus::Miss),
            "{name}: IPC purges"
        );

        // A private function called by the server itself (a webhook).
        app.call(Origin::Internal, "row_webhook", json!({"id": 1, "value": "hook"}))
            .await;
        assert_eq!(
            app.fetch(1).await,
            ("hook".to_owned(), CacheStatus::Miss),
            "{name}: webhook"
        );

        // The application's own change, published.
        app.rows().set(1, "cron".into());
        app.registry
            .publish(vec![Invalidation::Broad("row".into())], Vec::new())
            .await;
        assert_eq!(
            app.fetch(1).await,
            ("cron".to_owned(), CacheStatus::Miss),
            "{name}: publish"
        );
    }
}

#[tokio::test]
async fn scoped_purges_reach_every_copy_of_the_instance_and_nothing_else() {
    for (name, backend, _redis) in backends().await {
        let app = App::new(backend);
        let ann = Principal::user("ann");
        let variants = [
            (None, json!({"id": 1})),
            (Some(&ann), json!({"id": 1})),
            (None, json!({"id": 1, "verbose": true})),
            (Some(&ann), json!({"id": 1, "verbose": true})),
        ];
        for (who, params) in &variants {
            assert_eq!(app.fetch_as(*who, params.clone()).await.1, CacheStatus::Miss);
            assert_eq!(app.fetch_as(*who, params.clone()).await.1, CacheStatus::Hit);
        }
        app.fetch(2).await;
        app.call(Origin::Http, "set_row", json!({"id": 1, "value": "x"})).await;
        for (who, params) in &variants {
            let (bundle, status) = app.fetch_as(*who, params.clone()).await;
            assert_eq!(status, CacheStatus::Miss, "{name}: {params} as {who:?}");
            assert_eq!(bundle["row_value"], "x");
        }
        assert_eq!(
            app.fetch(2).await.1,
            CacheStatus::Hit,
            "{name}: row 2 is another instance"
        );
    }
}

#[tokio::test]
async fn auth_is_checked_before_a_hit() {
    let app = App::new(Arc::new(MemoryCache::new()));
    let ann = Principal::user("ann");
    let req = app.req(Origin::Http, Some(&ann));
    let cache = Some(&*app.cache);
    let first = app
        .registry
        .fetch_cached(&req, "vault", &Map::new(), cache)
        .await
        .unwrap();
    assert_eq!(first.cache, Some(CacheStatus::Miss));
    let again = app
        .registry
        .fetch_cached(&req, "vault", &Map::new(), cache)
        .await
        .unwrap();
    assert_eq!(again.cache, Some(CacheStatus::Hit));
    // Anonymous: rejected before the cache is consulted, whatever is stored.
    let anonymous = app.req(Origin::Http, None);
    let err = app
        .registry
        .fetch_cached(&anonymous, "vault", &Map::new(), cache)
        .await
        .unwrap_err();
    assert_eq!(err.code, mizan_core::wire::ErrorCode::Unauthorized);
}

#[tokio::test]
async fn a_purge_that_fails_is_retried_and_reads_bypass_meanwhile() {
    let mut redis = Redis::start_durable();
    let app = App::new(Arc::new(RedisCache::new(&redis.url()).expect("url")));
    app.rows().set(1, "old".into());
    assert_eq!(app.fetch(1).await.1, CacheStatus::Miss);
    assert_eq!(app.fetch(1).await.1, CacheStatus::Hit);

    // Redis dies; the mutation commits; its purge fails and stays pending.
    redis.kill();
    app.call(Origin::Http, "set_row", json!({"id": 1, "value": "new"}))
        .await;
    assert_eq!(app.cache.pending_contexts(), vec!["row".to_owned()]);
    // Redis comes back *with its data*: the old entry is still there.
    redis.restart();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // the backend's back-off
    // The next read retries the purge first: never the stale entry.
    assert_eq!(app.fetch(1).await, ("new".to_owned(), CacheStatus::Miss));
    assert!(app.cache.pending_contexts().is_empty());
    assert_eq!(app.fetch(1).await, ("new".to_owned(), CacheStatus::Hit));

    // While the purge cannot run, reads bypass the cache entirely.
    redis.kill();
    app.call(Origin::Http, "set_row", json!({"id": 1, "value": "newer"}))
        .await;
    redis.restart();
    assert_eq!(
        app.fetch(1).await,
        ("newer".to_owned(), CacheStatus::Bypass),
        "back-off: still pending"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(app.cache.retry_pending().await, "retried once Redis answers");
    assert_eq!(app.fetch(1).await, ("newer".to_owned(), CacheStatus::Miss));
}

/// Many concurrent readers (anonymous and authenticated, with and without
/// optional params) and writers on the same instances, over a real Redis
/// that is killed and restarted with its data twice; at the end no entry
/// the cache would serve differs from a fresh fetch. `MIZAN_SOAK_SECS`
/// sets the length (default 12 s; the 60 s run is in the notes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_under_races_and_redis_restarts_leaves_no_stale_entry() {
    let secs: u64 = std::env::var("MIZAN_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let mut redis = Redis::start_durable();
    let app = Arc::new(App::new(Arc::new(RedisCache::new(&redis.url()).expect("url"))));
    let users: Vec<Principal> = (0..4).map(|i| Principal::user(format!("u{i}"))).collect();
    let users = Arc::new(users);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reads = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::new();
    for worker in 0..16u64 {
        let (app, users, stop, reads) = (app.clone(), users.clone(), stop.clone(), reads.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = worker;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let id = (n >> 33) % 3;
                if worker < 4 {
                    let args = json!({"id": id, "value": format!("w{worker}-{n}")});
                    let _ = app
                        .registry
                        .call(&app.req(Origin::Http, None), "set_row", args.as_object().unwrap())
                        .await;
                } else {
                    let who = ((n >> 40) % 5) as usize;
                    let principal = users.get(who);
                    let params = if (n >> 45) % 2 == 0 {
                        json!({"id": id})
                    } else {
                        json!({"id": id, "verbose": true})
                    };
                    app.fetch_as(principal, params).await;
                    reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::task::yield_now().await;
            }
        }));
    }
    for _ in 0..2 {
        tokio::time::sleep(std::time::Duration::from_secs(secs / 3)).await;
        redis.kill();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        redis.restart();
    }
    tokio::time::sleep(std::time::Duration::from_secs(secs / 3)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    // Let pending purges go through (the backend's back-off is 1 s).
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(app.cache.retry_pending().await, "purges still pending after the run");
    let mut hits = 0;
    for id in 0..3 {
        for who in 0..5usize {
            for params in [json!({"id": id}), json!({"id": id, "verbose": true})] {
                let principal = users.get(who);
                let (cached, status) = app.fetch_as(principal, params.clone()).await;
                let fresh = app
                    .registry
                    .fetch(&app.req(Origin::Http, principal), "row", params.as_object().unwrap())
                    .await
                    .unwrap();
                assert_eq!(
                    cached,
                    serde_json::to_value(&fresh).unwrap(),
                    "{status:?} {params} as {principal:?}"
                );
                hits += usize::from(status == CacheStatus::Hit);
            }
        }
    }
    let reads = reads.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("soak: {secs} s, {reads} reads, 2 Redis restarts, 30 instances checked, {hits} served from cache");
    assert!(reads > 1000, "the soak did too little work ({reads} reads)");
}
