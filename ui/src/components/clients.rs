//! The Clients tab: what `mizan generate` would write, per target — the
//! file tree with each file's state (new, changed, unchanged, stale, not
//! ours), and the selected file highlighted, or its diff against the file
//! on disk. Everything shown is computed by the backend (the codegen's own
//! planner, `syntect`, `similar`); this pane only lays it out.

use leptos::prelude::*;

use crate::api::{self, DiffHunk, DiffTag, FilePreview, FileState, PreviewFile, PreviewFileParams, PreviewView};
use crate::context::views::use_workspace;

/// One row of the file tree: a folder or a file, indented by `depth`.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeRow {
    /// Nesting level (0: a target's top level).
    pub depth: usize,
    /// The folder's or file's own name.
    pub label: String,
    /// The file's path relative to the output folder (None for a folder).
    pub path: Option<String>,
    /// The file's state (None for a folder).
    pub state: Option<FileState>,
}

/// The rows of one target's files as a tree: a folder row before the
/// first file below it, files in the order given (generation order),
/// grouped under their folders.
pub fn tree_rows(files: &[PreviewFile]) -> Vec<TreeRow> {
    let mut sorted: Vec<&PreviewFile> = files.iter().collect();
    // Folders together: sort by the folder part only (stable: files keep
    // their order inside a folder).
    sorted.sort_by(|a, b| folder_of(&a.path).cmp(folder_of(&b.path)));
    let mut rows = Vec::new();
    let mut open: Vec<&str> = Vec::new();
    for f in sorted {
        let parts: Vec<&str> = f.path.split('/').collect();
        let (dirs, name) = parts.split_at(parts.len() - 1);
        let shared = open.iter().zip(dirs).take_while(|(a, b)| a == b).count();
        open.truncate(shared);
        for (depth, dir) in dirs.iter().enumerate().skip(shared) {
            rows.push(TreeRow {
                depth,
                label: format!("{dir}/"),
                path: None,
                state: None,
            });
            open.push(dir);
        }
        rows.push(TreeRow {
            depth: dirs.len(),
            label: name[0].to_owned(),
            path: Some(f.path.clone()),
            state: Some(f.state),
        });
    }
    rows
}

fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// What a state means, in a sentence.
pub fn state_sentence(state: FileState) -> &'static str {
    match state {
        FileState::Create => "New: Regenerate creates it.",
        FileState::Update => "Changed: Regenerate rewrites it with what is shown.",
        FileState::Unchanged => "Up to date: the file on disk is what the IR generates.",
        FileState::Remove => "Stale: Mizan generated it, no target produces it now; Regenerate removes it.",
        FileState::NotOurs => "Not ours: Mizan did not write this file for this project's config (no header, or not in its record). Regenerate never touches it, and refuses while it is in the way of a generated file.",
    }
}

/// The short label of a state in the tree.
fn state_label(state: FileState) -> &'static str {
    match state {
        FileState::Create => "new",
        FileState::Update => "changed",
        FileState::Unchanged => "",
        FileState::Remove => "stale",
        FileState::NotOurs => "not ours",
    }
}

/// The file to show when none is chosen (or the chosen one is gone): the
/// first that Regenerate would change, else the first file.
pub fn default_file(view: &PreviewView) -> Option<(String, String)> {
    let all = || {
        view.targets
            .iter()
            .flat_map(|t| t.files.iter().map(move |f| (t.target.as_str(), f)))
            .chain(view.stale.iter().map(|f| ("", f)))
    };
    all()
        .find(|(_, f)| f.state != FileState::Unchanged)
        .or_else(|| all().next())
        .map(|(t, f)| (t.to_owned(), f.path.clone()))
}

/// Whether `(target, path)` is still in the plan.
fn contains(view: &PreviewView, target: &str, path: &str) -> bool {
    view.targets
        .iter()
        .any(|t| t.target == target && t.files.iter().any(|f| f.path == path))
        || (target.is_empty() && view.stale.iter().any(|f| f.path == path))
}

