//! What the studio's functions answer: plain serde structs registered in
//! the studio's IR with `#[derive(Mizan)]`, so the UI's generated client is
//! typed. Shapes that mirror the core's wire types (`invalidate`, `merge`)
//! are JSON values holding exactly what the core computed.

use mizan::Mizan;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A line/column position in the IR text (1-based).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLocation {
    /// Line.
    pub line: i64,
    /// Column, in characters.
    pub column: i64,
}

impl From<mizan_core::ir::Location> for SourceLocation {
    fn from(l: mizan_core::ir::Location) -> Self {
        SourceLocation {
            line: l.line as i64,
            column: l.column as i64,
        }
    }
}

/// Where the open project stands.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LoadState {
    /// No project is open.
    Closed,
    /// The IR source is being read (a command may be running).
    Loading,
    /// The IR loaded and has no check errors.
    Ready,
    /// The last load failed (source, parse or check errors); the last good
    /// IR, if any, is still shown.
    Failed,
}

/// How many of each thing the shown IR has.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Functions (mutations included).
    pub functions: i64,
    /// Mutations (functions with `affects` or `merge`).
    pub mutations: i64,
    /// Contexts.
    pub contexts: i64,
    /// Named types.
    pub types: i64,
    /// Check errors of the last load.
    pub errors: i64,
    /// Check warnings of the last load.
    pub warnings: i64,
}

/// The open project: what the status bar and the project pane show.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ProjectView {
    /// Load state.
    pub state: LoadState,
    /// The project folder (the one holding `mizan.toml`).
    pub root: Option<String>,
    /// The `mizan.toml` path.
    pub config_path: Option<String>,
    /// The IR source, described (`kdl file api.kdl`, `cargo bin ...`).
    pub source: Option<String>,
    /// `kdl`, `command`, `cargo`, `django` or `fastapi`.
    pub source_kind: Option<String>,
    /// The KDL file, for `kdl` sources.
    pub ir_path: Option<String>,
    /// The output folder.
    pub output: Option<String>,
    /// Targets, as `mizan.toml` resolves them.
    pub targets: Vec<String>,
    /// HTTP base of the generated clients.
    pub base_url: Option<String>,
    /// Why the last load failed (source stderr and exit status, parse or
    /// check errors), if it did.
    pub last_error: Option<String>,
    /// True when the graph, lists and previews show an older IR than the
    /// last (failed) load.
    pub showing_last_good: bool,
    /// Watch on for this project (persisted).
    pub watch: bool,
    /// Extra globs watched (for `command`/`cargo`/... sources), relative to
    /// the project folder.
    pub watch_globs: Vec<String>,
    /// Counts of the shown IR.
    pub counts: Counts,
    /// Increments at every successful load (the UI keys views on it).
    pub revision: i64,
    /// Milliseconds the last load took.
    pub load_ms: Option<i64>,
}

/// The IR text of the last load (even a broken one) and of the shown IR.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct IrSource {
    /// The KDL file, when the source is one.
    pub path: Option<String>,
    /// The IR on screen, highlighted (one HTML line per line of text; after
    /// a broken save, the last good IR).
    pub html: Option<String>,
    /// Why there is nothing to show, in a sentence, when `html` is `None`.
    pub missing: Option<String>,
}

/// A project in the recent list.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct RecentProject {
    /// Its folder.
    pub path: String,
    /// Folder name, for display.
    pub name: String,
    /// Whether it still holds a `mizan.toml`.
    pub exists: bool,
}

/// What `open_project` did.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct OpenOutcome {
    /// The opened project's folder, when one was opened.
    pub opened: Option<String>,
    /// Folders holding a `mizan.toml` below the given path, when there were
    /// several (nothing was opened: pick one).
    pub candidates: Vec<String>,
    /// Load state right after opening (`loading` for command sources).
    pub state: LoadState,
}

/// One check diagnostic (or a parse/source error) of the last load.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct DiagnosticView {
    /// Stable code (`dangling-affects`, `kdl-syntax`, `source-failed`, ...).
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The message.
    pub message: String,
    /// Names involved, first the item it is about.
    pub names: Vec<String>,
    /// Graph node the diagnostic belongs on (`fn:NAME` / `ctx:NAME`).
    pub node: Option<String>,
    /// Where in the IR text.
    pub location: Option<SourceLocation>,
}

