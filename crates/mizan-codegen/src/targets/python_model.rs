//! The Python view of an IR for the `python` target: identifiers, type
//! annotations and decoder expressions, computed once so the templates only
//! lay them out.
//!
//! Types are frozen keyword-only dataclasses with `from_json` (validating:
//! a malformed answer is a `MizanError("BAD_RESPONSE")`, never an
//! `AttributeError` later) and `to_json`; enums and `literal` shapes are
//! `Literal[...]` aliases. Decoders are combinators from `_kernel`
//! (`list_of(Item.from_json)`). Names that are Python keywords get a
//! trailing `_` (the wire name is kept); two names mapping to one identifier
//! are a render error.

use std::collections::BTreeMap;

use mizan_core::ir::{Field, Function, Ir, Shape, TypeKind};

use super::python_names::{KEYWORDS, comment_lines, docstring, ident, lit, pascal};
use crate::error::{Error, Result};

/// Methods of the generated clients a function must not shadow.
const CLIENT_METHODS: [&str; 8] = [
    "call",
    "kernel",
    "close",
    "aclose",
    "init_session",
    "on_response",
    "self",
    "cls",
];

/// One named type, ready for `models.py`.
#[derive(Debug, Clone)]
pub(crate) struct PyType {
    /// `struct`, `enum` or `alias`.
    pub kind: &'static str,
    /// Type name.
    pub name: String,
    /// Docstring literal (`"""..."""`), indented for a class body.
    pub doc: String,
    /// `#: ...` comment lines for enums and aliases, or empty.
    pub comment: String,
    /// Struct fields.
    pub fields: Vec<PyField>,
    /// The `Literal[...]` or alias annotation, as a string literal for
    /// `TypeAlias` (forward references are allowed there).
    pub alias: String,
    /// The decoder expression of the alias target or enum.
    pub decoder: String,
    /// Whether the decoder's static type needs a `cast`.
    pub needs_cast: bool,
}

/// A dataclass field (struct fields and context data members).
#[derive(Debug, Clone)]
pub(crate) struct PyField {
    /// Python identifier.
    pub ident: String,
    /// Wire name as a Python string literal.
    pub wire: String,
    /// Type annotation.
    pub ty: String,
    /// `= None` when the field may be absent, else empty.
    pub default: &'static str,
    /// May be absent on the wire.
    pub optional: bool,
    /// The expression decoding it from `obj` at `path`.
    pub decode: String,
    /// `#: doc` comment lines indented for a class body, or empty.
    pub comment: String,
}

/// A function parameter.
#[derive(Debug, Clone)]
pub(crate) struct PyParam {
    /// Python identifier.
    pub ident: String,
    /// Wire name literal.
    pub wire: String,
    /// Annotation, with `| None` when it may be omitted.
    pub ty: String,
    /// ` = None` when it may be omitted.
    pub default: &'static str,
    /// `True` when a `None` value is left out of the request.
    pub omit: &'static str,
}

/// A client-callable function.
#[derive(Debug, Clone)]
pub(crate) struct PyFn {
    /// Method name.
    pub method: String,
    /// Wire name literal.
    pub wire: String,
    /// Docstring literal indented for a method body.
    pub doc: String,
    /// Keyword-only parameters (required first).
    pub params: Vec<PyParam>,
    /// The params sent in the JSON arguments (all but the files).
    pub json_params: Vec<PyParam>,
    /// The params that are files (shape `upload`, or an optional one): sent
    /// as multipart parts over HTTP.
    pub file_params: Vec<PyParam>,
    /// Result annotation.
    pub result_ty: String,
    /// True when the result is `null` (the method returns `None`).
    pub returns_none: bool,
    /// Expression decoding `response.result`.
    pub decode: String,
}

