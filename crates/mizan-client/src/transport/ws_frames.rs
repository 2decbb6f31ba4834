//! The WebSocket frames every push transport shares (SPEC §3.1): the URL,
//! the client's `auth` and `watch` frames, and the reading of a server
//! frame. JSON text only; no I/O here.
//!
//! A host build without the `ws` feature has no push transport: only
//! [`ws_url`] is used there.
#![cfg_attr(not(any(target_arch = "wasm32", feature = "ws")), allow(dead_code))]

use serde_json::{Value, json};

use crate::push::PushMessage;

/// The WebSocket URL of the API mounted at `base`: `http` → `ws`, `https`
/// → `wss`, then `/ws/`. A base without a scheme is returned with `/ws/`
/// appended (the browser transport resolves it against the page first).
pub fn ws_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    let base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    };
    format!("{base}/ws/")
}

/// `{"op": "auth", "token": "<MWT>"}`: the identity, for clients that cannot
/// set headers on the upgrade (browsers).
pub(crate) fn auth_frame(token: &str) -> String {
    json!({"op": "auth", "token": token}).to_string()
}

/// `{"op": "watch", "contexts": [...]}`: only pushes touching these.
pub(crate) fn watch_frame(contexts: &[String]) -> String {
    json!({"op": "watch", "contexts": contexts}).to_string()
}

/// What a server frame means to a push transport.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Frame {
    /// A push.
    Push(PushMessage),
    /// `{"op": "auth", "ok": true}`.
    AuthOk,
    /// `{"op": "auth", "ok": false, ...}` or an `UNAUTHORIZED` error.
    AuthRejected(String),
    /// Anything else (replies to calls, errors about other frames, frames
    /// of a newer protocol): ignored by the push loop.
    Other,
}

impl Frame {
    /// Reads one text frame. Never fails: what cannot be read is `Other`.
    pub(crate) fn parse(text: &str) -> Frame {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return Frame::Other;
        };
        match value.get("op").and_then(Value::as_str) {
            Some("push") => serde_json::from_value(value).map_or(Frame::Other, Frame::Push),
            Some("auth") => {
                if value.get("ok").and_then(Value::as_bool) == Some(true) {
                    Frame::AuthOk
                } else {
                    Frame::AuthRejected(describe_error(&value))
                }
            }
            _ => {
                let code = value.pointer("/error/code").and_then(Value::as_str);
                if code == Some("UNAUTHORIZED") && value.get("id").is_none_or(Value::is_null) {
                    Frame::AuthRejected(describe_error(&value))
                } else {
                    Frame::Other
                }
            }
        }
    }
}

fn describe_error(value: &Value) -> String {
    value
        .pointer("/error/message")
        .and_then(Value::as_str)
        .unwrap_or("the server rejected the identity")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(ws_url("http://h:1/api/mizan/"), "ws://h:1/api/mizan/ws/");
        assert_eq!(ws_url("https://h/api/mizan"), "wss://h/api/mizan/ws/");
        assert_eq!(ws_url("/api/mizan"), "/api/mizan/ws/");
    }

    #[test]
    fn frames() {
        assert_eq!(Frame::parse(r#"{"op":"auth","ok":true}"#), Frame::AuthOk);
        assert!(matches!(
            Frame::parse(r#"{"op":"auth","ok":false}"#),
            Frame::AuthRejected(_)
        ));
        assert!(matches!(
            Frame::parse(r#"{"id":null,"error":{"code":"UNAUTHORIZED","message":"bad token"}}"#),
            Frame::AuthRejected(m) if m == "bad token"
        ));
        assert_eq!(
            Frame::parse(r#"{"id":3,"error":{"code":"UNAUTHORIZED","message":"x"}}"#),
            Frame::Other
        );
        assert_eq!(Frame::parse(r#"{"id":1,"result":2}"#), Frame::Other);
        assert_eq!(Frame::parse("not json"), Frame::Other);
        match Frame::parse(r#"{"op":"push","invalidate":["user"],"client":"me"}"#) {
            Frame::Push(p) => assert_eq!(p.client.as_deref(), Some("me")),
            other => panic!("{other:?}"),
        }
        assert_eq!(auth_frame("t"), r#"{"op":"auth","token":"t"}"#);
        let watch: Value = serde_json::from_str(&watch_frame(&["user".into()])).unwrap();
        assert_eq!(watch, json!({"op": "watch", "contexts": ["user"]}));
    }
}