/// Every diagnostic of the last load.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct DiagnosticsView {
    /// Diagnostics, in text order.
    pub items: Vec<DiagnosticView>,
    /// Errors among them.
    pub errors: i64,
    /// Warnings among them.
    pub warnings: i64,
    /// True when they belong to a load that failed (the graph shows the
    /// last good IR).
    pub from_failed_load: bool,
}

/// A node kind of the graph.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A context.
    Context,
    /// A function that is not a mutation.
    Function,
    /// A function with `affects` or `merge`.
    Mutation,
}

/// An edge kind of the graph.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    /// Function → its context.
    MemberOf,
    /// Mutation → what it invalidates.
    Affects,
    /// Mutation → the context it merges into.
    Merges,
}

/// A diagnostic badge on a node.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    /// Diagnostic code.
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
}

/// A laid-out node: the UI draws a box at (`x`, `y`) of `width`×`height`
/// (top-left corner).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct LayoutNode {
    /// `fn:NAME` or `ctx:NAME` (as `mizan ir graph --format json`).
    pub id: String,
    /// The function or context name.
    pub name: String,
    /// Context, function or mutation.
    pub kind: NodeKind,
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// Diagnostics about this node.
    pub badges: Vec<Badge>,
}

/// A point of an edge's polyline.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// X.
    pub x: f64,
    /// Y.
    pub y: f64,
}

/// A laid-out edge.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct LayoutEdge {
    /// Source node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// Member-of, affects or merges.
    pub kind: EdgeKind,
    /// The mutation's args that scope it (tier 1).
    pub scoped_by: Vec<String>,
    /// `affects (user_id)`, `member-of`, ...
    pub label: String,
    /// Polyline from the source's border to the target's.
    pub points: Vec<Point>,
    /// Where to put the label.
    pub label_at: Point,
}

/// The graph as the UI draws it.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct GraphView {
    /// `full`, `focus`, `context` (filtered) or `overview` (large graphs
    /// without a focus: contexts and mutations only).
    pub mode: String,
    /// The focused node, in `focus` mode.
    pub focus: Option<String>,
    /// Nodes shown.
    pub nodes: Vec<LayoutNode>,
    /// Edges shown.
    pub edges: Vec<LayoutEdge>,
    /// Width of the drawing.
    pub width: f64,
    /// Height of the drawing.
    pub height: f64,
    /// Nodes of the whole graph.
    pub total_nodes: i64,
    /// Edges of the whole graph.
    pub total_edges: i64,
    /// Above this many nodes the default view is the overview.
    pub focus_threshold: i64,
    /// Milliseconds the layout took (0 when served from the layout cache).
    pub layout_ms: i64,
}

/// One edge of a traced path, with why it is there.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TraceStep {
    /// Source node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// Edge kind.
    pub kind: EdgeKind,
    /// True when the path walks this edge against its direction.
    pub reversed: bool,
    /// The reason, as a sentence.
    pub reason: String,
}

/// The path between two nodes.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TraceView {
    /// Start node id.
    pub from: String,
    /// End node id.
    pub to: String,
    /// Whether a path exists.
    pub found: bool,
    /// True when it follows edge directions only (`from` reaches `to`).
    pub directed: bool,
    /// Its steps.
    pub steps: Vec<TraceStep>,
}

/// One row of the browse lists: what the lists and the palette show. The
/// details of one item are `item_detail`'s (a 2,000-function project's
/// full views are megabytes; its rows are a tenth of that).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ItemSummary {
    /// `ctx:NAME`, `fn:NAME` (functions and mutations) or `type:NAME`.
    pub id: String,
    /// The name.
    pub name: String,
    /// One line about it (`2 members · page, user_id`, `→ user, items
    /// (merge)`, `in user`, `struct`).
    pub detail: String,
    /// Diagnostics about it.
    pub diagnostics: i64,
}

/// Everything about one item; the fields that do not apply are null (all
/// of them for an id the IR does not have).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct ItemDetail {
    /// A context.
    pub context: Option<ContextView>,
    /// A function (a mutation's too: its signature and output).
    pub function: Option<FunctionView>,
    /// A mutation: what it reaches.
    pub mutation: Option<MutationView>,
    /// A named type.
    pub type_view: Option<TypeView>,
}

/// A function parameter.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ParamView {
    /// Wire name.
    pub name: String,
    /// Shape, as IR text (`integer`, `list<Item>`).
    pub shape: String,
    /// Must be passed.
    pub required: bool,
    /// Default value.
    pub default: Option<Value>,
}