/// A context.
#[derive(Debug, Clone)]
pub(crate) struct PyCtx {
    /// Wire name literal.
    pub wire: String,
    /// Wire name as written in docs.
    pub name: String,
    /// `<Pascal>Data`.
    pub data_class: String,
    /// `<Pascal>Data` as a string literal.
    pub data_class_lit: String,
    /// `fetch_<name>_context`.
    pub fetch: String,
    /// Keyword-only params (required first).
    pub params: Vec<PyParam>,
    /// Data class fields: one per member.
    pub members: Vec<PyField>,
}

/// A name exported by a module, bare and as a string literal (`__all__`).
#[derive(Debug, Clone)]
pub(crate) struct PyName {
    /// The identifier.
    pub name: String,
    /// The identifier as a string literal.
    pub lit: String,
}

/// The blocking or the asyncio client class.
#[derive(Debug, Clone)]
pub(crate) struct Flavor {
    /// Class name.
    pub name: &'static str,
    /// Kernel class in `_kernel`.
    pub kernel: &'static str,
    /// `await ` or empty.
    pub aw: &'static str,
    /// `async def` or `def`.
    pub de: &'static str,
}

/// Everything the Python templates need.
#[derive(Debug, Clone)]
pub(crate) struct PyModel {
    /// The two client classes.
    pub flavors: Vec<Flavor>,
    /// Named types.
    pub types: Vec<PyType>,
    /// Client-callable functions.
    pub functions: Vec<PyFn>,
    /// Contexts.
    pub contexts: Vec<PyCtx>,
    /// Default base URL literal.
    pub base_url: String,
    /// Names `models.py` exports (for `__all__`).
    pub model_names: Vec<PyName>,
}

