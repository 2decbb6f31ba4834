//! The studio's commands as one app-wide runner (provided by `app.rs`,
//! so an action outlives the palette that started it): Regenerate, watch,
//! reload, the graph's view and fit, exports, the shortcuts panel and the
//! palette's other modes. Every backend call goes through the generated
//! client's hooks; mutations declare what they change, so nothing here
//! refetches.
//!
//! Exports come from the backend (`graph_export`): in a browser they are
//! downloaded through an `<a download>` on a blob URL; the desktop
//! window's webview drops such downloads, so there `save_graph_export`
//! writes the file into the project folder and the notice names it.

use leptos::prelude::*;
use mizan_client::MizanError;
use wasm_bindgen::JsCast;

use crate::api::{
    self, ExportFormat, GraphExport, GraphExportArgs, OpenProjectArgs, SaveGraphExportArgs, SetWatchArgs,
};
use crate::backend;
use crate::context::ui::{CenterTab, Notice, PaletteMode, Ui, open_palette, use_ui};
use crate::context::views::{AppViews, use_app};
use crate::pure::palette::Command;

/// The app-wide actions. `Copy`.
#[derive(Clone, Copy)]
pub struct Commands {
    ui: Ui,
    app: AppViews,
    regenerate: Action<(), Result<api::RegenerateSummary, MizanError>>,
    set_watch: Action<SetWatchArgs, Result<bool, MizanError>>,
    reload: Action<(), Result<api::ProjectView, MizanError>>,
    export: Action<GraphExportArgs, Result<GraphExport, MizanError>>,
    save: Action<SaveGraphExportArgs, Result<api::SavedExport, MizanError>>,
    open: Action<OpenProjectArgs, Result<api::OpenOutcome, MizanError>>,
}

/// Creates the runner and provides it (call once, in the app).
pub fn provide_commands() -> Commands {
    let commands = Commands {
        ui: use_ui(),
        app: use_app(),
        regenerate: api::use_regenerate(),
        set_watch: api::use_set_watch(),
        reload: api::use_reload(),
        export: api::use_graph_export(),
        save: api::use_save_graph_export(),
        open: api::use_open_project(),
    };
    let ui = commands.ui;
    // A finished export: hand the file to the browser, or say where it is.
    Effect::new(move |_| match commands.export.value().get() {
        Some(Ok(file)) => ui.notice.set(Some(match download(&file) {
            Ok(()) => Notice {
                text: format!("Downloaded {} ({} bytes)", file.file_name, file.text.len()),
                error: false,
            },
            Err(why) => Notice { text: why, error: true },
        })),
        Some(Err(e)) => ui.notice.set(Some(Notice {
            text: format!("Export failed: {}", e.message),
            error: true,
        })),
        None => {}
    });
    Effect::new(move |_| match commands.save.value().get() {
        Some(Ok(saved)) => ui.notice.set(Some(Notice {
            text: format!("Saved {} ({} bytes)", saved.path, saved.bytes),
            error: false,
        })),
        Some(Err(e)) => ui.notice.set(Some(Notice {
            text: format!("Export failed: {}", e.message),
            error: true,
        })),
        None => {}
    });
    Effect::new(move |_| match commands.open.value().get() {
        Some(Ok(o)) if !o.candidates.is_empty() => ui.notice.set(Some(Notice {
            text: format!(
                "{} projects below that folder, nothing opened: {}",
                o.candidates.len(),
                o.candidates.join(", ")
            ),
            error: true,
        })),
        Some(Err(e)) => ui.notice.set(Some(Notice {
            text: format!("Cannot open: {}", e.message),
            error: true,
        })),
        _ => {}
    });
    // Failures of the palette's mutations show too (the top bar shows its own).
    Effect::new(move |_| {
        let failed = [
            commands.regenerate.value().get().and_then(|r| r.err()),
            commands.set_watch.value().get().and_then(|r| r.err()),
            commands.reload.value().get().and_then(|r| r.err()),
        ];
        if let Some(e) = failed.into_iter().flatten().next() {
            ui.notice.set(Some(Notice {
                text: e.message,
                error: true,
            }));
        }
    });
    provide_context(commands);
    commands
}

/// The runner, from any component.
pub fn use_commands() -> Commands {
    expect_context::<Commands>()
}

