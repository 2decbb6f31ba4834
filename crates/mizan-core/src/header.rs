//! The `X-Mizan-Invalidate` header transport (SPEC §5):
//! `user;user_id=5, notifications`.
//!
//! Entries are joined by `", "`; a scoped entry is followed by `;key=value`
//! pairs sorted by key (byte order). Names, keys and values are
//! percent-encoded exactly like JavaScript's `encodeURIComponent`, so
//! delimiters, spaces and non-ASCII never collide. Values are stringified as
//! in cache keys ([`crate::canonical_json::stringify`]). The header carries
//! no function hints, so a function target shows as its context; duplicate
//! entries collapse. Parsing accepts whitespace around delimiters, decodes,
//! returns param values as strings and rejects anything else with the byte
//! offset of the problem. Adapters bound the value
//! ([`format_bounded`], [`MAX_HEADER_BYTES`]): oversized targets are sent
//! broad, or the header is left out.

use crate::canonical_json::stringify;
use crate::invalidation::{Invalidation, ScopedInvalidation};
use crate::{Error, Result};
use serde_json::{Map, Value};

/// The header name.
pub const HEADER_NAME: &str = "X-Mizan-Invalidate";

/// The most bytes adapters put in one `X-Mizan-Invalidate` value (2 KiB).
/// nginx's default `proxy_buffer_size` (one page, often 4 KiB) must hold
/// *all* response headers, so a larger value could make a proxy fail a
/// response whose mutation already committed. See [`format_bounded`].
pub const MAX_HEADER_BYTES: usize = 2048;

/// Formats an invalidate list as a header value (empty string for an empty
/// list: adapters then omit the header).
pub fn format(entries: &[Invalidation]) -> String {
    format_with(entries, &[])
}

/// [`format`] within `max_bytes`: when the value is longer, the contexts
/// whose scoped entries take the most bytes are sent broad (`search`
/// instead of `search;q=<10 KB>`), one context at a time, until it fits —
/// the header then asks for more refetching than the body, never less. If
/// even the all-broad value is too long, `None`: the header is left out and
/// the body, which is authoritative, carries the list. `None` too for an
/// empty list.
pub fn format_bounded(entries: &[Invalidation], max_bytes: usize) -> Option<String> {
    let mut value = format(entries);
    if value.is_empty() {
        return None;
    }
    if value.len() <= max_bytes {
        return Some(value);
    }
    // Bytes the scoped entries of each context take, biggest first (ties
    // in order of first appearance, so the result is deterministic).
    let mut footprint: Vec<(&str, usize)> = Vec::new();
    for entry in entries.iter().filter(|e| e.params().is_some_and(|p| !p.is_empty())) {
        let bytes = format_with(std::slice::from_ref(entry), &[]).len();
        match footprint.iter_mut().find(|(c, _)| *c == entry.context()) {
            Some((_, total)) => *total += bytes,
            None => footprint.push((entry.context(), bytes)),
        }
    }
    footprint.sort_by_key(|f| std::cmp::Reverse(f.1));
    let mut broad: Vec<&str> = Vec::with_capacity(footprint.len());
    for (context, _) in footprint {
        broad.push(context);
        value = format_with(entries, &broad);
        if value.len() <= max_bytes {
            return Some(value);
        }
    }
    None
}

