//! The routes (SPEC §3), relative to wherever the application nests them:
//!
//! | route | handler |
//! |---|---|
//! | `GET /session/` | `{"csrfToken": null}` |
//! | `POST /call/` | refuse another site's `Origin` (403, SPEC §3.3), identify, require `application/json` or `multipart/form-data` (uploads; 415 otherwise), read the body (bounded, 413), [`MizanState::call`] |
//! | `GET /ctx/{context}/` | identify, [`MizanState::fetch`] with the query string |
//! | `GET /ws/` | WebSocket (another site's `Origin` refused before the upgrade): calls, fetches and pushes (see `ws.rs`) |
//! | anything else | 404 / 405 error envelopes |
//!
//! Every response — success, error envelope, unknown route, wrong method —
//! is built by one constructor that sets `Cache-Control: no-store`; the
//! extractors used here cannot reject, so axum never answers on its own.
//! Panics in server functions are isolated by `mizan`'s dispatcher. Each
//! request runs in an `info` span (`mizan.call` with the function,
//! `mizan.fetch` with the context).

use crate::{Error, MizanState};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::borrow::Cow;
use tracing::Instrument;
use tracing::field::Empty;

/// The Mizan routes over `state`, to be nested by the application, e.g.
/// `Router::new().nest("/api/mizan", mizan_axum::router(state))`. The
/// returned router has its state applied, so it nests into a router of any
/// state type `S`.
pub fn router<S>(state: MizanState) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/session/", get(session))
        .route("/call/", post(call))
        .route("/ctx/{context}/", get(fetch))
        .route("/ws/", get(crate::ws::upgrade))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn session() -> Response {
    crate::error::json_response(StatusCode::OK, Body::from(Bytes::from_static(br#"{"csrfToken":null}"#)))
}

async fn call(State(state): State<MizanState>, request: Request) -> Response {
    let span = tracing::info_span!("mizan.call", function = Empty);
    async move {
        let (parts, body) = request.into_parts();
        // Another site's page first: refused before its cookies identify
        // anyone or its body is read.
        if let Err(e) = state.check_origin(&parts.headers, &parts.uri) {
            return e.into_response();
        }
        // Identity next: a rejected credential never gets its body read.
        let principal = match state.identify(&parts.headers).await {
            Ok(principal) => principal,
            Err(e) => return e.into_response(),
        };
        let multipart = is_multipart(&parts.headers);
        if !multipart && !is_json(&parts.headers) {
            return Error::UnsupportedMediaType.into_response();
        }
        let mut bytes = match read_body(&parts.headers, body, state.body_limit()).await {
            Ok(bytes) => bytes,
            Err(e) => return e.into_response(),
        };
        if multipart {
            bytes = match crate::multipart::envelope(&parts.headers, bytes).await {
                Ok(envelope) => Bytes::from(envelope),
                Err(e) => return e.into_response(),
            };
        }
        let client = match client_id(&parts.headers) {
            Ok(client) => client,
            Err(e) => return e.into_response(),
        };
        let response = state.call_from(principal.as_ref(), client, &bytes).await;
        tracing::debug!(status = response.status().as_u16(), "call answered");
        response
    }
    .instrument(span)
    .await
}

async fn fetch(
    State(state): State<MizanState>,
    context: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    let context = match context {
        Ok(Path(context)) => context,
        Err(e) => {
            return Error::BadRequest {
                reason: format!("invalid context name: {e}"),
            }
            .into_response();
        }
    };
    let span = tracing::info_span!("mizan.fetch", context = context.as_str());
    async move {
        let principal = match state.identify(request.headers()).await {
            Ok(principal) => principal,
            Err(e) => return e.into_response(),
        };
        let query = request.uri().query().unwrap_or("");
        let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = form_urlencoded::parse(query.as_bytes()).collect();
        let pairs = pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref()));
        let response = state.fetch(principal.as_ref(), &context, pairs).await;
        tracing::debug!(status = response.status().as_u16(), "fetch answered");
        response
    }
    .instrument(span)
    .await
}

async fn no_route(method: Method, uri: Uri) -> Response {
    Error::NoRoute {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
    .into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    Error::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
    .into_response()
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes().trim_ascii_start();
        v.len() >= 19 && v[..19].eq_ignore_ascii_case(b"multipart/form-data")
    })
}

/// `Content-Type: application/json`, with or without parameters
/// (`; charset=utf-8`), in any case.
fn is_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        let media = v.as_bytes().split(|&b| b == b';').next().unwrap_or_default();
        media.trim_ascii().eq_ignore_ascii_case(b"application/json")
    })
}

/// The whole body, or 413 past `limit`.
///
/// Past the limit the rest of the body is read and discarded (up to
/// [`DRAIN_LIMIT`] more bytes) before answering, so a client still sending
/// sees the 413 instead of a broken pipe; a body declared larger than that
/// is refused at once.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Error> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let drain_to = (limit as u64).saturating_add(DRAIN_LIMIT);
    if declared.is_some_and(|n| n > drain_to) {
        return Err(Error::BodyTooLarge { limit });
    }
    let mut body = body.into_data_stream();
    let mut collected = Vec::new();
    let mut seen: u64 = 0;
    while let Some(chunk) = futures::StreamExt::next(&mut body).await {
        let chunk = chunk.map_err(|e| Error::BadRequest {
            reason: format!("cannot read the request body: {e}"),
        })?;
        seen = seen.saturating_add(chunk.len() as u64);
        if seen > drain_to {
            break;
        }
        if seen <= limit as u64 {
            collected.extend_from_slice(&chunk);
        }
    }
    if seen > limit as u64 {
        return Err(Error::BodyTooLarge { limit });
    }
    Ok(Bytes::from(collected))
}

/// How much of an over-limit body is read and discarded before the 413.
const DRAIN_LIMIT: u64 = 8 * 1024 * 1024;

/// `X-Mizan-Client`: the caller's client id (SPEC §3.1), 1 to 64 characters
/// of `A-Z a-z 0-9 - _ . :`; anything else is a `BAD_REQUEST`.
fn client_id(headers: &axum::http::HeaderMap) -> Result<Option<&str>, Error> {
    let Some(value) = headers.get(crate::CLIENT_HEADER) else {
        return Ok(None);
    };
    let id = value.to_str().ok().filter(|id| mizan::is_valid_client_id(id));
    match id {
        Some(id) => Ok(Some(id)),
        None => Err(Error::BadRequest {
            reason: "X-Mizan-Client must be 1 to 64 characters of A-Z a-z 0-9 - _ . :".into(),
        }),
    }
}
