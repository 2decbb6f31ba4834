//! Wire types shared by every transport (SPEC §3): the call envelope, call
//! response, context bundle, IPC envelope and the error envelope with its
//! codes and HTTP statuses. Serde only; no transport here.

use crate::invalidation::{Invalidation, MergeEntry, Resolution};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// Body of `POST {base}/call/`: `{"fn": "<name>", "args": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallEnvelope {
    /// Function name.
    #[serde(rename = "fn")]
    pub function: String,
    /// Arguments by wire name (absent means `{}`).
    #[serde(default)]
    pub args: Map<String, Value>,
}

/// A successful call: `{"result", "invalidate", "merge"?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallResponse {
    /// The function's result.
    pub result: Value,
    /// Contexts to refetch (always present, possibly empty).
    pub invalidate: Vec<Invalidation>,
    /// Slots to patch; omitted when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merge: Vec<MergeEntry>,
}

impl CallResponse {
    /// A response carrying a result and its resolution.
    pub fn new(result: Value, resolution: Resolution) -> Self {
        CallResponse {
            result,
            invalidate: resolution.invalidate,
            merge: resolution.merge,
        }
    }
}

/// Body of `GET {base}/ctx/<name>/`: member name → result, keys sorted.
pub type ContextBundle = std::collections::BTreeMap<String, Value>;

/// The payload of the Tauri command `plugin:mizan|mizan_invoke`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum IpcEnvelope {
    /// Call a function.
    Call {
        /// Function name.
        #[serde(rename = "fn")]
        function: String,
        /// Arguments.
        #[serde(default)]
        args: Map<String, Value>,
        /// The calling client's id (SPEC §3.1): pushes the call causes
        /// carry it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// Fetch a context.
    Fetch {
        /// Context name.
        context: String,
        /// Context params.
        #[serde(default)]
        params: Map<String, Value>,
    },
}

/// Error codes of the error envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Unknown function or context (404).
    NotFound,
    /// Malformed JSON, missing `fn`, args not an object (400).
    BadRequest,
    /// Missing or ill-typed arguments; `details.fields.<name>` (422).
    ValidationError,
    /// No or invalid identity (401).
    Unauthorized,
    /// Insufficient auth level, or a private function (403).
    Forbidden,
    /// Known but not served on this transport (501).
    NotImplemented,
    /// The handler failed; no internals leak (500).
    InternalError,
}

impl ErrorCode {
    /// The HTTP status of this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::NotFound => 404,
            ErrorCode::BadRequest => 400,
            ErrorCode::ValidationError => 422,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotImplemented => 501,
            ErrorCode::InternalError => 500,
        }
    }

    /// The wire spelling (`NOT_FOUND`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotImplemented => "NOT_IMPLEMENTED",
            ErrorCode::InternalError => "INTERNAL_ERROR",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The inner object of the error envelope; also what IPC rejects with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The code.
    pub code: ErrorCode,
    /// A message safe to show to clients.
    pub message: String,
    /// Structured details (`fields` for validation errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// `{"error": {"code", "message", "details"?}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

impl ErrorEnvelope {
    /// An envelope without details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorEnvelope {
            error: ErrorBody {
                code,
                message: message.into(),
                details: None,
            },
        }
    }

    /// A `VALIDATION_ERROR` listing messages per field:
    /// `details.fields.<name> = [messages]`.
    pub fn validation(fields: impl IntoIterator<Item = (String, Vec<String>)>) -> Self {
        let fields: Map<String, Value> = fields
            .into_iter()
            .map(|(k, msgs)| (k, Value::Array(msgs.into_iter().map(Value::String).collect())))
            .collect();
        ErrorEnvelope {
            error: ErrorBody {
                code: ErrorCode::ValidationError,
                message: "invalid arguments".into(),
                details: Some(serde_json::json!({ "fields": fields })),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelopes_have_the_spec_shapes() {
        let call: CallEnvelope = serde_json::from_value(json!({"fn": "add", "args": {"a": 1}})).unwrap();
        assert_eq!(call.function, "add");
        let ipc: IpcEnvelope =
            serde_json::from_value(json!({"op": "fetch", "context": "user", "params": {"user_id": 5}})).unwrap();
        assert!(matches!(ipc, IpcEnvelope::Fetch { ref context, .. } if context == "user"));
        let resp = CallResponse {
            result: json!(3),
            invalidate: vec![],
            merge: vec![],
        };
        assert_eq!(
            serde_json::to_value(resp).unwrap(),
            json!({"result": 3, "invalidate": []})
        );
        let err = ErrorEnvelope::validation([("a".to_owned(), vec!["required".to_owned()])]);
        assert_eq!(
            serde_json::to_value(err).unwrap(),
            json!({"error": {"code": "VALIDATION_ERROR", "message": "invalid arguments", "details": {"fields": {"a": ["required"]}}}})
        );
        let statuses: Vec<u16> = [
            ErrorCode::NotFound,
            ErrorCode::BadRequest,
            ErrorCode::ValidationError,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::NotImplemented,
            ErrorCode::InternalError,
        ]
        .iter()
        .map(|c| c.http_status())
        .collect();
        assert_eq!(statuses, [404, 400, 422, 401, 403, 501, 500]);
    }
}
