//! The live tools through the dispatcher, as the UI drives them, on a
//! project whose `.mizan/studio.toml` points at a live `afi-server` on
//! Redis: environments and their status, lookups with the secrets named by
//! variable (or typed), replays recorded in the history (secrets left out,
//! surviving a new studio), and the errors bad input gets.

mod common;

use common::*;
use mizan_testkit::{AfiServer, Redis};
use serde_json::{Value, json};
use std::path::Path;

const CACHE_SECRET: &str = "live-api-cache-secret-0123456789ab";
const MWT_SECRET: &str = "live-api-mwt-secret-0123456789abcdef";
// Variables only this test sets (tests in one binary share the process).
const CACHE_VAR: &str = "LIVE_API_TEST_CACHE_SECRET";
const MWT_VAR: &str = "LIVE_API_TEST_MWT_SECRET";

/// A project on the AFI IR with one environment: the server and Redis.
fn project(server: &AfiServer, redis: &Redis) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let kdl = root().join("fixtures/afi/afi.kdl");
    std::fs::write(
        dir.path().join("mizan.toml"),
        format!(
            "output = \"generated\"\ntargets = [\"ts\"]\n[source]\nkdl = {:?}\n",
            kdl.display().to_string()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join(".mizan")).unwrap();
    std::fs::write(
        dir.path().join(".mizan/studio.toml"),
        format!(
            "[[environment]]\nname = \"local\"\nbase_url = \"{}\"\nredis_url = \"{}\"\ncache_secret_env = \"{CACHE_VAR}\"\n[environment.mwt_keys]\ndefault = \"{MWT_VAR}\"\n\n[[environment]]\nname = \"nowhere\"\nbase_url = \"http://127.0.0.1:9/api/mizan\"\n",
            server.base(),
            redis.url()
        ),
    )
    .unwrap();
    dir
}

