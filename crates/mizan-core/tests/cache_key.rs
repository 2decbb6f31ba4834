//! Cache keys against the SPEC §6 vectors and against independent
//! implementations: Python (`hmac` + `json.dumps(sort_keys=True, …)`) for
//! strings, integers, booleans, null and nested values, and Node
//! (`String(x)` / `JSON.stringify`) for floats, where Python's formatting
//! differs from JavaScript's.
//!
//! `python3` and `node` must be on PATH; a missing interpreter fails the
//! test rather than skipping it.

use std::io::Write;
use std::process::{Command, Stdio};

use mizan_core::cache_key::CacheKeyer;
use mizan_core::canonical_json::{stringify, to_canonical_json};
use serde_json::{Map, Value, json};

const SPEC_SECRET: &[u8] = b"spec-vector-secret-0123456789abc";

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn spec_vectors() {
    let k = CacheKeyer::new(SPEC_SECRET);
    let cases = [
        (
            "orders",
            json!({"org_id": 7, "page": 2}),
            None,
            0,
            "ctx:orders:008a7f166afad22231bb9c5084cdfd8cf04d5fd3d49b6e0957c5f9f1e4c05b4f",
        ),
        (
            "orders",
            json!({"page": 2, "org_id": 7}),
            Some("42"),
            0,
            "ctx:orders:86c173ded7f328432abb0f786775050ea8efbbd27aed7da5b90ebf2b3554bd90",
        ),
        (
            "catalog",
            json!({}),
            None,
            3,
            "ctx:catalog:505b611f1ce8c5ec85c8d89c106072c8671201849b7ec9e2bace95bd723f8a89",
        ),
        (
            "café",
            json!({"q": "naïve; x=1"}),
            Some("u-9"),
            1,
            "ctx:café:87c119a19b55be080b2caea00c0f919f3256a6d4cf362eda15dad1efb5b320b1",
        ),
    ];
    for (context, params, user, rev, want) in cases {
        assert_eq!(k.key(context, &obj(params), user, rev), want, "{context}");
    }
    assert_eq!(
        k.message("café", &obj(json!({"q": "naïve; x=1"})), Some("u-9"), 1),
        r#"{"c":"café","p":{"q":"naïve; x=1"},"r":1,"u":"u-9"}"#
    );
}

#[test]
fn param_order_and_value_type_do_not_matter_but_everything_else_does() {
    let k = CacheKeyer::new(SPEC_SECRET);
    let base = k.key("orders", &obj(json!({"a": 1, "b": "x"})), None, 0);
    assert_eq!(base, k.key("orders", &obj(json!({"b": "x", "a": 1})), None, 0));
    // S(1) == S("1") == S(1.0): the query string carries strings.
    assert_eq!(base, k.key("orders", &obj(json!({"a": "1", "b": "x"})), None, 0));
    assert_eq!(base, k.key("orders", &obj(json!({"a": 1.0, "b": "x"})), None, 0));
    let different = [
        k.key("orders", &obj(json!({"a": 1, "b": "x"})), Some("1"), 0),
        k.key("orders", &obj(json!({"a": 1, "b": "x"})), None, 1),
        k.key("orders", &obj(json!({"a": 2, "b": "x"})), None, 0),
        k.key("order", &obj(json!({"a": 1, "b": "x"})), None, 0),
        CacheKeyer::new(b"other secret").key("orders", &obj(json!({"a": 1, "b": "x"})), None, 0),
    ];
    for d in different {
        assert_ne!(d, base);
    }
}

