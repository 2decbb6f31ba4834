//! Graph checks (SPEC §8): everything that can be wrong with an IR that
//! parsed. Each [`Diagnostic`] has a stable code, a severity, the names of
//! the functions/contexts/types involved and, for parsed text, a location.
//!
//! | code | severity | meaning |
//! |---|---|---|
//! | `duplicate-name` | error | two functions, contexts or types share a name |
//! | `invalid-name` | error | a function or context name is not an identifier |
//! | `dangling-affects` | error | an `affects` target names nothing |
//! | `dangling-merge` | error | a `merge` target names no context |
//! | `affects-plain-function` | error | a function target has no context to refetch |
//! | `unresolvable-merge` | warning | no member of the merge context fits the result |
//! | `ambiguous-merge` | warning | several members fit |
//! | `unscoped-merge` | warning | the merging function lacks a required param of the context |
//! | `mixed-transport` | error | http and websocket members in one context |
//! | `empty-context` | error | a context has no members |
//! | `unknown-context` | error | a function names an undeclared context |
//! | `context-mismatch` | error | a context's members/params differ from its functions |
//! | `param-conflict` | error | members take a shared param with different shapes |
//! | `unknown-type` | error | a shape names an undefined type |
//! | `unknown-identity` | error | a struct's identity field does not exist |
//! | `private-without-affects` | warning | a private function invalidates nothing |
//! | `global-required-params` | warning | `global` has required params |
//! | `never-invalidated` | warning | a context cached `forever` that no mutation affects or merges |
//! | `unreachable-type` | warning | a type no function uses |
//! | `scope-shape-mismatch` | warning | an argument scopes a context param of the same name but another shape |

use crate::graph::{GraphEdge, InvalidationGraph};
use crate::invalidation::{MergeSlot, merge_slot, uncovered_params};
use crate::ir::derive::{derived_params, reachable_types};
use crate::ir::{CachePolicy, GLOBAL_CONTEXT, Ir, Location, ParsedIr, Shape, SourceMap, Target, Transport, TypeKind};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The IR must not be used.
    Error,
    /// Suspicious but usable.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One finding of the checker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable kebab-case code (see the module table).
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// Human-readable message naming what is involved.
    pub message: String,
    /// Names of the functions, contexts or types involved (first is the
    /// item the diagnostic is about).
    pub names: Vec<String>,
    /// Where, when the IR came from text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Diagnostic {
    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// What a diagnostic is about, resolved to a location when a source map is
/// available.
#[derive(Clone, Copy)]
enum Anchor {
    Function(usize),
    FunctionChild(usize, &'static str, usize),
    Context(usize),
    Type(usize),
}

struct Checker<'a> {
    ir: &'a Ir,
    out: Vec<(Diagnostic, Anchor)>,
}

impl Checker<'_> {
    fn push(&mut self, code: &'static str, severity: Severity, anchor: Anchor, names: Vec<String>, message: String) {
        self.out.push((
            Diagnostic {
                code,
                severity,
                message,
                names,
                location: None,
            },
            anchor,
        ));
    }

    fn error(&mut self, code: &'static str, anchor: Anchor, names: Vec<String>, message: String) {
        self.push(code, Severity::Error, anchor, names, message);
    }

    fn warn(&mut self, code: &'static str, anchor: Anchor, names: Vec<String>, message: String) {
        self.push(code, Severity::Warning, anchor, names, message);
    }
}

/// Checks an IR built in memory (diagnostics carry no location).
pub fn check(ir: &Ir) -> Vec<Diagnostic> {
    run(ir, None, None)
}

/// Checks a parsed IR; diagnostics point at lines and columns of `text`.
pub fn check_parsed(parsed: &ParsedIr, text: &str) -> Vec<Diagnostic> {
    run(&parsed.ir, Some(&parsed.source_map), Some(text))
}

