//! The devtools tap (feature `devtools`, debug builds only): every call and
//! fetch on every transport, every commit and every push, as [`Event`]s
//! (recorded as their JSON, in [`Batch`]es) handed to whoever
//! [`observe`](Tap::observe)s the registry's [`Tap`].
//!
//! The tap lives in the runtime because that is the one place every
//! transport passes through: `mizan-axum`'s HTTP and `/ws/`, `mizan-tauri`'s
//! IPC and server-side calls (`Origin::Internal`, a webhook's) all dispatch
//! through [`Registry::call`](crate::Registry::call) /
//! [`fetch`](crate::Registry::fetch) /
//! [`fetch_cached`](crate::Registry::fetch_cached), and every push is
//! delivered by a [`PushHub`](crate::PushHub). `mizan-devtools` serves the
//! events on a loopback WebSocket; this module never does I/O.
//!
//! * **Nobody attached costs one atomic load** per call or fetch: no event
//!   is built, no clock read, nothing recorded.
//! * **Attached, an event is written once and nothing is allocated for
//!   it**: serialized on the request path straight from the call's
//!   borrowed arguments, result and resolution (no clone of them) into a
//!   reused per-thread buffer, then appended to each observer's waiting
//!   [`Batch`] (comma-separated JSON objects, ready to be one frame).
//! * **Bounded, and never slows a request**: an observer may have
//!   [`DEFAULT_QUEUE`] events (and [`MAX_BATCH_BYTES`]) waiting; past that
//!   it is dropped (its stream ends, [`Observation::dropped`] is true) —
//!   the request never waits for it.
//! * **No secrets**: the principal is its id (the MWT `sub`) only; tokens,
//!   headers and cookies never reach the tap. Arguments, results and
//!   params are recorded as given (uploads included): the tap is a debug
//!   tool, off unless the app enables the feature.
//!
//! The one exception to "this crate reads no clocks": an attached tap
//! stamps events with the wall clock and times calls with `Instant`.

use crate::cache::{CacheReason, CacheStatus};
use crate::{MizanError, Origin, RequestHandle};
use futures::stream::Stream;
use mizan_core::invalidation::{Invalidation, MergeEntry};
use mizan_core::wire::ErrorCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Events one observer may have waiting before it is dropped.
pub const DEFAULT_QUEUE: usize = 4096;

/// One thing that happened in the app, in emission order (`seq`).
///
/// Its JSON is flat: `{"seq", "at_ms", "kind": "call"|"fetch"|"commit"|
/// "push", ...the kind's fields}`. It is read without serde's buffering of
/// flattened and tagged content (see [`Wire`]), so an observer decodes an
/// event several times faster than a derived impl would.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Emission order in this process, from 1, without gaps (an observer
    /// that sees a gap was not attached, or was dropped, meanwhile).
    pub seq: u64,
    /// Wall-clock time the event was emitted (a call's or fetch's end), in
    /// milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What happened (its fields are the event's, beside `kind`).
    pub kind: EventKind,
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Flat(self.seq, self.at_ms, &self.kind).serialize(serializer)
    }
}

/// An event's flat JSON object: `seq`, `at_ms`, then its kind's fields.
/// Written by hand: serde's `flatten` costs about a third of an event's
/// serialization, which an attached app pays per call.
struct Flat<'a, K>(u64, u64, &'a K);

impl<K: Entries> Serialize for Flat<'_, K> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("seq", &self.0)?;
        map.serialize_entry("at_ms", &self.1)?;
        self.2.entries(&mut map)?;
        map.end()
    }
}

