//! Writing generated files: compare with the output folder, then write
//! atomically (temp file in the same folder + rename) and remove stale
//! generated files.
//!
//! The rules this module must never break:
//! * only files listed in this config's [record](crate::record) are ever
//!   replaced or deleted, and only while they still carry
//!   [`HEADER_MARKER`](crate::targets::HEADER_MARKER) in their first lines;
//!   any other file is not ours and is left alone. [`plan`] fails before
//!   anything is written if a generated path would clobber such a file.
//!   The one exception is the first run for a config (no record yet, e.g.
//!   a folder written by an older Mizan): a marked file at a path this
//!   config generates, claimed by no other config's record, is taken over
//!   ([`Plan::adopted`]); marked files at other paths are left alone.
//! * nothing is read or written through a symbolic link: the output folder
//!   and every existing component of a generated or recorded path below it
//!   must be real folders and files ([`Error::Symlink`]), and the output
//!   folder, links resolved, stays inside the project unless the config
//!   allows otherwise ([`Error::OutputOutside`]).
//! * the record is written after the files (and, when files it does not
//!   list yet are about to be created, a record listing the old and the new
//!   files is written first, so an interrupted run loses no claim).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::record::{self, Record};
use crate::targets::{GeneratedFile, has_header};

/// Folders never searched for stale files (dependencies, VCS, build output).
const SKIPPED_DIRS: [&str; 4] = ["node_modules", ".git", "target", "__pycache__"];

/// How many bytes are read from an existing file to find the header.
const HEADER_PROBE_BYTES: u64 = 4096;

/// Where one config's files go, the record that says which files are its
/// own, and the project folder the output must stay in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The output folder.
    pub output: PathBuf,
    /// The config file's path relative to the output folder (`../mizan.toml`),
    /// written into the record.
    pub config: String,
    /// The record's path (`output/.mizan-generated-….txt`).
    pub record: PathBuf,
    /// The project the output must stay inside once links are resolved
    /// (`None`: `allow_output_outside = true`).
    pub boundary: Option<Boundary>,
}

/// The project folder a [`Destination`] must stay inside, and where the
/// config says so (for the error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    /// The project folder (the config file's folder).
    pub root: PathBuf,
    /// The config file.
    pub config: PathBuf,
    /// The line of `output` in it.
    pub line: usize,
}

impl Destination {
    /// The destination of `config`'s files.
    pub fn of(config: &Config) -> Destination {
        let mut d = Destination::new(&config.output, &config.path);
        d.boundary = (!config.allow_output_outside).then(|| Boundary {
            root: config.root.clone(),
            config: config.path.clone(),
            line: config.output_line,
        });
        d
    }

    /// The destination of files generated into `output` for the config file
    /// at `config_path`, without a project boundary.
    pub fn new(output: &Path, config_path: &Path) -> Destination {
        let config = record::config_relative_to(config_path, output);
        Destination {
            output: output.to_path_buf(),
            record: record::path_in(output, &config),
            config,
            boundary: None,
        }
    }
}

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
    /// The path relative to the output folder, `/`-separated.
    pub relative: String,
    /// New contents for creates and updates.
    pub contents: Option<String>,
}

/// Why a path is not ours (see [`FileState::NotOurs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Foreign {
    /// A file without the generated-file header.
    NoHeader,
    /// A folder (or anything else that is not a file).
    NotAFile,
    /// Listed in another config's record.
    OtherConfig {
        /// That config, relative to the output folder.
        config: String,
        /// Its record's file name.
        record: String,
    },
    /// Marked as generated, but not in this config's record.
    Unrecorded {
        /// This config has no record yet (a folder written by an older
        /// Mizan, or a record that was not committed).
        no_record_yet: bool,
    },
}

impl std::fmt::Display for Foreign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Foreign::NoHeader => f.write_str("exists and was not generated by mizan (no header)"),
            Foreign::NotAFile => f.write_str("exists and is not a file"),
            Foreign::OtherConfig { config, record } => {
                write!(f, "belongs to another config, {config} (listed in {record})")
            }
            Foreign::Unrecorded { no_record_yet: true } => f.write_str(
                "has the generated marker, but this config has no record of writing it (no record yet; delete it by hand if it is a leftover)",
            ),
            Foreign::Unrecorded { no_record_yet: false } => {
                f.write_str("has the generated marker, but this config's record does not list it")
            }
        }
    }
}

