//! Origin-cache key derivation (SPEC §6, security-critical).
//!
//! ```text
//! message = canonical_json({"c": context, "p": {k: S(v) ...}, "r": rev, "u": S(user)})
//! key     = "ctx:" + context + ":" + hex(HMAC-SHA256(cache_secret, message))
//! ```
//!
//! The key is keyed by a server-side secret so that a client can neither
//! predict nor forge another principal's entry, and it includes the user for
//! every authenticated request so a personalised entry is never shared
//! across users. Scoped purges work by recomputing the key; there is no
//! reverse index.
//!
//! This module must never log or expose the secret, never build keys with a
//! plain (unkeyed) hash, and never change the message layout: every Mizan
//! backend (Rust, Python, …) and the published vectors depend on it byte for
//! byte.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::canonical_json::{write_escaped, write_number, write_u64};

type HmacSha256 = Hmac<Sha256>;

/// Prefix of every Mizan cache key; `clear()` only ever touches keys under it.
pub const KEY_PREFIX: &str = "ctx:";

/// Length of the hex digest at the end of every key (HMAC-SHA256 → 32 bytes).
pub const DIGEST_HEX_LEN: usize = 64;

/// Derives origin-cache keys from the cache secret.
///
/// Built once per process: the HMAC state is keyed up front (the inner and
/// outer pads are hashed once) and every derivation clones it, so a key costs
/// little more than hashing the message itself.
#[derive(Clone)]
pub struct CacheKeyer {
    mac: HmacSha256,
}

impl fmt::Debug for CacheKeyer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CacheKeyer { secret: <redacted> }")
    }
}

impl CacheKeyer {
    /// Keys a new deriver with the cache secret (distinct from the MWT
    /// secret). Any length is accepted; use at least 32 random bytes.
    pub fn new(secret: &[u8]) -> Self {
        // HMAC accepts keys of any length (long keys are hashed first), so
        // `new_from_slice` cannot fail here.
        let mac = match HmacSha256::new_from_slice(secret) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC-SHA256 accepts keys of any length"),
        };
        Self { mac }
    }

    /// The canonical message that is MACed for these inputs:
    /// `{"c":context,"p":{k:S(v)…},"r":rev,"u":S(user)}`, `"u"` omitted when
    /// `user` is `None`. Exposed so the studio can show it when explaining a
    /// cache miss.
    pub fn message(&self, context: &str, params: &Map<String, Value>, user: Option<&str>, rev: u64) -> String {
        let mut out = String::with_capacity(message_capacity(context, params, user));
        write_message(&mut out, context, params, user, rev);
        out
    }

    /// The cache key for these inputs:
    /// `"ctx:" + context + ":" + hex(HMAC-SHA256(secret, message))`.
    pub fn key(&self, context: &str, params: &Map<String, Value>, user: Option<&str>, rev: u64) -> String {
        // One allocation: the buffer first holds the message, then is reused
        // for the key.
        let cap = message_capacity(context, params, user).max(KEY_PREFIX.len() + context.len() + 1 + DIGEST_HEX_LEN);
        let mut buf = String::with_capacity(cap);
        write_message(&mut buf, context, params, user, rev);
        let mut mac = self.mac.clone();
        mac.update(buf.as_bytes());
        let digest: [u8; 32] = mac.finalize().into_bytes().into();
        buf.clear();
        buf.push_str(KEY_PREFIX);
        buf.push_str(context);
        buf.push(':');
        push_hex(&mut buf, &digest);
        buf
    }
}

