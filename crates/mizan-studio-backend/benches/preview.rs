//! How long the Clients tab waits for a file (issue #12): `preview_file`
//! through the dispatcher, as the UI fetches it, for `kernel.ts` of the
//! example project and for the largest file generated from the
//! 2,000-function IR (every target).
//!
//! Prints, per file: its size, the first fetch after the project opened
//! (grammars loaded, nothing highlighted yet) and the median / worst of
//! the fetches after it (what a user gets when they come back to a file).
//! The studio starts with a fresh backend per file, so "first" includes
//! whatever a new studio pays on its first preview.
//!
//! ```sh
//! cargo bench -p mizan-studio-backend --bench preview                 # release (bench profile)
//! cargo bench -p mizan-studio-backend --bench preview --profile dev   # the debug build the tests use
//! ```
//! `scripts/bench-preview` runs both, the debug one with a core kept busy
//! (the suite's load), and with `--before` the highlighter this replaced.

mod common;

use common::{App, ms, root};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;

/// A project folder: `mizan.toml` with these targets over `kdl`.
fn project(kdl: &Path, targets: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let targets: Vec<String> = targets.iter().map(|t| format!("{t:?}")).collect();
    std::fs::write(
        dir.path().join("mizan.toml"),
        format!(
            "output = \"generated\"\ntargets = [{}]\n[source]\nkdl = {:?}\n",
            targets.join(", "),
            kdl.display().to_string()
        ),
    )
    .unwrap();
    dir
}

/// Opens `dir` in a new studio and measures `preview_file` of the file
/// `pick` chooses from the preview plan (target, path).
async fn measure(label: &str, dir: &Path, pick: impl Fn(&Value) -> (String, String)) {
    let app = App::new();
    app.call("open_project", json!({"folder": dir})).await;
    let plan = app.fetch("preview", json!({})).await;
    let (target, path) = pick(&plan["preview_plan"]);
    let params = json!({"target": target, "path": path});
    let t = Instant::now();
    let first = app.fetch("preview_file", params.clone()).await;
    let first_time = t.elapsed();
    let html = first["file_preview"]["html"].as_str().unwrap_or_default();
    assert!(html.contains("<span class=\"hl-"), "{target}/{path} is not highlighted");
    let lines = html.lines().count();
    let mut again = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        app.fetch("preview_file", params.clone()).await;
        again.push(t.elapsed());
    }
    again.sort();
    let kib = html.len() / 1024;
    if let Ok(dump) = std::env::var("PREVIEW_DUMP") {
        std::fs::write(format!("{dump}/{}", path.replace('/', "_")), html).unwrap();
    }
    println!(
        "{label}: {target}/{path} ({lines} lines, {kib} KiB of HTML): first {:.0} ms, again median {:.1} ms, worst {:.1} ms",
        ms(first_time),
        ms(again[again.len() / 2]),
        ms(*again.last().unwrap()),
    );
}

/// The largest file of the plan.
fn largest(view: &Value) -> (String, String) {
    let mut best = (0, String::new(), String::new());
    for t in view["targets"].as_array().unwrap() {
        for f in t["files"].as_array().unwrap() {
            let bytes = f["bytes"].as_i64().unwrap_or(0);
            if bytes > best.0 {
                best = (
                    bytes,
                    t["target"].as_str().unwrap().to_owned(),
                    f["path"].as_str().unwrap().to_owned(),
                );
            }
        }
    }
    (best.1, best.2)
}

fn main() {
    common::run(async {
        println!(
            "preview_file, {} build",
            if cfg!(debug_assertions) { "debug" } else { "release" }
        );
        let example = project(
            &root().join("fixtures/example/api.kdl"),
            &["ts", "react", "python", "leptos"],
        );
        measure("example", example.path(), |_| ("ts".into(), "kernel.ts".into())).await;
        let large = project(
            &root().join("fixtures/large/large.kdl"),
            &["ts", "react", "vue", "svelte", "python", "rust", "leptos"],
        );
        measure("2,000 functions, largest file", large.path(), largest).await;
    });
}