/// A file the writer does not touch, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftAlone {
    /// The absolute (output-joined) path.
    pub path: PathBuf,
    /// Why it is not ours.
    pub why: Foreign,
}

/// What happens to this config's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordUpdate {
    /// Its path.
    pub path: PathBuf,
    /// It exists already.
    pub existed: bool,
    /// Writing the plan changes it (or creates it).
    pub changed: bool,
    /// Its new text.
    pub contents: String,
    /// The files it listed before (what an interrupted run must keep).
    pub before: BTreeSet<String>,
}

/// The difference between the generated files and the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The output folder.
    pub output: PathBuf,
    /// Where the files go (checked again before writing).
    pub destination: Destination,
    /// Changes, sorted by path.
    pub changes: Vec<Change>,
    /// How many generated files are already up to date.
    pub unchanged: usize,
    /// The record written after the changes.
    pub record: RecordUpdate,
    /// Marked files that are not ours: never touched, shown to the user.
    pub left_alone: Vec<LeftAlone>,
    /// Marked files at generated paths taken over because this config had
    /// no record yet.
    pub adopted: Vec<PathBuf>,
}

impl Plan {
    /// True when the output folder and the record already match.
    pub fn is_clean(&self) -> bool {
        self.changes.is_empty() && !self.record.changed
    }
}

/// What one path of the output folder is, compared with what the targets
/// generate (what the studio's preview shows per file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileState {
    /// Generated, not on disk yet.
    Create,
    /// Generated, on disk with other contents (ours: recorded and marked).
    Update,
    /// Generated, on disk byte for byte.
    Unchanged,
    /// Recorded and marked, no longer generated: would be removed.
    Remove,
    /// Not ours (see [`Foreign`]): never touched. At a generated path
    /// (`contents` is `Some`) it is in the way and [`Survey::plan`] fails;
    /// otherwise (a marked file this config did not record) it is only
    /// listed.
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
    /// The generated contents (`None` for files no target generates).
    pub contents: Option<String>,
    /// Why it is not ours ([`FileState::NotOurs`] only).
    pub why: Option<Foreign>,
}

impl SurveyEntry {
    /// True when the path is not ours and a generated file needs it.
    pub fn is_in_the_way(&self) -> bool {
        self.state == FileState::NotOurs && self.contents.is_some()
    }
}

/// Every generated path, every file this config recorded and every other
/// marked file of an output folder, with its state: the planner's view
/// before it decides anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    /// The output folder.
    pub output: PathBuf,
    /// Where the files go.
    pub destination: Destination,
    /// Generated files in generation order, then the others by path.
    pub entries: Vec<SurveyEntry>,
    /// What happens to the record.
    pub record: RecordUpdate,
    /// Generated paths taken over without a record (first run).
    pub adopted: Vec<String>,
}

impl Survey {
    /// The plan: fails on the first generated path that is not ours, else
    /// every create, update and remove sorted by path.
    pub fn plan(&self) -> Result<Plan> {
        let mut changes = Vec::new();
        let mut left_alone = Vec::new();
        let mut unchanged = 0;
        for e in &self.entries {
            let kind = match e.state {
                FileState::NotOurs if e.is_in_the_way() => {
                    return Err(Error::NotOurs {
                        path: e.path.clone(),
                        why: e.why.as_ref().map_or_else(String::new, ToString::to_string),
                    });
                }
                FileState::NotOurs => {
                    if let Some(why) = &e.why {
                        left_alone.push(LeftAlone {
                            path: e.path.clone(),
                            why: why.clone(),
                        });
                    }
                    continue;
                }
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
                relative: e.relative.clone(),
                contents: e.contents.clone(),
            });
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Plan {
            output: self.output.clone(),
            destination: self.destination.clone(),
            changes,
            unchanged,
            record: self.record.clone(),
            left_alone,
            adopted: self.adopted.iter().map(|r| self.output.join(r)).collect(),
        })
    }

    /// The bytes on disk at `entry`'s path, read without following a link
    /// (what the studio diffs against); `None` when there is no file.
    pub fn read_on_disk(&self, entry: &SurveyEntry) -> Result<Option<Vec<u8>>> {
        check_no_link(&self.output, &entry.relative)?;
        match read_no_follow(&entry.path, None) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&entry.path, e)),
        }
    }
}

