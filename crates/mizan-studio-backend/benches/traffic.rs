//! The Traffic tab with 50,000 recorded events (issue #15: filtering stays
//! ≤ 100 ms; memory within the 300 MB budget): recording them (each
//! linked and compared with the AFI IR as it arrives), then the view the
//! tab asks for — unfiltered, by free text, by kind, by principal — and
//! the resident memory they take.

use mizan_proxy::{WireEvent, WireKind};
use mizan_studio_backend::live::traffic::{Traffic, TrafficFilter};
use serde_json::{Map, Value, json};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The bytes the heap holds: what the events themselves take, beside the
/// resident memory (which adds the allocator's slack).
struct Counting;
static HELD: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}
#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn event(i: u64) -> WireEvent {
    let user = (i % 500).to_string();
    let (kind, function, context, args, body) = if i.is_multiple_of(10) {
        (
            WireKind::Call,
            Some("rename".to_owned()),
            None,
            json!({"user_id": i % 500, "name": format!("user {i}")}),
            Some(
                json!({"result": {"user_id": i % 500, "name": format!("user {i}"), "bio": ""}, "invalidate": [{"context": "user", "params": {"user_id": i % 500}}]}),
            ),
        )
    } else {
        (
            WireKind::Fetch,
            None,
            Some("user".to_owned()),
            json!({"user_id": user}),
            None,
        )
    };
    WireEvent {
        at_ms: 1_000_000 + i * 10,
        kind,
        transport: "http".into(),
        function,
        context,
        args: args.as_object().cloned().unwrap_or_else(Map::new),
        principal: Some(user.clone()),
        client: Some(format!("client-{}", i % 7)),
        status: 200,
        duration_ms: 1.5,
        cache: (kind == WireKind::Fetch).then(|| if i.is_multiple_of(3) { "MISS" } else { "HIT" }.to_owned()),
        cache_reason: None,
        error_code: None,
        body,
        header: None,
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/afi/afi.kdl")).unwrap();
    let ir = mizan_core::ir::parse(&text).unwrap();
    let traffic = Traffic::default();
    let before = rss_mb();
    let held = HELD.load(Ordering::Relaxed);
    let t = Instant::now();
    for i in 0..50_000 {
        traffic.record("proxy", event(i), Some(&ir));
    }
    let recorded = t.elapsed();
    let after = rss_mb();
    let held = HELD.load(Ordering::Relaxed) - held;
    println!(
        "traffic, {} build: 50,000 events recorded in {:.0} ms ({:.1} µs each, linked and compared), {:.0} MB resident for them ({:.1} MB allocated)",
        if cfg!(debug_assertions) { "debug" } else { "release" },
        recorded.as_secs_f64() * 1000.0,
        recorded.as_secs_f64() * 1e6 / 50_000.0,
        after - before,
        held as f64 / 1048576.0
    );
    let filters: [(&str, TrafficFilter); 4] = [
        ("no filter", TrafficFilter::default()),
        (
            "text \"user_id=7\"",
            TrafficFilter {
                text: Some("user_id=7".into()),
                ..Default::default()
            },
        ),
        (
            "kind call",
            TrafficFilter {
                kind: Some("call".into()),
                ..Default::default()
            },
        ),
        (
            "principal 42",
            TrafficFilter {
                principal: Some("42".into()),
                ..Default::default()
            },
        ),
    ];
    for (label, filter) in filters {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..9 {
            let t = Instant::now();
            let view = traffic.view(&filter, 500);
            times.push(t.elapsed());
            rows = view.matching;
            let _: Value = serde_json::to_value(&view).unwrap();
        }
        times.sort();
        println!(
            "  view, {label}: {rows} matching, median {:.1} ms, worst {:.1} ms (target ≤ 100 ms)",
            times[4].as_secs_f64() * 1000.0,
            times[8].as_secs_f64() * 1000.0
        );
    }
}
