//! KDL text → [`Ir`]. Reads the tree from [`super::kdl_tree`] and checks it
//! against the IR grammar of `docs/IR.md`. Every problem is an
//! [`IrParseError`] naming the line and column and what was expected; no
//! input makes this module panic. Graph-level problems (dangling targets,
//! duplicates, ...) are not errors here: they are [`crate::check`]'s job, and
//! [`SourceMap`] lets it point at the right line.

use super::kdl_tree::{self, KdlNode, KdlValue};
use super::node_reader::{NodeReader, Problem, Res, describe, problem, with_help};
use super::source::{IrParseError, ItemSpans, SourceMap};
use super::{
    Auth, CachePolicy, Context, ContextParam, Field, Function, IR_VERSION, Ir, Param, Shape, StructDef, Target,
    Transport, TypeDef, TypeKind, Variant,
};
use miette::{NamedSource, SourceSpan};
/// An IR together with where its items are in the text.
#[derive(Debug, Clone)]
pub struct ParsedIr {
    /// The IR, in file order.
    pub ir: Ir,
    /// Item positions.
    pub source_map: SourceMap,
}

/// Parses IR text. Items keep file order (canonical text is already sorted).
pub fn parse(text: &str) -> Result<Ir, IrParseError> {
    parse_with_locations(text).map(|p| p.ir)
}

/// Parses IR text and returns item positions for diagnostics.
pub fn parse_with_locations(text: &str) -> Result<ParsedIr, IrParseError> {
    let mut source_map = SourceMap::new(text);
    let error = |e: Problem, source_map: &SourceMap| {
        let loc = source_map.location(Some(text), e.offset);
        IrParseError {
            code: e.code,
            message: e.message,
            line: loc.line,
            column: loc.column,
            help: e.help,
            span: SourceSpan::new(e.offset.min(text.len()).into(), e.len),
            source_code: std::sync::Arc::new(NamedSource::new("ir.kdl", text.to_owned())),
        }
    };
    let nodes = kdl_tree::read(text).map_err(|e| {
        error(
            Problem {
                code: "kdl-syntax",
                offset: e.offset,
                len: e.len,
                message: e.message,
                help: e.help,
            },
            &source_map,
        )
    })?;
    let ir = read_document(&nodes, &mut source_map).map_err(|e| error(e, &source_map))?;
    Ok(ParsedIr { ir, source_map })
}
fn read_document(nodes: &[KdlNode], map: &mut SourceMap) -> Res<Ir> {
    let root = match nodes {
        [root] if root.name == "mizan-ir" => root,
        [] => {
            return Err(with_help(
                problem(0, "empty document"),
                "an IR starts with `mizan-ir version=1 { ... }`",
            ));
        }
        [root] => {
            return Err(with_help(
                problem(
                    root.offset,
                    format!("expected the root node `mizan-ir`, found `{}`", root.name),
                ),
                "an IR starts with `mizan-ir version=1 { ... }`",
            ));
        }
        [_, second, ..] => return Err(problem(second.offset, "expected exactly one root node `mizan-ir`")),
    };
    let mut r = NodeReader::new(root)?;
    let version = r
        .integer_prop("version")?
        .ok_or_else(|| problem(root.offset, "`mizan-ir` needs `version=1`"))?;
    r.finish()?;
    if version != i128::from(IR_VERSION) {
        return Err(problem(
            root.offset,
            format!("unsupported IR version {version}; this build reads version {IR_VERSION}"),
        ));
    }
    let mut ir = Ir {
        version: IR_VERSION,
        ..Ir::default()
    };
    for node in root.children.as_deref().unwrap_or_default() {
        let mut spans = ItemSpans {
            offset: node.offset,
            children: Vec::new(),
        };
        match node.name.as_str() {
            "function" => {
                ir.functions.push(read_function(node, &mut spans)?);
                map.functions.push(spans);
            }
            "context" => {
                ir.contexts.push(read_context(node, &mut spans)?);
                map.contexts.push(spans);
            }
            "struct" | "enum" | "alias" => {
                ir.types.push(read_type(node, &mut spans)?);
                map.types.push(spans);
            }
            other => {
                return Err(problem(
                    node.offset,
                    format!("unknown node `{other}`; expected `context`, `function`, `struct`, `enum` or `alias`"),
                ));
            }
        }
    }
    Ok(ir)
}
/// Reads a `doc "..."` child (at most one).
fn set_doc(doc: &mut Option<String>, child: &KdlNode) -> Res<()> {
    if doc.is_some() {
        return Err(problem(child.offset, "duplicate `doc`"));
    }
    let mut r = NodeReader::new(child)?;
    *doc = Some(r.string_arg("the documentation text")?);
    r.no_children()?;
    r.finish()
}