/// SplitMix64: a tiny deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn string(&mut self) -> String {
        const POOL: &[char] = &[
            'a',
            'b',
            'z',
            'A',
            'Z',
            '0',
            '9',
            ' ',
            '"',
            '\\',
            '/',
            '\'',
            ';',
            '=',
            ',',
            ':',
            '*',
            '?',
            '[',
            '\u{0}',
            '\u{1}',
            '\u{8}',
            '\t',
            '\n',
            '\u{b}',
            '\u{c}',
            '\r',
            '\u{1f}',
            '\u{7f}',
            '\u{80}',
            'é',
            'ï',
            'ß',
            '中',
            '\u{2028}',
            '\u{fffd}',
            '\u{ff61}',
            '😀',
            '\u{10ffff}',
        ];
        let len = self.below(12);
        (0..len).map(|_| POOL[self.below(POOL.len() as u64) as usize]).collect()
    }

    fn int(&mut self) -> Value {
        match self.below(4) {
            0 => json!(self.below(100)),
            1 => json!(-(self.below(1 << 40) as i64)),
            2 => json!(self.next()),
            _ => json!(self.next() as i64),
        }
    }

    /// A JSON value without floats.
    fn value(&mut self, depth: u32) -> Value {
        let kinds = if depth >= 3 { 5 } else { 7 };
        match self.below(kinds) {
            0 | 1 => Value::String(self.string()),
            2 => self.int(),
            3 => Value::Bool(self.below(2) == 0),
            4 => Value::Null,
            5 => Value::Array((0..self.below(4)).map(|_| self.value(depth + 1)).collect()),
            _ => Value::Object(
                (0..self.below(4))
                    .map(|_| (self.string(), self.value(depth + 1)))
                    .collect(),
            ),
        }
    }

    fn params(&mut self) -> Map<String, Value> {
        (0..self.below(6)).map(|_| (self.string(), self.value(0))).collect()
    }
}

