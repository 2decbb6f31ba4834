//! Watching the IR source with `notify` (debounced by
//! `notify-debouncer-full`): the KDL file (its folder, so editors that save
//! by renaming are seen) or, for command sources, the configured globs
//! under the project folder. Changes under the output folder, `target/`,
//! `.git/` and `node_modules/` never count (regenerating must not trigger
//! itself). A matching change sends one message; the studio reloads.
//!
//! The output folder is watched on its own channel: a generated file
//! edited by hand (or by a checkout) only changes what the preview shows,
//! so the studio re-publishes the preview without reloading anything.

use globset::{Glob, GlobSet, GlobSetBuilder};
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// Folders whose changes are ignored.
const IGNORED: [&str; 4] = ["target", ".git", "node_modules", "__pycache__"];

/// What to watch.
#[derive(Debug, Clone)]
pub struct WatchSpec {
    /// The project folder (globs are relative to it).
    pub root: PathBuf,
    /// The KDL file, for `kdl` sources.
    pub kdl: Option<PathBuf>,
    /// Globs under `root`.
    pub globs: Vec<String>,
    /// The output folder (ignored).
    pub output: PathBuf,
}

impl WatchSpec {
    /// What the watch pane lists.
    pub fn describe(&self) -> Vec<String> {
        let mut out: Vec<String> = self.kdl.iter().map(|p| p.display().to_string()).collect();
        out.extend(self.globs.iter().cloned());
        out
    }
}

/// Checks globs (what `set_watch_globs` accepts).
pub fn glob_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| format!("bad glob `{g}`: {e}"))?);
    }
    b.build().map_err(|e| e.to_string())
}

/// A running watcher; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    /// Whether the output folder is watched (it may not exist yet).
    pub watches_output: bool,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").finish_non_exhaustive()
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

impl Watcher {
    /// Starts watching; each debounced batch with a relevant change sends
    /// `()` on `changed`, and one with a change under the output folder
    /// sends `()` on `output_changed`.
    pub fn start(
        spec: &WatchSpec,
        debounce: Duration,
        changed: UnboundedSender<()>,
        output_changed: UnboundedSender<()>,
    ) -> Result<Watcher, String> {
        let globs = glob_set(&spec.globs)?;
        let root = canonical(&spec.root);
        let output = canonical(&spec.output);
        let kdl = spec.kdl.as_deref().map(canonical);
        let in_output = {
            let output = output.clone();
            move |path: &Path| path.starts_with(&output)
        };
        let relevant = {
            let (root, kdl, output) = (root.clone(), kdl.clone(), output.clone());
            move |path: &Path| -> bool {
                let path = match path.parent() {
                    // The file itself may be gone mid-rename: canonicalize its folder.
                    Some(dir) => canonical(dir).join(path.file_name().unwrap_or_default()),
                    None => path.to_path_buf(),
                };
                if path.starts_with(&output) {
                    return false;
                }
                if kdl.as_ref().is_some_and(|k| *k == path) {
                    return true;
                }
                match path.strip_prefix(&root) {
                    Ok(rel) => {
                        !rel.components().any(|c| IGNORED.iter().any(|i| c.as_os_str() == *i)) && globs.is_match(rel)
                    }
                    Err(_) => false,
                }
            }
        };
        let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            let Ok(events) = result else { return };
            let writes = || events.iter().filter(|e| !e.kind.is_access());
            if writes().any(|e| e.paths.iter().any(|p| relevant(p))) {
                let _ = changed.send(());
            }
            if writes().any(|e| e.paths.iter().any(|p| in_output(p))) {
                let _ = output_changed.send(());
            }
        })
        .map_err(|e| e.to_string())?;
        if let Some(dir) = kdl.as_deref().and_then(Path::parent) {
            debouncer
                .watch(dir, RecursiveMode::NonRecursive)
                .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
        }
        if !spec.globs.is_empty() {
            debouncer
                .watch(&root, RecursiveMode::Recursive)
                .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
        }
        // Before the first regenerate there is no output folder to watch;
        // the studio restarts the watcher once there is.
        let watches_output = output.is_dir() && debouncer.watch(&output, RecursiveMode::Recursive).is_ok();
        Ok(Watcher {
            _debouncer: debouncer,
            watches_output,
        })
    }
}
