//! The Rust view of an IR, shared by the `rust` and `leptos` targets:
//! identifiers, types, serde attributes and doc comments, computed once so
//! the templates only lay them out.
//!
//! Naming: IR names keep their spelling where Rust allows it (raw
//! identifiers for keywords, `#[serde(rename)]` when a wire name is not an
//! identifier); generated names are `<Pascal>Args`, `<Pascal>Params`,
//! `<Pascal>Data`, `fetch_<ctx>_context`, `use_<fn>`, `use_<ctx>_context`.
//! Two names that map to the same identifier are a render error, never
//! silently renamed. Standard types are written with full paths
//! (`::std::string::String`) so an IR type called `Result` or `Option`
//! cannot shadow them.

use std::collections::{BTreeMap, BTreeSet};

use mizan_core::invalidation::slot_shape;
use mizan_core::ir::{Context, Field, Function, Ir, Shape, TypeKind};

use super::rust_names::{NOT_RAW, doc_lines, field_ident, ident, is_upper_camel, lit, pascal, variant_ident};
use crate::error::{Error, Result};

/// The serde derive, pointed at `mizan_client`'s re-export so generated code
/// needs no direct `serde` dependency.
const SERDE: &str = "#[derive(Debug, Clone, PartialEq, ::mizan_client::serde::Serialize, ::mizan_client::serde::Deserialize)]\n#[serde(crate = \"::mizan_client::serde\")]\n";

/// One named type, ready for `types.rs`.
#[derive(Debug, Clone)]
pub(crate) struct RsType {
    /// `///` lines and attributes (derives, allows), each ending in `\n`.
    pub head: String,
    /// `struct`, `enum` or `alias`.
    pub kind: &'static str,
    /// Type name.
    pub name: String,
    /// Struct fields.
    pub fields: Vec<RsField>,
    /// Enum variants.
    pub variants: Vec<RsVariant>,
    /// The aliased type.
    pub alias: String,
}

/// A struct field (also args, params and context data fields).
#[derive(Debug, Clone)]
pub(crate) struct RsField {
    /// Doc lines and serde attributes, indented by four spaces, each ending
    /// in `\n`.
    pub head: String,
    /// The Rust identifier.
    pub ident: String,
    /// The Rust type.
    pub ty: String,
}

/// An enum variant.
#[derive(Debug, Clone)]
pub(crate) struct RsVariant {
    /// Doc lines and the rename, indented, each ending in `\n`.
    pub head: String,
    /// The variant identifier.
    pub ident: String,
    /// Its wire name, as a Rust string literal (what `as_str` returns).
    pub wire: String,
}

/// A client-callable function.
#[derive(Debug, Clone)]
pub(crate) struct RsFn {
    /// Wire name.
    pub name: String,
    /// Wire name, as a Rust string literal.
    pub name_lit: String,
    /// Method identifier on `Client`.
    pub method: String,
    /// Leptos hook identifier (`use_<name>`).
    pub hook: String,
    /// PascalCase of the name.
    pub pascal: String,
    /// `///` lines indented by four spaces.
    pub doc_in: String,
    /// `///` lines at top level.
    pub doc: String,
    /// The args struct's fields; no struct (and no argument) when empty.
    pub args: Vec<RsField>,
    /// The result type (named types as `types::Name`).
    pub result_ty: String,
    /// The wire names of the arguments that are files (shape `upload`, or
    /// an optional one), as a Rust slice literal (`&["file"]`); empty when
    /// there are none. The HTTP transport sends those as multipart parts.
    pub uploads_lit: String,
}

/// A context.
#[derive(Debug, Clone)]
pub(crate) struct RsCtx {
    /// Wire name, as a Rust string literal.
    pub name_lit: String,
    /// The name as written in docs.
    pub name: String,
    /// PascalCase of the name.
    pub pascal: String,
    /// `fetch_<name>_context`.
    pub fetch: String,
    /// `use_<name>_context`.
    pub hook: String,
    /// `///` lines at top level (the context's doc).
    pub doc: String,
    /// Params struct fields; no struct when empty.
    pub params: Vec<RsField>,
    /// True when no param is required (the params struct derives `Default`).
    pub params_default: bool,
    /// The data struct's fields: one per member.
    pub members: Vec<RsMember>,
}

