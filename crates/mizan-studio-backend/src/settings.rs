//! What the studio remembers between runs: the recent projects and, per
//! project, the watch toggle and extra watch globs. One JSON file, written
//! atomically; a missing or unreadable file is an empty list (never an
//! error: settings are a convenience).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How many recent projects are kept.
pub const MAX_RECENT: usize = 12;

/// Per-project settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSettings {
    /// Watch the IR source and regenerate on change (default on).
    #[serde(default = "yes")]
    pub watch: bool,
    /// Extra globs, relative to the project folder, whose changes reload a
    /// `command`/`cargo`/... source.
    #[serde(default)]
    pub globs: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Default for ProjectSettings {
    fn default() -> Self {
        ProjectSettings {
            watch: true,
            globs: Vec::new(),
        }
    }
}

/// Everything persisted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Most recent first.
    #[serde(default)]
    pub recent: Vec<PathBuf>,
    /// By project folder.
    #[serde(default)]
    pub projects: BTreeMap<PathBuf, ProjectSettings>,
}

impl Settings {
    /// Reads `path` (empty settings when absent or unreadable).
    pub fn load(path: Option<&Path>) -> Settings {
        path.and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes to `path` atomically (logged, never failing the caller).
    pub fn save(&self, path: Option<&Path>) {
        let Some(path) = path else { return };
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        if let Err(e) = mizan_codegen::writer::write_atomic(path, &text) {
            tracing::warn!("cannot save studio settings to {}: {e}", path.display());
        }
    }

    /// Moves `root` to the front of the recent list.
    pub fn touch(&mut self, root: &Path) {
        self.recent.retain(|p| p != root);
        self.recent.insert(0, root.to_path_buf());
        self.recent.truncate(MAX_RECENT);
    }

    /// The settings of `root`.
    pub fn project(&self, root: &Path) -> ProjectSettings {
        self.projects.get(root).cloned().unwrap_or_default()
    }
}
