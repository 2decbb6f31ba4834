//! # mizan-proxy
//!
//! A recording reverse proxy for a Mizan backend we cannot instrument (a
//! Python one, a deployed one): it listens on loopback, forwards every
//! request to the target's origin — HTTP with bodies streamed both ways,
//! and `{base}/ws/` frame by frame — and reports what the wire shows as
//! [`WireEvent`]s: calls (function, args, result, `invalidate`, `merge`,
//! `X-Mizan-Invalidate`), fetches (context, params, `X-Mizan-Cache`) and
//! pushes. The principal is the `sub` of an `X-Mizan-Token` (or the
//! WebSocket's `auth` frame), read without verifying and **never
//! recorded itself**.
//!
//! Invariants: a slow or large answer never blocks another request (each
//! is its own task; bodies stream, only the first [`ProxyOptions::record_limit`]
//! bytes are kept for the record); the sink is called off the request
//! path's critical section and must not block; `Origin` is forwarded
//! untouched so the target's own cross-origin rule (SPEC §3.3) decides.

use axum::body::Body;
use axum::extract::ws::{self, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures::{SinkExt, Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio_tungstenite::tungstenite;

/// What kind of traffic an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireKind {
    /// `POST {base}/call/` or a `call` frame.
    Call,
    /// `GET {base}/ctx/<name>/` or a `fetch` frame.
    Fetch,
    /// A server push on `/ws/`.
    Push,
}

/// One thing the proxy saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireEvent {
    /// Unix ms when the request started (a push: when it arrived).
    pub at_ms: u64,
    /// Call, fetch or push.
    pub kind: WireKind,
    /// `http` or `ws`.
    pub transport: String,
    /// The function (calls; pushes: the mutation, when the server said).
    pub function: Option<String>,
    /// The context (fetches).
    pub context: Option<String>,
    /// Call args or fetch params (query values are strings).
    pub args: Map<String, Value>,
    /// `sub` of the caller's token; never the token.
    pub principal: Option<String>,
    /// `X-Mizan-Client` / the frame's or push's `client`.
    pub client: Option<String>,
    /// HTTP status (a WebSocket answer: 200, or the error code's status).
    pub status: u16,
    /// Until the last byte of the answer.
    pub duration_ms: f64,
    /// `X-Mizan-Cache` (`HIT`, `MISS`, `BYPASS`).
    pub cache: Option<String>,
    /// Why the cache did what it did, when the source knows (the devtools
    /// tap does; the wire does not say).
    #[serde(default)]
    pub cache_reason: Option<String>,
    /// The error envelope's code.
    pub error_code: Option<String>,
    /// A call's answer (`result`, `invalidate`, `merge`), or a push's
    /// object, when it fit the record limit.
    pub body: Option<Value>,
    /// `X-Mizan-Invalidate`.
    pub header: Option<String>,
}

/// Where events go (must not block: push into a channel or a ring).
pub type Sink = Arc<dyn Fn(WireEvent) + Send + Sync>;

/// How to run the proxy.
#[derive(Debug, Clone)]
pub struct ProxyOptions {
    /// The target's Mizan base URL, `http://host:port/api/mizan`.
    pub target: String,
    /// Where to listen (loopback; port 0 picks one).
    pub listen: SocketAddr,
    /// At most this much of a body is kept for the record (the rest still
    /// streams through).
    pub record_limit: usize,
}

