//! Params as the protocol compares them: `S(v)` stringification (SPEC §6,
//! the same bytes as `mizan_core::canonical_json::stringify`, cross-checked
//! by a property test), the instance key of a `(context, params)` pair, the
//! "params match every key" rule of scoped invalidation (SPEC §4), and
//! `encodeURIComponent` for query strings.

use serde_json::{Number, Value};
use std::borrow::Cow;
use std::fmt;

use crate::wire::Params;

/// `S(v)`: strings as-is, numbers as JavaScript's `String(x)` (`1.0` → `1`),
/// booleans `true`/`false`, null `null`, arrays and objects as canonical
/// JSON (keys sorted, no whitespace).
pub fn stringify(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed("null"),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Number(n) => Cow::Owned(number(n)),
        Value::Array(_) | Value::Object(_) => Cow::Owned(canonical_json(v)),
    }
}

/// Canonical JSON (SPEC §6): object keys sorted by code point, recursively;
/// no whitespace; strings escaped as `JSON.stringify` does; numbers as
/// JavaScript prints them.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, v);
    out
}

fn write_canonical(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        // serde_json escapes exactly the characters JSON.stringify does
        // (`"`, `\`, C0 controls, with lower-case `\u00xx`).
        Value::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(out, &map[k]);
            }
            out.push('}');
        }
    }
}

fn number(n: &Number) -> String {
    if let Some(u) = n.as_u64() {
        u.to_string()
    } else if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(f) = n.as_f64() {
        ryu_js::Buffer::new().format(f).to_owned()
    } else {
        n.to_string()
    }
}

/// True when `instance` matches every key of a scoped entry's `scope`:
/// same key, equal `S(v)`. An empty scope matches everything (a broad
/// entry). A key the instance does not carry matches too: the instance then
/// uses the server-side default, which may be the scoped value, and a
/// needless refetch is cheaper than stale data.
pub fn params_match(scope: &Params, instance: &Params) -> bool {
    scope
        .iter()
        .all(|(k, v)| instance.get(k).is_none_or(|iv| stringify(iv) == stringify(v)))
}

/// Identifies one `(context, params)` instance. Params are compared as the
/// protocol compares them: keys sorted, values as `S(v)`, so `{a:1,b:2}`,
/// `{b:2,a:1}` and `{a:"1",b:"2"}` are the same instance (as in the
/// TypeScript kernel).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceKey {
    context: String,
    params: String,
}

impl InstanceKey {
    /// The key of `context` with `params`.
    pub fn new(context: &str, params: &Params) -> Self {
        let strings: Params = params
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(stringify(v).into_owned())))
            .collect();
        InstanceKey {
            context: context.to_owned(),
            params: canonical_json(&Value::Object(strings)),
        }
    }

    /// The context name.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The params' canonical JSON, values stringified.
    pub fn params_json(&self) -> &str {
        &self.params
    }
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.context, self.params)
    }
}

/// Percent-encodes `s` exactly like JavaScript's `encodeURIComponent`
/// (unreserved: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`; UTF-8 bytes otherwise).
pub fn encode_uri_component(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// The query string `k=v&...` of a context fetch: keys sorted, values
/// `S(v)`, both `encodeURIComponent`-encoded; null values are left out (the
/// server's default applies). Empty for no params.
pub fn query_string(params: &Params) -> String {
    let mut keys: Vec<&String> = params.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k).collect();
    keys.sort();
    keys.into_iter()
        .map(|k| {
            format!(
                "{}={}",
                encode_uri_component(k),
                encode_uri_component(&stringify(&params[k]))
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn obj(v: Value) -> Params {
        match v {
            Value::Object(m) => m,
            _ => Params::new(),
        }
    }

    #[test]
    fn stringify_follows_spec_section_6() {
        assert_eq!(stringify(&json!("a b")), "a b");
        assert_eq!(stringify(&json!(7)), "7");
        assert_eq!(stringify(&json!(-7)), "-7");
        assert_eq!(stringify(&json!(1.0)), "1");
        assert_eq!(stringify(&json!(0.5)), "0.5");
        assert_eq!(stringify(&json!(1e21)), "1e+21");
        assert_eq!(stringify(&json!(true)), "true");
        assert_eq!(stringify(&json!(null)), "null");
        assert_eq!(
            stringify(&json!({"b": [1.0, "é\n"], "a": {}})),
            r#"{"a":{},"b":[1,"é\n"]}"#
        );
    }

    #[test]
    fn scoped_match_compares_strings() {
        let inst = obj(json!({"user_id": 5, "page": 2}));
        assert!(params_match(&obj(json!({"user_id": 5})), &inst));
        assert!(params_match(&obj(json!({"user_id": "5"})), &inst));
        assert!(params_match(&obj(json!({"user_id": 5.0})), &inst));
        assert!(params_match(&obj(json!({"user_id": 5, "page": "2"})), &inst));
        assert!(!params_match(&obj(json!({"user_id": 6})), &inst));
        assert!(!params_match(&obj(json!({"user_id": 5, "page": 3})), &inst));
        assert!(params_match(&Params::new(), &inst));
        // A key the instance leaves to the server default still matches.
        assert!(params_match(&obj(json!({"user_id": 5})), &obj(json!({}))));
    }

    #[test]
    fn instance_keys_ignore_key_order() {
        let a = InstanceKey::new("user", &obj(json!({"a": 1, "b": 2})));
        let b = InstanceKey::new("user", &obj(json!({"b": 2, "a": 1})));
        assert_eq!(a, b);
        assert_eq!(a, InstanceKey::new("user", &obj(json!({"b": "2", "a": 1.0}))));
        assert_eq!(a.to_string(), r#"user{"a":"1","b":"2"}"#);
        assert_ne!(a, InstanceKey::new("other", &obj(json!({"a": 1, "b": 2}))));
    }

    #[test]
    fn query_strings_are_sorted_and_encoded() {
        assert_eq!(
            query_string(&obj(json!({"q": "naïve; x=1", "page": 2, "ok": true, "none": null}))),
            "ok=true&page=2&q=na%C3%AFve%3B%20x%3D1"
        );
        assert_eq!(query_string(&Params::new()), "");
        assert_eq!(encode_uri_component("A-z_0.!~*'()"), "A-z_0.!~*'()");
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            any::<u64>().prop_map(|u| json!(u)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn stringify_agrees_with_the_core(v in json_value()) {
            prop_assert_eq!(stringify(&v), mizan_core::canonical_json::stringify(&v));
        }

        #[test]
        fn uri_encoding_agrees_with_the_header_encoder(s in any::<String>()) {
            prop_assert_eq!(encode_uri_component(&s), mizan_core::header::encode(&s));
        }
    }
}