/// What can be written as an event's fields after `seq` and `at_ms`: an
/// owned [`EventKind`], or a call's or fetch's borrowed view (what the hot
/// path records, without cloning its arguments).
trait Entries {
    fn entries<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

fn caller_entries<M: serde::ser::SerializeMap>(map: &mut M, caller: CallerView<'_>) -> Result<(), M::Error> {
    map.serialize_entry("transport", &caller.transport)?;
    if let Some(p) = caller.principal {
        map.serialize_entry("principal", p)?;
    }
    if let Some(c) = caller.client {
        map.serialize_entry("client", c)?;
    }
    Ok(())
}

/// A [`Caller`], borrowed.
#[derive(Clone, Copy)]
struct CallerView<'a> {
    transport: Transport,
    principal: Option<&'a str>,
    client: Option<&'a str>,
}

impl Caller {
    fn view(&self) -> CallerView<'_> {
        CallerView {
            transport: self.transport,
            principal: self.principal.as_deref(),
            client: self.client.as_deref(),
        }
    }
}

impl<'a> CallerView<'a> {
    fn of(req: &'a RequestHandle<'_>) -> Self {
        CallerView {
            transport: req.origin().into(),
            principal: req.principal().map(|p| p.id.as_str()),
            client: req.client(),
        }
    }
}

/// A [`CallEvent`], borrowed.
struct CallView<'a> {
    id: u64,
    function: &'a str,
    args: &'a Map<String, Value>,
    caller: CallerView<'a>,
    duration_us: u64,
    status: Status,
    error: Option<&'a EventError>,
    result: Option<&'a Value>,
    invalidate: &'a [Invalidation],
    merge: &'a [MergeEntry],
}

impl CallEvent {
    fn view(&self) -> CallView<'_> {
        CallView {
            id: self.id,
            function: &self.function,
            args: &self.args,
            caller: self.caller.view(),
            duration_us: self.duration_us,
            status: self.status,
            error: self.error.as_ref(),
            result: self.result.as_ref(),
            invalidate: &self.invalidate,
            merge: &self.merge,
        }
    }
}

impl Entries for CallView<'_> {
    fn entries<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("kind", "call")?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("fn", self.function)?;
        map.serialize_entry("args", self.args)?;
        caller_entries(map, self.caller)?;
        map.serialize_entry("duration_us", &self.duration_us)?;
        map.serialize_entry("status", &self.status)?;
        if let Some(e) = self.error {
            map.serialize_entry("error", e)?;
        }
        if let Some(r) = self.result {
            map.serialize_entry("result", r)?;
        }
        map.serialize_entry("invalidate", self.invalidate)?;
        if !self.merge.is_empty() {
            map.serialize_entry("merge", self.merge)?;
        }
        Ok(())
    }
}

/// A [`FetchEvent`], borrowed.
struct FetchView<'a> {
    id: u64,
    context: &'a str,
    params: &'a Map<String, Value>,
    caller: CallerView<'a>,
    duration_us: u64,
    status: Status,
    error: Option<&'a EventError>,
    cache: Option<CacheStatus>,
    cache_reason: Option<&'a CacheReason>,
}

impl FetchEvent {
    fn view(&self) -> FetchView<'_> {
        FetchView {
            id: self.id,
            context: &self.context,
            params: &self.params,
            caller: self.caller.view(),
            duration_us: self.duration_us,
            status: self.status,
            error: self.error.as_ref(),
            cache: self.cache,
            cache_reason: self.cache_reason.as_ref(),
        }
    }
}

impl Entries for FetchView<'_> {
    fn entries<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("kind", "fetch")?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("context", self.context)?;
        map.serialize_entry("params", self.params)?;
        caller_entries(map, self.caller)?;
        map.serialize_entry("duration_us", &self.duration_us)?;
        map.serialize_entry("status", &self.status)?;
        if let Some(e) = self.error {
            map.serialize_entry("error", e)?;
        }
        if let Some(c) = &self.cache {
            map.serialize_entry("cache", c)?;
        }
        if let Some(r) = self.cache_reason {
            map.serialize_entry("cache_reason", r)?;
        }
        Ok(())
    }
}