impl ProxyOptions {
    /// Loopback on a free port, 1 MiB kept per body.
    pub fn new(target: impl Into<String>) -> Self {
        ProxyOptions {
            target: target.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            record_limit: 1024 * 1024,
        }
    }
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    /// The URL to point a frontend at: the proxy's address with the
    /// target's base path (`http://127.0.0.1:PORT/api/mizan`).
    pub url: String,
    /// The target's base URL.
    pub target: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

struct Shared {
    /// `http://host:port` of the target.
    origin: String,
    /// `/api/mizan` (no trailing slash).
    base: String,
    client: reqwest::Client,
    sink: Sink,
    limit: usize,
}

/// Splits a base URL into origin and path; only `http://` and `https://`.
pub fn split_target(target: &str) -> Result<(String, String), String> {
    let rest = target
        .strip_prefix("http://")
        .map(|r| ("http://", r))
        .or_else(|| target.strip_prefix("https://").map(|r| ("https://", r)));
    let Some((scheme, rest)) = rest else {
        return Err(format!("`{target}` is not an http:// or https:// URL"));
    };
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if host.is_empty() || host.contains('@') {
        return Err(format!("`{target}` has no host (or carries credentials)"));
    }
    Ok((format!("{scheme}{host}"), path.trim_end_matches('/').to_owned()))
}

/// Starts the proxy on `options.listen`; events go to `sink`.
pub async fn start(options: ProxyOptions, sink: Sink) -> Result<Proxy, String> {
    let (origin, base) = split_target(&options.target)?;
    if !options.listen.ip().is_loopback() {
        return Err(format!("the proxy listens on loopback only, not {}", options.listen));
    }
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared {
        origin,
        base: base.clone(),
        client,
        sink,
        limit: options.record_limit,
    });
    let app = axum::Router::new().fallback(forward).with_state(shared);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::warn!("the proxy stopped: {e}");
        }
    });
    Ok(Proxy {
        url: format!("http://{addr}{base}"),
        target: options.target,
        stop: Some(stop),
    })
}

const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

fn hop_by_hop(name: &HeaderName) -> bool {
    HOP_BY_HOP.iter().any(|h| name.as_str().eq_ignore_ascii_case(h))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The `sub` of a JWT, read without verifying (for the record only).
pub fn token_sub(token: &str) -> Option<String> {
    let claims = token.trim().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims.trim_end_matches('='))
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("sub").and_then(Value::as_str).map(str::to_owned)
}

fn header_text(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// What a request is, seen from its method and path.
enum Route {
    Call,
    Fetch(String),
    WebSocket,
    Other,
}

fn route(base: &str, method: &axum::http::Method, path: &str) -> Route {
    let Some(rest) = path.strip_prefix(base) else {
        return Route::Other;
    };
    if method == axum::http::Method::POST && (rest == "/call/" || rest == "/call") {
        Route::Call
    } else if rest == "/ws/" || rest == "/ws" {
        Route::WebSocket
    } else if method == axum::http::Method::GET
        && let Some(name) = rest.strip_prefix("/ctx/")
    {
        Route::Fetch(name.trim_end_matches('/').to_owned())
    } else {
        Route::Other
    }
}

fn query_params(query: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(decode(k), Value::String(decode(v)));
    }
    out
}

