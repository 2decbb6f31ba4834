//! [`MizanState`]: what the router needs (registry, extensions, the
//! authenticator chain, the optional origin cache, the body limit, the
//! allowed origins), built
//! with [`MizanStateBuilder`], and the two operations the routes perform —
//! a call and a context fetch — as plain async methods, so they can be
//! driven without HTTP (benchmarks, other transports).
//!
//! These methods only move envelopes: decode the body or query, ask
//! `mizan`'s [`Registry`] (which authorizes, validates, runs the body and
//! resolves invalidation), purge or fill the cache, encode the answer.

use crate::auth::{AuthChain, Authenticator, BearerAuthenticator, MwtAuthenticator};
use crate::error::json_response;
use crate::{CACHE_HEADER, Error, INVALIDATE_HEADER};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use mizan::{CacheStatus, Extensions, Origin, OriginCache, Principal, PushHub, Registry, RequestHandle};
use mizan_core::cache::{CacheOptions, SharedCache};
use mizan_core::mwt::KeyRing;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// Default limit of open `/ws/` connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// One open `/ws/` connection; frees its slot when dropped.
pub(crate) struct ConnectionSlot(MizanState);

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0
            .inner
            .connections
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Default request body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Everything the Mizan routes need; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct MizanState {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<Registry>,
    extensions: Arc<Extensions>,
    auth: AuthChain,
    cache: Option<Arc<OriginCache>>,
    body_limit: usize,
    /// Origins allowed besides the request's own (SPEC §3.3).
    origins: crate::origin::OriginPolicy,
    /// Pushes to `/ws/` connections.
    hub: Arc<PushHub>,
    /// Open `/ws/` connections, and the limit.
    connections: std::sync::atomic::AtomicUsize,
    max_connections: usize,
}

impl fmt::Debug for MizanState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MizanState")
            .field("registry", &self.inner.registry)
            .field("auth", &self.inner.auth)
            .field("cache", &self.inner.cache.is_some())
            .field("body_limit", &self.inner.body_limit)
            .finish()
    }
}

impl MizanState {
    /// Starts a state serving `registry`: no extensions, MWT with an empty
    /// key ring (every token rejected), no other authenticator, no cache,
    /// a 1 MiB body limit.
    pub fn builder(registry: impl Into<Arc<Registry>>) -> MizanStateBuilder {
        MizanStateBuilder {
            registry: registry.into(),
            extensions: Arc::new(Extensions::new()),
            mwt_keys: KeyRing::new(),
            mwt_audience: None,
            others: Vec::new(),
            cache: None,
            cache_options: CacheOptions::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            push_redis: None,
            origins: crate::origin::OriginPolicy::default(),
        }
    }

    /// Whether a browser request with these headers may call or open a
    /// WebSocket (SPEC §3.3; the rules are in the crate docs): what
    /// `POST /call/` and `/ws/` check first, for an application's own
    /// state-changing routes too. `uri` is the request's (its authority,
    /// when it has one, is the request's own host).
    pub fn check_origin(&self, headers: &HeaderMap, uri: &Uri) -> Result<(), Error> {
        self.inner.origins.check(headers, uri)
    }

    /// The push hub `/ws/` connections subscribe to; the application can
    /// [`Registry::publish`] through [`registry`](Self::registry) instead.
    pub fn hub(&self) -> &Arc<PushHub> {
        &self.inner.hub
    }

    /// The registry served, shared (e.g. with `mizan-tauri`).
    pub fn registry_arc(&self) -> &Arc<Registry> {
        &self.inner.registry
    }

    /// The application state functions read.
    pub fn extensions(&self) -> &Arc<Extensions> {
        &self.inner.extensions
    }

    /// Takes one `/ws/` connection slot; `None` when the limit is reached.
    pub(crate) fn connection_slot(&self) -> Option<ConnectionSlot> {
        let open = self.inner.connections.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        if open >= self.inner.max_connections {
            self.inner.connections.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            return None;
        }
        Some(ConnectionSlot(self.clone()))
    }

