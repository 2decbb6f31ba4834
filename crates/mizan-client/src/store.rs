//! The reconciled view: one [`InstanceState`] per `(context, params)`
//! instance, its subscriptions, and the rules of SPEC §4 that decide which
//! instances a response refetches or patches.
//!
//! Plain synchronous data with no I/O and no futures: [`crate::MizanClient`]
//! locks it, asks it what to do, performs the fetches, and reports back.
//! Listener callbacks are never run here: every mutating method returns the
//! [`Notifications`] to deliver once the lock is released, so a listener may
//! call back into the client.

use futures::channel::oneshot;
use serde::de::DeserializeOwned;
use serde::de::value::MapDeserializer;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::error::MizanError;
use crate::merge::{ListSlot, Spliced, splice};
use crate::params::{InstanceKey, params_match};
use crate::wire::{ContextData, Invalidation, MergeEntry, Params};

/// Where an instance is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Never fetched.
    #[default]
    Idle,
    /// Fetching, with no data yet.
    Loading,
    /// The last fetch succeeded.
    Success,
    /// The last fetch failed (earlier data, if any, is kept).
    Error,
}

/// What a subscriber sees of one instance: `{data, status, error}`, plus
/// `is_fetching` for background refetches (which keep the status, as in the
/// TypeScript kernel).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InstanceState {
    /// The context's data (member → result), once fetched; kept during and
    /// after a failed refetch.
    pub data: Option<ContextData>,
    /// `loading` until the first data arrives; `success`/`error` after.
    pub status: Status,
    /// The last fetch's error, when `status` is `Error`.
    pub error: Option<MizanError>,
    /// True while a fetch is in flight (also during background refetches).
    pub is_fetching: bool,
}

/// [`InstanceState`] with the data decoded into the generated type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedState<T> {
    /// The decoded data.
    pub data: Option<T>,
    /// Where the instance is (`Error` when the data does not decode).
    pub status: Status,
    /// The error, when `status` is `Error`.
    pub error: Option<MizanError>,
    /// True while a fetch is in flight.
    pub is_fetching: bool,
}

impl<T> Default for TypedState<T> {
    fn default() -> Self {
        TypedState {
            data: None,
            status: Status::Idle,
            error: None,
            is_fetching: false,
        }
    }
}

impl InstanceState {
    /// Decodes the data as `T` (a generated `<Ctx>ContextData` struct). Data
    /// that does not fit becomes status `Error` with a `BAD_RESPONSE`.
    pub fn decode<T: DeserializeOwned>(&self) -> TypedState<T> {
        let data = match &self.data {
            None => None,
            // Decoded from a borrow: a copy of the whole tree first would
            // double the peak memory of a large context (wasm memory never
            // shrinks back).
            Some(d) => match T::deserialize(MapDeserializer::new(d.iter().map(|(k, v)| (k.as_str(), v)))) {
                Ok(t) => Some(t),
                Err(e) => {
                    return TypedState {
                        data: None,
                        status: Status::Error,
                        error: Some(MizanError::bad_response(format!(
                            "context data does not match its type: {e}"
                        ))),
                        is_fetching: self.is_fetching,
                    };
                }
            },
        };
        TypedState {
            data,
            status: self.status,
            error: self.error.clone(),
            is_fetching: self.is_fetching,
        }
    }
}

/// A callback run with an instance's new state after every change.
pub type Listener = Arc<dyn Fn(&InstanceState) + Send + Sync>;

/// Listener calls to make once the store is unlocked.
#[must_use]
#[derive(Default)]
pub(crate) struct Notifications(Vec<(Listener, InstanceState)>);

impl Notifications {
    /// Calls every listener, in order.
    pub(crate) fn deliver(self) {
        for (listener, state) in self.0 {
            listener(&state);
        }
    }

    fn push_instance(&mut self, inst: &Instance) {
        for listener in inst.subscriptions.values().flatten() {
            self.0.push((Arc::clone(listener), inst.state.clone()));
        }
    }
}