/// An `affects` target as the core plans it.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct AffectsView {
    /// The context refetched.
    pub context: String,
    /// The function named, for function targets.
    pub function: Option<String>,
    /// The mutation's args that scope it.
    pub scoped_by: Vec<String>,
}

/// A `merge` target as the core plans it.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct MergeView {
    /// The context merged into.
    pub context: String,
    /// The member slot, when it resolves (else clients refetch).
    pub slot: Option<String>,
    /// `direct`, `upsert`, `replace`, or `refetch` when unresolved.
    pub mode: String,
    /// The mutation's args that scope it.
    pub scoped_by: Vec<String>,
}

/// A function, for the list and the details pane.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct FunctionView {
    /// Name.
    pub name: String,
    /// Doc text.
    pub doc: Option<String>,
    /// Context or mutation or plain function.
    pub kind: NodeKind,
    /// Its context.
    pub context: Option<String>,
    /// `http` or `websocket`.
    pub transport: String,
    /// `none`, `required`, `staff`, `superuser`, `predicate:NAME`.
    pub auth: String,
    /// Server-internal.
    pub private: bool,
    /// Page route.
    pub route: Option<String>,
    /// Declared rev.
    pub rev: i64,
    /// `forever`, `ttl(N)` or `none`.
    pub cache: String,
    /// Parameters in order.
    pub params: Vec<ParamView>,
    /// Output shape.
    pub output: String,
    /// What it invalidates (from the core's plan).
    pub affects: Vec<AffectsView>,
    /// Where it merges.
    pub merges: Vec<MergeView>,
    /// Where it is in the IR text.
    pub location: Option<SourceLocation>,
    /// Diagnostic codes about it.
    pub diagnostics: Vec<String>,
}

/// A context param.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ContextParamView {
    /// Name.
    pub name: String,
    /// Shape.
    pub shape: String,
    /// Shared by every member (a provider prop).
    pub required: bool,
    /// The members that take it.
    pub shared_by: Vec<String>,
}

/// A mutation that reaches a context.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ReachedBy {
    /// The mutation.
    pub mutation: String,
    /// `affects` or `merges`.
    pub relation: String,
    /// The member named, for function targets.
    pub via: Option<String>,
    /// Its args that scope the entry.
    pub scoped_by: Vec<String>,
}

/// A context, for the list and the details pane.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ContextView {
    /// Name.
    pub name: String,
    /// Doc text.
    pub doc: Option<String>,
    /// Members.
    pub members: Vec<String>,
    /// Params with required/optional and shared-by.
    pub params: Vec<ContextParamView>,
    /// Effective rev (max over members).
    pub rev: i64,
    /// Effective declared policy (`forever`, `ttl(60)`, `none`).
    pub cache: String,
    /// Whether the origin cache stores it, and for how long or why not.
    pub cache_decision: String,
    /// TTL of entries, when cached.
    pub ttl_secs: Option<i64>,
    /// Mutations that invalidate or merge it.
    pub reached_by: Vec<ReachedBy>,
    /// Where it is in the IR text.
    pub location: Option<SourceLocation>,
    /// Diagnostic codes about it.
    pub diagnostics: Vec<String>,
}

/// A struct field.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct FieldView {
    /// Wire name.
    pub name: String,
    /// Shape.
    pub shape: String,
    /// May be absent.
    pub optional: bool,
    /// Default.
    pub default: Option<Value>,
    /// Doc text.
    pub doc: Option<String>,
}

/// A named type.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TypeView {
    /// Name.
    pub name: String,
    /// Doc text.
    pub doc: Option<String>,
    /// `struct`, `enum` or `alias`.
    pub kind: String,
    /// Struct fields.
    pub fields: Vec<FieldView>,
    /// Enum variants.
    pub variants: Vec<String>,
    /// Aliased shape.
    pub alias_of: Option<String>,
    /// Identity field (structs; used by merge upserts).
    pub identity: Option<String>,
    /// Functions whose params or output reach it.
    pub used_by: Vec<String>,
    /// Where it is in the IR text.
    pub location: Option<SourceLocation>,
}

/// A mutation, with what it reaches.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct MutationView {
    /// Name.
    pub name: String,
    /// Doc text.
    pub doc: Option<String>,
    /// Parameters (the what-if form).
    pub params: Vec<ParamView>,
    /// What it invalidates.
    pub affects: Vec<AffectsView>,
    /// Where it merges.
    pub merges: Vec<MergeView>,
    /// Its args that scope any entry, sorted.
    pub auto_scoped_params: Vec<String>,
    /// Server-internal.
    pub private: bool,
    /// Where it is in the IR text.
    pub location: Option<SourceLocation>,
}