/// [`format`] with the entries of the `broad` contexts written broad.
fn format_with(entries: &[Invalidation], broad: &[&str]) -> String {
    let mut parts: Vec<String> = Vec::with_capacity(entries.len());
    for entry in entries {
        let mut part = encode(entry.context());
        if let Some(params) = entry.params().filter(|_| !broad.contains(&entry.context())) {
            let mut pairs: Vec<(&String, &Value)> = params.iter().collect();
            pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            for (k, v) in pairs {
                part.push(';');
                part.push_str(&encode(k));
                part.push('=');
                part.push_str(&encode(&stringify(v)));
            }
        }
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts.join(", ")
}

/// Parses a header value into an invalidate list (param values as JSON
/// strings). Blank input is an empty list.
pub fn parse(value: &str) -> Result<Vec<Invalidation>> {
    let mut out = Vec::new();
    if value.trim().is_empty() {
        return Ok(out);
    }
    let mut offset = 0;
    for raw_entry in value.split(',') {
        let entry_start = offset;
        offset += raw_entry.len() + 1;
        if raw_entry.trim().is_empty() {
            return Err(header_error(
                entry_start,
                "empty entry (two commas in a row, or a leading/trailing comma)",
            ));
        }
        let mut segment_offset = entry_start;
        let mut context = None;
        let mut params = Map::new();
        for (i, segment) in raw_entry.split(';').enumerate() {
            let at = segment_offset + (segment.len() - segment.trim_start().len());
            segment_offset += segment.len() + 1;
            let segment = segment.trim();
            if i == 0 {
                if segment.is_empty() {
                    return Err(header_error(at, "expected a context name"));
                }
                context = Some(decode(segment, at)?);
                continue;
            }
            let Some((k, v)) = segment.split_once('=') else {
                return Err(header_error(at, format!("expected `key=value`, found `{segment}`")));
            };
            let (k, v) = (k.trim_end(), v.trim_start());
            if k.is_empty() {
                return Err(header_error(at, "empty parameter name"));
            }
            let v_at = at + segment.find('=').unwrap_or(0) + 1;
            if v.contains('=') {
                return Err(header_error(v_at, "`=` inside a value must be percent-encoded as %3D"));
            }
            let key = decode(k, at)?;
            if params.contains_key(&key) {
                return Err(header_error(at, format!("parameter `{key}` given twice")));
            }
            params.insert(key, Value::String(decode(v, v_at)?));
        }
        let context = context.unwrap_or_default();
        out.push(if params.is_empty() {
            Invalidation::Broad(context)
        } else {
            Invalidation::Scoped(ScopedInvalidation {
                context,
                function: None,
                params: Some(params),
            })
        });
    }
    Ok(out)
}

fn header_error(offset: usize, message: impl Into<String>) -> Error {
    Error::Header {
        offset,
        message: message.into(),
    }
}

/// Characters `encodeURIComponent` leaves alone.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')')
}

/// Percent-encodes like JavaScript's `encodeURIComponent` (upper-case hex).
pub fn encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if is_unreserved(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
    out
}

/// Decodes one percent-encoded token; `at` is its offset for errors.
fn decode(s: &str, at: usize) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(v) if hex.is_some_and(|h| h.bytes().all(|c| c.is_ascii_hexdigit())) => out.push(v),
                _ => return Err(header_error(at + i, "`%` must be followed by two hex digits")),
            }
            i += 3;
        } else if is_unreserved(b) {
            out.push(b);
            i += 1;
        } else {
            let c = s[i..].chars().next().unwrap_or('?');
            return Err(header_error(at + i, format!("character `{c}` must be percent-encoded")));
        }
    }
    String::from_utf8(out).map_err(|_| header_error(at, "percent-encoded bytes are not valid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn list(v: Value) -> Vec<Invalidation> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn formats_the_spec_example() {
        let entries = list(json!([{"context": "user", "params": {"user_id": 5}}, "notifications"]));
        assert_eq!(format(&entries), "user;user_id=5, notifications");
    }

    #[test]
    fn sorts_keys_encodes_and_dedupes() {
        let entries = list(json!([
            {"context": "orders", "params": {"page": 2, "org id": "a;b,c=d"}},
            {"context": "user", "function": "user_orders", "params": {"user_id": 5}},
            {"context": "user", "params": {"user_id": 5}},
            {"context": "café", "function": "f"}
        ]));
        assert_eq!(
            format(&entries),
            "orders;org%20id=a%3Bb%2Cc%3Dd;page=2, user;user_id=5, caf%C3%A9"
        );
    }

    #[test]
    fn parses_with_whitespace_and_decodes() {
        let parsed = parse("  user ; user_id = 5 ,notifications,  caf%C3%A9;q=na%C3%AFve%3B%20x%3D1 ").unwrap();
        assert_eq!(
            serde_json::to_value(parsed).unwrap(),
            json!([{"context": "user", "params": {"user_id": "5"}}, "notifications", {"context": "café", "params": {"q": "naïve; x=1"}}])
        );
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn rejects_malformed_input_with_offsets() {
        for (input, offset) in [
            ("user,,x", 5),
            ("user;", 5),
            ("user;id", 5),
            ("user;=5", 5),
            ("user;id=%G1", 8),
            ("user;id=%4", 8),
            ("us er", 2),
            ("user;id=a=b", 8),
            ("user;id=1;id=2", 10),
            ("a,", 2),
            ("x;v=%FF", 4),
        ] {
            match parse(input) {
                Err(Error::Header { offset: got, .. }) => assert_eq!(got, offset, "{input}"),
                other => panic!("{input}: {other:?}"),
            }
        }
    }
}
