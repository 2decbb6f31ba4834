//! The TypeScript view of an IR, shared by the `ts`, `react`, `vue` and
//! `svelte` targets: identifiers, type expressions and JSDoc, computed once
//! so the templates only lay them out.
//!
//! Naming: function and context names are snake_case identifiers; generated
//! values are `call<Pascal>` and `fetch<Pascal>Context`; per-function and
//! per-context types are reached through the fixed generics `ArgsOf<"f">`,
//! `ResultOf<"f">`, `ParamsOf<"c">`, `DataOf<"c">`, so they can never clash
//! with the IR's own type names. Two IR names that map to the same
//! identifier, or a type name TypeScript reserves, is a render error (never
//! silently renamed).

use std::collections::BTreeMap;

use mizan_core::invalidation::slot_shape;
use mizan_core::ir::{Context, Function, Ir, Shape, Transport, TypeKind};

use crate::error::{Error, Result};

/// The kernel templates, scanned for the names they export (collision checks).
const KERNEL_TEMPLATES: [&str; 3] = [
    include_str!("../../../../templates/ts/kernel.ts"),
    include_str!("../../../../templates/ts/transport.ts"),
    include_str!("../../../../templates/ts/websocket.ts"),
];

/// Names declared by `client.ts` regardless of the IR.
const CLIENT_FIXED: [&str; 12] = [
    "Api",
    "ClientOptions",
    "Client",
    "schema",
    "createMizanClient",
    "DEFAULT_BASE_URL",
    "FunctionName",
    "ContextName",
    "ArgsOf",
    "ResultOf",
    "ParamsOf",
    "DataOf",
];

/// Names a type in `types.ts` must not take: JavaScript reserved words,
/// TypeScript's type keywords and the globals the generated types use.
const RESERVED_TYPE_NAMES: [&str; 52] = [
    "any",
    "unknown",
    "never",
    "object",
    "symbol",
    "bigint",
    "undefined",
    "void",
    "string",
    "number",
    "boolean",
    "null",
    "Blob",
    "MizanJson",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "while",
    "with",
    "implements",
    "interface",
    "let",
    "package",
];

/// One named type, ready for `types.ts`.
#[derive(Debug, Clone)]
pub(crate) struct TypeView {
    /// Type name.
    pub name: String,
    /// JSDoc block (with trailing newline) or empty.
    pub doc: String,
    /// `struct`, `enum` or `alias`.
    pub kind: &'static str,
    /// Struct fields.
    pub fields: Vec<FieldView>,
    /// The right-hand side for enums (a union of string literals) and aliases.
    pub rhs: String,
}

/// One struct field.
#[derive(Debug, Clone)]
pub(crate) struct FieldView {
    /// JSDoc indented by two spaces, or empty.
    pub doc: String,
    /// Property name (quoted when not an identifier).
    pub key: String,
    /// `?` when the field may be absent.
    pub opt: &'static str,
    /// TypeScript type.
    pub ty: String,
}

/// A function (private ones are not callable but their results still name a
/// type, e.g. as context members).
#[derive(Debug, Clone)]
pub(crate) struct FnView {
    /// Wire name.
    pub name: String,
    /// Property key for object types (quoted when needed).
    pub key: String,
    /// The name as a string literal.
    pub key_str: String,
    /// PascalCase of the name.
    pub pascal: String,
    /// JSDoc block or empty.
    pub doc: String,
    /// JSDoc block indented by four spaces, or empty.
    pub doc_in: String,
    /// The args object type (`{ user_id: number; name: string }`).
    pub args_ty: String,
    /// True when every argument is optional (the args may be omitted).
    pub args_optional: bool,
    /// The result type (types referenced as `T.Name`).
    pub result_ty: String,
    /// The context it is a member of (reads), if any.
    pub context: Option<String>,
    /// Not private: clients may call it.
    pub callable: bool,
}

/// A context.
#[derive(Debug, Clone)]
pub(crate) struct CtxView {
    /// Wire name.
    pub name: String,
    /// Property key for object types.
    pub key: String,
    /// The name as a string literal.
    pub key_str: String,
    /// PascalCase of the name.
    pub pascal: String,
    /// JSDoc block indented by four spaces, or empty.
    pub doc_in: String,
    /// The params object type.
    pub params_ty: String,
    /// True when no param is required (the params may be omitted).
    pub params_optional: bool,
    /// The data object type (one entry per member).
    pub data_ty: String,
    /// Members, in name order.
    pub members: Vec<MemberView>,
}