/// A node reached by a what-if.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    /// Node id.
    pub node: String,
    /// `invalidated` or `merged`.
    pub how: String,
}

/// What a mutation call with given args would tell clients.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct WhatIf {
    /// The mutation.
    pub mutation: String,
    /// Exactly the core's `invalidate` list.
    pub invalidate: Value,
    /// Exactly the core's `merge` list (values are the given `result`).
    pub merge: Value,
    /// The `X-Mizan-Invalidate` header value (`None` when empty).
    pub header: Option<String>,
    /// Nodes to highlight.
    pub reached: Vec<Reached>,
}

/// One file of a preview.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PreviewFile {
    /// Path relative to the output folder.
    pub path: String,
    /// `create`, `update`, `unchanged`, `remove` or `not-ours`.
    pub state: String,
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
    /// `equal`, `insert` or `delete`.
    pub tag: String,
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
    pub state: String,
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

/// What a regenerate did.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct RegenerateSummary {
    /// Files written (created + updated).
    pub written: i64,
    /// Of which created.
    pub created: i64,
    /// Of which updated.
    pub updated: i64,
    /// Stale files removed.
    pub removed: i64,
    /// Files already up to date.
    pub unchanged: i64,
    /// Paths written or removed, relative to the output folder.
    pub paths: Vec<String>,
    /// Milliseconds, from the IR in memory to files on disk.
    pub duration_ms: f64,
    /// `manual` or `watch`.
    pub trigger: String,
    /// Why nothing was written, if so.
    pub error: Option<String>,
}

/// A long step (reading a `command`/`cargo` source).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct JobView {
    /// Job number.
    pub id: i64,
    /// What runs (`cargo run ... --bin emit-ir`).
    pub label: String,
    /// `running`, `succeeded`, `failed`, `cancelled`.
    pub status: String,
    /// The last lines of its stderr, as they arrive.
    pub output: Vec<String>,
    /// Milliseconds since it started (or its total, once done).
    pub elapsed_ms: i64,
}

/// The watcher.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct WatchView {
    /// Watch on.
    pub on: bool,
    /// Files and globs watched.
    pub watching: Vec<String>,
    /// Why the watcher could not start, if so.
    pub error: Option<String>,
    /// Reloads triggered by a change so far.
    pub reloads: i64,
}

/// Long steps, the watcher and the last regenerate: the status bar.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ActivityView {
    /// The current or last long step.
    pub job: Option<JobView>,
    /// The watcher.
    pub watch: WatchView,
    /// The last regenerate.
    pub last_regenerate: Option<RegenerateSummary>,
}

/// What a graph export is written as.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// A standalone SVG of the view shown (styles inlined).
    Svg,
    /// The core's Mermaid flowchart of the whole graph (`mizan ir graph
    /// --format mermaid`).
    Mermaid,
}

/// A graph export: the file's text and how to name it.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct GraphExport {
    /// Its format.
    pub format: ExportFormat,
    /// `mizan-graph.svg` or `mizan-graph.mmd`.
    pub file_name: String,
    /// `image/svg+xml` or `text/vnd.mermaid`.
    pub media_type: String,
    /// The file's contents.
    pub text: String,
}

/// A graph export written into the project folder.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SavedExport {
    /// Its format.
    pub format: ExportFormat,
    /// The absolute path written.
    pub path: String,
    /// Its size in bytes.
    pub bytes: i64,
}

/// What the window around the studio lends it (web mode: nothing), and
/// what the last drop on it did: the UI shows "Choose folder…" and the drop
/// hint from this, never from guessing its transport.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct ShellView {
    /// A native folder picker exists (`choose_folder` works).
    pub folder_picker: bool,
    /// Folders dropped on the window open (the desktop shell forwards them).
    pub drop_to_open: bool,
    /// Something is being dragged over the window right now.
    pub dragging: bool,
    /// What the last drop did, if there was one.
    pub last_drop: Option<DropReport>,
}

/// What dropping a path on the window did.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct DropReport {
    /// Increments with every drop (the UI shows each report once).
    pub id: i64,
    /// The path dropped (the first, when several were).
    pub path: String,
    /// The project opened, if one was.
    pub opened: Option<String>,
    /// Several projects below the dropped folder: nothing opened, pick one.
    pub candidates: Vec<String>,
    /// Why nothing opened (not a project, a broken `mizan.toml`).
    pub error: Option<String>,
}