fn once<T>(slot: &mut Option<T>, value: T, child: &KdlNode) -> Res<()> {
    if slot.is_some() {
        return Err(problem(child.offset, format!("duplicate `{}`", child.name)));
    }
    *slot = Some(value);
    Ok(())
}

/// Maps a child node name to the static name kept in [`ItemSpans`].
fn child_kind(name: &str) -> &'static str {
    match name {
        "doc" => "doc",
        "context" => "context",
        "affects" => "affects",
        "merge" => "merge",
        "param" => "param",
        "member" => "member",
        "field" => "field",
        "returns" => "returns",
        _ => "other",
    }
}

fn read_function(node: &KdlNode, spans: &mut ItemSpans) -> Res<Function> {
    let mut r = NodeReader::new(node)?;
    let (name, _) = r.name_arg("a function name")?;
    r.finish()?;
    let mut f = Function::new(name, Shape::Null);
    let (mut transport, mut auth, mut route, mut rev, mut cache, mut output, mut context, mut methods) =
        (None, None, None, None, None, None, None, None);
    for child in node.children.as_deref().unwrap_or_default() {
        spans.children.push((child_kind(&child.name), child.offset));
        let mut c = NodeReader::new(child)?;
        match child.name.as_str() {
            "doc" => {
                set_doc(&mut f.doc, child)?;
                continue;
            }
            "context" => once(&mut context, c.name_arg("a context name")?.0, child)?,
            "transport" => {
                let t = match c.string_arg("`http` or `websocket`")?.as_str() {
                    "http" => Transport::Http,
                    "websocket" => Transport::Websocket,
                    other => {
                        return Err(problem(
                            child.offset,
                            format!("unknown transport `{other}`; expected `http` or `websocket`"),
                        ));
                    }
                };
                once(&mut transport, t, child)?;
            }
            "auth" => {
                let a = if let Some((p, at)) = c.string_prop("predicate")? {
                    if p.is_empty() {
                        return Err(problem(at, "`predicate` needs a name"));
                    }
                    Auth::Predicate(p)
                } else {
                    match c
                        .string_arg("`required`, `staff`, `superuser` or `predicate=NAME`")?
                        .as_str()
                    {
                        "required" => Auth::Required,
                        "staff" => Auth::Staff,
                        "superuser" => Auth::Superuser,
                        "none" => Auth::None,
                        other => {
                            return Err(with_help(
                                problem(child.offset, format!("unknown auth level `{other}`")),
                                "use `auth required|staff|superuser` or `auth predicate=NAME` for a custom predicate",
                            ));
                        }
                    }
                };
                once(&mut auth, a, child)?;
            }
            "private" => {
                if f.private {
                    return Err(problem(child.offset, "duplicate `private`"));
                }
                f.private = true;
            }
            "route" => once(
                &mut route,
                c.string_arg("a route such as \"/profile/:user_id/\"")?,
                child,
            )?,
            "methods" => {
                let m = c.rest_args("an HTTP method")?;
                if m.is_empty() {
                    return Err(problem(child.offset, "`methods` needs at least one HTTP method"));
                }
                once(&mut methods, m, child)?;
            }
            "rev" => {
                let v = c.integer_arg("a revision number")?;
                let v = u32::try_from(v)
                    .map_err(|_| problem(child.offset, format!("rev must be between 0 and {}", u32::MAX)))?;
                once(&mut rev, v, child)?;
            }
            "cache" => {
                let e = c.arg("seconds, `none` or `forever`")?;
                let p = match &e.value {
                    KdlValue::Integer(n) if *n > 0 && u64::try_from(*n).is_ok() => CachePolicy::Ttl(*n as u64),
                    KdlValue::String(s) if s == "none" => CachePolicy::None,
                    KdlValue::String(s) if s == "forever" => CachePolicy::Forever,
                    v => {
                        return Err(problem(
                            e.offset,
                            format!(
                                "expected a positive number of seconds, `none` or `forever`, found {}",
                                describe(v)
                            ),
                        ));
                    }
                };
                once(&mut cache, p, child)?;
            }
            "param" => {
                let (pname, at) = c.name_arg("a parameter name")?;
                if f.param(&pname).is_some() {
                    return Err(problem(at, format!("duplicate parameter `{pname}`")));
                }
                let shape = c.shape_arg()?;
                let default = c.default_prop()?;
                let required = c.bool_prop("required")?.unwrap_or(true);
                f.params.push(Param {
                    name: pname,
                    shape,
                    default,
                    required,
                });
            }
            "returns" => once(&mut output, c.shape_arg()?, child)?,
            "affects" => {
                let target = match (c.string_prop("context")?, c.string_prop("function")?) {
                    (Some((n, _)), None) => Target::Context(n),
                    (None, Some((n, _))) => Target::Function(n),
                    _ => {
                        return Err(with_help(
                            problem(
                                child.offset,
                                "`affects` needs exactly one of `context=NAME` or `function=NAME`",
                            ),
                            "e.g. `affects context=user` or `affects function=user_orders`",
                        ));
                    }
                };
                f.affects.push(target);
            }
            "merge" => f.merge.push(c.name_arg("a context name")?.0),
            other => {
                return Err(problem(
                    child.offset,
                    format!(
                        "unknown node `{other}` in function `{}`; expected doc, context, transport, auth, private, route, methods, rev, cache, param, returns, affects or merge",
                        f.name
                    ),
                ));
            }
        }
        c.no_children()?;
        c.finish()?;
    }
    f.output = output.ok_or_else(|| {
        with_help(
            problem(node.offset, format!("function `{}` has no `returns`", f.name)),
            "add e.g. `returns null`",
        )
    })?;
    f.context = context;
    f.transport = transport.unwrap_or_default();
    f.auth = auth.unwrap_or_default();
    f.route = route;
    f.methods = methods.unwrap_or_default();
    f.rev = rev.unwrap_or(0);
    f.cache = cache.unwrap_or_default();
    Ok(f)
}