/// A member of a context.
#[derive(Debug, Clone)]
pub(crate) struct MemberView {
    /// Wire name (the key in the context data).
    pub name: String,
    /// The name as a string literal.
    pub key_str: String,
    /// PascalCase of the name.
    pub pascal: String,
    /// JSDoc block or empty.
    pub doc: String,
    /// Its result type.
    pub ty: String,
}

/// The list slots of one context and the identity fields merges match on.
#[derive(Debug, Clone)]
pub(crate) struct IdentityView {
    /// Context key.
    pub key: String,
    /// `(slot key, identity field as a JSON string)`.
    pub slots: Vec<(String, String)>,
}

/// Everything the TypeScript templates need.
#[derive(Debug, Clone)]
pub(crate) struct TsModel {
    /// Named types.
    pub types: Vec<TypeView>,
    /// What `types.ts` imports.
    pub uses: Uses,
    /// What `client.ts` imports.
    pub client_uses: Uses,
    /// Every function, in name order.
    pub functions: Vec<FnView>,
    /// Contexts, in name order.
    pub contexts: Vec<CtxView>,
    /// Identity fields of list slots.
    pub identities: Vec<IdentityView>,
    /// Callable functions declared `transport websocket`, as JSON strings.
    pub ws_functions: Vec<String>,
    /// Contexts whose members are declared `transport websocket`, as JSON strings.
    pub ws_contexts: Vec<String>,
}

impl TsModel {
    /// Builds the model; fails on names TypeScript cannot express.
    pub fn new(ir: &Ir) -> Result<TsModel> {
        let mut uses = Uses::default();
        let mut types = Vec::with_capacity(ir.types.len());
        for t in &ir.types {
            if RESERVED_TYPE_NAMES.contains(&t.name.as_str()) {
                return Err(render_error(format!(
                    "type name `{}` is reserved in TypeScript",
                    t.name
                )));
            }
            let (kind, fields, rhs) = match &t.kind {
                TypeKind::Struct(s) => {
                    let fields = s
                        .fields
                        .iter()
                        .map(|f| FieldView {
                            doc: jsdoc(f.doc.as_deref(), "  "),
                            key: prop(&f.name),
                            opt: if f.optional { "?" } else { "" },
                            ty: ts_type(&f.shape, "", &mut uses),
                        })
                        .collect();
                    ("struct", fields, String::new())
                }
                TypeKind::Enum(variants) => {
                    let rhs = if variants.is_empty() {
                        "never".to_string()
                    } else {
                        variants
                            .iter()
                            .map(|v| json_str(&v.name))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    };
                    ("enum", Vec::new(), rhs)
                }
                TypeKind::Alias(shape) => ("alias", Vec::new(), ts_type(shape, "", &mut uses)),
            };
            types.push(TypeView {
                name: t.name.clone(),
                doc: jsdoc(t.doc.as_deref(), ""),
                kind,
                fields,
                rhs,
            });
        }
        let mut client_uses = Uses::default();
        let functions = ir.functions.iter().map(|f| fn_view(f, &mut client_uses)).collect();
        let contexts = ir.contexts.iter().map(|c| ctx_view(ir, c, &mut client_uses)).collect();
        let ws_functions = ir
            .functions
            .iter()
            .filter(|f| f.transport == Transport::Websocket && !f.private)
            .map(|f| json_str(&f.name))
            .collect();
        // Mixing transports in one context is an IR error, so any member decides.
        let ws_contexts = ir
            .contexts
            .iter()
            .filter(|c| ir.members_of(&c.name).any(|f| f.transport == Transport::Websocket))
            .map(|c| json_str(&c.name))
            .collect();
        let model = TsModel {
            types,
            uses,
            client_uses,
            functions,
            contexts,
            identities: identities(ir),
            ws_functions,
            ws_contexts,
        };
        model.check_names()?;
        Ok(model)
    }

    /// True when some callable function belongs to no context (it gets a
    /// mutation hook in the framework targets).
    pub fn has_plain_functions(&self) -> bool {
        self.functions.iter().any(|f| f.callable && f.context.is_none())
    }