/// A member of a context: a field of its data struct.
#[derive(Debug, Clone)]
pub(crate) struct RsMember {
    /// The data field.
    pub field: RsField,
    /// Accessor identifier for per-member Leptos signals.
    pub accessor: String,
}

/// A list slot merges upsert into: `(context, member, identity field)` as
/// Rust string literals.
#[derive(Debug, Clone)]
pub(crate) struct RsListSlot {
    /// Context name literal.
    pub context: String,
    /// Member name literal.
    pub slot: String,
    /// Identity field literal.
    pub identity: String,
}

/// Everything the Rust templates need.
#[derive(Debug, Clone)]
pub(crate) struct RsModel {
    /// Named types.
    pub types: Vec<RsType>,
    /// Client-callable functions, in name order.
    pub functions: Vec<RsFn>,
    /// Contexts, in name order.
    pub contexts: Vec<RsCtx>,
    /// List slots for merge upserts.
    pub list_slots: Vec<RsListSlot>,
    /// The default HTTP base, as a string literal.
    pub base_url: String,
}

impl RsModel {
    /// Builds the model; fails on names Rust cannot express.
    pub fn new(ir: &Ir, base_url: &str) -> Result<RsModel> {
        let mut types = Vec::with_capacity(ir.types.len());
        for t in &ir.types {
            if NOT_RAW.contains(&t.name.as_str()) {
                return Err(render_error(format!("type name `{}` is reserved in Rust", t.name)));
            }
            let mut head = doc_lines(t.doc.as_deref(), "");
            if !is_upper_camel(&t.name) {
                head.push_str("#[allow(non_camel_case_types)]\n");
            }
            let name = ident(&t.name);
            types.push(match &t.kind {
                TypeKind::Struct(s) => {
                    head.push_str(SERDE);
                    let owner = format!("struct `{}`", t.name);
                    let fields = struct_fields(ir, &t.name, &s.fields, &owner)?;
                    RsType {
                        head,
                        kind: "struct",
                        name,
                        fields,
                        variants: Vec::new(),
                        alias: String::new(),
                    }
                }
                TypeKind::Enum(variants) => {
                    head.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::mizan_client::serde::Serialize, ::mizan_client::serde::Deserialize)]\n#[serde(crate = \"::mizan_client::serde\")]\n");
                    let mut seen = Names::default();
                    let mut out = Vec::new();
                    for v in variants {
                        let id = variant_ident(&v.name);
                        seen.add(&id, &format!("variant `{}` of enum `{}`", v.name, t.name))?;
                        let mut vhead = doc_lines(v.doc.as_deref(), "    ");
                        if id != v.name {
                            vhead.push_str(&format!("    #[serde(rename = {})]\n", lit(&v.name)));
                        }
                        out.push(RsVariant {
                            head: vhead,
                            ident: id,
                            wire: lit(&v.name),
                        });
                    }
                    RsType {
                        head,
                        kind: "enum",
                        name,
                        fields: Vec::new(),
                        variants: out,
                        alias: String::new(),
                    }
                }
                TypeKind::Alias(shape) => RsType {
                    head,
                    kind: "alias",
                    name,
                    fields: Vec::new(),
                    variants: Vec::new(),
                    alias: rs_type(shape, ""),
                },
            });
        }
        let functions = ir
            .functions
            .iter()
            .filter(|f| !f.private)
            .map(fn_view)
            .collect::<Result<Vec<_>>>()?;
        let contexts = ir
            .contexts
            .iter()
            .map(|c| ctx_view(ir, c))
            .collect::<Result<Vec<_>>>()?;
        let model = RsModel {
            types,
            functions,
            contexts,
            list_slots: list_slots(ir),
            base_url: lit(base_url),
        };
        model.check_names(ir)?;
        Ok(model)
    }

    /// Generated items must not collide. `mod.rs` re-exports `types`,
    /// `client` and `hooks` with globs, so their items share one namespace
    /// (IR type names included); methods on `Client` and per-member
    /// accessors are checked separately.
    fn check_names(&self, ir: &Ir) -> Result<()> {
        let mut items = Names::default();
        let mut methods = Names::default();
        for t in &ir.types {
            items.add(&ident(&t.name), &format!("type `{}`", t.name))?;
        }
        for fixed in ["Client", "DEFAULT_BASE_URL", "types", "client", "hooks"] {
            items.add(fixed, "the generated client")?;
        }
        for fixed in ["new", "kernel"] {
            methods.add(fixed, "the generated client")?;
        }
        for fixed in ["provide_mizan", "use_mizan", "ContextState", "use_context_state"] {
            items.add(fixed, "the generated Leptos module")?;
        }
        for f in &self.functions {
            let origin = format!("function {}", f.name_lit);
            if !f.args.is_empty() {
                items.add(&format!("{}Args", f.pascal), &origin)?;
            }
            methods.add(&f.method, &origin)?;
            items.add(&f.hook, &origin)?;
        }
        for c in &self.contexts {
            let origin = format!("context {}", c.name_lit);
            if !c.params.is_empty() {
                items.add(&format!("{}Params", c.pascal), &origin)?;
            }
            items.add(&format!("{}Data", c.pascal), &origin)?;
            methods.add(&c.fetch, &origin)?;
            items.add(&c.hook, &origin)?;
            let mut accessors = Names::default();
            for fixed in ["refetch", "data", "status", "error", "is_fetching", "clone"] {
                accessors.add(fixed, "ContextState")?;
            }
            for m in &c.members {
                accessors.add(&m.accessor, &format!("member `{}` of {origin}", m.field.ident))?;
            }
        }
        Ok(())
    }
}

