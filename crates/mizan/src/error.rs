//! Errors: [`MizanError`] is what server functions and the dispatcher
//! return (it becomes the wire error envelope), [`RegistryError`] is what
//! goes wrong when the compile-time registry is assembled at startup.

use mizan_core::wire::{ErrorBody, ErrorCode, ErrorEnvelope};
use serde_json::Value;
use std::fmt;

/// An error on the wire: a code, a message safe to show clients, optional
/// details. Any `std::error::Error` converts into an `INTERNAL_ERROR` whose
/// message is generic (the original is only logged), so `?` works in
/// handlers without leaking internals.
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
            message: "internal error".into(),
            details: None,
            internal: Some(detail.into()),
        }
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

    /// The wire body (what IPC rejects with).
    pub fn body(&self) -> ErrorBody {
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
