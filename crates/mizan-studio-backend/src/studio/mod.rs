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
//!
//! The type and its options are here; its operations are split by what
//! they are about: `views` (what the read-only contexts answer),
//! `lifecycle` (open, reload, regenerate, close), `jobs` (a source command
//! run as a cancellable job), `watching` (the watcher and its settings),
//! `shell` (what the desktop window lends: the folder picker, drops, the
//! UI's paint reports). `state` holds the window's state behind the lock.

mod jobs;
mod lifecycle;
mod shell;
mod state;
mod traffic;
pub use traffic::{TapApp, TapReplay};
mod views;
mod watching;

use crate::highlight::Highlighter;
use crate::layout::Selection;
use crate::models::*;
use crate::preview;
use crate::project::Snapshot;
use crate::settings::Settings;
use crate::shell::FolderPicker;
use crate::watch::Watcher;
use mizan::Registry;
use mizan_codegen::Config;
use mizan_core::invalidation::Invalidation;
use state::{State, lock};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

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
    /// A client file was shown (the Clients tab is in use): from then on
    /// each plan's files are highlighted ahead of a click.
    previews_shown: AtomicBool,
    layouts: Mutex<(u64, HashMap<Selection, Arc<GraphView>>)>,
    watcher: Mutex<Option<Watcher>>,
    /// Serialises reloads (a watched save during a job waits for it).
    reload_lock: tokio::sync::Mutex<()>,
    /// The live tools' memory-only state (typed secrets, connections).
    live: crate::live::session::LiveState,
    /// Recorded traffic (proxy, taps).
    traffic: crate::live::traffic::Traffic,
    /// The recording proxy, while it runs.
    proxy: Mutex<Option<mizan_proxy::Proxy>>,
    /// The timeline changed since it was last published.
    traffic_dirty: AtomicBool,
    /// Events recorded since start (the publisher's measure of busy).
    traffic_recorded: AtomicU64,
    /// The publisher task runs.
    traffic_publisher: AtomicBool,
    /// Attached devtools taps, by pid: the task recording each.
    taps: Mutex<HashMap<u32, tokio::task::JoinHandle<()>>>,
    /// Their replay channels, by pid.
    tap_replays: Mutex<HashMap<u32, traffic::TapReplays>>,
    /// The last replay id sent through a tap.
    tap_replay_ids: AtomicU64,
}

impl std::fmt::Debug for Studio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Studio")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
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
            previews_shown: AtomicBool::new(false),
            layouts: Mutex::new((0, HashMap::new())),
            watcher: Mutex::new(None),
            reload_lock: tokio::sync::Mutex::new(()),
            live: Default::default(),
            traffic: Default::default(),
            proxy: Mutex::new(None),
            traffic_dirty: Default::default(),
            traffic_recorded: Default::default(),
            traffic_publisher: Default::default(),
            taps: Mutex::new(HashMap::new()),
            tap_replays: Mutex::new(HashMap::new()),
            tap_replay_ids: AtomicU64::new(0),
        })
    }

    /// Publishes changes the studio makes outside a mutation through this
    /// registry (whose push hub delivers them).
    pub fn attach(&self, registry: &Arc<Registry>) {
        let _ = self.registry.set(Arc::downgrade(registry));
    }

    /// The live tools' state.
    pub fn live(&self) -> &crate::live::session::LiveState {
        &self.live
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

    /// Notes that a client file was shown; true the first time (the
    /// caller then warms the plan's other files).
    pub fn previews_shown(&self) -> bool {
        !self.previews_shown.swap(true, Ordering::SeqCst)
    }

    /// Highlights the files of `snapshot`'s plan in the background (up to
    /// [`preview::WARM_LINES`] lines), so a click on one in the Clients tab
    /// finds it ready; a newer plan stops it. Only once a client file was
    /// shown: a studio used for the graph or the live tabs never loads
    /// the targets' grammars (13 MB for TypeScript's).
    pub fn warm_previews(self: &Arc<Self>, snapshot: Arc<Snapshot>, config: Config) {
        if !self.previews_shown.load(Ordering::SeqCst) {
            return;
        }
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
}
