//! The frames of the devtools WebSocket (protocol [`PROTOCOL`]), shared by
//! the server and the client. JSON text, one object per frame, `"op"` says
//! which.
//!
//! Server → observer:
//! * `{"op":"hello","protocol":1,"name":"afi-server","pid":123,"replay":true,"ir":"<KDL>"}`
//!   — first, once.
//! * `{"op":"events","events":[{"seq":7,"at_ms":…,"kind":"call"|"fetch"|"commit"|"push",…},…]}`
//!   — the [`mizan::devtools::Event`]s recorded since the last such frame
//!   (what the server sends), or `{"op":"event","seq":7,…}`, one event
//!   flattened (still read). [`crate::Client`] hands either out as one
//!   [`ServerFrame::Event`] per event.
//! * `{"op":"replayed","id":1,"duration_us":…,"result":…}` or
//!   `{"op":"replayed","id":1,"duration_us":…,"error":{"code","message","details"?}}`
//!   — the answer to a replay (`result` is the call's `{"result",
//!   "invalidate", "merge"?}` body or a fetch's bundle).
//! * `{"op":"error","id":null,"error":{…}}` — a frame it could not read
//!   (the connection stays open).
//!
//! Observer → server:
//! * `{"op":"replay","id":1,"envelope":{"op":"call","fn":"rename","args":{…},"client"?:"…"}}`
//!   or `…"envelope":{"op":"fetch","context":"user","params":{…}}`, with
//!   optional `"headers":{"X-Mizan-Token":"…"}` (who the replay runs as,
//!   identified like the transport's own requests) or `"internal":true`
//!   (run as the server itself: private functions allowed, no principal).
//!   A call without `client` gets `devtools:replay:<id>`, so its event is
//!   recognisable.

use mizan::devtools::{Event, EventError};
use mizan_core::wire::IpcEnvelope;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

/// The protocol version in `hello` and in discovery files.
pub const PROTOCOL: u32 = 1;

/// A frame from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum ServerFrame {
    /// The first frame.
    Hello(Hello),
    /// Something happened in the app.
    Event(Event),
    /// A replay's answer.
    Replayed(Replayed),
    /// A frame the server could not read.
    Error(FrameError),
}

impl ServerFrame {
    /// Reads a frame. Event frames — nearly all of them — are read in one
    /// pass (the server writes `"op"` first), without the buffering a
    /// tagged enum needs.
    pub fn from_text(text: &str) -> serde_json::Result<ServerFrame> {
        if text.starts_with(r#"{"op":"event","#) {
            serde_json::from_str::<Event>(text).map(ServerFrame::Event)
        } else {
            serde_json::from_str(text)
        }
    }
}

/// The server's first frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// [`PROTOCOL`].
    pub protocol: u32,
    /// The app's name (as in its discovery file).
    pub name: String,
    /// Its process id.
    pub pid: u32,
    /// Whether it accepts replays.
    pub replay: bool,
    /// The app's canonical IR (KDL), for predictions and "why".
    pub ir: String,
}

/// A replay's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replayed {
    /// The request's `id`.
    pub id: u64,
    /// Time the app took, in µs.
    pub duration_us: u64,
    /// The answer body (a call's `{"result","invalidate","merge"?}`, a
    /// fetch's bundle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// Or the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<EventError>,
}

/// A frame the server refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameError {
    /// The frame's `id`, when it had one.
    pub id: Option<u64>,
    /// Why (`BAD_REQUEST`).
    pub error: EventError,
}

/// A frame from the observer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum ClientFrame {
    /// Run a call or fetch in the app.
    Replay(Replay),
}

/// A replay request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replay {
    /// Chosen by the observer; echoed in [`Replayed::id`].
    pub id: u64,
    /// What to run (the IPC envelope shape, SPEC §3).
    pub envelope: IpcEnvelope,
    /// Request headers identifying the caller (`X-Mizan-Token`,
    /// `Authorization`), for adapters that identify by headers. Never
    /// recorded.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Run as the server itself (`Origin::Internal`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
}

/// How an `events` frame begins.
const EVENTS_PREFIX: &str = "{\"op\":\"events\",\"events\":";

/// A batch's frame: `{"op":"events","events":[` + the batch's
/// comma-separated event objects ([`mizan::devtools::Batch::json`],
/// copied once, never re-serialized) + `]}`.
pub(crate) fn events_frame(batch_json: &str) -> String {
    let mut frame = String::with_capacity(EVENTS_PREFIX.len() + batch_json.len() + 3);
    frame.push_str(EVENTS_PREFIX);
    frame.push('[');
    frame.push_str(batch_json);
    frame.push_str("]}");
    frame
}

