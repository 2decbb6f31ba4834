//! The status bar's activity: the running job, the watcher and the last
//! regenerate.

use mizan::Mizan;
use serde::{Deserialize, Serialize};

/// What started a regenerate.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[serde(rename_all = "snake_case")]
pub enum RegenerateTrigger {
    /// The Regenerate button or command.
    #[default]
    Manual,
    /// A watched save.
    Watch,
}

/// Where a job stands.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Still running.
    Running,
    /// Exited successfully.
    Succeeded,
    /// Failed to start, exited with an error or printed too much.
    Failed,
    /// Cancelled from the UI (its process was killed).
    Cancelled,
}

/// What a regenerate did.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct RegenerateSummary {
    /// Files written (created + updated).
    pub written: i64,
    /// Of which created.
    pub created: i64,
    /// Of which updated.
    pub updated: i64,
    /// Stale files removed.
    pub removed: i64,
    /// Files already up to date.
    pub unchanged: i64,
    /// Paths written or removed, relative to the output folder.
    pub paths: Vec<String>,
    /// Milliseconds, from the IR in memory to files on disk.
    pub duration_ms: f64,
    /// What started it.
    pub trigger: RegenerateTrigger,
    /// Why nothing was written, if so.
    pub error: Option<String>,
}

/// A long step (reading a `command`/`cargo` source).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct JobView {
    /// Job number.
    pub id: i64,
    /// What runs (`cargo run ... --bin emit-ir`).
    pub label: String,
    /// Where it stands.
    pub status: JobStatus,
    /// The last lines of its stderr, as they arrive.
    pub output: Vec<String>,
    /// Milliseconds since it started (or its total, once done).
    pub elapsed_ms: i64,
}

/// The watcher.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct WatchView {
    /// Watch on.
    pub on: bool,
    /// Files and globs watched.
    pub watching: Vec<String>,
    /// Why the watcher could not start, if so.
    pub error: Option<String>,
    /// Reloads triggered by a change so far.
    pub reloads: i64,
}

/// Long steps, the watcher and the last regenerate: the status bar.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ActivityView {
    /// The current or last long step.
    pub job: Option<JobView>,
    /// The watcher.
    pub watch: WatchView,
    /// The last regenerate.
    pub last_regenerate: Option<RegenerateSummary>,
}
