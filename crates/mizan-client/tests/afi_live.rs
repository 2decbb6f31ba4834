//! The kernel against a live `afi-server` (the AFI fixture over
//! `mizan-axum`): pushes caused by *another* client refetch exactly the
//! mounted instances they select, a push caused by this client's own call
//! is skipped, a private webhook's change arrives by push, a restarted
//! server is reconnected to and every mounted instance refetched (the
//! status going connected → reconnecting → connected), and uploads arrive
//! byte for byte (multipart) or are refused over the body limit (413).
//!
//! Needs `target/<profile>/afi-server` (`cargo build -p afi-app --bin
//! afi-server`; `cargo test --workspace` builds it) and fails, never skips,
//! without it.

#![cfg(feature = "ws")]

use mizan_client::serde_json::{Value, json};
use mizan_client::transport::HttpTransport;
use mizan_client::{
    CallRequest, CallResponse, ClientFuture, ConnectionStatus, ContextData, ErrorCode, MizanClient, MizanError, Params,
    ReconnectPolicy, SessionInfo, Subscription, Transport, Upload,
};
use mizan_testkit::AfiServer;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FAST: ReconnectPolicy = ReconnectPolicy {
    base_delay: Duration::from_millis(50),
    max_delay: Duration::from_millis(400),
    stable_after: Duration::from_secs(10),
    connect_timeout: Duration::from_secs(5),
};

fn params(v: Value) -> Params {
    v.as_object().cloned().unwrap_or_default()
}

/// The HTTP transport, counting the fetches of each instance.
struct Counting {
    http: HttpTransport,
    fetches: Arc<Mutex<Vec<String>>>,
}

impl Transport for Counting {
    fn call<'a>(&'a self, request: CallRequest<'a>) -> ClientFuture<'a, Result<CallResponse, MizanError>> {
        self.http.call(request)
    }

    fn fetch<'a>(&'a self, context: &'a str, params: &'a Params) -> ClientFuture<'a, Result<ContextData, MizanError>> {
        let key = format!("{context}{}", Value::Object(params.clone()));
        self.fetches.lock().unwrap().push(key);
        self.http.fetch(context, params)
    }

    fn session(&self) -> ClientFuture<'_, Result<SessionInfo, MizanError>> {
        self.http.session()
    }
}

/// A client whose push loop runs on the test's runtime.
struct Pushing {
    client: MizanClient,
    statuses: Arc<Mutex<Vec<ConnectionStatus>>>,
    fetches: Arc<Mutex<Vec<String>>>,
    _guard: mizan_client::StatusSubscription,
}

impl Pushing {
    fn new(base: &str) -> Pushing {
        let http = HttpTransport::new(base).expect("transport");
        let push = http.push_transport();
        let fetches: Arc<Mutex<Vec<String>>> = Arc::default();
        let counting = Counting {
            http,
            fetches: Arc::clone(&fetches),
        };
        let client = MizanClient::builder(counting).push(push).reconnect(FAST).build();
        let statuses: Arc<Mutex<Vec<ConnectionStatus>>> = Arc::default();
        let sink = Arc::clone(&statuses);
        let guard = client.on_status(move |s| sink.lock().unwrap().push(s));
        let pushes = client.clone();
        tokio::spawn(async move { pushes.run_push().await });
        Pushing {
            client,
            statuses,
            fetches,
            _guard: guard,
        }
    }

    /// How many times `(context, params)` was fetched.
    fn fetched(&self, context: &str, p: Value) -> usize {
        let key = format!("{context}{p}");
        self.fetches.lock().unwrap().iter().filter(|k| **k == key).count()
    }

    async fn mount(&self, context: &str, p: Value) -> Subscription {
        let sub = self.client.subscribe(context, params(p), None);
        let state = sub.load().await;
        assert_eq!(state.status, mizan_client::Status::Success, "{:?}", state.error);
        sub
    }
}

