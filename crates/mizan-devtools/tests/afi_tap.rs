//! The tap end to end: a real `afi-server --devtools` process (the binary
//! `cargo test --workspace` builds), discovered through its file, attached
//! over a real WebSocket, driven over HTTP, `/ws/` and its webhook route.

use futures::{SinkExt, StreamExt};
use mizan_devtools::discovery::discover_in;
use mizan_devtools::{Client, Error, Event, EventKind, Replay, ServerFrame, Status, Transport};
use mizan_testkit::AfiServer;
use serde_json::{Map, Value, json};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// `afi-server --devtools` with its discovery file in a temp dir.
struct Tapped {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Tapped {
    fn start(extra: &[&str]) -> Tapped {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(AfiServer::exe())
            .args(["--port", "0", "--devtools", "--devtools-dir"])
            .arg(dir.path().join("discovery"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start afi-server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(port) = line.strip_prefix("listening on 127.0.0.1:") {
                    let _ = tx.send(port.trim().parse::<u16>().expect("a port"));
                }
            }
        });
        let port = rx.recv_timeout(Duration::from_secs(30)).expect("afi-server listens");
        Tapped { child, port, dir }
    }

    fn discovery_dir(&self) -> PathBuf {
        self.dir.path().join("discovery")
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGTERM, then waits for the exit.
    fn terminate(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        for _ in 0..100 {
            if self.child.try_wait().expect("wait").is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("afi-server did not exit on SIGTERM");
    }
}

impl Drop for Tapped {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn the_app(dir: &Path) -> mizan_devtools::Discovery {
    let apps = discover_in(dir).expect("discovery dir readable");
    assert_eq!(apps.len(), 1, "{apps:?}");
    apps.into_iter().next().expect("one app")
}

/// Reads events until `pick` accepts one (or fails after 10 s).
async fn wait_for(client: &mut Client, what: &str, mut pick: impl FnMut(&Event) -> bool) -> Event {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let frame = tokio::time::timeout_at(deadline, client.next())
            .await
            .unwrap_or_else(|_| panic!("no event: {what}"))
            .unwrap_or_else(|| panic!("channel closed before: {what}"))
            .expect("a readable frame");
        if let ServerFrame::Event(event) = frame
            && pick(&event)
        {
            return event;
        }
    }
}

fn call_named<'a>(event: &'a Event, name: &str) -> Option<&'a mizan_devtools::CallEvent> {
    match &event.kind {
        EventKind::Call(call) if call.function == name => Some(call),
        _ => None,
    }
}

async fn post_call(http: &reqwest::Client, base: &str, body: Value, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = http
        .post(format!("{base}/api/mizan/call/"))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("POST /call/")
}

