//! `GET {base}/ws/` (SPEC §3.1): calls, fetches and pushes over one
//! WebSocket.
//!
//! * Another site's page cannot open one: an upgrade whose `Origin` is
//!   not allowed (SPEC §3.3, `origin.rs`) is answered 403 before the
//!   upgrade, identification or subscription.
//! * Identity: from the upgrade request like HTTP (`X-Mizan-Token`,
//!   `Authorization`, cookies), or a later `{"op":"auth","token"}` frame
//!   (answered `{"op":"auth","ok":true}`). A rejected credential closes the
//!   socket with code 4401.
//! * Frames are JSON text. `call` and `fetch` run concurrently (at most
//!   [`MAX_IN_FLIGHT`] per connection) through the same [`mizan::Registry`]
//!   as HTTP, with `Origin::WebSocket`; `watch` narrows the pushes. A
//!   malformed frame gets an error reply (`id` null when it had none) and
//!   the connection stays open; a frame over the body limit closes it
//!   cleanly (1009).
//! * Pushes come from the state's [`mizan::PushHub`], filtered for the
//!   connection's principal. A consumer too slow to drain its queue is
//!   closed (1008) rather than buffered without bound.
//! * Keep-alive: a ping every [`PING_EVERY`]; a connection silent for
//!   [`IDLE_TIMEOUT`] is closed.

use crate::{Error, MizanState};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use mizan::{Audience, Origin, Principal, RequestHandle, Subscription, is_valid_client_id};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

/// Calls and fetches one connection may have running at once.
pub const MAX_IN_FLIGHT: usize = 64;
/// Interval of server pings.
pub const PING_EVERY: Duration = Duration::from_secs(20);
/// A connection that sent nothing (not even a pong) for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A frame that cannot be written within this long closes the connection.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Close code for a rejected credential (SPEC §3.1).
pub const CLOSE_UNAUTHORIZED: u16 = 4401;

pub(crate) async fn upgrade(
    State(state): State<MizanState>,
    uri: Uri,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Err(e) = state.check_origin(&headers, &uri) {
        return e.into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => {
            return Error::BadRequest {
                reason: format!("/ws/ needs a WebSocket upgrade: {rejection}"),
            }
            .into_response();
        }
    };
    let Some(slot) = state.connection_slot() else {
        return Error::Unavailable {
            reason: "too many WebSocket connections; retry later".into(),
        }
        .into_response();
    };
    // Subscribed before the handshake answers: once a client sees its
    // connection open, every push published from then on reaches it
    // (queued until the connection loop runs). A handshake that never
    // completes drops the subscription; the hub forgets closed ones.
    let identity = state.identify(&headers).await.map(|principal| {
        let pushes = state.hub().subscribe(Audience {
            principal: principal.clone(),
            watch: None,
        });
        (principal, pushes)
    });
    // Small buffers: most connections are idle, and memory per connection
    // is what limits how many a process holds.
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(state.body_limit())
        .max_frame_size(state.body_limit())
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            match identity {
                Ok((principal, pushes)) => Connection::new(state, principal).serve(socket, pushes).await,
                Err(e) => {
                    tracing::debug!(error = %e, "websocket credential rejected");
                    close(socket, CLOSE_UNAUTHORIZED, "invalid credentials").await;
                }
            }
        })
        .into_response()
}

async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

struct Connection {
    state: MizanState,
    principal: Option<Principal>,
    in_flight: Arc<Semaphore>,
}

/// What the connection loop does after a frame.
enum Next {
    Continue,
    Reply(String),
    Close(u16, &'static str),
}

impl Connection {
    fn new(state: MizanState, principal: Option<Principal>) -> Self {
        Connection {
            state,
            principal,
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        }
    }

