//! A registry description (what the Python `mizan` package collects from
//! `@client` functions) turned into the canonical IR by the core: the
//! *Rust* emitter writes the KDL, so a Python backend cannot drift from the
//! Rust one. The description is JSON; shapes are the IR's own shape text
//! (`list<Order>`), parsed by the core.

use mizan_core::check::{Severity, check};
use mizan_core::ir::{
    self, Auth, CachePolicy, Context, Field, Function, Ir, Param, Shape, StructDef, Target, Transport, TypeDef,
    TypeKind, Variant,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// The whole registry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Description {
    #[serde(default)]
    functions: Vec<FunctionDesc>,
    #[serde(default)]
    contexts: Vec<ContextDesc>,
    #[serde(default)]
    types: Vec<TypeDesc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FunctionDesc {
    name: String,
    /// `file:line` of the definition, for error messages.
    #[serde(default)]
    location: String,
    #[serde(default)]
    doc: Option<String>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    websocket: bool,
    /// `null`, `required`, `staff`, `superuser`, or `{"predicate": name}`.
    #[serde(default)]
    auth: Option<AuthDesc>,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    route: Option<String>,
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    rev: u32,
    /// `null` (forever), `false` (none) or seconds.
    #[serde(default)]
    cache: Option<Value>,
    #[serde(default)]
    params: Vec<ParamDesc>,
    output: String,
    #[serde(default)]
    affects: Vec<TargetDesc>,
    #[serde(default)]
    merge: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AuthDesc {
    Level(String),
    Predicate { predicate: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamDesc {
    name: String,
    shape: String,
    #[serde(default)]
    default: Option<Value>,
    #[serde(default = "yes")]
    required: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetDesc {
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    function: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextDesc {
    name: String,
    #[serde(default)]
    doc: Option<String>,
    #[serde(default)]
    location: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeDesc {
    name: String,
    #[serde(default)]
    doc: Option<String>,
    #[serde(default)]
    location: String,
    #[serde(default)]
    fields: Option<Vec<FieldDesc>>,
    #[serde(default)]
    identity: Option<String>,
    #[serde(default)]
    variants: Option<Vec<VariantDesc>>,
    #[serde(default)]
    alias: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldDesc {
    name: String,
    shape: String,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    default: Option<Value>,
    #[serde(default)]
    doc: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantDesc {
    name: String,
    #[serde(default)]
    doc: Option<String>,
}

fn shape(text: &str, what: &str) -> Result<Shape, String> {
    Shape::parse(text).map_err(|(at, msg)| format!("{what}: invalid shape `{text}` at {at}: {msg}"))
}

fn at(location: &str) -> String {
    if location.is_empty() {
        String::new()
    } else {
        format!(" ({location})")
    }
}

/// Builds the canonical IR: duplicates refused with both locations, types
/// of the same name must agree, contexts and reachable types derived, and
/// graph errors refused — exactly what the Rust registry does at startup.
pub fn build(desc: Description) -> Result<Ir, Vec<String>> {
    let mut errors = Vec::new();
    let mut ir = Ir::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for f in desc.functions {
        if let Some(first) = seen.insert(f.name.clone(), f.location.clone()) {
            errors.push(format!(
                "duplicate function `{}`: defined at {first} and again at {}",
                f.name, f.location
            ));
            continue;
        }
        match function(f) {
            Ok(function) => ir.functions.push(function),
            Err(e) => errors.push(e),
        }
    }
    let mut types: HashMap<String, (TypeDef, String)> = HashMap::new();
    for t in desc.types {
        let location = t.location.clone();
        match type_def(t) {
            Ok(def) => match types.get(&def.name) {
                Some((first, first_at)) if *first != def => errors.push(format!(
                    "two different types are named `{}`{} and{}: rename one",
                    def.name,
                    at(first_at),
                    at(&location)
                )),
                Some(_) => {}
                None => {
                    types.insert(def.name.clone(), (def, location));
                }
            },
            Err(e) => errors.push(e),
        }
    }
    ir.types = types.into_values().map(|(t, _)| t).collect();
    let mut contexts: HashMap<String, String> = HashMap::new();
    for c in desc.contexts {
        match contexts.get(&c.name) {
            Some(first) if *first == c.location => continue,
            Some(first) => {
                errors.push(format!(
                    "duplicate context `{}`: defined at {first} and again at {}",
                    c.name, c.location
                ));
                continue;
            }
            None => {
                contexts.insert(c.name.clone(), c.location.clone());
            }
        }
        ir.contexts.push(Context {
            name: c.name,
            doc: c.doc,
            members: Vec::new(),
            params: Vec::new(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    ir::derive_contexts(&mut ir);
    ir::retain_reachable_types(&mut ir);
    let errors: Vec<String> = check(&ir)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("error[{}]: {}", d.code, d.message))
        .collect();
    if errors.is_empty() { Ok(ir) } else { Err(errors) }
}

fn function(f: FunctionDesc) -> Result<Function, String> {
    let what = format!("function `{}`{}", f.name, at(&f.location));
    let mut out = Function::new(f.name.clone(), shape(&f.output, &what)?);
    out.doc = f.doc;
    out.context = f.context;
    out.transport = if f.websocket {
        Transport::Websocket
    } else {
        Transport::Http
    };
    out.auth = match f.auth {
        None => Auth::None,
        Some(AuthDesc::Level(level)) => match level.as_str() {
            "required" => Auth::Required,
            "staff" => Auth::Staff,
            "superuser" => Auth::Superuser,
            other => return Err(format!("{what}: unknown auth level `{other}`")),
        },
        Some(AuthDesc::Predicate { predicate }) => Auth::Predicate(predicate),
    };
    out.private = f.private;
    out.route = f.route;
    out.methods = f.methods;
    out.rev = f.rev;
    out.cache = match f.cache {
        None | Some(Value::Null) => CachePolicy::Forever,
        Some(Value::Bool(false)) => CachePolicy::None,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(secs) if secs > 0 => CachePolicy::Ttl(secs),
            _ => return Err(format!("{what}: cache must be a positive number of seconds or false")),
        },
        Some(other) => return Err(format!("{what}: cache must be seconds or false, not {other}")),
    };
    for p in f.params {
        out.params.push(Param {
            shape: shape(&p.shape, &format!("{what}, param `{}`", p.name))?,
            name: p.name,
            required: p.required && p.default.is_none(),
            default: p.default,
        });
    }
    for t in f.affects {
        out.affects.push(match (t.context, t.function) {
            (Some(c), None) => Target::Context(c),
            (None, Some(f)) => Target::Function(f),
            _ => return Err(format!("{what}: an affects target names a context or a function")),
        });
    }
    out.merge = f.merge;
    Ok(out)
}

fn type_def(t: TypeDesc) -> Result<TypeDef, String> {
    let what = format!("type `{}`{}", t.name, at(&t.location));
    if !Shape::is_valid_type_name(&t.name) {
        return Err(format!("{what}: not a valid IR type name"));
    }
    let kind = match (t.fields, t.variants, t.alias) {
        (Some(fields), None, None) => {
            let mut out = Vec::with_capacity(fields.len());
            for f in fields {
                out.push(Field {
                    shape: shape(&f.shape, &format!("{what}, field `{}`", f.name))?,
                    name: f.name,
                    optional: f.optional,
                    default: f.default,
                    doc: f.doc,
                });
            }
            TypeKind::Struct(StructDef {
                fields: out,
                identity: t.identity,
            })
        }
        (None, Some(variants), None) => TypeKind::Enum(
            variants
                .into_iter()
                .map(|v| Variant { name: v.name, doc: v.doc })
                .collect(),
        ),
        (None, None, Some(alias)) => TypeKind::Alias(shape(&alias, &what)?),
        _ => return Err(format!("{what}: exactly one of fields, variants, alias")),
    };
    Ok(TypeDef {
        name: t.name,
        doc: t.doc,
        kind,
    })
}