impl Commands {
    /// Runs `command`.
    pub fn run(&self, command: Command) {
        let ui = self.ui;
        match command {
            Command::Regenerate => {
                self.regenerate.dispatch(());
            }
            Command::ToggleWatch => {
                let on = self
                    .app
                    .project
                    .data
                    .with_untracked(|d| d.as_ref().is_some_and(|d| d.project_info.watch));
                self.set_watch.dispatch(SetWatchArgs { on: !on });
            }
            Command::Reload => {
                self.reload.dispatch(());
            }
            Command::FitGraph => ui.fit.update(|n| *n += 1),
            Command::ToggleClients => ui.tab.update(|t| {
                *t = match t {
                    CenterTab::Clients => CenterTab::Graph,
                    _ => CenterTab::Clients,
                }
            }),
            Command::ShowCache => ui.tab.set(CenterTab::Cache),
            Command::ShowReplay => ui.tab.set(CenterTab::Replay),
            Command::ShowTokens => ui.tab.set(CenterTab::Tokens),
            Command::ShowTraffic => ui.tab.set(CenterTab::Traffic),
            Command::ToggleFull => {
                ui.focus.set(None);
                ui.full.update(|f| *f = !*f);
            }
            Command::ExportSvg => self.export(ExportFormat::Svg),
            Command::ExportMermaid => self.export(ExportFormat::Mermaid),
            Command::ShowShortcuts => ui.shortcuts.set(true),
            Command::OpenProject => open_palette(ui, PaletteMode::OpenProject),
            Command::TraceFromSelection => {
                if let Some(from) = ui.selected.get_untracked().filter(|s| !s.starts_with("type:")) {
                    open_palette(ui, PaletteMode::TraceTo(from));
                }
            }
            Command::EndTrace => ui.end_trace(),
        }
    }

    /// Whether `command` can run now (the palette hides the others).
    pub fn available(&self, command: Command, project_open: bool) -> bool {
        let ui = self.ui;
        match command {
            Command::OpenProject | Command::ShowShortcuts => true,
            Command::TraceFromSelection => {
                project_open
                    && ui
                        .selected
                        .with_untracked(|s| s.as_deref().is_some_and(|s| !s.starts_with("type:")))
            }
            Command::EndTrace => ui.trace.with_untracked(Option::is_some),
            _ => project_open,
        }
    }

    /// Opens the project at `path` (a folder, or one above projects).
    pub fn open_project(&self, path: String) {
        self.ui.notice.set(None);
        self.open.dispatch(OpenProjectArgs { folder: path });
    }

    /// Exports the graph as the workspace shows it.
    pub fn export(&self, format: ExportFormat) {
        let ui = self.ui;
        let (focus, full) = (ui.focus.get_untracked(), ui.full.get_untracked().then_some(true));
        ui.notice.set(None);
        if backend::in_tauri_window() {
            self.save.dispatch(SaveGraphExportArgs {
                format,
                focus,
                in_context: ui.context_filter.get_untracked(),
                full,
            });
        } else {
            self.export.dispatch(GraphExportArgs {
                format,
                focus,
                in_context: ui.context_filter.get_untracked(),
                full,
            });
        }
    }

    /// An export is running.
    pub fn exporting(&self) -> bool {
        self.export.pending().get() || self.save.pending().get()
    }
}

/// Offers `file` as a download.
fn download(file: &GraphExport) -> Result<(), String> {
    download_text(&file.file_name, &file.media_type, &file.text)
}

/// Offers `text` as a download named `file_name`: a blob URL on an
/// `<a download>`, clicked.
pub fn download_text(file_name: &str, media_type: &str, text: &str) -> Result<(), String> {
    let fail = |what: &str| format!("Cannot download {file_name}: {what}");
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|_| fail("no Blob"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| fail("no object URL"))?;
    let document = document();
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| fail("no <a>"))?
        .dyn_into()
        .map_err(|_| fail("no <a>"))?;
    a.set_href(&url);
    a.set_download(file_name);
    a.set_attribute("data-testid", "export-link").ok();
    a.set_attribute("hidden", "").ok();
    if let Some(body) = document.body() {
        body.append_child(&a).ok();
        a.click();
        let _ = body.remove_child(&a);
    }
    // The click has started the download; the URL is no longer needed
    // once it has (revoked on the next turn, not before the browser read it).
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(10),
    );
    Ok(())
}