impl Entries for EventKind {
    fn entries<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let caller = |map: &mut M, caller: &Caller| caller_entries(map, caller.view());
        match self {
            EventKind::Call(c) => c.view().entries(map)?,
            EventKind::Fetch(f) => f.view().entries(map)?,
            EventKind::Commit(c) => {
                map.serialize_entry("kind", "commit")?;
                if let Some(call) = &c.call {
                    map.serialize_entry("call", call)?;
                }
                if let Some(f) = &c.function {
                    map.serialize_entry("fn", f)?;
                }
                caller(map, &c.caller)?;
                map.serialize_entry("invalidate", &c.invalidate)?;
                if !c.merge.is_empty() {
                    map.serialize_entry("merge", &c.merge)?;
                }
            }
            EventKind::Push(p) => {
                map.serialize_entry("kind", "push")?;
                if let Some(commit) = &p.commit {
                    map.serialize_entry("commit", commit)?;
                }
                if let Some(call) = &p.call {
                    map.serialize_entry("call", call)?;
                }
                if let Some(f) = &p.function {
                    map.serialize_entry("fn", f)?;
                }
                if let Some(c) = &p.client {
                    map.serialize_entry("client", c)?;
                }
                map.serialize_entry("invalidate", &p.invalidate)?;
                if !p.merge.is_empty() {
                    map.serialize_entry("merge", &p.merge)?;
                }
                map.serialize_entry("delivered", &p.delivered)?;
                map.serialize_entry("remote", &p.remote)?;
            }
        }
        Ok(())
    }
}

/// Every field any kind of event has, read in one pass (unknown fields
/// such as a frame's `"op"` ignored), then checked per `kind`.
#[derive(Deserialize)]
struct Wire {
    seq: u64,
    at_ms: u64,
    kind: String,
    id: Option<u64>,
    #[serde(rename = "fn")]
    function: Option<String>,
    args: Option<Map<String, Value>>,
    context: Option<String>,
    params: Option<Map<String, Value>>,
    transport: Option<Transport>,
    principal: Option<String>,
    client: Option<String>,
    duration_us: Option<u64>,
    status: Option<Status>,
    error: Option<EventError>,
    #[serde(default, deserialize_with = "present")]
    result: Option<Value>,
    invalidate: Option<Vec<Invalidation>>,
    merge: Option<Vec<MergeEntry>>,
    cache: Option<CacheStatus>,
    cache_reason: Option<CacheReason>,
    call: Option<u64>,
    commit: Option<u64>,
    delivered: Option<usize>,
    remote: Option<bool>,
}

/// `"result": null` is a result (`Some(Null)`), not an absent one.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let w = Wire::deserialize(deserializer)?;
        let name = w.kind.as_str();
        let missing = |field: &'static str| D::Error::custom(format!("a `{name}` event needs `{field}`"));
        // Pushes have no transport (they are not a request).
        let transport = w.transport;
        let caller = |principal, client| -> Result<Caller, D::Error> {
            Ok(Caller {
                transport: transport.ok_or_else(|| missing("transport"))?,
                principal,
                client,
            })
        };
        let kind = match name {
            "call" => EventKind::Call(CallEvent {
                id: w.id.ok_or_else(|| missing("id"))?,
                function: w.function.ok_or_else(|| missing("fn"))?,
                args: w.args.unwrap_or_default(),
                caller: caller(w.principal, w.client)?,
                duration_us: w.duration_us.ok_or_else(|| missing("duration_us"))?,
                status: w.status.ok_or_else(|| missing("status"))?,
                error: w.error,
                result: w.result,
                invalidate: w.invalidate.unwrap_or_default(),
                merge: w.merge.unwrap_or_default(),
            }),
            "fetch" => EventKind::Fetch(FetchEvent {
                id: w.id.ok_or_else(|| missing("id"))?,
                context: w.context.ok_or_else(|| missing("context"))?,
                params: w.params.unwrap_or_default(),
                caller: caller(w.principal, w.client)?,
                duration_us: w.duration_us.ok_or_else(|| missing("duration_us"))?,
                status: w.status.ok_or_else(|| missing("status"))?,
                error: w.error,
                cache: w.cache,
                cache_reason: w.cache_reason,
            }),
            "commit" => EventKind::Commit(CommitEvent {
                call: w.call,
                function: w.function,
                caller: caller(w.principal, w.client)?,
                invalidate: w.invalidate.ok_or_else(|| missing("invalidate"))?,
                merge: w.merge.unwrap_or_default(),
            }),
            "push" => EventKind::Push(PushEvent {
                commit: w.commit,
                call: w.call,
                function: w.function,
                client: w.client,
                invalidate: w.invalidate.ok_or_else(|| missing("invalidate"))?,
                merge: w.merge.unwrap_or_default(),
                delivered: w.delivered.ok_or_else(|| missing("delivered"))?,
                remote: w.remote.unwrap_or(false),
            }),
            other => {
                return Err(D::Error::unknown_variant(other, &["call", "fetch", "commit", "push"]));
            }
        };
        Ok(Event {
            seq: w.seq,
            at_ms: w.at_ms,
            kind,
        })
    }
}