    /// Open `/ws/` connections.
    pub fn open_connections(&self) -> usize {
        self.inner.connections.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Who a token sent in a WebSocket `auth` frame identifies: the same
    /// chain as `X-Mizan-Token` on HTTP.
    pub async fn identify_token(&self, token: &str) -> Result<Option<Principal>, Error> {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(token).map_err(|_| Error::Unauthorized {
            scheme: "mwt",
            reason: "the token is not a valid header value".into(),
        })?;
        headers.insert(HeaderName::from_static(crate::TOKEN_HEADER), value);
        self.identify(&headers).await
    }

    /// The registry served.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Whether the origin cache is enabled.
    pub fn cache_enabled(&self) -> bool {
        self.inner.cache.is_some()
    }

    /// The origin cache, when enabled (its policies explain every key).
    pub fn cache(&self) -> Option<&Arc<OriginCache>> {
        self.inner.cache.as_ref()
    }

    /// The request body limit, in bytes.
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// Who is calling, from the request headers: `Ok(None)` for anonymous,
    /// [`Error::Unauthorized`] when a credential is presented and rejected.
    pub async fn identify(&self, headers: &HeaderMap) -> Result<Option<Principal>, Error> {
        self.inner.auth.identify(headers).await
    }

    /// `POST {base}/call/` after identification: `body` is the call
    /// envelope. Returns the `{"result", "invalidate", "merge"?}` response
    /// with `X-Mizan-Invalidate` when something is invalidated, after
    /// purging the origin cache; or the error envelope.
    pub async fn call(&self, principal: Option<&Principal>, body: &[u8]) -> Response {
        self.call_from(principal, None, body).await
    }

    /// [`call`](Self::call) for a client that named itself
    /// (`X-Mizan-Client`): pushes caused by the call carry its id.
    pub async fn call_from(&self, principal: Option<&Principal>, client: Option<&str>, body: &[u8]) -> Response {
        match self.try_call(principal, client, body).await {
            Ok(response) => response,
            Err(e) => e.into_response(),
        }
    }

    async fn try_call(
        &self,
        principal: Option<&Principal>,
        client: Option<&str>,
        body: &[u8],
    ) -> Result<Response, Error> {
        let envelope: Envelope<'_> = serde_json::from_slice(body).map_err(|e| Error::BadRequest {
            reason: format!("invalid call envelope: {e}"),
        })?;
        tracing::Span::current().record("function", &*envelope.function);
        let registry = &self.inner.registry;
        let req = RequestHandle::new(Origin::Http, principal, &self.inner.extensions).with_client(client);
        // The registry's commit hooks purge the origin cache (and push)
        // before this returns.
        let response = registry.call(&req, &envelope.function, &envelope.args).await?;
        let body = serde_json::to_vec(&response)
            .map_err(|e| Error::Mizan(mizan::MizanError::internal(format!("cannot encode the response: {e}"))))?;
        let mut http = json_response(StatusCode::OK, Body::from(body));
        // Bounded: oversized targets go broad, or the header is left out
        // (the body is authoritative); a proxy must never fail a response
        // whose mutation committed.
        if let Some(value) =
            mizan_core::header::format_bounded(&response.invalidate, mizan_core::header::MAX_HEADER_BYTES)
        {
            match HeaderValue::try_from(value) {
                Ok(value) => {
                    http.headers_mut()
                        .insert(HeaderName::from_static(INVALIDATE_HEADER), value);
                }
                // Unreachable: the header is percent-encoded ASCII.
                Err(e) => tracing::error!(error = %e, "cannot send X-Mizan-Invalidate"),
            }
        }
        Ok(http)
    }

    /// Calls `function` as the server itself ([`Origin::Internal`]: private
    /// functions allowed, no principal) — a webhook route, a cron job. The
    /// registry's commit hooks run as for any call: the origin cache is
    /// purged and connected clients get the push.
    pub async fn call_internal(
        &self,
        function: &str,
        args: &Map<String, Value>,
    ) -> Result<mizan_core::wire::CallResponse, mizan::MizanError> {
        let req = RequestHandle::new(Origin::Internal, None, &self.inner.extensions);
        self.inner.registry.call(&req, function, args).await
    }

    /// `GET {base}/ctx/<context>/?<query>` after identification: coerces
    /// the query, serves from the origin cache or fetches (and stores), and
    /// reports `X-Mizan-Cache: HIT|MISS` when the cache is enabled.
    pub async fn fetch<'q>(
        &self,
        principal: Option<&Principal>,
        context: &str,
        query: impl IntoIterator<Item = (&'q str, &'q str)>,
    ) -> Response {
        match self.try_fetch(principal, context, query).await {
            Ok(response) => response,
            Err(e) => e.into_response(),
        }
    }

    async fn try_fetch<'q>(
        &self,
        principal: Option<&Principal>,
        context: &str,
        query: impl IntoIterator<Item = (&'q str, &'q str)>,
    ) -> Result<Response, Error> {
        let registry = &self.inner.registry;
        let params = registry.coerce_query(context, query)?;
        let req = RequestHandle::new(Origin::Http, principal, &self.inner.extensions);
        let fetched = registry
            .fetch_cached(&req, context, &params, self.inner.cache.as_deref())
            .await?;
        let mut response = json_response(StatusCode::OK, Body::from(fetched.body));
        if let Some(status) = fetched.cache {
            // SPEC §3: HIT or MISS; a bypass is a miss to the client.
            let verdict = if status == CacheStatus::Hit { "HIT" } else { "MISS" };
            response
                .headers_mut()
                .insert(HeaderName::from_static(CACHE_HEADER), HeaderValue::from_static(verdict));
        }
        Ok(response)
    }
}

