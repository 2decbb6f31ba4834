//! Mizan Studio: the desktop app (SPEC §11).
//!
//! For now a Tauri 2 window showing the Leptos UI embedded from `ui/dist`.
//! Usage: `mizan-studio [PROJECT_DIR]`; the project folder is accepted but
//! not opened yet.

// Prevents an additional console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;

fn main() {
    // Later: open this project (default `fixtures/example`) in the studio.
    let _project: Option<PathBuf> = std::env::args_os().nth(1).map(PathBuf::from);

    if let Err(error) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("mizan-studio: {error}");
        std::process::exit(1);
    }
}
