//! Client previews and regeneration through the codegen's own planner and
//! writer (`mizan_codegen::writer::survey` / `plan` / `apply`): same rules
//! as `mizan generate` — only files the config's record lists are replaced
//! or removed (other marked files are listed as not ours), writes are
//! atomic, and nothing on disk is read through a link (the survey refuses
//! links; files are read with `Survey::read_on_disk`).

use crate::error::StudioError;
use crate::highlight::Highlighter;
use crate::models::{
    DiffHunk, DiffLine, DiffTag, FilePreview, PreviewFile, PreviewView, RegenerateSummary, RegenerateTrigger,
    TargetPreview,
};
use crate::project::Snapshot;
use mizan_codegen::writer::{self, Destination, FileState, Survey};
use mizan_codegen::{Config, GeneratedFile};
use similar::{ChangeTag, TextDiff};
use std::collections::HashMap;
use std::time::Instant;

/// Lines of context around each diff hunk.
const CONTEXT_LINES: usize = 3;

fn survey(snapshot: &Snapshot, config: &Config) -> Result<(Survey, HashMap<String, String>), StudioError> {
    let rendered = snapshot.rendered(config).map_err(StudioError::NoIr)?;
    let mut owner = HashMap::new();
    let mut files: Vec<GeneratedFile> = Vec::new();
    for (target, fs) in rendered {
        for f in fs {
            owner.insert(f.path.clone(), target.name().to_owned());
            files.push(f.clone());
        }
    }
    Ok((writer::survey(&Destination::of(config), &files)?, owner))
}

/// What `mizan generate` would do, per target.
pub fn preview(snapshot: &Snapshot, config: &Config) -> PreviewView {
    let mut view = PreviewView {
        output: Some(config.output.display().to_string()),
        ..PreviewView::default()
    };
    let (survey, owner) = match survey(snapshot, config) {
        Ok(s) => s,
        Err(e) => {
            view.error = Some(e.to_string());
            return view;
        }
    };
    let mut by_target: Vec<TargetPreview> = config
        .targets
        .iter()
        .map(|t| TargetPreview {
            target: t.name().to_owned(),
            files: Vec::new(),
        })
        .collect();
    for e in &survey.entries {
        let bytes = match &e.contents {
            Some(c) => c.len() as i64,
            None => std::fs::symlink_metadata(&e.path).map(|m| m.len() as i64).unwrap_or(0),
        };
        let file = PreviewFile {
            path: e.relative.clone(),
            state: file_state(e.state),
            bytes,
        };
        match e.state {
            FileState::Create => view.create += 1,
            FileState::Update => view.update += 1,
            FileState::Unchanged => view.unchanged += 1,
            FileState::Remove => view.remove += 1,
            FileState::NotOurs if e.is_in_the_way() => view.not_ours += 1,
            FileState::NotOurs => {}
        }
        match owner
            .get(&e.relative)
            .and_then(|t| by_target.iter_mut().find(|p| &p.target == t))
        {
            Some(target) if e.state != FileState::Remove => target.files.push(file),
            _ => view.stale.push(file),
        }
    }
    view.targets = by_target;
    view
}

/// How many lines [`warm`] highlights ahead of a click, at most: all of a
/// usual project's files, a bounded share of a huge one's.
pub const WARM_LINES: usize = 20_000;

/// Highlights the plan's files (and, for changed ones, what is on disk),
/// in the Clients tab's order, until [`WARM_LINES`] lines were seen or
/// `current()` turns false (a newer plan).
pub fn warm(snapshot: &Snapshot, config: &Config, highlighter: &Highlighter, current: impl Fn() -> bool) {
    let Ok((survey, _)) = survey(snapshot, config) else {
        return;
    };
    let mut lines = 0;
    for e in &survey.entries {
        let on_disk = matches!(e.state, FileState::Update | FileState::Remove)
            .then(|| survey.read_on_disk(e).ok().flatten())
            .flatten()
            .and_then(|b| String::from_utf8(b).ok());
        for text in [e.contents.as_ref(), on_disk.as_ref()].into_iter().flatten() {
            lines += text.lines().count();
            if lines > WARM_LINES || !current() {
                return;
            }
            highlighter.lines(&e.relative, text);
        }
    }
}

