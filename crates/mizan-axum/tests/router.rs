//! The router without sockets (`tower::ServiceExt::oneshot`), for what the
//! AFI end-to-end tests (fixtures/afi-app/tests/http) cannot show: nesting
//! into an application with its own state and fallback, websocket
//! functions, custom authenticators and their order, key rotation and
//! audience, panics.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use futures::future::BoxFuture;
use http_body_util::BodyExt;
use mizan::{Principal, Registry, RequestHandle};
use mizan_axum::{AuthOutcome, Authenticator, MizanState};
use mizan_core::mwt::{self, KeyRing, MintRequest};
use mizan_testkit::logs;
use serde_json::{Value, json};
use tower::ServiceExt;

#[mizan::context("live")]
pub struct LiveCtx;

/// Pushed over websocket.
#[mizan::client(context = LiveCtx, websocket)]
pub async fn live_ticks(_req: &RequestHandle<'_>) -> i64 {
    1
}

#[mizan::context("ops")]
pub struct OpsCtx;

/// Server-internal, over websocket.
#[mizan::client(context = OpsCtx, websocket, private, affects = OpsCtx)]
pub async fn ops_secret_feed(_req: &RequestHandle<'_>) -> i64 {
    1
}

/// The caller's id.
#[mizan::client]
pub async fn whoami(req: &RequestHandle<'_>) -> Option<String> {
    req.principal().map(|p| p.id.clone())
}

/// Always panics.
#[mizan::client]
pub async fn explode(_req: &RequestHandle<'_>) -> i64 {
    panic!("boom")
}

#[mizan::context("search")]
pub struct SearchCtx;

/// Results for a query.
#[mizan::client(context = SearchCtx)]
pub async fn search_results(_req: &RequestHandle<'_>, q: String) -> Vec<String> {
    vec![q]
}

/// Saves a query (invalidates `search`, scoped by `q`).
#[mizan::client(affects = SearchCtx)]
pub async fn save_query(_req: &RequestHandle<'_>, q: String) -> usize {
    q.len()
}

/// `x-app-user: <id>` identifies; `x-app-user: !` is rejected.
struct HeaderAuth;

impl Authenticator for HeaderAuth {
    fn scheme(&self) -> &'static str {
        "header"
    }

    fn authenticate<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, AuthOutcome> {
        let outcome = match headers.get("x-app-user").and_then(|v| v.to_str().ok()) {
            None => AuthOutcome::Absent,
            Some("!") => AuthOutcome::Rejected("banned".into()),
            Some(id) => AuthOutcome::Authenticated(Principal::user(id)),
        };
        Box::pin(std::future::ready(outcome))
    }
}

fn state() -> mizan_axum::MizanStateBuilder {
    MizanState::builder(Registry::from_linked().expect("the test functions form a valid IR"))
}

async fn send(app: &Router, method: &str, uri: &str, body: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if method == "POST" && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
        req = req.header("content-type", "application/json");
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response = app
        .clone()
        .oneshot(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(response.headers()["cache-control"], "no-store", "{method} {uri}");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, json)
}

async fn whoami_as(app: &Router, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    send(app, "POST", "/call/", r#"{"fn": "whoami"}"#, headers).await
}

#[derive(Clone)]
struct AppState {
    greeting: &'static str,
}

#[tokio::test]
async fn nests_into_an_application_with_its_own_state_and_fallback() {
    let app: Router = Router::new()
        .route(
            "/hello",
            axum::routing::get(|axum::extract::State(s): axum::extract::State<AppState>| async move { s.greeting }),
        )
        .nest("/api/mizan", mizan_axum::router(state().build()))
        .fallback(|| async { (StatusCode::IM_A_TEAPOT, "app fallback") })
        .with_state(AppState { greeting: "hi" });
    let hello = app
        .clone()
        .oneshot(Request::get("/hello").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(hello.status(), StatusCode::OK);
    let (status, body) = send(&app, "GET", "/api/mizan/session/", "", &[]).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"csrfToken": null})));
    let (status, body) = send(&app, "GET", "/api/mizan/nope/", "", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "NOT_FOUND", "Mizan's own 404 under its base");
    let outside = app
        .clone()
        .oneshot(Request::get("/elsewhere").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        outside.status(),
        StatusCode::IM_A_TEAPOT,
        "the application's fallback outside the base"
    );
}

