//! [`MizanClient`]: the kernel's async face. It owns the [`Store`], asks it
//! what to fetch or patch, runs the fetches through the [`Transport`] with
//! retries, and reports the answers back.
//!
//! No task is ever spawned: a mutation's future applies its merges, refetches
//! what it invalidated and completes when those refetches have settled; a
//! subscription is fetched by whoever awaits [`Subscription::load`]. That
//! keeps the kernel independent of any executor (tokio, the browser's
//! microtasks, a test's `block_on`).

use futures::future::join_all;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::error::MizanError;
use crate::params::InstanceKey;
use crate::push::{ConnectionStatus, PushTransport, ReconnectPolicy, StatusListener};
use crate::random::Jitter;
use crate::runtime::{DefaultSleep, RetryPolicy, Sleep, yield_now};
use crate::store::{InstanceState, Listener, Status, Store};
use crate::transport::{CallRequest, Transport};
use crate::wire::{CallResponse, ContextData, Invalidation, Params, SessionInfo};

/// The Mizan client kernel. Cheap to clone (all clones share one state);
/// `Send + Sync` on every target.
#[derive(Clone)]
pub struct MizanClient {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    transport: Box<dyn Transport>,
    store: Mutex<Store>,
    retry: RetryPolicy,
    pub(crate) sleep: Box<dyn Sleep>,
    /// Sent as `X-Mizan-Client` / `"client"`; pushes carrying it are ours.
    pub(crate) client_id: String,
    pub(crate) push: Option<Box<dyn PushTransport>>,
    pub(crate) reconnect: ReconnectPolicy,
    pub(crate) watch: Option<Vec<String>>,
    pub(crate) status: Mutex<StatusBoard>,
    pub(crate) jitter: Mutex<Jitter>,
}

/// The connection status and who listens to it.
#[derive(Default)]
pub(crate) struct StatusBoard {
    pub(crate) status: ConnectionStatus,
    /// True while a `run_push` future is alive.
    pub(crate) running: bool,
    listeners: std::collections::BTreeMap<u64, StatusListener>,
    next_listener: u64,
}

impl std::fmt::Debug for MizanClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MizanClient")
            .field("client_id", &self.inner.client_id)
            .field("retry", &self.inner.retry)
            .field("push", &self.inner.push.is_some())
            .finish_non_exhaustive()
    }
}

/// Configures a [`MizanClient`].
pub struct ClientBuilder {
    transport: Box<dyn Transport>,
    retry: RetryPolicy,
    sleep: Box<dyn Sleep>,
    client_id: Option<String>,
    push: Option<Box<dyn PushTransport>>,
    reconnect: ReconnectPolicy,
    watch: Option<Vec<String>>,
}

impl ClientBuilder {
    /// How context fetches are retried (default: twice, 300 ms then 600 ms).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The timer used between retries (default [`DefaultSleep`]).
    pub fn sleep(mut self, sleep: impl Sleep) -> Self {
        self.sleep = Box::new(sleep);
        self
    }

    /// Where pushes come from (see [`MizanClient::run_push`]); without one,
    /// `run_push` returns at once and the status stays `idle`.
    pub fn push(mut self, push: impl PushTransport) -> Self {
        self.push = Some(Box::new(push));
        self
    }

    /// No pushes, even if the constructor set a push transport.
    pub fn no_push(mut self) -> Self {
        self.push = None;
        self
    }

    /// How the push loop reconnects (default: 500 ms doubling to 30 s,
    /// jittered).
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.reconnect = policy;
        self
    }

    /// Receive only pushes touching these contexts (`{"op": "watch"}`);
    /// default: all of them.
    pub fn watch<I: IntoIterator<Item = S>, S: Into<String>>(mut self, contexts: I) -> Self {
        self.watch = Some(contexts.into_iter().map(Into::into).collect());
        self
    }

    /// The client id sent as `X-Mizan-Client` and `"client"` (default: 32
    /// random hex digits). Only for tests and tools: two clients sharing an
    /// id skip each other's pushes.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// The client.
    pub fn build(self) -> MizanClient {
        MizanClient {
            inner: Arc::new(Inner {
                transport: self.transport,
                store: Mutex::new(Store::default()),
                retry: self.retry,
                sleep: self.sleep,
                client_id: self.client_id.unwrap_or_else(crate::random::client_id),
                push: self.push,
                reconnect: self.reconnect,
                watch: self.watch,
                status: Mutex::new(StatusBoard::default()),
                jitter: Mutex::new(Jitter::new()),
            }),
        }
    }
}

impl MizanClient {
    /// A client over `transport` with the default retry policy and timer.
    pub fn new(transport: impl Transport) -> Self {
        Self::builder(transport).build()
    }