impl PyModel {
    /// Builds the model; fails on names Python cannot express.
    pub fn new(ir: &Ir, base_url: &str) -> Result<PyModel> {
        let mut module = Names::default();
        for fixed in [
            "annotations",
            "dataclasses",
            "cast",
            "Literal",
            "TypeAlias",
            "Union",
            "_k",
        ] {
            module.add(fixed, "the generated models module")?;
        }
        let mut types = Vec::new();
        let mut model_names = Vec::new();
        for t in &ir.types {
            if KEYWORDS.contains(&t.name.as_str()) {
                return Err(render_error(format!("type name `{}` is a Python keyword", t.name)));
            }
            module.add(&t.name, &format!("type `{}`", t.name))?;
            model_names.push(t.name.clone());
            let doc = t.doc.clone().unwrap_or_else(|| format!("Type `{}`.", t.name));
            types.push(match &t.kind {
                TypeKind::Struct(s) => PyType {
                    kind: "struct",
                    name: t.name.clone(),
                    doc: docstring(&doc, "    "),
                    comment: String::new(),
                    fields: struct_fields(ir, &s.fields, &t.name)?,
                    alias: String::new(),
                    decoder: String::new(),
                    needs_cast: false,
                },
                TypeKind::Enum(variants) => {
                    let values: Vec<String> = variants.iter().map(|v| lit(&v.name)).collect();
                    let decoder_name = format!("decode_{}", t.name);
                    module.add(&decoder_name, &format!("the decoder of type `{}`", t.name))?;
                    model_names.push(decoder_name);
                    PyType {
                        kind: "enum",
                        name: t.name.clone(),
                        doc: String::new(),
                        comment: comment_lines(Some(&doc), ""),
                        fields: Vec::new(),
                        alias: lit(&format!("Literal[{}]", values.join(", "))),
                        decoder: format!("_k.literal_of({})", values.join(", ")),
                        needs_cast: true,
                    }
                }
                TypeKind::Alias(shape) => {
                    let decoder_name = format!("decode_{}", t.name);
                    module.add(&decoder_name, &format!("the decoder of type `{}`", t.name))?;
                    model_names.push(decoder_name);
                    PyType {
                        kind: "alias",
                        name: t.name.clone(),
                        doc: String::new(),
                        comment: comment_lines(Some(&doc), ""),
                        fields: Vec::new(),
                        alias: lit(&py_type(shape, "")),
                        decoder: decoder(ir, shape, ""),
                        needs_cast: needs_cast(shape),
                    }
                }
            });
        }
        let mut client = Names::default();
        for fixed in CLIENT_METHODS {
            client.add(fixed, "the generated client")?;
        }
        let functions = ir
            .functions
            .iter()
            .filter(|f| !f.private)
            .map(|f| {
                let v = fn_view(ir, f)?;
                client.add(&v.method, &format!("function `{}`", f.name))?;
                Ok(v)
            })
            .collect::<Result<Vec<_>>>()?;
        let mut classes = Names::default();
        for fixed in [
            "MizanClient",
            "AsyncMizanClient",
            "MizanError",
            "DEFAULT_BASE_URL",
            "models",
            "_k",
        ] {
            classes.add(fixed, "the generated client")?;
        }
        let mut contexts = Vec::new();
        for c in &ir.contexts {
            let origin = format!("context `{}`", c.name);
            let data_class = format!("{}Data", pascal(&c.name));
            classes.add(&data_class, &origin)?;
            let fetch = format!("fetch_{}_context", c.name);
            client.add(&fetch, &origin)?;
            let mut seen = Names::default();
            seen.add("self", "the method")?;
            let mut params = Vec::new();
            for p in &c.params {
                let id = ident(&p.name);
                seen.add(&id, &format!("param `{}` of {origin}", p.name))?;
                params.push(param(&id, &p.name, &p.shape, !p.required));
            }
            params.sort_by_key(|p| !p.default.is_empty());
            let mut member_names = Names::default();
            for fixed in ["from_json", "to_json"] {
                member_names.add(fixed, "the generated dataclass")?;
            }
            let mut members = Vec::new();
            for f in ir.members_of(&c.name) {
                let id = ident(&f.name);
                member_names.add(&id, &format!("member `{}` of {origin}", f.name))?;
                members.push(py_field(
                    ir,
                    &id,
                    &f.name,
                    &f.output,
                    false,
                    f.doc.as_deref(),
                    "models.",
                ));
            }
            contexts.push(PyCtx {
                wire: lit(&c.name),
                name: c.name.clone(),
                data_class_lit: lit(&data_class),
                data_class,
                fetch,
                params,
                members,
            });
        }
        Ok(PyModel {
            flavors: vec![
                Flavor {
                    name: "MizanClient",
                    kernel: "SyncKernel",
                    aw: "",
                    de: "def",
                },
                Flavor {
                    name: "AsyncMizanClient",
                    kernel: "AsyncKernel",
                    aw: "await ",
                    de: "async def",
                },
            ],
            types,
            functions,
            contexts,
            base_url: lit(base_url),
            model_names: model_names
                .into_iter()
                .map(|name| PyName { lit: lit(&name), name })
                .collect(),
        })
    }
}

/// Identifiers taken in one namespace, to report collisions.
#[derive(Default)]
struct Names(BTreeMap<String, String>);

impl Names {
    fn add(&mut self, name: &str, origin: &str) -> Result<()> {
        if let Some(first) = self.0.get(name) {
            return Err(render_error(format!(
                "{origin} and {first} both map to the Python name `{name}`"
            )));
        }
        self.0.insert(name.to_owned(), origin.to_owned());
        Ok(())
    }
}

fn render_error(message: String) -> Error {
    Error::Render {
        target: "python",
        message,
    }
}

fn struct_fields(ir: &Ir, fields: &[Field], owner: &str) -> Result<Vec<PyField>> {
    let mut seen = Names::default();
    for fixed in ["from_json", "to_json"] {
        seen.add(fixed, "the generated dataclass")?;
    }
    let mut out = Vec::new();
    for f in fields {
        let id = ident(&f.name);
        seen.add(&id, &format!("field `{}` of struct `{owner}`", f.name))?;
        out.push(py_field(ir, &id, &f.name, &f.shape, f.optional, f.doc.as_deref(), ""));
    }
    Ok(out)
}

