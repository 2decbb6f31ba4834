//! The plugin's commands. `plugin:mizan|mizan_invoke` only turns the IPC
//! payload into an [`IpcEnvelope`] and hands it to [`Mizan::invoke`]; a
//! payload that is not `{"envelope": <call or fetch envelope>}` is rejected
//! with `BAD_REQUEST`, never a panic or Tauri's own argument error.
//! `plugin:mizan|mizan_subscribe` opens a push subscription delivering the
//! SPEC §3.1 push objects to a Tauri channel; `mizan_unsubscribe` closes
//! it. (Whether the webview may call them at all is Tauri's ACL: the
//! `mizan:default` permission.)

use crate::MizanExt;
use crate::models::{ErrorBody, IpcEnvelope, IpcResponse};
use mizan::MizanError;
use serde::Deserialize;
use serde_json::Value;
use tauri::ipc::{Channel, InvokeBody, InvokeResponseBody, Request};
use tauri::{AppHandle, Runtime};

/// `invoke("plugin:mizan|mizan_invoke", {envelope})`: calls a function or
/// fetches a context; rejects with `{"code", "message", "details"?}`.
///
/// The raw [`Request`] is taken (rather than a typed `envelope` argument) so
/// that a missing or malformed envelope is a Mizan `BAD_REQUEST`, not
/// Tauri's own argument error.
#[tauri::command]
pub(crate) async fn mizan_invoke<R: Runtime>(
    app: AppHandle<R>,
    request: Request<'_>,
) -> Result<IpcResponse, ErrorBody> {
    let envelope = parse_envelope(request.body()).map_err(|e| e.body())?;
    // Managed by the plugin's setup, which runs before any webview exists.
    let Some(mizan) = app.mizan() else {
        tracing::error!("mizan_invoke called before the mizan plugin was set up");
        return Err(MizanError::internal("the mizan plugin is not set up").body());
    };
    mizan.invoke(envelope).await.map_err(|e| e.body())
}

/// `invoke("plugin:mizan|mizan_subscribe", {channel, watch?})`: every push
/// the webview's principal may read (only for the `watch`ed contexts when
/// given) arrives on `channel` as `{"op": "push", ...}`. Resolves with the
/// subscription id.
#[tauri::command]
pub(crate) async fn mizan_subscribe<R: Runtime>(
    app: AppHandle<R>,
    channel: Channel<InvokeResponseBody>,
    watch: Option<Vec<String>>,
) -> Result<u64, ErrorBody> {
    let Some(mizan) = app.mizan() else {
        return Err(MizanError::internal("the mizan plugin is not set up").body());
    };
    Ok(mizan.subscribe(watch, move |frame| {
        channel.send(InvokeResponseBody::Json(frame.to_owned())).is_ok()
    }))
}

/// `invoke("plugin:mizan|mizan_unsubscribe", {id})`: closes a
/// subscription; resolves with whether it was open.
#[tauri::command]
pub(crate) async fn mizan_unsubscribe<R: Runtime>(app: AppHandle<R>, id: u64) -> Result<bool, ErrorBody> {
    let Some(mizan) = app.mizan() else {
        return Err(MizanError::internal("the mizan plugin is not set up").body());
    };
    Ok(mizan.unsubscribe(id))
}

/// Reads `{"envelope": {...}}` from a JSON body, or from raw bytes holding
/// the same JSON.
fn parse_envelope(body: &InvokeBody) -> Result<IpcEnvelope, MizanError> {
    let parsed;
    let payload = match body {
        InvokeBody::Json(value) => value,
        InvokeBody::Raw(bytes) => {
            parsed = serde_json::from_slice::<Value>(bytes)
                .map_err(|e| MizanError::bad_request(format!("the payload is not JSON: {e}")))?;
            &parsed
        }
    };
    let envelope = payload
        .get("envelope")
        .ok_or_else(|| MizanError::bad_request("the payload must be an object with an `envelope`"))?;
    IpcEnvelope::deserialize(envelope).map_err(|e| MizanError::bad_request(format!("malformed envelope: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mizan_core::wire::ErrorCode;
    use serde_json::json;

    fn parse(payload: Value) -> Result<IpcEnvelope, MizanError> {
        parse_envelope(&InvokeBody::Json(payload))
    }

    #[test]
    fn call_and_fetch_envelopes_parse() {
        let call = parse(json!({"envelope": {"op": "call", "fn": "add", "args": {"a": 1}}})).unwrap();
        assert!(
            matches!(call, IpcEnvelope::Call { ref function, ref args, .. } if function == "add" && args["a"] == 1)
        );
        let fetch = parse(json!({"envelope": {"op": "fetch", "context": "user"}})).unwrap();
        assert!(
            matches!(fetch, IpcEnvelope::Fetch { ref context, ref params } if context == "user" && params.is_empty())
        );
        let raw = parse_envelope(&InvokeBody::Raw(
            br#"{"envelope": {"op": "call", "fn": "echo"}}"#.to_vec(),
        ))
        .unwrap();
        assert!(matches!(raw, IpcEnvelope::Call { ref function, .. } if function == "echo"));
    }

    #[test]
    fn malformed_payloads_are_bad_requests() {
        let cases = [
            (json!(null), "`envelope`"),
            (json!([1, 2]), "`envelope`"),
            (json!({"fn": "add"}), "`envelope`"),
            (json!({"envelope": "add"}), "malformed envelope"),
            (json!({"envelope": {"fn": "add"}}), "`op`"),
            (
                json!({"envelope": {"op": "delete", "fn": "add"}}),
                "unknown variant `delete`",
            ),
            (json!({"envelope": {"op": "call", "args": {}}}), "`fn`"),
            (json!({"envelope": {"op": "call", "fn": 7}}), "malformed envelope"),
            (
                json!({"envelope": {"op": "call", "fn": "add", "args": [1, 2]}}),
                "malformed envelope",
            ),
            (json!({"envelope": {"op": "fetch", "params": {}}}), "`context`"),
            (
                json!({"envelope": {"op": "fetch", "context": "user", "params": "user_id=5"}}),
                "malformed envelope",
            ),
        ];
        for (payload, needle) in cases {
            let err = parse(payload.clone()).unwrap_err();
            assert_eq!(err.code, ErrorCode::BadRequest, "{payload}");
            assert!(err.message.contains(needle), "{payload}: {}", err.message);
        }
        let err = parse_envelope(&InvokeBody::Raw(b"\xff not json".to_vec())).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadRequest);
    }
}
