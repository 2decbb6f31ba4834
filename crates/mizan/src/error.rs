//! Errors: [`MizanError`] is what server functions and the dispatcher
//! return (it becomes the wire error envelope), [`RegistryError`] is what
//! goes wrong when the compile-time registry is assembled at startup.

use mizan_core::wire::{ErrorBody, ErrorCode, ErrorEnvelope};
use serde_json::Value;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The message every `INTERNAL_ERROR` shows clients, whatever was put in it.
pub const INTERNAL_MESSAGE: &str = "internal error";

/// An error on the wire: a code, a message safe to show clients, optional
/// details. Any `std::error::Error` converts into an `INTERNAL_ERROR` whose
/// message is generic (the original is only logged), so `?` works in
/// handlers without leaking internals.
///
/// An `INTERNAL_ERROR` never shows its message or details on the wire
/// ([`MizanError::body`]): clients see `internal error` and
/// `details.request_id`, the id under which the dispatcher logged the
/// detail.
#[derive(Debug, Clone, PartialEq)]
pub struct MizanError {
    /// The code (and HTTP status).
    pub code: ErrorCode,
    /// Client-visible message.
    pub message: String,
    /// Structured details (`fields` for validation errors).
    pub details: Option<Value>,
    /// Server-side detail for logs; never sent.
    pub internal: Option<String>,
}

impl MizanError {
    /// An error with a code and client-visible message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        MizanError {
            code,
            message: message.into(),
            details: None,
            internal: None,
        }
    }

    /// `NOT_FOUND`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// `BAD_REQUEST`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// `UNAUTHORIZED`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// `FORBIDDEN`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// `NOT_IMPLEMENTED`.
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotImplemented, message)
    }

    /// `VALIDATION_ERROR` with `details.fields.<name> = [messages]`.
    pub fn validation(fields: impl IntoIterator<Item = (String, Vec<String>)>) -> Self {
        let body = ErrorEnvelope::validation(fields).error;
        MizanError {
            code: body.code,
            message: body.message,
            details: body.details,
            internal: None,
        }
    }

    /// `INTERNAL_ERROR`; `detail` is logged, clients see a generic message.
    pub fn internal(detail: impl Into<String>) -> Self {
        MizanError {
            code: ErrorCode::InternalError,
            message: INTERNAL_MESSAGE.into(),
            details: None,
            internal: Some(detail.into()),
        }
    }

    /// The id an `INTERNAL_ERROR` was logged under (`details.request_id`).
    pub fn request_id(&self) -> Option<&str> {
        self.details.as_ref()?.get("request_id")?.as_str()
    }

    /// An `INTERNAL_ERROR` ready for the wire: a fresh request id in
    /// `details`, the generic message, and everything the handler put in
    /// the message and details moved to `internal`. Returns the id (the
    /// dispatcher logs the detail under it). Other codes are unchanged.
    pub(crate) fn seal_internal(&mut self) -> Option<String> {
        if self.code != ErrorCode::InternalError {
            return None;
        }
        let id = new_request_id();
        let mut detail: Vec<String> = Vec::new();
        if self.message != INTERNAL_MESSAGE {
            detail.push(std::mem::take(&mut self.message));
        }
        if let Some(internal) = self.internal.take() {
            detail.push(internal);
        }
        if let Some(details) = self.details.take() {
            detail.push(format!("details: {details}"));
        }
        self.message = INTERNAL_MESSAGE.into();
        self.internal = (!detail.is_empty()).then(|| detail.join("; "));
        self.details = Some(serde_json::json!({ "request_id": id }));
        Some(id)
    }

    /// Adds details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.code.http_status()
    }

    /// The wire body (what IPC rejects with). An `INTERNAL_ERROR` shows
    /// the generic message and, of its details, only `request_id`.
    pub fn body(&self) -> ErrorBody {
        if self.code == ErrorCode::InternalError {
            return ErrorBody {
                code: self.code,
                message: INTERNAL_MESSAGE.into(),
                details: self.request_id().map(|id| serde_json::json!({ "request_id": id })),
            };
        }
        ErrorBody {
            code: self.code,
            message: self.message.clone(),
            details: self.details.clone(),
        }
    }

    /// The wire envelope `{"error": {...}}`.
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope { error: self.body() }
    }
}

impl fmt::Display for MizanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(internal) = &self.internal {
            write!(f, " ({internal})")?;
        }
        Ok(())
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for MizanError {
    fn from(e: E) -> Self {
        MizanError::internal(e.to_string())
    }
}

/// A request id: 16 hex digits, unique within the process (a bijective mix
/// of a counter) and unpredictable across processes (a random seed from
/// the standard library's hasher keys). No clock, no I/O.
fn new_request_id() -> String {
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| RandomState::new().hash_one(0x6d697a616e_u64));
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // splitmix64: a bijection, so distinct counters give distinct ids.
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    format!("{:016x}", z ^ (z >> 31))
}

/// The registry could not be assembled (a startup error, never a silent
/// override).
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Two `#[mizan::client]` functions share a name.
    #[error("duplicate server function `{name}` ({first} and {second})")]
    DuplicateFunction {
        /// The name.
        name: String,
        /// Where the first one is (`file:line`).
        first: String,
        /// Where the second one is.
        second: String,
    },
    /// Two `#[mizan::context]` types share a context name.
    #[error("two contexts are both called `{name}` ({first} and {second}); rename one")]
    DuplicateContext {
        /// The name.
        name: String,
        /// Where the first one is (`file:line`).
        first: String,
        /// Where the second one is.
        second: String,
    },
    /// Two named types with different bodies share a name.
    #[error("two different types are both called `{name}`; rename one (serde `rename` works)")]
    TypeConflict {
        /// The name.
        name: String,
    },
    /// The IR built from the registry fails the graph checks.
    #[error("the server functions do not form a valid IR:\n{}", .diagnostics.join("\n"))]
    Invalid {
        /// `error[code]: message` lines.
        diagnostics: Vec<String>,
    },
}