fn read_context(node: &KdlNode, spans: &mut ItemSpans) -> Res<Context> {
    let mut r = NodeReader::new(node)?;
    let (name, _) = r.name_arg("a context name")?;
    r.finish()?;
    let mut ctx = Context {
        name,
        doc: None,
        members: Vec::new(),
        params: Vec::new(),
    };
    for child in r.children() {
        spans.children.push((child_kind(&child.name), child.offset));
        let mut c = NodeReader::new(child)?;
        match child.name.as_str() {
            "doc" => {
                set_doc(&mut ctx.doc, child)?;
                continue;
            }
            "member" => {
                ctx.members.push(c.name_arg("a function name")?.0);
                c.no_children()?;
            }
            "param" => {
                let (pname, at) = c.name_arg("a parameter name")?;
                if ctx.params.iter().any(|p| p.name == pname) {
                    return Err(problem(at, format!("duplicate context param `{pname}`")));
                }
                let shape = c.shape_arg()?;
                let required = c.bool_prop("required")?.unwrap_or(false);
                let mut shared_by = Vec::new();
                for g in c.children() {
                    let mut gr = NodeReader::new(g)?;
                    if g.name != "shared-by" {
                        return Err(problem(
                            g.offset,
                            format!("unknown node `{}` in context param; expected `shared-by`", g.name),
                        ));
                    }
                    shared_by.extend(gr.rest_args("a member function name")?);
                    gr.no_children()?;
                    gr.finish()?;
                }
                ctx.params.push(ContextParam {
                    name: pname,
                    shape,
                    required,
                    shared_by,
                });
            }
            other => {
                return Err(problem(
                    child.offset,
                    format!(
                        "unknown node `{other}` in context `{}`; expected doc, member or param",
                        ctx.name
                    ),
                ));
            }
        }
        c.finish()?;
    }
    Ok(ctx)
}