/// Reads a text frame into the frames it carries (an `events` frame
/// carries one [`ServerFrame::Event`] per event), in order.
pub(crate) fn read_text(text: &str, into: &mut VecDeque<ServerFrame>) -> serde_json::Result<()> {
    if let Some(rest) = text.strip_prefix(EVENTS_PREFIX) {
        let array = rest
            .strip_suffix('}')
            .ok_or_else(|| <serde_json::Error as serde::de::Error>::custom("an `events` frame must end with `]}`"))?;
        let events: Vec<Event> = serde_json::from_str(array)?;
        into.extend(events.into_iter().map(ServerFrame::Event));
        return Ok(());
    }
    into.push_back(ServerFrame::from_text(text)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mizan::devtools::{Caller, EventKind, FetchEvent, Status, Transport};
    use serde_json::{Map, json};

    /// A one-event frame, `{"op":"event",…}` (what protocol 1 servers sent
    /// for each event; still read).
    fn event_frame(event: &Event) -> String {
        let json = serde_json::to_string(event).expect("serializes");
        format!("{{\"op\":\"event\",{}", &json[1..])
    }

    #[test]
    fn an_events_frame_reads_back_as_one_event_frame_each() {
        let events: Vec<Event> = (1..=3)
            .map(|seq| Event {
                seq,
                at_ms: 10 + seq,
                kind: EventKind::Fetch(FetchEvent {
                    id: seq,
                    context: "user".into(),
                    params: json!({"user_id": seq}).as_object().cloned().unwrap_or_default(),
                    caller: Caller {
                        transport: Transport::Ipc,
                        principal: None,
                        client: Some("c".into()),
                    },
                    duration_us: 7,
                    status: Status::Ok,
                    error: None,
                    cache: None,
                    cache_reason: None,
                }),
            })
            .collect();
        let batch: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(e).expect("serializes"))
            .collect();
        let text = events_frame(&batch.join(","));
        let value: Value = serde_json::from_str(&text).expect("the frame is JSON");
        assert_eq!(value["op"], "events");
        let mut frames = VecDeque::new();
        read_text(&text, &mut frames).expect("reads");
        assert_eq!(
            frames,
            events.into_iter().map(ServerFrame::Event).collect::<VecDeque<_>>()
        );
        // A cut frame is an error that says so, not a panic.
        let mut frames = VecDeque::new();
        let err = read_text(&text[..text.len() - 1], &mut frames).expect_err("cut");
        assert!(err.to_string().contains("must end with"), "{err}");
        assert!(frames.is_empty());
    }

    #[test]
    fn an_event_frame_reads_back() {
        let event = Event {
            seq: 3,
            at_ms: 1_700_000_000_000,
            kind: EventKind::Fetch(FetchEvent {
                id: 2,
                context: "user".into(),
                params: json!({"user_id": 5}).as_object().cloned().unwrap_or_default(),
                caller: Caller {
                    transport: Transport::Http,
                    principal: Some("5".into()),
                    client: None,
                },
                duration_us: 40,
                status: Status::Ok,
                error: None,
                cache: Some(mizan::CacheStatus::Miss),
                cache_reason: Some(mizan::CacheReason::NoEntry),
            }),
        };
        let text = event_frame(&event);
        let value: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(value["op"], "event");
        assert_eq!(value["kind"], "fetch");
        assert_eq!(value["cache"], "MISS");
        assert_eq!(value["cache_reason"], "no_entry");
        assert_eq!(value["transport"], "http");
        let back: ServerFrame = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back, ServerFrame::Event(event));
    }

    #[test]
    fn every_kind_reads_back_on_both_paths() {
        use mizan::devtools::{CallEvent, CommitEvent, EventError, PushEvent};
        let caller = Caller {
            transport: Transport::Websocket,
            principal: None,
            client: Some("c".into()),
        };
        let invalidate: Vec<mizan_core::invalidation::Invalidation> =
            serde_json::from_value(json!(["stats", {"context": "user", "params": {"user_id": 5}}])).unwrap_or_default();
        let kinds = [
            EventKind::Call(CallEvent {
                id: 1,
                function: "rename".into(),
                args: json!({"user_id": 5}).as_object().cloned().unwrap_or_default(),
                caller: caller.clone(),
                duration_us: 9,
                status: Status::Ok,
                error: None,
                result: Some(Value::Null),
                invalidate: invalidate.clone(),
                merge: Vec::new(),
            }),
            EventKind::Call(CallEvent {
                id: 2,
                function: "x".into(),
                args: Map::new(),
                caller: caller.clone(),
                duration_us: 1,
                status: Status::Error,
                error: Some(EventError {
                    code: mizan_core::wire::ErrorCode::Forbidden,
                    message: "no".into(),
                    details: None,
                }),
                result: None,
                invalidate: Vec::new(),
                merge: Vec::new(),
            }),
            EventKind::Commit(CommitEvent {
                call: Some(1),
                function: Some("rename".into()),
                caller,
                invalidate: invalidate.clone(),
                merge: Vec::new(),
            }),
            EventKind::Push(PushEvent {
                commit: Some(3),
                call: None,
                function: None,
                client: None,
                invalidate,
                merge: Vec::new(),
                delivered: 2,
                remote: true,
            }),
        ];
        for (seq, kind) in kinds.into_iter().enumerate() {
            let event = Event {
                seq: seq as u64,
                at_ms: 5,
                kind,
            };
            let text = event_frame(&event);
            assert_eq!(
                ServerFrame::from_text(&text).expect("fast path"),
                ServerFrame::Event(event.clone()),
                "{text}"
            );
            assert_eq!(
                serde_json::from_str::<ServerFrame>(&text).expect("generic path"),
                ServerFrame::Event(event)
            );
        }
        let broken = r#"{"op":"event","seq":1,"at_ms":2,"kind":"call","fn":"add"}"#;
        let err = ServerFrame::from_text(broken).expect_err("no id");
        assert!(err.to_string().contains("needs `id`"), "{err}");
        let unknown = r#"{"op":"event","seq":1,"at_ms":2,"kind":"teleport"}"#;
        assert!(ServerFrame::from_text(unknown).is_err());
    }

    #[test]
    fn a_replay_frame_reads() {
        let frame: ClientFrame = serde_json::from_value(json!({
            "op": "replay", "id": 9,
            "envelope": {"op": "call", "fn": "add", "args": {"a": 1, "b": 2}},
            "internal": true
        }))
        .expect("a replay");
        let ClientFrame::Replay(replay) = frame;
        assert_eq!(replay.id, 9);
        assert!(replay.internal);
        assert!(matches!(replay.envelope, IpcEnvelope::Call { ref function, .. } if function == "add"));
    }
}