fn all_text_under(dir: &Path) -> String {
    files_under(dir)
        .into_iter()
        .map(|(_, bytes)| String::from_utf8_lossy(&bytes).into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environments_lookups_replays_and_history() {
    // SAFETY: set once, before anything reads them; no other test reads
    // these names.
    unsafe {
        std::env::set_var(CACHE_VAR, CACHE_SECRET);
        std::env::set_var(MWT_VAR, MWT_SECRET);
    }
    let redis = Redis::start();
    let mut server = AfiServer::start(&[
        "--redis",
        &redis.url(),
        "--cache-secret",
        CACHE_SECRET,
        "--mwt-secret",
        MWT_SECRET,
    ]);
    let dir = project(&server, &redis);
    let settings = tempfile::tempdir().unwrap();
    let options = || mizan_studio_backend::StudioOptions {
        settings_path: Some(settings.path().join("settings.json")),
        ..Default::default()
    };
    let app = app_with(options());
    let opened = app.call("open_project", json!({"folder": dir.path()})).await.unwrap();
    assert_eq!(opened.result["state"], "ready", "{}", opened.result);
    let contexts: Vec<&str> = opened.invalidate.iter().map(|i| i.context()).collect();
    assert!(
        contexts.contains(&"live") && contexts.contains(&"replays"),
        "{contexts:?}"
    );

    // Environments: sources named, values never shown.
    let envs = app.fetch("live", json!({})).await;
    let view = &envs["environments"];
    assert_eq!(view["active"], "local");
    let text = view.to_string();
    assert!(text.contains(&format!("${CACHE_VAR}")), "{text}");
    assert!(!text.contains(CACHE_SECRET) && !text.contains(MWT_SECRET), "{text}");
    let status = app.fetch("live_status", json!({})).await;
    assert_eq!(status["live_status"]["backend"]["state"], "ok", "{status:?}");
    assert_eq!(status["live_status"]["redis"]["state"], "ok", "{status:?}");

    // A fetch, then the lookup the inspector makes.
    let r = reqwest::get(format!("{}/ctx/user/?user_id=5", server.base()))
        .await
        .unwrap();
    assert_eq!(r.headers()["x-mizan-cache"], "MISS");
    let hit = app
        .ok("cache_lookup", json!({"context": "user", "params": "{\"user_id\": 5}"}))
        .await;
    assert_eq!(hit["status"], "HIT", "{hit}");

    // A token minted with the environment's ring, sent with a replay.
    let token = app.ok("token_mint", json!({"form": {"sub": "5"}})).await;
    let token = token.as_str().unwrap().to_owned();
    let decoded = app.ok("token_decode", json!({"token": token})).await;
    assert_eq!(decoded["verdict"], "valid", "{decoded}");
    let sent = app
        .call(
            "replay_send",
            json!({"form": {
                "function": "rename", "args": "{\"user_id\": 5, \"name\": \"Ada\"}", "base_url": "",
                "websocket": false, "headers": [], "token": token, "keep_secrets": false,
                "mounted": [{"context": "user", "params": "{\"user_id\": 5}"}, {"context": "user", "params": "{\"user_id\": 6}"}]
            }}),
        )
        .await
        .unwrap();
    assert_eq!(
        sent.invalidate.iter().map(|i| i.context()).collect::<Vec<_>>(),
        ["replays"]
    );
    let outcome = sent.result;
    assert_eq!(outcome["matches"], true, "{outcome}");
    assert_eq!(outcome["header"], "user;user_id=5");
    assert_eq!(outcome["predicted"], json!(["user;user_id=5"]));
    let purged: Vec<&Value> = outcome["generations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["purged"] == true)
        .collect();
    assert_eq!(purged.len(), 1, "{outcome}");
    assert_eq!(purged[0]["target"], "user;user_id=5");
    assert_eq!(outcome["plan"][0]["action"], "refetch");
    assert_eq!(outcome["plan"][1]["action"], "untouched");
    let after = app
        .ok("cache_lookup", json!({"context": "user", "params": "{\"user_id\": 5}"}))
        .await;
    assert_eq!(after["status"], "MISS");
    // Explain names the recorded mutation.
    let why = app
        .ok(
            "cache_explain",
            json!({"context": "user", "params": "{\"user_id\": 5}"}),
        )
        .await;
    assert!(why["verdict"].as_str().unwrap().contains("by `rename` at"), "{why}");

    // The history has it, without the token; the file never holds a secret.
    let history = app.fetch("replays", json!({})).await;
    let items = history["replay_history"]["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["function"], "rename");
    assert_eq!(items[0]["had_token"], true);
    assert!(items[0]["token"].is_null());
    assert!(items[0]["curl"].as_str().unwrap().contains("$MIZAN_TOKEN"));

    // A typed secret is used, and written nowhere.
    app.ok(
        "set_secret",
        json!({"environment": "local", "slot": "cache_secret", "value": "typed-wrong-secret-0123456789abcdef"}),
    )
    .await;
    let wrong = app
        .ok("cache_lookup", json!({"context": "items", "params": "{}"}))
        .await;
    assert_ne!(wrong["key"], hit["key"]);
    let mut keyer_key = mizan_core::cache_key::CacheKeyer::new(b"typed-wrong-secret-0123456789abcdef").key(
        "items",
        &Default::default(),
        None,
        0,
    );
    assert_eq!(wrong["key"], keyer_key);
    keyer_key.clear();
    let disk = all_text_under(dir.path()) + &all_text_under(settings.path());
    for secret in ["typed-wrong-secret", CACHE_SECRET, MWT_SECRET, token.as_str()] {
        assert!(!disk.contains(secret), "`{secret}` reached the disk");
    }
    app.ok(
        "set_secret",
        json!({"environment": "local", "slot": "cache_secret", "value": ""}),
    )
    .await;

    // Bad input: 400s that say where.
    let bad = app
        .call("cache_lookup", json!({"context": "user", "params": "{\"user_id\": 5"}))
        .await
        .unwrap_err();
    assert!(
        bad.to_string()
            .contains("the params is not JSON: EOF while parsing an object at line 1 column 13"),
        "{bad}"
    );
    let bad = app
        .call("cache_lookup", json!({"context": "nope", "params": "{}"}))
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("nope"), "{bad}");
    let bad = app
        .call("replay_send", json!({"form": {"function": "rename", "args": "{\"user_id\": \"x\"}", "base_url": "", "websocket": false, "headers": [], "keep_secrets": false, "mounted": []}}))
        .await
        .unwrap_err();
    assert!(
        bad.to_string().contains("`user_id`: expected an integer, got a string"),
        "{bad}"
    );
    let bad = app
        .call(
            "set_secret",
            json!({"environment": "local", "slot": "password", "value": "x"}),
        )
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("unknown secret slot"), "{bad}");

    // Switching environments; a backend that is down says so.
    app.ok("set_environment", json!({"name": "nowhere"})).await;
    let status = app.fetch("live_status", json!({})).await;
    assert_eq!(status["live_status"]["backend"]["state"], "down");
    assert!(
        status["live_status"]["backend"]["detail"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1:9"),
        "{status:?}"
    );
    app.ok("set_environment", json!({"name": "local"})).await;
    server.kill();
    let down = app
        .ok("replay_send", json!({"form": {"function": "add", "args": "{\"a\": 1, \"b\": 2}", "base_url": "", "websocket": false, "headers": [], "keep_secrets": false, "mounted": []}}))
        .await;
    assert!(
        down["error"].as_str().unwrap().contains("is the backend running?"),
        "{down}"
    );

    // A new studio on the same project finds the history.
    drop(app);
    let again = app_with(options());
    again.call("open_project", json!({"folder": dir.path()})).await.unwrap();
    let history = again.fetch("replays", json!({})).await;
    let items = history["replay_history"]["items"].as_array().unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| i["function"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["add", "rename"]
    );
}
