//! The studio's server functions: its whole API, in its own IR
//! (`studio.kdl`), which the UI's generated Leptos client is built from.
//!
//! Contexts are the views (every member `cache = false`: it is live local
//! state, never worth an origin cache); mutations declare what they change
//! with `affects`, so the UI never writes a refetch. Changes that happen
//! without a mutation (a watched save, a job finishing) are published by
//! the [`Studio`]. Every function reads the `Arc<Studio>` from the request's
//! `Extensions`.

use crate::error::StudioError;
use crate::layout;
use crate::live::api::{LiveCtx, LiveStatusCtx, ReplaysCtx, TrafficCtx, TrafficEventCtx, TrafficSummaryCtx};
use crate::models::*;
use crate::studio::{Studio, Trigger};
use crate::{browse, export, preview};
use mizan::{MizanError, RequestHandle};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The open project: summary, config, targets, load status, recent list.
/// The contexts that do not depend on the open project (the highlighting
/// theme, the shell's abilities): every other context is affected by what
/// opens, closes or reloads a project (`tests/ir.rs` holds the lists to it).
pub const PROJECT_INDEPENDENT_CONTEXTS: [&str; 2] = ["theme", "shell"];

#[mizan::context("project")]
pub struct ProjectCtx;
/// The IR text, highlighted: its own view, mounted only where it is shown
/// (for the 2,000-function IR it is ~7 MB that every project refetch
/// carried while it was a member of `project`).
#[mizan::context("source")]
pub struct SourceCtx;
/// The invalidation graph, laid out.
#[mizan::context("graph")]
pub struct GraphCtx;
/// The path between two graph nodes.
#[mizan::context("trace")]
pub struct TraceCtx;
/// The lists: contexts, mutations, functions and types, a row each.
#[mizan::context("browse")]
pub struct BrowseCtx;
/// One item in full (the inspector).
#[mizan::context("item")]
pub struct ItemCtx;
/// Check diagnostics of the last load.
#[mizan::context("diagnostics")]
pub struct DiagnosticsCtx;
/// What `mizan generate` would write, per target.
#[mizan::context("preview")]
pub struct PreviewCtx;
/// One generated file, highlighted, with its diff against disk.
#[mizan::context("preview_file")]
pub struct PreviewFileCtx;
/// Long steps, the watcher and the last regenerate.
#[mizan::context("activity")]
pub struct ActivityCtx;
/// CSS of the highlighting.
#[mizan::context("theme")]
pub struct ThemeCtx;
/// What the window lends the studio (folder picker, drops) and the last drop.
#[mizan::context("shell")]
pub struct ShellCtx;

fn studio<'a>(req: &RequestHandle<'a>) -> Result<&'a Arc<Studio>, MizanError> {
    req.state::<Arc<Studio>>()
}

fn fail(e: StudioError) -> MizanError {
    e.into_mizan()
}

// ---- contexts ----------------------------------------------------------

/// The open project (`state: closed` when none).
#[mizan::client(context = ProjectCtx, cache = false)]
pub async fn project_info(req: &RequestHandle<'_>) -> Result<ProjectView, MizanError> {
    Ok(studio(req)?.project_view())
}

/// The IR text: the last load attempt and the one on screen, highlighted.
#[mizan::client(context = SourceCtx, cache = false)]
pub async fn ir_source(req: &RequestHandle<'_>) -> Result<IrSource, MizanError> {
    Ok(studio(req)?.ir_source())
}

/// Recently opened projects, most recent first (persisted).
#[mizan::client(context = ProjectCtx, cache = false)]
pub async fn recent_projects(req: &RequestHandle<'_>) -> Result<Vec<RecentProject>, MizanError> {
    Ok(studio(req)?.recent())
}

/// The graph laid out: the full graph (small projects, or `full`), a
/// node's ancestors and descendants (`focus`), a context with what reaches
/// it (`in_context`), or the overview of a large graph.
#[mizan::client(context = GraphCtx, cache = false)]
pub async fn graph_view(
    req: &RequestHandle<'_>,
    focus: Option<String>,
    in_context: Option<String>,
    full: Option<bool>,
) -> Result<GraphView, MizanError> {
    studio(req)?
        .graph(focus, in_context, full.unwrap_or(false))
        .await
        .map_err(fail)
}

/// The path between two nodes with the reason for each edge.
#[mizan::client(context = TraceCtx, cache = false)]
pub async fn trace_path(req: &RequestHandle<'_>, from: String, to: String) -> Result<TraceView, MizanError> {
    let (snapshot, _) = studio(req)?.snapshot().map_err(fail)?;
    layout::trace(&snapshot, &from, &to).map_err(fail)
}