/// The kinds of [`Event`] (`"kind"` on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EventKind {
    /// A function call ended.
    Call(CallEvent),
    /// A context fetch ended.
    Fetch(FetchEvent),
    /// A successful mutation (or a publish) changed something; emitted
    /// before its hooks run, so before its push and before its call's event.
    Commit(CommitEvent),
    /// A push was delivered to this process's subscribers.
    Push(PushEvent),
}

/// Which transport a request came over (`mizan::Origin` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// HTTP (`POST /call/`, `GET /ctx/`).
    Http,
    /// A `/ws/` connection.
    Websocket,
    /// Tauri IPC.
    Ipc,
    /// Server-internal: a webhook, a cron job, a replay marked internal.
    Internal,
}

impl From<Origin> for Transport {
    fn from(origin: Origin) -> Self {
        match origin {
            Origin::Http => Transport::Http,
            Origin::WebSocket => Transport::Websocket,
            Origin::Ipc => Transport::Ipc,
            Origin::Internal => Transport::Internal,
        }
    }
}

/// How a call or fetch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Answered.
    Ok,
    /// Refused or failed; see `error`.
    Error,
}

/// The error a call or fetch answered with (what the client saw: an
/// `INTERNAL_ERROR` carries only its request id, never the detail).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventError {
    /// The SPEC §3 code.
    pub code: ErrorCode,
    /// The message.
    pub message: String,
    /// Details (per-field validation messages, the request id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl From<&MizanError> for EventError {
    /// The error as clients see it (`MizanError::body`).
    fn from(e: &MizanError) -> Self {
        let body = e.body();
        EventError {
            code: body.code,
            message: body.message,
            details: body.details,
        }
    }
}

/// Who and how: shared by calls and fetches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Caller {
    /// The transport.
    pub transport: Transport,
    /// The principal's id (MWT `sub`); never a token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// The client id the caller sent (`X-Mizan-Client`, `"client"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

/// A function call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallEvent {
    /// This call's id; its [`CommitEvent::call`] and [`PushEvent::call`]
    /// name it.
    pub id: u64,
    /// The function.
    #[serde(rename = "fn")]
    pub function: String,
    /// The arguments as received.
    pub args: Map<String, Value>,
    /// Who called, over what.
    #[serde(flatten)]
    pub caller: Caller,
    /// Time in the dispatcher (auth, validation, the body, the hooks), µs.
    pub duration_us: u64,
    /// How it ended.
    pub status: Status,
    /// The error, when `status` is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<EventError>,
    /// The result, when `status` is `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The resolved `invalidate` (SPEC §4), as the response carried it.
    #[serde(default)]
    pub invalidate: Vec<Invalidation>,
    /// The resolved `merge`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merge: Vec<MergeEntry>,
}

