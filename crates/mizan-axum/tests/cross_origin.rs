//! SPEC §3.3: a browser sends `multipart/form-data` and WebSocket upgrades
//! cross-site without a CORS preflight, so `POST /call/` and the `/ws/`
//! upgrade refuse a present, not allowed `Origin` with 403 `FORBIDDEN`
//! before identity, body or function — proven by a side effect that never
//! happens. Own origin (the `Host`), `allowed_origins` and requests
//! without `Origin` keep working.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use mizan::{Registry, RequestHandle};
use mizan_axum::MizanState;
use serde_json::{Value, json};
use std::sync::Mutex;
use tower::ServiceExt;

#[mizan::context("balance")]
pub struct BalanceCtx;

/// The amounts `transfer` was called with: its side effect.
static TRANSFERS: Mutex<Vec<i64>> = Mutex::new(Vec::new());

fn transferred(amount: i64) -> bool {
    TRANSFERS.lock().unwrap().contains(&amount)
}

/// The balance.
#[mizan::client(context = BalanceCtx)]
pub async fn balance(_req: &RequestHandle<'_>) -> i64 {
    TRANSFERS.lock().unwrap().iter().sum()
}

/// Moves money: what a forged request wants to run.
#[mizan::client(affects = BalanceCtx)]
pub async fn transfer(_req: &RequestHandle<'_>, amount: i64) -> i64 {
    TRANSFERS.lock().unwrap().push(amount);
    amount
}

fn builder() -> mizan_axum::MizanStateBuilder {
    MizanState::builder(Registry::from_linked().expect("the test functions form a valid IR"))
}

/// `POST /call/` calling `transfer(amount)` as JSON, with `headers`.
async fn post_json(app: &Router, amount: i64, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let body = json!({"fn": "transfer", "args": {"amount": amount}}).to_string();
    post(app, "application/json", body, headers).await
}

/// The same call as a plain HTML form would send it: `multipart/form-data`
/// with one part `envelope` (a "simple" request: no preflight).
async fn post_form(app: &Router, amount: i64, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let envelope = json!({"fn": "transfer", "args": {"amount": amount}}).to_string();
    let body = format!(
        "--b0undary\r\nContent-Disposition: form-data; name=\"envelope\"\r\n\r\n{envelope}\r\n--b0undary--\r\n"
    );
    post(app, "multipart/form-data; boundary=b0undary", body, headers).await
}

