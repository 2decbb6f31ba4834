//! The generated `rust` and `leptos` clients, compiled for real: a cargo
//! project (under `target/codegen-check/`, so repeated runs are
//! incremental) holding both outputs for the AFI fixture and for the
//! every-construct IR, plus hand-written code using them, passes `cargo
//! clippy --all-targets -- -D warnings`; its `afi_e2e` binary runs against a
//! live `afi-server`.

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use mizan_codegen::{Options, Target};
use mizan_core::ir::Ir;

const LIB: &str = include_str!("rust/lib.rs");
const USAGE: &str = include_str!("rust/usage.rs");
const E2E: &str = include_str!("rust/afi_e2e.rs");

/// Where the check projects and their shared target dir live.
fn check_root() -> PathBuf {
    common::root().join("target/codegen-check")
}

/// Writes a check project (one folder per test, so tests running in
/// parallel never share files; cargo's target-dir lock serializes builds).
/// With `leptos`, the project holds the `rust` and `leptos` outputs of the
/// AFI fixture and of the every-construct IR (`tests/golden/ir/`) plus
/// `usage.rs`; without, only the AFI `rust` output (the end-to-end binary
/// needs no Leptos).
fn project(name: &str, leptos: bool) -> PathBuf {
    let dir = check_root().join(name);
    let src = dir.join("src");
    let afi = common::fixture("afi");
    generated(&src.join("rust_api"), &afi, Target::Rust);
    if leptos {
        let every = every_construct();
        generated(&src.join("leptos_api"), &afi, Target::Leptos);
        generated(&src.join("every_rust"), &every, Target::Rust);
        generated(&src.join("every_leptos"), &every, Target::Leptos);
    }
    let client = common::root().join("crates/mizan-client");
    let leptos_dep = if leptos { "leptos = \"0.8\"\n" } else { "" };
    let manifest = format!(
        r#"[package]
name = "mizan-generated-check"
version = "0.0.0"
edition = "2024"
publish = false

# Its own workspace: never part of the Mizan one.
[workspace]

[dependencies]
mizan-client = {{ path = {client:?} }}
{leptos_dep}tokio = {{ version = "1", features = ["rt", "macros", "time"] }}

[[bin]]
name = "afi_e2e"
path = "src/bin/afi_e2e.rs"
"#
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest);
    if leptos {
        write_if_changed(&src.join("lib.rs"), LIB);
        write_if_changed(&src.join("usage.rs"), USAGE);
    } else {
        write_if_changed(
            &src.join("lib.rs"),
            "//! The generated `rust` client.\n\npub mod rust_api;\n",
        );
    }
    write_if_changed(&src.join("bin/afi_e2e.rs"), E2E);
    // Resolve like the studio UI does (same Leptos and wasm-bindgen
    // versions); cargo adds what is missing.
    let lock = dir.join("Cargo.lock");
    if !lock.exists() {
        let _ = std::fs::copy(common::root().join("ui/Cargo.lock"), &lock);
    }
    dir
}

/// The IR with every construct (`tests/golden/ir/every-construct/`).
fn every_construct() -> Ir {
    let path = common::root().join("tests/golden/ir/every-construct/expected.kdl");
    let text = std::fs::read_to_string(&path).expect("read every-construct IR");
    mizan_core::ir::parse(&text).expect("every-construct IR parses")
}

/// Writes one target's files into `dir` (unchanged files untouched, stale
/// ones removed).
fn generated(dir: &Path, ir: &Ir, target: Target) {
    let files = target.render(ir, &Options::default()).expect("render");
    let keep: Vec<PathBuf> = files.iter().map(|f| dir.join(&f.path)).collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if !keep.contains(&e.path()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    for f in &files {
        write_if_changed(&dir.join(&f.path), &f.contents);
    }
}

/// Writes only when different, so cargo's fingerprints stay valid.
fn write_if_changed(path: &Path, contents: &str) {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return;
    }
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, contents).expect("write");
}

/// The cargo running this test (same toolchain), on the check project.
fn cargo(dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(dir)
        .env("CARGO_TARGET_DIR", check_root().join("target"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    cmd
}

#[test]
fn generated_rust_and_leptos_clients_pass_clippy() {
    let dir = project("clippy", true);
    let out = support::run(cargo(&dir).args(["clippy", "--all-targets", "--quiet", "--", "-D", "warnings"]));
    support::assert_success("cargo clippy -D warnings on the generated Rust clients", &out);
}

#[test]
fn generated_rust_client_against_afi_server() {
    let server = support::AfiServer::start();
    let dir = project("e2e", false);
    // A 1 MB file and its SHA-256, computed here independently (coreutils).
    let tmp = support::temp_dir("mizan-upload-");
    let file = tmp.path().join("avatar.bin");
    let bytes: Vec<u8> = (0..1_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&file, &bytes).expect("write the upload");
    let sum = support::run(Command::new("sha256sum").arg(&file));
    support::assert_success("sha256sum", &sum);
    let sha = String::from_utf8_lossy(&sum.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_owned();
    let file_arg = file.to_string_lossy().into_owned();
    let out = support::run(cargo(&dir).args([
        "run",
        "--quiet",
        "--bin",
        "afi_e2e",
        "--",
        &server.base_url,
        &file_arg,
        &sha,
    ]));
    support::assert_success("afi_e2e against afi-server", &out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}