fn run(ir: &Ir, map: Option<&SourceMap>, text: Option<&str>) -> Vec<Diagnostic> {
    let mut c = Checker { ir, out: Vec::new() };
    duplicates(&mut c);
    names(&mut c);
    let graph = InvalidationGraph::build(ir);
    targets(&mut c, &graph);
    contexts(&mut c, &graph);
    never_invalidated(&mut c, &graph);
    types(&mut c);
    functions(&mut c);
    let mut out: Vec<Diagnostic> = c
        .out
        .into_iter()
        .map(|(mut d, anchor)| {
            d.location = map.and_then(|m| locate(m, text, anchor));
            d
        })
        .collect();
    out.sort_by(|a, b| (a.location, a.severity, a.code, &a.names).cmp(&(b.location, b.severity, b.code, &b.names)));
    out
}

fn locate(map: &SourceMap, text: Option<&str>, anchor: Anchor) -> Option<Location> {
    let offset = match anchor {
        Anchor::Function(i) => map.functions.get(i)?.offset,
        Anchor::FunctionChild(i, kind, n) => {
            let spans = map.functions.get(i)?;
            spans.nth(kind, n).unwrap_or(spans.offset)
        }
        Anchor::Context(i) => map.contexts.get(i)?.offset,
        Anchor::Type(i) => map.types.get(i)?.offset,
    };
    Some(map.location(text, offset))
}

fn duplicates(c: &mut Checker) {
    let ir = c.ir;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, f) in ir.functions.iter().enumerate() {
        if seen.insert(&f.name, i).is_some() {
            c.error(
                "duplicate-name",
                Anchor::Function(i),
                vec![f.name.clone()],
                format!("function `{}` is defined more than once", f.name),
            );
        }
    }
    seen.clear();
    for (i, ctx) in ir.contexts.iter().enumerate() {
        if seen.insert(&ctx.name, i).is_some() {
            c.error(
                "duplicate-name",
                Anchor::Context(i),
                vec![ctx.name.clone()],
                format!("context `{}` is defined more than once", ctx.name),
            );
        }
    }
    seen.clear();
    for (i, t) in ir.types.iter().enumerate() {
        if seen.insert(&t.name, i).is_some() {
            c.error(
                "duplicate-name",
                Anchor::Type(i),
                vec![t.name.clone()],
                format!("type `{}` is defined more than once", t.name),
            );
        }
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(ch) if ch.is_alphabetic() || ch == '_')
        && chars.all(|ch| ch.is_alphanumeric() || ch == '_')
}

fn names(c: &mut Checker) {
    let ir = c.ir;
    for (i, f) in ir.functions.iter().enumerate() {
        if !is_identifier(&f.name) {
            c.error(
                "invalid-name",
                Anchor::Function(i),
                vec![f.name.clone()],
                format!("function name `{}` is not an identifier (letters, digits, `_`)", f.name),
            );
        }
    }
    for (i, ctx) in ir.contexts.iter().enumerate() {
        if !is_identifier(&ctx.name) {
            c.error(
                "invalid-name",
                Anchor::Context(i),
                vec![ctx.name.clone()],
                format!(
                    "context name `{}` is not an identifier (letters, digits, `_`)",
                    ctx.name
                ),
            );
        }
    }
}

fn function_index(ir: &Ir, name: &str) -> Option<usize> {
    ir.functions.iter().position(|f| f.name == name)
}

