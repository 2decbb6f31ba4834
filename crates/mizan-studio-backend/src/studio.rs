//! [`Studio`]: the state of one studio window (the open project, its last
//! good snapshot, the running job, the watcher, the settings) and the
//! operations its functions call. It lives in the request `Extensions` as
//! an `Arc<Studio>` — never a global — so tests run several side by side.
//!
//! Long steps (a `command`/`cargo` source can take minutes) run as a job on
//! the runtime, off the request: their stderr streams into the `activity`
//! context and they can be cancelled. Changes made outside a mutation (a
//! watched save, a job finishing) reach the UI through
//! [`Registry::publish`](mizan::Registry::publish), so the push hub tells
//! every window what to refetch.

use crate::error::StudioError;
use crate::highlight::Highlighter;
use crate::layout::{self, Selection};
use crate::models::*;
use crate::preview;
use crate::project::{self, Loaded, Snapshot, diagnostic_view, source_kind};
use crate::settings::Settings;
use crate::shell::FolderPicker;
use crate::watch::{WatchSpec, Watcher, glob_set};
use mizan::Registry;
use mizan_codegen::source::{STDOUT_LIMIT, StderrTail, too_much_output};
use mizan_codegen::{Config, Source};
use mizan_core::invalidation::Invalidation;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Lines of a job's stderr kept for the activity pane (each at most
/// `mizan_codegen::source::LINE_LIMIT` bytes).
const JOB_LINES: usize = 400;

/// How often a running job's output is pushed at most.
const JOB_PUSH_EVERY: Duration = Duration::from_millis(150);

/// Settings of a studio that are not per project.
#[derive(Debug, Clone)]
pub struct StudioOptions {
    /// Where the recent list and per-project settings persist (`None`:
    /// in memory only).
    pub settings_path: Option<PathBuf>,
    /// Debounce of the watcher.
    pub debounce: Duration,
    /// Above this many nodes the default graph view is the overview.
    pub focus_threshold: usize,
    /// When set (the shell's `MIZAN_STUDIO_TIMING`), `ui_painted` reports
    /// print the time since this instant (the process start) to stderr.
    pub timing: Option<Instant>,
}

impl Default for StudioOptions {
    fn default() -> Self {
        StudioOptions {
            settings_path: None,
            debounce: Duration::from_millis(40),
            focus_threshold: 150,
            timing: None,
        }
    }
}

/// Why a reload runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `open_project`.
    Open,
    /// `reload`.
    Manual,
    /// A watched change: regenerates when the new IR is valid.
    Watch,
}

struct Project {
    root: PathBuf,
    config: Config,
    /// The last good IR.
    shown: Option<Arc<Snapshot>>,
    /// Diagnostics of the last attempt (the snapshot's when it succeeded).
    diagnostics: Vec<DiagnosticView>,
    /// The last attempt failed.
    failed: bool,
    last_error: Option<String>,
    loading: bool,
    load_ms: Option<i64>,
}

struct Job {
    id: u64,
    label: String,
    status: &'static str,
    output: VecDeque<String>,
    started: Instant,
    finished: Option<Duration>,
    cancel: Option<tokio::sync::watch::Sender<bool>>,
}

#[derive(Default)]
struct State {
    project: Option<Project>,
    job: Option<Job>,
    next_job: u64,
    revision: u64,
    last_regenerate: Option<RegenerateSummary>,
    settings: Settings,
    watch_error: Option<String>,
    watching: Vec<String>,
    reloads: i64,
    /// The shell forwards drops on its window.
    drops: bool,
    dragging: bool,
    last_drop: Option<DropReport>,
}

