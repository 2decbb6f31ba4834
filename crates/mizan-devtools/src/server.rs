//! The app side: the tap on a loopback WebSocket.
//!
//! [`serve`] binds `127.0.0.1:0`, makes a 32-byte random secret, writes the
//! discovery file and accepts observers until the returned [`Devtools`] is
//! dropped (which closes every connection and removes the file).
//!
//! * The upgrade is refused with **401** unless it carries
//!   `Authorization: Bearer <secret>` (constant-time comparison), and with
//!   **403** when it carries an `Origin` header (only browsers send one; a
//!   page on any site could otherwise try). A handshake must finish within
//!   [`HANDSHAKE_TIMEOUT`].
//! * Each observer gets `hello`, then every event; it is subscribed before
//!   `hello` is sent, so nothing after `hello` is missed. Events are
//!   written in batches at most [`COALESCE`] late (one flush per batch). An observer too
//!   slow to take its events is closed (1008) — the tap drops it rather
//!   than make a request wait.
//! * Replays run through the adapter's [`Replayer`]; a frame that is not a
//!   valid replay gets an `error` frame and the connection stays open.

use crate::discovery::{Discovery, DiscoveryFile};
use crate::protocol::{ClientFrame, FrameError, Hello, PROTOCOL, Replay, Replayed, ServerFrame, events_frame};
use crate::{Error, discovery};
use futures::future::BoxFuture;
use futures::{FutureExt, SinkExt, StreamExt};
use mizan::devtools::EventError;
use mizan::{MizanError, Registry};
use mizan_core::wire::{ErrorCode, IpcEnvelope};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};

/// How long a connection may take to complete the WebSocket handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// A frame that cannot be written within this long closes the connection.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest frame an observer may send (a replay's envelope).
const MAX_FRAME: usize = 16 * 1024 * 1024;
/// How long an event may wait for others to share its write: the
/// timeline's added latency, and at most `DEFAULT_QUEUE` events per
/// window before a slow observer would be dropped (800,000 events/s).
pub const COALESCE: Duration = Duration::from_millis(5);

/// A replay's future: the answer body or the error.
pub type ReplayFuture<'a> = BoxFuture<'a, Result<Value, MizanError>>;

/// Runs replays in the app, the way its transport would (implemented by
/// the adapters: `mizan-axum` identifies by the replay's headers,
/// `mizan-tauri` like an IPC call).
pub trait Replayer: Send + Sync + 'static {
    /// Runs `replay`: a call answers its `{"result","invalidate","merge"?}`
    /// body, a fetch its bundle.
    fn replay<'a>(&'a self, replay: &'a Replay) -> ReplayFuture<'a>;
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct Options {
    /// The app's name in `hello` and in its discovery file.
    pub name: String,
    /// Where to write the discovery file (default
    /// [`discovery::directory`]).
    pub discovery_dir: Option<PathBuf>,
    /// Whether to write a discovery file at all.
    pub write_discovery: bool,
}

impl Options {
    /// Serve as `name`, discoverable in the default directory.
    pub fn new(name: impl Into<String>) -> Self {
        Options {
            name: name.into(),
            discovery_dir: None,
            write_discovery: true,
        }
    }
}

/// A running devtools channel. Dropping it stops accepting, closes every
/// observer and removes the discovery file.
#[derive(Debug)]
pub struct Devtools {
    discovery: Discovery,
    file: Option<DiscoveryFile>,
    shutdown: watch::Sender<bool>,
}

impl Devtools {
    /// The app's entry (URL and secret included).
    pub fn discovery(&self) -> &Discovery {
        &self.discovery
    }

    /// `ws://127.0.0.1:PORT/`.
    pub fn url(&self) -> &str {
        &self.discovery.url
    }

    /// Where the discovery file is, when one was written.
    pub fn discovery_path(&self) -> Option<&std::path::Path> {
        self.file.as_ref().map(DiscoveryFile::path)
    }
}