/// Identifiers taken in one namespace, to report collisions.
#[derive(Default)]
struct Names(BTreeMap<String, String>);

impl Names {
    fn add(&mut self, name: &str, origin: &str) -> Result<()> {
        if let Some(first) = self.0.get(name) {
            return Err(render_error(format!(
                "{origin} and {first} both map to the Rust name `{name}`"
            )));
        }
        self.0.insert(name.to_owned(), origin.to_owned());
        Ok(())
    }
}

fn render_error(message: String) -> Error {
    Error::Render {
        target: "rust",
        message,
    }
}

fn fn_view(f: &Function) -> Result<RsFn> {
    let origin = format!("function `{}`", f.name);
    let mut seen = Names::default();
    let mut args = Vec::new();
    let mut uploads = Vec::new();
    for p in &f.params {
        let id = field_ident(&p.name);
        seen.add(&id, &format!("param `{}` of {origin}", p.name))?;
        let ty = rs_type(&p.shape, "types::");
        args.push(field(&id, &p.name, None, ty, !p.required, "    "));
        if is_file(&p.shape) {
            uploads.push(lit(&p.name));
        }
    }
    let uploads_lit = if uploads.is_empty() {
        String::new()
    } else {
        format!("&[{}]", uploads.join(", "))
    };
    let doc = f.doc.clone().unwrap_or_else(|| format!("Calls `{}`.", f.name));
    Ok(RsFn {
        name: f.name.clone(),
        name_lit: lit(&f.name),
        method: ident(&f.name),
        hook: format!("use_{}", f.name),
        pascal: pascal(&f.name),
        doc_in: doc_lines(Some(&doc), "    "),
        doc: doc_lines(Some(&doc), ""),
        args,
        result_ty: rs_type(&f.output, "types::"),
        uploads_lit,
    })
}

/// True for an argument sent as a multipart file part: `upload`, or an
/// optional one. (Uploads nested in lists or types travel in the JSON
/// envelope form.)
fn is_file(shape: &Shape) -> bool {
    match shape {
        Shape::Upload => true,
        Shape::Optional(inner) => matches!(**inner, Shape::Upload),
        _ => false,
    }
}

