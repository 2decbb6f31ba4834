//! Invalidation resolution for a mutation with 3 targets (two contexts and a
//! function target, all scoped). Target: ≤ 2 µs.

use criterion::{Criterion, criterion_group, criterion_main};
use mizan_core::invalidation::InvalidationIndex;
use serde_json::json;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/large/large.kdl");
    let ir = mizan_core::ir::parse(&std::fs::read_to_string(path).expect("large fixture")).expect("parses");
    let index = InvalidationIndex::new(&ir);
    assert_eq!(index.plan("write_0003").map(|p| p.targets.len()), Some(3));
    let args = json!({"org_id": 7, "name": "x", "user_id": 5});
    let args = args.as_object().expect("object").clone();
    let result = json!({"id": 1, "name": "x"});
    c.bench_function("resolve 3-target mutation", |b| {
        b.iter(|| {
            index
                .resolve(black_box("write_0003"), black_box(&args), black_box(&result))
                .expect("known")
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
