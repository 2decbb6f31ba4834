//! Traffic through the dispatcher, from both sources: the recording proxy
//! the studio starts, and a running `afi-server --devtools` the studio
//! attaches to — whose server-side webhook (`POST /hooks/bump`) shows
//! though it never crossed the proxy.

mod common;

use common::*;
use mizan_testkit::{AfiServer, Redis};
use serde_json::{Value, json};
use std::time::Duration;

fn rows(view: &mizan::mizan_core::wire::ContextBundle) -> Vec<Value> {
    view["traffic_view"]["rows"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_and_tap_feed_one_timeline() {
    let discovery = tempfile::tempdir().unwrap();
    // The tap refuses a discovery folder others may read.
    std::fs::set_permissions(discovery.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    // SAFETY: set before anything reads it; only this test binary uses it.
    unsafe { std::env::set_var("MIZAN_DEVTOOLS_DIR", discovery.path()) };
    let redis = Redis::start();
    let server = AfiServer::start(&[
        "--redis",
        &redis.url(),
        "--cache-secret",
        "traffic-test-cache-secret-0123456789",
        "--devtools",
        "--devtools-dir",
        discovery.path().to_str().unwrap(),
    ]);
    let app = app();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mizan.toml"),
        format!(
            "output = \"generated\"\ntargets = [\"ts\"]\n[source]\nkdl = {:?}\n",
            root().join("fixtures/afi/afi.kdl").display().to_string()
        ),
    )
    .unwrap();
    app.call("open_project", json!({"folder": dir.path()})).await.unwrap();

    // The proxy.
    let proxy = app.ok("proxy_start", json!({"target": server.base()})).await;
    let url = proxy["url"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    for _ in 0..2 {
        http.get(format!("{url}/ctx/items/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    }
    // The tap. This process's own entry (a studio window serves one in
    // debug builds) is never listed, nor attachable.
    let own = mizan_devtools::DiscoveryFile::write_in(
        discovery.path(),
        &mizan_devtools::Discovery {
            name: "this-studio".into(),
            pid: std::process::id(),
            url: "ws://127.0.0.1:9/".into(),
            secret: "0".repeat(64),
            protocol: mizan_devtools::PROTOCOL,
        },
    )
    .unwrap();
    let apps = app.ok("tap_list", json!({})).await;
    assert!(!apps.to_string().contains("this-studio"), "{apps}");
    let e = app
        .call("tap_attach", json!({"pid": std::process::id()}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("that is this studio"), "{e}");
    drop(own);
    let afi = apps
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "afi-server")
        .cloned()
        .expect("afi-server is discoverable");
    assert!(!afi.to_string().contains("secret"), "{afi}");
    app.ok("tap_attach", json!({"pid": afi["pid"]})).await;
    let r = http
        .post(format!("http://127.0.0.1:{}/hooks/bump", server.port))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    http.get(format!("{}/ctx/stats/", server.base()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    let mut seen = Vec::new();
    for _ in 0..200 {
        seen = rows(&app.fetch("traffic", json!({})).await);
        if seen.iter().any(|r| r["function"] == "hook_bump") && seen.iter().any(|r| r["context"] == "stats") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let proxied: Vec<&Value> = seen.iter().filter(|r| r["source"] == "proxy").collect();
    assert_eq!(
        proxied.iter().map(|r| r["cache"].as_str().unwrap()).collect::<Vec<_>>(),
        ["HIT", "MISS"],
        "{seen:?}"
    );
    let hook = seen
        .iter()
        .find(|r| r["function"] == "hook_bump")
        .expect("the webhook's call");
    assert_eq!(
        (hook["source"].as_str(), hook["transport"].as_str()),
        (Some("tap:afi-server"), Some("internal"))
    );
    let stats = seen
        .iter()
        .find(|r| r["context"] == "stats" && r["source"] == "tap:afi-server")
        .expect("the stats fetch");
    assert_eq!(stats["caused_by"], hook["id"], "{seen:?}");
    let detail = app.fetch("traffic_event", json!({"event": stats["id"]})).await;
    let why = detail["traffic_detail"]["why"].as_str().unwrap();
    assert!(why.contains("`hook_bump`") && why.contains("`affects stats`"), "{why}");

    // A call run in the app through the channel: answered, and recorded.
    let replayed = app
        .ok(
            "tap_replay",
            json!({"pid": afi["pid"], "function": "set_item_name", "args": "{\"id\": 1, \"name\": \"via tap\"}"}),
        )
        .await;
    assert_eq!(replayed["error"], "", "{replayed}");
    assert!(replayed["result"].as_str().unwrap().contains("via tap"), "{replayed}");
    let items = http
        .get(format!("{}/ctx/items/", server.base()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(items.contains("via tap"), "the replay changed the app's data: {items}");
    let mut recorded = false;
    for _ in 0..200 {
        let view = app.fetch("traffic", json!({"function": "set_item_name"})).await;
        if rows(&view).iter().any(|r| r["source"] == "tap:afi-server") {
            recorded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(recorded, "the replayed call's event joined the timeline");
    let refused = app
        .ok(
            "tap_replay",
            json!({"pid": afi["pid"], "function": "stripe_webhook", "args": "{\"event\": \"x\"}"}),
        )
        .await;
    assert!(
        refused["error"].as_str().unwrap().starts_with("FORBIDDEN"),
        "a private function is refused to an outside caller: {refused}"
    );

    // Filters, through the context's params.
    let only_tap = app.fetch("traffic", json!({"text": "hook_bump"})).await;
    assert!(rows(&only_tap).iter().all(|r| r["function"] == "hook_bump"));
    assert!(
        app.ok("tap_detach", json!({"pid": afi["pid"]}))
            .await
            .as_bool()
            .unwrap()
    );
    assert!(app.ok("proxy_stop", json!({})).await.as_bool().unwrap());
    // A pid with no tap.
    let e = app.call("tap_attach", json!({"pid": 1})).await.unwrap_err();
    assert!(e.to_string().contains("no running app with pid 1"), "{e}");
    let e = app
        .call(
            "tap_replay",
            json!({"pid": afi["pid"], "function": "add", "args": "{}"}),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not attached"), "{e}");
}