fn ctx_view(ir: &Ir, c: &Context) -> Result<RsCtx> {
    let origin = format!("context `{}`", c.name);
    let mut seen = Names::default();
    let mut params = Vec::new();
    for p in &c.params {
        let id = field_ident(&p.name);
        seen.add(&id, &format!("param `{}` of {origin}", p.name))?;
        let doc = format!(
            "Shared by {}.",
            p.shared_by
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        params.push(field(
            &id,
            &p.name,
            Some(&doc),
            rs_type(&p.shape, "types::"),
            !p.required,
            "    ",
        ));
    }
    let mut members = Vec::new();
    for f in ir.members_of(&c.name) {
        let id = ident(&f.name);
        let doc = f.doc.clone().unwrap_or_else(|| format!("Result of `{}`.", f.name));
        members.push(RsMember {
            field: field(&id, &f.name, Some(&doc), rs_type(&f.output, "types::"), false, "    "),
            accessor: id,
        });
    }
    let doc = c.doc.clone().unwrap_or_else(|| format!("Context `{}`.", c.name));
    Ok(RsCtx {
        name_lit: lit(&c.name),
        name: c.name.clone(),
        pascal: pascal(&c.name),
        fetch: format!("fetch_{}_context", c.name),
        hook: format!("use_{}_context", c.name),
        doc: doc_lines(Some(&doc), ""),
        params_default: c.params.iter().all(|p| !p.required),
        params,
        members,
    })
}

fn struct_fields(ir: &Ir, owner_name: &str, fields: &[Field], owner: &str) -> Result<Vec<RsField>> {
    let mut seen = Names::default();
    let mut out = Vec::new();
    for f in fields {
        let id = field_ident(&f.name);
        seen.add(&id, &format!("field `{}` of {owner}", f.name))?;
        let mut ty = rs_type(&f.shape, "");
        if refers_back(ir, &f.shape, owner_name) {
            ty = boxed(&f.shape, ty);
        }
        out.push(field(&id, &f.name, f.doc.as_deref(), ty, f.optional, "    "));
    }
    Ok(out)
}

/// A field: doc, rename when the identifier differs from the wire name,
/// and `Option` plus skip-when-absent when it may be absent.
fn field(id: &str, wire: &str, doc: Option<&str>, ty: String, may_be_absent: bool, indent: &str) -> RsField {
    let mut head = doc_lines(doc, indent);
    let bare = id.strip_prefix("r#").unwrap_or(id);
    if bare != wire {
        head.push_str(&format!("{indent}#[serde(rename = {})]\n", lit(wire)));
    }
    let ty = if may_be_absent {
        head.push_str(&format!(
            "{indent}#[serde(default, skip_serializing_if = \"::std::option::Option::is_none\")]\n"
        ));
        if ty.starts_with("::std::option::Option<") {
            ty
        } else {
            format!("::std::option::Option<{ty}>")
        }
    } else {
        ty
    };
    RsField {
        head,
        ident: id.to_owned(),
        ty,
    }
}

/// The Rust type of a shape; named types are prefixed with `ns`.
/// `union` is untyped JSON and `literal` a string (documented limits).
pub(crate) fn rs_type(shape: &Shape, ns: &str) -> String {
    match shape {
        Shape::String | Shape::Datetime | Shape::Literal(_) => "::std::string::String".into(),
        Shape::Integer => "i64".into(),
        Shape::Number => "f64".into(),
        Shape::Boolean => "bool".into(),
        Shape::Null => "()".into(),
        Shape::Json | Shape::Union(_) => "::mizan_client::serde_json::Value".into(),
        Shape::Upload => "::mizan_client::Upload".into(),
        Shape::Ref(name) => format!("{ns}{}", ident(name)),
        Shape::List(inner) => format!("::std::vec::Vec<{}>", rs_type(inner, ns)),
        Shape::Optional(inner) => format!("::std::option::Option<{}>", rs_type(inner, ns)),
        Shape::Map(inner) => format!(
            "::std::collections::BTreeMap<::std::string::String, {}>",
            rs_type(inner, ns)
        ),
    }
}

/// True when `shape` holds a named type without indirection (not inside a
/// list or map) from which `owner` is reachable the same way: the field
/// needs a `Box` or the struct would have infinite size.
fn refers_back(ir: &Ir, shape: &Shape, owner: &str) -> bool {
    let mut seen = BTreeSet::new();
    direct_refs(shape)
        .into_iter()
        .any(|r| r == owner || reaches(ir, r, owner, &mut seen))
}

fn reaches<'a>(ir: &'a Ir, from: &'a str, target: &str, seen: &mut BTreeSet<&'a str>) -> bool {
    if !seen.insert(from) {
        return false;
    }
    let shapes: Vec<&Shape> = match ir.type_def(from).map(|t| &t.kind) {
        Some(TypeKind::Struct(s)) => s.fields.iter().map(|f| &f.shape).collect(),
        Some(TypeKind::Alias(shape)) => vec![shape],
        _ => Vec::new(),
    };
    shapes
        .into_iter()
        .flat_map(direct_refs)
        .any(|r| r == target || reaches(ir, r, target, seen))
}

