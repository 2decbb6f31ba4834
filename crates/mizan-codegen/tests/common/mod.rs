//! Helpers shared by the integration tests: paths, the IR fixtures, Node
//! tools from `tests/node` and writing generated files into a folder.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use mizan_codegen::{Options, Target, render_targets};
use mizan_core::ir::{Ir, parse};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// A fixture IR (`afi` or `large`).
pub fn fixture(name: &str) -> Ir {
    let path = root().join(format!("fixtures/{name}/{name}.kdl"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    parse(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

/// `tests/node/node_modules`, or a clear failure when it is missing.
pub fn node_modules() -> PathBuf {
    let dir = root().join("tests/node/node_modules");
    assert!(
        dir.join(".bin/tsc").exists(),
        "{} is missing the Node test tools: run scripts/setup (it runs `npm install` in tests/node)",
        dir.display()
    );
    dir
}

/// A tool from `tests/node/node_modules/.bin`.
pub fn node_bin(name: &str) -> PathBuf {
    let bin = node_modules().join(".bin").join(name);
    assert!(bin.exists(), "{} is missing: run scripts/setup", bin.display());
    bin
}

/// Renders `targets` for `ir` into `dir` (paths as generated).
pub fn write_targets(ir: &Ir, targets: &[Target], dir: &Path) {
    let files = render_targets(ir, targets, &Options::default()).expect("render");
    for f in files {
        let path = dir.join(&f.path);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, f.contents).expect("write");
    }
}

/// Copies the regular files of `from` (not recursive) into `to`.
pub fn copy_files(from: &Path, to: &Path) {
    for e in fs::read_dir(from).expect("read dir").flatten() {
        if e.path().is_file() {
            fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

/// Runs `cmd`, panicking with its output when it fails.
pub fn run_ok(mut cmd: Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    stdout
}

/// Links `tests/node/node_modules` into `dir` so module resolution finds
/// react, vue and svelte.
pub fn link_node_modules(dir: &Path) {
    let target = node_modules();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, dir.join("node_modules")).expect("symlink node_modules");
    #[cfg(not(unix))]
    panic!("the Node-based tests need a Unix host (symlinked node_modules)");
}