/// One `(context, params)` instance.
struct Instance {
    params: Params,
    state: InstanceState,
    /// Subscription id → its listener; mounted while non-empty.
    subscriptions: BTreeMap<u64, Option<Listener>>,
    /// Invalidated while unmounted: fetch again on the next load.
    stale: bool,
    /// Bumped by every fetch; only the newest fetch's answer is kept.
    generation: u64,
    /// The generation of the fetch in flight, if any.
    in_flight: Option<u64>,
    /// Woken when the fetch in flight settles.
    waiters: Vec<oneshot::Sender<()>>,
}

impl Instance {
    fn new(params: Params) -> Self {
        Instance {
            params,
            state: InstanceState::default(),
            subscriptions: BTreeMap::new(),
            stale: false,
            generation: 0,
            in_flight: None,
            waiters: Vec::new(),
        }
    }

    fn mounted(&self) -> bool {
        !self.subscriptions.is_empty()
    }
}

/// The outcome of [`Store::finish_fetch`].
pub(crate) struct Finished {
    /// False when a newer fetch superseded this one (its answer dropped).
    pub(crate) applied: bool,
    pub(crate) notify: Notifications,
    pub(crate) waiters: Vec<oneshot::Sender<()>>,
}

/// What a client would do with one response, given the instances it has
/// mounted (see [`plan_response`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponsePlan {
    /// Instances refetched (index into the mounted list).
    pub refetch: Vec<usize>,
    /// Instances patched in place by a merge, without a round trip.
    pub patch: Vec<usize>,
}

/// The client's own planning, on a list of mounted `(context, params)`
/// instances instead of a live store: which it would refetch for
/// `invalidate` ([`Store::plan_invalidation`]) and which it would patch for
/// `merge` (the matching of [`Store::apply_merges`]). The studio's replay
/// console shows it; it is this code, not a copy.
pub fn plan_response(mounted: &[(String, Params)], invalidate: &[Invalidation], merge: &[MergeEntry]) -> ResponsePlan {
    let mut store = Store::default();
    let keys: Vec<InstanceKey> = mounted
        .iter()
        .map(|(context, params)| {
            let key = InstanceKey::new(context, params);
            store.subscribe(&key, params, None);
            key
        })
        .collect();
    let refetch = store.plan_invalidation(invalidate);
    let mut patched = BTreeSet::new();
    for entry in merge {
        patched.extend(
            store
                .matching(&entry.context, entry.params.as_ref())
                .map(|(k, _)| k.clone()),
        );
    }
    let index = |set: &BTreeSet<InstanceKey>| {
        keys.iter()
            .enumerate()
            .filter(|(_, k)| set.contains(k))
            .map(|(i, _)| i)
            .collect()
    };
    ResponsePlan {
        refetch: index(&refetch),
        patch: index(&patched),
    }
}

/// Every instance, the batch of instances waiting to be refetched, and the
/// merge registrations of the generated code.
#[derive(Default)]
pub(crate) struct Store {
    instances: BTreeMap<InstanceKey, Instance>,
    pending: BTreeSet<InstanceKey>,
    list_slots: HashMap<(String, String), ListSlot>,
    next_subscription: u64,
    /// The session's CSRF token, once the session is initialised.
    pub(crate) csrf_token: Option<String>,
    /// True once `GET {base}/session/` succeeded.
    pub(crate) session_ready: bool,
}

impl Store {
    /// Registers a list slot for merge upserts (from the IR).
    pub(crate) fn register_list_slot(&mut self, context: &str, slot: &str, identity: &str) {
        self.list_slots.insert(
            (context.to_owned(), slot.to_owned()),
            ListSlot {
                identity: identity.to_owned(),
            },
        );
    }

    fn instance(&mut self, key: &InstanceKey, params: &Params) -> &mut Instance {
        self.instances
            .entry(key.clone())
            .or_insert_with(|| Instance::new(params.clone()))
    }

