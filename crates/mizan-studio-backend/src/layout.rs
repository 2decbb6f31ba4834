//! The invalidation graph as the UI draws it: which nodes a view shows
//! (full, focus on a node with its ancestors and descendants, filter by
//! context, or the overview of a large graph) and where they go — a layered
//! (Sugiyama) layout by `rust-sugiyama`, positions and sizes in the answer so
//! the UI only draws SVG. Also the path between two nodes, with the reason
//! for each edge.
//!
//! Pure: snapshot in, view out. The studio caches views per IR revision.

use crate::error::StudioError;
use crate::models::{
    Badge, EdgeKind, GraphMode, GraphView, LayoutEdge, LayoutNode, NodeKind, Point, TraceStep, TraceView,
};
use crate::project::{Snapshot, diagnostic_node};
use mizan_core::graph::{GraphEdge, GraphNode};
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::stable_graph::StableDiGraph;
use petgraph::visit::EdgeRef;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// Height of every node box.
const NODE_HEIGHT: f64 = 36.0;
/// Space between boxes stacked in one layer (added around each by the
/// layout).
const SPACING: f64 = 20.0;
/// Extra room between layers, for the edge labels (scoping args).
const LAYER_GAP: f64 = 64.0;
/// Space between disconnected parts.
const COMPONENT_GAP: f64 = 48.0;
/// Width/height the packing of disconnected parts aims for (a graph pane
/// is wider than tall).
const TARGET_ASPECT: f64 = 1.6;

/// A laid-out connected part: its nodes (index, centre relative to the
/// part's top-left corner), width and height.
type Part = (Vec<(usize, f64, f64)>, f64, f64);

/// Which nodes to show.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Selection {
    /// Everything.
    Full,
    /// A node, its ancestors and its descendants.
    Focus(String),
    /// A context, its members and what reaches them.
    Context(String),
    /// Contexts and mutations only (function targets folded into their
    /// context): the default above the focus threshold.
    Overview,
}

impl Selection {
    fn mode(&self) -> GraphMode {
        match self {
            Selection::Full => GraphMode::Full,
            Selection::Focus(_) => GraphMode::Focus,
            Selection::Context(_) => GraphMode::Context,
            Selection::Overview => GraphMode::Overview,
        }
    }
}

/// The node id of a graph node (as `mizan ir graph --format json`).
pub fn node_id(node: &GraphNode) -> String {
    match node {
        GraphNode::Function(n) => format!("fn:{n}"),
        GraphNode::Context(n) => format!("ctx:{n}"),
    }
}

/// The graph index of a node id (`fn:NAME`, `ctx:NAME`, or a bare name:
/// a function first, then a context).
pub fn find_node(snapshot: &Snapshot, id: &str) -> Result<NodeIndex, StudioError> {
    let g = &snapshot.graph;
    let found = if let Some(name) = id.strip_prefix("fn:") {
        g.function(name)
    } else if let Some(name) = id.strip_prefix("ctx:") {
        g.context(name)
    } else {
        g.function(id).or_else(|| g.context(id))
    };
    found.ok_or_else(|| StudioError::Unknown {
        what: "node",
        name: id.to_owned(),
    })
}

fn kind_of(snapshot: &Snapshot, node: &GraphNode) -> NodeKind {
    match node {
        GraphNode::Context(_) => NodeKind::Context,
        GraphNode::Function(f) if snapshot.parsed.ir.function(f).is_some_and(|f| f.is_mutation()) => NodeKind::Mutation,
        GraphNode::Function(_) => NodeKind::Function,
    }
}

fn edge_kind(e: &GraphEdge) -> (EdgeKind, Vec<String>) {
    match e {
        GraphEdge::MemberOf => (EdgeKind::MemberOf, Vec::new()),
        GraphEdge::Affects { scoped_by } => (EdgeKind::Affects, scoped_by.clone()),
        GraphEdge::Merges { scoped_by } => (EdgeKind::Merges, scoped_by.clone()),
    }
}