#[tokio::test]
async fn discovered_attached_and_every_transport_seen() {
    let server = Tapped::start(&[
        "--cache-secret",
        "devtools-test-cache-secret-0123456789",
        "--fixture-bearer",
    ]);
    let app = the_app(&server.discovery_dir());
    assert_eq!(app.name, "afi-server");
    assert_eq!(app.pid, server.child.id());
    assert!(app.url.starts_with("ws://127.0.0.1:"), "{}", app.url);
    let path = server.discovery_dir().join(format!("afi-server-{}.json", app.pid));
    assert_eq!(
        std::fs::metadata(&path).expect("the discovery file").mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(server.discovery_dir()).expect("the dir").mode() & 0o777,
        0o700
    );

    let mut client = Client::connect(&app).await.expect("attached");
    assert_eq!(client.hello().name, "afi-server");
    assert!(client.hello().replay);
    assert!(client.hello().ir.contains("hook_bump"), "the IR is in hello");

    let http = reqwest::Client::new();
    let base = server.base();

    // HTTP fetches: MISS (no entry), then HIT.
    for _ in 0..2 {
        let response = http
            .get(format!("{base}/api/mizan/ctx/user/?user_id=5"))
            .send()
            .await
            .expect("GET /ctx/");
        assert!(response.status().is_success());
    }
    let first = wait_for(&mut client, "first fetch", |e| matches!(e.kind, EventKind::Fetch(_))).await;
    let EventKind::Fetch(fetch) = &first.kind else {
        unreachable!()
    };
    assert_eq!(fetch.context, "user");
    assert_eq!(fetch.params.get("user_id"), Some(&json!(5)));
    assert_eq!(fetch.caller.transport, Transport::Http);
    assert_eq!(fetch.cache, Some(mizan::CacheStatus::Miss));
    assert_eq!(fetch.cache_reason, Some(mizan::CacheReason::NoEntry));
    let second = wait_for(&mut client, "second fetch", |e| matches!(e.kind, EventKind::Fetch(_))).await;
    let EventKind::Fetch(fetch) = &second.kind else {
        unreachable!()
    };
    assert_eq!(fetch.cache, Some(mizan::CacheStatus::Hit));
    assert_eq!(fetch.cache_reason, None);
    assert!(second.seq > first.seq);

    // A `/ws/` connection: its pushes are counted, its calls are seen.
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}/api/mizan/ws/", server.port))
        .await
        .expect("/ws/ opens");

    // An authenticated HTTP mutation: call, its commit and push, linked;
    // the principal is the id, never the token.
    let response = post_call(
        &http,
        &base,
        json!({"fn": "rename", "args": {"user_id": 5, "name": "Ada"}}),
        &[("authorization", "Bearer afi:5"), ("x-mizan-client", "tab-1")],
    )
    .await;
    assert!(response.status().is_success());
    let commit = wait_for(&mut client, "rename's commit", |e| {
        matches!(e.kind, EventKind::Commit(_))
    })
    .await;
    let push = wait_for(&mut client, "rename's push", |e| matches!(e.kind, EventKind::Push(_))).await;
    let call = wait_for(&mut client, "rename's call", |e| call_named(e, "rename").is_some()).await;
    let (EventKind::Commit(commit_event), EventKind::Push(push_event)) = (&commit.kind, &push.kind) else {
        unreachable!()
    };
    let rename = call_named(&call, "rename").expect("rename");
    assert_eq!(rename.status, Status::Ok);
    assert_eq!(rename.caller.principal.as_deref(), Some("5"));
    assert_eq!(rename.caller.client.as_deref(), Some("tab-1"));
    assert_eq!(rename.args.get("name"), Some(&json!("Ada")));
    assert_eq!(
        serde_json::to_value(&rename.invalidate).expect("json"),
        json!([{"context": "user", "params": {"user_id": 5}}])
    );
    assert_eq!(commit_event.call, Some(rename.id));
    assert_eq!(push_event.commit, Some(commit.seq));
    assert_eq!(push_event.call, Some(rename.id));
    assert_eq!(push_event.function.as_deref(), Some("rename"));
    assert_eq!(push_event.delivered, 1, "the one /ws/ subscriber");
    assert!(!push_event.remote);
    let frame = socket.next().await.expect("a push").expect("readable");
    assert!(frame.to_text().expect("text").contains("\"op\":\"push\""));

    // The refetch after the scoped purge: MISS (a scoped purge deletes the
    // instance's entry besides bumping its generation).
    let response = http
        .get(format!("{base}/api/mizan/ctx/user/?user_id=5"))
        .send()
        .await
        .expect("GET /ctx/");
    assert!(response.status().is_success());
    let refetch = wait_for(&mut client, "refetch", |e| matches!(e.kind, EventKind::Fetch(_))).await;
    let EventKind::Fetch(fetch) = &refetch.kind else {
        unreachable!()
    };
    assert_eq!(fetch.cache, Some(mizan::CacheStatus::Miss));
    assert_eq!(fetch.cache_reason, Some(mizan::CacheReason::NoEntry));

    // A call over /ws/.
    socket
        .send(Message::text(
            json!({"id": 1, "op": "call", "fn": "add", "args": {"a": 2, "b": 3}}).to_string(),
        ))
        .await
        .expect("send");
    let ws_call = wait_for(&mut client, "the /ws/ call", |e| call_named(e, "add").is_some()).await;
    let add = call_named(&ws_call, "add").expect("add");
    assert_eq!(add.caller.transport, Transport::Websocket);
    assert_eq!(add.result, Some(json!({"total": 5})));

    // `stats` cached before the webhook purges it broadly.
    let stats = format!("{base}/api/mizan/ctx/stats/");
    http.get(&stats).send().await.expect("GET stats");
    wait_for(
        &mut client,
        "stats fetched",
        |e| matches!(&e.kind, EventKind::Fetch(f) if f.context == "stats"),
    )
    .await;

    // The webhook: server-side, never crossed a proxy, still seen.
    let response = http
        .post(format!("{base}/hooks/bump"))
        .send()
        .await
        .expect("POST /hooks/bump");
    assert_eq!(response.status(), 204);
    let hook = wait_for(&mut client, "the webhook's call", |e| {
        call_named(e, "hook_bump").is_some()
    })
    .await;
    let hook = call_named(&hook, "hook_bump").expect("hook_bump");
    assert_eq!(hook.caller.transport, Transport::Internal);
    assert_eq!(hook.status, Status::Ok);
    assert_eq!(serde_json::to_value(&hook.invalidate).expect("json"), json!(["stats"]));
    http.get(&stats).send().await.expect("GET stats");
    let after = wait_for(
        &mut client,
        "stats refetched",
        |e| matches!(&e.kind, EventKind::Fetch(f) if f.context == "stats"),
    )
    .await;
    let EventKind::Fetch(fetch) = &after.kind else {
        unreachable!()
    };
    assert_eq!(fetch.cache, Some(mizan::CacheStatus::Miss));
    assert_eq!(
        fetch.cache_reason,
        Some(mizan::CacheReason::ContextPurged),
        "a broad purge moved the generation"
    );

    // A refused call: its error code.
    post_call(&http, &base, json!({"fn": "ping_admin", "args": {}}), &[]).await;
    let refused = wait_for(&mut client, "the refused call", |e| {
        call_named(e, "ping_admin").is_some()
    })
    .await;
    let refused = call_named(&refused, "ping_admin").expect("ping_admin");
    assert_eq!(refused.status, Status::Error);
    assert_eq!(
        refused.error.as_ref().map(|e| e.code),
        Some(mizan_core::wire::ErrorCode::Unauthorized)
    );

    // Replays through the channel: as a client (with headers), internal.
    client
        .replay(&Replay {
            id: 7,
            envelope: mizan_core::wire::IpcEnvelope::Call {
                function: "add".into(),
                args: json!({"a": 40, "b": 2}).as_object().cloned().unwrap_or_default(),
                client: None,
            },
            headers: Default::default(),
            internal: false,
        })
        .await
        .expect("replay sent");
    let mut replayed = None;
    let mut replay_call = None;
    while replayed.is_none() || replay_call.is_none() {
        match tokio::time::timeout(Duration::from_secs(10), client.next()).await {
            Ok(Some(Ok(ServerFrame::Replayed(r)))) => replayed = Some(r),
            Ok(Some(Ok(ServerFrame::Event(e)))) if call_named(&e, "add").is_some() => replay_call = Some(e),
            Ok(Some(Ok(_))) => {}
            other => panic!("no replay answer: {other:?}"),
        }
    }
    let replayed = replayed.expect("answer");
    assert_eq!(replayed.id, 7);
    assert_eq!(
        replayed.result.as_ref().map(|r| r["result"].clone()),
        Some(json!({"total": 42}))
    );
    let replay_call = replay_call.expect("event");
    let add = call_named(&replay_call, "add").expect("add");
    assert_eq!(add.caller.client.as_deref(), Some("devtools:replay:7"));

    for (id, internal, expect_ok) in [(8, false, false), (9, true, true)] {
        client
            .replay(&Replay {
                id,
                envelope: mizan_core::wire::IpcEnvelope::Call {
                    function: "hook_bump".into(),
                    args: Map::new(),
                    client: None,
                },
                headers: Default::default(),
                internal,
            })
            .await
            .expect("replay sent");
        let answer = loop {
            match tokio::time::timeout(Duration::from_secs(10), client.next()).await {
                Ok(Some(Ok(ServerFrame::Replayed(r)))) => break r,
                Ok(Some(Ok(_))) => {}
                other => panic!("no replay answer: {other:?}"),
            }
        };
        assert_eq!(answer.id, id);
        if expect_ok {
            assert!(answer.error.is_none(), "{answer:?}");
        } else {
            assert_eq!(
                answer.error.as_ref().map(|e| e.code),
                Some(mizan_core::wire::ErrorCode::Forbidden),
                "a private function is not replayable as a client"
            );
        }
    }
}

