//! Watching a project: the persisted watch switch and globs, and the
//! watcher behind them — a save reloads (and regenerates), a hand edit of
//! a generated file only re-publishes the preview.

use super::{Studio, Trigger, lock};
use crate::error::StudioError;
use crate::watch::{WatchSpec, Watcher, glob_set};
use mizan_codegen::Source;
use std::sync::Arc;
use tokio::sync::mpsc;

impl Studio {
    /// Turns watch on or off for the open project (persisted).
    pub fn set_watch(self: &Arc<Self>, on: bool) -> Result<(), StudioError> {
        {
            let mut state = lock(&self.state);
            let root = state.project.as_ref().ok_or(StudioError::NoProject)?.root.clone();
            state.settings.projects.entry(root).or_default().watch = on;
            state.settings.save(self.options.settings_path.as_deref());
        }
        self.restart_watch();
        Ok(())
    }

    /// Sets the extra globs watched for the open project (persisted).
    pub fn set_watch_globs(self: &Arc<Self>, globs: Vec<String>) -> Result<(), StudioError> {
        glob_set(&globs).map_err(StudioError::Invalid)?;
        {
            let mut state = lock(&self.state);
            let root = state.project.as_ref().ok_or(StudioError::NoProject)?.root.clone();
            state.settings.projects.entry(root).or_default().globs = globs;
            state.settings.save(self.options.settings_path.as_deref());
        }
        self.restart_watch();
        Ok(())
    }

    /// Restarts the watcher when a regenerate created the output folder it
    /// could not watch before.
    pub(super) fn watch_new_output(self: &Arc<Self>) {
        let restart = lock(&self.watcher).as_ref().is_some_and(|w| !w.watches_output)
            && lock(&self.state)
                .project
                .as_ref()
                .is_some_and(|p| p.config.output.is_dir());
        if restart {
            self.restart_watch();
        }
    }

    /// (Re)starts or stops the watcher after a project or setting change.
    pub(super) fn restart_watch(self: &Arc<Self>) {
        let mut watcher = lock(&self.watcher);
        *watcher = None;
        let spec = {
            let mut state = lock(&self.state);
            state.watch_error = None;
            state.watching.clear();
            let Some(p) = &state.project else { return };
            let settings = state.settings.project(&p.root);
            if !settings.watch {
                return;
            }
            WatchSpec {
                root: p.root.clone(),
                kdl: match &p.config.source {
                    Source::Kdl(path) => Some(path.clone()),
                    _ => None,
                },
                globs: settings.globs,
                output: p.config.output.clone(),
            }
        };
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (output_tx, mut output_rx) = mpsc::unbounded_channel();
        match Watcher::start(&spec, self.options.debounce, tx, output_tx) {
            Ok(w) => {
                *watcher = Some(w);
                lock(&self.state).watching = spec.describe();
                let me = Arc::downgrade(self);
                self.runtime.spawn(async move {
                    while rx.recv().await.is_some() {
                        // Coalesce changes that piled up while reloading.
                        while rx.try_recv().is_ok() {}
                        let Some(studio) = me.upgrade() else { break };
                        studio.reload(Trigger::Watch).await;
                    }
                });
                // A generated file changed on disk: only the preview differs.
                let me = Arc::downgrade(self);
                self.runtime.spawn(async move {
                    while output_rx.recv().await.is_some() {
                        while output_rx.try_recv().is_ok() {}
                        let Some(studio) = me.upgrade() else { break };
                        studio.publish(&["preview", "preview_file"]).await;
                    }
                });
            }
            Err(e) => lock(&self.state).watch_error = Some(e),
        }
    }
}
