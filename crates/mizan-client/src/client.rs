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

struct Inner {
    transport: Box<dyn Transport>,
    store: Mutex<Store>,
    retry: RetryPolicy,
    sleep: Box<dyn Sleep>,
}

impl std::fmt::Debug for MizanClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MizanClient")
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// Configures a [`MizanClient`].
pub struct ClientBuilder {
    transport: Box<dyn Transport>,
    retry: RetryPolicy,
    sleep: Box<dyn Sleep>,
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

    /// The client.
    pub fn build(self) -> MizanClient {
        MizanClient {
            inner: Arc::new(Inner {
                transport: self.transport,
                store: Mutex::new(Store::default()),
                retry: self.retry,
                sleep: self.sleep,
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
        }
    }

    /// A client over HTTP for the API mounted at `base`.
    #[cfg(feature = "http")]
    pub fn http(base: &str) -> Result<Self, MizanError> {
        Ok(Self::new(crate::transport::HttpTransport::new(base)?))
    }

    /// A client over the Tauri IPC plugin (`wasm32` only).
    #[cfg(target_arch = "wasm32")]
    pub fn tauri() -> Self {
        Self::new(crate::transport::TauriTransport::new())
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.inner.store.lock().unwrap_or_else(PoisonError::into_inner)
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
        if !self.store().session_ready {
            let _ = self.init_session().await;
        }
        let token = self.store().csrf_token.clone();
        let request = CallRequest {
            function,
            args: &args,
            csrf_token: token.as_deref(),
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
        let args = to_params(args)?;
        let response = self.call(function, args).await?;
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

    /// Invalidates as if a response carried `entries` (e.g. pushed by a
    /// websocket): refetches the matching mounted instances.
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
        let result = self.fetch_remote(key.context(), &params).await;
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
