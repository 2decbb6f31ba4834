//! Smaller defects found in the "Locked down" review (issue #13, item 5):
//! what the Source tab says when there is no IR to show, what the project
//! and source views carry, and a reload telling every window about every
//! context of the studio's own IR.

mod common;

use common::*;
use serde_json::json;
use std::time::Duration;

/// A KDL project whose very first load fails says so (not "the IR comes
/// from a command"), and the views carry no second copy of the texts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kdl_project_whose_first_load_failed_says_so() {
    let app = app();
    let dir = example_copy();
    std::fs::write(dir.path().join("api.kdl"), "mizan-ir version=1 {\n    function {\n").unwrap();
    app.ok("open_project", json!({"folder": dir.path()})).await;
    let source = serde_json::to_value(app.fetch("source", json!({})).await).unwrap();
    let source = &source["ir_source"];
    assert!(source["html"].is_null(), "{source}");
    let missing = source["missing"].as_str().unwrap();
    assert!(
        missing.contains("api.kdl") && missing.contains("does not load"),
        "{missing}"
    );
    assert!(!missing.contains("command"), "{missing}");
    // The IR's text is not sent beside its HTML, nor mizan.toml with the
    // project on every refetch.
    let keys: Vec<&String> = source.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["html", "missing", "path"]);
    let project = serde_json::to_value(app.fetch("project", json!({})).await).unwrap();
    assert!(project["project_info"].get("config_text").is_none(), "{project}");

    // Fixed on disk: the source shows, with nothing missing.
    std::fs::copy(root().join("fixtures/example/api.kdl"), dir.path().join("api.kdl")).unwrap();
    app.ok("reload", json!({})).await;
    let source = serde_json::to_value(app.fetch("source", json!({})).await).unwrap();
    assert!(source["ir_source"]["html"].as_str().unwrap().contains("<span"));
    assert!(source["ir_source"]["missing"].is_null());
}

/// A reload publishes every context of the studio's IR, read from the
/// registry (a context added to the studio cannot be left out).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_reload_tells_every_context() {
    let app = app();
    let dir = example_copy();
    app.ok("open_project", json!({"folder": dir.path()})).await;
    let mut sub = app.subscribe();
    let text = std::fs::read_to_string(dir.path().join("api.kdl")).unwrap();
    std::fs::write(dir.path().join("api.kdl"), format!("{text}\n")).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let all: std::collections::BTreeSet<String> = app.registry.ir().contexts.iter().map(|c| c.name.clone()).collect();
    while seen != all {
        let Some(push) = next_push(&mut sub, Duration::from_secs(20)).await else {
            panic!("no push for {:?}", all.difference(&seen).collect::<Vec<_>>());
        };
        for entry in push["invalidate"].as_array().into_iter().flatten() {
            if let Some(c) = entry.as_str().or_else(|| entry["context"].as_str()) {
                seen.insert(c.to_owned());
            }
        }
    }
}

/// Opening a project refetches every open file preview: its argument no
/// longer shares `preview_file`'s `path` name, which scoped the
/// invalidation to a "file" named after the folder (no such instance).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_project_refetches_every_file_preview() {
    let app = app();
    let dir = example_copy();
    let opened = app.call("open_project", json!({"folder": dir.path()})).await.unwrap();
    let invalidate = serde_json::to_value(&opened.invalidate).unwrap();
    let preview_file: Vec<&serde_json::Value> = invalidate
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.as_str() == Some("preview_file") || e["context"] == "preview_file")
        .collect();
    assert_eq!(preview_file, [&json!("preview_file")], "{invalidate}");
}