    /// Mounts a subscription; returns its id.
    pub(crate) fn subscribe(&mut self, key: &InstanceKey, params: &Params, listener: Option<Listener>) -> u64 {
        self.next_subscription += 1;
        let id = self.next_subscription;
        self.instance(key, params).subscriptions.insert(id, listener);
        id
    }

    /// Unmounts a subscription. The instance and its data stay cached.
    pub(crate) fn unsubscribe(&mut self, key: &InstanceKey, id: u64) {
        if let Some(inst) = self.instances.get_mut(key) {
            inst.subscriptions.remove(&id);
        }
    }

    /// True when a load must fetch: never fetched, failed, or invalidated
    /// while unmounted — and no fetch is in flight.
    pub(crate) fn needs_load(&self, key: &InstanceKey) -> bool {
        self.instances.get(key).is_none_or(|inst| {
            inst.in_flight.is_none() && (inst.stale || matches!(inst.state.status, Status::Idle | Status::Error))
        })
    }

    /// Starts a fetch, with a new generation: `is_fetching`, and status
    /// `Loading` when there is no data yet.
    pub(crate) fn begin_fetch(&mut self, key: &InstanceKey, params: &Params) -> (u64, Notifications) {
        let inst = self.instance(key, params);
        inst.generation += 1;
        inst.in_flight = Some(inst.generation);
        inst.stale = false;
        inst.state.is_fetching = true;
        if inst.state.data.is_none() {
            inst.state.status = Status::Loading;
        }
        let mut notify = Notifications::default();
        notify.push_instance(inst);
        (inst.generation, notify)
    }

    /// Records a fetch's answer, unless a newer fetch started since.
    pub(crate) fn finish_fetch(
        &mut self,
        key: &InstanceKey,
        generation: u64,
        result: Result<ContextData, MizanError>,
    ) -> Finished {
        let mut notify = Notifications::default();
        let Some(inst) = self.instances.get_mut(key) else {
            return Finished {
                applied: false,
                notify,
                waiters: Vec::new(),
            };
        };
        if inst.in_flight != Some(generation) {
            return Finished {
                applied: false,
                notify,
                waiters: Vec::new(),
            };
        }
        inst.in_flight = None;
        match result {
            Ok(data) => {
                inst.state = InstanceState {
                    data: Some(data),
                    status: Status::Success,
                    error: None,
                    is_fetching: false,
                };
            }
            Err(error) => {
                inst.state.status = Status::Error;
                inst.state.error = Some(error);
                inst.state.is_fetching = false;
            }
        }
        notify.push_instance(inst);
        Finished {
            applied: true,
            notify,
            waiters: std::mem::take(&mut inst.waiters),
        }
    }

    /// Forgets a fetch whose future was dropped before it finished (the
    /// push loop or a spawned load was cancelled): unless a newer fetch
    /// started, the instance is no longer fetching, is stale (the next load
    /// fetches it), and whoever waited for it is released.
    pub(crate) fn abort_fetch(&mut self, key: &InstanceKey, generation: u64) -> Finished {
        let mut notify = Notifications::default();
        let Some(inst) = self.instances.get_mut(key).filter(|i| i.in_flight == Some(generation)) else {
            return Finished {
                applied: false,
                notify,
                waiters: Vec::new(),
            };
        };
        inst.in_flight = None;
        inst.stale = true;
        inst.state.is_fetching = false;
        if inst.state.status == Status::Loading {
            inst.state.status = Status::Idle;
        }
        notify.push_instance(inst);
        Finished {
            applied: true,
            notify,
            waiters: std::mem::take(&mut inst.waiters),
        }
    }

    /// A receiver completed when the fetch in flight settles; `None` when
    /// nothing is in flight.
    pub(crate) fn settled(&mut self, key: &InstanceKey) -> Option<oneshot::Receiver<()>> {
        let inst = self.instances.get_mut(key)?;
        inst.in_flight?;
        let (tx, rx) = oneshot::channel();
        inst.waiters.push(tx);
        Some(rx)
    }