    /// Every name `index.ts` re-exports must be unique.
    fn check_names(&self) -> Result<()> {
        let mut names = Names::default();
        for n in kernel_exports() {
            names.add(n, "the kernel")?;
        }
        for n in CLIENT_FIXED {
            names.add(n.to_string(), "client.ts")?;
        }
        for t in &self.types {
            names.add(t.name.clone(), &format!("type `{}`", t.name))?;
        }
        for f in &self.functions {
            if f.callable {
                names.add(format!("call{}", f.pascal), &format!("function `{}`", f.name))?;
            }
        }
        for c in &self.contexts {
            names.add(format!("fetch{}Context", c.pascal), &format!("context `{}`", c.name))?;
        }
        Ok(())
    }
}

/// What a generated file needs to import.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Uses {
    /// `MizanJson` from the kernel.
    pub json: bool,
    /// Named types (`T.Name`).
    pub types: bool,
}

/// Detects two IR items mapping to one generated identifier.
#[derive(Default)]
pub(crate) struct Names(BTreeMap<String, String>);

impl Names {
    /// Registers `name`, produced for `origin`.
    pub fn add(&mut self, name: String, origin: &str) -> Result<()> {
        if let Some(first) = self.0.get(&name) {
            return Err(render_error(format!(
                "{origin} and {first} both generate the TypeScript name `{name}`; rename one"
            )));
        }
        self.0.insert(name, origin.to_string());
        Ok(())
    }
}

fn render_error(message: String) -> Error {
    Error::Render { target: "ts", message }
}