/// A context fetch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchEvent {
    /// This fetch's id.
    pub id: u64,
    /// The context.
    pub context: String,
    /// The params (coerced to their declared types).
    pub params: Map<String, Value>,
    /// Who fetched, over what.
    #[serde(flatten)]
    pub caller: Caller,
    /// Time in the dispatcher (auth, cache lookup, members, store), µs.
    pub duration_us: u64,
    /// How it ended.
    pub status: Status,
    /// The error, when `status` is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<EventError>,
    /// The origin cache's decision (`HIT`, `MISS`, `BYPASS`); absent
    /// without a cache, or when the fetch was refused before the lookup.
    /// (HTTP reports a bypass as `X-Mizan-Cache: MISS`.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheStatus>,
    /// Why it missed or bypassed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_reason: Option<CacheReason>,
}

/// A commit (SPEC §3.1 "what is pushed"; `mizan::Commit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitEvent {
    /// The call that committed (`None`: `Registry::publish`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<u64>,
    /// The mutation (`None`: a publish).
    #[serde(rename = "fn", default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// Who committed, over what.
    #[serde(flatten)]
    pub caller: Caller,
    /// What to refetch.
    pub invalidate: Vec<Invalidation>,
    /// What to patch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merge: Vec<MergeEntry>,
}

/// A push handed to this process's subscribers (`/ws/` connections,
/// Tauri channels).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushEvent {
    /// The `seq` of the commit event that caused it (`None`: it came from
    /// another process through the push bus).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<u64>,
    /// The call that caused it, when it was a call in this process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<u64>,
    /// The mutation named in the push (`"fn"`).
    #[serde(rename = "fn", default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The client id in the push (shown only to its principal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// What the push invalidates (before per-subscriber filtering).
    pub invalidate: Vec<Invalidation>,
    /// What it merges (before per-subscriber filtering).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merge: Vec<MergeEntry>,
    /// How many subscribers received a frame of it.
    pub delivered: usize,
    /// Whether it came from another process (the push bus).
    #[serde(default)]
    pub remote: bool,
}

/// Events recorded for one observer since it last took them: their JSON
/// objects (`{"seq", "at_ms", "kind", ...}`, the [`Event`]
/// serialization), comma-separated — what a JSON array holds between its
/// brackets. Each was written once, on the request path, from borrowed
/// data, straight into the observers' buffers.
#[derive(Debug, Default)]
pub struct Batch {
    json: String,
    count: usize,
}

impl Batch {
    /// The events' JSON objects, comma-separated (`[` + this + `]` is a
    /// JSON array of events).
    pub fn json(&self) -> &str {
        &self.json
    }

    /// How many events.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The events, decoded.
    pub fn events(&self) -> Result<Vec<Event>, serde_json::Error> {
        serde_json::from_str(&format!("[{}]", self.json))
    }
}

/// Largest batch an observer may have waiting, in bytes, before it is
/// dropped as too slow (besides [`DEFAULT_QUEUE`] events).
pub const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// One observer's waiting events, filled by the tap, taken by its
/// [`Observation`].
#[derive(Default)]
struct Queue {
    state: Mutex<Waiting>,
    dropped: AtomicBool,
    closed: AtomicBool,
}

