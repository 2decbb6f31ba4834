//! The host WebSocket push transport against a local tokio-tungstenite
//! server: the upgrade's headers, the `watch` and `auth` frames, pushes
//! refetching exactly the mounted instances they select, the client's own
//! pushes skipped, reconnecting after the server drops the connection
//! (with every mounted instance refetched), and 4401 / HTTP 401 stopping
//! the loop as `unauthorized`.

#![cfg(feature = "ws")]

use futures::{SinkExt, StreamExt};
use mizan_client::transport::WsTransport;
use mizan_client::{
    CallRequest, CallResponse, ClientFuture, ConnectionStatus, ContextData, MizanClient, MizanError, Params,
    ReconnectPolicy, Transport,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Fetches answer `{"n": <count>}` and are logged by instance.
#[derive(Default)]
struct Counting {
    fetched: Arc<Mutex<Vec<String>>>,
}

impl Transport for Counting {
    fn call<'a>(&'a self, _: CallRequest<'a>) -> ClientFuture<'a, Result<CallResponse, MizanError>> {
        Box::pin(async { Ok(CallResponse::default()) })
    }

    fn fetch<'a>(&'a self, context: &'a str, params: &'a Params) -> ClientFuture<'a, Result<ContextData, MizanError>> {
        let mut log = self.fetched.lock().unwrap();
        log.push(format!("{context}{}", Value::Object(params.clone())));
        let n = log.len();
        Box::pin(async move { Ok(json!({ "n": n }).as_object().cloned().unwrap_or_default()) })
    }
}

type Conn = (Vec<(String, String)>, WebSocketStream<TcpStream>);

/// A WebSocket server handing each accepted connection (with the upgrade
/// request's headers) to the test. With `refuse`, upgrades get a 401.
// The handshake callback's signature is tungstenite's.
#[allow(clippy::result_large_err)]
async fn server(refuse: bool) -> (String, mpsc::UnboundedReceiver<Conn>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/api/mizan/ws/", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let headers: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
            let seen = Arc::clone(&headers);
            let callback = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
                assert_eq!(req.uri().path(), "/api/mizan/ws/");
                *seen.lock().unwrap() = req
                    .headers()
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                    .collect();
                if refuse {
                    let mut denied = ErrorResponse::new(Some("invalid credentials".into()));
                    *denied.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::UNAUTHORIZED;
                    return Err(denied);
                }
                Ok(resp)
            };
            if let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await {
                let headers = headers.lock().unwrap().clone();
                let _ = tx.send((headers, ws));
            }
        }
    });
    (url, rx)
}

const FAST: ReconnectPolicy = ReconnectPolicy {
    base_delay: Duration::from_millis(20),
    max_delay: Duration::from_millis(100),
    stable_after: Duration::from_secs(10),
    connect_timeout: Duration::from_secs(5),
};

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