fn label(kind: EdgeKind, scoped_by: &[String]) -> String {
    let base = match kind {
        EdgeKind::MemberOf => "member-of",
        EdgeKind::Affects => "affects",
        EdgeKind::Merges => "merges",
    };
    if scoped_by.is_empty() {
        base.to_owned()
    } else {
        format!("{base} ({})", scoped_by.join(", "))
    }
}

/// An edge to draw, before layout.
struct PlainEdge {
    from: NodeIndex,
    to: NodeIndex,
    kind: EdgeKind,
    scoped_by: Vec<String>,
}

/// The nodes and edges a selection shows.
fn select(snapshot: &Snapshot, selection: &Selection) -> Result<(Vec<NodeIndex>, Vec<PlainEdge>), StudioError> {
    let g = &snapshot.graph.graph;
    let all_edges = |keep: &HashSet<NodeIndex>| -> Vec<PlainEdge> {
        g.edge_references()
            .filter(|e| keep.contains(&e.source()) && keep.contains(&e.target()))
            .map(|e| {
                let (kind, scoped_by) = edge_kind(e.weight());
                PlainEdge {
                    from: e.source(),
                    to: e.target(),
                    kind,
                    scoped_by,
                }
            })
            .collect()
    };
    let ordered =
        |keep: &HashSet<NodeIndex>| -> Vec<NodeIndex> { g.node_indices().filter(|n| keep.contains(n)).collect() };
    match selection {
        Selection::Full => {
            let keep: HashSet<NodeIndex> = g.node_indices().collect();
            Ok((ordered(&keep), all_edges(&keep)))
        }
        Selection::Focus(id) => {
            let start = find_node(snapshot, id)?;
            let mut keep = reach(g, start, Direction::Outgoing);
            keep.extend(reach(g, start, Direction::Incoming));
            Ok((ordered(&keep), all_edges(&keep)))
        }
        Selection::Context(name) => {
            let ctx = snapshot.graph.context(name).ok_or_else(|| StudioError::Unknown {
                what: "context",
                name: name.clone(),
            })?;
            let mut keep: HashSet<NodeIndex> = HashSet::from([ctx]);
            keep.extend(snapshot.graph.members(ctx));
            let inner: Vec<NodeIndex> = keep.iter().copied().collect();
            for n in inner {
                keep.extend(g.edges_directed(n, Direction::Incoming).map(|e| e.source()));
            }
            Ok((ordered(&keep), all_edges(&keep)))
        }
        Selection::Overview => {
            // A large graph opens on its contexts alone (mutations would
            // outnumber them and draw one unreadable column); selecting one
            // shows what reaches it (`Selection::Context`).
            let keep: HashSet<NodeIndex> = g
                .node_indices()
                .filter(|&n| kind_of(snapshot, &g[n]) == NodeKind::Context)
                .collect();
            Ok((ordered(&keep), Vec::new()))
        }
    }
}

/// Every node reachable from `start` following edges in `dir` (with it).
fn reach(g: &petgraph::graph::DiGraph<GraphNode, GraphEdge>, start: NodeIndex, dir: Direction) -> HashSet<NodeIndex> {
    let mut seen = HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        for next in g.neighbors_directed(n, dir) {
            if seen.insert(next) {
                queue.push_back(next);
            }
        }
    }
    seen
}

fn node_width(name: &str) -> f64 {
    (name.chars().count() as f64 * 7.4 + 32.0).max(72.0)
}