async fn post(app: &Router, content_type: &str, body: String, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = Request::post("/call/").header("content-type", content_type);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response = app.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = response.status();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn assert_refused(reply: &(StatusCode, Value), needle: &str) {
    let (status, body) = reply;
    assert_eq!(*status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "FORBIDDEN", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{needle:?} not in {message:?}");
}

const HOST: (&str, &str) = ("host", "api.example:8000");
const EVIL: (&str, &str) = ("origin", "https://evil.example");

#[tokio::test]
async fn a_forged_form_post_from_another_site_is_refused_and_nothing_runs() {
    let app = mizan_axum::router(builder().build());
    let reply = post_form(&app, 101, &[HOST, EVIL]).await;
    assert_refused(&reply, "https://evil.example");
    assert!(!transferred(101), "the forged form ran `transfer`");
    // The same form from the page's own origin goes through.
    let reply = post_form(&app, 102, &[HOST, ("origin", "http://api.example:8000")]).await;
    assert_eq!(reply.0, StatusCode::OK, "{}", reply.1);
    assert!(transferred(102));
}

#[tokio::test]
async fn a_forged_json_call_is_refused_and_nothing_runs() {
    let app = mizan_axum::router(builder().build());
    let reply = post_json(&app, 201, &[HOST, EVIL]).await;
    assert_refused(&reply, "https://evil.example");
    assert!(!transferred(201));
}

#[tokio::test]
async fn the_origin_is_checked_before_identity_and_before_the_body() {
    let app = mizan_axum::router(builder().mwt_secret("mwt-secret-0123456789abcdef0123456789").build());
    // A rejected credential would be 401: the origin check came first.
    let reply = post_json(&app, 301, &[HOST, EVIL, ("x-mizan-token", "x.y.z")]).await;
    assert_refused(&reply, "evil.example");
    // A body declared far over the limit would be 413.
    let response = app
        .clone()
        .oneshot(
            Request::post("/call/")
                .header("content-type", "application/json")
                .header("content-length", "999999999")
                .header(HOST.0, HOST.1)
                .header(EVIL.0, EVIL.1)
                .body(Body::from("{"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn own_origin_and_requests_without_origin_are_served() {
    let app = mizan_axum::router(builder().build());
    // Same host and port as `Host`; default ports and letter case do not
    // matter; the scheme is not compared (a TLS proxy forwards plain HTTP).
    for (n, origin) in [
        "http://api.example:8000",
        "https://api.example:8000",
        "HTTP://API.Example:8000",
    ]
    .into_iter()
    .enumerate()
    {
        let amount = 400 + n as i64;
        let reply = post_json(&app, amount, &[HOST, ("origin", origin)]).await;
        assert_eq!(reply.0, StatusCode::OK, "{origin}: {}", reply.1);
        assert!(transferred(amount), "{origin}");
    }
    for (n, (origin, host)) in [
        ("https://api.example", "api.example"),
        ("https://api.example", "api.example:443"),
        ("http://api.example", "api.example:80"),
        ("http://[::1]:8000", "[::1]:8000"),
    ]
    .into_iter()
    .enumerate()
    {
        let amount = 410 + n as i64;
        let reply = post_json(&app, amount, &[("host", host), ("origin", origin)]).await;
        assert_eq!(reply.0, StatusCode::OK, "{origin} on {host}: {}", reply.1);
    }
    // No Origin: curl, server to server, native clients.
    let reply = post_json(&app, 420, &[HOST]).await;
    assert_eq!(reply.0, StatusCode::OK, "{}", reply.1);
    let reply = post_json(&app, 421, &[]).await;
    assert_eq!(reply.0, StatusCode::OK, "no Host, no Origin: {}", reply.1);
    // A same-origin fetch says so.
    let reply = post_json(&app, 422, &[HOST, ("sec-fetch-site", "same-origin")]).await;
    assert_eq!(reply.0, StatusCode::OK, "{}", reply.1);
    // Another port, another host: another origin.
    for (n, origin) in ["http://api.example:8001", "http://api.example", "http://example:8000"]
        .into_iter()
        .enumerate()
    {
        let amount = 430 + n as i64;
        assert_refused(&post_json(&app, amount, &[HOST, ("origin", origin)]).await, origin);
        assert!(!transferred(amount), "{origin}");
    }
}

#[tokio::test]
async fn sec_fetch_site_cross_site_without_an_allowed_origin_is_refused() {
    let app = mizan_axum::router(builder().build());
    let reply = post_form(&app, 501, &[HOST, ("sec-fetch-site", "cross-site")]).await;
    assert_refused(&reply, "cross-site");
    assert!(!transferred(501));
    // The browser says cross-site while the host matches: the scheme
    // differs (http page, https API); only an explicitly allowed origin
    // passes.
    let reply = post_json(
        &app,
        502,
        &[
            HOST,
            ("origin", "http://api.example:8000"),
            ("sec-fetch-site", "cross-site"),
        ],
    )
    .await;
    assert_refused(&reply, "cross-site");
    assert!(!transferred(502));
}

#[tokio::test]
async fn null_malformed_and_hostless_origins_are_refused_with_a_precise_message() {
    let app = mizan_axum::router(builder().build());
    let cases: [(&[(&str, &str)], &str); 8] = [
        (&[HOST, ("origin", "null")], "`Origin: null`"),
        (&[HOST, ("origin", "api.example:8000")], "not a valid origin"),
        (&[HOST, ("origin", "http://api.example:8000/")], "not a valid origin"),
        (
            &[HOST, ("origin", "http://user@api.example:8000")],
            "not a valid origin",
        ),
        (&[HOST, ("origin", "http://api.example:80x")], "not a valid origin"),
        (&[HOST, ("origin", "http://")], "not a valid origin"),
        (
            &[
                HOST,
                ("origin", "http://api.example:8000"),
                ("origin", "http://api.example:8000"),
            ],
            "more than one",
        ),
        (&[("origin", "http://api.example:8000")], "no `Host`"),
    ];
    for (n, (headers, needle)) in cases.into_iter().enumerate() {
        let amount = 600 + n as i64;
        let reply = post_json(&app, amount, headers).await;
        assert_refused(&reply, needle);
        assert!(!transferred(amount), "{headers:?}");
    }
}

async fn serve(state: MizanState) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app: Router = mizan_axum::router(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Opens `/ws/` with `origin`; the handshake's HTTP status on refusal.
async fn upgrade(addr: std::net::SocketAddr, origin: Option<&str>) -> Result<(), (u16, Value)> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/ws/").into_client_request().unwrap();
    if let Some(origin) = origin {
        request.headers_mut().insert("origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => Ok(()),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            Err((response.status().as_u16(), body))
        }
        Err(e) => panic!("unexpected websocket error: {e}"),
    }
}

#[tokio::test]
async fn a_cross_site_websocket_upgrade_is_refused_and_never_opens() {
    let state = builder().build();
    let addr = serve(state.clone()).await;
    let (status, body) = upgrade(addr, Some("https://evil.example")).await.unwrap_err();
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "FORBIDDEN", "{body}");
    assert_eq!(state.hub().subscriber_count(), 0, "no push subscription");
    assert_eq!(state.open_connections(), 0);
    // Own origin and no origin open.
    upgrade(addr, Some(&format!("http://{addr}")))
        .await
        .expect("same origin opens");
    upgrade(addr, None).await.expect("no Origin opens");
}

#[tokio::test]
async fn allowed_origins_add_exact_origins_for_calls_and_sockets() {
    let state = builder()
        .allowed_origins(["https://App.example.com:443", "http://localhost:5173"])
        .allowed_origins(["tauri://localhost"])
        .build();
    let app = mizan_axum::router(state.clone());
    for (n, origin) in ["https://app.example.com", "http://localhost:5173", "tauri://localhost"]
        .into_iter()
        .enumerate()
    {
        let amount = 700 + n as i64;
        let reply = post_form(
            &app,
            amount,
            &[HOST, ("origin", origin), ("sec-fetch-site", "cross-site")],
        )
        .await;
        assert_eq!(reply.0, StatusCode::OK, "{origin}: {}", reply.1);
        assert!(transferred(amount), "{origin}");
    }
    // Exact: no other scheme, port or subdomain; the own origin still works.
    for (n, origin) in [
        "http://app.example.com",
        "https://app.example.com:8443",
        "https://evil.app.example.com",
        "http://localhost:5174",
    ]
    .into_iter()
    .enumerate()
    {
        let amount = 710 + n as i64;
        assert_refused(&post_json(&app, amount, &[HOST, ("origin", origin)]).await, origin);
        assert!(!transferred(amount), "{origin}");
    }
    let reply = post_json(&app, 720, &[HOST, ("origin", "http://api.example:8000")]).await;
    assert_eq!(reply.0, StatusCode::OK, "{}", reply.1);
    let addr = serve(state).await;
    upgrade(addr, Some("http://localhost:5173"))
        .await
        .expect("an allowed origin opens");
    assert_eq!(upgrade(addr, Some("http://localhost:5174")).await.unwrap_err().0, 403);
}

#[test]
fn an_allowed_origin_that_is_not_exact_is_a_startup_error() {
    for bad in [
        "https://*.example.com",
        "https://app.example.com/",
        "null",
        "app.example.com",
    ] {
        let built = std::panic::catch_unwind(|| builder().allowed_origins([bad]));
        let message = built.err().and_then(|e| e.downcast::<String>().ok()).expect("a panic");
        assert!(message.contains("not an exact origin"), "{bad}: {message}");
    }
}
