//! The studio's backend through the dispatcher, as the UI will drive it:
//! open the example, browse, graph, what-if, preview, regenerate, trace,
//! recent projects, candidates, command sources (streamed, cancelled,
//! failing).

mod common;

use common::*;
use mizan_core::graph::InvalidationGraph;
use mizan_studio_backend::models::JobStatus;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

/// Exports: Mermaid is the core's own text (what `mizan ir graph --format
/// mermaid` prints), SVG a standalone drawing of the view asked for, and
/// the save variant writes it into the project folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_exports_mermaid_from_the_core_and_a_standalone_svg() {
    let app = app();
    let dir = example_copy();
    app.call("open_project", json!({"folder": dir.path()})).await.unwrap();
    let text = std::fs::read_to_string(dir.path().join("api.kdl")).unwrap();
    let ir = mizan_core::ir::parse(&text).unwrap();
    let mermaid = app.ok("graph_export", json!({"format": "mermaid"})).await;
    assert_eq!(mermaid["file_name"], "mizan-graph.mmd");
    assert_eq!(mermaid["text"], InvalidationGraph::build(&ir).to_mermaid(&ir));

    let svg = app.ok("graph_export", json!({"format": "svg"})).await;
    let svg = svg["text"].as_str().unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
    assert!(
        svg.contains("<style>") && !svg.contains("var(--"),
        "styles must be inlined"
    );
    let graph = app.fetch("graph", json!({})).await;
    for n in graph["graph_view"]["nodes"].as_array().unwrap() {
        let id = n["id"].as_str().unwrap();
        assert!(svg.contains(&format!("data-id=\"{id}\"")), "{id} missing");
    }
    // A focused view exports only what it shows.
    let focused = app
        .ok("graph_export", json!({"format": "svg", "focus": "ctx:items"}))
        .await;
    let focused = focused["text"].as_str().unwrap();
    assert!(focused.contains("data-id=\"fn:set_item_name\"") && !focused.contains("data-id=\"fn:rename\""));

    let saved = app.ok("save_graph_export", json!({"format": "mermaid"})).await;
    let path = dir.path().join("mizan-graph.mmd");
    assert_eq!(saved["path"], path.display().to_string());
    // The saved file starts with a Mermaid comment marking it as the
    // studio's (what lets the next export replace it); the rest is the text.
    let saved_text = std::fs::read_to_string(&path).unwrap();
    let (mark, rest) = saved_text.split_once('\n').unwrap();
    assert!(mark.starts_with("%% Saved by Mizan Studio"), "{mark}");
    assert_eq!(rest, mermaid["text"].as_str().unwrap());
    // No context changes: nothing to refetch.
    let call = app.call("save_graph_export", json!({"format": "svg"})).await.unwrap();
    assert!(call.invalidate.is_empty());
    assert!(dir.path().join("mizan-graph.svg").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_browse_graph_whatif_preview_regenerate() {
    let app = app();
    let dir = example_copy();
    let opened = app.call("open_project", json!({"folder": dir.path()})).await.unwrap();
    assert_eq!(opened.result["state"], "ready", "{}", opened.result);
    // The mutation says what the UI refetches.
    let invalidated: BTreeSet<String> = opened.invalidate.iter().map(|i| i.context().to_owned()).collect();
    for c in ["project", "graph", "browse", "diagnostics", "preview"] {
        assert!(invalidated.contains(c), "{invalidated:?}");
    }

    let project = app.fetch("project", json!({})).await;
    let info = &project["project_info"];
    assert_eq!(info["targets"], json!(["ts", "react", "python", "leptos"]));
    assert_eq!(info["counts"]["functions"], 18);
    assert_eq!(info["source_kind"], "kdl");
    assert!(
        !project.contains_key("ir_source"),
        "the IR text rides in its own context"
    );
    let source = app.fetch("source", json!({})).await;
    assert!(source["ir_source"]["html"].as_str().unwrap().contains("<span"));
    let recent = project["recent_projects"].as_array().unwrap();
    assert_eq!(recent.len(), 1);

    // Browse: a row per item; the details are the item context's.
    let browse = app.fetch("browse", json!({})).await;
    let contexts = browse["list_contexts"].as_array().unwrap();
    let names: Vec<&str> = contexts.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["global", "items", "notifications", "stats", "user"]);
    assert_eq!(contexts[4]["id"], "ctx:user");
    assert_eq!(contexts[4]["detail"], "2 members · page, user_id");
    assert_eq!(contexts[0]["diagnostics"], 1, "global's never-invalidated");
    let functions: Vec<&str> = browse["list_functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        functions.contains(&"user_profile") && !functions.contains(&"rename"),
        "{functions:?}"
    );
    let mutation_rows = browse["list_mutations"].as_array().unwrap();
    let set_item = mutation_rows.iter().find(|m| m["name"] == "set_item_name").unwrap();
    assert_eq!(set_item["detail"], "→ items (merge)");

    let user = app.fetch("item", json!({"id": "ctx:user"})).await;
    let user = &user["item_detail"]["context"];
    assert_eq!(user["rev"], 2);
    assert_eq!(user["cache"], "forever");
    let user_id = user["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "user_id")
        .unwrap();
    assert_eq!(user_id["required"], true);
    assert_eq!(user_id["shared_by"], json!(["user_orders", "user_profile"]));
    let reached: Vec<&str> = user["reached_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["mutation"].as_str().unwrap())
        .collect();
    assert!(
        reached.contains(&"rename") && reached.contains(&"place_order"),
        "{reached:?}"
    );
    let items = app.fetch("item", json!({"id": "ctx:items"})).await;
    let items = &items["item_detail"]["context"];
    assert_eq!(items["ttl_secs"], 60);
    assert_eq!(items["reached_by"][0]["relation"], "merges");
    let profile = app.fetch("item", json!({"id": "type:Profile"})).await;
    let profile = &profile["item_detail"]["type_view"];
    assert!(profile["used_by"].as_array().unwrap().contains(&json!("rename")));
    assert!(profile["location"]["line"].as_i64().unwrap() > 1);
    let place = app.fetch("item", json!({"id": "fn:place_order"})).await;
    let place = &place["item_detail"];
    assert_eq!(place["mutation"]["auto_scoped_params"], json!(["user_id"]));
    assert_eq!(place["mutation"]["affects"][0]["function"], "user_orders");
    assert_eq!(place["function"]["output"], "Order");
    let plain = app.fetch("item", json!({"id": "fn:user_profile"})).await;
    assert!(plain["item_detail"]["mutation"].is_null() && plain["item_detail"]["function"]["name"] == "user_profile");
    let unknown = app.fetch("item", json!({"id": "fn:nobody"})).await;
    assert_eq!(
        unknown["item_detail"],
        json!({"context": null, "function": null, "mutation": null, "type_view": null})
    );

    // Diagnostics: AFI's one warning, on its node.
    let diags = app.fetch("diagnostics", json!({})).await;
    let d = &diags["diagnostic_list"];
    assert_eq!(d["errors"], 0);
    assert_eq!(d["items"][0]["code"], "never-invalidated");
    assert_eq!(d["items"][0]["node"], "ctx:global");

    // Graph: the full view of a small project is exactly `mizan ir graph
    // --format json`'s nodes and edges, laid out.
    let text = std::fs::read_to_string(dir.path().join("api.kdl")).unwrap();
    let json_graph = InvalidationGraph::build(&mizan_core::ir::parse(&text).unwrap()).to_json();
    let graph = app.fetch("graph", json!({})).await;
    let g = &graph["graph_view"];
    assert_eq!(g["mode"], "full");
    let nodes = g["nodes"].as_array().unwrap();
    let edges = g["edges"].as_array().unwrap();
    assert_eq!(nodes.len(), json_graph["nodes"].as_array().unwrap().len());
    assert_eq!(edges.len(), json_graph["edges"].as_array().unwrap().len());
    let ids: BTreeSet<&str> = nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
    let expected: BTreeSet<&str> = json_graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected);
    for n in nodes {
        assert!(
            n["width"].as_f64().unwrap() > 0.0 && n["x"].as_f64().unwrap() >= 0.0,
            "{n}"
        );
    }
    // No two boxes overlap.
    for (i, a) in nodes.iter().enumerate() {
        for b in &nodes[i + 1..] {
            let f = |n: &Value, k: &str| n[k].as_f64().unwrap();
            let apart = f(a, "x") + f(a, "width") <= f(b, "x")
                || f(b, "x") + f(b, "width") <= f(a, "x")
                || f(a, "y") + f(a, "height") <= f(b, "y")
                || f(b, "y") + f(b, "height") <= f(a, "y");
            assert!(apart, "{a} overlaps {b}");
        }
    }
    let rename = edges.iter().find(|e| e["from"] == "fn:rename").unwrap();
    assert_eq!(rename["label"], "affects (user_id)");
    assert_eq!(rename["points"].as_array().unwrap().len(), 2);
    let global = nodes.iter().find(|n| n["id"] == "ctx:global").unwrap();
    assert_eq!(global["badges"][0]["code"], "never-invalidated");

    // Focus: rename, what it reaches and what reaches that; nothing else.
    let focus = app.fetch("graph", json!({"focus": "rename"})).await;
    let shown: BTreeSet<&str> = focus["graph_view"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(shown.contains("fn:rename") && shown.contains("ctx:user"));
    assert!(
        !shown.contains("ctx:items") && !shown.contains("fn:set_bio"),
        "{shown:?}"
    );
    let filtered = app.fetch("graph", json!({"in_context": "items"})).await;
    let shown: BTreeSet<&str> = filtered["graph_view"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        shown,
        BTreeSet::from(["ctx:items", "fn:items_list", "fn:set_item_name"])
    );

    // Trace with reasons.
    let trace = app
        .fetch("trace", json!({"from": "place_order", "to": "ctx:user"}))
        .await;
    let t = &trace["trace_path"];
    assert_eq!(t["found"], true);
    assert_eq!(t["directed"], true);
    assert_eq!(t["steps"].as_array().unwrap().len(), 2);
    assert!(t["steps"][0]["reason"].as_str().unwrap().contains("user_orders"), "{t}");

    // What-if: exactly the core's resolution and header.
    let w = app
        .ok(
            "whatif",
            json!({"mutation": "rename", "args": {"user_id": 5, "name": "x"}}),
        )
        .await;
    assert_eq!(w["invalidate"], json!([{"context": "user", "params": {"user_id": 5}}]));
    assert_eq!(w["merge"], json!([]));
    assert_eq!(w["header"], "user;user_id=5");
    assert_eq!(w["reached"], json!([{"node": "ctx:user", "how": "invalidated"}]));
    let merged = app
        .ok(
            "whatif",
            json!({"mutation": "set_item_name", "args": {"id": 1, "name": "n"}, "result": {"id": 1, "name": "n"}}),
        )
        .await;
    assert_eq!(merged["merge"][0]["slot"], "items_list");
    assert_eq!(merged["reached"], json!([{"node": "ctx:items", "how": "merged"}]));
    assert!(
        app.call("whatif", json!({"mutation": "add"})).await.is_err(),
        "add is no mutation"
    );

    // Preview: everything new; one file highlighted.
    let preview = app.fetch("preview", json!({})).await;
    let p = &preview["preview_plan"];
    assert_eq!(p["update"], 0);
    let total = p["create"].as_i64().unwrap();
    assert!(total >= 15, "{p}");
    let targets: Vec<&str> = p["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["ts", "react", "python", "leptos"]);
    // Nothing highlighted ahead while no client file was shown (the
    // targets' grammars are megabytes)…
    assert!(!app.studio.highlighter().loaded_bat());
    let kept = app.studio.highlighter().cached_texts();
    let file = app
        .fetch("preview_file", json!({"target": "react", "path": "react.tsx"}))
        .await;
    // …then the plan's other files are, ahead of a click.
    assert!(app.studio.highlighter().loaded_bat());
    assert!(
        wait_until(Duration::from_secs(60), || app.studio.highlighter().cached_texts()
            > kept + 3)
        .await,
        "the plan's files were not warmed"
    );
    let f = &file["file_preview"];
    assert_eq!(f["state"], "create");
    assert!(
        f["language"].as_str().unwrap().starts_with("TypeScript"),
        "{}",
        f["language"]
    );
    assert!(f["html"].as_str().unwrap().contains("<span class=\""));

    // Regenerate writes; `mizan generate --check` is then clean.
    let r = app.call("regenerate", json!({})).await.unwrap();
    assert_eq!(r.result["written"], total, "{}", r.result);
    assert!(r.invalidate.iter().any(|i| i.context() == "preview"));
    let generation = mizan_codegen::prepare(&dir.path().join("mizan.toml")).unwrap();
    assert!(generation.plan.is_clean(), "{:?}", generation.plan.changes);
    let again = app.fetch("preview", json!({})).await;
    assert_eq!(again["preview_plan"]["unchanged"], total);

    // A hand edit of a generated file shows as a diff; a file that is not
    // ours blocks regenerate and is never touched.
    let client = dir.path().join("generated/client.ts");
    let edited = std::fs::read_to_string(&client)
        .unwrap()
        .replacen("export", "// hand edit\nexport", 1);
    std::fs::write(&client, &edited).unwrap();
    let file = app
        .fetch("preview_file", json!({"target": "ts", "path": "client.ts"}))
        .await;
    assert_eq!(file["file_preview"]["state"], "update");
    assert_eq!(file["file_preview"]["removed"], 1);
    let kernel = dir.path().join("generated/kernel.ts");
    std::fs::write(&kernel, "mine\n").unwrap();
    let preview = app.fetch("preview", json!({})).await;
    assert_eq!(preview["preview_plan"]["not_ours"], 1);
    assert!(app.call("regenerate", json!({})).await.is_err());
    assert_eq!(std::fs::read_to_string(&kernel).unwrap(), "mine\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candidates_missing_projects_and_persisted_recent_list() {
    let settings = tempfile::tempdir().unwrap();
    let options = mizan_studio_backend::StudioOptions {
        settings_path: Some(settings.path().join("studio.json")),
        ..Default::default()
    };
    let app = app_with(options.clone());
    let parent = tempfile::tempdir().unwrap();
    for name in ["a", "b"] {
        let d = parent.path().join(name);
        std::fs::create_dir(&d).unwrap();
        for f in ["mizan.toml", "api.kdl"] {
            std::fs::copy(root().join("fixtures/example").join(f), d.join(f)).unwrap();
        }
    }
    let both = app.ok("open_project", json!({"folder": parent.path()})).await;
    assert_eq!(both["opened"], Value::Null);
    assert_eq!(both["candidates"].as_array().unwrap().len(), 2);
    let empty = tempfile::tempdir().unwrap();
    let err = app
        .call("open_project", json!({"folder": empty.path()}))
        .await
        .unwrap_err();
    assert_eq!(err.code, mizan_core::wire::ErrorCode::NotFound);
    let one = app
        .ok("open_project", json!({"folder": parent.path().join("b/mizan.toml")}))
        .await;
    assert!(one["opened"].as_str().unwrap().ends_with("/b"), "{one}");
    app.ok("set_watch", json!({"on": false})).await;

    // A second studio on the same settings sees the list and the toggle.
    let other = app_with(options);
    let project = other.fetch("project", json!({})).await;
    assert_eq!(project["project_info"]["state"], "closed");
    assert_eq!(project["recent_projects"][0]["name"], "b");
    other
        .ok("open_project", json!({"folder": parent.path().join("b")}))
        .await;
    let project = other.fetch("project", json!({})).await;
    assert_eq!(project["project_info"]["watch"], false);
    other
        .ok("forget_recent", json!({"path": project["project_info"]["root"]}))
        .await;
    assert_eq!(other.fetch("project", json!({})).await["recent_projects"], json!([]));
}

fn command_project(command: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mizan.toml"),
        format!("output = \"generated\"\ntargets = [\"ts\"]\n[source]\ncommand = [\"sh\", \"-c\", {command:?}]\n"),
    )
    .unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_sources_run_off_the_request_stream_output_and_cancel() {
    let app = app();
    // Slow: the open answers at once, the job streams and is cancelled.
    let dir = command_project("echo compiling >&2; sleep 30; cat api.kdl");
    let opened = app.ok("open_project", json!({"folder": dir.path()})).await;
    assert_eq!(opened["state"], "loading");
    let studio = app.studio.clone();
    assert!(
        wait_until(Duration::from_secs(10), || {
            studio
                .activity()
                .job
                .is_some_and(|j| j.status == JobStatus::Running && j.output == ["compiling"])
        })
        .await,
        "{:?}",
        studio.activity()
    );
    assert_eq!(app.ok("cancel_job", json!({})).await, true);
    assert!(
        wait_until(Duration::from_secs(10), || {
            studio.project_view().state == mizan_studio_backend::models::LoadState::Failed
        })
        .await
    );
    assert_eq!(studio.activity().job.unwrap().status, JobStatus::Cancelled);

    // Failing: stderr and exit status are shown.
    let dir = command_project("echo boom >&2; exit 3");
    app.ok("open_project", json!({"folder": dir.path()})).await;
    assert!(
        wait_until(Duration::from_secs(10), || studio.project_view().state
            == mizan_studio_backend::models::LoadState::Failed)
        .await
    );
    let error = studio.project_view().last_error.unwrap();
    assert!(
        error.contains("exited with status 3") && error.contains("boom"),
        "{error}"
    );
    let d = app.fetch("diagnostics", json!({})).await;
    assert_eq!(d["diagnostic_list"]["items"][0]["code"], "source-failed");

    // Working: the IR arrives and the views fill.
    let dir = command_project("echo exporting >&2; cat \"$0\"");
    std::fs::write(
        dir.path().join("mizan.toml"),
        format!(
            "output = \"generated\"\ntargets = [\"ts\"]\n[source]\ncommand = [\"sh\", \"-c\", \"echo exporting >&2; cat {}\"]\n",
            root().join("fixtures/afi/afi.kdl").display()
        ),
    )
    .unwrap();
    app.ok("open_project", json!({"folder": dir.path()})).await;
    assert!(
        wait_until(Duration::from_secs(10), || studio.project_view().state
            == mizan_studio_backend::models::LoadState::Ready)
        .await,
        "{:?}",
        studio.project_view()
    );
    assert_eq!(studio.activity().job.unwrap().output, ["exporting"]);
    let browse = app.fetch("browse", json!({})).await;
    let rows = |list: &str| browse[list].as_array().unwrap().len();
    assert_eq!(rows("list_functions") + rows("list_mutations"), 18);
}

/// Saved exports never replace a file the studio did not write (nor write
/// through a link): they take the next free numbered name instead, and
/// replace only their own earlier export.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_exports_never_overwrite_a_file_they_did_not_write() {
    let app = app();
    let dir = example_copy();
    app.call("open_project", json!({"folder": dir.path()})).await.unwrap();
    let mine = dir.path().join("mizan-graph.svg");
    std::fs::write(&mine, "<svg>my own drawing</svg>\n").unwrap();
    let saved = app.ok("save_graph_export", json!({"format": "svg"})).await;
    let second = dir.path().join("mizan-graph-2.svg");
    assert_eq!(saved["path"], second.display().to_string());
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "<svg>my own drawing</svg>\n");
    assert!(std::fs::read_to_string(&second).unwrap().contains("<svg xmlns"));
    // Saving again replaces the studio's own export, not the user's file.
    let again = app.ok("save_graph_export", json!({"format": "svg"})).await;
    assert_eq!(again["path"], saved["path"]);
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "<svg>my own drawing</svg>\n");

    // A link in the way is not written through.
    #[cfg(unix)]
    {
        let elsewhere = tempfile::tempdir().unwrap();
        let target = elsewhere.path().join("notes.mmd");
        std::fs::write(&target, "my notes\n").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("mizan-graph.mmd")).unwrap();
        let saved = app.ok("save_graph_export", json!({"format": "mermaid"})).await;
        assert_eq!(
            saved["path"],
            dir.path().join("mizan-graph-2.mmd").display().to_string()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "my notes\n");
        assert!(
            std::fs::symlink_metadata(dir.path().join("mizan-graph.mmd"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Regenerate leaves alone a marked file that this project's config did not
/// write (another config's client, a committed golden file): it is listed
/// as not ours and survives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerate_removes_only_files_this_config_recorded() {
    let app = app();
    let dir = example_copy();
    let other = dir.path().join("generated/other/client.ts");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    let marked = "// generated by mizan — do not edit.\nexport {};\n";
    std::fs::write(&other, marked).unwrap();
    app.call("open_project", json!({"folder": dir.path()})).await.unwrap();
    app.call("regenerate", json!({})).await.unwrap();
    assert_eq!(std::fs::read_to_string(&other).unwrap(), marked);
    let preview = app.fetch("preview", json!({})).await;
    let p = &preview["preview_plan"];
    assert_eq!(p["remove"], 0, "{p}");
    assert_eq!(p["not_ours"], 0, "not in the way of anything: {p}");
    assert_eq!(
        p["stale"],
        json!([{"path": "other/client.ts", "state": "not-ours", "bytes": marked.len()}])
    );
    let files: Vec<&str> = p["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["files"].as_array().unwrap())
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        !files.iter().any(|f| f.starts_with(".mizan")),
        "the record is no generated file: {files:?}"
    );
    // It can be looked at (from disk), and regenerate still leaves it.
    let file = app
        .fetch("preview_file", json!({"target": "", "path": "other/client.ts"}))
        .await;
    assert_eq!(file["file_preview"]["state"], "not-ours");
    app.call("regenerate", json!({})).await.unwrap();
    assert!(other.exists());
}

/// The file preview never reads through a link leaving the output folder.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_preview_never_reads_through_a_link() {
    let app = app();
    let dir = example_copy();
    let elsewhere = tempfile::tempdir().unwrap();
    let secret = elsewhere.path().join("secret.txt");
    std::fs::write(&secret, "topsecrettoken\n").unwrap();
    std::fs::create_dir_all(dir.path().join("generated")).unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("generated/client.ts")).unwrap();
    app.call("open_project", json!({"folder": dir.path()})).await.unwrap();
    let req = mizan::RequestHandle::new(mizan::Origin::Ipc, None, &app.extensions);
    let params: serde_json::Map<String, Value> = json!({"target": "ts", "path": "client.ts"})
        .as_object()
        .cloned()
        .unwrap();
    let shown = match app.registry.fetch(&req, "preview_file", &params).await {
        Ok(bundle) => format!("{bundle:?}"),
        Err(e) => format!("{e:?}"),
    };
    assert!(!shown.contains("topsecrettoken"), "{shown}");
    let preview = app.fetch("preview", json!({})).await;
    let error = preview["preview_plan"]["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("symbolic link"), "{}", preview["preview_plan"]);
    assert!(app.call("regenerate", json!({})).await.is_err());
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "topsecrettoken\n");
}

/// A source command's output is bounded: an IR larger than the cap (or
/// endless) fails with a clear error, stderr is kept as its tail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_command_printing_without_end_is_cut_off() {
    let app = app();
    let studio = app.studio.clone();
    let failed = || studio.project_view().state == mizan_studio_backend::models::LoadState::Failed;
    let dir = command_project("head -c 80000000 /dev/zero");
    app.ok("open_project", json!({"folder": dir.path()})).await;
    assert!(wait_until(Duration::from_secs(60), failed).await);
    let error = studio.project_view().last_error.unwrap();
    assert!(
        error.contains("printed more than 64 MiB"),
        "{}",
        &error[..error.len().min(300)]
    );

    let dir = command_project("head -c 3000000 /dev/zero | tr '\\0' e >&2; echo last words >&2; exit 1");
    app.ok("open_project", json!({"folder": dir.path()})).await;
    assert!(wait_until(Duration::from_secs(60), failed).await);
    let error = studio.project_view().last_error.unwrap();
    assert!(error.len() < 20_000, "stderr kept whole: {} bytes", error.len());
    assert!(
        error.contains("last words"),
        "{}",
        &error[error.len().saturating_sub(300)..]
    );
    let job = studio.activity().job.unwrap();
    let longest = job.output.iter().map(String::len).max().unwrap_or(0);
    assert!(longest <= 4096, "a line of {longest} bytes kept");

    let dir = command_project("yes mizan-ir");
    app.ok("open_project", json!({"folder": dir.path()})).await;
    assert!(wait_until(Duration::from_secs(60), failed).await);
    let error = studio.project_view().last_error.unwrap();
    assert!(error.contains("printed more than 64 MiB"), "{error}");
}
