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
//!   `http`) or, on `wasm32`, [`transport::TauriTransport`].
//!
//! Architecture invariant: **the kernel decides what to refetch; transports
//! only move bytes.** The state rules live in plain synchronous code
//! (`store`, `merge`, `params`) with no I/O; no task is ever spawned and no
//! async runtime is required.
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
mod runtime;
mod store;
pub mod transport;
mod wire;

pub use client::{ClientBuilder, MizanClient, Subscription, to_params};
pub use error::{ErrorCode, MizanError};
pub use runtime::{ClientFuture, DefaultSleep, RetryPolicy, Sleep};
pub use store::{InstanceState, Listener, Status, TypedState};
pub use transport::{CallRequest, Transport};
pub use wire::{CallResponse, ContextData, Invalidation, MergeEntry, Params, ScopedInvalidation, SessionInfo};

// Re-exported for generated code, so an application needs no direct
// dependency on them to compile it.
pub use serde;
pub use serde_json;
