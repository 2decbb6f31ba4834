//! The live-system tools against a real `afi-server` on a real Redis:
//! the cache inspector (lookup, explain, scan, purge) and the replay
//! console (send, three-way comparison), and what they say when the
//! backend or Redis is gone.

use mizan_core::cache::RedisCache;
use mizan_core::cache::policy::{CacheOptions, CacheRequest};
use mizan_core::ir::Ir;
use mizan_studio_backend::live::inspect::{Hints, Inspector, RecordedPurge};
use mizan_studio_backend::live::replay::{self, Outgoing};
use mizan_testkit::{AfiServer, Redis};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

const CACHE_SECRET: &str = "live-test-cache-secret-0123456789";
const MWT_SECRET: &str = "live-test-mwt-secret-0123456789abcdef";

fn afi() -> Ir {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/afi/afi.kdl")).unwrap();
    mizan_core::ir::parse(&text).unwrap()
}

fn params(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn request(context: &str, p: Value, user: Option<&str>, rev: Option<u64>) -> CacheRequest {
    CacheRequest {
        context: context.into(),
        params: params(p),
        user: user.map(str::to_owned),
        rev,
    }
}

async fn fetch(base: &str, path: &str, token: Option<&str>) -> String {
    let mut req = reqwest::Client::new().get(format!("{base}/ctx/{path}"));
    if let Some(t) = token {
        req = req.header("X-Mizan-Token", t);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.headers()["x-mizan-cache"].to_str().unwrap().to_owned()
}

fn token(sub: &str) -> String {
    let mut ring = mizan_core::mwt::KeyRing::new();
    ring.insert("default", MWT_SECRET);
    mizan_core::mwt::mint(
        &ring,
        &mizan_core::mwt::MintRequest::new(sub),
        mizan_core::mwt::unix_now(),
    )
    .unwrap()
}

struct Live {
    redis: Redis,
    server: AfiServer,
    ir: Ir,
}

impl Live {
    fn start() -> Live {
        let redis = Redis::start();
        let server = AfiServer::start(&[
            "--redis",
            &redis.url(),
            "--cache-secret",
            CACHE_SECRET,
            "--mwt-secret",
            MWT_SECRET,
        ]);
        Live {
            redis,
            server,
            ir: afi(),
        }
    }

    fn inspector(&self) -> Inspector {
        let redis = Arc::new(RedisCache::new(&self.redis.url()).unwrap());
        Inspector::new(&self.ir, &CacheOptions::default(), CACHE_SECRET, Some(redis))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lookup_sees_what_the_server_stored_and_explain_finds_the_neighbour() {
    let live = Live::start();
    let base = live.server.base();
    assert_eq!(fetch(&base, "user/?user_id=5", None).await, "MISS");
    let inspector = live.inspector();
    let asked = request("user", json!({"user_id": 5}), None, None);
    let found = inspector.lookup(&asked).await.unwrap();
    assert_eq!(found.status, "HIT", "{found:?}");
    assert_eq!(fetch(&base, "user/?user_id=5", None).await, "HIT");
    let entry = found.entry.expect("the stored entry");
    assert!(entry.fingerprint_current && entry.stale.is_empty());
    assert!(entry.value.contains("\"user_profile\""), "{}", entry.value);
    assert!(entry.ttl_ms.is_some_and(|t| t > 0));
    assert_eq!(
        found.key,
        mizan_core::cache_key::CacheKeyer::new(CACHE_SECRET.as_bytes()).key(
            "user",
            &params(json!({"user_id": 5})),
            None,
            2
        )
    );

    // A rev the server does not use.
    let old_rev = request("user", json!({"user_id": 5}), None, Some(1));
    assert_eq!(inspector.lookup(&old_rev).await.unwrap().status, "MISS");
    let why = inspector
        .explain_miss(&live.ir, &old_rev, &Hints::default())
        .await
        .unwrap();
    assert_eq!(
        why.would_hit.first().map(String::as_str),
        Some("rev 2 (the effective rev) instead of 1"),
        "{why:?}"
    );
    assert!(why.verdict.contains("would hit with rev 2"), "{}", why.verdict);
    assert!(
        why.differences.iter().any(|d| d.starts_with("rev: 1 vs 2")),
        "{:?}",
        why.differences
    );

    // "05" for 5.
    let padded = request("user", json!({"user_id": "05"}), None, None);
    let why = inspector
        .explain_miss(&live.ir, &padded, &Hints::default())
        .await
        .unwrap();
    assert!(
        why.would_hit.iter().any(|w| w.starts_with("user_id = 5 (the number")),
        "{why:?}"
    );

    // A personalised entry looked up without its user.
    let t = token("7");
    assert_eq!(fetch(&base, "user/?user_id=7", Some(&t)).await, "MISS");
    let anonymous = request("user", json!({"user_id": 7}), None, None);
    assert_eq!(inspector.lookup(&anonymous).await.unwrap().status, "MISS");
    let why = inspector
        .explain_miss(&live.ir, &anonymous, &Hints::default())
        .await
        .unwrap();
    assert_eq!(why.would_hit, vec!["user `7`"], "{why:?}");
    let as_seven = request("user", json!({"user_id": 7}), Some("7"), None);
    assert_eq!(inspector.lookup(&as_seven).await.unwrap().status, "HIT");

    // Nothing anywhere: expired or never fetched.
    let never = request("user", json!({"user_id": 99}), None, None);
    let why = inspector
        .explain_miss(&live.ir, &never, &Hints::default())
        .await
        .unwrap();
    assert!(
        why.would_hit.is_empty() && why.verdict.contains("expired (cached for"),
        "{why:?}"
    );

    // The keys of the context, in SCAN steps.
    let mut keys = Vec::new();
    let mut cursor = 0;
    loop {
        let page = inspector.scan("user", cursor, 10).await.unwrap();
        keys.extend(page.keys.into_iter().map(|k| k.key));
        if page.done {
            break;
        }
        cursor = page.cursor.parse().unwrap();
    }
    keys.sort();
    let mut expected = vec![found.key.clone(), inspector.lookup(&as_seven).await.unwrap().key];
    expected.sort();
    assert_eq!(keys, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_compares_prediction_body_and_header_and_the_purge_shows() {
    let live = Live::start();
    let base = live.server.base();
    let inspector = live.inspector();
    fetch(&base, "user/?user_id=5", None).await;
    let asked = request("user", json!({"user_id": 5}), None, None);
    let before = inspector.lookup(&asked).await.unwrap();
    assert_eq!(before.status, "HIT");

    let args = params(json!({"user_id": 5, "name": "Ada"}));
    assert!(replay::validate(&live.ir, "rename", &args).unwrap().is_empty());
    let out = Outgoing {
        base_url: base.clone(),
        function: "rename".into(),
        args: args.clone(),
        timeout: Duration::from_secs(10),
        ..Default::default()
    };
    let sent = replay::send(&live.ir, &out).await;
    assert_eq!((sent.status, sent.error.as_str()), (200, ""), "{sent:?}");
    assert_eq!(sent.header.as_deref(), Some("user;user_id=5"));
    let c = replay::compare(&live.ir, "rename", &args, &sent, false).unwrap();
    assert!(c.matches, "{:?}", c.differences);
    assert_eq!(c.predicted, c.body);

    // The server purged user 5: the entry is gone and Explain says so,
    // naming the mutation the history recorded.
    let after = inspector.lookup(&asked).await.unwrap();
    assert_eq!(after.status, "MISS");
    let hints = Hints {
        purges: vec![RecordedPurge {
            function: "rename".into(),
            when: "12:00:00".into(),
            invalidate: serde_json::from_value(sent.body.as_ref().unwrap()["invalidate"].clone()).unwrap(),
        }],
        ..Default::default()
    };
    let why = inspector.explain_miss(&live.ir, &asked, &hints).await.unwrap();
    assert!(
        why.verdict.contains("purged by `rename` at 12:00:00"),
        "{}",
        why.verdict
    );

    // The same call against an IR that disagrees with the server.
    let edited = afi_text().replace(
        "function rename {\n        doc \"Renames a user.\"\n        param user_id integer\n        param name string\n        returns Profile\n        affects context=user",
        "function rename {\n        doc \"Renames a user.\"\n        param user_id integer\n        param name string\n        returns Profile\n        affects context=items",
    );
    let wrong = mizan_core::ir::parse(&edited).unwrap();
    let sent = replay::send(&wrong, &out).await;
    let c = replay::compare(&wrong, "rename", &args, &sent, false).unwrap();
    assert!(!c.matches);
    assert!(
        c.differences
            .iter()
            .any(|d| d == "the IR predicts `items` but the body does not carry it"),
        "{:?}",
        c.differences
    );

    // Over the app's WebSocket: same answer, no header leg.
    let ws = replay::send(
        &live.ir,
        &Outgoing {
            websocket: true,
            ..out.clone()
        },
    )
    .await;
    assert_eq!((ws.status, ws.error.as_str()), (200, ""), "{ws:?}");
    let c = replay::compare(&live.ir, "rename", &args, &ws, true).unwrap();
    assert!(c.matches && c.header.is_none(), "{c:?}");

    // A purge through the inspector bumps the instance generation.
    fetch(&base, "user/?user_id=5", None).await;
    let report = inspector
        .purge(
            &live.ir,
            &CacheOptions::default(),
            CACHE_SECRET,
            "user",
            Some(params(json!({"user_id": 5}))),
        )
        .await
        .unwrap();
    assert_eq!(report.after, report.before + 1, "{report:?}");
    assert_eq!(inspector.lookup(&asked).await.unwrap().status, "MISS");
    assert_eq!(fetch(&base, "user/?user_id=5", None).await, "MISS");
}

/// The remaining Explain cases: an optional param given that the server
/// did not key, one the server keyed with its default, a broad purge, and
/// an entry another deploy wrote (fingerprint).
#[tokio::test(flavor = "multi_thread")]
async fn explain_optional_params_broad_purges_and_other_deploys() {
    let live = Live::start();
    let base = live.server.base();
    let inspector = live.inspector();
    let none = Hints::default();

    // Fetched without `page`; looked up with it.
    assert_eq!(fetch(&base, "user/?user_id=6", None).await, "MISS");
    let with_page = request("user", json!({"user_id": 6, "page": 1}), None, None);
    let why = inspector.explain_miss(&live.ir, &with_page, &none).await.unwrap();
    assert_eq!(why.would_hit, vec!["without the optional `page`"], "{why:?}");

    // Fetched with `page=1`; looked up without it.
    assert_eq!(fetch(&base, "user/?user_id=8&page=1", None).await, "MISS");
    let without = request("user", json!({"user_id": 8}), None, None);
    let why = inspector.explain_miss(&live.ir, &without, &none).await.unwrap();
    assert_eq!(why.would_hit, vec!["with `page` = 1 (its default)"], "{why:?}");

    // A broad purge: the entry is still there but no longer served.
    assert_eq!(fetch(&base, "items/", None).await, "MISS");
    let items = request("items", json!({}), None, None);
    assert_eq!(inspector.lookup(&items).await.unwrap().status, "HIT");
    let report = inspector
        .purge(&live.ir, &CacheOptions::default(), CACHE_SECRET, "items", None)
        .await
        .unwrap();
    assert_eq!((report.before, report.after), (0, 1));
    let found = inspector.lookup(&items).await.unwrap();
    assert_eq!(found.status, "MISS");
    assert!(found.entry.unwrap().stale.contains("context generation 0 → 1"));
    let why = inspector.explain_miss(&live.ir, &items, &none).await.unwrap();
    assert!(
        why.verdict.contains("purged broadly since it was stored"),
        "{}",
        why.verdict
    );
    assert_eq!(fetch(&base, "items/", None).await, "MISS");

    // An entry another deploy wrote (same key, another fingerprint).
    let found = inspector
        .lookup(&request("user", json!({"user_id": 6}), None, None))
        .await
        .unwrap();
    let generation = mizan_core::cache::Generation::default();
    let foreign = mizan_core::cache::entry::encode("0000000000000000", generation, b"{}");
    let client = redis::Client::open(live.redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let () = redis::cmd("SET")
        .arg(&found.key)
        .arg(foreign)
        .query_async(&mut conn)
        .await
        .unwrap();
    let again = inspector
        .lookup(&request("user", json!({"user_id": 6}), None, None))
        .await
        .unwrap();
    assert_eq!(again.status, "MISS");
    let entry = again.entry.unwrap();
    assert!(
        !entry.fingerprint_current && entry.stale.contains("another schema"),
        "{entry:?}"
    );
    // The server agrees: it does not serve it.
    assert_eq!(fetch(&base, "user/?user_id=6", None).await, "MISS");
}

fn afi_text() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/afi/afi.kdl")).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn backend_down_and_redis_down_each_give_their_message_in_time() {
    let mut live = Live::start();
    let base = live.server.base();
    live.server.kill();
    let started = std::time::Instant::now();
    let sent = replay::send(
        &live.ir,
        &Outgoing {
            base_url: base,
            function: "add".into(),
            args: params(json!({"a": 1, "b": 2})),
            timeout: Duration::from_secs(10),
            ..Default::default()
        },
    )
    .await;
    assert!(
        sent.error.contains("cannot connect") && sent.error.contains("is the backend running?"),
        "{}",
        sent.error
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    let inspector = live.inspector();
    live.redis.kill();
    let started = std::time::Instant::now();
    let found = inspector
        .lookup(&request("user", json!({"user_id": 5}), None, None))
        .await
        .unwrap();
    assert!(found.redis_error.starts_with("Redis: "), "{found:?}");
    assert!(!found.redis_error.contains(CACHE_SECRET));
    assert!(found.status.is_empty());
    let e = inspector.scan("user", 0, 100).await.unwrap_err();
    assert!(e.starts_with("Redis: "), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // No Redis at all: said plainly.
    let none = Inspector::new(&live.ir, &CacheOptions::default(), CACHE_SECRET, None);
    let found = none
        .lookup(&request("user", json!({"user_id": 5}), None, None))
        .await
        .unwrap();
    assert!(found.redis_error.contains("no Redis configured"), "{found:?}");
    assert!(!found.key.is_empty());
}

/// Redis asks for a password: without one, or with the wrong one, the
/// inspector says so (the password never in the message); with the right
/// one (in the URL, as the environment's variables put it) it answers.
/// Redis frozen mid-scan: the next step fails within the timeout, with a
/// message, and the pages already listed stay valid.
#[tokio::test(flavor = "multi_thread")]
async fn redis_password_refused_and_redis_gone_mid_scan() {
    let live = Live::start();
    let base = live.server.base();
    for id in 0..30 {
        fetch(&base, &format!("user/?user_id={id}"), None).await;
    }
    live.redis.cli(&["CONFIG", "SET", "requirepass", "s3cr3t-pw"]);
    let asked = request("user", json!({"user_id": 5}), None, None);
    let inspector = |url: String| {
        let redis = Arc::new(RedisCache::new(&url).unwrap());
        Inspector::new(&live.ir, &CacheOptions::default(), CACHE_SECRET, Some(redis))
    };
    let port = live.redis.port;
    let none = inspector(format!("redis://127.0.0.1:{port}/0"))
        .lookup(&asked)
        .await
        .unwrap();
    assert!(
        none.redis_error.starts_with("Redis: ") && none.redis_error.to_lowercase().contains("auth"),
        "{none:?}"
    );
    let url = mizan_studio_backend::live::environment::with_credentials(
        &format!("redis://127.0.0.1:{port}/0"),
        None,
        Some("wrong-pw"),
    );
    let wrong = inspector(url).lookup(&asked).await.unwrap();
    assert!(wrong.redis_error.starts_with("Redis: "), "{wrong:?}");
    assert!(!wrong.redis_error.contains("wrong-pw"), "{wrong:?}");
    let url = mizan_studio_backend::live::environment::with_credentials(
        &format!("redis://127.0.0.1:{port}/0"),
        None,
        Some("s3cr3t-pw"),
    );
    let good = inspector(url.clone());
    assert_eq!(good.lookup(&asked).await.unwrap().status, "HIT");

    let first = good.scan("user", 0, 5).await.unwrap();
    assert!(!first.done);
    live.redis.freeze();
    let started = std::time::Instant::now();
    let e = good.scan("user", first.cursor.parse().unwrap(), 5).await.unwrap_err();
    assert!(e.starts_with("Redis: "), "{e}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