async fn next_text(ws: &mut WebSocketStream<TcpStream>) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(t.as_str()).unwrap(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

async fn send(ws: &mut WebSocketStream<TcpStream>, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The server closes `ws` with 4401 (invalid token): the push loop `task`
/// ends and the client says it is unauthorized.
async fn rejected_as_unauthorized(
    mut ws: WebSocketStream<TcpStream>,
    task: tokio::task::JoinHandle<()>,
    client: &MizanClient,
) {
    ws.close(Some(CloseFrame {
        code: CloseCode::from(4401),
        reason: "invalid token".into(),
    }))
    .await
    .unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(client.connection_status(), ConnectionStatus::Unauthorized);
}

fn p(v: Value) -> Params {
    v.as_object().cloned().unwrap_or_default()
}

#[tokio::test]
async fn pushes_refetch_the_selected_instances_and_survive_a_reconnect() {
    let (url, mut conns) = server(false).await;
    let transport = Counting::default();
    let fetched = Arc::clone(&transport.fetched);
    let client = MizanClient::builder(transport)
        .push(WsTransport::new(&url).header("X-Mizan-Token", "tok"))
        .watch(["user"])
        .reconnect(FAST)
        .build();
    let statuses: Arc<Mutex<Vec<ConnectionStatus>>> = Arc::default();
    let seen = Arc::clone(&statuses);
    let _status = client.on_status(move |s| seen.lock().unwrap().push(s));
    let five = client.subscribe("user", p(json!({"user_id": 5})), None);
    let six = client.subscribe("user", p(json!({"user_id": 6})), None);
    five.load().await;
    six.load().await;
    let pushes = client.clone();
    let task = tokio::spawn(async move { pushes.run_push().await });

    let (headers, mut ws) = conns.recv().await.unwrap();
    assert!(
        headers.iter().any(|(n, v)| n == "x-mizan-token" && v == "tok"),
        "{headers:?}"
    );
    assert_eq!(next_text(&mut ws).await, json!({"op": "watch", "contexts": ["user"]}));
    eventually("connected", || {
        client.connection_status() == ConnectionStatus::Connected
    })
    .await;
    fetched.lock().unwrap().clear();

    // Another client renamed user 5.
    send(
        &mut ws,
        json!({"op": "push", "invalidate": [{"context": "user", "params": {"user_id": 5}}],
                         "fn": "rename", "client": "someone-else"}),
    )
    .await;
    eventually("user 5 refetched", || fetched.lock().unwrap().len() == 1).await;
    assert_eq!(*fetched.lock().unwrap(), [r#"user{"user_id":5}"#]);
    assert_eq!(five.state().data, Some(p(json!({"n": 1}))));

    // A push caused by this client's own call is skipped; the next one is not.
    send(
        &mut ws,
        json!({"op": "push", "invalidate": ["user"], "client": client.client_id()}),
    )
    .await;
    send(
        &mut ws,
        json!({"id": null, "error": {"code": "BAD_REQUEST", "message": "ignored"}}),
    )
    .await;
    send(
        &mut ws,
        json!({"op": "push", "invalidate": [{"context": "user", "params": {"user_id": 6}}]}),
    )
    .await;
    eventually("user 6 refetched", || fetched.lock().unwrap().len() == 2).await;
    assert_eq!(
        fetched.lock().unwrap()[1],
        r#"user{"user_id":6}"#,
        "the own broad push did nothing"
    );

    // The server goes away: reconnect, then refetch everything mounted.
    fetched.lock().unwrap().clear();
    ws.close(Some(CloseFrame {
        code: CloseCode::Away,
        reason: "restart".into(),
    }))
    .await
    .unwrap();
    drop(ws);
    let (_, mut ws) = conns.recv().await.unwrap();
    assert_eq!(next_text(&mut ws).await["op"], "watch");
    eventually("both refetched", || fetched.lock().unwrap().len() == 2).await;
    let mut after = fetched.lock().unwrap().clone();
    after.sort();
    assert_eq!(after, [r#"user{"user_id":5}"#, r#"user{"user_id":6}"#]);
    assert_eq!(
        *statuses.lock().unwrap(),
        [
            ConnectionStatus::Connecting,
            ConnectionStatus::Connected,
            ConnectionStatus::Reconnecting,
            ConnectionStatus::Connected
        ]
    );

    // An invalid token closes with 4401: the loop stops.
    rejected_as_unauthorized(ws, task, &client).await;
}

#[tokio::test]
async fn the_auth_frame_opens_the_connection_or_stops_the_loop() {
    let (url, mut conns) = server(false).await;
    let push = Arc::new(WsTransport::new(&url));
    push.set_token(Some("good"));
    let client = MizanClient::builder(Counting::default())
        .push(Arc::clone(&push))
        .reconnect(FAST)
        .build();
    let pushes = client.clone();
    let task = tokio::spawn(async move { pushes.run_push().await });
    let (_, mut ws) = conns.recv().await.unwrap();
    assert_eq!(next_text(&mut ws).await, json!({"op": "auth", "token": "good"}));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        client.connection_status(),
        ConnectionStatus::Connecting,
        "not connected before the server accepts the token"
    );
    send(&mut ws, json!({"op": "auth", "ok": true})).await;
    eventually("connected", || {
        client.connection_status() == ConnectionStatus::Connected
    })
    .await;

    // Dropped; the new token is rejected with 4401 before `ok`.
    push.set_token(Some("bad"));
    drop(ws);
    let (_, mut ws) = conns.recv().await.unwrap();
    assert_eq!(next_text(&mut ws).await, json!({"op": "auth", "token": "bad"}));
    rejected_as_unauthorized(ws, task, &client).await;
}

#[tokio::test]
async fn an_upgrade_refused_with_401_is_unauthorized_and_a_dead_server_is_retried() {
    let (url, _conns) = server(true).await;
    let client = MizanClient::builder(Counting::default())
        .push(WsTransport::new(&url))
        .reconnect(FAST)
        .build();
    tokio::time::timeout(Duration::from_secs(5), client.run_push())
        .await
        .unwrap();
    assert_eq!(client.connection_status(), ConnectionStatus::Unauthorized);

    // Nothing listens: `connecting` while retrying, `idle` once dropped.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = MizanClient::builder(Counting::default())
        .push(WsTransport::new(&format!("ws://127.0.0.1:{port}/ws/")))
        .reconnect(FAST)
        .build();
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&attempts);
    let _s = client.on_status(move |s| seen.lock().unwrap().push(s));
    let _ = tokio::time::timeout(Duration::from_millis(300), client.run_push()).await;
    assert_eq!(
        *attempts.lock().unwrap(),
        [ConnectionStatus::Connecting, ConnectionStatus::Idle]
    );
}
