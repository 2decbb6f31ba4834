//! The Tauri push transport (`wasm32`): the same push objects as the
//! WebSocket, delivered through a Tauri channel (SPEC §3.1).
//!
//! It mirrors the little of `@tauri-apps/api/core`'s `Channel` it needs: a
//! callback registered with `window.__TAURI_INTERNALS__.transformCallback`
//! receives `{index, message}` and `{index, end: true}`; messages are
//! delivered in `index` order (they may arrive out of order) and the
//! channel ends at `end`. `plugin:mizan|mizan_subscribe` is invoked with
//! `{"channel": "__CHANNEL__:<id>", "watch"?: [...]}` and answers the
//! subscription's id. Dropping the stream unregisters the callback and
//! invokes `plugin:mizan|mizan_unsubscribe` `{"id"}` (best effort).

use futures::StreamExt;
use futures::channel::mpsc;
use js_sys::{Function, JSON, Promise, Reflect};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::push::{PushError, PushEvent, PushMessage, PushRequest, PushStream, PushTransport};
use crate::runtime::ClientFuture;

/// The command that opens a push channel.
pub const SUBSCRIBE_COMMAND: &str = "plugin:mizan|mizan_subscribe";
/// The command that closes one.
pub const UNSUBSCRIBE_COMMAND: &str = "plugin:mizan|mizan_unsubscribe";

/// Pushes from the app's own backend through the `mizan-tauri` plugin.
#[derive(Debug, Clone, Copy, Default)]
pub struct TauriPushTransport;

impl TauriPushTransport {
    /// The Tauri push transport.
    pub fn new() -> Self {
        TauriPushTransport
    }
}

impl PushTransport for TauriPushTransport {
    fn connect<'a>(&'a self, request: PushRequest<'a>) -> ClientFuture<'a, Result<PushStream, PushError>> {
        let watch = request.watch.map(<[String]>::to_vec);
        Box::pin(open(watch))
    }
}

/// What one raw channel message means.
enum Raw {
    Message(u64, Value),
    End(u64),
}

async fn open(watch: Option<Vec<String>>) -> Result<PushStream, PushError> {
    let internals = internals().ok_or_else(|| PushError::Unavailable("not running inside a Tauri webview".into()))?;
    let transform: Function = Reflect::get(&internals, &"transformCallback".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| PushError::Unavailable("__TAURI_INTERNALS__.transformCallback is missing".into()))?;
    let (tx, rx) = mpsc::unbounded::<Raw>();
    let callback = Closure::<dyn FnMut(JsValue)>::new(move |raw: JsValue| {
        let Some(value) = to_json(&raw) else { return };
        let Some(index) = value.get("index").and_then(Value::as_u64) else {
            return;
        };
        let raw = if value.get("end").is_some() {
            Raw::End(index)
        } else {
            Raw::Message(index, value.get("message").cloned().unwrap_or(Value::Null))
        };
        let _ = tx.unbounded_send(raw);
    });
    let id = transform
        .call2(&internals, callback.as_ref(), &JsValue::FALSE)
        .ok()
        .and_then(|v| v.as_f64())
        .ok_or_else(|| PushError::Unavailable("transformCallback returned no id".into()))?;
    let mut channel = Channel {
        callback_id: id,
        subscription: None,
        _callback: callback,
    };
    let mut payload = json!({ "channel": format!("__CHANNEL__:{id}") });
    if let Some(watch) = watch {
        payload["watch"] = json!(watch);
    }
    match invoke(SUBSCRIBE_COMMAND, &payload).await {
        Ok(subscription) => channel.subscription = Some(subscription),
        Err(rejection) if rejection.get("code").and_then(Value::as_str) == Some("UNAUTHORIZED") => {
            return Err(PushError::Unauthorized(rejection.to_string()));
        }
        Err(rejection) => {
            let text = rejection.to_string();
            // An app whose plugin predates pushes: nothing to reconnect to.
            return Err(if text.contains("not found") || text.contains("not allowed") {
                PushError::Unavailable(text)
            } else {
                PushError::Failed(text)
            });
        }
    }
    let reader = Reader {
        channel,
        rx,
        pending: BTreeMap::new(),
        next_index: 0,
        end: None,
    };
    Ok(Box::pin(futures::stream::unfold(Some(reader), |state| async move {
        let mut reader = state?;
        loop {
            if reader.end == Some(reader.next_index) {
                return Some((
                    PushEvent::Closed {
                        code: None,
                        reason: "the channel ended".into(),
                    },
                    None,
                ));
            }
            if let Some(message) = reader.pending.remove(&reader.next_index) {
                reader.next_index += 1;
                match serde_json::from_value::<PushMessage>(message) {
                    Ok(push) => return Some((PushEvent::Push(push), Some(reader))),
                    Err(_) => continue,
                }
            }
            match reader.rx.next().await {
                Some(Raw::Message(index, message)) => {
                    reader.pending.insert(index, message);
                }
                Some(Raw::End(index)) => reader.end = Some(index),
                None => reader.end = Some(reader.next_index),
            }
        }
    })))
}