/// One file, highlighted, with its diff against disk.
pub fn file_preview(
    snapshot: &Snapshot,
    config: &Config,
    highlighter: &Highlighter,
    target: &str,
    path: &str,
) -> Result<FilePreview, StudioError> {
    let (survey, owner) = survey(snapshot, config)?;
    let entry = survey
        .entries
        .iter()
        .find(|e| e.relative == path && (owner.get(path).is_some_and(|t| t == target) || e.contents.is_none()))
        .ok_or_else(|| StudioError::Unknown {
            what: "file",
            name: format!("{target}/{path}"),
        })?;
    let on_disk = match entry.state {
        FileState::Update | FileState::Remove | FileState::NotOurs => survey
            .read_on_disk(entry)
            .ok()
            .flatten()
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
        _ => None,
    };
    let shown = entry.contents.clone().or_else(|| on_disk.clone()).unwrap_or_default();
    let new_lines = highlighter.lines(path, &shown);
    let mut hunks = Vec::new();
    let (mut added, mut removed) = (0, 0);
    if let (Some(old), Some(new)) = (&on_disk, &entry.contents) {
        let old_lines = highlighter.lines(path, old);
        let diff = TextDiff::from_lines(old.as_str(), new.as_str());
        for group in diff.grouped_ops(CONTEXT_LINES) {
            let (Some(first), Some(last)) = (group.first(), group.last()) else {
                continue;
            };
            let (o, n) = (first.old_range().start, first.new_range().start);
            let (o_end, n_end) = (last.old_range().end, last.new_range().end);
            let mut lines = Vec::new();
            for op in &group {
                for change in diff.iter_changes(op) {
                    let (tag, html) = match change.tag() {
                        ChangeTag::Equal => (DiffTag::Equal, change.new_index().and_then(|i| new_lines.get(i))),
                        ChangeTag::Insert => {
                            added += 1;
                            (DiffTag::Insert, change.new_index().and_then(|i| new_lines.get(i)))
                        }
                        ChangeTag::Delete => {
                            removed += 1;
                            (DiffTag::Delete, change.old_index().and_then(|i| old_lines.get(i)))
                        }
                    };
                    lines.push(DiffLine {
                        tag,
                        old_line: change.old_index().map(|i| i as i64 + 1),
                        new_line: change.new_index().map(|i| i as i64 + 1),
                        html: html.cloned().unwrap_or_default(),
                    });
                }
            }
            hunks.push(DiffHunk {
                header: format!("@@ -{},{} +{},{} @@", o + 1, o_end - o, n + 1, n_end - n),
                lines,
            });
        }
    }
    Ok(FilePreview {
        target: owner.get(path).cloned().unwrap_or_else(|| target.to_owned()),
        path: path.to_owned(),
        state: file_state(entry.state),
        language: highlighter.language(path),
        html: new_lines.join("\n"),
        hunks,
        added,
        removed,
    })
}

/// Writes the plan (refusing, like `mizan generate`, when a path is not
/// ours): created, updated, removed, unchanged and the time taken.
pub fn regenerate(
    snapshot: &Snapshot,
    config: &Config,
    trigger: RegenerateTrigger,
) -> Result<RegenerateSummary, StudioError> {
    let started = Instant::now();
    let (survey, _) = survey(snapshot, config)?;
    let plan = survey.plan()?;
    writer::apply(&plan)?;
    let count = |k: writer::ChangeKind| plan.changes.iter().filter(|c| c.kind == k).count() as i64;
    let created = count(writer::ChangeKind::Create);
    let updated = count(writer::ChangeKind::Update);
    Ok(RegenerateSummary {
        written: created + updated,
        created,
        updated,
        removed: count(writer::ChangeKind::Remove),
        unchanged: plan.unchanged as i64,
        paths: plan
            .changes
            .iter()
            .map(|c| {
                c.path
                    .strip_prefix(&plan.output)
                    .unwrap_or(&c.path)
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        trigger,
        error: None,
    })
}

/// The writer's state of a file as the UI shows it.
fn file_state(state: FileState) -> crate::models::FileState {
    match state {
        FileState::Create => crate::models::FileState::Create,
        FileState::Update => crate::models::FileState::Update,
        FileState::Unchanged => crate::models::FileState::Unchanged,
        FileState::Remove => crate::models::FileState::Remove,
        FileState::NotOurs => crate::models::FileState::NotOurs,
    }
}
