//! The generated TypeScript passes the strict checkers: `tsc --strict` (with
//! every extra strictness flag) for `ts` and `react`, `vue-tsc` for `vue`
//! and `svelte-check` for `svelte`. For the AFI fixture the generated code is
//! also *used* by small apps (`tests/node/typecheck/`) whose
//! `@ts-expect-error` lines prove that wrong calls do not compile. The
//! 2,000-function IR checks that naming and typing scale.
//!
//! Needs `tests/node/node_modules` (`scripts/setup`); fails when missing.

mod common;

use std::process::Command;

use common::{copy_files, fixture, link_node_modules, node_bin, root, run_ok, write_targets};
use mizan_codegen::Target;

/// A temp project: generated files in `gen/`, the usage apps and tsconfigs
/// from `tests/node/typecheck/`, `node_modules` linked.
fn project(ir_name: &str, targets: &[Target]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_targets(&fixture(ir_name), targets, &dir.path().join("gen"));
    copy_files(&root().join("tests/node/typecheck"), dir.path());
    link_node_modules(dir.path());
    dir
}

const WEB: [Target; 4] = [Target::Ts, Target::React, Target::Vue, Target::Svelte];

#[test]
fn tsc_strict_accepts_ts_and_react_for_afi() {
    let dir = project("afi", &WEB);
    let mut cmd = Command::new(node_bin("tsc"));
    cmd.current_dir(dir.path()).args(["-p", "tsconfig.json"]);
    run_ok(cmd, "tsc --strict (ts + react, AFI)");
}

/// ES2020 is what a Vite app targets by default (`build.target` and the
/// `react-ts` template's `lib`): nothing newer (the two-argument `Error`
/// constructor is ES2022) may appear in generated code.
#[test]
fn tsc_strict_accepts_ts_and_react_at_es2020() {
    let dir = project("afi", &WEB);
    let mut cmd = Command::new(node_bin("tsc"));
    cmd.current_dir(dir.path()).args(["-p", "tsconfig.es2020.json"]);
    run_ok(cmd, "tsc --strict at ES2020 (ts + react, AFI)");
}

#[test]
fn vue_tsc_accepts_vue_for_afi() {
    let dir = project("afi", &WEB);
    let mut cmd = Command::new(node_bin("vue-tsc"));
    cmd.current_dir(dir.path()).args(["-p", "tsconfig.vue.json"]);
    run_ok(cmd, "vue-tsc (vue, AFI)");
}

#[test]
fn svelte_check_accepts_svelte_for_afi() {
    let dir = project("afi", &WEB);
    let mut cmd = Command::new(node_bin("svelte-check"));
    cmd.current_dir(dir.path()).args([
        "--workspace",
        ".",
        "--tsconfig",
        "./tsconfig.svelte.json",
        "--fail-on-warnings",
        "--output",
        "machine",
    ]);
    let out = run_ok(cmd, "svelte-check (svelte, AFI)");
    assert!(out.contains("COMPLETED"), "svelte-check did not run:\n{out}");
    assert!(!out.contains(" 0 FILES "), "svelte-check checked no files:\n{out}");
}

#[test]
fn tsc_strict_accepts_every_web_target_for_the_large_ir() {
    let dir = project("large", &WEB);
    std::fs::write(
        dir.path().join("tsconfig.json"),
        r#"{"extends": "./tsconfig.base.json", "include": ["gen/**/*.ts", "gen/**/*.tsx"], "exclude": ["gen/**/*.svelte.ts"]}"#,
    )
    .expect("tsconfig");
    let mut cmd = Command::new(node_bin("tsc"));
    cmd.current_dir(dir.path()).args(["-p", "tsconfig.json"]);
    run_ok(cmd, "tsc --strict (large IR)");
}