fn targets(c: &mut Checker, graph: &InvalidationGraph) {
    let ir = c.ir;
    for d in &graph.dangling {
        let i = function_index(ir, &d.function).unwrap_or(0);
        let anchor = Anchor::FunctionChild(i, if d.relation == "merge" { "merge" } else { "affects" }, d.index);
        if d.relation == "merge" {
            c.error(
                "dangling-merge",
                anchor,
                vec![d.function.clone(), d.target.clone()],
                format!("`{}` merges into `{}`, which is not a context", d.function, d.target),
            );
        } else {
            c.error(
                "dangling-affects",
                anchor,
                vec![d.function.clone(), d.target.clone()],
                format!("`{}` affects `{}`, which is not defined", d.function, d.target),
            );
        }
    }
    for (i, f) in ir.functions.iter().enumerate() {
        scope_shapes(c, i, f);
        let mut function_targets = 0;
        for t in &f.affects {
            if let Target::Function(name) = t {
                let n = function_targets;
                function_targets += 1;
                if let Some(target) = ir.function(name)
                    && target.context.is_none()
                {
                    c.error(
                        "affects-plain-function",
                        Anchor::FunctionChild(i, "affects", f.affects.iter().position(|x| x == t).unwrap_or(n)),
                        vec![f.name.clone(), name.clone()],
                        format!("`{}` affects function `{name}`, which belongs to no context, so there is nothing to refetch", f.name),
                    );
                }
            }
        }
        for (n, ctx) in f.merge.iter().enumerate() {
            if graph.context(ctx).is_none() {
                continue;
            }
            let anchor = Anchor::FunctionChild(i, "merge", n);
            match merge_slot(ir, &f.output, ctx) {
                MergeSlot::Unique { .. } => {
                    let missing = uncovered_params(ir, f, ctx);
                    if !missing.is_empty() {
                        let list = missing.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
                        let mut names = vec![f.name.clone(), ctx.clone()];
                        names.extend(missing);
                        c.warn(
                            "unscoped-merge",
                            anchor,
                            names,
                            format!("`{}` merges into context `{ctx}` but takes no {list} argument, so its result cannot be matched to one `{ctx}` instance; clients will refetch `{ctx}` instead (add the param to `{}`, or use `affects`)", f.name, f.name),
                        );
                    }
                }
                MergeSlot::Unresolved => c.warn(
                    "unresolvable-merge",
                    anchor,
                    vec![f.name.clone(), ctx.clone()],
                    format!("no member of context `{ctx}` returns `{}` (or a list of it), so `{}` cannot merge into it; clients will refetch `{ctx}` instead", f.output, f.name),
                ),
                MergeSlot::Ambiguous(slots) => {
                    let mut names = vec![f.name.clone(), ctx.clone()];
                    names.extend(slots.iter().cloned());
                    c.warn(
                        "ambiguous-merge",
                        anchor,
                        names,
                        format!("several members of context `{ctx}` fit the result of `{}` ({}); clients will refetch `{ctx}` instead", f.name, slots.join(", ")),
                    );
                }
            }
        }
    }
}

/// An argument scopes the instances of an affected or merged context by
/// its name alone (SPEC §4): when the names match but the shapes do not,
/// the two are likely different things (a folder `path` and a file
/// `path`), and the invalidation names instances that never exist.
fn scope_shapes(c: &mut Checker, i: usize, f: &crate::ir::Function) {
    let ir = c.ir;
    let affected = f.affects.iter().enumerate().filter_map(|(n, t)| {
        let context = match t {
            Target::Context(name) => Some(name.as_str()),
            Target::Function(name) => ir.function(name).and_then(|t| t.context.as_deref()),
        };
        context.map(|ctx| (ctx, Anchor::FunctionChild(i, "affects", n)))
    });
    let merged = (f.merge.iter().enumerate()).map(|(n, ctx)| (ctx.as_str(), Anchor::FunctionChild(i, "merge", n)));
    for (ctx, anchor) in affected.chain(merged) {
        let Some(context) = ir.context(ctx) else {
            continue;
        };
        for arg in &f.params {
            let Some(param) = context.params.iter().find(|p| p.name == arg.name) else {
                continue;
            };
            if base_shape(&arg.shape) != base_shape(&param.shape) {
                c.warn(
                    "scope-shape-mismatch",
                    anchor,
                    vec![f.name.clone(), ctx.to_owned(), arg.name.clone()],
                    format!(
                        "`{}`'s argument `{}` ({}) scopes context `{ctx}`'s param `{}` ({}) because the names match, but the shapes differ: they are probably different things, and the invalidation would name `{ctx}` instances that do not exist (rename the argument)",
                        f.name, arg.name, arg.shape, param.name, param.shape
                    ),
                );
            }
        }
    }
}

/// A shape without its outer `optional` (an optional argument may scope a
/// required param of the same shape).
fn base_shape(shape: &Shape) -> &Shape {
    match shape {
        Shape::Optional(inner) => base_shape(inner),
        s => s,
    }
}