/// Compares `files` (paths relative to the output folder) with the folder.
/// Fails if a path is produced twice, would overwrite a file that is not
/// ours, or the folder breaks a rule of this module.
pub fn plan(dest: &Destination, files: &[GeneratedFile]) -> Result<Plan> {
    survey(dest, files)?.plan()
}

/// The state of every generated path, every recorded file and every other
/// marked file under the output folder (nothing is decided or written).
/// Fails if a path is produced twice, a record is unreadable, a link is in
/// the way or the folder cannot be read.
pub fn survey(dest: &Destination, files: &[GeneratedFile]) -> Result<Survey> {
    let output = &dest.output;
    check_output(dest)?;
    let (ours, others) = read_records(dest)?;
    let no_record_yet = ours.is_none();
    let recorded: BTreeSet<String> = ours.map(|r| r.files).unwrap_or_default();
    let other_claim = |relative: &str| {
        others.get(relative).map(|(record, config)| Foreign::OtherConfig {
            config: config.clone(),
            record: record.clone(),
        })
    };

    let mut seen = BTreeSet::new();
    let mut entries = Vec::new();
    let mut adopted = Vec::new();
    for f in files {
        if !seen.insert(f.path.as_str()) {
            return Err(Error::DuplicatePath { path: f.path.clone() });
        }
        check_no_link(output, &f.path)?;
        let path = output.join(&f.path);
        let (state, why) = match fs::symlink_metadata(&path) {
            // Two configs writing one path would undo each other: refused
            // even while the file is absent.
            _ if other_claim(&f.path).is_some() => (FileState::NotOurs, other_claim(&f.path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (FileState::Create, None),
            Err(e) => return Err(Error::io(path, e)),
            Ok(meta) if !meta.is_file() => (FileState::NotOurs, Some(Foreign::NotAFile)),
            Ok(_) => {
                let existing = read_no_follow(&path, None).map_err(|e| Error::io(&path, e))?;
                let head = &existing[..existing.len().min(HEADER_PROBE_BYTES as usize)];
                if !has_header(&String::from_utf8_lossy(head)) {
                    (FileState::NotOurs, Some(Foreign::NoHeader))
                } else if !recorded.contains(&f.path) && !no_record_yet {
                    (FileState::NotOurs, Some(Foreign::Unrecorded { no_record_yet }))
                } else {
                    if !recorded.contains(&f.path) {
                        adopted.push(f.path.clone());
                    }
                    if existing == f.contents.as_bytes() {
                        (FileState::Unchanged, None)
                    } else {
                        (FileState::Update, None)
                    }
                }
            }
        };
        entries.push(SurveyEntry {
            path,
            relative: f.path.clone(),
            state,
            contents: Some(f.contents.clone()),
            why,
        });
    }

    // Files this config recorded that no target produces any more, then
    // every other marked file: listed, never touched.
    let mut rest = Vec::new();
    for relative in recorded.iter().filter(|r| !seen.contains(r.as_str())) {
        check_no_link(output, relative)?;
        let path = output.join(relative);
        let (state, why) = match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(path, e)),
            Ok(meta) if !meta.is_file() => (FileState::NotOurs, Foreign::NotAFile),
            Ok(_) if file_has_header(&path)? => {
                rest.push(SurveyEntry {
                    path,
                    relative: relative.clone(),
                    state: FileState::Remove,
                    contents: None,
                    why: None,
                });
                continue;
            }
            Ok(_) => (FileState::NotOurs, Foreign::NoHeader),
        };
        rest.push(SurveyEntry {
            path,
            relative: relative.clone(),
            state,
            contents: None,
            why: Some(why),
        });
    }
    for path in generated_files_under(output)? {
        let relative = relative_path(output, &path);
        if seen.contains(relative.as_str()) || recorded.contains(&relative) {
            continue;
        }
        let why = other_claim(&relative).unwrap_or(Foreign::Unrecorded { no_record_yet });
        rest.push(SurveyEntry {
            path,
            relative,
            state: FileState::NotOurs,
            contents: None,
            why: Some(why),
        });
    }
    rest.sort_by(|a, b| a.path.cmp(&b.path));
    entries.extend(rest);

    let contents = Record {
        config: dest.config.clone(),
        files: files.iter().map(|f| f.path.clone()).collect(),
    }
    .render();
    let on_disk = match read_no_follow(&dest.record, None) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&dest.record, e)),
    };
    let record = RecordUpdate {
        path: dest.record.clone(),
        existed: on_disk.is_some(),
        changed: on_disk.as_deref() != Some(contents.as_bytes()) && !(on_disk.is_none() && files.is_empty()),
        contents,
        before: recorded,
    };
    Ok(Survey {
        output: output.clone(),
        destination: dest.clone(),
        entries,
        record,
        adopted,
    })
}