#[tokio::test]
async fn websocket_functions_are_also_served_over_http() {
    // SPEC §3.1: `/call/` (and `/ctx/`) answer websocket functions as an
    // HTTP fallback.
    let app = mizan_axum::router(state().build());
    let (status, _) = send(&app, "POST", "/call/", r#"{"fn": "live_ticks"}"#, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(&app, "GET", "/ctx/live/", "", &[]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_context_of_private_members_is_forbidden_without_naming_them() {
    let app = mizan_axum::router(state().build());
    for (method, uri, body) in [
        ("GET", "/ctx/ops/", ""),
        ("POST", "/call/", r#"{"fn": "ops_secret_feed"}"#),
    ] {
        let (status, reply) = send(&app, method, uri, body, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {reply}");
        if method == "GET" {
            assert!(!reply.to_string().contains("ops_secret_feed"), "{reply}");
        }
        assert!(!reply.to_string().contains("private"), "{reply}");
    }
}

#[tokio::test]
async fn authenticators_run_in_order_and_a_rejection_is_final() {
    let app = mizan_axum::router(
        state()
            .mwt_secret("mwt-secret-0123456789abcdef0123456789")
            .authenticator(HeaderAuth)
            .bearer(|token| async move { (token == "app-token").then(|| Principal::user("bearer-user")) })
            .build(),
    );
    assert_eq!(
        whoami_as(&app, &[]).await,
        (StatusCode::OK, json!({"result": null, "invalidate": []}))
    );
    assert_eq!(whoami_as(&app, &[("x-app-user", "7")]).await.1["result"], "7");
    let bearer = ("authorization", "Bearer app-token");
    assert_eq!(whoami_as(&app, &[bearer]).await.1["result"], "bearer-user");
    // The header authenticator comes first and decides.
    assert_eq!(whoami_as(&app, &[("x-app-user", "7"), bearer]).await.1["result"], "7");
    let (status, body) = whoami_as(&app, &[("x-app-user", "!"), bearer]).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::UNAUTHORIZED, &json!("UNAUTHORIZED"))
    );
    assert_eq!(
        body["error"]["message"], "invalid credentials",
        "the reason is not sent"
    );
    let (status, _) = whoami_as(&app, &[("authorization", "Bearer other")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A bad MWT is final even with an identifying header behind it.
    let (status, _) = whoami_as(&app, &[("x-mizan-token", "x.y.z"), ("x-app-user", "7")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn key_rotation_and_audience() {
    let mut keys = KeyRing::new();
    keys.insert("2024", "old-secret-0123456789abcdef0123456789")
        .insert("2025", "new-secret-0123456789abcdef012345678");
    let app = mizan_axum::router(state().mwt_keys(keys.clone()).mwt_audience("shop").build());
    let mint = |kid: &str, aud: &str| {
        let req = MintRequest {
            kid: Some(kid.into()),
            aud: aud.into(),
            ..MintRequest::new("42")
        };
        mwt::mint(&keys, &req, mwt::unix_now()).unwrap()
    };
    for kid in ["2024", "2025"] {
        let token = mint(kid, "shop");
        assert_eq!(
            whoami_as(&app, &[("x-mizan-token", &token)]).await.1["result"],
            "42",
            "kid {kid}"
        );
    }
    let wrong_audience = mint("2025", "mizan");
    assert_eq!(
        whoami_as(&app, &[("x-mizan-token", &wrong_audience)]).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Without a key ring every token is rejected, never ignored.
    let no_keys = mizan_axum::router(state().build());
    assert_eq!(
        whoami_as(&no_keys, &[("x-mizan-token", &mint("2025", "shop"))]).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_panicking_function_is_500_and_the_router_keeps_serving() {
    let app = mizan_axum::router(state().build());
    let (status, body) = send(&app, "POST", "/call/", r#"{"fn": "explode"}"#, &[]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let id = body["error"]["details"]["request_id"]
        .as_str()
        .expect("a request id")
        .to_owned();
    assert_eq!(
        body,
        json!({"error": {"code": "INTERNAL_ERROR", "message": "internal error", "details": {"request_id": id}}}),
        "the panic message never reaches the client"
    );
    assert_eq!(whoami_as(&app, &[]).await.0, StatusCode::OK);
}

#[tokio::test]
async fn invalid_utf8_in_the_path_is_a_bad_request() {
    let app = mizan_axum::router(state().build());
    let (status, body) = send(&app, "GET", "/ctx/%FF/", "", &[]).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("BAD_REQUEST"))
    );
}

#[tokio::test]
async fn an_oversized_invalidate_header_falls_back_to_a_broad_entry() {
    let app = mizan_axum::router(state().build());
    let call = |q: String| {
        let body = json!({"fn": "save_query", "args": {"q": q}}).to_string();
        let app = app.clone();
        async move {
            let response = app
                .oneshot(
                    Request::post("/call/")
                        .header("content-type", "application/json")
                        .body(Body::from(body))
                        .unwrap(),
                )
                .await
                .unwrap();
            let header = response
                .headers()
                .get("x-mizan-invalidate")
                .map(|v| v.to_str().unwrap().to_owned());
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, header, serde_json::from_slice::<Value>(&bytes).unwrap())
        }
    };
    let (status, header, body) = call("shoes".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header.as_deref(), Some("search;q=shoes"));
    assert_eq!(
        body["invalidate"],
        json!([{"context": "search", "params": {"q": "shoes"}}])
    );
    // 30 KB of query: a proxy would refuse such a header after the mutation
    // committed. The header says `search` (broad); the body stays exact.
    let long = "é".repeat(15_000);
    let (status, header, body) = call(long.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let header = header.expect("still sent");
    assert!(
        header.len() <= mizan_core::header::MAX_HEADER_BYTES,
        "{} bytes",
        header.len()
    );
    assert_eq!(header, "search");
    assert_eq!(
        body["invalidate"],
        json!([{"context": "search", "params": {"q": long}}])
    );
}

#[tokio::test]
async fn short_secrets_are_warned_about_and_rejected_tokens_cannot_forge_log_lines() {
    let logs = logs();
    let backend: mizan_core::cache::SharedCache = std::sync::Arc::new(mizan_core::cache::MemoryCache::new());
    let app = mizan_axum::router(state().mwt_secret("s3cret").cache("short", backend).build());
    let text = logs.text();
    assert!(
        text.contains("WARN") && text.contains("MWT secret is shorter than 32 bytes"),
        "{text}"
    );
    assert!(text.contains("cache secret is shorter than 32 bytes"), "{text}");

    // A kid with a forged log line inside: one log line, escaped.
    let header = r#"{"alg":"HS256","kid":"k\n2030-01-01T00:00:00Z  INFO forged: admin logged in"}"#;
    let token = format!("{}.e30.sig", base64_url::encode(header));
    assert_eq!(
        whoami_as(&app, &[("x-mizan-token", &token)]).await.0,
        StatusCode::UNAUTHORIZED
    );
    let text = logs.text();
    assert!(text.contains("unknown_kid"), "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.contains("forged") && !l.contains("credential rejected")),
        "{text}"
    );
}

/// Unpadded base64url, for hand-made tokens.
mod base64_url {
    pub fn encode(text: &str) -> String {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in text.as_bytes().chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out
    }
}

#[tokio::test]
async fn calls_must_be_json_so_a_browser_cannot_send_one_cross_site_without_a_preflight() {
    let app = mizan_axum::router(state().build());
    let body = r#"{"fn": "whoami"}"#;
    for content_type in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "",
        "application/jsonx",
    ] {
        let (status, reply) = send(&app, "POST", "/call/", body, &[("content-type", content_type)]).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}: {reply}");
        assert_eq!(reply["error"]["code"], "BAD_REQUEST", "{content_type:?}");
        assert!(
            reply["error"]["message"].as_str().unwrap().contains("application/json"),
            "{reply}"
        );
    }
    // No Content-Type at all (`fetch` with a Blob body sends none): refused too.
    let response = app
        .clone()
        .oneshot(Request::post("/call/").body(Body::from(body)).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(response.headers()["cache-control"], "no-store");
    for content_type in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
    ] {
        let (status, reply) = send(&app, "POST", "/call/", body, &[("content-type", content_type)]).await;
        assert_eq!(status, StatusCode::OK, "{content_type}: {reply}");
    }
    // Multipart is routed to the upload decoder (here: no envelope part).
    let (status, reply) = send(
        &app,
        "POST",
        "/call/",
        "--x--",
        &[("content-type", "multipart/form-data; boundary=x")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
    assert!(
        reply["error"]["message"].as_str().unwrap().contains("`envelope` part"),
        "{reply}"
    );
}

/// Once a client sees its WebSocket open, it is subscribed: a push
/// published right after the handshake reaches it (it used to subscribe
/// only when the connection loop started, after the 101 went out).
#[tokio::test]
async fn a_websocket_is_subscribed_as_soon_as_its_handshake_answers() {
    let state = state().build();
    let app: Router = mizan_axum::router(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut open = Vec::new();
    for n in 1..=3 {
        let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/"))
            .await
            .expect("websocket connects");
        open.push(socket);
        assert_eq!(
            state.hub().subscriber_count(),
            n,
            "connection {n} is not subscribed yet"
        );
    }
}