/// Lays out a selection.
pub fn graph_view(
    snapshot: &Snapshot,
    selection: &Selection,
    focus_threshold: usize,
) -> Result<GraphView, StudioError> {
    let started = std::time::Instant::now();
    let g = &snapshot.graph.graph;
    let (nodes, edges) = select(snapshot, selection)?;

    // Layout graph: our node order as vertex weights, one edge per pair.
    let mut lg: StableDiGraph<usize, ()> = StableDiGraph::new();
    let mut at: HashMap<NodeIndex, petgraph::stable_graph::NodeIndex> = HashMap::new();
    for (i, &n) in nodes.iter().enumerate() {
        at.insert(n, lg.add_node(i));
    }
    let mut pairs = HashSet::new();
    for e in &edges {
        if e.from != e.to && pairs.insert((e.from, e.to)) && !pairs.contains(&(e.to, e.from)) {
            lg.add_edge(at[&e.from], at[&e.to], ());
        }
    }
    let sizes: Vec<(f64, f64)> = nodes.iter().map(|&n| (node_width(g[n].name()), NODE_HEIGHT)).collect();
    // Layers run left to right (mutations, then functions, then contexts):
    // boxes with long names stack in a column instead of making one very
    // wide row. So the layout sees each box turned a quarter, its length
    // (plus room for the edge labels) across the layer.
    let config = rust_sugiyama::configure::Config {
        vertex_spacing: SPACING,
        ..Default::default()
    };
    let components = if nodes.is_empty() {
        Vec::new()
    } else {
        rust_sugiyama::from_graph(&lg, &|_, &i| (sizes[i].1, sizes[i].0 + LAYER_GAP), &config)
    };

    // Each component: turned back (x = layer, y = place in it), normalised
    // to its bounding box; then the components packed.
    let boxes: Vec<Part> = components
        .into_iter()
        .map(|(coords, _, _)| {
            let placed: Vec<(usize, f64, f64)> = coords.into_iter().map(|(ix, (x, y))| (lg[ix], y, x)).collect();
            let min_x = placed
                .iter()
                .map(|&(i, x, _)| x - sizes[i].0 / 2.0)
                .fold(f64::INFINITY, f64::min);
            let min_y = placed
                .iter()
                .map(|&(i, _, y)| y - sizes[i].1 / 2.0)
                .fold(f64::INFINITY, f64::min);
            let max_x = placed
                .iter()
                .map(|&(i, x, _)| x + sizes[i].0 / 2.0)
                .fold(f64::NEG_INFINITY, f64::max);
            let max_y = placed
                .iter()
                .map(|&(i, _, y)| y + sizes[i].1 / 2.0)
                .fold(f64::NEG_INFINITY, f64::max);
            let local = placed.into_iter().map(|(i, x, y)| (i, x - min_x, y - min_y)).collect();
            (local, max_x - min_x, max_y - min_y)
        })
        .collect();
    let corners = pack(
        &boxes.iter().map(|b| (b.1, b.2)).collect::<Vec<_>>(),
        COMPONENT_GAP,
        TARGET_ASPECT,
    );
    let mut centers = vec![(0.0, 0.0); nodes.len()];
    let (mut width, mut height) = (0.0f64, 0.0f64);
    for ((placed, w, h), (x, y)) in boxes.into_iter().zip(corners) {
        for (i, cx, cy) in placed {
            centers[i] = (x + cx, y + cy);
        }
        width = width.max(x + w);
        height = height.max(y + h);
    }

    let mut badges: BTreeMap<String, Vec<Badge>> = BTreeMap::new();
    for d in &snapshot.diagnostics {
        if let Some(node) = diagnostic_node(&snapshot.graph, d) {
            badges.entry(node).or_default().push(Badge {
                code: d.code.to_owned(),
                severity: d.severity.into(),
            });
        }
    }
    let index: HashMap<NodeIndex, usize> = nodes.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let layout_nodes: Vec<LayoutNode> = nodes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let id = node_id(&g[n]);
            LayoutNode {
                badges: badges.get(&id).cloned().unwrap_or_default(),
                id,
                name: g[n].name().to_owned(),
                kind: kind_of(snapshot, &g[n]),
                x: round(centers[i].0 - sizes[i].0 / 2.0),
                y: round(centers[i].1 - sizes[i].1 / 2.0),
                width: sizes[i].0,
                height: sizes[i].1,
            }
        })
        .collect();
    let layout_edges: Vec<LayoutEdge> = edges
        .iter()
        .map(|e| {
            let (a, b) = (index[&e.from], index[&e.to]);
            let points = connect(centers[a], sizes[a], centers[b], sizes[b]);
            let label_at = Point {
                x: round((points[0].x + points[1].x) / 2.0),
                y: round((points[0].y + points[1].y) / 2.0),
            };
            LayoutEdge {
                from: node_id(&g[e.from]),
                to: node_id(&g[e.to]),
                kind: e.kind,
                label: label(e.kind, &e.scoped_by),
                scoped_by: e.scoped_by.clone(),
                points,
                label_at,
            }
        })
        .collect();
    Ok(GraphView {
        mode: selection.mode(),
        focus: match selection {
            Selection::Focus(id) => Some(node_id(&g[find_node(snapshot, id)?])),
            _ => None,
        },
        nodes: layout_nodes,
        edges: layout_edges,
        width: round(width),
        height: round(height),
        total_nodes: g.node_count() as i64,
        total_edges: g.edge_count() as i64,
        focus_threshold: focus_threshold as i64,
        layout_ms: started.elapsed().as_millis() as i64,
    })
}

