//! The HTTP transport (SPEC §3) on reqwest: `POST {base}/call/`,
//! `GET {base}/ctx/<name>/?k=v`, `GET {base}/session/`, the error envelope.
//! Native builds keep cookies (the session); on `wasm32` reqwest uses the
//! browser's `fetch`, which sends the page's cookies itself, and a relative
//! base such as the default `/api/mizan` is resolved against the page.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex, PoisonError};

use super::{CallRequest, DEFAULT_BASE, Transport};
use crate::error::{ErrorCode, MizanError};
use crate::params::{encode_uri_component, query_string};
use crate::runtime::ClientFuture;
use crate::upload::Upload;
use crate::wire::{CallResponse, ContextData, Params, SessionInfo};

/// The header carrying the session's CSRF token on calls.
pub const CSRF_HEADER: &str = "X-CSRFToken";

/// The header carrying the client's id on calls (SPEC §3.1).
pub const CLIENT_HEADER: &str = "X-Mizan-Client";

/// Headers sent with every request; shared with the push transport made by
/// [`HttpTransport::push_transport`], so a rotated token reaches both.
pub(crate) type SharedHeaders = Arc<Mutex<Vec<(String, String)>>>;

/// Talks to a Mizan backend over HTTP.
///
/// To change headers while the client is in use (a rotated `X-Mizan-Token`),
/// keep an `Arc<HttpTransport>`, give a clone to the client (`Arc<T>` is a
/// transport too) and call [`HttpTransport::set_header`]. The push
/// transport made by [`HttpTransport::push_transport`] sees the change on
/// its next connection.
#[derive(Debug)]
pub struct HttpTransport {
    base: String,
    client: reqwest::Client,
    headers: SharedHeaders,
    /// The cookies of the session, also sent on the WebSocket upgrade.
    #[cfg(not(target_arch = "wasm32"))]
    jar: Option<Arc<reqwest::cookie::Jar>>,
}

impl HttpTransport {
    /// A transport for the API mounted at `base` (e.g.
    /// `http://127.0.0.1:8000/api/mizan`; on `wasm32` a path such as
    /// [`DEFAULT_BASE`] works too). A trailing `/` is ignored.
    pub fn new(base: &str) -> Result<Self, MizanError> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let jar = Arc::new(reqwest::cookie::Jar::default());
            let client = reqwest::Client::builder()
                .cookie_provider(Arc::clone(&jar))
                .build()
                .map_err(|e| MizanError::network(format!("cannot create the HTTP client: {e}")))?;
            let mut transport = Self::with_client(base, client);
            transport.jar = Some(jar);
            Ok(transport)
        }
        #[cfg(target_arch = "wasm32")]
        Ok(Self::with_client(base, reqwest::Client::new()))
    }

    /// A transport using an existing reqwest client (its own timeouts,
    /// proxies, TLS roots).
    pub fn with_client(base: &str, client: reqwest::Client) -> Self {
        let base = if base.is_empty() { DEFAULT_BASE } else { base };
        HttpTransport {
            base: base.trim_end_matches('/').to_owned(),
            client,
            headers: Arc::default(),
            #[cfg(not(target_arch = "wasm32"))]
            jar: None,
        }
    }

    /// The push transport of this API: the WebSocket `{base}/ws/` with
    /// this transport's headers (host: on the upgrade request, with the
    /// session's cookies; browser: `X-Mizan-Token` as an `auth` frame).
    #[cfg(all(not(target_arch = "wasm32"), feature = "ws"))]
    pub fn push_transport(&self) -> super::WsTransport {
        let cookies = self.jar.clone().map(|jar| (jar, self.base.clone()));
        super::WsTransport::shared(&super::ws_url(&self.base), Arc::clone(&self.headers), cookies)
    }

    /// The push transport of this API: the WebSocket `{base}/ws/` with
    /// this transport's headers (host: on the upgrade request, with the
    /// session's cookies; browser: `X-Mizan-Token` as an `auth` frame).
    #[cfg(target_arch = "wasm32")]
    pub fn push_transport(&self) -> super::BrowserWsTransport {
        super::BrowserWsTransport::shared(&self.base, Arc::clone(&self.headers))
    }

    /// Adds a header sent with every request (e.g. `X-Mizan-Token`,
    /// `Authorization`).
    pub fn header(self, name: &str, value: &str) -> Self {
        self.set_header(name, Some(value));
        self
    }

    /// Sets (`Some`) or removes (`None`) a header sent with every request,
    /// e.g. to rotate a token while the client is in use.
    pub fn set_header(&self, name: &str, value: Option<&str>) {
        let mut headers = self.headers.lock().unwrap_or_else(PoisonError::into_inner);
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(value) = value {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", resolve_base(&self.base))
    }

    fn with_headers(&self, mut req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let headers = self.headers.lock().unwrap_or_else(PoisonError::into_inner).clone();
        for (name, value) in headers {
            req = req.header(name, value);
        }
        req
    }

    /// Sends a request; a 2xx body is returned, anything else becomes the
    /// error its envelope (or status) describes.
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Vec<u8>, MizanError> {
        let resp = self
            .with_headers(req)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| MizanError::network(format!("request failed: {e}")))?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| MizanError::network(format!("reading the response failed: {e}")))?;
        if (200..300).contains(&status) {
            Ok(body.to_vec())
        } else {
            Err(MizanError::from_response(status, &body))
        }
    }
}