impl Drop for Devtools {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

struct Shared {
    registry: Arc<Registry>,
    replayer: Option<Arc<dyn Replayer>>,
    secret: String,
    name: String,
}

/// Serves `registry`'s tap on a loopback WebSocket (see the module docs);
/// `replayer` runs replays (`None`: refused). Must run inside a Tokio
/// runtime.
pub async fn serve(
    registry: Arc<Registry>,
    replayer: Option<Arc<dyn Replayer>>,
    options: Options,
) -> Result<Devtools, Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
    let secret = hex::encode(bytes);
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(Error::Listen)?;
    let port = listener.local_addr().map_err(Error::Listen)?.port();
    let discovery = Discovery {
        name: options.name.clone(),
        pid: std::process::id(),
        url: format!("ws://127.0.0.1:{port}/"),
        secret: secret.clone(),
        protocol: PROTOCOL,
    };
    let file = if options.write_discovery {
        let dir = options.discovery_dir.clone().unwrap_or_else(discovery::directory);
        Some(DiscoveryFile::write_in(&dir, &discovery)?)
    } else {
        None
    };
    let (shutdown, stop) = watch::channel(false);
    let shared = Arc::new(Shared {
        registry,
        replayer,
        secret,
        name: options.name,
    });
    tokio::spawn(accept_loop(listener, shared, stop));
    tracing::info!(url = %discovery.url, name = %discovery.name, "devtools tap listening (loopback, secret required)");
    Ok(Devtools {
        discovery,
        file,
        shutdown,
    })
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, shared.clone(), stop.clone()));
                }
                Err(e) => {
                    tracing::debug!(error = %e, "devtools accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stop.changed() => return,
        }
    }
}

fn refuse(status: StatusCode, reason: &str) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(reason.to_owned()));
    *response.status_mut() = status;
    response
}

/// The upgrade's checks: no `Origin`, the right secret. (The error is
/// tungstenite's `ErrorResponse`, which its `Callback` trait fixes.)
#[allow(clippy::result_large_err)]
fn check_upgrade(secret: &str, request: &Request) -> Result<(), ErrorResponse> {
    if request.headers().contains_key(header::ORIGIN) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "the devtools channel does not accept browser pages (an Origin header was sent)",
        ));
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if bool::from(presented.as_bytes().ct_eq(secret.as_bytes())) {
        Ok(())
    } else {
        Err(refuse(StatusCode::UNAUTHORIZED, "wrong or missing devtools secret"))
    }
}

async fn connection(stream: TcpStream, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let secret = shared.secret.clone();
    #[allow(clippy::result_large_err)]
    let callback = move |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        check_upgrade(&secret, request)?;
        Ok(response)
    };
    // A small read buffer: tungstenite zero-fills the free part of it
    // before every read attempt, and observers send little (the 128 KiB
    // default cost ~4% of an attached app's CPU).
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME));
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config));
    let socket = match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
        Ok(Ok(socket)) => socket,
        Ok(Err(e)) => {
            tracing::info!(error = %e, "devtools connection refused");
            return;
        }
        Err(_) => {
            tracing::debug!("devtools handshake timed out");
            return;
        }
    };
    // Observing before `hello`: everything after it reaches this observer.
    let mut events = shared.registry.tap().observe();
    let (mut sink, mut frames) = socket.split();
    let hello = ServerFrame::Hello(Hello {
        protocol: PROTOCOL,
        name: shared.name.clone(),
        pid: std::process::id(),
        replay: shared.replayer.is_some(),
        ir: shared.registry.ir_text(),
    });
    let hello = serde_json::to_string(&hello).unwrap_or_default();
    if !send(&mut sink, Message::text(hello)).await {
        return;
    }
    let (answers_tx, mut answers) = mpsc::channel::<String>(64);
    let closing: Option<(CloseCode, &'static str)> = loop {
        let out: Vec<Message> = tokio::select! {
            batch = events.next() => match batch {
                // Events go out in batches, one frame each: after the
                // first, wait `COALESCE` for what else is recorded, then
                // write both with one flush. Loopback TCP costs the sender
                // a few µs per write (the receiver's side runs in its
                // context too), so one write per event would halve a busy
                // app's throughput.
                Some(batch) => {
                    let mut out = vec![Message::text(events_frame(batch.json()))];
                    tokio::time::sleep(COALESCE).await;
                    if let Some(Some(more)) = events.next().now_or_never() {
                        out.push(Message::text(events_frame(more.json())));
                    }
                    out
                }
                None if events.dropped() => break Some((CloseCode::Policy, "too slow to receive events")),
                None => break Some((CloseCode::Error, "the tap closed")),
            },
            frame = frames.next() => match frame {
                None | Some(Ok(Message::Close(_))) => break None,
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "devtools read failed");
                    break Some((CloseCode::Size, "frame rejected (too big or malformed)"));
                }
                Some(Ok(Message::Text(text))) => match handle(&shared, text.as_str(), &answers_tx) {
                    Some(reply) => vec![Message::text(reply)],
                    None => continue,
                },
                Some(Ok(Message::Binary(_))) => vec![Message::text(frame_error(None, "frames are JSON text, not binary"))],
                Some(Ok(_)) => continue,
            },
            Some(answer) = answers.recv() => vec![Message::text(answer)],
            _ = stop.changed() => break Some((CloseCode::Away, "the app is exiting")),
        };
        if !send_all(&mut sink, out).await {
            break None;
        }
    };
    if let Some((code, reason)) = closing {
        let frame = Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }));
        let _ = send(&mut sink, frame).await;
    }
}

