//! The Clients tab: what `mizan generate` would write, per file, with its
//! highlighted text and diff against disk.

use mizan::Mizan;
use serde::{Deserialize, Serialize};

/// What Regenerate would do with a file (the codegen writer's
/// `FileState`).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum FileState {
    /// Generated, not on disk yet.
    Create,
    /// Generated, on disk with other contents: rewritten.
    Update,
    /// Generated, on disk byte for byte.
    Unchanged,
    /// Recorded as ours, no longer generated: removed.
    Remove,
    /// Not written by Mizan for this config: never touched.
    NotOurs,
}

/// A line of a diff: kept, added or removed.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum DiffTag {
    /// The same on disk and generated.
    Equal,
    /// Only in the generated file.
    Insert,
    /// Only on disk.
    Delete,
}

/// One file of a preview.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PreviewFile {
    /// Path relative to the output folder.
    pub path: String,
    /// What Regenerate would do with it.
    pub state: FileState,
    /// Bytes of the generated contents (of the file on disk for `remove`).
    pub bytes: i64,
}

/// One target's files.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TargetPreview {
    /// Target name.
    pub target: String,
    /// Its files, in generation order.
    pub files: Vec<PreviewFile>,
}

/// What `mizan generate` would do now.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct PreviewView {
    /// The output folder.
    pub output: Option<String>,
    /// Per target.
    pub targets: Vec<TargetPreview>,
    /// Files no target produces: this config's earlier files (would be
    /// removed) and marked files it has no record of writing (not ours,
    /// left alone).
    pub stale: Vec<PreviewFile>,
    /// Files to create.
    pub create: i64,
    /// Files to update.
    pub update: i64,
    /// Files already up to date.
    pub unchanged: i64,
    /// Files to remove.
    pub remove: i64,
    /// Generated paths in the way, not written for this config (regenerate
    /// refuses).
    pub not_ours: i64,
    /// Why nothing can be previewed (no IR, a target failed).
    pub error: Option<String>,
}

/// One line of a diff.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct DiffLine {
    /// Kept, added or removed.
    pub tag: DiffTag,
    /// Line number on disk.
    pub old_line: Option<i64>,
    /// Line number in the generated file.
    pub new_line: Option<i64>,
    /// The line, highlighted (self-contained classed HTML).
    pub html: String,
}

/// A group of changed lines with context.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct DiffHunk {
    /// `@@ -a,b +c,d @@`.
    pub header: String,
    /// Its lines.
    pub lines: Vec<DiffLine>,
}

/// One file, highlighted, with its diff against disk.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct FilePreview {
    /// Target.
    pub target: String,
    /// Path relative to the output folder.
    pub path: String,
    /// Its state.
    pub state: FileState,
    /// Grammar used (`TypeScript`, `Rust`, ...), `Plain Text` otherwise.
    pub language: String,
    /// The generated contents (the disk's, for a stale file) highlighted:
    /// classed HTML, one self-contained line per `\n`.
    pub html: String,
    /// Diff against the file on disk (empty when new or unchanged).
    pub hunks: Vec<DiffHunk>,
    /// Lines added.
    pub added: i64,
    /// Lines removed.
    pub removed: i64,
}

/// CSS for the highlighting classes.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct HighlightTheme {
    /// For light mode.
    pub light_css: String,
    /// For dark mode.
    pub dark_css: String,
}