/// The Clients tab.
#[component]
pub fn Clients() -> impl IntoView {
    let views = use_workspace();
    let plan = views.preview.preview_plan();
    let chosen: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    // Keep a choice that still exists; otherwise show the default file.
    let shown = Memo::new(move |_| {
        let view = plan.get()?;
        match chosen.get() {
            Some((t, p)) if contains(&view, &t, &p) => Some((t, p)),
            _ => default_file(&view),
        }
    });

    view! {
        <div class="clients" data-testid="clients">
            <div class="clients-body">
                {move || match plan.get() {
                    None => view! { <div class="file-tree"><div class="skeleton"></div></div> }.into_any(),
                    Some(v) if v.error.is_some() => {
                        view! {
                            <div class="file-tree">
                                <div class="file-tree-head">
                                    <h3>"Nothing to preview"</h3>
                                    <pre class="mono error-text small wrap">{v.error.clone()}</pre>
                                </div>
                            </div>
                        }
                            .into_any()
                    }
                    Some(v) => view! { <FileTree view=v chosen=chosen shown=shown/> }.into_any(),
                }}
                // Only follows the shown file: a new plan (a save, a
                // regenerate) refetches the file in place, no remount.
                {move || shown.get().map(|(target, path)| view! { <FilePane target=target path=path/> })}
            </div>
        </div>
    }
}

/// The plan's summary and every target's files.
#[component]
fn FileTree(
    view: PreviewView,
    chosen: RwSignal<Option<(String, String)>>,
    shown: Memo<Option<(String, String)>>,
) -> impl IntoView {
    let summary = format!(
        "{} to create · {} to update · {} unchanged · {} to remove",
        view.create, view.update, view.unchanged, view.remove
    );
    let refuses = (view.not_ours > 0).then(|| {
        format!(
            "{} path{} in the way that Mizan did not write: Regenerate refuses until {} moved.",
            view.not_ours,
            if view.not_ours == 1 { " is" } else { "s are" },
            if view.not_ours == 1 { "it is" } else { "they are" }
        )
    });
    let mut groups: Vec<(String, String, Vec<PreviewFile>)> = view
        .targets
        .iter()
        .map(|t| (t.target.clone(), t.target.clone(), t.files.clone()))
        .collect();
    if !view.stale.is_empty() {
        groups.push((String::new(), "not generated now".to_owned(), view.stale.clone()));
    }
    view! {
        <nav class="file-tree" aria-label="Generated files" data-testid="preview-tree">
            <div class="file-tree-head">
                <div class="muted small" data-testid="preview-summary">{summary}</div>
                <div class="mono small muted output-dir" title="Output folder">{view.output.clone()}</div>
                {refuses.map(|r| view! { <p class="error-text small">{r}</p> })}
            </div>
            {groups
                .into_iter()
                .map(|(target, title, files)| {
                    let changed = files.iter().filter(|f| f.state != FileState::Unchanged).count();
                    let rows = tree_rows(&files);
                    view! {
                        <section class="target-group">
                            <h3 class="target-title">
                                <span class="mono">{title}</span>
                                <span class="muted small">
                                    {match (changed, files.len()) {
                                        (0, 1) => "1 file".to_owned(),
                                        (0, n) => format!("{n} files"),
                                        (c, n) => format!("{c} of {n} to write"),
                                    }}
                                </span>
                            </h3>
                            <ul class="tree">
                                {rows
                                    .into_iter()
                                    .map(|row| tree_row(row, target.clone(), chosen, shown))
                                    .collect_view()}
                            </ul>
                        </section>
                    }
                })
                .collect_view()}
        </nav>
    }
}

