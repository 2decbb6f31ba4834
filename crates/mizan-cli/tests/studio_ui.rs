//! The studio UI's generated client (`ui/src/api/`, from `ui/mizan.toml`
//! over the backend's committed `studio.kdl`) is what `mizan generate`
//! writes today: the literal `mizan generate --config ui/mizan.toml
//! --check` exits 0. Refresh it with `mizan generate --config
//! ui/mizan.toml` after changing the studio's functions.

use std::path::Path;
use std::process::Command;

#[test]
fn the_studio_ui_client_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_mizan"))
        .args(["generate", "--config", "ui/mizan.toml", "--check"])
        .current_dir(&root)
        .output()
        .expect("spawn mizan");
    assert!(
        out.status.success(),
        "ui/src/api is stale: run `mizan generate --config ui/mizan.toml` and commit it\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
