//! Server pushes (SPEC §3.1): what a push transport delivers, the
//! connection status the kernel reports, and the reconnect policy.
//!
//! A [`PushTransport`] opens one connection and hands the kernel a stream of
//! [`PushEvent`]s; it never applies a push, never reconnects and never
//! refetches. [`crate::MizanClient::run_push`] (in `push_loop.rs`) does all
//! of that.

use futures::Stream;
use serde::{Deserialize, Serialize};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::runtime::ClientFuture;
use crate::wire::{Invalidation, MergeEntry};

/// The WebSocket close code of a rejected identity (SPEC §3.1).
pub const CLOSE_UNAUTHORIZED: u16 = 4401;

/// A push: `{"op": "push", "invalidate", "merge"?, "fn"?, "client"?}`.
/// Applied exactly like a mutation response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PushMessage {
    /// Contexts to refetch.
    #[serde(default)]
    pub invalidate: Vec<Invalidation>,
    /// Slots to patch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merge: Vec<MergeEntry>,
    /// The mutation that caused it, when it was one.
    #[serde(rename = "fn", default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The id of the client whose call caused it (`X-Mizan-Client`); that
    /// client skips the push, its own response already applied it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

/// What a push connection delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum PushEvent {
    /// A push to apply.
    Push(PushMessage),
    /// The connection ended. `code` is the WebSocket close code when there
    /// was one ([`CLOSE_UNAUTHORIZED`]: the identity was rejected). The
    /// stream ends after this.
    Closed {
        /// The close code, if the peer sent one.
        code: Option<u16>,
        /// Why, for logs.
        reason: String,
    },
}

/// The events of one open connection. `Send` on native targets,
/// thread-local on `wasm32`. Dropping it closes the connection.
#[cfg(not(target_arch = "wasm32"))]
pub type PushStream = Pin<Box<dyn Stream<Item = PushEvent> + Send>>;

/// The events of one open connection. `Send` on native targets,
/// thread-local on `wasm32`. Dropping it closes the connection.
#[cfg(target_arch = "wasm32")]
pub type PushStream = Pin<Box<dyn Stream<Item = PushEvent>>>;

/// Why a connection could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The server rejected the identity (HTTP 401 on the upgrade, close code
    /// 4401, `{"op": "auth", "ok": false}`). The kernel stops reconnecting:
    /// asking again with the same credentials cannot help.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// This transport has no pushes at all (e.g. the Tauri transport outside
    /// Tauri). The kernel stops.
    #[error("pushes unavailable: {0}")]
    Unavailable(String),
    /// Anything else (refused, reset, timed out): the kernel retries.
    #[error("connection failed: {0}")]
    Failed(String),
}

/// What the kernel asks of a push transport when it connects.
#[derive(Debug, Clone, Copy)]
pub struct PushRequest<'a> {
    /// The client's id (`"client"` in frames, `X-Mizan-Client` over HTTP).
    pub client_id: &'a str,
    /// Only pushes touching these contexts (`{"op": "watch"}`); `None`: all.
    pub watch: Option<&'a [String]>,
}

/// Opens push connections. See the module documentation for what a push
/// transport must never do.
pub trait PushTransport: Send + Sync + 'static {
    /// Connects; resolves once the connection is usable (open, and
    /// authenticated when the transport sends an auth frame).
    fn connect<'a>(&'a self, request: PushRequest<'a>) -> ClientFuture<'a, Result<PushStream, PushError>>;
}

impl<T: PushTransport + ?Sized> PushTransport for Arc<T> {
    fn connect<'a>(&'a self, request: PushRequest<'a>) -> ClientFuture<'a, Result<PushStream, PushError>> {
        (**self).connect(request)
    }
}

/// The push connection's status, observable with
/// [`crate::MizanClient::on_status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionStatus {
    /// No push loop is running (none started, or it was dropped), or the
    /// client has no push transport.
    #[default]
    Idle,
    /// Opening the first connection (also while retrying it).
    Connecting,
    /// Connected: pushes arrive.
    Connected,
    /// A connection was lost; retrying with back-off. Mounted instances are
    /// refetched once it is back.
    Reconnecting,
    /// The server rejected the identity (close code 4401). The loop has
    /// stopped; run it again after changing the credentials.
    Unauthorized,
}

/// A callback run with every new connection status.
pub type StatusListener = Arc<dyn Fn(ConnectionStatus) + Send + Sync>;

/// How the push loop reconnects: exponential back-off with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// The delay before the first retry (default 500 ms); doubled for each
    /// further one.
    pub base_delay: Duration,
    /// Upper bound of any one delay (default 30 s).
    pub max_delay: Duration,
    /// A connection that stayed up this long resets the back-off
    /// (default 10 s), so a server that accepts and drops at once is not
    /// hammered.
    pub stable_after: Duration,
    /// A connect that has not completed after this long counts as failed
    /// (default 10 s), so a black-holed network does not hang the loop.
    pub connect_timeout: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            stable_after: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl ReconnectPolicy {
    /// The delay before retry number `attempt` (0-based), with "equal
    /// jitter": half of `base * 2^attempt` (capped) plus a random part of
    /// the other half, so clients dropped together do not come back
    /// together. `random` is uniform in `[0, 1)`.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let factor = 1u32.checked_shl(attempt).unwrap_or(u32::MAX);
        let full = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let half = full / 2;
        half + half.mul_f64(random.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn push_frames_decode() {
        let p: PushMessage = serde_json::from_value(json!({
            "op": "push", "invalidate": ["user", {"context": "user", "params": {"user_id": 5}}],
            "fn": "rename", "client": "c-1", "extra": 1
        }))
        .unwrap();
        assert_eq!(p.invalidate.len(), 2);
        assert_eq!(p.function.as_deref(), Some("rename"));
        assert_eq!(p.client.as_deref(), Some("c-1"));
        let bare: PushMessage = serde_json::from_value(json!({"op": "push"})).unwrap();
        assert!(bare.invalidate.is_empty() && bare.client.is_none());
    }

    #[test]
    fn back_off_is_jittered_doubled_and_capped() {
        let p = ReconnectPolicy::default();
        assert_eq!(p.delay(0, 0.0), Duration::from_millis(250));
        assert_eq!(p.delay(0, 0.999_999).as_millis(), 499);
        assert_eq!(p.delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(p.delay(3, 0.5), Duration::from_millis(3000));
        assert_eq!(p.delay(40, 1.0), Duration::from_secs(30));
        assert_eq!(p.delay(40, 0.0), Duration::from_secs(15));
    }

    #[test]
    fn status_is_lowercase_on_the_wire() {
        assert_eq!(json!(ConnectionStatus::Reconnecting), json!("reconnecting"));
        assert_eq!(json!(ConnectionStatus::Unauthorized), json!("unauthorized"));
    }
}