/// A row per function that is not a mutation.
#[mizan::client(context = BrowseCtx, cache = false)]
pub async fn list_functions(req: &RequestHandle<'_>) -> Result<Vec<ItemSummary>, MizanError> {
    let (snapshot, _) = studio(req)?.snapshot().map_err(fail)?;
    Ok(browse::function_rows(&snapshot))
}

/// A row per context.
#[mizan::client(context = BrowseCtx, cache = false)]
pub async fn list_contexts(req: &RequestHandle<'_>) -> Result<Vec<ItemSummary>, MizanError> {
    let (snapshot, _) = studio(req)?.snapshot().map_err(fail)?;
    Ok(browse::context_rows(&snapshot))
}

/// A row per named type.
#[mizan::client(context = BrowseCtx, cache = false)]
pub async fn list_types(req: &RequestHandle<'_>) -> Result<Vec<ItemSummary>, MizanError> {
    let (snapshot, _) = studio(req)?.snapshot().map_err(fail)?;
    Ok(browse::type_rows(&snapshot))
}

/// A row per mutation.
#[mizan::client(context = BrowseCtx, cache = false)]
pub async fn list_mutations(req: &RequestHandle<'_>) -> Result<Vec<ItemSummary>, MizanError> {
    let (snapshot, _) = studio(req)?.snapshot().map_err(fail)?;
    Ok(browse::mutation_rows(&snapshot))
}

/// Everything about one item: `ctx:NAME`, `fn:NAME` or `type:NAME`.
#[mizan::client(context = ItemCtx, cache = false)]
pub async fn item_detail(req: &RequestHandle<'_>, id: String) -> Result<ItemDetail, MizanError> {
    let (snapshot, _) = studio(req)?.snapshot().map_err(fail)?;
    Ok(browse::detail(&snapshot, &id))
}

/// Every diagnostic of the last load.
#[mizan::client(context = DiagnosticsCtx, cache = false)]
pub async fn diagnostic_list(req: &RequestHandle<'_>) -> Result<DiagnosticsView, MizanError> {
    Ok(studio(req)?.diagnostics())
}

/// The file tree `mizan generate` would write, with each file's state.
#[mizan::client(context = PreviewCtx, cache = false)]
pub async fn preview_plan(req: &RequestHandle<'_>) -> Result<PreviewView, MizanError> {
    let studio = studio(req)?;
    let (snapshot, config) = studio.snapshot().map_err(fail)?;
    studio.warm_previews(snapshot.clone(), config.clone());
    tokio::task::spawn_blocking(move || preview::preview(&snapshot, &config))
        .await
        .map_err(|e| MizanError::internal(e.to_string()))
}

/// One file of a target, highlighted, with its diff against disk.
#[mizan::client(context = PreviewFileCtx, cache = false)]
pub async fn file_preview(req: &RequestHandle<'_>, target: String, path: String) -> Result<FilePreview, MizanError> {
    let studio = studio(req)?.clone();
    let (snapshot, config) = studio.snapshot().map_err(fail)?;
    // The first file shown: the others are highlighted ahead of a click.
    if studio.previews_shown() {
        studio.warm_previews(snapshot.clone(), config.clone());
    }
    tokio::task::spawn_blocking(move || preview::file_preview(&snapshot, &config, studio.highlighter(), &target, &path))
        .await
        .map_err(|e| MizanError::internal(e.to_string()))?
        .map_err(fail)
}

/// Long steps, the watcher and the last regenerate.
#[mizan::client(context = ActivityCtx, cache = false)]
pub async fn activity_status(req: &RequestHandle<'_>) -> Result<ActivityView, MizanError> {
    Ok(studio(req)?.activity())
}

/// CSS for the highlighted HTML, light and dark.
#[mizan::client(context = ThemeCtx, cache = false)]
pub async fn highlight_theme(_req: &RequestHandle<'_>) -> HighlightTheme {
    let (light_css, dark_css) = crate::highlight::Highlighter::theme_css();
    HighlightTheme { light_css, dark_css }
}

/// What the window around the studio offers: a folder picker and drops
/// in the desktop app, neither in web mode; the last drop's outcome.
#[mizan::client(context = ShellCtx, cache = false)]
pub async fn shell_view(req: &RequestHandle<'_>) -> Result<ShellView, MizanError> {
    Ok(studio(req)?.shell_view())
}

// ---- calls -------------------------------------------------------------