    /// The instances of `context` whose params match `scope` (all of them
    /// for `None`).
    fn matching<'a>(
        &'a mut self,
        context: &'a str,
        scope: Option<&'a Params>,
    ) -> impl Iterator<Item = (&'a InstanceKey, &'a mut Instance)> + 'a {
        self.instances
            .iter_mut()
            .filter(move |(k, inst)| k.context() == context && scope.is_none_or(|s| params_match(s, &inst.params)))
    }

    /// SPEC §4 on a response's `invalidate` list: the mounted instances to
    /// refetch, de-duplicated. Matching instances that are not mounted are
    /// not fetched; they are marked stale and fetched on their next load.
    pub(crate) fn plan_invalidation(&mut self, entries: &[Invalidation]) -> BTreeSet<InstanceKey> {
        let mut refetch = BTreeSet::new();
        for entry in entries {
            for (key, inst) in self.matching(entry.context(), entry.params()) {
                if inst.mounted() {
                    refetch.insert(key.clone());
                } else {
                    inst.stale = true;
                }
            }
        }
        refetch
    }

    /// After a reconnect (pushes may have been missed): every mounted
    /// instance to refetch; the unmounted ones become stale.
    pub(crate) fn mark_all_for_refetch(&mut self) -> BTreeSet<InstanceKey> {
        let mut refetch = BTreeSet::new();
        for (key, inst) in &mut self.instances {
            if inst.mounted() {
                refetch.insert(key.clone());
            } else {
                inst.stale = true;
            }
        }
        refetch
    }

    /// Splices a response's `merge` entries into every matching instance
    /// that has data. An instance with a fetch in flight gets the patch too,
    /// and is refetched (mounted) or marked stale, since the answer in
    /// flight may predate the mutation.
    pub(crate) fn apply_merges(&mut self, merges: &[MergeEntry]) -> (Notifications, BTreeSet<InstanceKey>) {
        let mut notify = Notifications::default();
        let mut refetch = BTreeSet::new();
        for entry in merges {
            let list_slot = self
                .list_slots
                .get(&(entry.context.clone(), entry.slot.clone()))
                .cloned();
            for (key, inst) in self.matching(&entry.context, entry.params.as_ref()) {
                if inst.in_flight.is_some() {
                    if inst.mounted() {
                        refetch.insert(key.clone());
                    } else {
                        inst.stale = true;
                    }
                }
                if let Some(data) = inst.state.data.as_mut()
                    && splice(data, &entry.slot, &entry.value, list_slot.as_ref()) != Spliced::Unchanged
                {
                    notify.push_instance(inst);
                }
            }
        }
        (notify, refetch)
    }

    /// Adds instances to the batch waiting to be refetched.
    pub(crate) fn queue(&mut self, keys: impl IntoIterator<Item = InstanceKey>) {
        self.pending.extend(keys);
    }

    /// Takes the whole batch: each instance once, with its params.
    pub(crate) fn take_pending(&mut self) -> Vec<(InstanceKey, Params)> {
        std::mem::take(&mut self.pending)
            .into_iter()
            .filter_map(|k| {
                let params = self.instances.get(&k)?.params.clone();
                Some((k, params))
            })
            .collect()
    }

    /// The state of an instance (idle if unknown).
    pub(crate) fn snapshot(&self, key: &InstanceKey) -> InstanceState {
        self.instances.get(key).map(|i| i.state.clone()).unwrap_or_default()
    }

    /// True when the instance exists and is mounted.
    #[cfg(test)]
    pub(crate) fn is_mounted(&self, key: &InstanceKey) -> bool {
        self.instances.get(key).is_some_and(Instance::mounted)
    }

    /// Drops every instance that is neither mounted nor fetching; returns
    /// how many.
    pub(crate) fn gc(&mut self) -> usize {
        let before = self.instances.len();
        self.instances
            .retain(|_, inst| inst.mounted() || inst.in_flight.is_some());
        before - self.instances.len()
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