/// Top-left corners for boxes of the given sizes, none overlapping (`gap`
/// apart), greedily keeping the bounding box close to `aspect`: largest
/// first, each at the candidate corner (right of or below a placed box)
/// that grows the bounding box least.
fn pack(sizes: &[(f64, f64)], gap: f64, aspect: f64) -> Vec<(f64, f64)> {
    // The corner search is cubic in the number of parts: above a few
    // hundred (an IR of many unrelated functions), rows instead.
    if sizes.len() > MAX_CORNER_PACKED {
        return pack_rows(sizes, gap, aspect);
    }
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| {
        (sizes[b].0 * sizes[b].1)
            .total_cmp(&(sizes[a].0 * sizes[a].1))
            .then(a.cmp(&b))
    });
    let mut corners = vec![(0.0, 0.0); sizes.len()];
    let mut placed: Vec<(f64, f64, f64, f64)> = Vec::new();
    let (mut bw, mut bh) = (0.0f64, 0.0f64);
    for i in order {
        let (w, h) = sizes[i];
        let mut best: Option<(f64, f64, f64)> = None;
        let candidates: Vec<(f64, f64)> = if placed.is_empty() {
            vec![(0.0, 0.0)]
        } else {
            placed
                .iter()
                .flat_map(|&(x, y, pw, ph)| [(x + pw + gap, y), (x, y + ph + gap)])
                .collect()
        };
        for (x, y) in candidates {
            let clear = placed.iter().all(|&(px, py, pw, ph)| {
                x >= px + pw + gap || px >= x + w + gap || y >= py + ph + gap || py >= y + h + gap
            });
            if !clear {
                continue;
            }
            let cost = (bw.max(x + w) / aspect).max(bh.max(y + h));
            if best.is_none_or(|(c, bx, by)| cost < c - 1e-9 || (cost < c + 1e-9 && (y, x) < (by, bx))) {
                best = Some((cost, x, y));
            }
        }
        // Some corner is always clear (right of the rightmost box).
        let (_, x, y) = best.unwrap_or((0.0, 0.0, bh + gap));
        corners[i] = (x, y);
        placed.push((x, y, w, h));
        bw = bw.max(x + w);
        bh = bh.max(y + h);
    }
    corners
}

/// Parts beyond which [`pack`] lays rows.
const MAX_CORNER_PACKED: usize = 120;

