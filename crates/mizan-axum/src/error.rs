//! The crate's one error type. Everything the adapter answers with on its
//! own — a body that is not a call envelope, a rejected credential, an
//! unknown route — and every [`MizanError`] the registry returns becomes the
//! SPEC §3 error envelope `{"error": {"code", "message", "details"?}}`.
//! Messages are safe to show clients: credential rejection reasons and
//! internal details are only logged.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mizan::MizanError;
use mizan_core::wire::{ErrorCode, ErrorEnvelope};

/// What went wrong with one HTTP request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body is not a call envelope (malformed JSON, missing `fn`, `args`
    /// not an object), or a path segment is not valid UTF-8: 400
    /// `BAD_REQUEST`.
    #[error("bad request: {reason}")]
    BadRequest {
        /// What is wrong, for the client.
        reason: String,
    },

    /// The body is longer than the configured limit: 413 with code
    /// `BAD_REQUEST` (the envelope has no code of its own for it).
    #[error("the request body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },

    /// A credential was presented and rejected: 401 `UNAUTHORIZED`. There is
    /// no fallback to another scheme or to anonymous.
    #[error("{scheme} credential rejected: {reason}")]
    Unauthorized {
        /// Which authenticator rejected it (`mwt`, `bearer`, ...).
        scheme: &'static str,
        /// Why, for logs only; clients see a generic message.
        reason: String,
    },

    /// A browser request from another site (SPEC §3.3): `POST /call/` or
    /// the `/ws/` upgrade with an `Origin` that is neither the server's own
    /// nor allowed, `Origin: null`, a malformed `Origin`, or
    /// `Sec-Fetch-Site: cross-site` without an allowed `Origin`: 403
    /// `FORBIDDEN`, before identity, body or function.
    #[error("cross-origin request refused: {reason}")]
    CrossOrigin {
        /// Which rule refused it, for the client (header values escaped).
        reason: String,
    },

    /// The server refuses more work for now (the WebSocket connection
    /// limit): 503 `INTERNAL_ERROR`, which clients retry with back-off.
    #[error("unavailable: {reason}")]
    Unavailable {
        /// What is exhausted.
        reason: String,
    },

    /// No route under the base: 404 `NOT_FOUND`.
    #[error("no route for {method} {path}")]
    NoRoute {
        /// The request method.
        method: String,
        /// The path below the base.
        path: String,
    },

    /// `POST /call/` with a body that is neither `application/json` nor
    /// `multipart/form-data` (or without `Content-Type`): 415 with code
    /// `BAD_REQUEST`. Requiring JSON means a browser cannot send a JSON
    /// call cross-site without a CORS preflight (`text/plain` is a "simple"
    /// request); multipart posts need none, which is why the `Origin` check
    /// ([`Error::CrossOrigin`]) comes first.
    #[error("`POST /call/` takes `Content-Type: application/json` (or `multipart/form-data` for uploads)")]
    UnsupportedMediaType,

    /// The route exists but not for this method: 405 with code
    /// `BAD_REQUEST` (axum adds the `Allow` header).
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The request method.
        method: String,
        /// The path below the base.
        path: String,
    },

    /// What the registry answered (`Registry::call`, `fetch`,
    /// `coerce_query`): its own code and status.
    #[error("{0}")]
    Mizan(MizanError),
}

impl From<MizanError> for Error {
    fn from(e: MizanError) -> Self {
        Error::Mizan(e)
    }
}

impl Error {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Error::CrossOrigin { .. } => StatusCode::FORBIDDEN,
            Error::NoRoute { .. } => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::Mizan(e) => StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    /// The wire envelope (what the client sees).
    pub fn envelope(&self) -> ErrorEnvelope {
        match self {
            Error::BadRequest { reason } => ErrorEnvelope::new(ErrorCode::BadRequest, reason.clone()),
            Error::BodyTooLarge { .. } | Error::MethodNotAllowed { .. } | Error::UnsupportedMediaType => {
                ErrorEnvelope::new(ErrorCode::BadRequest, self.to_string())
            }
            Error::Unauthorized { .. } => ErrorEnvelope::new(ErrorCode::Unauthorized, "invalid credentials"),
            Error::CrossOrigin { .. } => ErrorEnvelope::new(ErrorCode::Forbidden, self.to_string()),
            Error::NoRoute { .. } => ErrorEnvelope::new(ErrorCode::NotFound, self.to_string()),
            Error::Unavailable { reason } => ErrorEnvelope::new(ErrorCode::InternalError, reason.clone()),
            Error::Mizan(e) => e.envelope(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        // Serializing an envelope (strings and a JSON value) cannot fail;
        // the fallback text is the same envelope written by hand.
        let body = serde_json::to_vec(&self.envelope())
            .unwrap_or_else(|_| br#"{"error":{"code":"INTERNAL_ERROR","message":"internal error"}}"#.to_vec());
        json_response(self.status(), Body::from(body))
    }
}

/// Every response of the adapter — success, error envelope, unknown route —
/// is built here, so every one carries `Cache-Control: no-store` (SPEC §3).
/// One constructor instead of a response-mapping layer: a layer would wrap
/// every route in more services and futures, which costs measurable
/// throughput (see docs/DECISIONS.md).
pub(crate) fn json_response(status: StatusCode, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
