//! The live tools' speed (issue #14), through the dispatcher as the UI
//! calls them, against a real `afi-server` on a real Redis on loopback:
//!
//! * a cache lookup plus an Explain of a miss (every neighbour in one
//!   pipelined round trip): median and worst of 50;
//! * the first `SCAN` page of a context holding 100,000 keys, and the whole
//!   listing page by page (what "scan all" does);
//! * a replay of `add` against the same request sent by `curl` (its own
//!   `time_total`, without its process start), medians of 50 each.
//!
//! ```sh
//! scripts/bench-live      # builds afi-server for the bench profile, then runs this
//! ```

mod common;

use common::{App, ms, root};
use mizan_testkit::{AfiServer, Redis};
use serde_json::json;
use std::time::{Duration, Instant};

const SECRET: &str = "bench-live-cache-secret-0123456789abcd";

fn median(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    (ms(v[v.len() / 2]), ms(*v.last().unwrap()))
}

fn main() {
    // SAFETY: set before any thread reads the environment.
    unsafe { std::env::set_var("MIZAN_CACHE_SECRET", SECRET) };
    common::run(async {
        let redis = Redis::start();
        let server = AfiServer::start(&["--redis", &redis.url(), "--cache-secret", SECRET]);
        let dir = tempfile::tempdir().unwrap();
        let kdl = root().join("fixtures/afi/afi.kdl");
        std::fs::write(
            dir.path().join("mizan.toml"),
            format!(
                "output = \"generated\"\ntargets = [\"ts\"]\n[source]\nkdl = {:?}\n",
                kdl.display().to_string()
            ),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join(".mizan")).unwrap();
        std::fs::write(
            dir.path().join(".mizan/studio.toml"),
            format!(
                "[[environment]]\nname = \"bench\"\nbase_url = \"{}\"\nredis_url = \"{}\"\n",
                server.base(),
                redis.url()
            ),
        )
        .unwrap();
        let app = App::new();
        app.call("open_project", json!({"folder": dir.path()})).await;
        println!(
            "live tools, {} build",
            if cfg!(debug_assertions) { "debug" } else { "release" }
        );

        // Lookup + explain.
        reqwest::get(format!("{}/ctx/user/?user_id=5", server.base()))
            .await
            .unwrap();
        let args = json!({"context": "user", "params": "{\"user_id\": \"05\"}", "rev": 1});
        let mut times = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            let found = app.call("cache_lookup", args.clone()).await;
            assert_eq!(found["status"], "MISS");
            let why = app.call("cache_explain", args.clone()).await;
            assert!(!why["neighbours"].as_array().unwrap().is_empty());
            times.push(t.elapsed());
        }
        let (med, worst) = median(times);
        println!("lookup + explain of a miss: median {med:.2} ms, worst {worst:.2} ms (target ≤ 50 ms median)");

        // 100,000 keys.
        let client = redis::Client::open(redis.url()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        for chunk in 0..100 {
            let mut pipe = redis::pipe();
            for i in 0..1000 {
                let n = chunk * 1000 + i;
                pipe.cmd("SET")
                    .arg(format!("ctx:user:{n:064x}"))
                    .arg(format!("mizan1 0123456789abcdef 0 0\n{{\"n\":{n}}}"))
                    .ignore();
            }
            let () = pipe.query_async(&mut conn).await.unwrap();
        }
        let t = Instant::now();
        let page = app
            .call("cache_scan", json!({"context": "user", "cursor": "0", "count": 500}))
            .await;
        let first = t.elapsed();
        let mut total = page["keys"].as_array().unwrap().len();
        let mut cursor = page["cursor"].as_str().unwrap().to_owned();
        let mut pages = 1;
        let mut slowest = first;
        let t = Instant::now();
        while cursor != "0" {
            let p = Instant::now();
            let page = app
                .call("cache_scan", json!({"context": "user", "cursor": cursor, "count": 500}))
                .await;
            slowest = slowest.max(p.elapsed());
            total += page["keys"].as_array().unwrap().len();
            cursor = page["cursor"].as_str().unwrap().to_owned();
            pages += 1;
        }
        println!(
            "100,000 keys: first page {:.1} ms; all {total} keys in {pages} pages, {:.0} ms more, slowest page {:.1} ms (target first page ≤ 200 ms)",
            ms(first),
            ms(t.elapsed()),
            ms(slowest)
        );
        assert!(total >= 100_000);

        // Replay vs curl.
        let body = r#"{"fn":"add","args":{"a":1,"b":2}}"#;
        let mut curl = Vec::new();
        for _ in 0..50 {
            let out = std::process::Command::new("curl")
                .args([
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{time_total}",
                    "-H",
                    "Content-Type: application/json",
                    "--data",
                    body,
                ])
                .arg(format!("{}/call/", server.base()))
                .output()
                .unwrap();
            let secs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
            curl.push(Duration::from_secs_f64(secs));
        }
        let mut replay = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            let out = app
                .call(
                    "replay_send",
                    json!({"form": {"function": "add", "args": "{\"a\": 1, \"b\": 2}", "base_url": "", "websocket": false, "headers": [], "keep_secrets": false, "mounted": []}}),
                )
                .await;
            replay.push(t.elapsed());
            assert_eq!(out["status"], 200);
            assert_eq!(out["duration_ms"].as_f64().map(|d| d > 0.0), Some(true));
        }
        let (c, _) = median(curl);
        let (r, _) = median(replay);
        println!(
            "replay of add: median {r:.2} ms; curl's time_total {c:.2} ms; the replay adds {:.2} ms (target ≤ 5 ms)",
            r - c
        );
    });
}
