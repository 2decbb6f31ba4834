//! What crosses the IPC boundary (SPEC §3). The request is the core's
//! [`IpcEnvelope`], sent as `{"envelope": {...}}`; the response has exactly
//! the shape of the matching HTTP body; a rejection is the core's
//! [`ErrorBody`]. Only shapes live here, no behaviour.

pub use mizan_core::wire::{CallResponse, ContextBundle, ErrorBody, IpcEnvelope};

use serde::Serialize;

/// What `mizan_invoke` resolves with: the HTTP body of the same request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum IpcResponse {
    /// `op: "call"` → `{"result", "invalidate", "merge"?}`.
    Call(CallResponse),
    /// `op: "fetch"` → `{"<member>": <result>, ...}`, keys sorted.
    Fetch(ContextBundle),
}