#[tokio::test]
async fn no_token_reaches_the_channel_and_bad_frames_get_errors() {
    let server = Tapped::start(&["--fixture-bearer"]);
    let app = the_app(&server.discovery_dir());
    // A raw observer, to see the frames' text and send bad ones.
    let mut request = app.url.as_str().into_client_request().expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", app.secret).parse().expect("header"),
    );
    let (mut raw, _) = tokio_tungstenite::connect_async(request).await.expect("attached");
    let hello = raw.next().await.expect("hello").expect("readable");
    assert!(hello.to_text().expect("text").starts_with("{\"op\":\"hello\""));

    let http = reqwest::Client::new();
    post_call(
        &http,
        &server.base(),
        json!({"fn": "bump_counter", "args": {}}),
        &[("authorization", "Bearer afi:secret-user-77")],
    )
    .await;
    let mut texts = Vec::new();
    while !texts.iter().any(|t: &String| t.contains("\"kind\":\"call\"")) {
        let frame = tokio::time::timeout(Duration::from_secs(10), raw.next())
            .await
            .expect("an event")
            .expect("open")
            .expect("readable");
        texts.push(frame.to_text().expect("text").to_owned());
    }
    let all = texts.join("\n");
    assert!(all.contains("\"principal\":\"secret-user-77\""), "{all}");
    assert!(!all.contains("afi:secret-user-77"), "a token leaked: {all}");
    assert!(!all.contains("Bearer"), "a token leaked: {all}");

    // Bad frames: an error frame each, the connection stays open.
    for (bad, id) in [
        ("not json", Value::Null),
        ("{\"op\":\"replay\",\"id\":3}", json!(3)),
        ("{\"op\":\"nonsense\"}", Value::Null),
    ] {
        raw.send(Message::text(bad)).await.expect("send");
        let frame = tokio::time::timeout(Duration::from_secs(10), raw.next())
            .await
            .expect("a reply")
            .expect("open")
            .expect("readable");
        let reply: Value = serde_json::from_str(frame.to_text().expect("text")).expect("JSON");
        assert_eq!(reply["op"], "error", "{reply}");
        assert_eq!(reply["id"], id, "{reply}");
        assert_eq!(reply["error"]["code"], "BAD_REQUEST", "{reply}");
    }
    raw.send(Message::binary(vec![1u8, 2, 3])).await.expect("send");
    let frame = raw.next().await.expect("a reply").expect("readable");
    assert!(frame.to_text().expect("text").contains("BAD_REQUEST"));
}

