//! End to end against a live AFI server — `afi-server` (package
//! `afi-app`), and for the Node suites also the FastAPI and Django fixtures
//! (`fixtures/afi-*/serve`, issue #16): the
//! generated TypeScript client under Node (`tests/node/e2e/kernel.e2e.test.mjs`),
//! its pushes and uploads against servers the script starts, kills and
//! restarts itself (`tests/node/e2e/push.e2e.test.mjs`, under Node 20's
//! `--experimental-websocket`), and a React page built from the generated
//! hooks, driven in headless Chromium (`tests/node/e2e/react.e2e.test.mjs`;
//! screenshots in `target/test-output/codegen-react-e2e*.png`).
//!
//! Needs `target/<profile>/afi-server` (`cargo build -p afi-app`; `cargo
//! test --workspace` builds it), `tests/node/node_modules` and
//! `/usr/bin/chromium` (`scripts/setup`). Each is checked first, with a
//! clear failure when missing.

mod common;
mod support;

use std::process::Command;

use common::{copy_files, fixture, link_node_modules, node_bin, root, run_ok, write_targets};
use mizan_codegen::Target;
use support::{AfiServer, afi_server_for};

/// Generated ts + react for AFI, the e2e scripts, `node_modules`, and the
/// two bundles (`mizan.mjs` for Node, `app.js` for the browser).
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_targets(&fixture("afi"), &[Target::Ts, Target::React], &dir.path().join("gen"));
    copy_files(&root().join("tests/node/e2e"), dir.path());
    link_node_modules(dir.path());
    let esbuild = node_bin("esbuild");
    let mut node_bundle = Command::new(&esbuild);
    node_bundle.current_dir(dir.path()).args([
        "gen/index.ts",
        "--bundle",
        "--format=esm",
        "--platform=node",
        "--outfile=mizan.mjs",
        "--log-level=warning",
    ]);
    run_ok(node_bundle, "esbuild (client for Node)");
    let mut app_bundle = Command::new(&esbuild);
    app_bundle.current_dir(dir.path()).args([
        "react-app.tsx",
        "--bundle",
        "--format=esm",
        "--jsx=automatic",
        "--define:process.env.NODE_ENV=\"production\"",
        "--outfile=app.js",
        "--log-level=warning",
    ]);
    run_ok(app_bundle, "esbuild (React page)");
    dir
}

/// The Node suites on one backend's AFI server (see `support::afi_server_for`).
fn kernel_e2e(backend: &str) {
    let server = AfiServer::start_exe(&afi_server_for(backend));
    let dir = workspace();
    let mut node = Command::new("node");
    node.current_dir(dir.path())
        .env("MIZAN_BASE_URL", &server.base_url)
        .args(["--test", "kernel.e2e.test.mjs"]);
    let out = run_ok(node, "node --test kernel.e2e.test.mjs");
    assert!(out.contains("# fail 0"), "{backend}: {out}");
}

/// Pushes between clients, a server-side hook, a server restart, auth on
/// the socket, websocket calls and uploads (SPEC §3.1, §3.2).
fn push_e2e(backend: &str) {
    let exe = afi_server_for(backend);
    let dir = workspace();
    let mut node = Command::new("node");
    node.current_dir(dir.path())
        .env("MIZAN_AFI_SERVER", &exe)
        .env("MIZAN_AFI_BACKEND", backend)
        .args([
            "--experimental-websocket",
            "--no-warnings=ExperimentalWarning",
            "--test",
            "push.e2e.test.mjs",
        ]);
    let out = run_ok(node, "node --test push.e2e.test.mjs");
    assert!(out.contains("# fail 0"), "{backend}: {out}");
}

// The same client suites against every backend: Rust (`afi-server`),
// FastAPI and Django (issue #16).
#[test]
fn generated_ts_client_against_afi_server() {
    kernel_e2e("rust");
}

#[test]
fn generated_ts_client_against_the_fastapi_fixture() {
    kernel_e2e("fastapi");
}

#[test]
fn generated_ts_client_against_the_django_fixture() {
    kernel_e2e("django");
}

#[test]
fn generated_ts_client_pushes_and_uploads_against_afi_server() {
    push_e2e("rust");
}

#[test]
fn generated_ts_client_pushes_and_uploads_against_the_fastapi_fixture() {
    push_e2e("fastapi");
}

#[test]
fn generated_ts_client_pushes_and_uploads_against_the_django_fixture() {
    push_e2e("django");
}

#[test]
fn generated_react_hooks_in_chromium_against_afi_server() {
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is missing: run scripts/setup"
    );
    let server = AfiServer::start();
    let dir = workspace();
    let shots = root().join("target/test-output");
    std::fs::create_dir_all(&shots).expect("mkdir target/test-output");
    let mut node = Command::new("node");
    node.current_dir(dir.path())
        .env("MIZAN_UPSTREAM", &server.addr)
        .env("MIZAN_SCREENSHOT", shots.join("codegen-react-e2e.png"))
        .args(["--test", "react.e2e.test.mjs"]);
    let out = run_ok(node, "node --test react.e2e.test.mjs");
    assert!(out.contains("# fail 0"), "{out}");
}
