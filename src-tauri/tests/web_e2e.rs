//! Mizan Studio end to end: the real binary in web mode on a temp copy of
//! `fixtures/example`, driven in headless Chromium by playwright-core
//! (`tests/node/studio/studio.e2e.test.mjs`): contexts listed, the graph's
//! nodes and edges equal `mizan ir graph --format json`, the what-if of
//! `rename`, the command palette (Ctrl+K → `rena` → Enter selects `rename`),
//! the shortcuts panel, arrow keys in the lists, a trace from `rename` to a
//! context and back (highlighted, no directed path), Export Mermaid equal to
//! `mizan ir graph --format mermaid` and a standalone SVG export,
//! Regenerate then a clean `mizan generate --check`, a saved new
//! function appearing without a reload (watch + push), a broken save
//! showing a diagnostic and writing nothing, then (web mode: no folder
//! picker shown) back to the open screen and the project reopened from the
//! recent list. The Tauri window is
//! photographed under Xvfb. Screenshots: `target/test-output/studio-*.png`.
//!
//! Needs `ui/dist` built before this crate (`scripts/build-ui`; the binary
//! embeds it), the `mizan` CLI next to this binary (`cargo build -p
//! mizan-cli`; `cargo test --workspace` builds it), `tests/node/node_modules`,
//! `/usr/bin/chromium`, `xvfb-run` and `import` (`scripts/setup`).

mod common;

use common::*;
use std::process::Command;

#[test]
fn web_mode_in_chromium() {
    let project = example_copy();
    let settings = tempfile::tempdir().expect("tempdir");
    let studio = WebStudio::start(project.path(), &settings.path().join("settings.json"));
    run_playwright("studio.e2e.test.mjs", &studio, project.path());
}

/// A `command` IR source: its job streams its stderr, Cancel stops it,
/// Run again runs it; the watch globs are edited and checked.
#[test]
fn command_source_in_chromium() {
    let project = tempfile::tempdir().expect("tempdir");
    std::fs::copy(root().join("fixtures/example/api.kdl"), project.path().join("api.kdl")).expect("copy api.kdl");
    // Slow on purpose: it prints a line a second for a few seconds, unless
    // `fast` exists (the second run).
    std::fs::write(
        project.path().join("mizan.toml"),
        r#"output = "generated"
targets = ["ts"]

[source]
command = ["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do [ -e fast ] && break; echo \"compiling step $i\" >&2; sleep 1; done; cat api.kdl"]
"#,
    )
    .expect("write mizan.toml");
    let settings = tempfile::tempdir().expect("tempdir");
    let studio = WebStudio::start(project.path(), &settings.path().join("settings.json"));
    run_playwright("command-source.e2e.test.mjs", &studio, project.path());
}

/// The 2,000-function IR: the overview, focus on selection, paged lists.
#[test]
fn large_project_in_chromium() {
    let project = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        project.path().join("mizan.toml"),
        format!(
            "output = \"generated\"\ntargets = [\"ts\"]\n\n[source]\nkdl = {:?}\n",
            root().join("fixtures/large/large.kdl").display().to_string()
        ),
    )
    .expect("write mizan.toml");
    let settings = tempfile::tempdir().expect("tempdir");
    let studio = WebStudio::start(project.path(), &settings.path().join("settings.json"));
    run_playwright("large-project.e2e.test.mjs", &studio, project.path());
}

/// The real window (WebKitGTK) under Xvfb on the example project. With
/// `MIZAN_STUDIO_TIMING` the app prints when the UI painted the backend's
/// first answer (`ui content painted`, reported by the UI itself through
/// `ui_painted`): the test waits for that line instead of guessing a sleep,
/// then photographs the screen until it settles (two equal pictures half a
/// second apart; at most 60 s), which must show a populated studio.
#[test]
fn window_under_xvfb_shows_the_example() {
    let project = example_copy();
    let settings = tempfile::tempdir().expect("tempdir");
    let shot = shots_dir().join("studio-window.png");
    let log = settings.path().join("stderr.log");
    let _ = std::fs::remove_file(&shot);
    let script = r#"
        MIZAN_STUDIO_TIMING=1 MIZAN_STUDIO_SETTINGS="$3" "$1" "$2" >/dev/null 2>"$5" &
        pid=$!
        # Ceilings, not pauses: a debug build on a busy machine is slow.
        for _ in $(seq 1800); do
            grep -q "ui content painted" "$5" && break
            kill -0 "$pid" 2>/dev/null || { echo "mizan-studio exited early" >&2; cat "$5" >&2; exit 1; }
            sleep 0.1
        done
        # Settled: the same picture twice, half a second apart (loading
        # skeletons shimmer, the graph is drawn after the first answer).
        next="${4%.png}.next.png"
        for _ in $(seq 120); do
            sleep 0.5
            import -window root "$next"
            if [ -f "$4" ] && [ "$(compare -metric AE "$4" "$next" null: 2>&1)" = 0 ]; then break; fi
            mv "$next" "$4"
        done
        rm -f "$next"
        kill "$pid"; wait "$pid" 2>/dev/null || true
    "#;
    let status = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24", "bash", "-c", script, "window"])
        .arg(studio_exe())
        .arg(project.path())
        .arg(settings.path().join("settings.json"))
        .arg(&shot)
        .arg(&log)
        .status()
        .expect("run xvfb-run (scripts/setup installs it)");
    assert!(status.success(), "the window run failed ({status})");
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        stderr.contains("ui shell painted") && stderr.contains("ui content painted"),
        "the UI never reported painting the backend's answer within 180 s:\n{stderr}"
    );
    let colours = Command::new("identify")
        .args(["-format", "%k"])
        .arg(&shot)
        .output()
        .expect("run identify");
    let colours: u32 = String::from_utf8_lossy(&colours.stdout).trim().parse().unwrap_or(0);
    // A populated studio (graph, lists, text) has hundreds of colours; an
    // empty or failed page a handful.
    assert!(colours > 200, "{} looks empty ({colours} colours)", shot.display());
}
