//! Query-string coercion (SPEC §3): `GET {base}/ctx/<name>/?k=v` values are
//! strings; each is turned into the declared shape of the context's param.
//! One implementation for every adapter (Rust runtime, Python binding).
//! Pure: no I/O.

use crate::ir::{Ir, Shape};
use serde_json::{Map, Value};

/// Why a query did not coerce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// The IR has no such context.
    UnknownContext(String),
    /// Per-param messages (unknown param, value of the wrong type, given
    /// twice), in query order: a `VALIDATION_ERROR`'s `details.fields`.
    Invalid(Vec<(String, Vec<String>)>),
}

/// Turns query-string values into the declared primitive types of
/// `context`'s params (integer, number, boolean, string; `optional<T>` as
/// `T`; other shapes as JSON text).
pub fn coerce_query<'q>(
    ir: &Ir,
    context: &str,
    query: impl IntoIterator<Item = (&'q str, &'q str)>,
) -> Result<Map<String, Value>, QueryError> {
    let ctx = ir
        .context(context)
        .ok_or_else(|| QueryError::UnknownContext(context.to_owned()))?;
    let mut out = Map::new();
    let mut errors = Vec::new();
    for (key, raw) in query {
        let Some(param) = ctx.params.iter().find(|p| p.name == key) else {
            errors.push((key.to_owned(), vec![format!("`{context}` has no param `{key}`")]));
            continue;
        };
        match coerce(&param.shape, raw) {
            Some(v) => {
                if out.insert(key.to_owned(), v).is_some() {
                    errors.push((key.to_owned(), vec!["given more than once".to_owned()]));
                }
            }
            None => errors.push((
                key.to_owned(),
                vec![format!("expected {}, got {raw:?}", describe(&param.shape))],
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(QueryError::Invalid(errors))
    }
}

/// One query value as `shape`, or `None` when it does not fit.
pub fn coerce(shape: &Shape, raw: &str) -> Option<Value> {
    match shape {
        Shape::Optional(inner) => coerce(inner, raw),
        // i64, else u64 (ids up to u64::MAX), never a float.
        Shape::Integer => {
            let raw = raw.trim();
            raw.parse::<i64>()
                .map(Value::from)
                .or_else(|_| raw.parse::<u64>().map(Value::from))
                .ok()
        }
        Shape::Number => raw
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Value::from),
        Shape::Boolean => match raw {
            "true" | "1" => Some(Value::Bool(true)),
            "false" | "0" => Some(Value::Bool(false)),
            _ => None,
        },
        Shape::String | Shape::Datetime | Shape::Ref(_) | Shape::Literal(_) => Some(Value::String(raw.to_owned())),
        _ => serde_json::from_str(raw).ok(),
    }
}

fn describe(shape: &Shape) -> &'static str {
    match shape {
        Shape::Optional(inner) => describe(inner),
        Shape::Integer => "an integer",
        Shape::Number => "a number",
        Shape::Boolean => "true or false",
        _ => "JSON",
    }
}
