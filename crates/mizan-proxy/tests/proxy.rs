//! The proxy in front of a real `afi-server` on a real Redis: what it
//! records over HTTP and `/ws/`, that it passes everything through
//! unchanged, and that a 10 MB answer does not hold up a small one.

use futures::{SinkExt, StreamExt};
use mizan_proxy::{ProxyOptions, WireEvent, WireKind};
use mizan_testkit::{AfiServer, Redis};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "proxy-test-cache-secret-0123456789abc";
const MWT: &str = "proxy-test-mwt-secret-0123456789abcdefgh";

async fn wait_for(events: &Mutex<Vec<WireEvent>>, n: usize) -> Vec<WireEvent> {
    let started = Instant::now();
    loop {
        let now = events.lock().unwrap().clone();
        if now.len() >= n || started.elapsed() > Duration::from_secs(10) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_http_and_websocket_traffic_and_passes_it_through() {
    let redis = Redis::start();
    let server = AfiServer::start(&[
        "--redis",
        &redis.url(),
        "--cache-secret",
        SECRET,
        "--mwt-secret",
        MWT,
        "--body-limit",
        "20000000",
    ]);
    let events: Arc<Mutex<Vec<WireEvent>>> = Arc::default();
    let sink = events.clone();
    let proxy = mizan_proxy::start(
        ProxyOptions::new(server.base()),
        Arc::new(move |e| sink.lock().unwrap().push(e)),
    )
    .await
    .unwrap();
    assert!(
        proxy.url.starts_with("http://127.0.0.1:") && proxy.url.ends_with("/api/mizan"),
        "{}",
        proxy.url
    );
    let http = reqwest::Client::new();

    // Fetches: MISS then HIT, passed through.
    for expected in ["MISS", "HIT"] {
        let r = http
            .get(format!("{}/ctx/user/?user_id=5", proxy.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["x-mizan-cache"], expected);
        assert!(r.text().await.unwrap().contains("user_profile"));
    }
    // A call with a token: recorded with the token's sub, never the token.
    let mut ring = mizan_core::mwt::KeyRing::new();
    ring.insert("default", MWT);
    let token = mizan_core::mwt::mint(
        &ring,
        &mizan_core::mwt::MintRequest::new("5"),
        mizan_core::mwt::unix_now(),
    )
    .unwrap();
    let r = http
        .post(format!("{}/call/", proxy.url))
        .header("X-Mizan-Token", &token)
        .header("X-Mizan-Client", "client-a")
        .json(&json!({"fn": "rename", "args": {"user_id": 5, "name": "Ada"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-mizan-invalidate"], "user;user_id=5");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"]["name"], "Ada");
    let seen = wait_for(&events, 3).await;
    assert_eq!(seen[0].kind, WireKind::Fetch);
    assert_eq!(
        (seen[0].context.as_deref(), seen[0].cache.as_deref()),
        (Some("user"), Some("MISS"))
    );
    assert_eq!(seen[0].args["user_id"], "5");
    assert_eq!(seen[1].cache.as_deref(), Some("HIT"));
    let call = &seen[2];
    assert_eq!((call.kind, call.function.as_deref()), (WireKind::Call, Some("rename")));
    assert_eq!(call.principal.as_deref(), Some("5"));
    assert_eq!(call.client.as_deref(), Some("client-a"));
    assert_eq!(call.header.as_deref(), Some("user;user_id=5"));
    assert_eq!(
        call.body.as_ref().unwrap()["invalidate"],
        json!([{"context": "user", "params": {"user_id": 5}}])
    );
    let recorded = serde_json::to_string(&seen).unwrap();
    assert!(!recorded.contains(&token), "the token was recorded");

    // A cross-origin upgrade is refused with the target's own 403, before
    // any socket opens; a cross-origin form post too.
    let mut upgrade = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        proxy.url.replacen("http", "ws", 1) + "/ws/",
    )
    .unwrap();
    upgrade
        .headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(upgrade).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
        other => panic!("a cross-origin upgrade went through: {:?}", other.map(|_| ())),
    }
    let form = reqwest::multipart::Form::new().text("envelope", r#"{"fn":"add","args":{"a":1,"b":2}}"#);
    let r = http
        .post(format!("{}/call/", proxy.url))
        .header("Origin", "http://evil.example")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // /ws/ through the proxy: a call frame and its answer, then a push
    // caused by an HTTP call.
    let ws_url = proxy.url.replacen("http", "ws", 1) + "/ws/";
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url.as_str()).await.unwrap();
    socket
        .send(Message::text(
            json!({"id": 1, "op": "call", "fn": "add", "args": {"a": 2, "b": 3}}).to_string(),
        ))
        .await
        .unwrap();
    let reply = loop {
        let Message::Text(t) = socket.next().await.unwrap().unwrap() else {
            continue;
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["id"] == 1 {
            break v;
        }
    };
    assert_eq!(reply["result"]["total"], 5, "{reply}");
    http.post(format!("{}/call/", server.base()))
        .json(&json!({"fn": "set_item_name", "args": {"id": 1, "name": "via push"}}))
        .send()
        .await
        .unwrap();
    let push = loop {
        let Message::Text(t) = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        else {
            continue;
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["op"] == "push" {
            break v;
        }
    };
    assert_eq!(push["fn"], "set_item_name");
    let seen = wait_for(&events, 5).await;
    let ws_call = seen
        .iter()
        .find(|e| e.transport == "ws" && e.kind == WireKind::Call)
        .expect("the ws call");
    assert_eq!(ws_call.function.as_deref(), Some("add"));
    assert_eq!(ws_call.body.as_ref().unwrap()["result"]["total"], 5);
    let pushed = seen.iter().find(|e| e.kind == WireKind::Push).expect("the push");
    assert_eq!(pushed.function.as_deref(), Some("set_item_name"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_megabyte_answer_does_not_hold_up_a_small_one() {
    let server = AfiServer::start(&["--body-limit", "30000000"]);
    let proxy = mizan_proxy::start(ProxyOptions::new(server.base()), Arc::new(|_| {}))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let big = "x".repeat(10 * 1024 * 1024);
    let url = format!("{}/call/", proxy.url);
    // Start the big one and read its answer slowly.
    let slow = {
        let http = http.clone();
        let url = url.clone();
        tokio::spawn(async move {
            let r = http
                .post(&url)
                .json(&json!({"fn": "echo", "args": {"text": big}}))
                .send()
                .await
                .unwrap();
            let mut stream = r.bytes_stream();
            let mut n = 0;
            while let Some(chunk) = stream.next().await {
                n += chunk.unwrap().len();
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            n
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t = Instant::now();
    let r = http
        .post(&url)
        .json(&json!({"fn": "add", "args": {"a": 1, "b": 2}}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["result"]["total"], 3);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "the small call waited {:?}",
        t.elapsed()
    );
    assert!(!slow.is_finished(), "the big answer should still be streaming");
    assert!(slow.await.unwrap() > 10 * 1024 * 1024);
}

#[tokio::test]
async fn a_target_that_is_down_is_a_502_with_a_message() {
    let port = mizan_testkit::free_port();
    let proxy = mizan_proxy::start(
        ProxyOptions::new(format!("http://127.0.0.1:{port}/api/mizan")),
        Arc::new(|_| {}),
    )
    .await
    .unwrap();
    let r = reqwest::get(format!("{}/ctx/user/?user_id=1", proxy.url))
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert!(r.text().await.unwrap().contains("could not reach"));
    assert!(
        mizan_proxy::start(
            ProxyOptions {
                listen: "0.0.0.0:0".parse().unwrap(),
                ..ProxyOptions::new("http://h/")
            },
            Arc::new(|_| {})
        )
        .await
        .is_err()
    );
}
