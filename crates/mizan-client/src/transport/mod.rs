//! How requests reach a backend. A [`Transport`] only moves bytes: it sends
//! one call, one context fetch or one session request and returns the
//! decoded answer or a [`MizanError`]. It never retries, never decides what
//! to refetch and never touches cached state; the kernel does all of that.
//!
//! Implementations: [`HttpTransport`] (feature `http`, reqwest; the browser's
//! `fetch` on `wasm32`) and, on `wasm32`, [`TauriTransport`] (the
//! `plugin:mizan|mizan_invoke` IPC command). Tests and other runtimes plug in
//! their own.
//!
//! Push transports ([`crate::PushTransport`]) likewise only open a
//! connection and turn its frames into [`crate::PushEvent`]s: `WsTransport`
//! (host, feature `ws`, tokio-tungstenite), `BrowserWsTransport` (`wasm32`,
//! the browser's `WebSocket`) and `TauriPushTransport` (`wasm32`, a Tauri
//! channel opened with `plugin:mizan|mizan_subscribe`). The frames they
//! share are in `ws_frames`.

#[cfg(all(target_arch = "wasm32", feature = "http"))]
mod browser_ws;
#[cfg(feature = "http")]
mod http;
#[cfg(target_arch = "wasm32")]
mod tauri;
#[cfg(target_arch = "wasm32")]
mod tauri_push;
#[cfg(all(not(target_arch = "wasm32"), feature = "ws"))]
mod ws;
mod ws_frames;

#[cfg(all(target_arch = "wasm32", feature = "http"))]
pub use browser_ws::BrowserWsTransport;
#[cfg(feature = "http")]
pub use http::HttpTransport;
#[cfg(target_arch = "wasm32")]
pub use tauri::TauriTransport;
#[cfg(target_arch = "wasm32")]
pub use tauri_push::TauriPushTransport;
#[cfg(all(not(target_arch = "wasm32"), feature = "ws"))]
pub use ws::WsTransport;
pub use ws_frames::ws_url;

use crate::error::MizanError;
use crate::runtime::ClientFuture;
use crate::wire::{CallResponse, ContextData, Params, SessionInfo};

/// The default mount point of the HTTP API (SPEC §3).
pub const DEFAULT_BASE: &str = "/api/mizan";

/// One function call as the kernel hands it to a transport.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct CallRequest<'a> {
    /// The function's name.
    pub function: &'a str,
    /// Its arguments by wire name. Upload arguments hold their envelope
    /// form `{"filename", "content_type", "base64"}` ([`crate::Upload`]),
    /// which is what WebSocket and IPC send.
    pub args: &'a Params,
    /// The session's CSRF token, to send along (HTTP: `X-CSRFToken`).
    pub csrf_token: Option<&'a str>,
    /// The client's id (HTTP: `X-Mizan-Client`; IPC and WebSocket:
    /// `"client"` in the envelope), so the push this call causes is
    /// skipped by this client.
    pub client_id: Option<&'a str>,
    /// The arguments that are files. HTTP sends them as multipart file
    /// parts named after them, next to an `envelope` part holding `{"fn",
    /// "args"}` without them.
    pub uploads: &'a [&'a str],
}

impl<'a> CallRequest<'a> {
    /// A call of `function` with `args`, no token, id or uploads.
    pub fn new(function: &'a str, args: &'a Params) -> Self {
        CallRequest {
            function,
            args,
            csrf_token: None,
            client_id: None,
            uploads: &[],
        }
    }
}

/// Moves Mizan requests to a backend and answers back. See the module
/// documentation for what a transport must never do.
pub trait Transport: Send + Sync + 'static {
    /// `POST {base}/call/` `{"fn", "args"}` (or the IPC `call` envelope).
    fn call<'a>(&'a self, request: CallRequest<'a>) -> ClientFuture<'a, Result<CallResponse, MizanError>>;

    /// `GET {base}/ctx/<context>/?k=v` (or the IPC `fetch` envelope).
    fn fetch<'a>(&'a self, context: &'a str, params: &'a Params) -> ClientFuture<'a, Result<ContextData, MizanError>>;

    /// `GET {base}/session/`. Transports without sessions (IPC) answer
    /// "no CSRF token", the default.
    fn session(&self) -> ClientFuture<'_, Result<SessionInfo, MizanError>> {
        Box::pin(async { Ok(SessionInfo::default()) })
    }
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn call<'a>(&'a self, request: CallRequest<'a>) -> ClientFuture<'a, Result<CallResponse, MizanError>> {
        (**self).call(request)
    }

    fn fetch<'a>(&'a self, context: &'a str, params: &'a Params) -> ClientFuture<'a, Result<ContextData, MizanError>> {
        (**self).fetch(context, params)
    }

    fn session(&self) -> ClientFuture<'_, Result<SessionInfo, MizanError>> {
        (**self).session()
    }
}