fn read_type(node: &KdlNode, spans: &mut ItemSpans) -> Res<TypeDef> {
    let mut r = NodeReader::new(node)?;
    let (name, at) = r.name_arg("a type name")?;
    if !Shape::is_valid_type_name(&name) {
        return Err(with_help(
            problem(at, format!("`{name}` is not a valid type name")),
            "type names are identifiers (letters, digits, `_`) and not shape keywords such as `string` or `list`",
        ));
    }
    let alias = if node.name == "alias" {
        Some(r.shape_arg()?)
    } else {
        None
    };
    r.finish()?;
    let mut doc = None;
    let mut def = StructDef::default();
    let mut variants = Vec::new();
    for child in r.children() {
        spans.children.push((child_kind(&child.name), child.offset));
        let mut c = NodeReader::new(child)?;
        match (node.name.as_str(), child.name.as_str()) {
            (_, "doc") => {
                set_doc(&mut doc, child)?;
                continue;
            }
            ("struct", "identity") => {
                let (field, _) = c.name_arg("the identity field name")?;
                once(&mut def.identity, field, child)?;
                c.no_children()?;
            }
            ("struct", "field") => {
                let (fname, at) = c.name_arg("a field name")?;
                if def.fields.iter().any(|f| f.name == fname) {
                    return Err(problem(at, format!("duplicate field `{fname}` in `{name}`")));
                }
                let shape = c.shape_arg()?;
                let optional = c.bool_prop("optional")?.unwrap_or(false);
                let default = c.default_prop()?;
                let mut fdoc = None;
                for g in c.children() {
                    if g.name != "doc" {
                        return Err(problem(
                            g.offset,
                            format!("unknown node `{}` in field; expected `doc`", g.name),
                        ));
                    }
                    set_doc(&mut fdoc, g)?;
                }
                def.fields.push(Field {
                    name: fname,
                    shape,
                    optional,
                    default,
                    doc: fdoc,
                });
            }
            ("enum", "variant") => {
                let (vname, at) = c.name_arg("a variant wire name")?;
                if variants.iter().any(|v: &Variant| v.name == vname) {
                    return Err(problem(at, format!("duplicate variant `{vname}` in `{name}`")));
                }
                let mut vdoc = None;
                for g in c.children() {
                    if g.name != "doc" {
                        return Err(problem(
                            g.offset,
                            format!("unknown node `{}` in variant; expected `doc`", g.name),
                        ));
                    }
                    set_doc(&mut vdoc, g)?;
                }
                variants.push(Variant { name: vname, doc: vdoc });
            }
            (kind, other) => {
                let expected = match kind {
                    "struct" => "doc, identity or field",
                    "enum" => "doc or variant",
                    _ => "doc",
                };
                return Err(problem(
                    child.offset,
                    format!("unknown node `{other}` in {kind} `{name}`; expected {expected}"),
                ));
            }
        }
        c.finish()?;
    }
    let kind = match (node.name.as_str(), alias) {
        (_, Some(shape)) => TypeKind::Alias(shape),
        ("enum", _) => TypeKind::Enum(variants),
        _ => TypeKind::Struct(def),
    };
    Ok(TypeDef { name, doc, kind })
}
