//! Build script of Mizan Studio.
//!
//! `tauri::generate_context!` embeds the UI from `ui/dist` at compile time,
//! so the UI must be built first. Check that here and say how, instead of
//! letting the Tauri macros fail with a less helpful message.

use std::path::Path;

fn main() {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // `frontendDist` in tauri.conf.json: <workspace root>/ui/dist.
    let dist = manifest_dir.parent().unwrap_or(manifest_dir).join("ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    if !dist.join("index.html").is_file() || !dist.join("mizan_ui_bg.wasm").is_file() {
        eprintln!(
            "\nerror: the studio UI has not been built: {} is missing or incomplete.\n\
             \x20      Run `scripts/build-ui` first (scripts/test and scripts/studio do it for you).\n",
            dist.display()
        );
        std::process::exit(1);
    }
    tauri_build::build();
}