fn tree_row(
    row: TreeRow,
    target: String,
    chosen: RwSignal<Option<(String, String)>>,
    shown: Memo<Option<(String, String)>>,
) -> AnyView {
    let indent = format!("padding-left: {}px", 10 + row.depth * 14);
    let Some((path, state)) = row.path.zip(row.state) else {
        return view! { <li class="tree-dir mono" style=indent>{row.label}</li> }.into_any();
    };
    let key = (target.clone(), path.clone());
    let is_shown = {
        let key = key.clone();
        move || shown.with(|s| s.as_ref() == Some(&key))
    };
    let label = state_label(state);
    view! {
        <li>
            <button
                class="tree-file"
                class:selected=is_shown.clone()
                aria-current=move || is_shown().then_some("true")
                style=indent
                title=format!("{path} — {}", state_sentence(state))
                data-testid="preview-file-item"
                data-target=target
                data-path=path.clone()
                data-state=state.as_str()
                on:click=move |_| chosen.set(Some(key.clone()))
            >
                <span class=format!("state-dot state-{state}") aria-hidden="true"></span>
                <span class="mono name">{row.label}</span>
                {(!label.is_empty()).then(|| view! { <span class=format!("tag state-{state}")>{label}</span> })}
            </button>
        </li>
    }
    .into_any()
}

/// Which rendering of a file shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Only what changes, with context.
    Changes,
    /// The whole generated file.
    Whole,
}