    /// A builder over `transport`.
    pub fn builder(transport: impl Transport) -> ClientBuilder {
        ClientBuilder {
            transport: Box::new(transport),
            retry: RetryPolicy::default(),
            sleep: Box::new(DefaultSleep),
            client_id: None,
            push: None,
            reconnect: ReconnectPolicy::default(),
            watch: None,
        }
    }

    /// A client over HTTP for the API mounted at `base`, with pushes over
    /// the WebSocket `{base}/ws/` when the crate has one for this target
    /// (feature `ws` on the host; the browser's `WebSocket` on `wasm32`).
    #[cfg(feature = "http")]
    pub fn http(base: &str) -> Result<Self, MizanError> {
        Ok(Self::http_builder(base)?.build())
    }

    /// [`MizanClient::http`] as a builder, to set the timer, the retry or
    /// reconnect policy, or replace the push transport.
    #[cfg(feature = "http")]
    pub fn http_builder(base: &str) -> Result<ClientBuilder, MizanError> {
        let transport = Arc::new(crate::transport::HttpTransport::new(base)?);
        #[allow(unused_mut)]
        let mut builder = Self::builder(Arc::clone(&transport));
        #[cfg(any(feature = "ws", target_arch = "wasm32"))]
        {
            builder = builder.push(transport.push_transport());
        }
        Ok(builder)
    }

    /// A client over the Tauri IPC plugin (`wasm32` only), with pushes
    /// through a Tauri channel (`plugin:mizan|mizan_subscribe`).
    #[cfg(target_arch = "wasm32")]
    pub fn tauri() -> Self {
        Self::builder(crate::transport::TauriTransport::new())
            .push(crate::transport::TauriPushTransport::new())
            .build()
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.inner.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// This client's id, sent as `X-Mizan-Client` on HTTP calls and as
    /// `"client"` in WebSocket and IPC envelopes. Pushes carrying it are
    /// skipped: the call's own response already applied them.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The push connection's status.
    pub fn connection_status(&self) -> ConnectionStatus {
        self.status_board().status
    }

    /// Calls `listener` with every new connection status, until the
    /// returned guard is dropped.
    pub fn on_status(&self, listener: impl Fn(ConnectionStatus) + Send + Sync + 'static) -> StatusSubscription {
        let mut board = self.status_board();
        board.next_listener += 1;
        let id = board.next_listener;
        board.listeners.insert(id, Arc::new(listener));
        StatusSubscription {
            client: self.clone(),
            id,
        }
    }

    pub(crate) fn status_board(&self) -> MutexGuard<'_, StatusBoard> {
        self.inner.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a new status and tells the listeners (outside the lock).
    pub(crate) fn set_status(&self, status: ConnectionStatus) {
        let listeners: Vec<StatusListener> = {
            let mut board = self.status_board();
            if board.status == status {
                return;
            }
            board.status = status;
            board.listeners.values().cloned().collect()
        };
        for listener in listeners {
            listener(status);
        }
    }

    /// Tells the kernel that member `slot` of `context` is a list whose
    /// elements are identified by `identity` (from the IR), for merge
    /// upserts. The generated code does this for every list slot.
    pub fn register_list_slot(&self, context: &str, slot: &str, identity: &str) {
        self.store().register_list_slot(context, slot, identity);
    }

    /// `GET {base}/session/`: remembers the CSRF token sent with later
    /// calls. Calls do this themselves before the first call; a failure
    /// there is not fatal (the next call tries again, and a backend that
    /// needs the token rejects the call itself).
    pub async fn init_session(&self) -> Result<SessionInfo, MizanError> {
        let session = self.inner.transport.session().await?;
        let mut store = self.store();
        store.csrf_token = session.csrf_token.clone();
        store.session_ready = true;
        Ok(session)
    }

    /// Calls `function` with `args`. On success, applies the response's
    /// merges, refetches the mounted instances it invalidates (batched,
    /// one fetch per instance) and returns once those have settled. A
    /// failed call changes nothing. Calls are never retried.
    pub async fn call(&self, function: &str, args: Params) -> Result<CallResponse, MizanError> {
        self.call_with_uploads(function, args, &[]).await
    }

    /// [`MizanClient::call`] for a function whose arguments named in
    /// `uploads` are files ([`crate::Upload`]s in their envelope form): the
    /// HTTP transport sends them as multipart file parts.
    pub async fn call_with_uploads(
        &self,
        function: &str,
        args: Params,
        uploads: &[&str],
    ) -> Result<CallResponse, MizanError> {
        if !self.store().session_ready {
            let _ = self.init_session().await;
        }
        let token = self.store().csrf_token.clone();
        let request = CallRequest {
            function,
            args: &args,
            csrf_token: token.as_deref(),
            client_id: Some(&self.inner.client_id),
            uploads,
        };
        let response = self.inner.transport.call(request).await?;
        self.apply(&response).await;
        Ok(response)
    }

    /// [`MizanClient::call`] with typed arguments and result.
    pub async fn call_as<A: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        function: &str,
        args: &A,
    ) -> Result<R, MizanError> {
        self.call_as_with_uploads(function, args, &[]).await
    }