/// Applies a plan: the rules are checked again, then (if the plan creates
/// files the record does not list yet) a record listing old and new files,
/// atomic writes, removals (and folders they leave empty, up to the output
/// folder), and the final record.
pub fn apply(plan: &Plan) -> Result<()> {
    let dest = &plan.destination;
    check_output(dest)?;
    for change in &plan.changes {
        check_no_link(&plan.output, &change.relative)?;
    }
    let claimed: BTreeSet<String> = plan
        .changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Remove)
        .map(|c| c.relative.clone())
        .chain(plan.adopted.iter().map(|p| relative_path(&plan.output, p)))
        .collect();
    let intent = !claimed.is_subset(&plan.record.before);
    if intent {
        let union = Record {
            config: dest.config.clone(),
            files: plan.record.before.union(&claimed).cloned().collect(),
        };
        write_atomic(&plan.record.path, &union.render())?;
    }
    for change in &plan.changes {
        match (&change.kind, &change.contents) {
            (ChangeKind::Create | ChangeKind::Update, Some(contents)) => write_atomic(&change.path, contents)?,
            // Only if still a marked file (it was when surveyed).
            (ChangeKind::Remove, _) if file_has_header(&change.path).unwrap_or(false) => {
                fs::remove_file(&change.path).map_err(|e| Error::io(&change.path, e))?;
                remove_empty_parents(&plan.output, &change.path);
            }
            _ => {}
        }
    }
    if plan.record.changed || intent {
        write_atomic(&plan.record.path, &plan.record.contents)?;
    }
    Ok(())
}

/// Writes `contents` to a temporary file next to `path`, then renames it
/// over `path`: readers see the old file or the new one, never a mix. The
/// rename replaces a link at `path` itself, never what it points to.
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

/// Reads `path` (at most `limit` bytes) only if it is a regular file and
/// not a link: the file opened is checked to be the one `lstat` saw, so a
/// link swapped in between is caught too.
pub fn read_no_follow(path: &Path, limit: Option<u64>) -> std::io::Result<Vec<u8>> {
    let before = fs::symlink_metadata(path)?;
    if before.file_type().is_symlink() {
        return Err(std::io::Error::other(
            "is a symbolic link; mizan does not read through links",
        ));
    }
    if !before.is_file() {
        return Err(std::io::Error::other("is not a file"));
    }
    let file = fs::File::open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let after = file.metadata()?;
        if (after.dev(), after.ino()) != (before.dev(), before.ino()) {
            return Err(std::io::Error::other("changed while being opened"));
        }
    }
    let mut out = Vec::new();
    match limit {
        Some(n) => file.take(n).read_to_end(&mut out)?,
        None => (&file).read_to_end(&mut out)?,
    };
    Ok(out)
}