/// Rows of parts (largest first) as wide as the bounding box of `aspect`
/// needs for their total area.
fn pack_rows(sizes: &[(f64, f64)], gap: f64, aspect: f64) -> Vec<(f64, f64)> {
    let area: f64 = sizes.iter().map(|(w, h)| (w + gap) * (h + gap)).sum();
    let widest = sizes.iter().map(|s| s.0).fold(0.0, f64::max);
    let row_width = widest.max((area * aspect).sqrt());
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| sizes[b].1.total_cmp(&sizes[a].1).then(a.cmp(&b)));
    let mut corners = vec![(0.0, 0.0); sizes.len()];
    let (mut x, mut y, mut row_height) = (0.0f64, 0.0f64, 0.0f64);
    for i in order {
        let (w, h) = sizes[i];
        if x > 0.0 && x + w > row_width {
            x = 0.0;
            y += row_height + gap;
            row_height = 0.0;
        }
        corners[i] = (x, y);
        x += w + gap;
        row_height = row_height.max(h);
    }
    corners
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// From the border of box `a` to the border of box `b`: right side to left
/// side when `b` is in a later layer, left to right when earlier, bottom
/// to top (or top to bottom) within one layer.
fn connect(a: (f64, f64), sa: (f64, f64), b: (f64, f64), sb: (f64, f64)) -> Vec<Point> {
    let p = |x: f64, y: f64| Point {
        x: round(x),
        y: round(y),
    };
    if b.0 - a.0 > (sa.0 + sb.0) / 4.0 {
        vec![p(a.0 + sa.0 / 2.0, a.1), p(b.0 - sb.0 / 2.0, b.1)]
    } else if a.0 - b.0 > (sa.0 + sb.0) / 4.0 {
        vec![p(a.0 - sa.0 / 2.0, a.1), p(b.0 + sb.0 / 2.0, b.1)]
    } else if b.1 >= a.1 {
        vec![p(a.0, a.1 + sa.1 / 2.0), p(b.0, b.1 - sb.1 / 2.0)]
    } else {
        vec![p(a.0, a.1 - sa.1 / 2.0), p(b.0, b.1 + sb.1 / 2.0)]
    }
}

/// The shortest path from `from` to `to`: following edge directions when
/// one exists, else ignoring them (steps walked backwards are marked).
pub fn trace(snapshot: &Snapshot, from: &str, to: &str) -> Result<TraceView, StudioError> {
    let g = &snapshot.graph.graph;
    let (a, b) = (find_node(snapshot, from)?, find_node(snapshot, to)?);
    let bfs = |undirected: bool| -> Option<Vec<(petgraph::graph::EdgeIndex, bool)>> {
        let mut prev: HashMap<NodeIndex, (NodeIndex, petgraph::graph::EdgeIndex, bool)> = HashMap::new();
        let mut seen = HashSet::from([a]);
        let mut queue = VecDeque::from([a]);
        while let Some(n) = queue.pop_front() {
            if n == b {
                let mut path = Vec::new();
                let mut cur = b;
                while let Some(&(p, e, reversed)) = prev.get(&cur) {
                    path.push((e, reversed));
                    cur = p;
                }
                path.reverse();
                return Some(path);
            }
            let forward = g
                .edges_directed(n, Direction::Outgoing)
                .map(|e| (e.target(), e.id(), false));
            let backward = g
                .edges_directed(n, Direction::Incoming)
                .filter(|_| undirected)
                .map(|e| (e.source(), e.id(), true));
            for (next, e, reversed) in forward.chain(backward).collect::<Vec<_>>() {
                if seen.insert(next) {
                    prev.insert(next, (n, e, reversed));
                    queue.push_back(next);
                }
            }
        }
        None
    };
    let (path, directed) = match bfs(false) {
        Some(p) => (Some(p), true),
        None => (bfs(true), false),
    };
    let steps = path
        .unwrap_or_default()
        .into_iter()
        .map(|(e, reversed)| {
            let (s, t) = g.edge_endpoints(e).unwrap_or((a, b));
            let (kind, scoped_by) = edge_kind(&g[e]);
            TraceStep {
                from: node_id(&g[s]),
                to: node_id(&g[t]),
                kind,
                reversed,
                reason: reason(snapshot, &g[s], &g[t], kind, &scoped_by),
            }
        })
        .collect::<Vec<_>>();
    Ok(TraceView {
        from: node_id(&g[a]),
        to: node_id(&g[b]),
        found: a == b || !steps.is_empty(),
        directed: directed || a == b,
        steps,
    })
}