    /// [`MizanClient::call_as`] with upload arguments (see
    /// [`MizanClient::call_with_uploads`]); what generated code uses.
    pub async fn call_as_with_uploads<A: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        function: &str,
        args: &A,
        uploads: &[&str],
    ) -> Result<R, MizanError> {
        let args = to_params(args)?;
        let response = self.call_with_uploads(function, args, uploads).await?;
        serde_json::from_value(response.result)
            .map_err(|e| MizanError::bad_response(format!("result of `{function}` does not match its type: {e}")))
    }

    /// Applies a call response received some other way (merges, then
    /// refetches), exactly as [`MizanClient::call`] does.
    pub async fn apply(&self, response: &CallResponse) {
        let (notify, mut refetch) = self.store().apply_merges(&response.merge);
        notify.deliver();
        refetch.extend(self.store().plan_invalidation(&response.invalidate));
        self.refetch_batch(refetch).await;
    }

    /// Invalidates as if a response carried `entries`: refetches the
    /// matching mounted instances.
    pub async fn invalidate(&self, entries: &[Invalidation]) {
        let keys = self.store().plan_invalidation(entries);
        self.refetch_batch(keys).await;
    }

    /// Fetches `context` with `params` now (with retries), updating that
    /// instance's state for every subscriber, and returns its data.
    pub async fn fetch(&self, context: &str, params: Params) -> Result<ContextData, MizanError> {
        let key = InstanceKey::new(context, &params);
        self.run_fetch(key, params).await
    }

    /// [`MizanClient::fetch`] with typed params and data.
    pub async fn fetch_as<P: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        context: &str,
        params: &P,
    ) -> Result<T, MizanError> {
        let data = self.fetch(context, to_params(params)?).await?;
        serde_json::from_value(Value::Object(data))
            .map_err(|e| MizanError::bad_response(format!("context `{context}` does not match its type: {e}")))
    }

    /// Mounts `(context, params)`: while the returned subscription lives,
    /// invalidations refetch this instance and `listener` sees every state
    /// change. Nothing is fetched until [`Subscription::load`] is awaited.
    pub fn subscribe(&self, context: &str, params: Params, listener: Option<Listener>) -> Subscription {
        let key = InstanceKey::new(context, &params);
        let id = self.store().subscribe(&key, &params, listener);
        Subscription {
            client: self.clone(),
            key,
            params,
            id,
        }
    }

    /// Fetches `(context, params)` if it needs it (never fetched, failed, or
    /// invalidated while unmounted), or waits for the fetch in flight; then
    /// returns its state. Framework adapters run this after subscribing; it
    /// holds no borrow, so it can be spawned.
    pub async fn load(&self, context: &str, params: Params) -> InstanceState {
        let key = InstanceKey::new(context, &params);
        let needs_load = self.store().needs_load(&key);
        if needs_load {
            let _ = self.run_fetch(key.clone(), params).await;
        } else {
            self.settled(&key).await;
        }
        self.store().snapshot(&key)
    }

    /// The current state of `(context, params)` (idle if never fetched).
    pub fn state(&self, context: &str, params: &Params) -> InstanceState {
        self.store().snapshot(&InstanceKey::new(context, params))
    }

    /// Forgets every instance that is neither mounted nor being fetched;
    /// returns how many.
    pub fn gc(&self) -> usize {
        self.store().gc()
    }

    /// One context fetch through the transport, retried per the policy.
    async fn fetch_remote(&self, context: &str, params: &Params) -> Result<ContextData, MizanError> {
        let mut retry = 0;
        loop {
            match self.inner.transport.fetch(context, params).await {
                Err(e) if e.is_retryable() && retry < self.inner.retry.retries => {
                    self.inner.sleep.sleep(self.inner.retry.delay(retry)).await;
                    retry += 1;
                }
                other => return other,
            }
        }
    }

    /// Fetches one instance and records the answer. When a newer fetch of
    /// the same instance superseded this one, waits for it and returns what
    /// it recorded.
    async fn run_fetch(&self, key: InstanceKey, params: Params) -> Result<ContextData, MizanError> {
        let (generation, notify) = self.store().begin_fetch(&key, &params);
        notify.deliver();
        let guard = AbortOnDrop {
            client: self,
            key: &key,
            generation,
        };
        let result = self.fetch_remote(key.context(), &params).await;
        std::mem::forget(guard);
        let finished = self.store().finish_fetch(&key, generation, result.clone());
        finished.notify.deliver();
        for waiter in finished.waiters {
            let _ = waiter.send(());
        }
        if finished.applied {
            return result;
        }
        self.settled(&key).await;
        let state = self.store().snapshot(&key);
        match (state.status, state.data, state.error) {
            (Status::Success, Some(data), _) => Ok(data),
            (Status::Error, _, Some(error)) => Err(error),
            _ => result,
        }
    }

    /// Completes when `key` has no fetch in flight.
    async fn settled(&self, key: &InstanceKey) {
        let waiter = self.store().settled(key);
        if let Some(rx) = waiter {
            let _ = rx.await;
        }
    }

    /// Refetches every mounted instance (after a reconnect: pushes may have
    /// been missed) and marks the others stale.
    pub(crate) async fn refetch_all(&self) {
        let keys = self.store().mark_all_for_refetch();
        self.refetch_batch(keys).await;
    }

    /// Refetches `keys` as one batch: everything queued in the same tick is
    /// fetched once per instance. Completes when all of `keys` have
    /// settled, including those another batch took.
    async fn refetch_batch(&self, keys: BTreeSet<InstanceKey>) {
        if keys.is_empty() {
            return;
        }
        self.store().queue(keys.iter().cloned());
        yield_now().await;
        let batch = self.store().take_pending();
        let taken: BTreeSet<InstanceKey> = batch.iter().map(|(k, _)| k.clone()).collect();
        join_all(batch.into_iter().map(|(key, params)| async move {
            // The outcome is in the instance's state; subscribers see it.
            let _ = self.run_fetch(key, params).await;
        }))
        .await;
        join_all(keys.iter().filter(|k| !taken.contains(*k)).map(|k| self.settled(k))).await;
    }
}

