//! What the recording proxy adds to a request (issue #15: ≤ 1 ms median
//! at 1,000 req/s on loopback): `POST /call/` of `add` to a real
//! `afi-server`, direct and through the proxy, paced at 1,000 requests a
//! second, in alternating rounds (A B A B) so both see the same machine.
//!
//! ```sh
//! scripts/bench-proxy        # builds afi-server for the bench profile first
//! ```

use mizan_testkit::AfiServer;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RATE: u32 = 1_000;
const PER_ROUND: usize = 1_000;
const ROUNDS: usize = 4;

async fn round(http: &reqwest::Client, url: &str, out: &mut Vec<Duration>) {
    let body = r#"{"fn":"add","args":{"a":1,"b":2}}"#;
    let mut tick = tokio::time::interval(Duration::from_secs(1) / RATE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for _ in 0..PER_ROUND {
        tick.tick().await;
        let t = Instant::now();
        let r = http
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        r.bytes().await.unwrap();
        out.push(t.elapsed());
    }
}

fn median(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(v[v.len() / 2]), ms(v[v.len() * 99 / 100]))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = AfiServer::start(&[]);
        let recorded = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = recorded.clone();
        let proxy = mizan_proxy::start(
            mizan_proxy::ProxyOptions::new(server.base()),
            Arc::new(move |_| {
                count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }),
        )
        .await
        .unwrap();
        let http = reqwest::Client::new();
        let direct_url = format!("{}/call/", server.base());
        let proxied_url = format!("{}/call/", proxy.url);
        // Warm both paths.
        let mut warm = Vec::new();
        round(&http, &direct_url, &mut warm).await;
        round(&http, &proxied_url, &mut warm).await;
        let (mut direct, mut proxied) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            round(&http, &direct_url, &mut direct).await;
            round(&http, &proxied_url, &mut proxied).await;
        }
        let (d, d99) = median(direct);
        let (p, p99) = median(proxied);
        println!(
            "POST /call/ at {RATE} req/s, {} each: direct median {d:.3} ms (p99 {d99:.3}), through the proxy median {p:.3} ms (p99 {p99:.3}); the proxy adds {:.3} ms (target ≤ 1 ms); {} calls recorded",
            ROUNDS * PER_ROUND,
            p - d,
            recorded.load(std::sync::atomic::Ordering::Relaxed)
        );
    });
}
