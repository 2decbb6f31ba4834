//! A project's life in the studio: opening it, reloading its IR (the last
//! good snapshot stays on screen when a load fails), regenerating its
//! clients, closing it, and forgetting it from the recent list.

use super::state::Project;
use super::{Studio, Trigger, lock};
use crate::error::StudioError;
use crate::models::*;
use crate::preview;
use crate::project::{self, Loaded, Snapshot, diagnostic_view};
use mizan_codegen::{Config, Source};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

impl Studio {
    /// Opens the project at `path` (a folder with `mizan.toml`, or the one
    /// folder below it that has one). Several candidates: nothing is
    /// opened and they are listed.
    pub async fn open(self: &Arc<Self>, path: &Path) -> Result<OpenOutcome, StudioError> {
        let path = std::path::absolute(path).map_err(|e| StudioError::io(path, e))?;
        let candidates = project::find_projects(&path);
        let root = match candidates.as_slice() {
            [] => return Err(StudioError::NotAProject { path }),
            [one] => one.clone(),
            _ => {
                return Ok(OpenOutcome {
                    opened: None,
                    candidates: candidates.iter().map(|c| c.display().to_string()).collect(),
                    state: self.project_view().state,
                });
            }
        };
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        let config_path = root.join(project::CONFIG_FILE);
        let config_text = std::fs::read_to_string(&config_path).map_err(|e| StudioError::io(&config_path, e))?;
        let config = Config::parse(&config_path, &config_text)?;
        self.cancel_job();
        let kdl = matches!(config.source, Source::Kdl(_));
        {
            let mut state = lock(&self.state);
            state.settings.touch(&root);
            state.settings.save(self.options.settings_path.as_deref());
            state.last_regenerate = None;
            state.project = Some(Project {
                root: root.clone(),
                config,
                shown: None,
                diagnostics: Vec::new(),
                failed: false,
                last_error: None,
                loading: true,
                load_ms: None,
            });
        }
        self.restart_watch();
        if kdl {
            self.reload(Trigger::Open).await;
        } else {
            let me = self.clone();
            self.runtime.spawn(async move { me.reload(Trigger::Open).await });
        }
        Ok(OpenOutcome {
            opened: Some(root.display().to_string()),
            candidates: Vec::new(),
            state: self.project_view().state,
        })
    }