fn decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (bytes[i], escaped) {
            (_, Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b'+', None) => out.push(b' '),
            (b, None) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The envelope of a call body: JSON, or the `envelope` part of a
/// multipart upload.
fn envelope(content_type: &str, body: &[u8]) -> Option<(String, Map<String, Value>)> {
    let json: Value = if content_type.starts_with("multipart/") {
        let text = String::from_utf8_lossy(body);
        let at = text.find("name=\"envelope\"")?;
        let start = text[at..].find("\r\n\r\n")? + at + 4;
        let end = text[start..].find("\r\n--")? + start;
        serde_json::from_str(&text[start..end]).ok()?
    } else {
        serde_json::from_slice(body).ok()?
    };
    let function = json.get("fn")?.as_str()?.to_owned();
    let args = json.get("args").and_then(Value::as_object).cloned().unwrap_or_default();
    Some((function, args))
}

/// Whether `host` (a `Host` header) names this machine's loopback: a
/// page on another name that resolves here (DNS rebinding) must not read
/// the backend through the proxy.
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let host = header_text(request.headers(), "host").unwrap_or_default();
    if !loopback_host(&host) {
        return (
            StatusCode::FORBIDDEN,
            format!("the proxy answers to loopback names only, not `{host}`"),
        )
            .into_response();
    }
    let started = Instant::now();
    let at_ms = now_ms();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let kind = route(&shared.base, &method, &path);
    if let Route::WebSocket = kind {
        let (mut parts, _body) = request.into_parts();
        let headers = parts.headers.clone();
        return match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
            Ok(upgrade) => {
                let url = format!(
                    "{}{}{}",
                    shared.origin.replacen("http", "ws", 1),
                    path,
                    query.map(|q| format!("?{q}")).unwrap_or_default()
                );
                match connect_upstream(&url, &headers).await {
                    Ok(upstream) => upgrade.on_upgrade(move |socket| websocket(shared, socket, upstream, headers)),
                    Err(refusal) => refusal,
                }
            }
            Err(rejection) => rejection.into_response(),
        };
    }
    let url = format!(
        "{}{}{}",
        shared.origin,
        path,
        query.as_deref().map(|q| format!("?{q}")).unwrap_or_default()
    );
    let (parts, body) = request.into_parts();
    let mut upstream = shared.client.request(parts.method.clone(), &url);
    for (name, value) in &parts.headers {
        if !hop_by_hop(name) {
            upstream = upstream.header(name, value);
        }
    }
    let principal = header_text(&parts.headers, "x-mizan-token").and_then(|t| token_sub(&t));
    let client = header_text(&parts.headers, "x-mizan-client");
    // A call's body is read (it is small; bounded) so the record has its
    // function and args; anything else streams.
    let mut call: Option<(String, Map<String, Value>)> = None;
    let upstream = match kind {
        Route::Call => {
            let content_type = header_text(&parts.headers, "content-type").unwrap_or_default();
            match axum::body::to_bytes(body, shared.limit.max(64 * 1024 * 1024)).await {
                Ok(bytes) => {
                    call = envelope(&content_type, &bytes);
                    upstream.body(bytes)
                }
                Err(e) => {
                    return (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("the proxy could not read the body: {e}"),
                    )
                        .into_response();
                }
            }
        }
        _ => upstream.body(reqwest::Body::wrap_stream(body.into_data_stream())),
    };
    let answer = match upstream.send().await {
        Ok(a) => a,
        Err(e) => {
            let message = format!("the proxy could not reach {}: {e}", shared.origin);
            return (StatusCode::BAD_GATEWAY, message).into_response();
        }
    };
    let status = answer.status();
    let mut response = Response::builder().status(status.as_u16());
    for (name, value) in answer.headers() {
        if !hop_by_hop(name) {
            response = response.header(name, value);
        }
    }
    let record = match kind {
        Route::Call => Some(WireEvent {
            at_ms,
            kind: WireKind::Call,
            transport: "http".into(),
            function: call.as_ref().map(|c| c.0.clone()),
            context: None,
            args: call.map(|c| c.1).unwrap_or_default(),
            principal,
            client,
            status: status.as_u16(),
            duration_ms: 0.0,
            cache: None,
            cache_reason: None,
            error_code: None,
            body: None,
            header: header_text(answer.headers(), "x-mizan-invalidate"),
        }),
        Route::Fetch(context) => Some(WireEvent {
            at_ms,
            kind: WireKind::Fetch,
            transport: "http".into(),
            function: None,
            context: Some(context),
            args: query_params(query.as_deref()),
            principal,
            client,
            status: status.as_u16(),
            duration_ms: 0.0,
            cache: header_text(answer.headers(), "x-mizan-cache"),
            cache_reason: None,
            error_code: None,
            body: None,
            header: None,
        }),
        _ => None,
    };
    let body = Body::from_stream(tee(answer.bytes_stream(), record, shared.clone(), started));
    response
        .body(body)
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

