//! The state of one studio window behind [`Studio`](super::Studio)'s lock:
//! the open project, the running job, the settings, the watcher's and the
//! shell's last words. Plain data; the operations are in the sibling
//! modules.

use crate::models::*;
use crate::project::Snapshot;
use crate::settings::Settings;
use mizan_codegen::Config;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The open project.
pub(super) struct Project {
    pub(super) root: PathBuf,
    pub(super) config: Config,
    /// The last good IR.
    pub(super) shown: Option<Arc<Snapshot>>,
    /// Diagnostics of the last attempt (the snapshot's when it succeeded).
    pub(super) diagnostics: Vec<DiagnosticView>,
    /// The last attempt failed.
    pub(super) failed: bool,
    pub(super) last_error: Option<String>,
    pub(super) loading: bool,
    pub(super) load_ms: Option<i64>,
}

/// A source command run as a job (the last one stays for the UI).
pub(super) struct Job {
    pub(super) id: u64,
    pub(super) label: String,
    pub(super) status: JobStatus,
    pub(super) output: VecDeque<String>,
    pub(super) started: Instant,
    pub(super) finished: Option<Duration>,
    pub(super) cancel: Option<tokio::sync::watch::Sender<bool>>,
}

/// Everything behind `Studio::state`.
#[derive(Default)]
pub(super) struct State {
    pub(super) project: Option<Project>,
    pub(super) job: Option<Job>,
    pub(super) next_job: u64,
    pub(super) revision: u64,
    pub(super) last_regenerate: Option<RegenerateSummary>,
    pub(super) settings: Settings,
    pub(super) watch_error: Option<String>,
    pub(super) watching: Vec<String>,
    pub(super) reloads: i64,
    /// The shell forwards drops on its window.
    pub(super) drops: bool,
    pub(super) dragging: bool,
    pub(super) last_drop: Option<DropReport>,
}

/// Locks `m`; a panic while it was held does not make it unusable.
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
