//! The open project as the top and status bars and the open screen show it:
//! its load state and counts, the recent list, what opening did, and what
//! the window around the studio lends it (picker, drops).

use mizan::Mizan;
use serde::{Deserialize, Serialize};

/// Where the open project stands.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LoadState {
    /// No project is open.
    Closed,
    /// The IR source is being read (a command may be running).
    Loading,
    /// The IR loaded and has no check errors.
    Ready,
    /// The last load failed (source, parse or check errors); the last good
    /// IR, if any, is still shown.
    Failed,
}

/// Where a project's IR comes from (its `[source]` in `mizan.toml`).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A KDL file.
    Kdl,
    /// A command printing the IR.
    Command,
    /// A cargo binary printing the IR.
    Cargo,
    /// A Django project's IR, read by the Python adapter.
    Django,
    /// A FastAPI app's IR, read by the Python adapter.
    Fastapi,
}

/// How many of each thing the shown IR has.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Functions (mutations included).
    pub functions: i64,
    /// Mutations (functions with `affects` or `merge`).
    pub mutations: i64,
    /// Contexts.
    pub contexts: i64,
    /// Named types.
    pub types: i64,
    /// Check errors of the last load.
    pub errors: i64,
    /// Check warnings of the last load.
    pub warnings: i64,
}

/// The open project: what the status bar and the project pane show.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ProjectView {
    /// Load state.
    pub state: LoadState,
    /// The project folder (the one holding `mizan.toml`).
    pub root: Option<String>,
    /// The `mizan.toml` path.
    pub config_path: Option<String>,
    /// The IR source, described (`kdl file api.kdl`, `cargo bin ...`).
    pub source: Option<String>,
    /// Where the IR comes from.
    pub source_kind: Option<SourceKind>,
    /// The KDL file, for `kdl` sources.
    pub ir_path: Option<String>,
    /// The output folder.
    pub output: Option<String>,
    /// Targets, as `mizan.toml` resolves them.
    pub targets: Vec<String>,
    /// HTTP base of the generated clients.
    pub base_url: Option<String>,
    /// Why the last load failed (source stderr and exit status, parse or
    /// check errors), if it did.
    pub last_error: Option<String>,
    /// True when the graph, lists and previews show an older IR than the
    /// last (failed) load.
    pub showing_last_good: bool,
    /// Watch on for this project (persisted).
    pub watch: bool,
    /// Extra globs watched (for `command`/`cargo`/... sources), relative to
    /// the project folder.
    pub watch_globs: Vec<String>,
    /// Counts of the shown IR.
    pub counts: Counts,
    /// Increments at every successful load (the UI keys views on it).
    pub revision: i64,
    /// Milliseconds the last load took.
    pub load_ms: Option<i64>,
}

/// A project in the recent list.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct RecentProject {
    /// Its folder.
    pub path: String,
    /// Folder name, for display.
    pub name: String,
    /// Whether it still holds a `mizan.toml`.
    pub exists: bool,
}

/// What `open_project` did.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct OpenOutcome {
    /// The opened project's folder, when one was opened.
    pub opened: Option<String>,
    /// Folders holding a `mizan.toml` below the given path, when there were
    /// several (nothing was opened: pick one).
    pub candidates: Vec<String>,
    /// Load state right after opening (`loading` for command sources).
    pub state: LoadState,
}

/// What the window around the studio lends it (web mode: nothing), and
/// what the last drop on it did: the UI shows "Choose folder…" and the drop
/// hint from this, never from guessing its transport.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct ShellView {
    /// A native folder picker exists (`choose_folder` works).
    pub folder_picker: bool,
    /// Folders dropped on the window open (the desktop shell forwards them).
    pub drop_to_open: bool,
    /// Something is being dragged over the window right now.
    pub dragging: bool,
    /// What the last drop did, if there was one.
    pub last_drop: Option<DropReport>,
}

/// What dropping a path on the window did.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct DropReport {
    /// Increments with every drop (the UI shows each report once).
    pub id: i64,
    /// The path dropped (the first, when several were).
    pub path: String,
    /// The project opened, if one was.
    pub opened: Option<String>,
    /// Several projects below the dropped folder: nothing opened, pick one.
    pub candidates: Vec<String>,
    /// Why nothing opened (not a project, a broken `mizan.toml`).
    pub error: Option<String>,
}
