//! The invalidation graph as the UI draws it (laid out by the backend), a
//! traced path through it, and its exports.

use mizan::Mizan;
use serde::{Deserialize, Serialize};

use super::diagnostics::Severity;

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
    /// How bad the diagnostic is.
    pub severity: Severity,
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

/// Which part of the graph a view shows.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum GraphMode {
    /// Every node.
    Full,
    /// A focused node with its ancestors and descendants.
    Focus,
    /// One context with what reaches it (filtered).
    Context,
    /// Large graphs without a focus: contexts and mutations only.
    Overview,
}

impl GraphMode {
    /// The wire name (in the SVG export's title).
    pub fn as_str(self) -> &'static str {
        match self {
            GraphMode::Full => "full",
            GraphMode::Focus => "focus",
            GraphMode::Context => "context",
            GraphMode::Overview => "overview",
        }
    }
}

/// The graph as the UI draws it.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct GraphView {
    /// Which part of the graph this is.
    pub mode: GraphMode,
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