impl Transport for HttpTransport {
    fn call<'a>(&'a self, request: CallRequest<'a>) -> ClientFuture<'a, Result<CallResponse, MizanError>> {
        Box::pin(async move {
            let post = self.client.post(self.url("/call/"));
            let mut req = match multipart(&request)? {
                Some(form) => post.multipart(form),
                None => {
                    let body = json!({"fn": request.function, "args": request.args}).to_string();
                    post.header("Content-Type", "application/json").body(body)
                }
            };
            if let Some(token) = request.csrf_token {
                req = req.header(CSRF_HEADER, token);
            }
            if let Some(id) = request.client_id {
                req = req.header(CLIENT_HEADER, id);
            }
            let bytes = self.send(req).await?;
            decode_json(&bytes, "call response")
        })
    }

    fn fetch<'a>(&'a self, context: &'a str, params: &'a Params) -> ClientFuture<'a, Result<ContextData, MizanError>> {
        Box::pin(async move {
            let query = query_string(params);
            let mut url = self.url(&format!("/ctx/{}/", encode_uri_component(context)));
            if !query.is_empty() {
                url.push('?');
                url.push_str(&query);
            }
            let bytes = self.send(self.client.get(url)).await?;
            decode_json(&bytes, "context data")
        })
    }

    fn session(&self) -> ClientFuture<'_, Result<SessionInfo, MizanError>> {
        Box::pin(async move {
            let bytes = self.send(self.client.get(self.url("/session/"))).await?;
            decode_json(&bytes, "session")
        })
    }
}

/// The multipart body of a call with files (SPEC §3.2): an `envelope` part
/// `{"fn", "args"}` without the upload arguments, then one file part per
/// upload argument, named after it. `None` when the call has no file (an
/// optional upload left out travels as plain JSON).
fn multipart(request: &CallRequest<'_>) -> Result<Option<reqwest::multipart::Form>, MizanError> {
    let mut args = request.args.clone();
    let mut files = Vec::new();
    for name in request.uploads {
        match args.remove(*name) {
            None | Some(Value::Null) => {}
            Some(value) => {
                let upload = Upload::from_json(&value).ok_or_else(|| {
                    MizanError::new(
                        ErrorCode::BadRequest,
                        format!("argument `{name}` is not an upload {{filename, content_type, base64}}"),
                    )
                })?;
                files.push((*name, upload));
            }
        }
    }
    if files.is_empty() {
        return Ok(None);
    }
    let envelope = json!({"fn": request.function, "args": args}).to_string();
    let mut form = reqwest::multipart::Form::new().part(
        "envelope",
        reqwest::multipart::Part::text(envelope)
            .mime_str("application/json")
            .map_err(|e| MizanError::new(ErrorCode::BadRequest, format!("envelope part: {e}")))?,
    );
    for (name, upload) in files {
        let part = reqwest::multipart::Part::bytes(upload.bytes)
            .file_name(upload.filename)
            .mime_str(&upload.content_type)
            .map_err(|e| MizanError::new(ErrorCode::BadRequest, format!("argument `{name}`: content type {e}")))?;
        form = form.part(name.to_owned(), part);
    }
    Ok(Some(form))
}

/// Decodes a successful answer's JSON, naming what was expected on failure.
fn decode_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, MizanError> {
    serde_json::from_slice(bytes).map_err(|e| MizanError::bad_response(format!("{what}: {e}")))
}

/// The base as an absolute URL. Native: as given (reqwest rejects a
/// relative one with a clear error). `wasm32`: a relative base is resolved
/// against the page's origin.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn resolve_base(base: &str) -> String {
    base.to_owned()
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn resolve_base(base: &str) -> String {
    if base.contains("://") {
        return base.to_owned();
    }
    let origin = js_sys::Reflect::get(&js_sys::global(), &"location".into())
        .and_then(|loc| js_sys::Reflect::get(&loc, &"origin".into()))
        .ok()
        .and_then(|o| o.as_string())
        .unwrap_or_default();
    format!("{origin}{base}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_replace_case_insensitively() {
        let t = HttpTransport::new("http://x/api/mizan/")
            .unwrap()
            .header("X-Mizan-Token", "a");
        assert_eq!(t.base(), "http://x/api/mizan");
        t.set_header("x-mizan-token", Some("b"));
        assert_eq!(
            *t.headers.lock().unwrap(),
            vec![("x-mizan-token".to_owned(), "b".to_owned())]
        );
        t.set_header("X-MIZAN-TOKEN", None);
        assert!(t.headers.lock().unwrap().is_empty());
        assert_eq!(HttpTransport::new("").unwrap().base(), DEFAULT_BASE);
    }
}
