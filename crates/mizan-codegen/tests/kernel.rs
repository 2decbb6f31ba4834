//! Runs the Node unit tests of the generated TypeScript kernel
//! (`tests/node/kernel/*.test.mjs`) against the AFI client: batching, scoped
//! and broad invalidation, merges, retries, both transports
//! (`kernel.test.mjs`); pushes, the WebSocket (a fake one), reconnection,
//! status, client ids, uploads and the Tauri push channel
//! (`push.test.mjs`). The generated TypeScript is bundled with esbuild; no
//! server is needed (`e2e.rs` runs the same features against a live one).
//!
//! Needs `tests/node/node_modules` (`scripts/setup`); fails when missing.

mod common;

use std::process::Command;

use common::{copy_files, fixture, node_bin, root, run_ok, write_targets};
use mizan_codegen::Target;

#[test]
fn kernel_unit_tests_pass_under_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_targets(&fixture("afi"), &[Target::Ts], &dir.path().join("gen"));
    let mut bundle = Command::new(node_bin("esbuild"));
    bundle.current_dir(dir.path()).args([
        "gen/index.ts",
        "--bundle",
        "--format=esm",
        "--platform=node",
        "--outfile=mizan.mjs",
        "--log-level=warning",
    ]);
    run_ok(bundle, "esbuild (kernel bundle)");
    copy_files(&root().join("tests/node/kernel"), dir.path());
    // The merge table shared with the Rust kernel's tests.
    std::fs::copy(
        root().join("tests/merge_cases.json"),
        dir.path().join("merge_cases.json"),
    )
    .expect("merge table");
    let mut node = Command::new("node");
    node.current_dir(dir.path())
        .args(["--test", "kernel.test.mjs", "push.test.mjs"]);
    let out = run_ok(node, "node --test kernel.test.mjs push.test.mjs");
    assert!(out.contains("# fail 0"), "{out}");
}
