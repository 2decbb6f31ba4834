//! What only the window gives the studio: the native folder picker
//! (`tauri-plugin-dialog`, behind the backend's `FolderPicker` trait) and
//! folders dropped on the window (Tauri's `WindowEvent::DragDrop`, forwarded
//! to `Studio::open_dropped`, which publishes the change to the UI). The
//! backend never sees Tauri; web mode simply has neither.
//!
//! The dialog is called from Rust only, so the window's capability grants
//! no `dialog:` permission: the UI cannot open dialogs by itself, it asks
//! the backend (`choose_folder`) like for everything else.

use mizan_studio_backend::{FolderPicker, PickFuture, Studio};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tauri::{AppHandle, DragDropEvent, Manager, WindowEvent, Wry};
use tauri_plugin_dialog::DialogExt;

/// The dialog plugin's folder picker. Created before the app exists (the
/// studio reports `folder_picker: true` from its first answer); the app
/// handle arrives in `setup`.
#[derive(Default)]
pub struct DialogPicker {
    app: OnceLock<AppHandle<Wry>>,
}

impl DialogPicker {
    /// The app is running: dialogs can be shown from now on.
    pub fn attach(&self, app: AppHandle<Wry>) {
        let _ = self.app.set(app);
    }
}

impl FolderPicker for DialogPicker {
    fn pick_folder(&self, start: Option<PathBuf>) -> PickFuture {
        let Some(app) = self.app.get() else {
            return Box::pin(async { None });
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut dialog = app.dialog().file().set_title("Open a Mizan project folder");
        if let Some(dir) = start {
            dialog = dialog.set_directory(dir);
        }
        if let Some(window) = app.get_webview_window("main") {
            dialog = dialog.set_parent(&window);
        }
        // The non-blocking form: it runs the dialog on the main thread and
        // calls back from another, so no request thread blocks the loop.
        dialog.pick_folder(move |chosen| {
            let _ = tx.send(chosen.and_then(|p| p.into_path().ok()));
        });
        Box::pin(async move { rx.await.ok().flatten() })
    }
}

/// Forwards the window's drag-and-drop events to the studio: hovering
/// shows the UI's drop hint, a drop opens the (first) path.
pub fn on_window_event(studio: &Arc<Studio>, event: &WindowEvent) {
    let WindowEvent::DragDrop(event) = event else {
        return;
    };
    let studio = studio.clone();
    match event {
        DragDropEvent::Enter { .. } => {
            tauri::async_runtime::spawn(async move { studio.drag_hover(true).await });
        }
        DragDropEvent::Leave => {
            tauri::async_runtime::spawn(async move { studio.drag_hover(false).await });
        }
        DragDropEvent::Drop { paths, .. } => {
            let paths = paths.clone();
            tauri::async_runtime::spawn(async move {
                let report = studio.open_dropped(&paths).await;
                if let Some(error) = report.error {
                    eprintln!("mizan-studio: cannot open the dropped {}: {error}", report.path);
                }
            });
        }
        _ => {}
    }
}

/// With `MIZAN_STUDIO_TIMING`: when the page finished loading (before the
/// wasm UI has rendered; its own first paint arrives as `ui_painted`).
pub fn log_page_load(started: Option<Instant>, event: tauri::webview::PageLoadEvent) {
    if let (Some(started), tauri::webview::PageLoadEvent::Finished) = (started, event) {
        eprintln!(
            "mizan-studio timing: page loaded {:.1} ms after start",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// Ctrl+C or SIGTERM close the app the way its window's close button does:
/// through Tauri's exit, so the plugin's devtools tap (debug builds)
/// removes its discovery file instead of leaving it for the next
/// `discover` to clean.
pub fn exit_on_signal(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        crate::web::shutdown().await;
        app.exit(0);
    });
}