/// The names `kernel.ts`, `transport.ts` and `websocket.ts` export
/// (`export class|function|type|interface|const NAME`).
pub(crate) fn kernel_exports() -> Vec<String> {
    KERNEL_TEMPLATES
        .iter()
        .flat_map(|t| t.lines())
        .filter_map(|l| {
            let rest = l.strip_prefix("export ")?;
            let rest = rest.strip_prefix("async ").unwrap_or(rest);
            let (_, rest) = rest.split_once(' ')?;
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

fn fn_view(f: &Function, uses: &mut Uses) -> FnView {
    let fields: Vec<String> = f
        .params
        .iter()
        .map(|p| {
            format!(
                "{}{}: {}",
                prop(&p.name),
                if p.required { "" } else { "?" },
                ts_type(&p.shape, "T.", uses)
            )
        })
        .collect();
    FnView {
        name: f.name.clone(),
        key: prop(&f.name),
        key_str: json_str(&f.name),
        pascal: pascal(&f.name),
        doc: jsdoc(f.doc.as_deref(), ""),
        doc_in: jsdoc(f.doc.as_deref(), "    "),
        args_ty: object_type(&fields),
        args_optional: f.params.iter().all(|p| !p.required),
        result_ty: ts_type(&f.output, "T.", uses),
        context: f.context.clone(),
        callable: !f.private,
    }
}

fn ctx_view(ir: &Ir, c: &Context, uses: &mut Uses) -> CtxView {
    let params: Vec<String> = c
        .params
        .iter()
        .map(|p| {
            format!(
                "{}{}: {}",
                prop(&p.name),
                if p.required { "" } else { "?" },
                ts_type(&p.shape, "T.", uses)
            )
        })
        .collect();
    let members: Vec<MemberView> = c
        .members
        .iter()
        .filter_map(|m| ir.function(m))
        .map(|f| MemberView {
            name: f.name.clone(),
            key_str: json_str(&f.name),
            pascal: pascal(&f.name),
            doc: jsdoc(f.doc.as_deref(), ""),
            ty: ts_type(&f.output, "T.", uses),
        })
        .collect();
    let data: Vec<String> = members.iter().map(|m| format!("{}: {}", prop(&m.name), m.ty)).collect();
    CtxView {
        name: c.name.clone(),
        key: prop(&c.name),
        key_str: json_str(&c.name),
        pascal: pascal(&c.name),
        doc_in: jsdoc(c.doc.as_deref(), "    "),
        params_ty: object_type(&params),
        params_optional: c.params.iter().all(|p| !p.required),
        data_ty: object_type(&data),
        members,
    }
}

/// For every context member returning a list of structs: the struct's
/// identity field (merge upserts match elements on it).
fn identities(ir: &Ir) -> Vec<IdentityView> {
    let mut out = Vec::new();
    for c in &ir.contexts {
        let mut slots = Vec::new();
        for f in ir.members_of(&c.name) {
            if let Shape::List(elem) = slot_shape(ir, &f.output)
                && let Shape::Ref(name) = slot_shape(ir, elem)
                && let Some(TypeKind::Struct(s)) = ir.type_def(name).map(|t| &t.kind)
            {
                slots.push((prop(&f.name), json_str(s.identity_field())));
            }
        }
        if !slots.is_empty() {
            out.push(IdentityView {
                key: prop(&c.name),
                slots,
            });
        }
    }
    out
}

/// `{ a: number; b?: string }`, or `Record<string, never>` when empty.
fn object_type(fields: &[String]) -> String {
    if fields.is_empty() {
        "Record<string, never>".to_string()
    } else {
        format!("{{ {} }}", fields.join("; "))
    }
}

/// The TypeScript type of a shape; named types are prefixed with `ns`.
pub(crate) fn ts_type(shape: &Shape, ns: &str, uses: &mut Uses) -> String {
    match shape {
        Shape::String | Shape::Datetime => "string".into(),
        Shape::Integer | Shape::Number => "number".into(),
        Shape::Boolean => "boolean".into(),
        Shape::Null => "null".into(),
        Shape::Json => {
            uses.json = true;
            "MizanJson".into()
        }
        Shape::Upload => "Blob".into(),
        Shape::Ref(name) => {
            uses.types = true;
            format!("{ns}{name}")
        }
        Shape::List(inner) => {
            let t = ts_type(inner, ns, uses);
            if matches!(**inner, Shape::Optional(_) | Shape::Union(_) | Shape::Literal(_)) {
                format!("({t})[]")
            } else {
                format!("{t}[]")
            }
        }
        Shape::Optional(inner) => format!("{} | null", ts_type(inner, ns, uses)),
        Shape::Map(inner) => format!("{{ [key: string]: {} }}", ts_type(inner, ns, uses)),
        Shape::Union(items) => items
            .iter()
            .map(|s| ts_type(s, ns, uses))
            .collect::<Vec<_>>()
            .join(" | "),
        Shape::Literal(values) => values.iter().map(|v| json_str(v)).collect::<Vec<_>>().join(" | "),
    }
}

/// `user_profile` → `UserProfile`.
pub(crate) fn pascal(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for part in name.split(['_', '-']).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// Whether `s` can be written as a bare JavaScript identifier.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A property key: bare when an identifier, else a JSON string.
pub(crate) fn prop(name: &str) -> String {
    if is_identifier(name) {
        name.to_string()
    } else {
        json_str(name)
    }
}

/// A JSON (and JavaScript) string literal.
pub(crate) fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A JSDoc block for `doc`, each line prefixed with `indent`, ending in a
/// newline; empty when there is no doc. `*/` cannot end the comment early.
pub(crate) fn jsdoc(doc: Option<&str>, indent: &str) -> String {
    let Some(doc) = doc.map(str::trim).filter(|d| !d.is_empty()) else {
        return String::new();
    };
    let doc = doc.replace("*/", "*\\/");
    let lines: Vec<&str> = doc.lines().collect();
    if lines.len() == 1 {
        return format!("{indent}/** {} */\n", lines[0]);
    }
    let mut out = format!("{indent}/**\n");
    for l in lines {
        if l.trim().is_empty() {
            out.push_str(&format!("{indent} *\n"));
        } else {
            out.push_str(&format!("{indent} * {}\n", l.trim_end()));
        }
    }
    out.push_str(&format!("{indent} */\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types() {
        assert_eq!(pascal("user_profile"), "UserProfile");
        assert_eq!(pascal("a-b_c"), "ABC");
        assert_eq!(prop("on-hold"), "\"on-hold\"");
        let mut j = Uses::default();
        let s = Shape::parse("list<optional<union<string,Profile>>>").expect("shape");
        assert_eq!(ts_type(&s, "T.", &mut j), "(string | T.Profile | null)[]");
        let s = Shape::parse("map<json>").expect("shape");
        assert_eq!(ts_type(&s, "", &mut j), "{ [key: string]: MizanJson }");
        assert!(j.json && j.types);
        assert_eq!(jsdoc(Some("a */ b"), ""), "/** a *\\/ b */\n");
    }

    #[test]
    fn kernel_exports_are_found() {
        let names = kernel_exports();
        for n in [
            "MizanClient",
            "MizanError",
            "httpTransport",
            "tauriTransport",
            "MizanState",
        ] {
            assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
        }
    }
}