/// One file: header, state, and its contents or its diff.
#[component]
fn FilePane(target: String, path: String) -> impl IntoView {
    let params = PreviewFileParams {
        target: target.clone(),
        path: path.clone(),
    };
    let file = api::use_preview_file_context(params);
    let preview = file.file_preview();
    let mode = RwSignal::new(Mode::Changes);

    view! {
        <section class="file-pane" data-testid="preview-file" data-path=path.clone()>
            {move || match (preview.get(), file.error.get()) {
                (_, Some(e)) => view! { <p class="error-text file-pane-empty">{e.message}</p> }.into_any(),
                (None, None) => view! { <div class="file-pane-empty"><div class="skeleton"></div></div> }.into_any(),
                (Some(f), None) => {
                    let has_diff = !f.hunks.is_empty();
                    let showing = if has_diff { mode.get() } else { Mode::Whole };
                    view! {
                        <header class="file-head">
                            <div class="file-title">
                                <span class="mono file-path">{f.path.clone()}</span>
                                <span class="tag mono">{f.target.clone()}</span>
                                <span class=format!("tag state-{}", f.state) data-testid="preview-state">
                                    {match state_label(f.state) {
                                        "" => "up to date",
                                        label => label,
                                    }}
                                </span>
                                {has_diff
                                    .then(|| {
                                        view! {
                                            <span class="diffstat mono small">
                                                <span class="plus">{format!("+{}", f.added)}</span>
                                                " "
                                                <span class="minus">{format!("−{}", f.removed)}</span>
                                            </span>
                                        }
                                    })}
                                <span class="spacer"></span>
                                <span class="muted small">{f.language.clone()}</span>
                                <div class="segmented" role="group" aria-label="Show">
                                    <button
                                        class:active=showing == Mode::Changes
                                        disabled=!has_diff
                                        title=if has_diff { "Only the changed lines, with context" } else { "Nothing differs from the file on disk" }
                                        on:click=move |_| mode.set(Mode::Changes)
                                    >
                                        "Changes"
                                    </button>
                                    <button class:active=showing == Mode::Whole on:click=move |_| mode.set(Mode::Whole)>
                                        "Whole file"
                                    </button>
                                </div>
                            </div>
                            <p class="muted small file-state-text">{state_sentence(f.state)}</p>
                        </header>
                        {match showing {
                            Mode::Changes => diff_view(&f.hunks).into_any(),
                            Mode::Whole => whole_view(&f).into_any(),
                        }}
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// The whole file: a line-number gutter beside the highlighted text (one
/// `innerHTML`, so a 10,000-line client is one DOM update).
fn whole_view(f: &FilePreview) -> impl IntoView + use<> {
    let lines = f.html.matches('\n').count() + 1;
    let gutter: String = (1..=lines).map(|n| format!("{n}\n")).collect();
    view! {
        <div class="code-scroll" data-testid="preview-code">
            <pre class="gutter mono" aria-hidden="true">{gutter}</pre>
            <pre class="code-text mono"><code class="hl-code" inner_html=f.html.clone()></code></pre>
        </div>
    }
}

/// The diff: each hunk's header, then its lines with both line numbers.
fn diff_view(hunks: &[DiffHunk]) -> impl IntoView + use<> {
    let hunks = hunks.to_vec();
    view! {
        <div class="code-scroll" data-testid="preview-diff">
            <table class="diff mono hl-code">
                {hunks
                    .into_iter()
                    .map(|h| {
                        view! {
                            <tbody>
                                <tr class="hunk-head">
                                    <td colspan="4">{h.header}</td>
                                </tr>
                                {h
                                    .lines
                                    .into_iter()
                                    .map(|l| {
                                        let mark = match l.tag {
                                            DiffTag::Insert => "+",
                                            DiffTag::Delete => "−",
                                            DiffTag::Equal => " ",
                                        };
                                        view! {
                                            <tr class=format!("diff-line {}", l.tag) data-tag=l.tag.as_str()>
                                                <td class="ln">{l.old_line.map(|n| n.to_string())}</td>
                                                <td class="ln">{l.new_line.map(|n| n.to_string())}</td>
                                                <td class="mark">{mark}</td>
                                                <td class="text" inner_html=l.html></td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        }
                    })
                    .collect_view()}
            </table>
        </div>
    }
}

/// The highlighting theme (light and dark, from the backend), once per
/// workspace (the Clients and Source tabs use it).
#[component]
pub fn ThemeStyle() -> impl IntoView {
    let theme = api::use_theme_context();
    move || {
        theme.data.get().map(|t| {
            let css = format!(
                "@media (prefers-color-scheme: light) {{\n{}\n}}\n@media (prefers-color-scheme: dark) {{\n{}\n}}",
                t.highlight_theme.light_css, t.highlight_theme.dark_css
            );
            view! { <style>{css}</style> }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, state: FileState) -> PreviewFile {
        PreviewFile {
            path: path.into(),
            state,
            bytes: 1,
        }
    }

    #[test]
    fn the_tree_groups_files_under_their_folders_once() {
        let rows = tree_rows(&[
            file("ts/client.ts", FileState::Create),
            file("react/hooks.ts", FileState::Update),
            file("ts/wire/types.ts", FileState::Unchanged),
            file("ts/index.ts", FileState::Unchanged),
            file("README.md", FileState::Create),
        ]);
        let shown: Vec<(usize, &str)> = rows.iter().map(|r| (r.depth, r.label.as_str())).collect();
        assert_eq!(
            shown,
            [
                (0, "README.md"),
                (0, "react/"),
                (1, "hooks.ts"),
                (0, "ts/"),
                (1, "client.ts"),
                (1, "index.ts"),
                (1, "wire/"),
                (2, "types.ts"),
            ]
        );
        assert_eq!(rows[2].path.as_deref(), Some("react/hooks.ts"));
        assert!(rows[1].path.is_none(), "a folder row selects nothing");
    }

    #[test]
    fn the_default_file_is_the_first_that_would_change() {
        let mut view = PreviewView {
            output: None,
            targets: vec![api::TargetPreview {
                target: "ts".into(),
                files: vec![file("a.ts", FileState::Unchanged), file("b.ts", FileState::Update)],
            }],
            stale: vec![],
            create: 0,
            update: 1,
            unchanged: 1,
            remove: 0,
            not_ours: 0,
            error: None,
        };
        assert_eq!(default_file(&view), Some(("ts".into(), "b.ts".into())));
        view.targets[0].files[1].state = FileState::Unchanged;
        assert_eq!(default_file(&view), Some(("ts".into(), "a.ts".into())));
        view.stale.push(file("old.ts", FileState::Remove));
        assert_eq!(default_file(&view), Some((String::new(), "old.ts".into())));
        assert!(contains(&view, "", "old.ts") && !contains(&view, "ts", "old.ts"));
    }
}
