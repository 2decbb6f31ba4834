//! How requests reach a backend. A [`Transport`] only moves bytes: it sends
//! one call, one context fetch or one session request and returns the
//! decoded answer or a [`MizanError`]. It never retries, never decides what
//! to refetch and never touches cached state; the kernel does all of that.
//!
//! Implementations: [`HttpTransport`] (feature `http`, reqwest; the browser's
//! `fetch` on `wasm32`) and, on `wasm32`, [`TauriTransport`] (the
//! `plugin:mizan|mizan_invoke` IPC command). Tests and other runtimes plug in
//! their own.

#[cfg(feature = "http")]
mod http;
#[cfg(target_arch = "wasm32")]
mod tauri;

#[cfg(feature = "http")]
pub use http::HttpTransport;
#[cfg(target_arch = "wasm32")]
pub use tauri::TauriTransport;

use crate::error::MizanError;
use crate::runtime::ClientFuture;
use crate::wire::{CallResponse, ContextData, Params, SessionInfo};

/// The default mount point of the HTTP API (SPEC §3).
pub const DEFAULT_BASE: &str = "/api/mizan";

/// One function call as the kernel hands it to a transport.
#[derive(Debug, Clone, Copy)]
pub struct CallRequest<'a> {
    /// The function's name.
    pub function: &'a str,
    /// Its arguments by wire name.
    pub args: &'a Params,
    /// The session's CSRF token, to send along (HTTP: `X-CSRFToken`).
    pub csrf_token: Option<&'a str>,
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
