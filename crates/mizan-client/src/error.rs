//! The crate's one error type, [`MizanError`]: the wire error envelope of
//! SPEC §3 (`{"code", "message", "details"?}`) plus the two failures a client
//! can have on its own (the server could not be reached; its answer could not
//! be understood).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// What went wrong, as a closed set of the protocol's codes plus
/// [`ErrorCode::Other`] for codes a newer server may send.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Unknown function or context (HTTP 404).
    NotFound,
    /// Malformed request (HTTP 400).
    BadRequest,
    /// Missing or ill-typed arguments; see [`MizanError::field_errors`]
    /// (HTTP 422).
    ValidationError,
    /// No or invalid identity (HTTP 401).
    Unauthorized,
    /// Insufficient auth level, or a private function (HTTP 403).
    Forbidden,
    /// Not served on this transport (HTTP 501).
    NotImplemented,
    /// The handler failed (HTTP 500).
    InternalError,
    /// Client side: the request never got an answer (connection refused,
    /// reset, timeout). Retried for context fetches.
    NetworkError,
    /// Client side: the answer was not what the protocol or the generated
    /// types expect (not JSON, no `result`, a result of another shape).
    /// Never retried.
    BadResponse,
    /// Client side: no transport is available (e.g. the Tauri transport
    /// outside a Tauri webview).
    NoTransport,
    /// A code this client does not know, kept verbatim.
    Other(String),
}

impl ErrorCode {
    /// The wire spelling (`NOT_FOUND`, ..., `NETWORK_ERROR`).
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotImplemented => "NOT_IMPLEMENTED",
            ErrorCode::InternalError => "INTERNAL_ERROR",
            ErrorCode::NetworkError => "NETWORK_ERROR",
            ErrorCode::BadResponse => "BAD_RESPONSE",
            ErrorCode::NoTransport => "NO_TRANSPORT",
            ErrorCode::Other(code) => code,
        }
    }

    /// The code spelled `code` on the wire.
    pub fn parse(code: &str) -> ErrorCode {
        match code {
            "NOT_FOUND" => ErrorCode::NotFound,
            "BAD_REQUEST" => ErrorCode::BadRequest,
            "VALIDATION_ERROR" => ErrorCode::ValidationError,
            "UNAUTHORIZED" => ErrorCode::Unauthorized,
            "FORBIDDEN" => ErrorCode::Forbidden,
            "NOT_IMPLEMENTED" => ErrorCode::NotImplemented,
            "INTERNAL_ERROR" => ErrorCode::InternalError,
            "NETWORK_ERROR" => ErrorCode::NetworkError,
            "BAD_RESPONSE" => ErrorCode::BadResponse,
            "NO_TRANSPORT" => ErrorCode::NoTransport,
            other => ErrorCode::Other(other.to_owned()),
        }
    }

    /// The HTTP status the protocol pairs with this code, if any.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            ErrorCode::NotFound => Some(404),
            ErrorCode::BadRequest => Some(400),
            ErrorCode::ValidationError => Some(422),
            ErrorCode::Unauthorized => Some(401),
            ErrorCode::Forbidden => Some(403),
            ErrorCode::NotImplemented => Some(501),
            ErrorCode::InternalError => Some(500),
            ErrorCode::NetworkError | ErrorCode::BadResponse | ErrorCode::NoTransport | ErrorCode::Other(_) => None,
        }
    }

    /// The code the protocol pairs with an HTTP status, for error responses
    /// without a Mizan envelope (a proxy's 502 page, ...): `INTERNAL_ERROR`
    /// for statuses the protocol does not use, as the TypeScript kernel does.
    pub fn from_http_status(status: u16) -> ErrorCode {
        match status {
            400 => ErrorCode::BadRequest,
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            422 => ErrorCode::ValidationError,
            501 => ErrorCode::NotImplemented,
            _ => ErrorCode::InternalError,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Ok(ErrorCode::parse(&code))
    }
}

/// An error from a Mizan call or context fetch: the server's error envelope,
/// or a client-side [`ErrorCode::NetworkError`], [`ErrorCode::BadResponse`]
/// or [`ErrorCode::NoTransport`].
///
/// Serializes as the envelope's inner object `{"code", "message",
/// "details"?}`, so it can be stored and shown as the server sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct MizanError {
    /// What went wrong.
    pub code: ErrorCode,
    /// A message safe to show to users.
    pub message: String,
    /// Structured details (`{"fields": {name: [messages]}}` for validation
    /// errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    /// The HTTP status of the response, when there was one (not on the wire).
    #[serde(skip)]
    pub status: Option<u16>,
}