/// A channel's messages, put back in `index` order.
struct Reader {
    /// Kept for its `Drop`.
    #[allow(dead_code)]
    channel: Channel,
    rx: mpsc::UnboundedReceiver<Raw>,
    pending: BTreeMap<u64, Value>,
    next_index: u64,
    end: Option<u64>,
}

/// The registered callback and the plugin's subscription; dropping it
/// unregisters both.
struct Channel {
    callback_id: f64,
    subscription: Option<Value>,
    _callback: Closure<dyn FnMut(JsValue)>,
}

impl Drop for Channel {
    fn drop(&mut self) {
        if let Some(internals) = internals() {
            let unregister = Reflect::get(&internals, &"unregisterCallback".into())
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok());
            match unregister {
                Some(f) => {
                    let _ = f.call1(&internals, &JsValue::from_f64(self.callback_id));
                }
                None => {
                    let global: js_sys::Object = js_sys::global();
                    let key = JsValue::from_str(&format!("_{}", self.callback_id));
                    let _ = Reflect::delete_property(&global, &key);
                }
            }
        }
        if let Some(id) = self.subscription.take() {
            let payload = json!({ "id": id });
            wasm_bindgen_futures::spawn_local(async move {
                let _ = invoke(UNSUBSCRIBE_COMMAND, &payload).await;
            });
        }
    }
}

fn internals() -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &"__TAURI_INTERNALS__".into())
        .ok()
        .filter(JsValue::is_object)
}

/// `__TAURI_INTERNALS__.invoke(command, payload)`; the answer or the
/// rejection as JSON.
async fn invoke(command: &str, payload: &Value) -> Result<Value, Value> {
    let internals = internals().ok_or(Value::Null)?;
    let invoke: Function = Reflect::get(&internals, &"invoke".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or(Value::Null)?;
    let args = JSON::parse(&payload.to_string()).map_err(|_| Value::Null)?;
    let promise = invoke
        .call2(&internals, &JsValue::from_str(command), &args)
        .map_err(|e| to_json(&e).unwrap_or(Value::Null))?;
    let promise = promise.dyn_into::<Promise>().unwrap_or_else(|v| Promise::resolve(&v));
    match JsFuture::from(promise).await {
        Ok(v) => Ok(to_json(&v).unwrap_or(Value::Null)),
        Err(e) => Err(to_json(&e).unwrap_or(Value::Null)),
    }
}

fn to_json(v: &JsValue) -> Option<Value> {
    if v.is_undefined() {
        return Some(Value::Null);
    }
    if let Some(err) = v.dyn_ref::<js_sys::Error>() {
        return Some(Value::String(String::from(err.message())));
    }
    let text = JSON::stringify(v).ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}