/// The output folder is a real folder (or absent), not a link, and (with a
/// boundary) inside the project once links above it are resolved.
fn check_output(dest: &Destination) -> Result<()> {
    let output = &dest.output;
    match fs::symlink_metadata(output) {
        Ok(m) if m.file_type().is_symlink() => return Err(Error::Symlink { path: output.clone() }),
        Ok(m) if !m.is_dir() => {
            return Err(Error::io(
                output,
                std::io::Error::other("the output folder is not a folder"),
            ));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(output, e)),
    }
    let Some(b) = &dest.boundary else { return Ok(()) };
    let root = fs::canonicalize(&b.root).map_err(|e| Error::io(&b.root, e))?;
    let resolved = resolve_existing(output).map_err(|e| Error::io(output, e))?;
    if resolved.starts_with(&root) {
        return Ok(());
    }
    Err(Error::OutputOutside {
        config: b.config.clone(),
        line: b.line,
        output: output.strip_prefix(&b.root).unwrap_or(output).to_path_buf(),
        root: b.root.clone(),
        resolved: Some(resolved),
    })
}

/// `path` with its longest existing ancestor resolved (links followed) and
/// the rest appended by name.
fn resolve_existing(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = crate::config::normalize(&std::path::absolute(path)?);
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        match fs::canonicalize(existing) {
            Ok(real) => return Ok(rest.iter().rev().fold(real, |p: PathBuf, c| p.join(c))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_os_string());
                    existing = parent;
                }
                _ => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
}

/// Every existing component of `relative` below `output` is a real folder
/// or file, not a link.
fn check_no_link(output: &Path, relative: &str) -> Result<()> {
    let mut path = output.to_path_buf();
    for part in relative.split('/') {
        path.push(part);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => return Err(Error::Symlink { path }),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(())
}

/// This config's record (if any) and, for every other record at the top of
/// the output folder, the files it claims (`path → (record name, config)`).
type Claims = BTreeMap<String, (String, String)>;

fn read_records(dest: &Destination) -> Result<(Option<Record>, Claims)> {
    let parse = |path: &Path| -> Result<Record> {
        let bytes = read_no_follow(path, None).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes).map_err(|_| Error::BadRecord {
            path: path.to_path_buf(),
            line: 1,
            message: "not UTF-8".into(),
        })?;
        Record::parse(&text).map_err(|(line, message)| Error::BadRecord {
            path: path.to_path_buf(),
            line,
            message,
        })
    };
    let entries = match fs::read_dir(&dest.output) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((None, Claims::new())),
        Err(e) => return Err(Error::io(&dest.output, e)),
    };
    let mut ours = None;
    let mut claims = Claims::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&dest.output, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !record::is_record_name(&name) {
            continue;
        }
        let path = entry.path();
        if entry.file_type().map_err(|e| Error::io(&path, e))?.is_symlink() {
            return Err(Error::Symlink { path });
        }
        let r = parse(&path)?;
        if path == dest.record {
            if r.config != dest.config {
                return Err(Error::BadRecord {
                    path,
                    line: 1,
                    message: format!(
                        "it is the record of {}, not of {} (two configs whose names clash: rename one)",
                        r.config, dest.config
                    ),
                });
            }
            ours = Some(r);
        } else {
            for f in r.files {
                claims.insert(f, (name.clone(), r.config.clone()));
            }
        }
    }
    Ok((ours, claims))
}

/// `path` relative to `output`, `/`-separated.
fn relative_path(output: &Path, path: &Path) -> String {
    path.strip_prefix(output)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every regular file under `dir` (recursively, links not followed,
/// [`SKIPPED_DIRS`] and the records skipped) that carries the
/// generated-file header.
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
            let name = entry.file_name();
            if ty.is_dir() {
                if !SKIPPED_DIRS.iter().any(|s| name == *s) {
                    stack.push(path);
                }
            } else if ty.is_file()
                && !(d == dir && record::is_record_name(&name.to_string_lossy()))
                && file_has_header(&path)?
            {
                out.push(path);
            }
        }
    }
    Ok(out)
}

fn file_has_header(path: &Path) -> Result<bool> {
    let head = read_no_follow(path, Some(HEADER_PROBE_BYTES)).map_err(|e| Error::io(path, e))?;
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