fn reason(snapshot: &Snapshot, s: &GraphNode, t: &GraphNode, kind: EdgeKind, scoped_by: &[String]) -> String {
    let scope = |ctx: &str| {
        if scoped_by.is_empty() {
            format!(
                "broad: no argument of `{}` is a param of `{ctx}`, so every instance refetches",
                s.name()
            )
        } else {
            format!(
                "scoped by {} (tier 1: args named like the context's params)",
                scoped_by.join(", ")
            )
        }
    };
    match (kind, t) {
        (EdgeKind::MemberOf, _) => format!("`{}` is a member of context `{}`", s.name(), t.name()),
        (EdgeKind::Affects, GraphNode::Context(c)) => {
            format!("`{}` declares affects context `{c}`; {}", s.name(), scope(c))
        }
        (EdgeKind::Affects, GraphNode::Function(f)) => {
            let ctx = snapshot
                .parsed
                .ir
                .function(f)
                .and_then(|f| f.context.clone())
                .unwrap_or_default();
            format!(
                "`{}` declares affects function `{f}`, which refetches its context `{ctx}`; {}",
                s.name(),
                scope(&ctx)
            )
        }
        (EdgeKind::Merges, _) => format!(
            "`{}` merges its result into context `{}` (no refetch when the slot resolves); {}",
            s.name(),
            t.name(),
            scope(t.name())
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::pack;

    #[test]
    fn packed_parts_never_overlap_and_stay_near_the_aspect() {
        let sizes = [
            (568.0, 392.0),
            (350.0, 168.0),
            (330.0, 112.0),
            (330.0, 56.0),
            (72.0, 36.0),
            (72.0, 36.0),
            (106.0, 36.0),
        ];
        let corners = pack(&sizes, 48.0, 1.6);
        for i in 0..sizes.len() {
            for j in i + 1..sizes.len() {
                let ((ax, ay), (aw, ah)) = (corners[i], sizes[i]);
                let ((bx, by), (bw, bh)) = (corners[j], sizes[j]);
                assert!(ax + aw + 48.0 <= bx || bx + bw + 48.0 <= ax || ay + ah + 48.0 <= by || by + bh + 48.0 <= ay);
            }
        }
        let w = corners.iter().zip(&sizes).map(|(c, s)| c.0 + s.0).fold(0.0, f64::max);
        let h = corners.iter().zip(&sizes).map(|(c, s)| c.1 + s.1).fold(0.0, f64::max);
        // Side by side, not one tall stack or one long row.
        assert!(w / h > 1.0 && w / h < 2.5, "{w}x{h}");
    }

    #[test]
    fn many_parts_are_packed_in_rows_quickly() {
        let sizes: Vec<(f64, f64)> = (0..2000).map(|i| (72.0 + (i % 7) as f64 * 10.0, 36.0)).collect();
        let started = std::time::Instant::now();
        let corners = pack(&sizes, 48.0, 1.6);
        assert!(started.elapsed().as_millis() < 200);
        let w = corners.iter().zip(&sizes).map(|(c, s)| c.0 + s.0).fold(0.0, f64::max);
        let h = corners.iter().zip(&sizes).map(|(c, s)| c.1 + s.1).fold(0.0, f64::max);
        assert!(w / h > 1.0 && w / h < 2.5, "{w}x{h}");
    }
}
