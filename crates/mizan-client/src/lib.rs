//! # mizan-client
//!
//! The Rust client kernel of Mizan (SPEC §10), with the same reconciliation
//! semantics as the TypeScript kernel. The generated `rust` and `leptos`
//! clients are thin typed layers over it.
//!
//! * [`MizanClient`] keeps one [`InstanceState`] `{data, status, error}` per
//!   `(context, params)` instance, with subscriptions
//!   ([`MizanClient::subscribe`]);
//! * a successful [`MizanClient::call`] applies the response's `merge`
//!   entries (direct, upsert by identity field, replace) and refetches the
//!   mounted instances its `invalidate` entries select (scoped: params match
//!   every key as strings; broad: every instance), batched and
//!   de-duplicated; a failed call changes nothing and is never retried;
//! * context fetches retry twice on network errors and 5xx, with back-off;
//! * calls initialise the session (`GET {base}/session/`, CSRF token) first;
//! * a [`Transport`] moves the bytes: [`transport::HttpTransport`] (feature
//!   `http`) or, on `wasm32`, [`transport::TauriTransport`]; arguments of
//!   shape `upload` are [`Upload`]s (multipart over HTTP);
//! * server pushes (SPEC §3.1) arrive through a [`PushTransport`] (the
//!   WebSocket `{base}/ws/`, or a Tauri channel) while the application runs
//!   [`MizanClient::run_push`]; each is applied like a mutation response,
//!   except those caused by this client's own calls
//!   ([`MizanClient::client_id`]); the loop reconnects with jittered
//!   back-off, refetches every mounted instance once back, and reports a
//!   [`ConnectionStatus`] ([`MizanClient::on_status`]).
//!
//! Architecture invariant: **the kernel decides what to refetch; transports
//! only move bytes.** The state rules live in plain synchronous code
//! (`store`, `merge`, `params`) with no I/O; no task is ever spawned and no
//! async runtime is required — the push loop is a future the application
//! (or the Leptos bindings) runs.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mizan_client::MizanError> {
//! use mizan_client::MizanClient;
//! use serde_json::json;
//!
//! let client = MizanClient::http("http://127.0.0.1:8000/api/mizan")?;
//! let sum: serde_json::Value = client.call_as("add", &json!({"a": 1, "b": 2})).await?;
//! # Ok(()) }
//! ```

mod client;
mod error;
pub mod merge;
pub mod params;
mod push;
mod push_loop;
mod random;
mod runtime;
mod store;
#[cfg(test)]
mod test_mock;
pub mod transport;
mod upload;
mod wire;

pub use client::{ClientBuilder, MizanClient, StatusSubscription, Subscription, to_params};
pub use error::{ErrorCode, MizanError};
pub use push::{
    CLOSE_UNAUTHORIZED, ConnectionStatus, PushError, PushEvent, PushMessage, PushRequest, PushStream, PushTransport,
    ReconnectPolicy, StatusListener,
};
pub use push_loop::PushStop;
pub use runtime::{ClientFuture, DefaultSleep, RetryPolicy, Sleep};
pub use store::{InstanceState, Listener, ResponsePlan, Status, TypedState, plan_response};
pub use transport::{CallRequest, Transport};
pub use upload::{OCTET_STREAM, Upload};
pub use wire::{CallResponse, ContextData, Invalidation, MergeEntry, Params, ScopedInvalidation, SessionInfo};

// Re-exported for generated code, so an application needs no direct
// dependency on them to compile it.
pub use serde;
pub use serde_json;