/// Held while a fetch is in flight: if its future is dropped first, the
/// instance must not stay "fetching" forever.
struct AbortOnDrop<'a> {
    client: &'a MizanClient,
    key: &'a InstanceKey,
    generation: u64,
}

impl Drop for AbortOnDrop<'_> {
    fn drop(&mut self) {
        let finished = self.client.store().abort_fetch(self.key, self.generation);
        finished.notify.deliver();
        for waiter in finished.waiters {
            let _ = waiter.send(());
        }
    }
}

/// A mounted `(context, params)` instance. Dropping it unmounts: the data
/// stays cached, but invalidations no longer refetch it (they mark it stale
/// and the next load fetches).
#[derive(Debug)]
pub struct Subscription {
    client: MizanClient,
    key: InstanceKey,
    params: Params,
    id: u64,
}

impl Subscription {
    /// The instance's key.
    pub fn key(&self) -> &InstanceKey {
        &self.key
    }

    /// The instance's current state.
    pub fn state(&self) -> InstanceState {
        self.client.store().snapshot(&self.key)
    }

    /// Fetches the instance if it needs it (never fetched, failed, or stale)
    /// or waits for the fetch in flight; returns the resulting state.
    pub async fn load(&self) -> InstanceState {
        self.client.load(self.key.context(), self.params.clone()).await
    }

    /// Fetches the instance now, whatever its state.
    pub async fn refetch(&self) -> InstanceState {
        let _ = self.client.run_fetch(self.key.clone(), self.params.clone()).await;
        self.state()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.client.store().unsubscribe(&self.key, self.id);
    }
}

/// A status listener registered with [`MizanClient::on_status`]; dropping
/// it unregisters the listener.
pub struct StatusSubscription {
    client: MizanClient,
    id: u64,
}

impl std::fmt::Debug for StatusSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusSubscription").field("id", &self.id).finish()
    }
}

impl Drop for StatusSubscription {
    fn drop(&mut self) {
        self.client.status_board().listeners.remove(&self.id);
    }
}

/// Serializes typed arguments or params into the wire map. Anything but a
/// JSON object (or unit/null for "no arguments") is a `BAD_REQUEST` built
/// locally.
pub fn to_params<A: Serialize + ?Sized>(args: &A) -> Result<Params, MizanError> {
    match serde_json::to_value(args) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Params::new()),
        Ok(other) => Err(MizanError::new(
            crate::ErrorCode::BadRequest,
            format!("arguments must serialize to a JSON object, not {other}"),
        )),
        Err(e) => Err(MizanError::new(
            crate::ErrorCode::BadRequest,
            format!("arguments do not serialize: {e}"),
        )),
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