/// Named types a shape holds inline (through `optional`, not list or map).
fn direct_refs(shape: &Shape) -> Vec<&str> {
    match shape {
        Shape::Ref(name) => vec![name.as_str()],
        Shape::Optional(inner) => direct_refs(inner),
        _ => Vec::new(),
    }
}

/// `T` → `Box<T>`, `Option<T>` → `Option<Box<T>>`.
fn boxed(shape: &Shape, ty: String) -> String {
    match shape {
        Shape::Optional(inner) => format!("::std::option::Option<{}>", boxed(inner, rs_type(inner, ""))),
        _ => format!("::std::boxed::Box<{ty}>"),
    }
}

/// Context members returning a list of structs: merges upsert into them by
/// the struct's identity field.
fn list_slots(ir: &Ir) -> Vec<RsListSlot> {
    let mut out = Vec::new();
    for c in &ir.contexts {
        for f in ir.members_of(&c.name) {
            if let Shape::List(elem) = slot_shape(ir, &f.output)
                && let Shape::Ref(name) = slot_shape(ir, elem)
                && let Some(TypeKind::Struct(s)) = ir.type_def(name).map(|t| &t.kind)
            {
                out.push(RsListSlot {
                    context: lit(&c.name),
                    slot: lit(&f.name),
                    identity: lit(s.identity_field()),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types() {
        let s = Shape::map(Shape::optional(Shape::list(Shape::named("Item"))));
        assert_eq!(
            rs_type(&s, "types::"),
            "::std::collections::BTreeMap<::std::string::String, ::std::option::Option<::std::vec::Vec<types::Item>>>"
        );
    }

    #[test]
    fn recursive_fields_are_boxed() {
        let ir = mizan_core::ir::parse(
            "mizan-ir version=1 {\n    function f {\n        returns Node\n    }\n    struct Node {\n        field next optional<Node>\n        field kids list<Node>\n    }\n}\n",
        )
        .unwrap();
        let m = RsModel::new(&ir, "/api/mizan").unwrap();
        let node = &m.types[0];
        assert_eq!(node.fields[0].ty, "::std::option::Option<::std::boxed::Box<Node>>");
        assert_eq!(node.fields[1].ty, "::std::vec::Vec<Node>");
    }

    #[test]
    fn names_that_collide_are_render_errors() {
        let ir = |text: &str| mizan_core::ir::parse(text).unwrap();
        // An IR type named like a generated item (glob re-exports clash).
        let clash = ir(
            "mizan-ir version=1 {\n    context user {\n        member profile\n    }\n    function profile {\n        context user\n        returns UserData\n    }\n    struct UserData {\n        field id integer\n    }\n}\n",
        );
        let err = RsModel::new(&clash, "/api").unwrap_err().to_string();
        assert!(err.contains("UserData") && err.contains("context"), "{err}");
        // Two wire names, one identifier.
        let fields = ir(
            "mizan-ir version=1 {\n    function f {\n        returns T\n    }\n    struct T {\n        field userId integer\n        field user_id integer\n    }\n}\n",
        );
        let err = RsModel::new(&fields, "/api").unwrap_err().to_string();
        assert!(err.contains("`user_id`"), "{err}");
    }
}