#[derive(Default)]
struct Waiting {
    batch: Batch,
    waker: Option<std::task::Waker>,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The registry's tap (one per [`Registry`](crate::Registry), reached with
/// [`Registry::tap`](crate::Registry::tap)).
pub struct Tap {
    /// Open observers; the hot path reads only this count.
    attached: AtomicUsize,
    observers: Mutex<Vec<Arc<Queue>>>,
    seq: AtomicU64,
    ids: AtomicU64,
    queue: usize,
    /// Commits whose hooks are running: the commit's address → (its
    /// event's seq, its call id), so the push hub links its push.
    running: Mutex<Vec<(usize, u64, Option<u64>)>>,
}

impl Default for Tap {
    fn default() -> Self {
        Tap::with_queue(DEFAULT_QUEUE)
    }
}

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tap")
            .field("attached", &self.attached.load(Ordering::Relaxed))
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

/// A call or fetch being timed (only while someone is attached).
#[derive(Debug)]
pub(crate) struct Started {
    pub(crate) id: u64,
    at: Instant,
}

impl Tap {
    /// A tap whose observers may each have `queue` events waiting.
    pub fn with_queue(queue: usize) -> Self {
        Tap {
            attached: AtomicUsize::new(0),
            observers: Mutex::default(),
            seq: AtomicU64::new(0),
            ids: AtomicU64::new(0),
            queue: queue.max(1),
            running: Mutex::default(),
        }
    }

    /// Whether anyone is observing (what the hot path checks).
    #[inline]
    pub fn is_attached(&self) -> bool {
        self.attached.load(Ordering::Relaxed) != 0
    }

    /// How many observers are attached.
    pub fn observers(&self) -> usize {
        self.attached.load(Ordering::Relaxed)
    }