impl MizanError {
    /// An error with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        MizanError {
            code,
            message: message.into(),
            details: None,
            status: None,
        }
    }

    /// A [`ErrorCode::NetworkError`].
    pub fn network(message: impl Into<String>) -> Self {
        MizanError::new(ErrorCode::NetworkError, message)
    }

    /// A [`ErrorCode::BadResponse`].
    pub fn bad_response(message: impl Into<String>) -> Self {
        MizanError::new(ErrorCode::BadResponse, message)
    }

    /// The error described by an error response body with HTTP `status`:
    /// the envelope `{"error": {...}}` when the body is one, else an error
    /// derived from the status alone.
    pub fn from_response(status: u16, body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Envelope {
            error: MizanError,
        }
        match serde_json::from_slice::<Envelope>(body) {
            Ok(env) => MizanError {
                status: Some(status),
                ..env.error
            },
            Err(_) => MizanError {
                status: Some(status),
                ..MizanError::new(ErrorCode::from_http_status(status), format!("HTTP {status}"))
            },
        }
    }

    /// The error an IPC rejection describes: `{"code", "message",
    /// "details"?}`, or anything else (a string from the IPC layer itself)
    /// as an `INTERNAL_ERROR` with that message.
    pub fn from_rejection(value: Value) -> Self {
        match value {
            Value::String(message) => MizanError::new(ErrorCode::InternalError, message),
            other => serde_json::from_value::<MizanError>(other.clone())
                .unwrap_or_else(|_| MizanError::new(ErrorCode::InternalError, format!("IPC rejection: {other}"))),
        }
    }

    /// True for failures worth retrying a context fetch on (SPEC §10):
    /// network errors and HTTP 5xx responses, except 501 (the function is
    /// not served; asking again will not change that). Errors without an
    /// HTTP status (IPC rejections) are answers, not retried. The same rule
    /// as the TypeScript kernel.
    pub fn is_retryable(&self) -> bool {
        self.code == ErrorCode::NetworkError || self.status.is_some_and(|s| s >= 500 && s != 501)
    }

    /// For validation errors: the messages per field from
    /// `details.fields.<name>`, in name order. Empty otherwise.
    pub fn field_errors(&self) -> Vec<(String, Vec<String>)> {
        let Some(fields) = self
            .details
            .as_ref()
            .and_then(|d| d.get("fields"))
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        let mut out: Vec<(String, Vec<String>)> = fields
            .iter()
            .map(|(name, msgs)| {
                let msgs = match msgs {
                    Value::Array(items) => items.iter().filter_map(|m| m.as_str().map(str::to_owned)).collect(),
                    Value::String(s) => vec![s.clone()],
                    _ => Vec::new(),
                };
                (name.clone(), msgs)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_kept() {
        for code in [
            "NOT_FOUND",
            "BAD_REQUEST",
            "VALIDATION_ERROR",
            "UNAUTHORIZED",
            "FORBIDDEN",
            "NOT_IMPLEMENTED",
            "INTERNAL_ERROR",
            "NETWORK_ERROR",
            "BAD_RESPONSE",
            "NO_TRANSPORT",
            "TEAPOT",
        ] {
            assert_eq!(ErrorCode::parse(code).as_str(), code);
        }
        assert_eq!(ErrorCode::parse("TEAPOT"), ErrorCode::Other("TEAPOT".into()));
    }

    #[test]
    fn error_envelope_is_parsed_with_status() {
        let body = br#"{"error":{"code":"VALIDATION_ERROR","message":"invalid arguments","details":{"fields":{"b":["required"],"a":"bad"}}}}"#;
        let err = MizanError::from_response(422, body);
        assert_eq!(err.code, ErrorCode::ValidationError);
        assert_eq!(err.message, "invalid arguments");
        assert_eq!(err.status, Some(422));
        assert_eq!(
            err.field_errors(),
            vec![("a".into(), vec!["bad".into()]), ("b".into(), vec!["required".into()])]
        );
        assert!(!err.is_retryable());
    }

    #[test]
    fn non_envelope_bodies_fall_back_to_the_status() {
        let err = MizanError::from_response(502, b"<html>bad gateway</html>");
        assert_eq!(err.code, ErrorCode::InternalError);
        assert_eq!(err.message, "HTTP 502");
        assert_eq!(err.status, Some(502));
        assert!(err.is_retryable());
        assert_eq!(MizanError::from_response(418, b"").code, ErrorCode::InternalError);
        assert_eq!(MizanError::from_response(404, b"").code, ErrorCode::NotFound);
    }

    #[test]
    fn retryable_is_network_or_5xx_but_501() {
        assert!(MizanError::network("down").is_retryable());
        assert!(MizanError::from_response(500, b"").is_retryable());
        assert!(MizanError::from_response(503, b"").is_retryable());
        assert!(!MizanError::from_response(501, b"").is_retryable());
        assert!(!MizanError::from_response(401, b"").is_retryable());
        // No status: an IPC answer, not retried.
        assert!(!MizanError::new(ErrorCode::InternalError, "x").is_retryable());
        assert!(!MizanError::bad_response("x").is_retryable());
    }

    #[test]
    fn ipc_rejections() {
        let err = MizanError::from_rejection(json!({"code": "FORBIDDEN", "message": "staff only"}));
        assert_eq!(err.code, ErrorCode::Forbidden);
        assert_eq!(err.details, None);
        let err = MizanError::from_rejection(json!("command not found"));
        assert_eq!(err.code, ErrorCode::InternalError);
        assert_eq!(err.message, "command not found");
        assert_eq!(MizanError::from_rejection(json!(3)).code, ErrorCode::InternalError);
    }

    #[test]
    fn serializes_as_the_envelope_body() {
        let err = MizanError::new(ErrorCode::NotFound, "no such function");
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({"code": "NOT_FOUND", "message": "no such function"})
        );
        assert_eq!(err.to_string(), "NOT_FOUND: no such function");
    }
}
