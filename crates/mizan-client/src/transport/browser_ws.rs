//! The browser WebSocket push transport (`wasm32`, feature `http`): the
//! page's `WebSocket` on `{base}/ws/` (SPEC §3.1).
//!
//! Browsers cannot set headers on a WebSocket: cookies go along by
//! themselves, and an `X-Mizan-Token` header of the [`super::HttpTransport`]
//! it was made from is sent as the first frame `{"op": "auth", "token"}`;
//! the connection counts as open once the server accepted it.

use futures::StreamExt;
use futures::channel::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

use super::http::{SharedHeaders, resolve_base};
use super::ws_frames::{Frame, auth_frame, watch_frame, ws_url};
use crate::push::{CLOSE_UNAUTHORIZED, PushError, PushEvent, PushRequest, PushStream, PushTransport};
use crate::runtime::ClientFuture;

/// The header whose value is sent as the `auth` frame's token.
const TOKEN_HEADER: &str = "X-Mizan-Token";

/// Pushes over the browser's `WebSocket`.
#[derive(Debug)]
pub struct BrowserWsTransport {
    base: String,
    headers: SharedHeaders,
}

impl BrowserWsTransport {
    /// A transport for the API mounted at `base` (a relative base is
    /// resolved against the page).
    pub fn new(base: &str) -> Self {
        BrowserWsTransport::shared(base, Arc::default())
    }

    pub(crate) fn shared(base: &str, headers: SharedHeaders) -> Self {
        BrowserWsTransport {
            base: base.trim_end_matches('/').to_owned(),
            headers,
        }
    }

    /// Sets (`Some`) or removes the MWT sent in the `auth` frame.
    pub fn set_token(&self, token: Option<&str>) {
        let mut headers = self.headers.lock().unwrap_or_else(PoisonError::into_inner);
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(TOKEN_HEADER));
        if let Some(token) = token {
            headers.push((TOKEN_HEADER.to_owned(), token.to_owned()));
        }
    }

    fn token(&self) -> Option<String> {
        let headers = self.headers.lock().unwrap_or_else(PoisonError::into_inner);
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(TOKEN_HEADER))
            .map(|(_, v)| v.clone())
    }

    async fn open(&self, request: PushRequest<'_>) -> Result<PushStream, PushError> {
        let url = ws_url(&resolve_base(&self.base));
        let mut socket = Socket::open(&url)?;
        match socket.events.next().await {
            Some(Raw::Open) => {}
            Some(Raw::Close(code, reason)) if code == CLOSE_UNAUTHORIZED => {
                return Err(PushError::Unauthorized(reason));
            }
            Some(Raw::Close(code, reason)) => return Err(PushError::Failed(format!("closed ({code}) {reason}"))),
            Some(Raw::Text(_)) | None => return Err(PushError::Failed("the WebSocket did not open".into())),
        }
        if let Some(token) = self.token() {
            socket.send(&auth_frame(&token))?;
            loop {
                match socket.events.next().await {
                    Some(Raw::Text(text)) => match Frame::parse(&text) {
                        Frame::AuthOk => break,
                        Frame::AuthRejected(why) => return Err(PushError::Unauthorized(why)),
                        Frame::Push(_) | Frame::Other => {}
                    },
                    Some(Raw::Close(code, reason)) if code == CLOSE_UNAUTHORIZED => {
                        return Err(PushError::Unauthorized(reason));
                    }
                    Some(Raw::Close(code, reason)) => {
                        return Err(PushError::Failed(format!("closed during auth ({code}) {reason}")));
                    }
                    Some(Raw::Open) => {}
                    None => return Err(PushError::Failed("closed during auth".into())),
                }
            }
        }
        if let Some(contexts) = request.watch {
            socket.send(&watch_frame(contexts))?;
        }
        Ok(Box::pin(futures::stream::unfold(Some(socket), |state| async move {
            let mut socket = state?;
            loop {
                let event = match socket.events.next().await {
                    Some(Raw::Text(text)) => match Frame::parse(&text) {
                        Frame::Push(push) => PushEvent::Push(push),
                        Frame::AuthRejected(reason) => PushEvent::Closed {
                            code: Some(CLOSE_UNAUTHORIZED),
                            reason,
                        },
                        Frame::AuthOk | Frame::Other => continue,
                    },
                    Some(Raw::Open) => continue,
                    Some(Raw::Close(code, reason)) => PushEvent::Closed {
                        code: Some(code),
                        reason,
                    },
                    None => PushEvent::Closed {
                        code: None,
                        reason: "the connection ended".into(),
                    },
                };
                let more = matches!(event, PushEvent::Push(_)).then_some(socket);
                return Some((event, more));
            }
        })))
    }
}

impl PushTransport for BrowserWsTransport {
    fn connect<'a>(&'a self, request: PushRequest<'a>) -> ClientFuture<'a, Result<PushStream, PushError>> {
        Box::pin(self.open(request))
    }
}

/// What the socket's callbacks report.
enum Raw {
    Open,
    Text(String),
    Close(u16, String),
}

/// A `WebSocket` with its callbacks; dropping it closes the socket.
struct Socket {
    ws: WebSocket,
    events: mpsc::UnboundedReceiver<Raw>,
    _callbacks: Vec<Closure<dyn FnMut(Event)>>,
}

impl Socket {
    fn open(url: &str) -> Result<Socket, PushError> {
        let ws = WebSocket::new(url).map_err(|e| PushError::Failed(format!("cannot open {url}: {e:?}")))?;
        let (tx, events) = mpsc::unbounded();
        let tx = Arc::new(Mutex::new(tx));
        let callback = |f: fn(Event) -> Option<Raw>| {
            let tx = Arc::clone(&tx);
            Closure::<dyn FnMut(Event)>::new(move |event: Event| {
                if let Some(raw) = f(event) {
                    let _ = tx.lock().unwrap_or_else(PoisonError::into_inner).unbounded_send(raw);
                }
            })
        };
        let on_open = callback(|_| Some(Raw::Open));
        let on_message = callback(|e| {
            e.dyn_into::<MessageEvent>()
                .ok()
                .and_then(|m| m.data().as_string())
                .map(Raw::Text)
        });
        let on_close = callback(|e| {
            let close = e.dyn_into::<CloseEvent>().ok()?;
            Some(Raw::Close(close.code(), close.reason()))
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            events,
            _callbacks: vec![on_open, on_message, on_close],
        })
    }

    fn send(&self, text: &str) -> Result<(), PushError> {
        self.ws
            .send_with_str(text)
            .map_err(|e| PushError::Failed(format!("sending a frame failed: {e:?}")))
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