/// A response body passing through, with up to the record limit of it
/// kept; when it is dropped — read to the end, or abandoned by either
/// side — its record is completed (duration, body, error code) and handed
/// to the sink.
struct Tee<S> {
    inner: S,
    kept: Vec<u8>,
    overflow: bool,
    record: Option<WireEvent>,
    shared: Arc<Shared>,
    started: Instant,
}

impl<S> Drop for Tee<S> {
    fn drop(&mut self) {
        finish(&mut self.record, &self.kept, !self.overflow, &self.shared, self.started);
    }
}

/// Passes `stream` through, recording it as [`Tee`] says.
fn tee(
    stream: impl Stream<Item = reqwest::Result<axum::body::Bytes>> + Send + 'static,
    record: Option<WireEvent>,
    shared: Arc<Shared>,
    started: Instant,
) -> impl Stream<Item = reqwest::Result<axum::body::Bytes>> + Send + 'static {
    let state = Tee {
        inner: Box::pin(stream),
        kept: Vec::new(),
        overflow: false,
        record,
        shared,
        started,
    };
    futures::stream::unfold(state, |mut s| async move {
        let chunk = s.inner.next().await?;
        if let Ok(chunk) = &chunk
            && s.record.is_some()
            && !s.overflow
        {
            if s.kept.len() + chunk.len() > s.shared.limit {
                s.overflow = true;
                s.kept = Vec::new();
            } else {
                s.kept.extend_from_slice(chunk);
            }
        }
        if chunk.is_err() {
            s.overflow = true; // broken off: nothing whole to parse
        }
        Some((chunk, s))
    })
}