fn name(sub: &Subscription) -> String {
    sub.state()
        .data
        .and_then(|d| d.get("user_profile")?.get("name")?.as_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_from_other_clients_refetch_only_the_instances_they_select() {
    let server = AfiServer::start(&[]);
    let me = Pushing::new(&server.base());
    let client = &me.client;
    let other = MizanClient::http(&server.base()).expect("client");
    let five = me.mount("user", json!({"user_id": 5})).await;
    let _six = me.mount("user", json!({"user_id": 6})).await;
    let stats = me.mount("stats", json!({})).await;
    eventually("connected", || {
        client.connection_status() == ConnectionStatus::Connected
    })
    .await;

    // Another client renames user 5: this client makes no call, yet its
    // user-5 instance is refetched, and user 6's is not.
    other
        .call("rename", params(json!({"user_id": 5, "name": "Pushed"})))
        .await
        .expect("rename");
    eventually("user 5 refetched by push", || name(&five) == "Pushed").await;
    assert_eq!(
        me.fetched("user", json!({"user_id": 5})),
        2,
        "loaded once, refetched once"
    );
    assert_eq!(me.fetched("user", json!({"user_id": 6})), 1, "user 6 was not refetched");

    // This client's own call: its response refetches user 6 once; the push
    // it causes carries this client's id and is skipped.
    client
        .call("rename", params(json!({"user_id": 6, "name": "Mine"})))
        .await
        .expect("rename");
    assert_eq!(me.fetched("user", json!({"user_id": 6})), 2);
    // A later push from the other client is a barrier: everything pushed
    // before it has been applied once it is.
    other
        .call("rename", params(json!({"user_id": 5, "name": "Barrier"})))
        .await
        .expect("rename");
    eventually("barrier", || name(&five) == "Barrier").await;
    assert_eq!(me.fetched("user", json!({"user_id": 6})), 2, "its own push was skipped");

    // A private webhook called server-side reaches clients by push.
    let value = |s: &Subscription| s.state().data.and_then(|d| d["counter_value"]["value"].as_i64());
    let before = value(&stats).expect("counter");
    let hook = reqwest::Client::new()
        .post(format!("{}/hooks/bump", server.root()))
        .send()
        .await
        .expect("POST /hooks/bump");
    assert_eq!(hook.status().as_u16(), 204);
    eventually("stats refetched by push", || value(&stats) == Some(before + 1)).await;
    assert_eq!(me.fetched("stats", json!({})), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_is_reconnected_and_every_mounted_instance_refetched() {
    let mut server = AfiServer::start(&[]);
    let me = Pushing::new(&server.base());
    let client = &me.client;
    let five = me.mount("user", json!({"user_id": 5})).await;
    let seed = name(&five);
    eventually("connected", || {
        client.connection_status() == ConnectionStatus::Connected
    })
    .await;
    client
        .call("rename", params(json!({"user_id": 5, "name": "Before restart"})))
        .await
        .expect("rename");
    assert_eq!(name(&five), "Before restart");

    // The server restarts with its in-memory store reset: only a refetch
    // can bring the seed name back.
    server.kill();
    eventually("reconnecting", || {
        client.connection_status() == ConnectionStatus::Reconnecting
    })
    .await;
    server.restart();
    eventually("connected again", || {
        client.connection_status() == ConnectionStatus::Connected
    })
    .await;
    eventually("user 5 refetched after the reconnect", || name(&five) == seed).await;
    assert_eq!(
        *me.statuses.lock().unwrap(),
        [
            ConnectionStatus::Connecting,
            ConnectionStatus::Connected,
            ConnectionStatus::Reconnecting,
            ConnectionStatus::Connected
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_arrive_byte_for_byte_and_the_body_limit_is_413() {
    use sha2::Digest as _;
    let server = AfiServer::start(&[]);
    let client = MizanClient::http(&server.base()).expect("client");
    let bytes: Vec<u8> = (0..1_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let expected = hex::encode(sha2::Sha256::digest(&bytes));
    let args = json!({"user_id": 5, "file": Upload::new("avatar.bin", "application/octet-stream", bytes)});
    let receipt: Value = client
        .call_as_with_uploads("upload_avatar", &args, &["file"])
        .await
        .expect("upload_avatar");
    assert_eq!(
        receipt,
        json!({"user_id": 5, "filename": "avatar.bin", "size": 1_000_000, "sha256": expected})
    );

    let too_big = json!({"user_id": 5, "file": Upload::from_bytes(vec![7u8; 2 * 1024 * 1024])});
    let err = client
        .call_as_with_uploads::<_, Value>("upload_avatar", &too_big, &["file"])
        .await
        .expect_err("over the body limit");
    assert_eq!(
        (err.status, err.code.clone()),
        (Some(413), ErrorCode::BadRequest),
        "{err}"
    );

    // A missing file part is a validation error for that field.
    let err = client
        .call_as_with_uploads::<_, Value>("upload_avatar", &json!({"user_id": 5}), &["file"])
        .await
        .expect_err("no file");
    assert_eq!(err.code, ErrorCode::ValidationError, "{err}");
    assert!(err.field_errors().iter().any(|(f, _)| f == "file"), "{:?}", err.details);
}
