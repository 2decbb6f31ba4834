//! Writing generated files: compare with the output folder, then write
//! atomically (temp file in the same folder + rename) and remove stale
//! generated files.
//!
//! The one rule this module must never break: a file whose first lines lack
//! [`HEADER_MARKER`](crate::targets::HEADER_MARKER) is not ours — it is never
//! overwritten or deleted. [`plan`] fails before anything is written if a
//! generated path would clobber such a file.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::targets::{GeneratedFile, has_header};

/// Folders never searched for stale files (dependencies, VCS, build output).
const SKIPPED_DIRS: [&str; 4] = ["node_modules", ".git", "target", "__pycache__"];

/// How many bytes are read from an existing file to find the header.
const HEADER_PROBE_BYTES: u64 = 4096;

/// What happens to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// A new file.
    Create,
    /// A generated file whose contents change.
    Update,
    /// A generated file no target produces any more.
    Remove,
}

impl ChangeKind {
    /// `create`, `update`, `remove`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Remove => "remove",
        }
    }
}

/// One pending change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What happens.
    pub kind: ChangeKind,
    /// The absolute (output-joined) path.
    pub path: PathBuf,
    /// New contents for creates and updates.
    pub contents: Option<String>,
}

/// The difference between the generated files and the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The output folder.
    pub output: PathBuf,
    /// Changes, sorted by path.
    pub changes: Vec<Change>,
    /// How many generated files are already up to date.
    pub unchanged: usize,
}

impl Plan {
    /// True when the output folder already matches.
    pub fn is_clean(&self) -> bool {
        self.changes.is_empty()
    }
}

/// What one path of the output folder is, compared with what the targets
/// generate (what the studio's preview shows per file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileState {
    /// Generated, not on disk yet.
    Create,
    /// Generated, on disk with other contents (and our header).
    Update,
    /// Generated, on disk byte for byte.
    Unchanged,
    /// On disk with our header, no longer generated: would be removed.
    Remove,
    /// Generated, but the path holds something Mizan did not write (no
    /// header, or a folder): never touched, and [`Survey::plan`] fails.
    NotOurs,
}

impl FileState {
    /// `create`, `update`, `unchanged`, `remove`, `not-ours`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::Create => "create",
            FileState::Update => "update",
            FileState::Unchanged => "unchanged",
            FileState::Remove => "remove",
            FileState::NotOurs => "not-ours",
        }
    }
}

/// One path of a [`Survey`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyEntry {
    /// The absolute (output-joined) path.
    pub path: PathBuf,
    /// The path relative to the output folder, `/`-separated.
    pub relative: String,
    /// What it is.
    pub state: FileState,
    /// The generated contents (`None` for [`FileState::Remove`]).
    pub contents: Option<String>,
}

/// Every generated path and every stale generated file of an output
/// folder, with its state: the planner's view before it decides anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    /// The output folder.
    pub output: PathBuf,
    /// Generated files in generation order, then stale files by path.
    pub entries: Vec<SurveyEntry>,
}

impl Survey {
    /// The plan: fails on the first path that is not ours, else every
    /// create, update and remove sorted by path.
    pub fn plan(&self) -> Result<Plan> {
        let mut changes = Vec::new();
        let mut unchanged = 0;
        for e in &self.entries {
            let kind = match e.state {
                FileState::NotOurs => return Err(Error::NotOurs { path: e.path.clone() }),
                FileState::Unchanged => {
                    unchanged += 1;
                    continue;
                }
                FileState::Create => ChangeKind::Create,
                FileState::Update => ChangeKind::Update,
                FileState::Remove => ChangeKind::Remove,
            };
            changes.push(Change {
                kind,
                path: e.path.clone(),
                contents: e.contents.clone(),
            });
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Plan {
            output: self.output.clone(),
            changes,
            unchanged,
        })
    }
}

/// Compares `files` (paths relative to `output`) with the folder. Fails if a
/// path is produced twice or would overwrite a file Mizan did not generate.
pub fn plan(output: &Path, files: &[GeneratedFile]) -> Result<Plan> {
    survey(output, files)?.plan()
}

/// The state of every generated path and every stale generated file under
/// `output` (nothing is decided or written). Fails only if a path is
/// produced twice or the folder cannot be read.
pub fn survey(output: &Path, files: &[GeneratedFile]) -> Result<Survey> {
    let mut seen = BTreeSet::new();
    let mut entries = Vec::new();
    for f in files {
        if !seen.insert(f.path.as_str()) {
            return Err(Error::DuplicatePath { path: f.path.clone() });
        }
        let path = output.join(&f.path);
        let state = match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileState::Create,
            Err(e) => return Err(Error::io(path, e)),
            Ok(meta) if !meta.is_file() => FileState::NotOurs,
            Ok(_) => {
                let existing = fs::read(&path).map_err(|e| Error::io(&path, e))?;
                if existing == f.contents.as_bytes() {
                    FileState::Unchanged
                } else if has_header(&String::from_utf8_lossy(
                    &existing[..existing.len().min(HEADER_PROBE_BYTES as usize)],
                )) {
                    FileState::Update
                } else {
                    FileState::NotOurs
                }
            }
        };
        entries.push(SurveyEntry {
            path,
            relative: f.path.clone(),
            state,
            contents: Some(f.contents.clone()),
        });
    }
    let wanted: BTreeSet<PathBuf> = files.iter().map(|f| output.join(&f.path)).collect();
    let mut stale: Vec<PathBuf> = generated_files_under(output)?
        .into_iter()
        .filter(|p| !wanted.contains(p))
        .collect();
    stale.sort();
    for path in stale {
        let relative = path
            .strip_prefix(output)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        entries.push(SurveyEntry {
            path,
            relative,
            state: FileState::Remove,
            contents: None,
        });
    }
    Ok(Survey {
        output: output.to_path_buf(),
        entries,
    })
}

/// Applies a plan: atomic writes, then removals (and folders they leave
/// empty, up to the output folder).
pub fn apply(plan: &Plan) -> Result<()> {
    for change in &plan.changes {
        match (&change.kind, &change.contents) {
            (ChangeKind::Create | ChangeKind::Update, Some(contents)) => write_atomic(&change.path, contents)?,
            (ChangeKind::Remove, _) => {
                fs::remove_file(&change.path).map_err(|e| Error::io(&change.path, e))?;
                remove_empty_parents(&plan.output, &change.path);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Writes `contents` to a temporary file next to `path`, then renames it
/// over `path`: readers see the old file or the new one, never a mix.
pub fn write_atomic(path: &Path, contents: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".mizan-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    tmp.write_all(contents.as_bytes())
        .map_err(|e| Error::io(tmp.path(), e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Every regular file under `dir` (recursively, symlinks not followed,
/// [`SKIPPED_DIRS`] skipped) that carries the generated-file header.
fn generated_files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&d, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            let path = entry.path();
            let ty = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if ty.is_dir() {
                let name = entry.file_name();
                if !SKIPPED_DIRS.iter().any(|s| name == *s) {
                    stack.push(path);
                }
            } else if ty.is_file() && file_has_header(&path)? {
                out.push(path);
            }
        }
    }
    Ok(out)
}

fn file_has_header(path: &Path) -> Result<bool> {
    let file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::new();
    file.take(HEADER_PROBE_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    Ok(has_header(&String::from_utf8_lossy(&head)))
}

/// Removes the now-empty folders between `path` and `output` (exclusive).
fn remove_empty_parents(output: &Path, path: &Path) {
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == output || !d.starts_with(output) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}