/// The `SCAN MATCH` pattern selecting every key of `context`:
/// `ctx:<context>:*`, with the glob metacharacters `* ? [ ] \` in the context
/// name backslash-escaped so a context called `a*` cannot match `ab`'s keys.
///
/// A pattern match alone is not proof of membership (context `a`'s pattern
/// also matches keys of a context named `a:b`); confirm with
/// [`key_belongs_to`] before deleting.
pub fn context_pattern(context: &str) -> String {
    let mut out = String::with_capacity(KEY_PREFIX.len() + context.len() + 2);
    out.push_str(KEY_PREFIX);
    for ch in context.chars() {
        if matches!(ch, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push_str(":*");
    out
}

/// The context of a well-formed Mizan key (`ctx:<context>:<64 lower-hex>`),
/// or `None` if `key` does not have that shape.
pub fn key_context(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (context, digest) = rest.rsplit_once(':')?;
    is_digest(digest).then_some(context)
}

/// Whether `key` is a well-formed Mizan key of exactly `context` (a key of
/// context `a:b` does not belong to context `a`).
pub fn key_belongs_to(key: &str, context: &str) -> bool {
    key_context(key) == Some(context)
}

fn is_digest(s: &str) -> bool {
    s.len() == DIGEST_HEX_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn message_capacity(context: &str, params: &Map<String, Value>, user: Option<&str>) -> usize {
    // A guess good enough to avoid regrowth for typical inputs.
    32 + context.len() + params.len() * 24 + user.map_or(0, |u| u.len() + 6)
}

/// Writes the canonical message straight into `out`, without building a
/// `serde_json::Value`. The outer keys `c < p < r < u` are already in code
/// point order; the params are sorted here.
fn write_message(out: &mut String, context: &str, params: &Map<String, Value>, user: Option<&str>, rev: u64) {
    out.push_str("{\"c\":\"");
    write_escaped(out, context);
    out.push_str("\",\"p\":{");
    if !params.is_empty() {
        // Sort on the stack for the common small case.
        static NULL: Value = Value::Null;
        let mut small: [(&str, &Value); 8] = [("", &NULL); 8];
        let mut large: Vec<(&str, &Value)>;
        let entries: &mut [(&str, &Value)] = if params.len() <= small.len() {
            for (slot, (k, v)) in small.iter_mut().zip(params) {
                *slot = (k.as_str(), v);
            }
            &mut small[..params.len()]
        } else {
            large = params.iter().map(|(k, v)| (k.as_str(), v)).collect();
            &mut large
        };
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('"');
            write_escaped(out, k);
            out.push_str("\":\"");
            write_stringified_escaped(out, v);
            out.push('"');
        }
    }
    out.push_str("},\"r\":");
    write_u64(out, rev);
    if let Some(user) = user {
        out.push_str(",\"u\":\"");
        write_escaped(out, user);
        out.push('"');
    }
    out.push('}');
}

/// Writes `S(v)` as the body of a JSON string literal.
fn write_stringified_escaped(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => write_escaped(out, s),
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // Digits, `.`, `-`, `+` and `e` never need escaping.
        Value::Number(n) => write_number(out, n),
        Value::Array(_) | Value::Object(_) => {
            let json = crate::canonical_json::to_canonical_json(v);
            write_escaped(out, &json);
        }
    }
}

/// Appends the lower-case hex of a SHA-256 digest.
fn push_hex(out: &mut String, digest: &[u8; 32]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; DIGEST_HEX_LEN];
    for (pair, &b) in buf.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 0x0f)];
    }
    // Only ASCII hex digits were written.
    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn message_layout() {
        let k = CacheKeyer::new(b"s");
        let p = map(json!({"page": 2, "org_id": 7, "q": "a\"b", "f": 1.0, "l": [2, {"b": 1, "a": 0}]}));
        assert_eq!(
            k.message("orders", &p, None, 0),
            r#"{"c":"orders","p":{"f":"1","l":"[2,{\"a\":0,\"b\":1}]","org_id":"7","page":"2","q":"a\"b"},"r":0}"#
        );
        assert_eq!(
            k.message("x", &Map::new(), Some("u\n"), 18446744073709551615),
            r#"{"c":"x","p":{},"r":18446744073709551615,"u":"u\n"}"#
        );
    }

    #[test]
    fn key_matches_hmac_of_message() {
        let k = CacheKeyer::new(b"secret");
        let params: Map<String, Value> = (0..20).map(|i| (format!("k{i:02}"), json!(i))).collect();
        let msg = k.message("big", &params, Some("7"), 3);
        let mut mac = HmacSha256::new_from_slice(b"secret").expect("any key length");
        mac.update(msg.as_bytes());
        let want = format!("ctx:big:{}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(k.key("big", &params, Some("7"), 3), want);
    }

    #[test]
    fn patterns_escape_glob_metacharacters() {
        assert_eq!(context_pattern("orders"), "ctx:orders:*");
        assert_eq!(context_pattern(r"a*b?[c]\d"), r"ctx:a\*b\?\[c\]\\d:*");
    }

    #[test]
    fn key_context_requires_a_digest() {
        let d = "0".repeat(64);
        assert_eq!(key_context(&format!("ctx:a:b:{d}")), Some("a:b"));
        assert_eq!(key_context(&format!("ctx::{d}")), Some(""));
        assert_eq!(key_context("ctx:a:xyz"), None);
        assert_eq!(key_context(&format!("ctx:a:{}", "A".repeat(64))), None);
        assert_eq!(key_context(&format!("other:a:{d}")), None);
        assert!(key_belongs_to(&format!("ctx:a:{d}"), "a"));
        assert!(!key_belongs_to(&format!("ctx:a:b:{d}"), "a"));
    }
}