fn contexts(c: &mut Checker, graph: &InvalidationGraph) {
    let ir = c.ir;
    for (i, f) in ir.functions.iter().enumerate() {
        if let Some(ctx) = &f.context
            && graph.context(ctx).is_none()
        {
            c.error(
                "unknown-context",
                Anchor::FunctionChild(i, "context", 0),
                vec![f.name.clone(), ctx.clone()],
                format!(
                    "function `{}` belongs to context `{ctx}`, which is not declared",
                    f.name
                ),
            );
        }
    }
    for (i, ctx) in ir.contexts.iter().enumerate() {
        let Some(node) = graph.context(&ctx.name) else { continue };
        let mut members: Vec<&str> = graph.members(node).map(|m| graph.graph[m].name()).collect();
        members.sort_unstable();
        members.dedup();
        let anchor = Anchor::Context(i);
        if members.is_empty() && ctx.members.is_empty() {
            c.error(
                "empty-context",
                anchor,
                vec![ctx.name.clone()],
                format!("context `{}` has no members", ctx.name),
            );
            continue;
        }
        let mut declared: Vec<&str> = ctx.members.iter().map(String::as_str).collect();
        declared.sort_unstable();
        if declared != members {
            c.error(
                "context-mismatch",
                anchor,
                vec![ctx.name.clone()],
                format!(
                    "context `{}` lists members [{}] but the functions in it are [{}]",
                    ctx.name,
                    declared.join(", "),
                    members.join(", ")
                ),
            );
        } else {
            let owned: Vec<String> = members.iter().map(|m| (*m).to_owned()).collect();
            let derived = derived_params(ir, &owned);
            let mut declared_params = ctx.params.clone();
            declared_params.sort_by(|a, b| a.name.cmp(&b.name));
            for p in &mut declared_params {
                p.shared_by.sort();
            }
            // Shapes the members disagree on are `param-conflict`'s to report.
            let same = |a: &crate::ir::ContextParam, b: &crate::ir::ContextParam| {
                a.name == b.name
                    && a.required == b.required
                    && a.shared_by == b.shared_by
                    && (a.shape == b.shape || members_disagree(ir, &owned, &a.name))
            };
            let matches =
                declared_params.len() == derived.len() && declared_params.iter().zip(&derived).all(|(a, b)| same(a, b));
            if !matches {
                let show = |ps: &[crate::ir::ContextParam]| {
                    ps.iter()
                        .map(|p| format!("{}{}", p.name, if p.required { "" } else { "?" }))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                c.error(
                    "context-mismatch",
                    anchor,
                    vec![ctx.name.clone()],
                    format!(
                        "context `{}` declares params [{}] but its members give [{}]",
                        ctx.name,
                        show(&declared_params),
                        show(&derived)
                    ),
                );
            }
        }
        let member_fns: Vec<&crate::ir::Function> = members.iter().filter_map(|m| ir.function(m)).collect();
        let transports: BTreeSet<Transport> = member_fns.iter().map(|f| f.transport).collect();
        if transports.len() > 1 {
            let ws: Vec<String> = member_fns
                .iter()
                .filter(|f| f.transport == Transport::Websocket)
                .map(|f| f.name.clone())
                .collect();
            let mut names = vec![ctx.name.clone()];
            names.extend(ws.iter().cloned());
            c.error(
                "mixed-transport",
                anchor,
                names,
                format!(
                    "context `{}` mixes http and websocket members (websocket: {})",
                    ctx.name,
                    ws.join(", ")
                ),
            );
        }
        let mut shapes: HashMap<&str, (&Shape, &str)> = HashMap::new();
        for f in &member_fns {
            for p in &f.params {
                match shapes.get(p.name.as_str()) {
                    Some((shape, first)) if **shape != p.shape => c.error(
                        "param-conflict",
                        anchor,
                        vec![ctx.name.clone(), (*first).to_owned(), f.name.clone()],
                        format!(
                            "context `{}` param `{}` is `{}` in `{first}` but `{}` in `{}`",
                            ctx.name, p.name, shape, p.shape, f.name
                        ),
                    ),
                    Some(_) => {}
                    None => {
                        shapes.insert(&p.name, (&p.shape, &f.name));
                    }
                }
            }
        }
        if ctx.name == GLOBAL_CONTEXT && ctx.params.iter().any(|p| p.required) {
            let required: Vec<&str> = ctx
                .params
                .iter()
                .filter(|p| p.required)
                .map(|p| p.name.as_str())
                .collect();
            c.warn(
                "global-required-params",
                anchor,
                vec![ctx.name.clone()],
                format!(
                    "context `global` is fetched once at the app root but requires params ({})",
                    required.join(", ")
                ),
            );
        }
    }
}

/// A context whose entries are kept `forever` (its effective cache policy)
/// while no mutation affects it — directly or through one of its members —
/// or merges into it: a cached instance could only ever go stale.
fn never_invalidated(c: &mut Checker, graph: &InvalidationGraph) {
    let ir = c.ir;
    for (i, ctx) in ir.contexts.iter().enumerate() {
        let Some(node) = graph.context(&ctx.name) else { continue };
        if ir.members_of(&ctx.name).next().is_none() || ir.effective_cache(&ctx.name) != CachePolicy::Forever {
            continue;
        }
        let reached = |n| {
            graph
                .graph
                .edges_directed(n, petgraph::Direction::Incoming)
                .any(|e| matches!(e.weight(), GraphEdge::Affects { .. } | GraphEdge::Merges { .. }))
        };
        if reached(node) || graph.members(node).any(reached) {
            continue;
        }
        c.warn(
            "never-invalidated",
            Anchor::Context(i),
            vec![ctx.name.clone()],
            format!(
                "context `{}` is cached forever but no mutation affects or merges it, so its cached entries can only go stale (add it to a mutation's `affects`, or give a member a `cache` TTL)",
                ctx.name
            ),
        );
    }
}

/// True when the members of a context take `param` with different shapes.
fn members_disagree(ir: &Ir, members: &[String], param: &str) -> bool {
    let mut shapes = members
        .iter()
        .filter_map(|m| ir.function(m)?.param(param))
        .map(|p| &p.shape);
    let first = shapes.next();
    shapes.any(|s| Some(s) != first)
}

fn types(c: &mut Checker) {
    let ir = c.ir;
    let defined: BTreeSet<&str> = ir.types.iter().map(|t| t.name.as_str()).collect();
    let unknown = |c: &mut Checker, shape: &Shape, anchor: Anchor, owner: &str| {
        let mut missing = Vec::new();
        shape.visit_refs(&mut |r| {
            if !defined.contains(r) {
                missing.push(r.to_owned());
            }
        });
        for m in missing {
            c.error(
                "unknown-type",
                anchor,
                vec![owner.to_owned(), m.clone()],
                format!("`{owner}` uses type `{m}`, which is not defined"),
            );
        }
    };
    for (i, f) in ir.functions.iter().enumerate() {
        for (n, p) in f.params.iter().enumerate() {
            unknown(c, &p.shape, Anchor::FunctionChild(i, "param", n), &f.name);
        }
        unknown(c, &f.output, Anchor::FunctionChild(i, "returns", 0), &f.name);
    }
    let reachable = reachable_types(ir);
    for (i, t) in ir.types.iter().enumerate() {
        match &t.kind {
            TypeKind::Struct(s) => {
                for field in &s.fields {
                    unknown(c, &field.shape, Anchor::Type(i), &t.name);
                }
                if let Some(id) = &s.identity
                    && !s.fields.iter().any(|f| &f.name == id)
                {
                    c.error(
                        "unknown-identity",
                        Anchor::Type(i),
                        vec![t.name.clone()],
                        format!(
                            "struct `{}` names identity field `{id}`, which it does not have",
                            t.name
                        ),
                    );
                }
            }
            TypeKind::Alias(shape) => unknown(c, shape, Anchor::Type(i), &t.name),
            TypeKind::Enum(_) => {}
        }
        if !reachable.contains(t.name.as_str()) {
            c.warn(
                "unreachable-type",
                Anchor::Type(i),
                vec![t.name.clone()],
                format!("type `{}` is not used by any function", t.name),
            );
        }
    }
}

fn functions(c: &mut Checker) {
    let ir = c.ir;
    for (i, f) in ir.functions.iter().enumerate() {
        if f.private && f.affects.is_empty() && f.merge.is_empty() {
            c.warn(
                "private-without-affects",
                Anchor::Function(i),
                vec![f.name.clone()],
                format!(
                    "private function `{}` affects nothing: clients can never call it and it invalidates nothing",
                    f.name
                ),
            );
        }
    }
}
