//! The one module that connects the UI to the studio's backend.
//!
//! It only picks the transport of the generated client (`api/`): the Tauri
//! IPC plugin inside the studio window, HTTP on `/api/mizan` (pushes over
//! its WebSocket) in web mode. Everything the UI shows comes from the
//! generated `use_*_context` hooks, refetched by the kernel when a
//! mutation's response or a push says what changed — this module must
//! never grow a hand-written refetch or a cache of its own.

use crate::api;
use mizan_client::MizanClient;

/// True inside the Tauri webview (`window.__TAURI_INTERNALS__` exists).
pub fn in_tauri_window() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &"__TAURI_INTERNALS__".into()).unwrap_or(false)
}

/// Which transport the client uses, for the status bar.
pub fn transport_name() -> &'static str {
    if in_tauri_window() { "ipc" } else { "http" }
}

/// The typed client of the studio's API over the right transport.
#[cfg(target_arch = "wasm32")]
pub fn client() -> api::Client {
    let kernel = if in_tauri_window() {
        MizanClient::tauri()
    } else {
        match MizanClient::http(api::DEFAULT_BASE_URL) {
            Ok(kernel) => kernel,
            // Not reachable on wasm32 (the browser's fetch needs no set-up);
            // IPC is the only other transport there is.
            Err(_) => MizanClient::tauri(),
        }
    };
    api::Client::new(kernel)
}

/// The host build only exists for the UI's unit tests: HTTP, no window.
#[cfg(not(target_arch = "wasm32"))]
pub fn client() -> api::Client {
    match MizanClient::http(api::DEFAULT_BASE_URL) {
        Ok(kernel) => api::Client::new(kernel),
        Err(e) => panic!("no HTTP client on this host: {e}"),
    }
}