/// A dataclass field; `ns` prefixes named types (`models.` in `client.py`).
fn py_field(ir: &Ir, id: &str, wire: &str, shape: &Shape, optional: bool, doc: Option<&str>, ns: &str) -> PyField {
    let base_ty = py_type(shape, ns);
    let dec = decoder(ir, shape, ns);
    let (ty, default, decode) = if optional {
        let ty = if matches!(shape, Shape::Optional(_)) {
            base_ty.clone()
        } else {
            format!("{base_ty} | None")
        };
        let call = format!("_k.optional_field(obj, {}, path, {dec})", lit(wire));
        let call = if needs_cast(shape) {
            format!("cast({}, {call})", lit(&ty))
        } else {
            call
        };
        (ty, " = None", call)
    } else {
        let call = format!("_k.field(obj, {}, path, {dec})", lit(wire));
        let call = if needs_cast(shape) {
            format!("cast({}, {call})", lit(&base_ty))
        } else {
            call
        };
        (base_ty, "", call)
    };
    PyField {
        ident: id.to_owned(),
        wire: lit(wire),
        ty,
        default,
        optional,
        decode,
        comment: comment_lines(doc, "    "),
    }
}

fn param(id: &str, wire: &str, shape: &Shape, may_omit: bool) -> PyParam {
    let ty = py_type(shape, "models.");
    let (ty, default) = if may_omit {
        let ty = if matches!(shape, Shape::Optional(_)) {
            ty
        } else {
            format!("{ty} | None")
        };
        (ty, " = None")
    } else {
        (ty, "")
    };
    PyParam {
        ident: id.to_owned(),
        wire: lit(wire),
        ty,
        default,
        omit: if may_omit { "True" } else { "False" },
    }
}

fn fn_view(ir: &Ir, f: &Function) -> Result<PyFn> {
    let origin = format!("function `{}`", f.name);
    let mut seen = Names::default();
    seen.add("self", "the method")?;
    let mut params = Vec::new();
    let mut json_params = Vec::new();
    let mut file_params = Vec::new();
    for p in &f.params {
        let id = ident(&p.name);
        seen.add(&id, &format!("param `{}` of {origin}", p.name))?;
        let view = param(&id, &p.name, &p.shape, !p.required);
        let is_file = match &p.shape {
            Shape::Upload => true,
            Shape::Optional(inner) => **inner == Shape::Upload,
            _ => false,
        };
        if is_file {
            file_params.push(view.clone());
        } else {
            json_params.push(view.clone());
        }
        params.push(view);
    }
    params.sort_by_key(|p| !p.default.is_empty());
    let result_ty = py_type(&f.output, "models.");
    let dec = decoder(ir, &f.output, "models.");
    let call = format!("{dec}(response.result, \"$.result\")");
    let decode = if needs_cast(&f.output) {
        format!("cast({}, {call})", lit(&result_ty))
    } else {
        call
    };
    let doc = f.doc.clone().unwrap_or_else(|| format!("Calls `{}`.", f.name));
    Ok(PyFn {
        method: ident(&f.name),
        wire: lit(&f.name),
        doc: docstring(&doc, "        "),
        params,
        json_params,
        file_params,
        returns_none: f.output == Shape::Null,
        result_ty,
        decode,
    })
}

