//! The invalidation graph: functions and contexts as `petgraph` nodes,
//! `member-of`, `affects` and `merges` edges. The checker walks it, the CLI
//! prints it (DOT, JSON or Mermaid), the studio draws it. Targets that name nothing
//! get no edge; they are listed in [`InvalidationGraph::dangling`].

use crate::ir::{Ir, Target};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write;

/// A graph node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum GraphNode {
    /// A server function.
    Function(String),
    /// A context.
    Context(String),
}

impl GraphNode {
    /// The function or context name.
    pub fn name(&self) -> &str {
        match self {
            GraphNode::Function(n) | GraphNode::Context(n) => n,
        }
    }
}

/// A graph edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum GraphEdge {
    /// Function → its context.
    MemberOf,
    /// Mutation → context or function it invalidates; `scoped_by` lists the
    /// mutation's args that are params of the target's context (tier 1).
    Affects {
        /// Auto-scoped params.
        scoped_by: Vec<String>,
    },
    /// Mutation → context its result is merged into.
    Merges {
        /// Auto-scoped params.
        scoped_by: Vec<String>,
    },
}

/// A target that names no function or context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DanglingTarget {
    /// The mutation declaring it.
    pub function: String,
    /// `affects` or `merge`.
    pub relation: &'static str,
    /// Which declaration of that relation (0-based).
    pub index: usize,
    /// The missing name.
    pub target: String,
}

/// The invalidation graph of an IR.
#[derive(Debug, Clone, Default)]
pub struct InvalidationGraph {
    /// The graph itself.
    pub graph: DiGraph<GraphNode, GraphEdge>,
    functions: HashMap<String, NodeIndex>,
    contexts: HashMap<String, NodeIndex>,
    /// Targets that name nothing.
    pub dangling: Vec<DanglingTarget>,
}

impl InvalidationGraph {
    /// Builds the graph. With duplicate names, the first declaration wins.
    pub fn build(ir: &Ir) -> Self {
        let mut g = InvalidationGraph::default();
        for c in &ir.contexts {
            if !g.contexts.contains_key(&c.name) {
                let ix = g.graph.add_node(GraphNode::Context(c.name.clone()));
                g.contexts.insert(c.name.clone(), ix);
            }
        }
        for f in &ir.functions {
            if !g.functions.contains_key(&f.name) {
                let ix = g.graph.add_node(GraphNode::Function(f.name.clone()));
                g.functions.insert(f.name.clone(), ix);
            }
        }
        let context_params = |name: &str| -> Vec<&str> {
            ir.context(name)
                .map(|c| c.params.iter().map(|p| p.name.as_str()).collect())
                .unwrap_or_default()
        };
        for f in &ir.functions {
            let from = g.functions[&f.name];
            if let Some(c) = &f.context
                && let Some(&to) = g.contexts.get(c)
            {
                g.graph.add_edge(from, to, GraphEdge::MemberOf);
            }
            let scoped_by = |context: &str| -> Vec<String> {
                let params = context_params(context);
                f.params
                    .iter()
                    .filter(|p| params.contains(&p.name.as_str()))
                    .map(|p| p.name.clone())
                    .collect()
            };
            for (index, target) in f.affects.iter().enumerate() {
                let found = match target {
                    Target::Context(c) => g.contexts.get(c).map(|&to| (to, scoped_by(c))),
                    Target::Function(t) => g.functions.get(t).map(|&to| {
                        let ctx = ir.function(t).and_then(|t| t.context.as_deref()).unwrap_or_default();
                        (to, scoped_by(ctx))
                    }),
                };
                match found {
                    Some((to, scoped_by)) => {
                        g.graph.add_edge(from, to, GraphEdge::Affects { scoped_by });
                    }
                    None => g.dangling.push(DanglingTarget {
                        function: f.name.clone(),
                        relation: "affects",
                        index,
                        target: target.name().to_owned(),
                    }),
                }
            }
            for (index, c) in f.merge.iter().enumerate() {
                match g.contexts.get(c) {
                    Some(&to) => {
                        g.graph.add_edge(
                            from,
                            to,
                            GraphEdge::Merges {
                                scoped_by: scoped_by(c),
                            },
                        );
                    }
                    None => g.dangling.push(DanglingTarget {
                        function: f.name.clone(),
                        relation: "merge",
                        index,
                        target: c.clone(),
                    }),
                }
            }
        }
        g
    }

    /// Node of a function.
    pub fn function(&self, name: &str) -> Option<NodeIndex> {
        self.functions.get(name).copied()
    }

    /// Node of a context.
    pub fn context(&self, name: &str) -> Option<NodeIndex> {
        self.contexts.get(name).copied()
    }

    /// The functions with a `member-of` edge into a context.
    pub fn members(&self, context: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph
            .edges_directed(context, petgraph::Direction::Incoming)
            .filter(|e| matches!(e.weight(), GraphEdge::MemberOf))
            .map(|e| e.source())
    }