#[tokio::test]
async fn a_wrong_secret_or_a_browser_is_refused() {
    let server = Tapped::start(&[]);
    let app = the_app(&server.discovery_dir());
    let mut wrong = app.secret.clone();
    wrong.replace_range(0..1, if wrong.starts_with('0') { "1" } else { "0" });
    match Client::connect_url(&app.url, &wrong).await {
        Err(Error::Refused { url }) => assert_eq!(url, app.url),
        other => panic!("a wrong secret was not refused: {other:?}"),
    }
    match Client::connect_url(&app.url, "").await {
        Err(Error::Refused { .. }) => {}
        other => panic!("no secret was not refused: {other:?}"),
    }
    // Without a header at all.
    match tokio_tungstenite::connect_async(app.url.as_str()).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("expected 401, got {other:?}"),
    }
    // The right secret from a browser page (an Origin header): 403.
    let mut request = app.url.as_str().into_client_request().expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", app.secret).parse().expect("header"),
    );
    request
        .headers_mut()
        .insert("origin", "http://evil.example".parse().expect("header"));
    match tokio_tungstenite::connect_async(request).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected 403, got {other:?}"),
    }
    // Still serving the right secret afterwards.
    let client = Client::connect(&app).await.expect("attached");
    assert_eq!(client.hello().pid, app.pid);
}

#[tokio::test]
async fn the_discovery_file_is_private_and_gone_after_exit() {
    let mut server = Tapped::start(&[]);
    let app = the_app(&server.discovery_dir());
    let path = server.discovery_dir().join(format!("afi-server-{}.json", app.pid));
    let meta = std::fs::metadata(&path).expect("written");
    assert_eq!(meta.mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&path).expect("readable");
    let value: Value = serde_json::from_str(&text).expect("JSON");
    for key in ["name", "pid", "url", "secret"] {
        assert!(value.get(key).is_some(), "{key} in {text}");
    }
    // An attached observer is told the app is exiting.
    let mut client = Client::connect(&app).await.expect("attached");
    server.terminate();
    assert!(!path.exists(), "the discovery file outlived the process");
    assert!(discover_in(&server.discovery_dir()).expect("listed").is_empty());
    match tokio::time::timeout(Duration::from_secs(10), client.next()).await {
        Ok(None) | Ok(Some(Err(_))) => {}
        other => panic!("the channel did not close: {other:?}"),
    }
}