/// The UI reports that it painted `stage` (`shell`, `content`): with
/// `MIZAN_STUDIO_TIMING` set the app prints the time since it started
/// (`scripts/bench-studio`); otherwise nothing happens. True when timed.
#[mizan::client]
pub async fn ui_painted(req: &RequestHandle<'_>, stage: String) -> Result<bool, MizanError> {
    Ok(studio(req)?.ui_painted(&stage).is_some())
}

/// What calling `mutation` with `args` would tell clients: exactly the
/// core's `{invalidate, merge}` and the `X-Mizan-Invalidate` header.
/// `result` stands in for the mutation's result in merge entries.
#[mizan::client]
pub async fn whatif(
    req: &RequestHandle<'_>,
    mutation: String,
    args: Option<Map<String, Value>>,
    result: Option<Value>,
) -> Result<WhatIf, MizanError> {
    let (snapshot, _) = studio(req)?.snapshot().map_err(fail)?;
    let known = snapshot.parsed.ir.function(&mutation).is_some_and(|f| f.is_mutation());
    if !known {
        return Err(fail(StudioError::Unknown {
            what: "mutation",
            name: mutation,
        }));
    }
    let args = args.unwrap_or_default();
    let resolution = snapshot
        .index
        .resolve(&mutation, &args, &result.unwrap_or(Value::Null))
        .map_err(|e| MizanError::bad_request(e.to_string()))?;
    let mut reached = Vec::new();
    let mut push = |node: String, how: Reach| {
        if !reached.iter().any(|r: &Reached| r.node == node) {
            reached.push(Reached { node, how });
        }
    };
    for i in &resolution.invalidate {
        if let mizan_core::invalidation::Invalidation::Scoped(s) = i
            && let Some(f) = &s.function
        {
            push(format!("fn:{f}"), Reach::Invalidated);
        }
        push(format!("ctx:{}", i.context()), Reach::Invalidated);
    }
    for m in &resolution.merge {
        push(format!("ctx:{}", m.context), Reach::Merged);
    }
    let header = mizan_core::header::format(&resolution.invalidate);
    Ok(WhatIf {
        mutation,
        invalidate: serde_json::to_value(&resolution.invalidate).unwrap_or(Value::Null),
        merge: serde_json::to_value(&resolution.merge).unwrap_or(Value::Null),
        header: (!header.is_empty()).then_some(header),
        reached,
    })
}

/// The graph as a file to share: `mermaid` is the core's flowchart of the
/// whole IR (exactly `mizan ir graph --format mermaid`); `svg` a standalone
/// drawing (styles inlined) of the view `focus` / `in_context` / `full`
/// select, as `graph_view` lays it out.
#[mizan::client]
pub async fn graph_export(
    req: &RequestHandle<'_>,
    format: ExportFormat,
    focus: Option<String>,
    in_context: Option<String>,
    full: Option<bool>,
) -> Result<GraphExport, MizanError> {
    export_view(studio(req)?, format, focus, in_context, full).await
}

/// The export of the view `focus` / `in_context` / `full` select.
async fn export_view(
    studio: &Studio,
    format: ExportFormat,
    focus: Option<String>,
    in_context: Option<String>,
    full: Option<bool>,
) -> Result<GraphExport, MizanError> {
    let (snapshot, _) = studio.snapshot().map_err(fail)?;
    let view = studio
        .graph(focus, in_context, full.unwrap_or(false))
        .await
        .map_err(fail)?;
    Ok(export::export(&snapshot, format, &view))
}

/// Writes `graph_export`'s file into the project folder
/// (`<project>/mizan-graph.svg` or `.mmd`): the desktop window's webview
/// drops `<a download>` links, so it saves here instead. It replaces only
/// an earlier export (marked by its first line), else takes the next free
/// name (`mizan-graph-2.svg`, …); never through a link. Nothing the studio
/// shows changes, so it affects no context.
#[mizan::client]
pub async fn save_graph_export(
    req: &RequestHandle<'_>,
    format: ExportFormat,
    focus: Option<String>,
    in_context: Option<String>,
    full: Option<bool>,
) -> Result<SavedExport, MizanError> {
    let studio = studio(req)?;
    let file = export_view(studio, format, focus, in_context, full).await?;
    let (path, bytes) = export::save(&studio.root().map_err(fail)?, &file).map_err(fail)?;
    Ok(SavedExport {
        format,
        path: path.display().to_string(),
        bytes: bytes as i64,
    })
}

// ---- mutations ---------------------------------------------------------

