//! Cache-key derivation vs. a bare HMAC-SHA256 over the same message.
//!
//! The budget (SPEC §6 performance note): `CacheKeyer::key` — canonical
//! message building, HMAC with the pre-keyed state, hex and key assembly —
//! costs at most 2× a naive caller's HMAC (a fresh keyed `Hmac` per call)
//! over the already-built message bytes. After criterion's groups, a plain
//! `Instant` loop measures both on the same inputs and prints
//! `cache-key/bare-hmac ratio: X.XX`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use hmac::{Hmac, KeyInit, Mac};
use mizan_core::cache_key::CacheKeyer;
use serde_json::{Map, Value, json};
use sha2::Sha256;

const SECRET: &[u8] = b"spec-vector-secret-0123456789abc";

struct Case {
    context: &'static str,
    params: Map<String, Value>,
    user: Option<&'static str>,
    rev: u64,
}

/// The four SPEC §6 vector inputs.
fn cases() -> Vec<Case> {
    let obj = |v: Value| match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    vec![
        Case {
            context: "orders",
            params: obj(json!({"org_id": 7, "page": 2})),
            user: None,
            rev: 0,
        },
        Case {
            context: "orders",
            params: obj(json!({"page": 2, "org_id": 7})),
            user: Some("42"),
            rev: 0,
        },
        Case {
            context: "catalog",
            params: Map::new(),
            user: None,
            rev: 3,
        },
        Case {
            context: "café",
            params: obj(json!({"q": "naïve; x=1"})),
            user: Some("u-9"),
            rev: 1,
        },
    ]
}

/// What a naive caller does with a message it already has: key a fresh
/// HMAC, MAC the bytes, take the digest.
fn bare_hmac(message: &[u8]) -> [u8; 32] {
    let mut mac = match Hmac::<Sha256>::new_from_slice(SECRET) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts any key length"),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn bench(c: &mut Criterion) {
    let keyer = CacheKeyer::new(SECRET);
    let cases = cases();
    let messages: Vec<String> = cases
        .iter()
        .map(|k| keyer.message(k.context, &k.params, k.user, k.rev))
        .collect();

    let mut group = c.benchmark_group("cache_key");
    group.bench_function("bare_hmac_sha256", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(bare_hmac(black_box(m.as_bytes())));
            }
        });
    });
    group.bench_function("cache_keyer_key", |b| {
        b.iter(|| {
            for k in &cases {
                black_box(keyer.key(black_box(k.context), black_box(&k.params), k.user, k.rev));
            }
        });
    });
    group.finish();
}

/// Time for `iters` runs of `f`.
fn time(iters: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed()
}

/// Measures both sides with plain `Instant` loops, interleaved so they see
/// the same machine load, keeping the best of several rounds to shrug off
/// noise from other processes, and prints the ratio.
fn ratio() {
    let keyer = CacheKeyer::new(SECRET);
    let cases = cases();
    let messages: Vec<String> = cases
        .iter()
        .map(|k| keyer.message(k.context, &k.params, k.user, k.rev))
        .collect();
    let iters = 20_000;
    let mut bare = Duration::MAX;
    let mut derive = Duration::MAX;
    for _ in 0..15 {
        bare = bare.min(time(iters, || {
            for m in &messages {
                black_box(bare_hmac(black_box(m.as_bytes())));
            }
        }));
        derive = derive.min(time(iters, || {
            for k in &cases {
                black_box(keyer.key(black_box(k.context), black_box(&k.params), k.user, k.rev));
            }
        }));
    }
    let per_key = |d: Duration| d.as_secs_f64() * 1e9 / f64::from(iters) / cases.len() as f64;
    println!(
        "bare HMAC-SHA256: {:.0} ns/key, CacheKeyer::key: {:.0} ns/key",
        per_key(bare),
        per_key(derive)
    );
    println!(
        "cache-key/bare-hmac ratio: {:.2}",
        derive.as_secs_f64() / bare.as_secs_f64()
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // only wants to know the benchmarks run.
    if std::env::args().any(|a| a == "--bench") {
        ratio();
    }
}