    async fn serve(mut self, socket: WebSocket, mut pushes: Subscription) {
        let (mut sink, mut stream) = socket.split();
        let (reply_tx, mut replies) = mpsc::channel::<String>(MAX_IN_FLIGHT);
        let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        let mut last_heard = Instant::now();
        let closing: Option<(u16, &'static str)> = loop {
            let out = tokio::select! {
                frame = stream.next() => {
                    last_heard = Instant::now();
                    match frame {
                        None | Some(Ok(Message::Close(_))) => break None,
                        Some(Err(e)) => {
                            tracing::debug!(error = %e, "websocket read failed");
                            break Some((1009, "frame rejected (too big or malformed)"));
                        }
                        Some(Ok(Message::Text(text))) => match self.frame(text.as_str(), &pushes, &reply_tx).await {
                            Next::Continue => continue,
                            Next::Reply(reply) => Message::Text(reply.into()),
                            Next::Close(code, reason) => break Some((code, reason)),
                        },
                        Some(Ok(Message::Binary(_))) => {
                            Message::Text(error_reply(&Value::Null, &bad_request("frames are JSON text, not binary")).into())
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    }
                }
                push = pushes.next() => match push {
                    Some(frame) => Message::Text((*frame).into()),
                    None if pushes.dropped() => break Some((1008, "too slow to receive pushes")),
                    None => break Some((1011, "push hub closed")),
                },
                Some(reply) = replies.recv() => Message::Text(reply.into()),
                _ = ping.tick() => {
                    if last_heard.elapsed() > IDLE_TIMEOUT {
                        break Some((1001, "idle"));
                    }
                    Message::Ping(Vec::new().into())
                }
            };
            match tokio::time::timeout(SEND_TIMEOUT, sink.send(out)).await {
                Ok(Ok(())) => {}
                _ => break None,
            }
        };
        self.state.hub().unsubscribe(&pushes);
        if let Some((code, reason)) = closing {
            let frame = Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            }));
            let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(frame)).await;
        }
    }

    /// Handles one text frame.
    async fn frame(&mut self, text: &str, pushes: &mizan::Subscription, replies: &mpsc::Sender<String>) -> Next {
        let frame: Map<String, Value> = match serde_json::from_str(text) {
            Ok(Value::Object(frame)) => frame,
            Ok(_) => return Next::Reply(error_reply(&Value::Null, &bad_request("a frame is a JSON object"))),
            Err(e) => return Next::Reply(error_reply(&Value::Null, &bad_request(&format!("invalid JSON: {e}")))),
        };
        let id = frame.get("id").cloned().unwrap_or(Value::Null);
        match frame.get("op").and_then(Value::as_str) {
            Some("call") | Some("fetch") => self.request(frame, id, replies),
            Some("watch") => match frame.get("contexts") {
                Some(Value::Null) | None => {
                    pushes.watch(None);
                    Next::Continue
                }
                Some(Value::Array(list)) if list.iter().all(Value::is_string) => {
                    let set: BTreeSet<String> = list.iter().filter_map(Value::as_str).map(str::to_owned).collect();
                    pushes.watch(Some(set));
                    Next::Continue
                }
                Some(_) => Next::Reply(error_reply(&id, &bad_request("`contexts` is a list of context names"))),
            },
            Some("auth") => {
                let Some(token) = frame.get("token").and_then(Value::as_str) else {
                    return Next::Reply(error_reply(&id, &bad_request("`auth` needs a `token` string")));
                };
                match self.state.identify_token(token).await {
                    Ok(principal) => {
                        pushes.set_principal(principal.clone());
                        self.principal = principal;
                        Next::Reply(json!({"op": "auth", "ok": true}).to_string())
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "websocket auth frame rejected");
                        Next::Close(CLOSE_UNAUTHORIZED, "invalid credentials")
                    }
                }
            }
            Some(other) => Next::Reply(error_reply(
                &id,
                &bad_request(&format!(
                    "unknown op `{}` (expected call, fetch, watch or auth)",
                    other.escape_debug()
                )),
            )),
            None => Next::Reply(error_reply(&id, &bad_request("a frame needs an `op`"))),
        }
    }

    /// Starts a call or fetch; its reply arrives through `replies`.
    fn request(&self, frame: Map<String, Value>, id: Value, replies: &mpsc::Sender<String>) -> Next {
        if !(id.is_u64() || id.is_i64() || id.is_string()) {
            return Next::Reply(error_reply(
                &Value::Null,
                &bad_request("`call` and `fetch` need an `id` (a number or string)"),
            ));
        }
        let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
            return Next::Reply(error_reply(
                &id,
                &bad_request(&format!(
                    "more than {MAX_IN_FLIGHT} requests in flight on this connection"
                )),
            ));
        };
        let (state, principal, replies) = (self.state.clone(), self.principal.clone(), replies.clone());
        tokio::spawn(async move {
            let reply = match run(&state, principal.as_ref(), &frame, &id).await {
                Ok(reply) => reply,
                Err(e) => error_reply(&id, &e),
            };
            drop(permit);
            // The connection may be gone; then nobody needs the reply.
            let _ = replies.send(reply).await;
        });
        Next::Continue
    }
}

async fn run(
    state: &MizanState,
    principal: Option<&Principal>,
    frame: &Map<String, Value>,
    id: &Value,
) -> Result<String, Error> {
    let object = |name: &str| -> Result<Map<String, Value>, Error> {
        match frame.get(name) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(_) => Err(bad_request(&format!("`{name}` must be an object"))),
        }
    };
    let string = |name: &str| -> Result<&str, Error> {
        frame
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request(&format!("missing `{name}`")))
    };
    let client = match frame.get("client") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) if is_valid_client_id(c) => Some(c.as_str()),
        Some(_) => {
            return Err(bad_request(
                "`client` must be 1 to 64 characters of A-Z a-z 0-9 - _ . :",
            ));
        }
    };
    let registry = state.registry();
    let req = RequestHandle::new(Origin::WebSocket, principal, state.extensions()).with_client(client);
    if frame.get("op").and_then(Value::as_str) == Some("call") {
        let function = string("fn")?;
        let args = object("args")?;
        let response = registry.call(&req, function, &args).await?;
        let mut reply = serde_json::to_value(&response).map_err(|e| bad_request(&e.to_string()))?;
        reply["id"] = id.clone();
        Ok(reply.to_string())
    } else {
        let context = string("context")?;
        let params = object("params")?;
        let fetched = registry
            .fetch_cached(&req, context, &params, state.cache().map(|c| &**c))
            .await?;
        let body = String::from_utf8(fetched.body).map_err(|e| bad_request(&e.to_string()))?;
        Ok(format!("{{\"id\":{id},\"result\":{body}}}"))
    }
}

fn bad_request(reason: &str) -> Error {
    Error::BadRequest {
        reason: reason.to_owned(),
    }
}

/// `{"id": ..., "error": {...}}`.
fn error_reply(id: &Value, error: &Error) -> String {
    let mut reply = serde_json::to_value(error.envelope()).unwrap_or_else(|_| json!({}));
    reply["id"] = id.clone();
    reply.to_string()
}