/// The call envelope of SPEC §3 (`mizan_core::wire::CallEnvelope`), with
/// the function name borrowed from the body when it has no escapes.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "fn", borrow)]
    function: Cow<'a, str>,
    #[serde(default)]
    args: Map<String, Value>,
}

/// Builds a [`MizanState`]; see [`MizanState::builder`].
pub struct MizanStateBuilder {
    registry: Arc<Registry>,
    extensions: Arc<Extensions>,
    mwt_keys: KeyRing,
    mwt_audience: Option<String>,
    others: Vec<Arc<dyn Authenticator>>,
    cache: Option<(Vec<u8>, SharedCache)>,
    cache_options: CacheOptions,
    body_limit: usize,
    max_connections: usize,
    push_redis: Option<String>,
    origins: crate::origin::OriginPolicy,
}

impl fmt::Debug for MizanStateBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MizanStateBuilder")
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl MizanStateBuilder {
    /// The values server functions get from `req.get::<T>()` /
    /// `req.state::<T>()` (the application state).
    pub fn extensions(mut self, extensions: impl Into<Arc<Extensions>>) -> Self {
        self.extensions = extensions.into();
        self
    }

    /// Verifies `X-Mizan-Token` with this key ring (a token without `kid`
    /// uses the `default` key).
    pub fn mwt_keys(mut self, keys: KeyRing) -> Self {
        self.mwt_keys = keys;
        self
    }

    /// Verifies `X-Mizan-Token` with one secret, the `default` key.
    pub fn mwt_secret(self, secret: impl AsRef<[u8]>) -> Self {
        self.mwt_keys(KeyRing::single(secret))
    }

    /// Expects this audience in MWT `aud` (default `mizan`).
    pub fn mwt_audience(mut self, audience: impl Into<String>) -> Self {
        self.mwt_audience = Some(audience.into());
        self
    }

    /// Accepts application tokens in `Authorization: Bearer <token>`:
    /// `check` returns the principal, or `None` to reject with 401.
    /// Consulted only when no `X-Mizan-Token` is present.
    pub fn bearer<F, Fut>(self, check: F) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<Principal>> + Send + 'static,
    {
        self.authenticator(BearerAuthenticator::new(check))
    }

    /// Adds an authenticator after MWT and the ones added before.
    pub fn authenticator(mut self, authenticator: impl Authenticator) -> Self {
        self.others.push(Arc::new(authenticator));
        self
    }

    /// Enables the origin cache: keys derived with `secret` (the cache
    /// secret, distinct from the MWT secret), entries stored in `backend`
    /// (`MemoryCache`, `RedisCache`, ...).
    pub fn cache(mut self, secret: impl AsRef<[u8]>, backend: SharedCache) -> Self {
        self.cache = Some((secret.as_ref().to_vec(), backend));
        self
    }

    /// Origin cache settings the IR does not decide (the TTL cap).
    pub fn cache_options(mut self, options: CacheOptions) -> Self {
        self.cache_options = options;
        self
    }

    /// Longest accepted request body, in bytes (default 1 MiB); longer
    /// bodies get 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Most `/ws/` connections open at once (default 10,000); more are
    /// refused with 503 before the upgrade.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Lets browser pages on these origins call and open `/ws/` besides
    /// the server's own (SPEC §3.3): exact origins `scheme://host[:port]`,
    /// as a browser sends them — `https://app.example.com`,
    /// `http://localhost:5173`, `tauri://localhost`. Letter case and a
    /// default port (`:443` for https) do not matter; there are no
    /// wildcards. Adds to the list on each call.
    ///
    /// # Panics
    ///
    /// On an entry that is not an exact origin (a path or trailing slash,
    /// `*`, `null`, no scheme): a configuration error, reported when the
    /// server starts rather than silently allowing nothing or everything.
    pub fn allowed_origins<I>(mut self, origins: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for origin in origins {
            self.origins.allow(origin.as_ref());
        }
        self
    }

    /// Fans pushes out across processes through Redis pub/sub at `url`
    /// (the origin cache's Redis is fine). A Redis outage degrades to
    /// local pushes and recovers by itself. Needs a Tokio runtime at
    /// [`build`](Self::build).
    pub fn push_redis(mut self, url: impl Into<String>) -> Self {
        self.push_redis = Some(url.into());
        self
    }

    /// The state.
    pub fn build(self) -> MizanState {
        let cache = self
            .cache
            .map(|(secret, backend)| OriginCache::attach(&self.registry, secret, backend, self.cache_options));
        if let Some(cache) = &cache {
            retry_pending_purges(cache);
        }
        let hub = PushHub::attach(&self.registry, self.extensions.clone());
        if let Some(url) = &self.push_redis {
            match crate::push_bus::RedisPushBus::start(url, &hub) {
                Ok(bus) => hub.set_bus(bus),
                Err(e) => tracing::error!(error = %e, "cannot fan pushes out through Redis; pushes stay local"),
            }
        }
        let mut mwt = MwtAuthenticator::new(self.mwt_keys);
        if let Some(audience) = self.mwt_audience {
            mwt = mwt.with_audience(audience);
        }
        MizanState {
            inner: Arc::new(Inner {
                auth: AuthChain {
                    mwt,
                    others: self.others,
                },
                hub,
                connections: std::sync::atomic::AtomicUsize::new(0),
                max_connections: self.max_connections,
                registry: self.registry,
                extensions: self.extensions,
                cache,
                body_limit: self.body_limit,
                origins: self.origins,
            }),
        }
    }
}

/// Retries the cache's failed purges every second, in the background,
/// while the cache lives (when built inside a Tokio runtime; otherwise the
/// next reads of an affected context retry them).
fn retry_pending_purges(cache: &Arc<OriginCache>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let weak = Arc::downgrade(cache);
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            let Some(cache) = weak.upgrade() else { return };
            if !cache.pending_contexts().is_empty() {
                cache.retry_pending().await;
            }
        }
    });
}