fn finish(record: &mut Option<WireEvent>, kept: &[u8], whole: bool, shared: &Shared, started: Instant) {
    let Some(mut event) = record.take() else { return };
    event.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    if whole && let Ok(v) = serde_json::from_slice::<Value>(kept) {
        event.error_code = v
            .get("error")
            .and_then(|e| e.get("code"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        if event.kind == WireKind::Call {
            event.body = Some(v);
        }
    }
    (shared.sink)(event);
}

/// The target's WebSocket, connected with the caller's identifying
/// headers and `Origin`, before the caller's upgrade is accepted: a
/// refusal (403 cross-origin, 401 bad token) reaches the caller as the
/// target's own HTTP status, never as an opened-then-closed socket.
async fn connect_upstream(url: &str, headers: &HeaderMap) -> Result<Upstream, Response> {
    use tungstenite::client::IntoClientRequest;
    let mut request = url
        .into_client_request()
        .map_err(|e| (StatusCode::BAD_GATEWAY, format!("{url}: {e}")).into_response())?;
    for name in [
        "cookie",
        "x-mizan-token",
        "authorization",
        "origin",
        "x-mizan-client",
        "sec-websocket-protocol",
    ] {
        if let Some(v) = headers.get(name)
            && let (Ok(n), Ok(v)) = (
                tungstenite::http::HeaderName::from_bytes(name.as_bytes()),
                tungstenite::http::HeaderValue::from_bytes(v.as_bytes()),
            )
        {
            request.headers_mut().insert(n, v);
        }
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((s, _)) => Ok(s),
        Err(tungstenite::Error::Http(r)) => {
            let status = StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let body = r.body().clone().unwrap_or_default();
            Err((status, body).into_response())
        }
        Err(other) => Err((
            StatusCode::BAD_GATEWAY,
            format!("the proxy could not reach the target: {other}"),
        )
            .into_response()),
    }
}

type Upstream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Relays one WebSocket to the already connected target, recording calls,
/// fetches and pushes.
async fn websocket(shared: Arc<Shared>, client: ws::WebSocket, upstream: Upstream, headers: HeaderMap) {
    let mut principal = header_text(&headers, "x-mizan-token").and_then(|t| token_sub(&t));
    let (mut client_tx, mut client_rx) = client.split();
    let (mut up_tx, mut up_rx) = upstream.split();
    let pending: Arc<PendingMap> = Arc::default();
    let auth_sub: Arc<std::sync::Mutex<Option<String>>> = Arc::new(std::sync::Mutex::new(principal.take()));
    let to_target = {
        let pending = pending.clone();
        let auth_sub = auth_sub.clone();
        async move {
            while let Some(Ok(msg)) = client_rx.next().await {
                let out = match msg {
                    ws::Message::Text(t) => {
                        if let Ok(Value::Object(frame)) = serde_json::from_str::<Value>(t.as_str()) {
                            let op = frame.get("op").and_then(Value::as_str).unwrap_or_default();
                            let id = frame.get("id").map(|v| v.to_string());
                            let client = frame.get("client").and_then(Value::as_str).map(str::to_owned);
                            match (op, id) {
                                ("auth", _) => {
                                    if let Some(t) = frame.get("token").and_then(Value::as_str) {
                                        *auth_sub.lock().unwrap_or_else(|p| p.into_inner()) = token_sub(t);
                                    }
                                }
                                ("call", Some(id)) => {
                                    let f = frame.get("fn").and_then(Value::as_str).map(str::to_owned);
                                    let args = frame
                                        .get("args")
                                        .and_then(Value::as_object)
                                        .cloned()
                                        .unwrap_or_default();
                                    pending
                                        .lock()
                                        .unwrap_or_else(|p| p.into_inner())
                                        .insert(id, (Instant::now(), now_ms(), WireKind::Call, f, None, args, client));
                                }
                                ("fetch", Some(id)) => {
                                    let c = frame.get("context").and_then(Value::as_str).map(str::to_owned);
                                    let params = frame
                                        .get("params")
                                        .and_then(Value::as_object)
                                        .cloned()
                                        .unwrap_or_default();
                                    pending.lock().unwrap_or_else(|p| p.into_inner()).insert(
                                        id,
                                        (Instant::now(), now_ms(), WireKind::Fetch, None, c, params, client),
                                    );
                                }
                                _ => {}
                            }
                        }
                        tungstenite::Message::Text(t.as_str().into())
                    }
                    ws::Message::Binary(b) => tungstenite::Message::Binary(b),
                    ws::Message::Ping(b) => tungstenite::Message::Ping(b),
                    ws::Message::Pong(b) => tungstenite::Message::Pong(b),
                    ws::Message::Close(c) => {
                        tungstenite::Message::Close(c.map(|c| tungstenite::protocol::CloseFrame {
                            code: c.code.into(),
                            reason: c.reason.as_str().into(),
                        }))
                    }
                };
                if up_tx.send(out).await.is_err() {
                    break;
                }
            }
            let _ = up_tx.close().await;
        }
    };
    let to_client = {
        let shared = shared.clone();
        async move {
            while let Some(Ok(msg)) = up_rx.next().await {
                let out = match msg {
                    tungstenite::Message::Text(t) => {
                        if let Ok(Value::Object(frame)) = serde_json::from_str::<Value>(t.as_str()) {
                            record_frame(&shared, &pending, &auth_sub, frame);
                        }
                        ws::Message::Text(t.as_str().into())
                    }
                    tungstenite::Message::Binary(b) => ws::Message::Binary(b),
                    tungstenite::Message::Ping(b) => ws::Message::Ping(b),
                    tungstenite::Message::Pong(b) => ws::Message::Pong(b),
                    tungstenite::Message::Close(c) => ws::Message::Close(c.map(|c| ws::CloseFrame {
                        code: c.code.into(),
                        reason: c.reason.as_str().into(),
                    })),
                    tungstenite::Message::Frame(_) => continue,
                };
                if client_tx.send(out).await.is_err() {
                    break;
                }
            }
            let _ = client_tx.close().await;
        }
    };
    tokio::select! {
        () = to_target => {}
        () = to_client => {}
    }
}

/// Frames in flight by id: (started, at_ms, kind, function, context,
/// args, client).
type PendingMap = std::sync::Mutex<
    HashMap<
        String,
        (
            Instant,
            u64,
            WireKind,
            Option<String>,
            Option<String>,
            Map<String, Value>,
            Option<String>,
        ),
    >,
>;

fn record_frame(
    shared: &Shared,
    pending: &PendingMap,
    auth_sub: &std::sync::Mutex<Option<String>>,
    mut frame: Map<String, Value>,
) {
    let principal = auth_sub.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if frame.get("op").and_then(Value::as_str) == Some("push") {
        (shared.sink)(WireEvent {
            at_ms: now_ms(),
            kind: WireKind::Push,
            transport: "ws".into(),
            function: frame.get("fn").and_then(Value::as_str).map(str::to_owned),
            context: None,
            args: Map::new(),
            principal,
            client: frame.get("client").and_then(Value::as_str).map(str::to_owned),
            status: 200,
            duration_ms: 0.0,
            cache: None,
            cache_reason: None,
            error_code: None,
            header: None,
            body: Some(Value::Object(frame)),
        });
        return;
    }
    let Some(id) = frame.remove("id").map(|v| v.to_string()) else {
        return;
    };
    let Some((started, at_ms, kind, function, context, args, client)) =
        pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id)
    else {
        return;
    };
    let error_code = frame
        .get("error")
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    (shared.sink)(WireEvent {
        at_ms,
        kind,
        transport: "ws".into(),
        function,
        context,
        args,
        principal,
        client,
        status: if error_code.is_some() { 400 } else { 200 },
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        cache: None,
        cache_reason: None,
        error_code,
        header: None,
        body: (kind == WireKind::Call).then_some(Value::Object(frame)),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts() {
        for ok in ["127.0.0.1:8000", "localhost:1", "LOCALHOST", "[::1]:9", "127.5.0.1"] {
            assert!(loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example:8000",
            "",
            "192.168.1.2:80",
            "[fe80::1]:1",
            "localhost.evil.example",
        ] {
            assert!(!loopback_host(bad), "{bad}");
        }
    }

    #[test]
    fn targets_split_into_origin_and_base() {
        assert_eq!(
            split_target("http://127.0.0.1:8000/api/mizan/").unwrap(),
            ("http://127.0.0.1:8000".to_owned(), "/api/mizan".to_owned())
        );
        assert_eq!(
            split_target("https://h").unwrap(),
            ("https://h".to_owned(), String::new())
        );
        assert!(split_target("ftp://h").is_err());
        assert!(split_target("http://u:p@h/x").is_err());
    }

    #[test]
    fn query_values_are_decoded_strings() {
        let p = query_params(Some("user_id=5&q=a%20b%3Bc&flag"));
        assert_eq!(p["user_id"], "5");
        assert_eq!(p["q"], "a b;c");
        assert_eq!(p["flag"], "");
    }

    #[test]
    fn the_sub_of_a_token_without_its_signature() {
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"5","exp":1}"#);
        assert_eq!(
            token_sub(&format!("eyJhbGciOiJIUzI1NiJ9.{claims}.sig")),
            Some("5".into())
        );
        assert_eq!(token_sub("nonsense"), None);
    }

    #[test]
    fn envelopes_from_json_and_multipart() {
        let (f, args) = envelope("application/json", br#"{"fn":"rename","args":{"user_id":5}}"#).unwrap();
        assert_eq!((f.as_str(), args["user_id"].clone()), ("rename", Value::from(5)));
        let body = "--b\r\nContent-Disposition: form-data; name=\"envelope\"\r\n\r\n{\"fn\":\"upload_avatar\",\"args\":{\"user_id\":1}}\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nxx\r\n--b--\r\n";
        let (f, _) = envelope("multipart/form-data; boundary=b", body.as_bytes()).unwrap();
        assert_eq!(f, "upload_avatar");
    }
}