/// Opens a project folder (or the one below it holding `mizan.toml`;
/// several: lists them and opens nothing). The argument is `folder`, not
/// `path`: an argument scopes the affected contexts' params of the same
/// name, and `preview_file`'s `path` is a generated file's.
#[mizan::client(affects = [ProjectCtx, SourceCtx, GraphCtx, TraceCtx, BrowseCtx, ItemCtx, DiagnosticsCtx, PreviewCtx, PreviewFileCtx, ActivityCtx, LiveCtx, LiveStatusCtx, ReplaysCtx, TrafficCtx, TrafficEventCtx, TrafficSummaryCtx])]
pub async fn open_project(req: &RequestHandle<'_>, folder: String) -> Result<OpenOutcome, MizanError> {
    let studio = studio(req)?;
    studio.open(std::path::Path::new(&folder)).await.map_err(fail)
}

/// Shows the native folder picker and opens the chosen folder like
/// `open_project` (`null`: cancelled, nothing changed). `NOT_IMPLEMENTED`
/// in web mode, which has no picker (`shell.folder_picker` says so).
#[mizan::client(affects = [ProjectCtx, SourceCtx, GraphCtx, TraceCtx, BrowseCtx, ItemCtx, DiagnosticsCtx, PreviewCtx, PreviewFileCtx, ActivityCtx, LiveCtx, LiveStatusCtx, ReplaysCtx, TrafficCtx, TrafficEventCtx, TrafficSummaryCtx])]
pub async fn choose_folder(req: &RequestHandle<'_>) -> Result<Option<OpenOutcome>, MizanError> {
    studio(req)?.choose_and_open().await.map_err(fail)
}

/// Closes the open project (back to "Open a project folder"; it stays in
/// the recent list).
#[mizan::client(affects = [ProjectCtx, SourceCtx, GraphCtx, TraceCtx, BrowseCtx, ItemCtx, DiagnosticsCtx, PreviewCtx, PreviewFileCtx, ActivityCtx, LiveCtx, LiveStatusCtx, ReplaysCtx, TrafficCtx, TrafficEventCtx, TrafficSummaryCtx])]
pub async fn close_project(req: &RequestHandle<'_>) -> Result<bool, MizanError> {
    studio(req)?.close();
    Ok(true)
}

/// Reads the IR source again (a command source runs as a job).
#[mizan::client(affects = [ProjectCtx, SourceCtx, GraphCtx, TraceCtx, BrowseCtx, ItemCtx, DiagnosticsCtx, PreviewCtx, PreviewFileCtx, ActivityCtx, LiveCtx, LiveStatusCtx, ReplaysCtx, TrafficCtx, TrafficEventCtx, TrafficSummaryCtx])]
pub async fn reload(req: &RequestHandle<'_>) -> Result<ProjectView, MizanError> {
    let studio = studio(req)?;
    studio.snapshot().map(|_| ()).or_else(|e| match e {
        StudioError::NoIr(_) => Ok(()),
        e => Err(fail(e)),
    })?;
    let command = studio.project_view().source_kind.is_some_and(|k| k != SourceKind::Kdl);
    if command {
        let me = studio.clone();
        tokio::spawn(async move { me.reload(Trigger::Manual).await });
    } else {
        studio.reload(Trigger::Manual).await;
    }
    Ok(studio.project_view())
}

/// Writes the generated clients (the codegen's planner and atomic writer).
#[mizan::client(affects = [PreviewCtx, PreviewFileCtx, ActivityCtx, ProjectCtx])]
pub async fn regenerate(req: &RequestHandle<'_>) -> Result<RegenerateSummary, MizanError> {
    studio(req)?.regenerate().await.map_err(fail)
}

/// Turns watch on or off for the open project (persisted).
#[mizan::client(affects = [ProjectCtx, ActivityCtx])]
pub async fn set_watch(req: &RequestHandle<'_>, on: bool) -> Result<bool, MizanError> {
    studio(req)?.set_watch(on).map_err(fail)?;
    Ok(on)
}

/// Sets the globs (relative to the project) whose changes reload a
/// command source (persisted).
#[mizan::client(affects = [ProjectCtx, ActivityCtx])]
pub async fn set_watch_globs(req: &RequestHandle<'_>, globs: Vec<String>) -> Result<Vec<String>, MizanError> {
    studio(req)?.set_watch_globs(globs.clone()).map_err(fail)?;
    Ok(globs)
}

/// Cancels the running long step (its process is killed).
#[mizan::client(affects = [ActivityCtx, ProjectCtx])]
pub async fn cancel_job(req: &RequestHandle<'_>) -> Result<bool, MizanError> {
    Ok(studio(req)?.cancel_job())
}

/// Removes a project from the recent list.
#[mizan::client(affects = ProjectCtx)]
pub async fn forget_recent(req: &RequestHandle<'_>, path: String) -> Result<bool, MizanError> {
    studio(req)?.forget_recent(&path);
    Ok(true)
}