    /// Reads the IR source again, checks it, and (for a watched change with
    /// a valid IR) regenerates; then publishes what changed. A failing
    /// source or broken IR keeps the last good snapshot on screen.
    pub async fn reload(self: &Arc<Self>, trigger: Trigger) {
        let _serial = self.reload_lock.lock().await;
        let Some((config, root)) = ({
            let mut state = lock(&self.state);
            if trigger == Trigger::Watch {
                state.reloads += 1;
            }
            state.project.as_mut().map(|p| {
                p.loading = true;
                (p.config.clone(), p.root.clone())
            })
        }) else {
            return;
        };
        if trigger != Trigger::Open {
            self.publish(&["project", "activity"]).await;
        }
        let started = Instant::now();
        let text = match &config.source {
            Source::Kdl(path) => std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display())),
            _ => self.run_source_job(&config.source).await,
        };
        let revision = {
            let mut state = lock(&self.state);
            state.revision += 1;
            state.revision
        };
        let outcome = match text {
            Ok(text) => {
                let cache = config.cache.clone();
                Ok(
                    tokio::task::spawn_blocking(move || project::load_text(text, revision, &cache))
                        .await
                        .unwrap_or_else(|e| Loaded::Broken(vec![internal_diagnostic(&e.to_string())])),
                )
            }
            Err(message) => Err(message),
        };
        let mut good: Option<Arc<Snapshot>> = None;
        {
            let mut state = lock(&self.state);
            let Some(p) = state.project.as_mut().filter(|p| p.root == root) else {
                return;
            };
            p.loading = false;
            p.load_ms = Some(started.elapsed().as_millis() as i64);
            match outcome {
                Ok(Loaded::Good(snapshot)) => {
                    let snapshot: Arc<Snapshot> = Arc::from(snapshot);
                    p.diagnostics = snapshot
                        .diagnostics
                        .iter()
                        .map(|d| diagnostic_view(&snapshot.graph, d))
                        .collect();
                    p.failed = false;
                    p.last_error = None;
                    p.shown = Some(snapshot.clone());
                    good = Some(snapshot);
                }
                Ok(Loaded::Broken(diagnostics)) => {
                    let errors: Vec<String> = diagnostics
                        .iter()
                        .filter(|d| d.severity == Severity::Error)
                        .map(|d| match d.location {
                            Some(l) => format!(
                                "{}:{}: {}[{}]: {}",
                                l.line,
                                l.column,
                                d.severity.as_str(),
                                d.code,
                                d.message
                            ),
                            None => format!("{}[{}]: {}", d.severity.as_str(), d.code, d.message),
                        })
                        .collect();
                    p.last_error = Some(format!("the IR has {} error(s):\n{}", errors.len(), errors.join("\n")));
                    p.diagnostics = diagnostics;
                    p.failed = true;
                }
                Err(message) => {
                    p.diagnostics = vec![DiagnosticView {
                        code: "source-failed".into(),
                        severity: Severity::Error,
                        message: format!("{}: {message}", config.source.describe()),
                        names: Vec::new(),
                        node: None,
                        location: None,
                    }];
                    p.last_error = Some(format!("{}: {message}", config.source.describe()));
                    p.failed = true;
                }
            }
        }
        if trigger == Trigger::Watch
            && let Some(snapshot) = good
        {
            let summary = self
                .regenerate_snapshot(snapshot, config, RegenerateTrigger::Watch)
                .await;
            lock(&self.state).last_regenerate = Some(summary);
            self.watch_new_output();
        }
        self.publish_all().await;
        crate::memory::release_freed();
    }

    /// Regenerates from the shown IR (refused while the last load failed:
    /// writing the older IR would undo the developer's work).
    pub async fn regenerate(self: &Arc<Self>) -> Result<RegenerateSummary, StudioError> {
        let (snapshot, config) = self.snapshot()?;
        if let Some(error) = lock(&self.state)
            .project
            .as_ref()
            .filter(|p| p.failed)
            .and_then(|p| p.last_error.clone())
        {
            return Err(StudioError::NoIr(error));
        }
        let summary = self
            .regenerate_snapshot(snapshot, config, RegenerateTrigger::Manual)
            .await;
        lock(&self.state).last_regenerate = Some(summary.clone());
        self.watch_new_output();
        match &summary.error {
            Some(e) => Err(StudioError::Invalid(e.clone())),
            None => Ok(summary),
        }
    }

    async fn regenerate_snapshot(
        &self,
        snapshot: Arc<Snapshot>,
        config: Config,
        trigger: RegenerateTrigger,
    ) -> RegenerateSummary {
        let result = tokio::task::spawn_blocking(move || preview::regenerate(&snapshot, &config, trigger)).await;
        match result {
            Ok(Ok(summary)) => summary,
            Ok(Err(e)) => RegenerateSummary {
                trigger,
                error: Some(e.to_string()),
                ..RegenerateSummary::default()
            },
            Err(e) => RegenerateSummary {
                trigger,
                error: Some(format!("regenerate failed: {e}")),
                ..RegenerateSummary::default()
            },
        }
    }

    /// Removes a project from the recent list.
    pub fn forget_recent(&self, path: &str) {
        let mut state = lock(&self.state);
        state.settings.recent.retain(|p| p != Path::new(path));
        state.settings.save(self.options.settings_path.as_deref());
    }

    /// Closes the open project (the job is cancelled, the watcher stops);
    /// the UI goes back to "Open a project folder". Nothing is forgotten:
    /// the project stays first in the recent list.
    pub fn close(&self) {
        self.cancel_job();
        *lock(&self.watcher) = None;
        let mut state = lock(&self.state);
        if state.project.take().is_some() {
            state.revision += 1;
        }
        state.last_regenerate = None;
        state.watch_error = None;
        state.watching.clear();
        state.reloads = 0;
    }
}

fn internal_diagnostic(message: &str) -> DiagnosticView {
    DiagnosticView {
        code: "studio-internal".into(),
        severity: Severity::Error,
        message: message.to_owned(),
        names: Vec::new(),
        node: None,
        location: None,
    }
}