/// Writes `messages` with one flush.
async fn send_all<S>(sink: &mut S, messages: Vec<Message>) -> bool
where
    S: futures::Sink<Message, Error = tungstenite::Error> + Unpin,
{
    let write = async {
        for message in messages {
            sink.feed(message).await?;
        }
        sink.flush().await
    };
    matches!(tokio::time::timeout(SEND_TIMEOUT, write).await, Ok(Ok(())))
}

async fn send<S>(sink: &mut S, message: Message) -> bool
where
    S: futures::Sink<Message, Error = tungstenite::Error> + Unpin,
{
    matches!(tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await, Ok(Ok(())))
}

/// Handles one text frame: an immediate reply, or `None` when a replay was
/// started (its answer arrives through `answers`).
fn handle(shared: &Arc<Shared>, text: &str, answers: &mpsc::Sender<String>) -> Option<String> {
    let frame: ClientFrame = match serde_json::from_str(text) {
        Ok(frame) => frame,
        Err(e) => {
            let id = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v.get("id").and_then(Value::as_u64));
            return Some(frame_error(
                id,
                &format!("expected {{\"op\":\"replay\",\"id\":N,\"envelope\":{{...}}}}: {e}"),
            ));
        }
    };
    let ClientFrame::Replay(mut replay) = frame;
    let Some(replayer) = shared.replayer.clone() else {
        let answer = Replayed {
            id: replay.id,
            duration_us: 0,
            result: None,
            error: Some(EventError::from(&MizanError::new(
                ErrorCode::NotImplemented,
                "this app does not accept replays",
            ))),
        };
        return Some(serde_json::to_string(&ServerFrame::Replayed(answer)).unwrap_or_default());
    };
    if let IpcEnvelope::Call { client, .. } = &mut replay.envelope
        && client.is_none()
    {
        *client = Some(format!("devtools:replay:{}", replay.id));
    }
    let answers = answers.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let outcome = replayer.replay(&replay).await;
        let duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let answer = match outcome {
            Ok(result) => Replayed {
                id: replay.id,
                duration_us,
                result: Some(result),
                error: None,
            },
            Err(e) => Replayed {
                id: replay.id,
                duration_us,
                result: None,
                error: Some(EventError::from(&e)),
            },
        };
        let text = serde_json::to_string(&ServerFrame::Replayed(answer)).unwrap_or_default();
        // The observer may be gone; then nobody needs the answer.
        let _ = answers.send(text).await;
    });
    None
}

fn frame_error(id: Option<u64>, reason: &str) -> String {
    let frame = ServerFrame::Error(FrameError {
        id,
        error: EventError::from(&MizanError::bad_request(reason.to_owned())),
    });
    serde_json::to_string(&frame).unwrap_or_default()
}