/// One studio: pass it to the adapter's `Extensions` as `Arc<Studio>`.
pub struct Studio {
    options: StudioOptions,
    state: Mutex<State>,
    registry: OnceLock<Weak<Registry>>,
    picker: OnceLock<Arc<dyn FolderPicker>>,
    runtime: tokio::runtime::Handle,
    highlighter: OnceLock<Highlighter>,
    /// Bumped by every preview plan: an older plan's background
    /// highlighting stops.
    warm_generation: AtomicU64,
    layouts: Mutex<(u64, HashMap<Selection, Arc<GraphView>>)>,
    watcher: Mutex<Option<Watcher>>,
    /// Serialises reloads (a watched save during a job waits for it).
    reload_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Studio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Studio")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Studio {
    /// A studio with no project open. Must be called inside a tokio
    /// runtime (the watcher and jobs run on it).
    pub fn new(options: StudioOptions) -> Arc<Studio> {
        let settings = Settings::load(options.settings_path.as_deref());
        Arc::new(Studio {
            options,
            state: Mutex::new(State {
                settings,
                ..State::default()
            }),
            registry: OnceLock::new(),
            picker: OnceLock::new(),
            runtime: tokio::runtime::Handle::current(),
            highlighter: OnceLock::new(),
            warm_generation: AtomicU64::new(0),
            layouts: Mutex::new((0, HashMap::new())),
            watcher: Mutex::new(None),
            reload_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Publishes changes the studio makes outside a mutation through this
    /// registry (whose push hub delivers them).
    pub fn attach(&self, registry: &Arc<Registry>) {
        let _ = self.registry.set(Arc::downgrade(registry));
    }

    /// The highlighter (grammars loaded on first use).
    pub fn highlighter(&self) -> &Highlighter {
        self.highlighter.get_or_init(Highlighter::new)
    }

    /// Loads the highlighter's grammars in the background, so the first
    /// preview does not wait for them.
    pub fn warm_highlighter(self: &Arc<Self>) {
        let studio = self.clone();
        self.runtime.spawn_blocking(move || studio.highlighter().warm_up());
    }

    /// Highlights the files of `snapshot`'s plan in the background (up to
    /// [`preview::WARM_LINES`] lines), so a click on one in the Clients tab
    /// finds it ready; a newer plan stops it.
    pub fn warm_previews(self: &Arc<Self>, snapshot: Arc<Snapshot>, config: Config) {
        let generation = self.warm_generation.fetch_add(1, Ordering::SeqCst) + 1;
        let studio = self.clone();
        self.runtime.spawn_blocking(move || {
            let current = || studio.warm_generation.load(Ordering::SeqCst) == generation;
            preview::warm(&snapshot, &config, studio.highlighter(), current);
        });
    }

    /// Tells every window that everything may have changed: every context
    /// of the studio's own IR (read from the registry, so a new context
    /// cannot be forgotten).
    pub async fn publish_all(&self) {
        let Some(registry) = self.registry.get().and_then(Weak::upgrade) else {
            return;
        };
        let entries = registry
            .ir()
            .contexts
            .iter()
            .map(|c| Invalidation::Broad(c.name.clone()))
            .collect();
        registry.publish(entries, Vec::new()).await;
    }

    /// Tells every window that `contexts` changed.
    pub async fn publish(&self, contexts: &[&str]) {
        let Some(registry) = self.registry.get().and_then(Weak::upgrade) else {
            return;
        };
        let entries = contexts.iter().map(|c| Invalidation::Broad((*c).to_owned())).collect();
        registry.publish(entries, Vec::new()).await;
    }

    // ---- reading -------------------------------------------------------

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
        counts.errors = p.diagnostics.iter().filter(|d| d.severity == "error").count() as i64;
        counts.warnings = p.diagnostics.iter().filter(|d| d.severity == "warning").count() as i64;
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
            source_kind: Some(source_kind(&p.config.source).to_owned()),
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
            errors: p.diagnostics.iter().filter(|d| d.severity == "error").count() as i64,
            warnings: p.diagnostics.iter().filter(|d| d.severity == "warning").count() as i64,
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
                status: j.status.to_owned(),
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

    // ---- changing ------------------------------------------------------

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
                        .filter(|d| d.severity == "error")
                        .map(|d| match d.location {
                            Some(l) => format!("{}:{}: {}[{}]: {}", l.line, l.column, d.severity, d.code, d.message),
                            None => format!("{}[{}]: {}", d.severity, d.code, d.message),
                        })
                        .collect();
                    p.last_error = Some(format!("the IR has {} error(s):\n{}", errors.len(), errors.join("\n")));
                    p.diagnostics = diagnostics;
                    p.failed = true;
                }
                Err(message) => {
                    p.diagnostics = vec![DiagnosticView {
                        code: "source-failed".into(),
                        severity: "error".into(),
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
            let summary = self.regenerate_snapshot(snapshot, config, "watch").await;
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
        let summary = self.regenerate_snapshot(snapshot, config, "manual").await;
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
        trigger: &'static str,
    ) -> RegenerateSummary {
        let result = tokio::task::spawn_blocking(move || preview::regenerate(&snapshot, &config, trigger)).await;
        match result {
            Ok(Ok(summary)) => summary,
            Ok(Err(e)) => RegenerateSummary {
                trigger: trigger.into(),
                error: Some(e.to_string()),
                ..RegenerateSummary::default()
            },
            Err(e) => RegenerateSummary {
                trigger: trigger.into(),
                error: Some(format!("regenerate failed: {e}")),
                ..RegenerateSummary::default()
            },
        }
    }

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

    // ---- the shell: picker, drops, timing ------------------------------

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

    /// Cancels the running job, if any (its process is killed).
    pub fn cancel_job(&self) -> bool {
        let mut state = lock(&self.state);
        match state.job.as_mut().and_then(|j| j.cancel.take()) {
            Some(cancel) => {
                let _ = cancel.send(true);
                true
            }
            None => false,
        }
    }

    /// Restarts the watcher when a regenerate created the output folder it
    /// could not watch before.
    fn watch_new_output(self: &Arc<Self>) {
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
    fn restart_watch(self: &Arc<Self>) {
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

    /// Runs a source command as a job: stderr streamed into the activity
    /// view, stdout collected as the IR text, cancellable.
    async fn run_source_job(&self, source: &Source) -> Result<String, String> {
        let std_cmd = match mizan_codegen::source::command(source) {
            Ok(Some(cmd)) => cmd,
            Ok(None) => return Err("not a command source".into()),
            Err(e) => return Err(e.to_string()),
        };
        let label = format!(
            "{} {}",
            std_cmd.get_program().to_string_lossy(),
            std_cmd
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        );
        let (cancel_tx, mut cancel_rx) = tokio::sync::watch::channel(false);
        let id = {
            let mut state = lock(&self.state);
            state.next_job += 1;
            let id = state.next_job;
            state.job = Some(Job {
                id,
                label,
                status: "running",
                output: VecDeque::new(),
                started: Instant::now(),
                finished: None,
                cancel: Some(cancel_tx),
            });
            id
        };
        self.publish(&["activity"]).await;
        let mut cmd = tokio::process::Command::from(std_cmd);
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let finish = |status: &'static str| {
            let mut state = lock(&self.state);
            if let Some(j) = state.job.as_mut().filter(|j| j.id == id) {
                j.status = status;
                j.finished = Some(j.started.elapsed());
                j.cancel = None;
            }
        };
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                finish("failed");
                return Err(format!("cannot run it: {e}"));
            }
        };
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        // Stdout is the IR: at most STDOUT_LIMIT bytes (one more tells that
        // it printed too much).
        let collect_stdout = async {
            let mut out = Vec::new();
            if let Some(s) = stdout {
                let mut capped = tokio::io::AsyncReadExt::take(s, STDOUT_LIMIT as u64 + 1);
                let _ = tokio::io::AsyncReadExt::read_to_end(&mut capped, &mut out).await;
            }
            out
        };
        // Stderr: lines cut to LINE_LIMIT bytes, the last JOB_LINES shown,
        // the last STDERR_TAIL_BYTES kept for the failure message.
        let stream_stderr = async {
            let mut tail = StderrTail::default();
            let Some(mut stderr) = stderr else { return tail };
            let mut buf = vec![0u8; 8192];
            let mut last_push = Instant::now();
            loop {
                let (lines, done) = match tokio::io::AsyncReadExt::read(&mut stderr, &mut buf).await {
                    Ok(0) | Err(_) => (tail.finish().into_iter().collect(), true),
                    Ok(n) => (tail.push(&buf[..n]), false),
                };
                if !lines.is_empty() {
                    {
                        let mut state = lock(&self.state);
                        if let Some(j) = state.job.as_mut().filter(|j| j.id == id) {
                            j.output.extend(lines);
                            let excess = j.output.len().saturating_sub(JOB_LINES);
                            j.output.drain(..excess);
                        }
                    }
                    if last_push.elapsed() >= JOB_PUSH_EVERY {
                        last_push = Instant::now();
                        self.publish(&["activity"]).await;
                    }
                }
                if done {
                    return tail;
                }
            }
        };
        // `None` when stdout overflowed: the caller returns at once, which
        // drops (kills) the child without waiting for its stderr to close.
        let run = async {
            let mut stdout = std::pin::pin!(collect_stdout);
            let mut stderr = std::pin::pin!(stream_stderr);
            let mut tail = None;
            let out = loop {
                tokio::select! {
                    out = &mut stdout => break out,
                    t = &mut stderr, if tail.is_none() => tail = Some(t),
                }
            };
            if out.len() > STDOUT_LIMIT {
                return None;
            }
            let tail = match tail {
                Some(t) => t,
                None => stderr.await,
            };
            Some((child.wait().await, out, tail.bytes()))
        };
        tokio::select! {
            result = run => {
                match result {
                    None => {
                        finish("failed");
                        Err(too_much_output())
                    }
                    Some((Ok(status), out, _)) if status.success() => {
                        finish("succeeded");
                        String::from_utf8(out).map_err(|_| "printed output that is not UTF-8".to_owned())
                    }
                    Some((Ok(status), _, err)) => {
                        finish("failed");
                        Err(mizan_codegen::source::failure_message(status, &err))
                    }
                    Some((Err(e), _, _)) => {
                        finish("failed");
                        Err(format!("cannot wait for it: {e}"))
                    }
                }
            }
            _ = cancel_rx.wait_for(|c| *c) => {
                // Dropping `run` drops the child, which kills it.
                finish("cancelled");
                Err("cancelled".into())
            }
        }
    }
}

fn internal_diagnostic(message: &str) -> DiagnosticView {
    DiagnosticView {
        code: "studio-internal".into(),
        severity: "error".into(),
        message: message.to_owned(),
        names: Vec::new(),
        node: None,
        location: None,
    }
}