/// The annotation of a shape; named types prefixed with `ns`.
pub(crate) fn py_type(shape: &Shape, ns: &str) -> String {
    match shape {
        Shape::String | Shape::Datetime => "str".into(),
        Shape::Integer => "int".into(),
        Shape::Number => "float".into(),
        Shape::Boolean => "bool".into(),
        Shape::Null => "None".into(),
        Shape::Json => "_k.JsonValue".into(),
        Shape::Upload => "_k.UploadInput".into(),
        Shape::Ref(name) => format!("{ns}{name}"),
        Shape::List(inner) => format!("list[{}]", py_type(inner, ns)),
        Shape::Optional(inner) => format!("{} | None", py_type(inner, ns)),
        Shape::Map(inner) => format!("dict[str, {}]", py_type(inner, ns)),
        Shape::Union(items) => items.iter().map(|s| py_type(s, ns)).collect::<Vec<_>>().join(" | "),
        Shape::Literal(values) => format!(
            "Literal[{}]",
            values.iter().map(|v| lit(v)).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The decoder expression of a shape (a `Callable[[object, str], T]`).
fn decoder(ir: &Ir, shape: &Shape, ns: &str) -> String {
    match shape {
        Shape::String | Shape::Datetime => "_k.as_str".into(),
        Shape::Integer => "_k.as_int".into(),
        Shape::Number => "_k.as_float".into(),
        Shape::Boolean => "_k.as_bool".into(),
        Shape::Null => "_k.as_none".into(),
        Shape::Json => "_k.as_json".into(),
        Shape::Upload => "_k.as_upload".into(),
        Shape::Ref(name) => match ir.type_def(name).map(|t| &t.kind) {
            Some(TypeKind::Struct(_)) => format!("{ns}{name}.from_json"),
            _ => format!("{ns}decode_{name}"),
        },
        Shape::List(inner) => format!("_k.list_of({})", decoder(ir, inner, ns)),
        Shape::Optional(inner) => format!("_k.optional_of({})", decoder(ir, inner, ns)),
        Shape::Map(inner) => format!("_k.map_of({})", decoder(ir, inner, ns)),
        Shape::Union(items) => format!(
            "_k.union_of({})",
            items.iter().map(|s| decoder(ir, s, ns)).collect::<Vec<_>>().join(", ")
        ),
        Shape::Literal(values) => format!(
            "_k.literal_of({})",
            values.iter().map(|v| lit(v)).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Whether a decoder's static type is wider than the annotation (unions
/// decode to `object`, literals to `str`): a `cast` is then needed, and
/// only then (mypy `--strict` rejects redundant casts). Uploads decode to
/// `Upload`, which the `UploadInput` annotation accepts.
fn needs_cast(shape: &Shape) -> bool {
    match shape {
        Shape::Union(_) | Shape::Literal(_) => true,
        Shape::List(inner) | Shape::Optional(inner) | Shape::Map(inner) => needs_cast(inner),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_annotations() {
        assert_eq!(
            py_type(
                &Shape::map(Shape::optional(Shape::list(Shape::named("Item")))),
                "models."
            ),
            "dict[str, list[models.Item] | None]"
        );
        assert_eq!(
            py_type(&Shape::Literal(vec!["a".into(), "b".into()]), ""),
            "Literal[\"a\", \"b\"]"
        );
        assert!(needs_cast(&Shape::list(Shape::Union(vec![
            Shape::String,
            Shape::Integer
        ]))));
        assert!(!needs_cast(&Shape::list(Shape::named("X"))));
    }

    #[test]
    fn names_that_collide_are_render_errors() {
        let ir = |text: &str| mizan_core::ir::parse(text).unwrap();
        let shadow = ir("mizan-ir version=1 {\n    function close {\n        returns integer\n    }\n}\n");
        let err = PyModel::new(&shadow, "/api").unwrap_err().to_string();
        assert!(err.contains("close"), "{err}");
        let keyword = ir(
            "mizan-ir version=1 {\n    function f {\n        param class string\n        returns T\n    }\n    struct T {\n        field from string\n    }\n}\n",
        );
        let m = PyModel::new(&keyword, "/api").unwrap();
        assert_eq!(m.functions[0].params[0].ident, "class_");
        assert_eq!(m.types[0].fields[0].ident, "from_");
        assert_eq!(m.types[0].fields[0].wire, "\"from\"");
    }
}
