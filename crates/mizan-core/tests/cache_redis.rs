//! Cache backends: one behavioural test body run against the memory backend
//! and against a real `redis-server` started by the test (its own port, no
//! persistence, killed on drop), plus "Redis unreachable" cases that must
//! surface as `Error::Cache` quickly — never a panic, never a hang.
//!
//! `redis-server` must be on PATH (or set `REDIS_SERVER`); a missing binary
//! fails the test rather than skipping it.
#![cfg(feature = "redis")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mizan_core::Error;
use mizan_core::cache::{CacheBackend, MemoryCache, RedisCache, SharedCache};
use mizan_core::cache_key::{CacheKeyer, key_belongs_to};
use serde_json::{Map, Value, json};

// ---- harness -------------------------------------------------------------

/// A private `redis-server` on a free port, killed when dropped.
struct RedisServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    fn start() -> Self {
        Self::start_on(free_port())
    }

    fn start_on(port: u16) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let bin = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&bin)
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{bin}` (required by this test): {e}"));
        let mut server = Self { child, port, _dir: dir };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("redis-server exited early: {status}");
            }
            if ping(self.port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {} not ready after 10 s", self.port);
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.pid()])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

// ---- shared behaviour ----------------------------------------------------

fn params(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// More keys than one SCAN/UNLINK batch (1000 by default).
const MANY: u64 = 2_500;

/// The behaviour every backend must have, through `dyn CacheBackend`.
async fn exercise(cache: SharedCache) {
    let keyer = CacheKeyer::new(b"cache-test-secret");
    let key = |ctx: &str, i: u64| keyer.key(ctx, &params(json!({"page": i})), None, 0);

    // get / put / overwrite
    let k = key("orders", 0);
    assert_eq!(cache.get(&k).await.expect("get"), None);
    cache.put(&k, b"v0", None).await.expect("put");
    assert_eq!(cache.get(&k).await.expect("get").as_deref(), Some(&b"v0"[..]));
    cache.put(&k, b"v1", None).await.expect("overwrite");
    assert_eq!(cache.get(&k).await.expect("get").as_deref(), Some(&b"v1"[..]));
    let bytes: Vec<u8> = (0..=255).collect();
    cache.put(&k, &bytes, None).await.expect("binary value");
    assert_eq!(cache.get(&k).await.expect("get"), Some(bytes));

    // TTL expiry, and a zero TTL stores nothing
    let short = key("ttl", 1);
    let long = key("ttl", 2);
    cache
        .put(&short, b"s", Some(Duration::from_millis(300)))
        .await
        .expect("put ttl");
    cache
        .put(&long, b"l", Some(Duration::from_secs(60)))
        .await
        .expect("put ttl");
    assert!(cache.get(&short).await.expect("get").is_some());
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(cache.get(&short).await.expect("get"), None, "expired");
    assert!(cache.get(&long).await.expect("get").is_some());
    cache.put(&long, b"x", Some(Duration::ZERO)).await.expect("zero ttl");
    assert_eq!(cache.get(&long).await.expect("get"), None);

    // scoped purge: exactly one key
    let other = key("orders", 1);
    cache.put(&other, b"o", None).await.expect("put");
    assert!(cache.purge_key(&k).await.expect("purge_key"));
    assert!(!cache.purge_key(&k).await.expect("purge again"));
    assert_eq!(cache.get(&k).await.expect("get"), None);
    assert!(cache.get(&other).await.expect("get").is_some());

    // broad purge over more keys than one batch, other contexts untouched
    for i in 0..MANY {
        cache.put(&key("orders", i), b"o", None).await.expect("put many");
    }
    let neighbours = [
        key("orders:eu", 1), // shares the `ctx:orders:` prefix
        key("ordersx", 1),
        key("catalog", 1),
        key("catalog", 2),
        key("café*?[]", 1), // glob metacharacters in the name
    ];
    for n in &neighbours {
        cache.put(n, b"n", None).await.expect("put neighbour");
    }
    let foreign = ["ctx:orders:not-a-mizan-key", "sessions:1", "ctx:x"];
    for f in foreign {
        cache.put(f, b"f", None).await.expect("put foreign");
    }

    let listed = cache.list_keys("orders", 10).await.expect("list");
    assert_eq!(listed.len(), 10);
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "sorted");
    assert!(listed.iter().all(|k| key_belongs_to(k, "orders")), "{listed:?}");
    let catalog = cache.list_keys("catalog", 100).await.expect("list");
    let mut want = vec![key("catalog", 1), key("catalog", 2)];
    want.sort();
    assert_eq!(catalog, want);
    assert_eq!(
        cache.list_keys("café*?[]", 100).await.expect("list glob"),
        vec![key("café*?[]", 1)]
    );
    assert!(cache.list_keys("orders", 0).await.expect("list 0").is_empty());

    assert_eq!(cache.purge_context("orders").await.expect("purge"), MANY);
    assert!(cache.list_keys("orders", 10).await.expect("list").is_empty());
    for i in [0, 999, 1000, 1001, MANY - 1] {
        assert_eq!(cache.get(&key("orders", i)).await.expect("get"), None);
    }
    for n in &neighbours {
        assert!(cache.get(n).await.expect("get").is_some(), "{n} survived");
    }
    for f in foreign {
        assert!(cache.get(f).await.expect("get").is_some(), "{f} survived");
    }
    assert_eq!(cache.purge_context("orders").await.expect("purge again"), 0);
    assert_eq!(cache.purge_context("café*?[]").await.expect("purge glob"), 1);

    // clear: every Mizan key, nothing else
    assert_eq!(cache.clear().await.expect("clear"), 4);
    for n in &neighbours {
        assert_eq!(cache.get(n).await.expect("get"), None);
    }
    for f in foreign {
        assert!(cache.get(f).await.expect("get").is_some(), "{f} survived clear");
    }
}

#[tokio::test]
async fn memory_backend_behaviour() {
    exercise(std::sync::Arc::new(MemoryCache::new())).await;
}

#[tokio::test]
async fn redis_backend_behaviour() {
    let server = RedisServer::start();
    let cache = RedisCache::new(&server.url()).expect("url");
    cache.ping().await.expect("ping");
    exercise(std::sync::Arc::new(cache)).await;
}

#[tokio::test]
async fn memory_backend_entry_limit() {
    let cache = MemoryCache::with_max_entries(3);
    for i in 0..5u8 {
        cache.put(&format!("k{i}"), &[i], None).await.expect("put");
    }
    assert_eq!(cache.len(), 3);
    assert_eq!(cache.get("k0").await.expect("get"), None, "oldest evicted");
    assert_eq!(cache.get("k4").await.expect("get"), Some(vec![4]));
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

#[tokio::test]
async fn redis_nothing_listening_fails_fast() {
    let url = format!("redis://127.0.0.1:{}/", free_port());
    let cache = RedisCache::new(&url).expect("url is valid");
    let t = Instant::now();
    assert_cache_error(cache.get("ctx:a:b").await, t, "get");
    let t = Instant::now();
    assert_cache_error(cache.put("ctx:a:b", b"v", None).await, t, "put");
    let t = Instant::now();
    assert_cache_error(cache.purge_key("ctx:a:b").await, t, "purge_key");
    let t = Instant::now();
    assert_cache_error(cache.purge_context("a").await, t, "purge_context");
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
async fn redis_killed_mid_test_then_restarted() {
    let server = RedisServer::start();
    let port = server.port;
    let cache = RedisCache::new(&server.url()).expect("url");
    cache.put("ctx:a:k", b"v", None).await.expect("put");
    assert!(cache.get("ctx:a:k").await.expect("get").is_some());

    drop(server);
    let t = Instant::now();
    assert_cache_error(cache.get("ctx:a:k").await, t, "get after kill");
    let t = Instant::now();
    assert_cache_error(cache.put("ctx:a:k", b"v", None).await, t, "put after kill");

    // Once Redis is back, the backend reconnects by itself (after its
    // back-off) without being rebuilt.
    let _server = RedisServer::start_on(port);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match cache.put("ctx:a:k", b"again", None).await {
            Ok(()) => break,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("no reconnect within 5 s: {e}"),
        }
    }
    assert_eq!(
        cache.get("ctx:a:k").await.expect("get after restart"),
        Some(b"again".to_vec())
    );
}

#[tokio::test]
async fn redis_frozen_server_times_out() {
    let server = RedisServer::start();
    let cache = RedisCache::new(&server.url()).expect("url");
    cache.put("ctx:a:k", b"v", None).await.expect("put");
    // SIGSTOP: the socket stays open but nothing answers.
    let stopped = Command::new("kill")
        .args(["-STOP", &server.pid()])
        .status()
        .expect("kill -STOP");
    assert!(stopped.success());
    let t = Instant::now();
    assert_cache_error(cache.get("ctx:a:k").await, t, "get from a frozen server");
    let t = Instant::now();
    assert_cache_error(cache.purge_context("a").await, t, "purge on a frozen server");
    // `server` is resumed and killed on drop.
}
