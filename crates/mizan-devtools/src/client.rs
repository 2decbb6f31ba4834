//! The observer side: attach to a discovered app.
//!
//! ```no_run
//! # async fn run() -> Result<(), mizan_devtools::Error> {
//! use mizan_devtools::{Client, ServerFrame, discover};
//! let apps = discover()?;
//! let mut client = Client::connect(&apps[0]).await?;
//! println!("attached to {} (pid {})", client.hello().name, client.hello().pid);
//! while let Some(frame) = client.next().await {
//!     if let ServerFrame::Event(event) = frame? {
//!         println!("{} {:?}", event.seq, event.kind);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! [`Client::split`] gives a [`ReplaySender`] and an event stream
//! ([`Frames`]) for a task that reads while another sends replays.

use crate::Error;
use crate::discovery::Discovery;
use crate::protocol::{ClientFrame, Hello, Replay, ServerFrame, read_text};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use std::collections::VecDeque;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, header};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// An attached observer.
#[derive(Debug)]
pub struct Client {
    hello: Hello,
    url: String,
    socket: Socket,
    /// Frames read but not handed out yet (an `events` frame's events).
    pending: VecDeque<ServerFrame>,
}

impl Client {
    /// Connects to a discovered app with its secret and reads its `hello`.
    pub async fn connect(app: &Discovery) -> Result<Client, Error> {
        Self::connect_url(&app.url, &app.secret).await
    }

    /// Connects to `url` presenting `secret`.
    pub async fn connect_url(url: &str, secret: &str) -> Result<Client, Error> {
        let failed = |reason: String| Error::Connection {
            url: url.to_owned(),
            reason,
        };
        let mut request = url.into_client_request().map_err(|e| failed(e.to_string()))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {secret}"))
            .map_err(|_| failed("the secret is not a valid header value".into()))?;
        request.headers_mut().insert(header::AUTHORIZATION, bearer);
        // tungstenite zero-fills the free part of its read buffer before
        // every read: 16 KiB holds a few dozen events without a 128 KiB
        // memset per read.
        let config = WebSocketConfig::default().read_buffer_size(16 * 1024);
        let (mut socket, _) = match tokio_tungstenite::connect_async_with_config(request, Some(config), false).await {
            Ok(connected) => connected,
            Err(tungstenite::Error::Http(response)) if response.status() == 401 => {
                return Err(Error::Refused { url: url.to_owned() });
            }
            Err(e) => return Err(failed(e.to_string())),
        };
        let mut pending = VecDeque::new();
        let hello = match next_frame(&mut socket, &mut pending).await {
            Some(Ok(ServerFrame::Hello(hello))) => hello,
            Some(Ok(other)) => {
                return Err(Error::Protocol {
                    reason: format!("expected `hello` first, got {other:?}"),
                });
            }
            Some(Err(e)) => return Err(e),
            None => return Err(failed("closed before `hello`".into())),
        };
        Ok(Client {
            hello,
            url: url.to_owned(),
            socket,
            pending,
        })
    }

    /// The app's `hello` (name, pid, IR, whether it replays).
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// The next frame (`event`, `replayed`, `error`); `None` once the app
    /// closed the channel.
    pub async fn next(&mut self) -> Option<Result<ServerFrame, Error>> {
        next_frame(&mut self.socket, &mut self.pending).await
    }

    /// Asks the app to run `replay`; its answer arrives as
    /// [`ServerFrame::Replayed`] with the same id (and the call itself as
    /// an event).
    pub async fn replay(&mut self, replay: &Replay) -> Result<(), Error> {
        send_replay(&mut self.socket, &self.url, replay).await
    }

    /// Closes the channel.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    /// Separates sending replays from reading frames.
    pub fn split(self) -> (Hello, ReplaySender, Frames) {
        let (sink, stream) = self.socket.split();
        (
            self.hello,
            ReplaySender { sink, url: self.url },
            Frames {
                stream,
                pending: self.pending,
            },
        )
    }
}

/// Sends replays (from [`Client::split`]).
#[derive(Debug)]
pub struct ReplaySender {
    sink: SplitSink<Socket, Message>,
    url: String,
}

impl ReplaySender {
    /// See [`Client::replay`].
    pub async fn replay(&mut self, replay: &Replay) -> Result<(), Error> {
        send_replay(&mut self.sink, &self.url, replay).await
    }
}

/// Reads frames (from [`Client::split`]).
#[derive(Debug)]
pub struct Frames {
    stream: SplitStream<Socket>,
    pending: VecDeque<ServerFrame>,
}

impl Frames {
    /// See [`Client::next`].
    pub async fn next(&mut self) -> Option<Result<ServerFrame, Error>> {
        next_frame(&mut self.stream, &mut self.pending).await
    }
}

async fn send_replay<S>(sink: &mut S, url: &str, replay: &Replay) -> Result<(), Error>
where
    S: futures::Sink<Message, Error = tungstenite::Error> + Unpin,
{
    let text = serde_json::to_string(&ClientFrame::Replay(replay.clone()))
        .map_err(|e| Error::Protocol { reason: e.to_string() })?;
    sink.send(Message::text(text)).await.map_err(|e| Error::Connection {
        url: url.to_owned(),
        reason: e.to_string(),
    })
}

/// The next frame: one already read (an `events` frame's next event), or
/// the next the app sends.
async fn next_frame<S>(stream: &mut S, pending: &mut VecDeque<ServerFrame>) -> Option<Result<ServerFrame, Error>>
where
    S: futures::Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    loop {
        if let Some(frame) = pending.pop_front() {
            return Some(Ok(frame));
        }
        let message = match stream.next().await? {
            Ok(message) => message,
            Err(e) => {
                return Some(Err(Error::Protocol {
                    reason: format!("reading the channel failed: {e}"),
                }));
            }
        };
        match message {
            Message::Text(text) => {
                if let Err(e) = read_text(text.as_str(), pending) {
                    return Some(Err(Error::Protocol {
                        reason: format!("unreadable frame: {e}"),
                    }));
                }
            }
            Message::Close(frame) => {
                if let Some(frame) = frame.filter(|f| u16::from(f.code) != 1000) {
                    return Some(Err(Error::Protocol {
                        reason: format!("closed by the app ({}): {}", u16::from(frame.code), frame.reason),
                    }));
                }
                return None;
            }
            _ => continue,
        }
    }
}
