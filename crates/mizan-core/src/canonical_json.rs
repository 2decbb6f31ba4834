//! Canonical JSON (SPEC §6) and the `S(v)` stringification used by cache keys,
//! the `X-Mizan-Invalidate` header and the MWT `pkey` claim.
//!
//! Canonical JSON is byte-for-byte what JavaScript's `JSON.stringify` produces
//! for the same value once every object's keys are sorted by code point:
//! no whitespace, non-ASCII left raw, only `"`, `\` and control characters
//! escaped, numbers in JavaScript's shortest round-trip form. Every Mizan
//! implementation (Rust, Python, TypeScript) must derive identical bytes, so
//! this module must never depend on `serde_json`'s own formatting or on
//! `serde_json::Map` iteration order (another crate in the build may enable
//! `preserve_order`): keys are always sorted here, explicitly.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// The same value with every object's keys re-inserted in sorted order, so
/// that any serializer (even with serde_json's `preserve_order`) writes them
/// sorted. Unlike [`to_canonical_json`], numbers keep serde_json's own form
/// (`1.0` stays a float), which the IR's `default-json` and the manifest
/// need.
pub fn sort_keys(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), sort_keys(&map[k]))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// Returns the canonical JSON text of `v`.
///
/// ```
/// use mizan_core::canonical_json::to_canonical_json;
/// let v = serde_json::json!({"b": [1.0, 0.5, 1e21], "a": "é\n"});
/// assert_eq!(to_canonical_json(&v), r#"{"a":"é\n","b":[1,0.5,1e+21]}"#);
/// ```
pub fn to_canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical_json(&mut out, v);
    out
}

/// Appends the canonical JSON text of `v` to `out`.
pub fn write_canonical_json(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(out, map),
    }
}

/// `S(v)` of SPEC §6: the string form of a value as it appears in cache keys
/// and in the `X-Mizan-Invalidate` header.
///
/// Strings are returned as-is (borrowed), numbers in JavaScript's
/// `String(x)` form (`1.0` → `1`, `0.5` → `0.5`, `1e21` → `1e+21`),
/// booleans as `true`/`false`, null as `null`, arrays and objects as their
/// canonical JSON.
pub fn stringify(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed("null"),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Number(n) => {
            let mut s = String::new();
            write_number(&mut s, n);
            Cow::Owned(s)
        }
        Value::Array(_) | Value::Object(_) => Cow::Owned(to_canonical_json(v)),
    }
}

/// Appends `S(v)` (see [`stringify()`]) to `out` without an intermediate
/// allocation for strings, numbers and literals.
pub fn write_stringified(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::Array(_) | Value::Object(_) => write_canonical_json(out, v),
    }
}

/// Appends `s` as a JSON string literal, escaped exactly as
/// `JSON.stringify` does: `"` and `\` backslash-escaped, `\b \f \n \r \t`
/// by their short forms, other C0 control characters as `\u00xx` (lower-case
/// hex), everything else (including non-ASCII, DEL, U+2028/U+2029) raw.
pub fn write_json_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    write_escaped(out, s);
    out.push('"');
}

/// Appends the body of a JSON string literal (no surrounding quotes).
pub(crate) fn write_escaped(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        // `i` is at an ASCII byte, hence on a char boundary.
        out.push_str(&s[start..i]);
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// Appends a number in JavaScript's `Number.prototype.toString` form.
///
/// Integers that fit `u64`/`i64` are written in decimal (exactly, even above
/// 2^53, where JavaScript itself would lose precision: the JSON text carries
/// the digits, and every Mizan implementation keeps them). Floats use
/// `ryu-js`, the shortest round-trip representation JavaScript produces.
pub(crate) fn write_number(out: &mut String, n: &Number) {
    if let Some(u) = n.as_u64() {
        write_u64(out, u);
    } else if let Some(i) = n.as_i64() {
        if i < 0 {
            out.push('-');
        }
        write_u64(out, i.unsigned_abs());
    } else if let Some(f) = n.as_f64() {
        let mut buf = ryu_js::Buffer::new();
        out.push_str(buf.format(f));
    } else {
        // Only reachable with serde_json's `arbitrary_precision`: keep the
        // digits as written.
        let _ = write!(out, "{n}");
    }
}

/// Appends `n` in decimal (without going through `fmt`, which is several
/// times slower on this hot path of cache-key derivation).
pub(crate) fn write_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or_default());
}

fn write_object(out: &mut String, map: &Map<String, Value>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    // Rust's `str` ordering is byte order of UTF-8, which is code point order.
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push('{');
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_string(out, k);
        out.push(':');
        write_canonical_json(out, v);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_recursively_and_drops_whitespace() {
        let v = json!({"b": {"z": 1, "a": [ {"y": null, "x": true} ]}, "a": false});
        assert_eq!(
            to_canonical_json(&v),
            r#"{"a":false,"b":{"a":[{"x":true,"y":null}],"z":1}}"#
        );
    }

    #[test]
    fn sorts_by_code_point_not_utf16() {
        // U+FF61 sorts before U+1F600 by code point, after it in UTF-16 units.
        let v = json!({"\u{1F600}": 1, "\u{FF61}": 2, "Z": 3, "a": 4});
        assert_eq!(
            to_canonical_json(&v),
            "{\"Z\":3,\"a\":4,\"\u{FF61}\":2,\"\u{1F600}\":1}"
        );
    }

    #[test]
    fn escapes_like_json_stringify() {
        let s = "q\"b\\\u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f}é\u{2028}";
        assert_eq!(
            to_canonical_json(&json!(s)),
            "\"q\\\"b\\\\\\b\\f\\n\\r\\t\\u0000\\u001f\u{7f}é\u{2028}\""
        );
    }

    #[test]
    fn numbers_in_javascript_form() {
        let cases = [
            (json!(1.0), "1"),
            (json!(0.5), "0.5"),
            (json!(1e21), "1e+21"),
            (json!(1e-7), "1e-7"),
            (json!(-0.0), "0"),
            (json!(123456789012345680000.0), "123456789012345680000"),
            (json!(0.1 + 0.2), "0.30000000000000004"),
            (json!(-7), "-7"),
            (json!(u64::MAX), "18446744073709551615"),
        ];
        for (v, want) in cases {
            assert_eq!(to_canonical_json(&v), want, "{v:?}");
        }
    }

    #[test]
    fn stringify_borrows_strings_and_formats_the_rest() {
        assert!(matches!(stringify(&json!("a\"b")), Cow::Borrowed("a\"b")));
        assert_eq!(stringify(&json!(2)), "2");
        assert_eq!(stringify(&json!(2.0)), "2");
        assert_eq!(stringify(&json!(true)), "true");
        assert_eq!(stringify(&Value::Null), "null");
        assert_eq!(stringify(&json!({"b": 1, "a": [1, "x"]})), r#"{"a":[1,"x"],"b":1}"#);
        let mut out = String::new();
        write_stringified(&mut out, &json!([0.5]));
        assert_eq!(out, "[0.5]");
    }
}