    /// Starts receiving every event from now on.
    pub fn observe(&self) -> Observation {
        let queue = Arc::new(Queue::default());
        let mut observers = self.lock();
        observers.push(queue.clone());
        self.attached.store(observers.len(), Ordering::Relaxed);
        Observation { queue }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Queue>>> {
        self.observers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes `kind` as the next event into every observer's batch;
    /// returns its `seq`. No allocation per event: the JSON is written into
    /// this thread's scratch buffer, then appended to each batch.
    fn emit<K: Entries>(&self, kind: &K) -> u64 {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        SCRATCH.with_borrow_mut(|out| {
            out.clear();
            if let Err(e) = serde_json::to_writer(&mut *out, &Flat(seq, at_ms, kind)) {
                tracing::warn!(error = %e, seq, "devtools event not recorded: it does not serialize");
                return;
            }
            // serde_json writes UTF-8 only.
            let Ok(json) = std::str::from_utf8(out) else { return };
            let mut wake = Vec::new();
            let mut observers = self.lock();
            observers.retain(|queue| {
                if queue.closed.load(Ordering::Relaxed) {
                    return false;
                }
                let mut waiting = queue.lock();
                let batch = &mut waiting.batch;
                if batch.count >= self.queue || (batch.count > 0 && batch.json.len() + json.len() > MAX_BATCH_BYTES) {
                    queue.dropped.store(true, Ordering::Relaxed);
                    tracing::warn!("devtools observer dropped: its queue is full (slow consumer)");
                    wake.extend(waiting.waker.take());
                    return false;
                }
                if batch.count > 0 {
                    batch.json.push(',');
                }
                batch.json.push_str(json);
                batch.count += 1;
                wake.extend(waiting.waker.take());
                true
            });
            self.attached.store(observers.len(), Ordering::Relaxed);
            drop(observers);
            for waker in wake {
                waker.wake();
            }
        });
        seq
    }

    /// `Some` when someone is attached: the id and start of a call/fetch.
    #[inline]
    pub(crate) fn start(&self) -> Option<Started> {
        self.is_attached().then(|| Started {
            id: self.ids.fetch_add(1, Ordering::Relaxed) + 1,
            at: Instant::now(),
        })
    }

    pub(crate) fn call_done(
        &self,
        started: Started,
        req: &RequestHandle<'_>,
        function: &str,
        args: &Map<String, Value>,
        outcome: &Result<mizan_core::wire::CallResponse, MizanError>,
    ) {
        let duration_us = elapsed_us(started.at);
        let error = outcome.as_ref().err().map(EventError::from);
        let (status, result, invalidate, merge): (_, _, &[Invalidation], &[MergeEntry]) = match outcome {
            Ok(r) => (Status::Ok, Some(&r.result), &r.invalidate, &r.merge),
            Err(_) => (Status::Error, None, &[], &[]),
        };
        self.emit(&CallView {
            id: started.id,
            function,
            args,
            caller: CallerView::of(req),
            duration_us,
            status,
            error: error.as_ref(),
            result,
            invalidate,
            merge,
        });
    }

    pub(crate) fn fetch_done(
        &self,
        started: Started,
        req: &RequestHandle<'_>,
        context: &str,
        params: &Map<String, Value>,
        outcome: Result<(Option<CacheStatus>, Option<CacheReason>), &MizanError>,
    ) {
        let duration_us = elapsed_us(started.at);
        let (status, error, cache, cache_reason) = match outcome {
            Ok((cache, reason)) => (Status::Ok, None, cache, reason),
            Err(e) => (Status::Error, Some(EventError::from(e)), None, None),
        };
        self.emit(&FetchView {
            id: started.id,
            context,
            params,
            caller: CallerView::of(req),
            duration_us,
            status,
            error: error.as_ref(),
            cache,
            cache_reason: cache_reason.as_ref(),
        });
    }

    /// Emits a commit's event and remembers it while its hooks run.
    pub(crate) fn commit_started(&self, commit: &crate::Commit, call: Option<u64>) {
        let seq = self.emit(&EventKind::Commit(CommitEvent {
            call,
            function: commit.function.clone(),
            caller: Caller {
                transport: commit.origin.into(),
                principal: commit.caller.clone(),
                client: commit.client.clone(),
            },
            invalidate: commit.invalidate.clone(),
            merge: commit.merge.clone(),
        }));
        self.lock_running().push((address(commit), seq, call));
    }

    pub(crate) fn commit_ended(&self, commit: &crate::Commit) {
        let at = address(commit);
        self.lock_running().retain(|(a, _, _)| *a != at);
    }

    /// The commit event's seq and call id of a commit whose hooks are
    /// running.
    pub(crate) fn cause_of(&self, commit: &crate::Commit) -> Option<(u64, Option<u64>)> {
        let at = address(commit);
        self.lock_running()
            .iter()
            .find(|(a, _, _)| *a == at)
            .map(|&(_, seq, call)| (seq, call))
    }

    fn lock_running(&self) -> std::sync::MutexGuard<'_, Vec<(usize, u64, Option<u64>)>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn pushed(&self, push: &crate::Push, cause: Option<(u64, Option<u64>)>, delivered: usize, remote: bool) {
        self.emit(&EventKind::Push(PushEvent {
            commit: cause.map(|(seq, _)| seq),
            call: cause.and_then(|(_, call)| call),
            function: push.function.clone(),
            client: push.client.clone(),
            invalidate: push.invalidate.clone(),
            merge: push.merge.clone(),
            delivered,
            remote,
        }));
    }
}

fn address(commit: &crate::Commit) -> usize {
    std::ptr::from_ref(commit) as usize
}

fn elapsed_us(at: Instant) -> u64 {
    u64::try_from(at.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// One observer's stream of [`Batch`]es: everything recorded since it
/// last took one. Dropping it detaches (noticed at the next event).
pub struct Observation {
    queue: Arc<Queue>,
}

impl std::fmt::Debug for Observation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observation")
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl Observation {
    /// Whether the tap dropped this observer because its queue was full.
    pub fn dropped(&self) -> bool {
        self.queue.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Observation {
    fn drop(&mut self) {
        self.queue.closed.store(true, Ordering::Relaxed);
    }
}

impl Stream for Observation {
    type Item = Batch;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Batch>> {
        let mut waiting = self.queue.lock();
        if waiting.batch.count > 0 {
            return Poll::Ready(Some(std::mem::take(&mut waiting.batch)));
        }
        if self.dropped() {
            return Poll::Ready(None);
        }
        waiting.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}
