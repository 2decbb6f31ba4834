//! `X-Mizan-Invalidate`: round trips, and percent-encoding cross-checked
//! against Node's `encodeURIComponent` (one node process for all values).

use mizan_core::canonical_json::stringify;
use mizan_core::header::{encode, format, parse};
use mizan_core::invalidation::{Invalidation, ScopedInvalidation};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

/// `encodeURIComponent` of each value, computed by Node.
fn node_encode(values: &[String]) -> Vec<String> {
    let script = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{for(const v of JSON.parse(s))console.log(JSON.stringify(encodeURIComponent(v)))})";
    let mut child = Command::new("node")
        .args(["-e", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node is required for this test (scripts/setup installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(values).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn encoding_matches_node_encode_uri_component() {
    let mut values: Vec<String> = [
        ";",
        ",",
        "=",
        "&",
        "%",
        " ",
        "é",
        "😀",
        "a;b,c=d&e%f g",
        "naïve; x=1",
        "-_.!~*'()",
        "A-Za-z0-9",
        "\u{0}\u{7f}",
        "\"quoted\"",
        "/?#[]@$+",
        "tab\tnew\nline",
        "日本語",
        "%41",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Plus a deterministic spread of arbitrary code points.
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    for _ in 0..300 {
        let mut s = String::new();
        for _ in 0..8 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let range = [0x80u32, 0x800, 0x10000, 0x110000][(seed % 4) as usize];
            if let Some(c) = char::from_u32((seed >> 8) as u32 % range) {
                s.push(c);
            }
        }
        values.push(s);
    }
    let expected = node_encode(&values);
    assert_eq!(expected.len(), values.len());
    for (v, e) in values.iter().zip(&expected) {
        assert_eq!(&encode(v), e, "encodeURIComponent({v:?})");
    }
}

#[test]
fn tricky_values_round_trip() {
    let entries: Vec<Invalidation> = serde_json::from_value(json!([
        {"context": "café", "params": {"q": "naïve; x=1", "e": "😀", "z": "a,b", "p": "100%", "s": "a b&c"}},
        {"context": "user", "params": {"user_id": 5, "ok": true, "ratio": 0.5, "f": 1.0, "n": null, "list": [1, "a"]}},
        "notifications"
    ]))
    .unwrap();
    let header = format(&entries);
    assert!(header.is_ascii(), "{header}");
    assert_eq!(
        header,
        "caf%C3%A9;e=%F0%9F%98%80;p=100%25;q=na%C3%AFve%3B%20x%3D1;s=a%20b%26c;z=a%2Cb, \
         user;f=1;list=%5B1%2C%22a%22%5D;n=null;ok=true;ratio=0.5;user_id=5, notifications"
    );
    let parsed = serde_json::to_value(parse(&header).unwrap()).unwrap();
    assert_eq!(
        parsed,
        json!([
            {"context": "café", "params": {"q": "naïve; x=1", "e": "😀", "z": "a,b", "p": "100%", "s": "a b&c"}},
            {"context": "user", "params": {"user_id": "5", "ok": "true", "ratio": "0.5", "f": "1", "n": "null", "list": "[1,\"a\"]"}},
            "notifications"
        ])
    );
}

fn entry() -> impl Strategy<Value = Invalidation> {
    let value = prop_oneof![
        any::<String>().prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
    ];
    prop_oneof![
        any::<String>()
            .prop_filter("non-empty", |s| !s.trim().is_empty())
            .prop_map(Invalidation::Broad),
        (
            any::<String>().prop_filter("non-empty", |s| !s.trim().is_empty()),
            proptest::collection::btree_map(any::<String>().prop_filter("key", |k| !k.is_empty()), value, 1..4)
        )
            .prop_map(|(context, params)| Invalidation::Scoped(ScopedInvalidation {
                context,
                function: None,
                params: Some(params.into_iter().collect()),
            })),
    ]
}

/// What the header can carry of an entry: params stringified.
fn as_header_sees(e: &Invalidation) -> Invalidation {
    match e.params() {
        None => Invalidation::Broad(e.context().to_owned()),
        Some(p) => Invalidation::Scoped(ScopedInvalidation {
            context: e.context().to_owned(),
            function: None,
            params: Some(
                p.iter()
                    .map(|(k, v)| (k.clone(), Value::String(stringify(v).into_owned())))
                    .collect::<Map<_, _>>(),
            ),
        }),
    }
}

proptest! {
    #[test]
    fn format_then_parse_round_trips(entries in proptest::collection::vec(entry(), 0..5)) {
        let header = format(&entries);
        let parsed = parse(&header).map_err(|e| TestCaseError::fail(format!("{e}: {header}")))?;
        let mut expected: Vec<Invalidation> = Vec::new();
        for e in entries.iter().map(as_header_sees) {
            if !expected.contains(&e) { expected.push(e); }
        }
        prop_assert_eq!(parsed, expected);
    }

    #[test]
    fn parse_never_panics(input in any::<String>()) {
        let _ = parse(&input);
    }
}

fn scoped(context: &str, params: Value) -> Invalidation {
    Invalidation::Scoped(ScopedInvalidation {
        context: context.into(),
        function: None,
        params: Some(params.as_object().unwrap().clone()),
    })
}

#[test]
fn bounded_headers_broaden_the_oversized_targets() {
    use mizan_core::header::{MAX_HEADER_BYTES, format_bounded};
    assert!((1024..=4096).contains(&MAX_HEADER_BYTES));
    let small = vec![
        scoped("user", json!({"user_id": 5})),
        Invalidation::Broad("notifications".into()),
    ];
    assert_eq!(
        format_bounded(&small, 64).as_deref(),
        Some("user;user_id=5, notifications")
    );
    assert_eq!(format_bounded(&[], 64).as_deref(), None, "nothing to send");

    // One huge scoped entry: only its context falls back to broad.
    let huge = "x".repeat(10_000);
    let entries = vec![
        scoped("user", json!({"user_id": 5})),
        scoped("search", json!({"q": huge})),
        scoped("search", json!({"q": "short"})),
        Invalidation::Broad("notifications".into()),
    ];
    let value = format_bounded(&entries, MAX_HEADER_BYTES).expect("a header");
    assert_eq!(value, "user;user_id=5, search, notifications");
    // What the header says still covers every entry of the body.
    let parsed = parse(&value).unwrap();
    let as_strings = |ps: &Map<String, Value>| -> Vec<(String, String)> {
        ps.iter().map(|(k, v)| (k.clone(), stringify(v).into_owned())).collect()
    };
    for e in &entries {
        assert!(
            parsed.iter().any(|p| p.context() == e.context()
                && p.params()
                    .is_none_or(|ps| e.params().map(as_strings) == Some(as_strings(ps)))),
            "{e:?} not covered by {value}"
        );
    }

    // Many medium entries: the biggest contexts are broadened first until it fits.
    let many: Vec<Invalidation> = (0..40)
        .map(|i| scoped(&format!("c{i}"), json!({"k": "v".repeat(10 + i)})))
        .collect();
    let value = format_bounded(&many, 600).expect("a header");
    assert!(value.len() <= 600, "{} bytes", value.len());
    assert!(value.contains("c0;k="), "the smallest stay scoped: {value}");
    assert!(value.contains(", c39"), "the biggest are broad: {value}");
    assert_eq!(parse(&value).unwrap().len(), 40);

    // Even broad it does not fit: leave the header out (the body is authoritative).
    let names: Vec<Invalidation> = (0..500).map(|i| Invalidation::Broad(format!("context_{i}"))).collect();
    assert_eq!(format_bounded(&names, MAX_HEADER_BYTES), None);
}
