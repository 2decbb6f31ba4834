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

/// Compares `files` (paths relative to `output`) with the folder. Fails if a
/// path is produced twice or would overwrite a file Mizan did not generate.
pub fn plan(output: &Path, files: &[GeneratedFile]) -> Result<Plan> {
    let mut seen = BTreeSet::new();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for f in files {
        if !seen.insert(f.path.as_str()) {
            return Err(Error::DuplicatePath { path: f.path.clone() });
        }
        let path = output.join(&f.path);
        match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => changes.push(Change {
                kind: ChangeKind::Create,
                path,
                contents: Some(f.contents.clone()),
            }),
            Err(e) => return Err(Error::io(path, e)),
            Ok(meta) if !meta.is_file() => return Err(Error::NotOurs { path }),
            Ok(_) => {
                let existing = fs::read(&path).map_err(|e| Error::io(&path, e))?;
                if existing == f.contents.as_bytes() {
                    unchanged += 1;
                    continue;
                }
                if !has_header(&String::from_utf8_lossy(
                    &existing[..existing.len().min(HEADER_PROBE_BYTES as usize)],
                )) {
                    return Err(Error::NotOurs { path });
                }
                changes.push(Change {
                    kind: ChangeKind::Update,
                    path,
                    contents: Some(f.contents.clone()),
                });
            }
        }
    }
    let wanted: BTreeSet<PathBuf> = files.iter().map(|f| output.join(&f.path)).collect();
    for path in generated_files_under(output)? {
        if !wanted.contains(&path) {
            changes.push(Change {
                kind: ChangeKind::Remove,
                path,
                contents: None,
            });
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Plan {
        output: output.to_path_buf(),
        changes,
        unchanged,
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
