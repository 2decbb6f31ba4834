//! The generated Python client of the AFI fixture, for real: `mypy --strict`
//! on the package (and on a script using it), its behaviour against
//! `httpx.MockTransport`, and end to end against a live `afi-server`.
//! Missing tools fail the test ("run scripts/setup"); they are never
//! skipped.

mod common;
mod support;

use std::path::Path;
use std::process::Command;

use mizan_codegen::Target;

/// The check script, type-checked and run next to the package.
const SCRIPT: &str = include_str!("python/check_afi_client.py");

/// Writes the generated package as `<dir>/afi_client/` and the check script
/// as `<dir>/check_afi_client.py`.
fn project(dir: &Path) {
    common::write_targets(&common::fixture("afi"), &[Target::Python], &dir.join("afi_client"));
    std::fs::write(dir.join("check_afi_client.py"), SCRIPT).expect("write script");
}

fn python() -> Command {
    Command::new("python3")
}

fn check_script(dir: &Path, args: &[&str]) {
    let out = support::run(python().current_dir(dir).arg("check_afi_client.py").args(args));
    support::assert_success(&format!("check_afi_client.py {}", args.join(" ")), &out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

#[test]
fn generated_python_client_passes_mypy_strict() {
    let tmp = support::temp_dir("mizan-python-mypy");
    project(tmp.path());
    let probe = support::run(python().args(["-c", "import mypy, httpx"]));
    assert!(
        probe.status.success(),
        "mypy or httpx is missing for python3: run scripts/setup ({})",
        String::from_utf8_lossy(&probe.stderr).trim()
    );
    let out = support::run(python().current_dir(tmp.path()).args([
        "-m",
        "mypy",
        "--strict",
        "--no-incremental",
        "afi_client",
        "check_afi_client.py",
    ]));
    support::assert_success("mypy --strict", &out);
}

#[test]
fn mypy_strict_accepts_the_every_construct_and_large_irs() {
    let tmp = support::temp_dir("mizan-python-irs");
    let every = common::root().join("tests/golden/ir/every-construct/expected.kdl");
    let every = mizan_core::ir::parse(&std::fs::read_to_string(every).expect("read")).expect("parses");
    common::write_targets(&every, &[Target::Python], &tmp.path().join("every_client"));
    common::write_targets(
        &common::fixture("large"),
        &[Target::Python],
        &tmp.path().join("large_client"),
    );
    let out = support::run(python().current_dir(tmp.path()).args([
        "-m",
        "mypy",
        "--strict",
        "--no-incremental",
        "every_client",
        "large_client",
    ]));
    support::assert_success("mypy --strict on the every-construct and large clients", &out);
}

#[test]
fn generated_python_client_speaks_the_protocol() {
    let tmp = support::temp_dir("mizan-python-offline");
    project(tmp.path());
    check_script(tmp.path(), &["offline"]);
}

#[test]
fn generated_python_client_against_afi_server() {
    let server = support::AfiServer::start();
    let tmp = support::temp_dir("mizan-python-live");
    project(tmp.path());
    check_script(tmp.path(), &["live", &server.base_url]);
}