/// Runs `script` once with every input as one JSON line on stdin and returns
/// its JSON output lines. The script reads all input before writing, so
/// writing everything first cannot deadlock.
fn run_batch(program: &str, args: &[&str], inputs: &[Value]) -> Vec<Value> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{program}` (required by this test): {e}"));
    {
        let mut stdin = child.stdin.take().expect("piped stdin");
        for input in inputs {
            serde_json::to_writer(&mut stdin, input).expect("write input");
            stdin.write_all(b"\n").expect("write input");
        }
    }
    let out = child.wait_with_output().expect("wait for interpreter");
    assert!(out.status.success(), "`{program}` failed: {:?}", out.status);
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON output line"))
        .collect();
    assert_eq!(lines.len(), inputs.len(), "one output line per input");
    lines
}

const PYTHON_KEYS: &str = r#"
import hashlib, hmac, json, sys

def dumps(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

def S(v):
    if isinstance(v, str):
        return v
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, dict)):
        return dumps(v)
    raise TypeError(type(v))

cases = [json.loads(line) for line in sys.stdin.read().split("\n") if line]
out = []
for c in cases:
    m = {"c": c["context"], "p": {k: S(v) for k, v in c["params"].items()}, "r": c["rev"]}
    if c["user"] is not None:
        m["u"] = c["user"]
    message = dumps(m)
    digest = hmac.new(bytes.fromhex(c["secret"]), message.encode("utf-8"), hashlib.sha256).hexdigest()
    out.append(json.dumps({"message": message, "key": "ctx:" + c["context"] + ":" + digest}))
sys.stdout.write("\n".join(out) + "\n")
"#;

#[test]
fn random_inputs_match_python() {
    let mut rng = Rng(0x6d69_7a61_6e00_0001);
    let mut inputs = Vec::new();
    let mut ours = Vec::new();
    for i in 0..400 {
        let secret: Vec<u8> = (0..rng.below(80)).map(|_| rng.next() as u8).collect();
        let context = if i % 10 == 0 { String::new() } else { rng.string() };
        let params = rng.params();
        let user = (rng.below(2) == 0).then(|| rng.string());
        let rev = if rng.below(3) == 0 { rng.next() } else { rng.below(5) };
        let keyer = CacheKeyer::new(&secret);
        ours.push((
            keyer.message(&context, &params, user.as_deref(), rev),
            keyer.key(&context, &params, user.as_deref(), rev),
        ));
        inputs.push(json!({
            "secret": hex::encode(&secret),
            "context": context,
            "params": params,
            "user": user,
            "rev": rev,
        }));
    }
    let theirs = run_batch("python3", &["-c", PYTHON_KEYS], &inputs);
    for ((input, (message, key)), py) in inputs.iter().zip(&ours).zip(&theirs) {
        assert_eq!(Some(message.as_str()), py["message"].as_str(), "message for {input}");
        assert_eq!(Some(key.as_str()), py["key"].as_str(), "key for {input}");
    }
}

#[test]
fn random_values_canonicalise_like_python() {
    // The canonical JSON of nested values (no floats) equals Python's
    // sort_keys/ensure_ascii=False dump, independently of the key message.
    let mut rng = Rng(42);
    let values: Vec<Value> = (0..300).map(|_| rng.value(0)).collect();
    let theirs = run_batch(
        "python3",
        &[
            "-c",
            r#"
import json, sys
vals = [json.loads(l) for l in sys.stdin.read().split("\n") if l]
sys.stdout.write("".join(json.dumps(json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)) + "\n" for v in vals))
"#,
        ],
        &values,
    );
    for (v, py) in values.iter().zip(&theirs) {
        assert_eq!(Some(to_canonical_json(v).as_str()), py.as_str(), "{v}");
    }
}

const NODE_FLOATS: &str = r#"
const crypto = require("crypto");
const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
const secret = "spec-vector-secret-0123456789abc";
const out = [];
for (const line of lines) {
  const { bits } = JSON.parse(line);
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, BigInt(bits));
  const x = dv.getFloat64(0);
  const message = JSON.stringify({ c: "f", p: { x: String(x) }, r: 0 });
  const key = "ctx:f:" + crypto.createHmac("sha256", secret).update(message, "utf8").digest("hex");
  out.push(JSON.stringify({ s: String(x), json: JSON.stringify({ a: x, b: [x, true] }), key }));
}
process.stdout.write(out.map((l) => l + "\n").join(""));
"#;

#[test]
fn floats_stringify_like_javascript() {
    let mut rng = Rng(7);
    let mut floats: Vec<f64> = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        0.1,
        0.1 + 0.2,
        1e21,
        1e20,
        123456789012345680000.0,
        1e-6,
        1e-7,
        1.5e-7,
        2f64.powi(53),
        2f64.powi(53) + 2.0,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        -1.7976931348623157e308,
        100.0,
        1234.5678,
    ];
    while floats.len() < 400 {
        let f = match rng.below(3) {
            0 => f64::from_bits(rng.next()),
            1 => (rng.below(2_000_000) as f64 - 1_000_000.0) / 10f64.powi(rng.below(8) as i32),
            _ => rng.below(1 << 53) as f64 * 10f64.powi(rng.below(40) as i32 - 20),
        };
        if f.is_finite() {
            floats.push(f);
        }
    }
    let inputs: Vec<Value> = floats
        .iter()
        .map(|f| json!({"bits": f.to_bits().to_string()}))
        .collect();
    let theirs = run_batch("node", &["-e", NODE_FLOATS], &inputs);
    let keyer = CacheKeyer::new(SPEC_SECRET);
    for (f, js) in floats.iter().zip(&theirs) {
        let v = json!(f);
        assert_eq!(Some(stringify(&v).as_ref()), js["s"].as_str(), "String({f:e})");
        let nested = json!({"b": [f, true], "a": f});
        assert_eq!(
            Some(to_canonical_json(&nested).as_str()),
            js["json"].as_str(),
            "JSON.stringify of {f:e}"
        );
        let key = keyer.key("f", &obj(json!({"x": f})), None, 0);
        assert_eq!(Some(key.as_str()), js["key"].as_str(), "key for {f:e}");
    }
}
