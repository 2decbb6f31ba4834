//! What the desktop shell lends the studio (see [`crate::shell`]): the
//! native folder picker, paths dropped on the window, and the UI's
//! first-paint reports. Web mode sets none of them, and `shell` says so.

use super::{Studio, lock};
use crate::error::StudioError;
use crate::models::*;
use crate::shell::FolderPicker;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

impl Studio {
    /// Gives the studio a native folder picker (the desktop shell does;
    /// web mode has none). Only the first call counts.
    pub fn set_folder_picker(&self, picker: Arc<dyn FolderPicker>) {
        let _ = self.picker.set(picker);
    }

    /// Says that the shell forwards paths dropped on its window to
    /// [`Studio::open_dropped`] (the UI then tells the person they can).
    pub fn accept_drops(&self) {
        lock(&self.state).drops = true;
    }

    /// The `shell` view.
    pub fn shell_view(&self) -> ShellView {
        let state = lock(&self.state);
        ShellView {
            folder_picker: self.picker.get().is_some(),
            drop_to_open: state.drops,
            dragging: state.dragging,
            last_drop: state.last_drop.clone(),
        }
    }

    /// Shows the folder picker (starting next to the open project) and
    /// opens what was chosen, like `open_project`. `None`: cancelled,
    /// nothing changed. Without a picker (web mode): `Unavailable`.
    pub async fn choose_and_open(self: &Arc<Self>) -> Result<Option<OpenOutcome>, StudioError> {
        let picker = self.picker.get().cloned().ok_or_else(|| {
            StudioError::Unavailable(
                "no folder picker here: the studio runs in web mode (browsers do not give pages folder paths); \
                 type the folder's path instead"
                    .into(),
            )
        })?;
        let start = lock(&self.state)
            .project
            .as_ref()
            .and_then(|p| p.root.parent().map(Path::to_path_buf));
        match picker.pick_folder(start).await {
            None => Ok(None),
            Some(path) => self.open(&path).await.map(Some),
        }
    }

    /// Something is dragged over the window (`true`) or left it (`false`):
    /// the UI shows a drop hint. Publishes `shell` when that changes.
    pub async fn drag_hover(&self, over: bool) {
        let changed = {
            let mut state = lock(&self.state);
            std::mem::replace(&mut state.dragging, over) != over
        };
        if changed {
            self.publish(&["shell"]).await;
        }
    }

    /// Opens the first of the paths dropped on the window (a folder or its
    /// `mizan.toml`) like `open_project`, keeps what happened for the UI
    /// (`shell.last_drop`) and publishes the change — a drop is not a
    /// mutation, so nothing else tells the UI to refetch.
    pub async fn open_dropped(self: &Arc<Self>, paths: &[PathBuf]) -> DropReport {
        let Some(path) = paths.first() else {
            self.drag_hover(false).await;
            return DropReport {
                id: 0,
                path: String::new(),
                opened: None,
                candidates: Vec::new(),
                error: Some("nothing was dropped".into()),
            };
        };
        let outcome = self.open(path).await;
        let report = {
            let mut state = lock(&self.state);
            state.dragging = false;
            let id = state.last_drop.as_ref().map_or(1, |d| d.id + 1);
            let report = match outcome {
                Ok(o) => DropReport {
                    id,
                    path: path.display().to_string(),
                    opened: o.opened,
                    candidates: o.candidates,
                    error: None,
                },
                Err(e) => DropReport {
                    id,
                    path: path.display().to_string(),
                    opened: None,
                    candidates: Vec::new(),
                    error: Some(e.to_string()),
                },
            };
            state.last_drop = Some(report.clone());
            report
        };
        // A `kdl` project published every view when it loaded, and
        // candidates or an error change only `shell`; a command source is
        // still loading and has published nothing yet.
        if report.opened.is_some() && self.project_view().state == LoadState::Loading {
            self.publish_all().await;
        } else {
            self.publish(&["shell"]).await;
        }
        report
    }

    /// The UI painted `stage` (`shell`: its first frame; `content`: the
    /// first frame with the backend's answer on screen). With
    /// [`StudioOptions::timing`] set, prints the time since the process
    /// started (what `scripts/bench-studio` reads); otherwise does nothing.
    pub fn ui_painted(&self, stage: &str) -> Option<Duration> {
        let started = self.options.timing?;
        let elapsed = started.elapsed();
        eprintln!(
            "mizan-studio timing: ui {stage} painted {:.1} ms after start",
            elapsed.as_secs_f64() * 1000.0
        );
        Some(elapsed)
    }
}
