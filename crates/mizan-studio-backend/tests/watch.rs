//! Watch: a saved KDL change reloads, re-checks, regenerates and is pushed;
//! a broken save shows its diagnostics, keeps the last good IR and writes
//! nothing.

mod common;

use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

const FUNCTION: &str = "    function say_hello {\n        doc \"Says hello.\"\n        param name string\n        returns EchoReply\n    }\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_change_regenerates_and_is_pushed_and_a_broken_save_changes_nothing() {
    let app = app();
    let dir = example_copy();
    app.ok("open_project", json!({"folder": dir.path()})).await;
    app.ok("regenerate", json!({})).await;
    let mut sub = app.subscribe();
    let kdl = dir.path().join("api.kdl");
    let client = dir.path().join("generated/client.ts");
    let original = std::fs::read_to_string(&kdl).unwrap();
    assert!(!std::fs::read_to_string(&client).unwrap().contains("say_hello"));

    // Add a function: it appears and the files regenerate, without a call.
    let edited = original.replacen(
        "    function set_bio {",
        &format!("{FUNCTION}    function set_bio {{"),
        1,
    );
    let saved = Instant::now();
    std::fs::write(&kdl, &edited).unwrap();
    let regenerated = wait_until(Duration::from_secs(10), || {
        std::fs::read_to_string(&client).is_ok_and(|t| t.contains("sayHello") || t.contains("say_hello"))
    })
    .await;
    let took = saved.elapsed();
    assert!(regenerated, "client.ts was not regenerated");
    eprintln!("watch: KDL saved -> files on disk in {took:?} (debug build)");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // The push names the changed contexts.
    let mut pushed = Vec::new();
    while let Some(push) = next_push(&mut sub, Duration::from_secs(5)).await {
        let contexts: Vec<String> = push["invalidate"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap_or_default().to_owned())
            .collect();
        let done = contexts.contains(&"browse".to_owned());
        pushed.push(contexts);
        if done {
            break;
        }
    }
    assert!(pushed.iter().any(|c| c.contains(&"graph".to_owned())), "{pushed:?}");
    let functions = app.fetch("browse", json!({})).await;
    assert!(
        functions["list_functions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "say_hello")
    );
    let activity = app.fetch("activity", json!({})).await;
    let last = &activity["activity_status"]["last_regenerate"];
    assert_eq!(last["trigger"], "watch");
    assert!(last["written"].as_i64().unwrap() >= 1, "{last}");
    assert!(app.studio.activity().watch.reloads >= 1);

    // A broken save: diagnostics, the last good IR kept, nothing written.
    let before = files_under(&dir.path().join("generated"));
    std::fs::write(
        &kdl,
        edited.replacen("affects context=user", "affects context=nobody", 1),
    )
    .unwrap();
    let studio = app.studio.clone();
    assert!(
        wait_until(Duration::from_secs(10), || studio.project_view().state
            == mizan_studio_backend::models::LoadState::Failed)
        .await
    );
    let d = app.fetch("diagnostics", json!({})).await;
    let d = &d["diagnostic_list"];
    assert_eq!(d["from_failed_load"], true);
    assert!(
        d["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "dangling-affects" && i["location"]["line"].as_i64().unwrap() > 1),
        "{d}"
    );
    let project = app.fetch("project", json!({})).await;
    assert_eq!(project["project_info"]["showing_last_good"], true);
    assert!(
        app.fetch("browse", json!({})).await["list_functions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "say_hello")
    );
    // A syntax error too.
    std::fs::write(&kdl, "mizan-ir version=1 {\n    function {\n").unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let d = app.fetch("diagnostics", json!({})).await;
    assert_eq!(d["diagnostic_list"]["items"][0]["severity"], "error");
    assert!(
        app.call("regenerate", json!({})).await.is_err(),
        "regenerating the older IR would undo the save"
    );
    assert_eq!(
        files_under(&dir.path().join("generated")),
        before,
        "a broken save wrote files"
    );

    // Watch off: saves are ignored.
    app.ok("set_watch", json!({"on": false})).await;
    std::fs::write(&kdl, &original).unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        studio.project_view().state,
        mizan_studio_backend::models::LoadState::Failed
    );
}

/// The contexts a push invalidates.
fn pushed_contexts(push: &serde_json::Value) -> Vec<String> {
    push["invalidate"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_file_edited_by_hand_shows_as_changed_without_a_reload() {
    let app = app();
    let dir = example_copy();
    app.ok("open_project", json!({"folder": dir.path()})).await;
    // The first regenerate creates the output folder: from then on it is
    // watched too.
    app.ok("regenerate", json!({})).await;
    let reloads = app.studio.activity().watch.reloads;
    let mut sub = app.subscribe();
    let client = dir.path().join("generated/client.ts");
    let text = std::fs::read_to_string(&client).unwrap();
    std::fs::write(&client, text.replacen("export", "// edited by hand\nexport", 1)).unwrap();

    let mut pushed = Vec::new();
    while let Some(push) = next_push(&mut sub, Duration::from_secs(5)).await {
        let contexts = pushed_contexts(&push);
        let done = contexts.contains(&"preview".to_owned());
        pushed.push(contexts);
        if done {
            break;
        }
    }
    assert!(pushed.iter().any(|c| c == &["preview", "preview_file"]), "{pushed:?}");
    let plan = app.fetch("preview", json!({})).await;
    let files = plan["preview_plan"]["targets"].as_array().unwrap();
    let state = files
        .iter()
        .flat_map(|t| t["files"].as_array().unwrap())
        .find(|f| f["path"] == "client.ts")
        .map(|f| f["state"].clone());
    assert_eq!(state, Some(json!("update")), "{plan:?}");
    let file = app
        .fetch("preview_file", json!({"target": "ts", "path": "client.ts"}))
        .await;
    assert_eq!(file["file_preview"]["removed"], 1, "{file:?}");
    assert_eq!(
        app.studio.activity().watch.reloads,
        reloads,
        "an output change reloaded the IR"
    );
}
