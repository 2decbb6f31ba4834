//! The Tauri IPC transport (SPEC §3), `wasm32` only: one command,
//! `plugin:mizan|mizan_invoke`, with `{"envelope": {"op": "call", "fn",
//! "args", "client"}}` (uploads in their `{"filename", "content_type",
//! "base64"}` form) or `{"envelope": {"op": "fetch", "context", "params"}}`; the
//! answers have the HTTP bodies' shapes and failures reject with `{"code",
//! "message", "details"?}`.
//!
//! `window.__TAURI_INTERNALS__.invoke` is looked up at call time, so a page
//! opened outside Tauri gets a `NO_TRANSPORT` error instead of a crash. Values
//! cross the boundary as JSON text (`JSON.parse` / `JSON.stringify`), which
//! keeps this free of extra serialization crates.

use js_sys::{Function, JSON, Promise, Reflect};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{CallRequest, Transport};
use crate::error::{ErrorCode, MizanError};
use crate::runtime::ClientFuture;
use crate::wire::{CallResponse, ContextData, Params};

/// The plugin command every request goes through.
pub const COMMAND: &str = "plugin:mizan|mizan_invoke";

/// Talks to the app's own backend through the `mizan-tauri` plugin.
#[derive(Debug, Clone, Copy, Default)]
pub struct TauriTransport;

impl TauriTransport {
    /// The IPC transport.
    pub fn new() -> Self {
        TauriTransport
    }
}

impl Transport for TauriTransport {
    fn call<'a>(&'a self, request: CallRequest<'a>) -> ClientFuture<'a, Result<CallResponse, MizanError>> {
        let mut envelope = json!({"op": "call", "fn": request.function, "args": request.args});
        if let Some(id) = request.client_id {
            envelope["client"] = json!(id);
        }
        Box::pin(invoke(envelope))
    }

    fn fetch<'a>(&'a self, context: &'a str, params: &'a Params) -> ClientFuture<'a, Result<ContextData, MizanError>> {
        let envelope = json!({"op": "fetch", "context": context, "params": params});
        Box::pin(invoke(envelope))
    }
}

async fn invoke<T: DeserializeOwned>(envelope: Value) -> Result<T, MizanError> {
    let promise = start(&json!({ "envelope": envelope }))?;
    match JsFuture::from(promise).await {
        Ok(answer) => {
            let value = to_json(&answer)?;
            serde_json::from_value(value).map_err(|e| MizanError::bad_response(format!("IPC answer: {e}")))
        }
        Err(rejection) => Err(MizanError::from_rejection(to_json(&rejection)?)),
    }
}

/// Calls `__TAURI_INTERNALS__.invoke(COMMAND, payload)`.
fn start(payload: &Value) -> Result<Promise, MizanError> {
    let unavailable = || {
        MizanError::new(
            ErrorCode::NoTransport,
            "not running inside a Tauri webview (window.__TAURI_INTERNALS__.invoke is missing)",
        )
    };
    let internals = Reflect::get(&js_sys::global(), &JsValue::from_str("__TAURI_INTERNALS__"))
        .ok()
        .filter(|v| v.is_object())
        .ok_or_else(unavailable)?;
    let invoke: Function = Reflect::get(&internals, &JsValue::from_str("invoke"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(unavailable)?;
    let args = JSON::parse(&payload.to_string()).map_err(|e| MizanError::bad_response(describe(&e)))?;
    let returned = invoke
        .call2(&internals, &JsValue::from_str(COMMAND), &args)
        .map_err(|e| MizanError::network(format!("invoke threw: {}", describe(&e))))?;
    Ok(returned.dyn_into::<Promise>().unwrap_or_else(|v| Promise::resolve(&v)))
}

/// A JS value as JSON (`undefined` → null; `Error` objects by message).
fn to_json(v: &JsValue) -> Result<Value, MizanError> {
    if v.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(err) = v.dyn_ref::<js_sys::Error>() {
        return Ok(Value::String(String::from(err.message())));
    }
    let text = JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| MizanError::bad_response("IPC value is not JSON"))?;
    serde_json::from_str(&text).map_err(|e| MizanError::bad_response(format!("IPC value: {e}")))
}

fn describe(v: &JsValue) -> String {
    v.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| v.as_string())
        .unwrap_or_else(|| format!("{v:?}"))
}