    /// Graphviz DOT text (deterministic: nodes and edges in build order).
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph mizan {\n    rankdir=LR;\n");
        for ix in self.graph.node_indices() {
            let (id, shape) = match &self.graph[ix] {
                GraphNode::Function(n) => (format!("fn:{n}"), "box"),
                GraphNode::Context(n) => (format!("ctx:{n}"), "ellipse"),
            };
            let _ = writeln!(
                out,
                "    {} [label={}, shape={shape}];",
                quote(&id),
                quote(self.graph[ix].name())
            );
        }
        for e in self.graph.edge_references() {
            let id = |ix: NodeIndex| match &self.graph[ix] {
                GraphNode::Function(n) => format!("fn:{n}"),
                GraphNode::Context(n) => format!("ctx:{n}"),
            };
            let (label, style) = match e.weight() {
                GraphEdge::MemberOf => ("member-of".to_owned(), "dotted"),
                GraphEdge::Affects { scoped_by } => (edge_label("affects", scoped_by), "solid"),
                GraphEdge::Merges { scoped_by } => (edge_label("merges", scoped_by), "dashed"),
            };
            let _ = writeln!(
                out,
                "    {} -> {} [label={}, style={style}];",
                quote(&id(e.source())),
                quote(&id(e.target())),
                quote(&label)
            );
        }
        out.push_str("}\n");
        out
    }

    /// JSON: `{"nodes": [{"id", "kind", "name"}], "edges": [{"from", "to",
    /// "kind", "scoped_by"?}], "dangling": [...]}`.
    pub fn to_json(&self) -> Value {
        let id = |ix: NodeIndex| match &self.graph[ix] {
            GraphNode::Function(n) => format!("fn:{n}"),
            GraphNode::Context(n) => format!("ctx:{n}"),
        };
        let nodes: Vec<Value> = self
            .graph
            .node_indices()
            .map(|ix| {
                let kind = match &self.graph[ix] {
                    GraphNode::Function(_) => "function",
                    GraphNode::Context(_) => "context",
                };
                json!({"id": id(ix), "kind": kind, "name": self.graph[ix].name()})
            })
            .collect();
        let edges: Vec<Value> = self
            .graph
            .edge_references()
            .map(|e| {
                let mut v = json!({"from": id(e.source()), "to": id(e.target())});
                let extra = serde_json::to_value(e.weight()).unwrap_or(Value::Null);
                if let (Some(obj), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
                    obj.extend(extra.clone());
                }
                v
            })
            .collect();
        let dangling: Vec<Value> = self
            .dangling
            .iter()
            .map(|d| json!({"function": d.function, "relation": d.relation, "target": d.target}))
            .collect();
        json!({"nodes": nodes, "edges": edges, "dangling": dangling})
    }
}

impl InvalidationGraph {
    /// A Mermaid flowchart (for pull requests and Markdown docs):
    /// contexts as stadiums, mutations as hexagons, other functions as
    /// boxes; `member-of` dotted, `affects` solid, `merges` thick, each
    /// labelled with its auto-scoped params. Node ids are `ctx_N` / `fn_N`
    /// (names may hold characters Mermaid ids cannot); labels are quoted
    /// with `"` escaped as `#quot;`. Deterministic: build order.
    pub fn to_mermaid(&self, ir: &Ir) -> String {
        let mut out = String::from("flowchart LR\n");
        let id = |ix: NodeIndex| match &self.graph[ix] {
            GraphNode::Function(_) => format!("fn_{}", ix.index()),
            GraphNode::Context(_) => format!("ctx_{}", ix.index()),
        };
        for ix in self.graph.node_indices() {
            let name = mermaid_text(self.graph[ix].name());
            let node = match &self.graph[ix] {
                GraphNode::Context(_) => format!("([\"{name}\"])"),
                GraphNode::Function(f) if ir.function(f).is_some_and(|f| f.is_mutation()) => {
                    format!("{{{{\"{name}\"}}}}")
                }
                GraphNode::Function(_) => format!("[\"{name}\"]"),
            };
            let _ = writeln!(out, "    {}{node}", id(ix));
        }
        for e in self.graph.edge_references() {
            let (arrow, label) = match e.weight() {
                GraphEdge::MemberOf => ("-.->", "member-of".to_owned()),
                GraphEdge::Affects { scoped_by } => ("-->", edge_label("affects", scoped_by)),
                GraphEdge::Merges { scoped_by } => ("==>", edge_label("merges", scoped_by)),
            };
            let _ = writeln!(
                out,
                "    {} {arrow}|\"{}\"| {}",
                id(e.source()),
                mermaid_text(&label),
                id(e.target())
            );
        }
        let classes = [
            ("context", "fill:#e8f1fb,stroke:#3b73b9"),
            ("mutation", "fill:#fdf0e6,stroke:#c2651a"),
            ("function", "fill:#f4f4f4,stroke:#777"),
        ];
        for (class, style) in classes {
            let members: Vec<String> = self
                .graph
                .node_indices()
                .filter(|&ix| match &self.graph[ix] {
                    GraphNode::Context(_) => class == "context",
                    GraphNode::Function(f) => {
                        let mutation = ir.function(f).is_some_and(|f| f.is_mutation());
                        class == if mutation { "mutation" } else { "function" }
                    }
                })
                .map(id)
                .collect();
            if !members.is_empty() {
                let _ = writeln!(out, "    classDef {class} {style}");
                let _ = writeln!(out, "    class {} {class}", members.join(","));
            }
        }
        out
    }
}

/// Text inside a quoted Mermaid label: `"` is the one character that
/// cannot appear; Mermaid's entity codes stand in for it (and for `#`,
/// which starts one).
fn mermaid_text(s: &str) -> String {
    s.replace('#', "#35;").replace('"', "#quot;")
}

fn edge_label(kind: &str, scoped_by: &[String]) -> String {
    if scoped_by.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind} ({})", scoped_by.join(", "))
    }
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}
