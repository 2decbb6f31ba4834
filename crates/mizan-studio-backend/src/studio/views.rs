//! What the studio's read-only contexts answer: the open project, its IR
//! text, the recent list, diagnostics, activity and the laid-out graph
//! (cached per IR revision). Reading never changes the state.

use super::{Studio, lock};
use crate::error::StudioError;
use crate::layout::{self, Selection};
use crate::models::*;
use crate::project::{self, Snapshot, source_kind};
use mizan_codegen::{Config, Source};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

impl Studio {
    /// The open project's folder.
    pub fn root(&self) -> Result<PathBuf, StudioError> {
        let state = lock(&self.state);
        state
            .project
            .as_ref()
            .map(|p| p.root.clone())
            .ok_or(StudioError::NoProject)
    }

    /// The shown snapshot and config, or why there is none.
    pub fn snapshot(&self) -> Result<(Arc<Snapshot>, Config), StudioError> {
        let state = lock(&self.state);
        let p = state.project.as_ref().ok_or(StudioError::NoProject)?;
        let shown = p
            .shown
            .clone()
            .ok_or_else(|| StudioError::NoIr(p.last_error.clone().unwrap_or_else(|| "it is still loading".into())))?;
        Ok((shown, p.config.clone()))
    }

    /// The `project` view.
    pub fn project_view(&self) -> ProjectView {
        let state = lock(&self.state);
        let Some(p) = &state.project else {
            return ProjectView {
                state: LoadState::Closed,
                root: None,
                config_path: None,
                source: None,
                source_kind: None,
                ir_path: None,
                output: None,
                targets: Vec::new(),
                base_url: None,
                last_error: None,
                showing_last_good: false,
                watch: false,
                watch_globs: Vec::new(),
                counts: Counts::default(),
                revision: state.revision as i64,
                load_ms: None,
            };
        };
        let settings = state.settings.project(&p.root);
        let mut counts = Counts::default();
        if let Some(s) = &p.shown {
            let ir = &s.parsed.ir;
            counts.functions = ir.functions.len() as i64;
            counts.mutations = ir.functions.iter().filter(|f| f.is_mutation()).count() as i64;
            counts.contexts = ir.contexts.len() as i64;
            counts.types = ir.types.len() as i64;
        }
        counts.errors = p.diagnostics.iter().filter(|d| d.severity == Severity::Error).count() as i64;
        counts.warnings = p.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count() as i64;
        ProjectView {
            state: if p.loading {
                LoadState::Loading
            } else if p.failed {
                LoadState::Failed
            } else {
                LoadState::Ready
            },
            root: Some(p.root.display().to_string()),
            config_path: Some(p.config.path.display().to_string()),
            source: Some(p.config.source.describe()),
            source_kind: Some(source_kind(&p.config.source)),
            ir_path: match &p.config.source {
                Source::Kdl(path) => Some(path.display().to_string()),
                _ => None,
            },
            output: Some(p.config.output.display().to_string()),
            targets: p.config.targets.iter().map(|t| t.name().to_owned()).collect(),
            base_url: Some(p.config.base_url.clone()),
            last_error: p.last_error.clone(),
            showing_last_good: p.failed && p.shown.is_some(),
            watch: settings.watch,
            watch_globs: settings.globs,
            counts,
            revision: state.revision as i64,
            load_ms: p.load_ms,
        }
    }

    /// The `ir_source` view.
    pub fn ir_source(&self) -> IrSource {
        let (path, shown, missing) = {
            let state = lock(&self.state);
            match &state.project {
                None => (None, None, Some("No project is open.".to_owned())),
                Some(p) => {
                    let path = match &p.config.source {
                        Source::Kdl(path) => Some(path.display().to_string()),
                        _ => None,
                    };
                    let missing = match (&p.config.source, p.loading, p.failed) {
                        _ if p.shown.is_some() => None,
                        (_, true, _) => Some(format!("Loading the IR from the {}…", p.config.source.describe())),
                        (Source::Kdl(path), _, true) => Some(format!(
                            "{} does not load yet: its problems are listed under Problems.",
                            path.display()
                        )),
                        (source, _, true) => Some(format!(
                            "The {} failed before it gave an IR: see Problems and the job output.",
                            source.describe()
                        )),
                        (source, _, false) => Some(format!("The {} has not been read yet.", source.describe())),
                    };
                    (path, p.shown.as_ref().map(|s| s.text.clone()), missing)
                }
            }
        };
        // The highlighter highlights each text once (its cache).
        let html = shown.as_deref().map(|t| self.highlighter().html("ir.kdl", t));
        IrSource { path, html, missing }
    }

    /// The recent projects.
    pub fn recent(&self) -> Vec<RecentProject> {
        let state = lock(&self.state);
        state
            .settings
            .recent
            .iter()
            .map(|p| RecentProject {
                path: p.display().to_string(),
                name: p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                exists: p.join(project::CONFIG_FILE).is_file(),
            })
            .collect()
    }

    /// The `diagnostics` view.
    pub fn diagnostics(&self) -> DiagnosticsView {
        let state = lock(&self.state);
        let Some(p) = &state.project else {
            return DiagnosticsView::default();
        };
        DiagnosticsView {
            errors: p.diagnostics.iter().filter(|d| d.severity == Severity::Error).count() as i64,
            warnings: p.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count() as i64,
            items: p.diagnostics.clone(),
            from_failed_load: p.failed,
        }
    }

    /// The `activity` view.
    pub fn activity(&self) -> ActivityView {
        let state = lock(&self.state);
        let watch_on = state
            .project
            .as_ref()
            .is_some_and(|p| state.settings.project(&p.root).watch);
        ActivityView {
            job: state.job.as_ref().map(|j| JobView {
                id: j.id as i64,
                label: j.label.clone(),
                status: j.status,
                output: j.output.iter().cloned().collect(),
                elapsed_ms: j.finished.unwrap_or_else(|| j.started.elapsed()).as_millis() as i64,
            }),
            watch: WatchView {
                on: watch_on,
                watching: if watch_on { state.watching.clone() } else { Vec::new() },
                error: state.watch_error.clone(),
                reloads: state.reloads,
            },
            last_regenerate: state.last_regenerate.clone(),
        }
    }

    /// The graph view for a selection (cached per IR revision; layouts of
    /// large graphs run off the async threads).
    pub async fn graph(
        &self,
        focus: Option<String>,
        in_context: Option<String>,
        full: bool,
    ) -> Result<GraphView, StudioError> {
        let (snapshot, _) = self.snapshot()?;
        let threshold = self.options.focus_threshold;
        let selection = match (focus, in_context) {
            (Some(f), _) => Selection::Focus(f),
            (None, Some(c)) => Selection::Context(c),
            (None, None) if full || snapshot.graph.graph.node_count() <= threshold => Selection::Full,
            (None, None) => Selection::Overview,
        };
        {
            let cache = lock(&self.layouts);
            if cache.0 == snapshot.revision
                && let Some(view) = cache.1.get(&selection)
            {
                let mut view = (**view).clone();
                view.layout_ms = 0;
                return Ok(view);
            }
        }
        let s = snapshot.clone();
        let sel = selection.clone();
        let view = tokio::task::spawn_blocking(move || layout::graph_view(&s, &sel, threshold))
            .await
            .map_err(|e| StudioError::Invalid(format!("layout failed: {e}")))??;
        let mut cache = lock(&self.layouts);
        if cache.0 != snapshot.revision {
            *cache = (snapshot.revision, HashMap::new());
        }
        cache.1.insert(selection, Arc::new(view.clone()));
        Ok(view)
    }
}
