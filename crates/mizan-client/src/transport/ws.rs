//! The host WebSocket push transport (feature `ws`): tokio-tungstenite on
//! `{base}/ws/` (SPEC §3.1). Needs a tokio reactor: run
//! [`crate::MizanClient::run_push`] inside a tokio runtime.
//!
//! Identity travels as on HTTP, in the upgrade request: the headers of the
//! [`super::HttpTransport`] it was made from (`X-Mizan-Token`,
//! `Authorization`) and the session's cookies. An explicit
//! [`WsTransport::token`] is sent as a first `auth` frame instead.

use futures::{SinkExt, StreamExt};
use std::sync::{Arc, Mutex, PoisonError};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::http::SharedHeaders;
use super::ws_frames::{Frame, auth_frame, watch_frame};
use crate::push::{CLOSE_UNAUTHORIZED, PushError, PushEvent, PushRequest, PushStream, PushTransport};
use crate::runtime::ClientFuture;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Pushes over a WebSocket, from the host.
#[derive(Debug)]
pub struct WsTransport {
    url: String,
    headers: SharedHeaders,
    /// The HTTP transport's cookie jar and the base its cookies belong to.
    cookies: Option<(Arc<reqwest::cookie::Jar>, String)>,
    token: Mutex<Option<String>>,
}

impl WsTransport {
    /// A transport for the WebSocket at `url` (`ws://` or `wss://`; see
    /// [`super::ws_url`]).
    pub fn new(url: &str) -> Self {
        WsTransport::shared(url, Arc::default(), None)
    }

    pub(crate) fn shared(
        url: &str,
        headers: SharedHeaders,
        cookies: Option<(Arc<reqwest::cookie::Jar>, String)>,
    ) -> Self {
        WsTransport {
            url: url.to_owned(),
            headers,
            cookies,
            token: Mutex::new(None),
        }
    }

    /// Adds a header sent on the upgrade request.
    pub fn header(self, name: &str, value: &str) -> Self {
        {
            let mut headers = self.headers.lock().unwrap_or_else(PoisonError::into_inner);
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Sets (`Some`) or removes the MWT sent as a first `{"op": "auth"}`
    /// frame on each connection; the connection counts as open once the
    /// server answered `{"op": "auth", "ok": true}`.
    pub fn set_token(&self, token: Option<&str>) {
        *self.token.lock().unwrap_or_else(PoisonError::into_inner) = token.map(str::to_owned);
    }

    /// The WebSocket URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn upgrade_request(&self) -> Result<tokio_tungstenite::tungstenite::http::Request<()>, PushError> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| PushError::Unavailable(format!("bad WebSocket URL `{}`: {e}", self.url)))?;
        let headers = self.headers.lock().unwrap_or_else(PoisonError::into_inner).clone();
        for (name, value) in headers {
            let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) else {
                return Err(PushError::Unavailable(format!("header `{name}` cannot be sent")));
            };
            request.headers_mut().insert(name, value);
        }
        if let Some((jar, base)) = &self.cookies
            && let Ok(url) = reqwest::Url::parse(&format!("{base}/"))
            && let Some(cookie) = reqwest::cookie::CookieStore::cookies(jar.as_ref(), &url)
            && let Ok(value) = HeaderValue::from_bytes(cookie.as_bytes())
        {
            request.headers_mut().insert("cookie", value);
        }
        Ok(request)
    }

    async fn open(&self, request: PushRequest<'_>) -> Result<PushStream, PushError> {
        let upgrade = self.upgrade_request()?;
        let (mut socket, _) = tokio_tungstenite::connect_async(upgrade).await.map_err(|e| match e {
            WsError::Http(response) if response.status().as_u16() == 401 => {
                PushError::Unauthorized("the upgrade was refused with 401".into())
            }
            other => PushError::Failed(other.to_string()),
        })?;
        let token = self.token.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some(token) = token {
            send(&mut socket, auth_frame(&token)).await?;
            await_auth(&mut socket).await?;
        }
        if let Some(contexts) = request.watch {
            send(&mut socket, watch_frame(contexts)).await?;
        }
        Ok(Box::pin(events(socket)))
    }
}

impl PushTransport for WsTransport {
    fn connect<'a>(&'a self, request: PushRequest<'a>) -> ClientFuture<'a, Result<PushStream, PushError>> {
        Box::pin(self.open(request))
    }
}

async fn send(socket: &mut Socket, text: String) -> Result<(), PushError> {
    socket
        .send(Message::text(text))
        .await
        .map_err(|e| PushError::Failed(format!("sending a frame failed: {e}")))
}

/// Reads frames until the server accepts or rejects the `auth` frame.
async fn await_auth(socket: &mut Socket) -> Result<(), PushError> {
    while let Some(message) = socket.next().await {
        match message {
            Ok(Message::Text(text)) => match Frame::parse(text.as_str()) {
                Frame::AuthOk => return Ok(()),
                Frame::AuthRejected(why) => return Err(PushError::Unauthorized(why)),
                Frame::Push(_) | Frame::Other => {}
            },
            Ok(Message::Close(frame)) => {
                let code = frame.map(|f| u16::from(f.code));
                return Err(if code == Some(CLOSE_UNAUTHORIZED) {
                    PushError::Unauthorized("closed with 4401".into())
                } else {
                    PushError::Failed(format!("closed during auth ({code:?})"))
                });
            }
            Ok(_) => {}
            Err(e) => return Err(PushError::Failed(e.to_string())),
        }
    }
    Err(PushError::Failed("closed during auth".into()))
}

/// The socket's frames as push events; ends after `Closed`.
fn events(socket: Socket) -> impl futures::Stream<Item = PushEvent> + Send {
    futures::stream::unfold(Some(socket), |state| async move {
        let mut socket = state?;
        loop {
            let event = match socket.next().await {
                Some(Ok(Message::Text(text))) => match Frame::parse(text.as_str()) {
                    Frame::Push(push) => PushEvent::Push(push),
                    Frame::AuthRejected(reason) => PushEvent::Closed {
                        code: Some(CLOSE_UNAUTHORIZED),
                        reason,
                    },
                    Frame::AuthOk | Frame::Other => continue,
                },
                Some(Ok(Message::Close(frame))) => PushEvent::Closed {
                    code: frame
                        .as_ref()
                        .map(|f| u16::from(f.code))
                        .filter(|c| *c != u16::from(CloseCode::Status)),
                    reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                },
                Some(Ok(_)) => continue,
                Some(Err(e)) => PushEvent::Closed {
                    code: None,
                    reason: e.to_string(),
                },
                None => PushEvent::Closed {
                    code: None,
                    reason: "the connection ended".into(),
                },
            };
            let more = matches!(event, PushEvent::Push(_)).then_some(socket);
            return Some((event, more));
        }
    })
}
