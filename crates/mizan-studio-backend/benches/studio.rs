//! The studio's performance targets (issue #9), measured through the
//! dispatcher in a release build (`cargo bench -p mizan-studio-backend`):
//!
//! * open the 2,000-function IR (`fixtures/large/large.kdl`) → graph
//!   computed (the default view, and the full layout on request) ≤ 2 s;
//! * AFI example: KDL saved → regenerated files on disk ≤ 300 ms (watch,
//!   debounce included), median and worst of several saves.

mod common;

use common::{App, ms, root};
use mizan_studio_backend::StudioOptions;
use serde_json::json;
use std::time::{Duration, Instant};

async fn large() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mizan.toml"),
        format!(
            "output = \"generated\"\ntargets = [\"ts\"]\n[source]\nkdl = {:?}\n",
            root().join("fixtures/large/large.kdl").display().to_string()
        ),
    )
    .unwrap();
    for run in 0..3 {
        let app = App::new();
        let t = Instant::now();
        app.call("open_project", json!({"folder": dir.path()})).await;
        let opened = t.elapsed();
        let g = app.fetch("graph", json!({})).await;
        let default_view = t.elapsed();
        let full = app.fetch("graph", json!({"full": true})).await;
        let full_view = t.elapsed();
        let focus = app.fetch("graph", json!({"focus": "ctx:ctx_000"})).await;
        let focus_view = t.elapsed();
        println!(
            "large run {run}: open {:.0} ms; + default graph ({}, {} nodes) {:.0} ms; + full graph ({} nodes, {} edges) {:.0} ms; + focus ({} nodes) {:.0} ms",
            ms(opened),
            g["graph_view"]["mode"],
            g["graph_view"]["nodes"].as_array().map_or(0, Vec::len),
            ms(default_view),
            full["graph_view"]["nodes"].as_array().map_or(0, Vec::len),
            full["graph_view"]["edges"].as_array().map_or(0, Vec::len),
            ms(full_view),
            focus["graph_view"]["nodes"].as_array().map_or(0, Vec::len),
            ms(focus_view),
        );
    }
}

async fn save_to_disk() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["mizan.toml", "api.kdl"] {
        std::fs::copy(root().join("fixtures/example").join(f), dir.path().join(f)).unwrap();
    }
    let app = App::new();
    app.call("open_project", json!({"folder": dir.path()})).await;
    app.call("regenerate", json!({})).await;
    let kdl = dir.path().join("api.kdl");
    let client = dir.path().join("generated/client.ts");
    let original = std::fs::read_to_string(&kdl).unwrap();
    let mut times = Vec::new();
    for i in 0..12 {
        let name = format!("bench_fn_{i}");
        let text = original.replacen(
            "    function set_bio {",
            &format!("    function {name} {{\n        param text string\n        returns EchoReply\n    }}\n    function set_bio {{"),
            1,
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
        let t = Instant::now();
        std::fs::write(&kdl, text).unwrap();
        let camel = format!("benchFn{i}");
        loop {
            if std::fs::read_to_string(&client).is_ok_and(|c| c.contains(&camel) || c.contains(&name)) {
                break;
            }
            if t.elapsed() > Duration::from_secs(10) {
                panic!("not regenerated");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "AFI example, KDL saved -> regenerated files on disk (debounce {} ms included): median {:.0} ms, worst {:.0} ms over {} saves",
        StudioOptions::default().debounce.as_millis(),
        ms(times[times.len() / 2]),
        ms(*times.last().unwrap()),
        times.len()
    );
}

fn main() {
    common::run(async {
        large().await;
        save_to_disk().await;
    });
}
