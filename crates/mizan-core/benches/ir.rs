//! Parse + check of the 2,000-function IR (`fixtures/large/large.kdl`).
//! Target: ≤ 50 ms. Also times the `kdl` crate alone on the same text, to
//! show why the fast reader exists.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn large_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/large/large.kdl");
    std::fs::read_to_string(path).expect("fixtures/large/large.kdl (run the gen_large_ir example)")
}

fn bench(c: &mut Criterion) {
    let text = large_text();
    let mut group = c.benchmark_group("ir");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("parse+check 2000 functions", |b| {
        b.iter(|| {
            let parsed = mizan_core::ir::parse_with_locations(black_box(&text)).expect("parses");
            let diagnostics = mizan_core::check::check_parsed(&parsed, &text);
            assert!(diagnostics.iter().all(|d| !d.is_error()));
            diagnostics.len()
        })
    });
    group.bench_function("emit 2000 functions", |b| {
        let ir = mizan_core::ir::parse(&text).expect("parses");
        b.iter(|| mizan_core::ir::emit(black_box(&ir)).len())
    });
    group.sample_size(10);
    group.bench_function("kdl crate parse only (reference)", |b| {
        b.iter(|| {
            black_box(&text)
                .parse::<kdl::KdlDocument>()
                .expect("parses")
                .nodes()
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
