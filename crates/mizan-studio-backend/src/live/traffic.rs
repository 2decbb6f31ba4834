//! Live traffic (issue #15): what the recording proxy (`mizan-proxy`) or a
//! devtools tap saw, kept in a bounded ring and linked as it arrives —
//! each fetch to the mutation that invalidated its instance (SPEC §4
//! matching, same client first), each push to its mutation — with every
//! recorded mutation's IR prediction beside what the server said (drift).
//!
//! What is kept per event is small and bounded: the call's result is cut
//! to a few KB for the detail pane; `invalidate`/`merge` are kept as
//! header-form lines; bodies are never kept whole.

use super::names::Name;
use super::replay::{self, Sent};
use mizan::Mizan;
use mizan_core::invalidation::{Invalidation, ScopedInvalidation};
use mizan_core::ir::{Ir, Target};
use mizan_proxy::{WireEvent, WireKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::num::NonZeroU64;
use std::sync::Mutex;

/// Events kept by default (the oldest go first).
pub const DEFAULT_CAPACITY: usize = 50_000;
/// Rows a view sends at most (newest first): four screens of the list.
/// Filters reach the rest. Each row costs the window's WebKit process
/// about 70 KB while shown (measured: 500 rows took 36 MB more than 100
/// with 50,000 events recorded live).
pub const ROWS_SHOWN: usize = 100;
/// A mutation links fetches up to this long after it…
const LINK_WINDOW_MS: u64 = 60_000;
/// …and at most this many events back (a busy app's minute is long).
const LINK_EVENTS: usize = 2_000;
/// Kept of a call's result, for the detail pane.
const RESULT_KEPT: usize = 4 * 1024;

/// A request's args or params, in their order: a few pairs, kept as a
/// vector (a map's node per event cost more than the event). Serialized
/// as a JSON object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(Box<[(Name, Value)]>);

impl Params {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    /// The pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// None.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// As a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        self.0.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }
}

impl From<Map<String, Value>> for Params {
    fn from(m: Map<String, Value>) -> Self {
        Params(m.into_iter().map(|(k, v)| (Name::from(k), v)).collect())
    }
}

impl Serialize for Params {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Params {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Params::from)
    }
}

/// One recorded event with what the studio worked out about it. Kept
/// small (144 bytes, 50,000 of them by default): names are interned
/// pointers, and what only a mutation has is boxed apart ([`Answer`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    /// Sequence number (unique while the studio runs).
    pub id: u64,
    /// `proxy` or the tap's app name.
    pub source: Name,
    /// Call, fetch or push.
    pub kind: WireKind,
    /// `http`, `ws`, `ipc`, `internal`.
    pub transport: Name,
    /// Unix ms.
    pub at_ms: u64,
    /// Function (calls, pushes).
    pub function: Option<Name>,
    /// Context (fetches).
    pub context: Option<Name>,
    /// Args or params.
    pub args: Params,
    /// The principal's `sub`.
    pub principal: Option<Name>,
    /// Client id.
    pub client: Option<Name>,
    /// HTTP status.
    pub status: u16,
    /// Duration.
    pub duration_ms: f64,
    /// `HIT` / `MISS` / `BYPASS`.
    pub cache: Option<Name>,
    /// Why, when the source knows.
    pub cache_reason: Option<Name>,
    /// Error code.
    pub error_code: Option<Name>,
    /// A call's or push's answer (`None`: nothing to tell; every fetch).
    /// Its fields are the event's own in the JSON.
    #[serde(flatten, with = "answer")]
    pub answer: Option<Box<Answer>>,
    /// For a fetch: the mutation event that invalidated its instance.
    pub caused_by: Option<NonZeroU64>,
    /// For a push: the call event it announced.
    pub pushed_by: Option<NonZeroU64>,
}

/// What a mutation answered and how it compares with the IR.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// What the server invalidated and merged, header form a line.
    #[serde(default)]
    pub invalidated: Box<[String]>,
    /// The same, as the wire said (to match fetches).
    #[serde(default)]
    pub invalidate: Box<[Scope]>,
    /// The result, cut.
    #[serde(default)]
    pub result: Option<Box<str>>,
    /// For a call: how the server's answer differs from the IR's (empty:
    /// it agrees; `None`: not compared).
    #[serde(default)]
    pub drift: Option<Box<[String]>>,
}

/// One entry of a mutation's `invalidate`, kept small: a context and,
/// when scoped, its params (an [`Invalidation`]'s params map took a
/// B-tree node of 600 bytes per call). Written and read as the
/// `Invalidation` it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Invalidation", into = "Invalidation")]
pub struct Scope {
    /// The context to refetch.
    pub context: Name,
    /// For a function target: the function.
    pub function: Option<Name>,
    /// Only the instances whose params match these (`None`: every one).
    pub params: Option<Params>,
}

impl From<Invalidation> for Scope {
    fn from(i: Invalidation) -> Scope {
        match i {
            Invalidation::Broad(context) => Scope {
                context: Name::from(context),
                function: None,
                params: None,
            },
            Invalidation::Scoped(s) => Scope {
                context: Name::from(s.context),
                function: s.function.map(Name::from),
                params: s.params.map(Params::from),
            },
        }
    }
}

impl From<Scope> for Invalidation {
    fn from(s: Scope) -> Invalidation {
        match (s.function, s.params) {
            (None, None) => Invalidation::Broad(s.context.into()),
            (function, params) => Invalidation::Scoped(ScopedInvalidation {
                context: s.context.into(),
                function: function.map(String::from),
                params: params.map(|p| p.to_map()),
            }),
        }
    }
}

/// `Recorded::answer` as the fields it always had: an event without one
/// writes empty ones, and reads back as `None`.
mod answer {
    use super::Answer;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(answer: &Option<Box<Answer>>, serializer: S) -> Result<S::Ok, S::Error> {
        match answer {
            Some(a) => a.serialize(serializer),
            None => Answer::default().serialize(serializer),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Box<Answer>>, D::Error> {
        let a = Answer::deserialize(deserializer)?;
        Ok((a != Answer::default()).then(|| Box::new(a)))
    }
}

impl Recorded {
    /// Whether it is a mutation the server answered with something to
    /// refetch or patch.
    fn invalidates(&self) -> bool {
        matches!(self.kind, WireKind::Call | WireKind::Push) && !self.invalidate().is_empty()
    }

    /// What the server invalidated and merged, header form a line.
    pub fn invalidated(&self) -> &[String] {
        self.answer.as_ref().map_or(&[], |a| &a.invalidated)
    }

    /// The same, as the wire said.
    pub fn invalidate(&self) -> &[Scope] {
        self.answer.as_ref().map_or(&[], |a| &a.invalidate)
    }

    /// The result, cut.
    pub fn result(&self) -> Option<&str> {
        self.answer.as_ref().and_then(|a| a.result.as_deref())
    }

    /// How the server's answer differs from the IR's (`None`: not compared).
    pub fn drift(&self) -> Option<&[String]> {
        self.answer.as_ref().and_then(|a| a.drift.as_deref())
    }

    /// Whether the server's answer differs from the IR's.
    pub fn drifted(&self) -> bool {
        self.drift().is_some_and(|d| !d.is_empty())
    }

    /// `{"user_id": "5"}` → `user_id=5`.
    pub fn params_text(&self) -> String {
        self.args
            .iter()
            .map(|(k, v)| format!("{k}={}", mizan_core::canonical_json::stringify(v)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The ring and its switches.
#[derive(Debug)]
pub struct Traffic {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    events: VecDeque<Recorded>,
    capacity: usize,
    next: u64,
    paused: bool,
    /// Events that arrived while paused (not kept).
    missed: u64,
    /// Events pushed out by the capacity.
    evicted: u64,
}

impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            state: Mutex::new(State {
                events: VecDeque::new(),
                capacity: DEFAULT_CAPACITY,
                next: 1,
                paused: false,
                missed: 0,
                evicted: 0,
            }),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The filters of a view.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct TrafficFilter {
    /// Free text (function, context, params, principal, error).
    pub text: Option<String>,
    /// Only this context (fetches of it, mutations invalidating it).
    pub context: Option<String>,
    /// Only this function.
    pub function: Option<String>,
    /// Only this principal.
    pub principal: Option<String>,
    /// `ok`, `error`, or a status / error code.
    pub status: Option<String>,
    /// `call`, `fetch`, `push`.
    pub kind: Option<String>,
}

impl TrafficFilter {
    fn matches(&self, e: &Recorded) -> bool {
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_deref()
                .filter(|w| !w.is_empty())
                .is_none_or(|w| have == Some(w))
        };
        if !eq(&self.function, e.function.as_deref()) || !eq(&self.principal, e.principal.as_deref()) {
            return false;
        }
        if let Some(c) = self.context.as_deref().filter(|c| !c.is_empty())
            && e.context.as_deref() != Some(c)
            && !e.invalidate().iter().any(|i| i.context == c)
        {
            return false;
        }
        if let Some(k) = self.kind.as_deref().filter(|k| !k.is_empty())
            && kind_name(e.kind) != k
        {
            return false;
        }
        match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => {}
            Some("ok") if e.status < 400 => {}
            Some("error") if e.status >= 400 || e.error_code.is_some() => {}
            Some(s) if s == e.status.to_string() || e.error_code.as_deref() == Some(s) => {}
            Some(_) => return false,
        }
        match self.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => true,
            Some(t) => {
                let t = t.to_lowercase();
                let hay = [
                    e.function.as_deref().unwrap_or_default(),
                    e.context.as_deref().unwrap_or_default(),
                    e.principal.as_deref().unwrap_or_default(),
                    e.error_code.as_deref().unwrap_or_default(),
                ];
                hay.iter().any(|h| h.to_lowercase().contains(&t))
                    || e.params_text().to_lowercase().contains(&t)
                    || e.invalidated().iter().any(|i| i.to_lowercase().contains(&t))
            }
        }
    }
}

/// `call`, `fetch`, `push`.
pub fn kind_name(k: WireKind) -> &'static str {
    match k {
        WireKind::Call => "call",
        WireKind::Fetch => "fetch",
        WireKind::Push => "push",
    }
}

impl Traffic {
    /// Records one event from `source`, linking and comparing it with
    /// `ir` (the project's IR on screen, when there is one). Returns its
    /// id, or `None` while paused.
    pub fn record(&self, source: &str, event: WireEvent, ir: Option<&Ir>) -> Option<u64> {
        let mut state = lock(&self.state);
        if state.paused {
            state.missed += 1;
            return None;
        }
        let id = state.next;
        state.next += 1;
        let mut r = from_wire(id, source, event);
        if r.kind == WireKind::Call
            && let Some(ir) = ir
            && let Some(d) = drift(ir, &r)
        {
            r.answer.get_or_insert_default().drift = Some(d.into_boxed_slice());
        }
        link(&state.events, &mut r);
        if r.kind == WireKind::Call {
            link_back(&mut state.events, &r);
        }
        while state.events.len() >= state.capacity {
            state.events.pop_front();
            state.evicted += 1;
        }
        // Grown by half at a time up to the capacity, never past it (a
        // doubling ring holds room for 65,536 events to keep 50,000).
        if state.events.len() == state.events.capacity() {
            let len = state.events.len();
            let room = state.capacity.saturating_sub(len).clamp(1, (len / 2).max(256));
            state.events.reserve_exact(room);
        }
        state.events.push_back(r);
        Some(id)
    }

    /// Stops or resumes recording.
    pub fn set_paused(&self, paused: bool) {
        lock(&self.state).paused = paused;
    }

    /// Forgets every event.
    pub fn clear(&self) {
        let mut s = lock(&self.state);
        s.events.clear();
        s.missed = 0;
        s.evicted = 0;
    }

    /// How many events are kept at most (at least 100).
    pub fn set_capacity(&self, capacity: usize) {
        let mut s = lock(&self.state);
        s.capacity = capacity.max(100);
        while s.events.len() > s.capacity {
            s.events.pop_front();
            s.evicted += 1;
        }
        let capacity = s.capacity;
        s.events.shrink_to(capacity);
    }

    /// The rows a filter keeps, newest first (at most `limit`), the
    /// number matching, and the totals.
    pub fn view(&self, filter: &TrafficFilter, limit: usize) -> TrafficView {
        let s = lock(&self.state);
        let mut matching = 0;
        let mut rows = Vec::new();
        for e in s.events.iter().rev() {
            if filter.matches(e) {
                matching += 1;
                if rows.len() < limit {
                    rows.push(row(e, &s.events));
                }
            }
        }
        TrafficView {
            rows,
            matching,
            total: s.events.len() as i64,
            drift: s.events.iter().filter(|e| e.drifted()).count() as i64,
            paused: s.paused,
            missed: s.missed as i64,
            evicted: s.evicted as i64,
            capacity: s.capacity as i64,
            proxy: None,
        }
    }

    /// One event with its explanation.
    pub fn detail(&self, id: u64, ir: Option<&Ir>) -> Option<TrafficDetail> {
        let s = lock(&self.state);
        let e = s.events.iter().find(|e| e.id == id)?;
        let cause = e.caused_by.and_then(|c| find(&s.events, c));
        let caused: Vec<i64> = s
            .events
            .iter()
            .filter(|x| [x.caused_by, x.pushed_by].contains(&NonZeroU64::new(e.id)))
            .map(|x| x.id as i64)
            .collect();
        let (why, path) = explain(e, cause, &s.events, ir);
        Some(TrafficDetail {
            row: row(e, &s.events),
            why,
            path_from: path.as_ref().map(|p| p.0.clone()),
            path_to: path.map(|p| p.1),
            differences: e.drift().unwrap_or_default().to_vec(),
            invalidated: e.invalidated().to_vec(),
            // Kept compact, shown indented (unless it was cut).
            result: e
                .result()
                .map(|r| super::inspect::pretty(r.as_bytes()).0)
                .unwrap_or_default(),
            args: serde_json::to_string(&e.args.to_map()).unwrap_or_default(),
            caused,
        })
    }

    /// Every kept event, one JSON object a line (no secrets: the wire
    /// record never held a token).
    pub fn export(&self) -> String {
        let s = lock(&self.state);
        let mut out = String::new();
        for e in &s.events {
            if let Ok(line) = serde_json::to_string(e) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    /// Replaces the events with an exported session; returns how many
    /// were read and the lines that were not events.
    pub fn import(&self, text: &str) -> (usize, Vec<String>) {
        let mut events = VecDeque::new();
        let mut problems = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Recorded>(line) {
                Ok(e) => events.push_back(e),
                Err(err) => problems.push(format!("line {}: {err}", i + 1)),
            }
        }
        let n = events.len();
        let mut s = lock(&self.state);
        s.next = events.iter().map(|e| e.id + 1).max().unwrap_or(1).max(s.next);
        // In id order, as the ring keeps them (a file put together by hand
        // may not be).
        events.make_contiguous().sort_by_key(|e| e.id);
        while events.len() > s.capacity {
            events.pop_front();
        }
        events.shrink_to_fit();
        s.events = events;
        (n, problems)
    }
}

fn from_wire(id: u64, source: &str, e: WireEvent) -> Recorded {
    let body = e.body.as_ref().and_then(Value::as_object);
    let invalidate: Vec<Invalidation> = body
        .and_then(|b| b.get("invalidate"))
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .or_else(|| e.header.as_deref().and_then(|h| mizan_core::header::parse(h).ok()))
        .unwrap_or_default();
    let mut invalidated: Vec<String> = invalidate
        .iter()
        .map(|i| mizan_core::header::format(std::slice::from_ref(i)))
        .collect();
    if let Some(merges) = body.and_then(|b| b.get("merge")).and_then(Value::as_array) {
        for m in merges {
            let (c, s) = (
                m.get("context").and_then(Value::as_str),
                m.get("slot").and_then(Value::as_str),
            );
            if let (Some(c), Some(s)) = (c, s) {
                invalidated.push(format!("merge {c}.{s}"));
            }
        }
    }
    // Compact (indented for the detail pane when shown).
    let result = body.and_then(|b| b.get("result")).map(|r| {
        let text = serde_json::to_string(r).unwrap_or_default();
        if text.len() > RESULT_KEPT {
            format!("{}\n… cut", &text[..text.floor_char_boundary(RESULT_KEPT)])
        } else {
            text
        }
    });
    Recorded {
        id,
        source: Name::new(source),
        kind: e.kind,
        transport: Name::from(e.transport),
        at_ms: e.at_ms,
        function: e.function.map(Name::from),
        context: e.context.map(Name::from),
        args: Params::from(e.args),
        principal: e.principal.map(Name::from),
        client: e.client.map(Name::from),
        status: e.status,
        duration_ms: e.duration_ms,
        cache: e.cache.map(Name::from),
        cache_reason: e.cache_reason.map(Name::from),
        error_code: e.error_code.map(Name::from),
        answer: (!invalidated.is_empty() || result.is_some()).then(|| {
            Box::new(Answer {
                invalidated: invalidated.into_boxed_slice(),
                invalidate: invalidate.into_iter().map(Scope::from).collect(),
                result: result.map(String::into_boxed_str),
                drift: None,
            })
        }),
        caused_by: None,
        pushed_by: None,
    }
}

/// The IR's prediction for a recorded call against what the server said
/// (the result is needed whole for the prediction: a call whose result
/// was cut is not compared). Merges are compared by slot.
fn drift(ir: &Ir, r: &Recorded) -> Option<Vec<String>> {
    let function = r.function.as_deref()?;
    ir.function(function)?;
    if r.status >= 400 || r.error_code.is_some() {
        return None;
    }
    let result: Value = serde_json::from_str(r.result().filter(|t| !t.ends_with("… cut"))?).ok()?;
    let mut out = compare_invalidations(ir, function, r, &result);
    if let Ok(res) = mizan_core::invalidation::resolve(ir, function, &r.args.to_map(), &result) {
        let predicted: Vec<String> = res
            .merge
            .iter()
            .map(|m| format!("merge {}.{}", m.context, m.slot))
            .collect();
        let merged: Vec<&String> = r.invalidated().iter().filter(|l| l.starts_with("merge ")).collect();
        for m in &merged {
            if !predicted.contains(m) {
                out.push(format!(
                    "the server merged `{}`, which the IR does not predict",
                    &m[6..]
                ));
            }
        }
        for p in &predicted {
            if !merged.contains(&p) {
                out.push(format!("the IR predicts `{}` but the server did not merge it", &p[6..]));
            }
        }
    }
    Some(out)
}

fn compare_invalidations(ir: &Ir, function: &str, r: &Recorded, result: &Value) -> Vec<String> {
    let sent = Sent {
        status: r.status,
        body: Some(serde_json::json!({"result": result, "invalidate": r.invalidate()})),
        ..Default::default()
    };
    match replay::compare(ir, function, &r.args.to_map(), &sent, true) {
        Ok(c) => c.differences.into_iter().filter(|d| !d.contains("merge ")).collect(),
        Err(_) => Vec::new(),
    }
}

/// Links `r` to what came before it.
fn link(events: &VecDeque<Recorded>, r: &mut Recorded) {
    let window = |e: &&Recorded| r.at_ms.saturating_sub(e.at_ms) <= LINK_WINDOW_MS;
    match r.kind {
        WireKind::Fetch => {
            let Some(context) = r.context.as_deref() else { return };
            let reaches = |e: &&Recorded| {
                e.kind == WireKind::Call
                    && e.invalidates()
                    && e.invalidate().iter().any(|i| covers(i, context, &r.args))
            };
            // The same client's mutation first, else anyone's (a push).
            let same_client = events
                .iter()
                .rev()
                .take(LINK_EVENTS)
                .take_while(window)
                .find(|e| reaches(e) && r.client.is_some() && e.client == r.client);
            let any = || events.iter().rev().take_while(window).find(|e| reaches(e));
            // Only a fetch that came after the mutation, and the first
            // such fetch of that instance (later ones are ordinary loads).
            if let Some(m) = same_client.or_else(any) {
                let already = events
                    .iter()
                    .rev()
                    .take(LINK_EVENTS)
                    .take_while(|e| e.id > m.id)
                    .any(|e| {
                        e.kind == WireKind::Fetch
                            && e.context.as_deref() == Some(context)
                            && same_params(&e.args, &r.args)
                            && e.client == r.client
                    });
                if !already {
                    r.caused_by = NonZeroU64::new(m.id);
                }
            }
        }
        WireKind::Push => {
            r.pushed_by = events
                .iter()
                .rev()
                .take(LINK_EVENTS)
                .take_while(window)
                .find(|e| {
                    e.kind == WireKind::Call
                        && e.function.is_some()
                        && e.function == r.function
                        && (r.client.is_none() || e.client == r.client)
                })
                .and_then(|e| NonZeroU64::new(e.id));
        }
        WireKind::Call => {}
    }
}

/// A call is recorded when its answer has been read to the end, which can
/// be after its push (sent during the commit) and after another client's
/// refetch: those, started after the call, are linked to it now.
fn link_back(events: &mut VecDeque<Recorded>, call: &Recorded) {
    let start = call.at_ms;
    for e in events
        .iter_mut()
        .rev()
        .take(LINK_EVENTS)
        .take_while(|e| e.at_ms >= start)
    {
        match e.kind {
            WireKind::Push if e.pushed_by.is_none() && e.function.is_some() && e.function == call.function => {
                e.pushed_by = NonZeroU64::new(call.id);
            }
            WireKind::Fetch
                if e.caused_by.is_none()
                    && e.context
                        .as_deref()
                        .is_some_and(|c| call.invalidate().iter().any(|i| covers(i, c, &e.args))) =>
            {
                e.caused_by = NonZeroU64::new(call.id);
            }
            _ => {}
        }
    }
}

fn same_params(a: &Params, b: &Params) -> bool {
    a.len() == b.len()
        && a.iter().all(|(k, v)| {
            b.get(k)
                .is_some_and(|w| mizan_core::canonical_json::stringify(v) == mizan_core::canonical_json::stringify(w))
        })
}

/// SPEC §4: a broad entry reaches every instance; a scoped one those whose
/// params match each of its keys (as strings).
fn covers(i: &Scope, context: &str, params: &Params) -> bool {
    i.context == context
        && i.params.as_ref().is_none_or(|scope| {
            scope.iter().all(|(k, v)| {
                params.get(k).is_some_and(|p| {
                    mizan_core::canonical_json::stringify(p) == mizan_core::canonical_json::stringify(v)
                })
            })
        })
}

/// "Why did this refetch?" (and why a push or a mutation happened), in a
/// sentence, with the graph path to highlight (`fn:…`, `ctx:…`).
fn explain(
    e: &Recorded,
    cause: Option<&Recorded>,
    events: &VecDeque<Recorded>,
    ir: Option<&Ir>,
) -> (String, Option<(String, String)>) {
    match e.kind {
        WireKind::Fetch => {
            let context = e.context.as_deref().unwrap_or_default().to_owned();
            let Some(m) = cause else {
                let cache = match (e.cache.as_deref(), e.cache_reason.as_deref()) {
                    (Some(c), Some(r)) => format!(" The cache answered {c}: {r}."),
                    (Some(c), None) => format!(" The cache answered {c}."),
                    _ => String::new(),
                };
                return (
                    format!(
                        "No recorded mutation invalidated `{context}` ({}) before this fetch: a first load, a mount, or a change made outside what was recorded.{cache}",
                        if e.args.is_empty() {
                            "no params".to_owned()
                        } else {
                            e.params_text()
                        }
                    ),
                    None,
                );
            };
            let function = m.function.as_deref().unwrap_or_default().to_owned();
            let entry = m.invalidate().iter().find(|i| covers(i, &context, &e.args));
            let edge = ir
                .and_then(|ir| ir.function(&function))
                .and_then(|f| {
                    f.affects.iter().find_map(|t| match t {
                        Target::Context(c) if c == &context => Some(format!("`affects {c}`")),
                        Target::Function(g)
                            if ir
                                .and_then(|ir| ir.function(g))
                                .and_then(|g| g.context.clone())
                                .as_deref()
                                == Some(context.as_str()) =>
                        {
                            Some(format!("`affects {g}` (a member of {context})"))
                        }
                        _ => None,
                    })
                })
                .unwrap_or_else(|| {
                    format!("the server's invalidation of `{context}` (the IR declares no edge: see drift)")
                });
            let scope = match entry.and_then(|s| s.params.as_ref()) {
                Some(p) => format!(
                    "scoped by {} to this instance",
                    p.iter()
                        .map(|(k, v)| format!("{k}={}", mizan_core::canonical_json::stringify(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => "every instance (no argument scoped it)".to_owned(),
            };
            let who = m.principal.as_deref().map(|p| format!(" by {p}")).unwrap_or_default();
            let how = if m.client.is_some() && m.client == e.client {
                "its response told this client"
            } else {
                "a push told this client"
            };
            let sentence = format!(
                "Refetched because `{function}` ({}{who}) {edge}, {scope}; {how} to refetch `{context}` ({}).",
                super::session::clock(m.at_ms),
                if e.args.is_empty() {
                    "no params".to_owned()
                } else {
                    e.params_text()
                }
            );
            (sentence, Some((format!("fn:{function}"), format!("ctx:{context}"))))
        }
        WireKind::Push => {
            let function = e.function.clone().unwrap_or_else(|| "a publish".into());
            let of = e
                .pushed_by
                .and_then(|id| find(events, id))
                .map(|c| {
                    format!(
                        " It announces the call at {} ({}).",
                        super::session::clock(c.at_ms),
                        c.params_text()
                    )
                })
                .unwrap_or_else(|| {
                    " Its call did not cross the recorder (a server-side call, or another client's).".into()
                });
            (
                format!(
                    "A push of `{function}`: {}.{of}",
                    if e.invalidated().is_empty() {
                        "nothing".to_owned()
                    } else {
                        e.invalidated().join(", ")
                    }
                ),
                None,
            )
        }
        WireKind::Call => {
            let function = e.function.as_deref().unwrap_or_default().to_owned();
            let drift = match e.drift() {
                Some(d) if !d.is_empty() => format!(" The server differs from the IR: {}.", d.join("; ")),
                Some(_) => " The server's invalidation is what the IR predicts.".to_owned(),
                None => String::new(),
            };
            let n = events
                .iter()
                .filter(|x| x.caused_by.is_some_and(|c| c.get() == e.id))
                .count();
            (
                format!(
                    "`{function}` invalidated {}; {n} refetch{} followed.{drift}",
                    if e.invalidated().is_empty() {
                        "nothing".to_owned()
                    } else {
                        e.invalidated().join(", ")
                    },
                    if n == 1 { "" } else { "es" }
                ),
                None,
            )
        }
    }
}

/// The kept event with id `id` (ids grow along the ring: a binary search).
fn find(events: &VecDeque<Recorded>, id: NonZeroU64) -> Option<&Recorded> {
    let i = events.partition_point(|e| e.id < id.get());
    events.get(i).filter(|e| e.id == id.get())
}

fn text(name: &Option<Name>) -> Option<String> {
    name.as_ref().map(Name::to_string)
}

fn row(e: &Recorded, events: &VecDeque<Recorded>) -> TrafficRow {
    TrafficRow {
        id: e.id as i64,
        at: super::session::clock(e.at_ms),
        source: e.source.to_string(),
        kind: kind_name(e.kind).to_owned(),
        transport: e.transport.to_string(),
        function: text(&e.function),
        context: text(&e.context),
        params: e.params_text(),
        principal: text(&e.principal),
        client: text(&e.client),
        status: i64::from(e.status),
        duration_ms: e.duration_ms,
        cache: text(&e.cache),
        error_code: text(&e.error_code),
        invalidated: e.invalidated().to_vec(),
        drift: e.drifted(),
        caused_by: e.caused_by.map(|c| c.get() as i64),
        caused_by_fn: e
            .caused_by
            .and_then(|c| find(events, c))
            .and_then(|m| text(&m.function)),
    }
}

/// One row of the timeline.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct TrafficRow {
    /// Id.
    pub id: i64,
    /// `HH:MM:SS`.
    pub at: String,
    /// `proxy` or the app.
    pub source: String,
    /// `call`, `fetch`, `push`.
    pub kind: String,
    /// `http`, `ws`, `ipc`, `internal`.
    pub transport: String,
    /// Function.
    pub function: Option<String>,
    /// Context.
    pub context: Option<String>,
    /// `k=v, …`.
    pub params: String,
    /// The principal.
    pub principal: Option<String>,
    /// Client id.
    pub client: Option<String>,
    /// Status.
    pub status: i64,
    /// Duration.
    pub duration_ms: f64,
    /// `HIT` / `MISS` / `BYPASS`.
    pub cache: Option<String>,
    /// Error code.
    pub error_code: Option<String>,
    /// What it invalidated or merged.
    pub invalidated: Vec<String>,
    /// The server differs from the IR.
    pub drift: bool,
    /// The mutation that caused this fetch.
    pub caused_by: Option<i64>,
    /// Its function.
    pub caused_by_fn: Option<String>,
}

/// The running proxy.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyInfo {
    /// Point a frontend here.
    pub url: String,
    /// Where it forwards.
    pub target: String,
}

/// The timeline as a filter shows it.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct TrafficView {
    /// Newest first.
    pub rows: Vec<TrafficRow>,
    /// Events the filter keeps.
    pub matching: i64,
    /// Events kept.
    pub total: i64,
    /// Calls whose server answer differs from the IR.
    pub drift: i64,
    /// Recording is paused.
    pub paused: bool,
    /// Events not kept while paused.
    pub missed: i64,
    /// Events pushed out by the capacity.
    pub evicted: i64,
    /// Kept at most.
    pub capacity: i64,
    /// The proxy, when running.
    pub proxy: Option<ProxyInfo>,
}

/// One event explained.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct TrafficDetail {
    /// Its row.
    pub row: TrafficRow,
    /// Why it happened, in a sentence.
    pub why: String,
    /// The graph path to highlight: from (`fn:…`)…
    pub path_from: Option<String>,
    /// …to (`ctx:…`).
    pub path_to: Option<String>,
    /// Drift, each difference named.
    pub differences: Vec<String>,
    /// What it invalidated.
    pub invalidated: Vec<String>,
    /// The result (cut).
    pub result: String,
    /// Args / params as JSON (for Replay / Cache).
    pub args: String,
    /// Events it caused (fetches, pushes).
    pub caused: Vec<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn afi() -> Ir {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/afi/afi.kdl")).unwrap();
        mizan_core::ir::parse(&text).unwrap()
    }

    fn wire(kind: WireKind, at_ms: u64) -> WireEvent {
        WireEvent {
            at_ms,
            kind,
            transport: "http".into(),
            function: None,
            context: None,
            args: Map::new(),
            principal: None,
            client: None,
            status: 200,
            duration_ms: 1.0,
            cache: None,
            cache_reason: None,
            error_code: None,
            body: None,
            header: None,
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn rename(at: u64, client: &str, invalidate: Value) -> WireEvent {
        WireEvent {
            function: Some("rename".into()),
            args: obj(json!({"user_id": 5, "name": "Ada"})),
            client: Some(client.into()),
            principal: Some("5".into()),
            body: Some(json!({"result": {"user_id": 5, "name": "Ada", "bio": ""}, "invalidate": invalidate})),
            ..wire(WireKind::Call, at)
        }
    }

    fn fetch(at: u64, client: &str, user: &str, cache: &str) -> WireEvent {
        WireEvent {
            context: Some("user".into()),
            args: obj(json!({"user_id": user})),
            client: Some(client.into()),
            cache: Some(cache.into()),
            ..wire(WireKind::Fetch, at)
        }
    }

    #[test]
    fn a_refetch_is_linked_to_its_mutation_and_explained() {
        let ir = afi();
        let t = Traffic::default();
        t.record("proxy", fetch(1000, "c1", "5", "MISS"), Some(&ir));
        t.record("proxy", fetch(1100, "c1", "6", "MISS"), Some(&ir));
        let m = t
            .record(
                "proxy",
                rename(2000, "c1", json!([{"context": "user", "params": {"user_id": 5}}])),
                Some(&ir),
            )
            .unwrap();
        let f5 = t.record("proxy", fetch(2100, "c1", "5", "MISS"), Some(&ir)).unwrap();
        let f6 = t.record("proxy", fetch(2100, "c1", "6", "HIT"), Some(&ir)).unwrap();
        let again = t.record("proxy", fetch(2200, "c1", "5", "HIT"), Some(&ir)).unwrap();
        let d = t.detail(f5, Some(&ir)).unwrap();
        assert_eq!(d.row.caused_by, Some(m as i64));
        assert!(
            d.why.contains("`rename`") && d.why.contains("`affects user`") && d.why.contains("user_id=5"),
            "{}",
            d.why
        );
        assert_eq!(
            (d.path_from.as_deref(), d.path_to.as_deref()),
            (Some("fn:rename"), Some("ctx:user"))
        );
        assert_eq!(
            t.detail(f6, Some(&ir)).unwrap().row.caused_by,
            None,
            "user 6 is not in rename's scope"
        );
        assert_eq!(
            t.detail(again, Some(&ir)).unwrap().row.caused_by,
            None,
            "only the first fetch after it"
        );
        assert_eq!(t.detail(m, Some(&ir)).unwrap().caused, vec![f5 as i64]);
        let first = t.detail(1, Some(&ir)).unwrap();
        assert!(
            first.why.starts_with("No recorded mutation invalidated `user`"),
            "{}",
            first.why
        );
    }

    #[test]
    fn drift_is_flagged_when_the_server_and_the_ir_disagree() {
        let ir = afi();
        let t = Traffic::default();
        let ok = t
            .record(
                "proxy",
                rename(1, "c", json!([{"context": "user", "params": {"user_id": 5}}])),
                Some(&ir),
            )
            .unwrap();
        let bad = t.record("proxy", rename(2, "c", json!(["items"])), Some(&ir)).unwrap();
        assert!(!t.detail(ok, Some(&ir)).unwrap().row.drift);
        let d = t.detail(bad, Some(&ir)).unwrap();
        assert!(d.row.drift);
        assert!(
            d.differences.iter().any(|x| x.contains("`user;user_id=5`")),
            "{:?}",
            d.differences
        );
        assert_eq!(t.view(&TrafficFilter::default(), 10).drift, 1);
    }

    #[test]
    fn a_session_reads_back_as_it_was_recorded() {
        // A call with drift and a result, the fetch it caused, a plain
        // fetch: exported and opened again, every detail is the same.
        let ir = afi();
        let t = Traffic::default();
        t.record("proxy", fetch(1, "c", "5", "MISS"), Some(&ir));
        t.record("proxy", rename(2, "c", json!(["items"])), Some(&ir));
        t.record(
            "proxy",
            rename(3, "c", json!([{"context": "user", "params": {"user_id": 5}}])),
            Some(&ir),
        );
        t.record("proxy", fetch(4, "c", "5", "MISS"), Some(&ir));
        let other = Traffic::default();
        assert_eq!(other.import(&t.export()), (4, vec![]));
        for id in 1..=4 {
            assert_eq!(other.detail(id, Some(&ir)), t.detail(id, Some(&ir)), "event {id}");
        }
        let (drifted, caused) = (other.detail(2, Some(&ir)).unwrap(), other.detail(4, Some(&ir)).unwrap());
        assert!(drifted.row.drift);
        // Kept compact, shown indented.
        assert!(drifted.result.starts_with("{\n  \""), "{}", drifted.result);
        assert_eq!(caused.row.caused_by, Some(3));
        // What only a mutation has takes no room in a fetch.
        let s = lock(&other.state);
        assert!(s.events[0].answer.is_none() && s.events[1].answer.is_some());
    }

    #[test]
    fn an_event_is_small() {
        // 50,000 are kept by default (issue #15's memory budget): the
        // record itself was 296 bytes before names became one pointer and
        // a mutation's answer was boxed apart.
        assert!(
            std::mem::size_of::<Recorded>() <= 144,
            "{}",
            std::mem::size_of::<Recorded>()
        );
    }

    #[test]
    fn pushes_link_to_their_call_and_filters_apply() {
        let ir = afi();
        let t = Traffic::default();
        let call = t
            .record(
                "proxy",
                rename(1, "c", json!([{"context": "user", "params": {"user_id": 5}}])),
                Some(&ir),
            )
            .unwrap();
        let push = t
            .record(
                "proxy",
                WireEvent {
                    function: Some("rename".into()),
                    client: Some("c".into()),
                    transport: "ws".into(),
                    body: Some(json!({"op": "push", "invalidate": [{"context": "user", "params": {"user_id": 5}}], "fn": "rename"})),
                    ..wire(WireKind::Push, 2)
                },
                Some(&ir),
            )
            .unwrap();
        let d = t.detail(push, Some(&ir)).unwrap();
        assert!(d.why.starts_with("A push of `rename`: user;user_id=5."), "{}", d.why);
        assert_eq!(t.detail(call, Some(&ir)).unwrap().caused, vec![push as i64]);
        let only_pushes = TrafficFilter {
            kind: Some("push".into()),
            ..Default::default()
        };
        assert_eq!(t.view(&only_pushes, 10).matching, 1);
        let text = TrafficFilter {
            text: Some("USER_ID=5".into()),
            ..Default::default()
        };
        assert_eq!(t.view(&text, 10).matching, 2);
        let by = TrafficFilter {
            principal: Some("5".into()),
            ..Default::default()
        };
        assert_eq!(t.view(&by, 10).matching, 1);
    }

    #[test]
    fn a_call_recorded_after_its_push_still_claims_it() {
        let ir = afi();
        let t = Traffic::default();
        let push = t
            .record(
                "proxy",
                WireEvent {
                    function: Some("rename".into()),
                    transport: "ws".into(),
                    body: Some(json!({"op": "push", "invalidate": [{"context": "user", "params": {"user_id": 5}}], "fn": "rename"})),
                    ..wire(WireKind::Push, 20)
                },
                Some(&ir),
            )
            .unwrap();
        let call = t
            .record(
                "proxy",
                rename(10, "c", json!([{"context": "user", "params": {"user_id": 5}}])),
                Some(&ir),
            )
            .unwrap();
        assert_eq!(t.detail(push, Some(&ir)).unwrap().caused, Vec::<i64>::new());
        assert_eq!(t.detail(call, Some(&ir)).unwrap().caused, vec![push as i64]);
    }

    #[test]
    fn bounded_paused_cleared_exported_and_imported() {
        let t = Traffic::default();
        t.set_capacity(100);
        for i in 0..150 {
            t.record("proxy", fetch(i, "c", "1", "HIT"), None);
        }
        let v = t.view(&TrafficFilter::default(), 10);
        assert_eq!((v.total, v.evicted, v.rows.len()), (100, 50, 10));
        t.set_paused(true);
        assert_eq!(t.record("proxy", fetch(999, "c", "1", "HIT"), None), None);
        assert_eq!(t.view(&TrafficFilter::default(), 1).missed, 1);
        t.set_paused(false);
        let text = t.export();
        assert_eq!(text.lines().count(), 100);
        let other = Traffic::default();
        let (n, problems) = other.import(&format!("{text}not json\n"));
        assert_eq!((n, problems.len()), (100, 1));
        assert_eq!(other.view(&TrafficFilter::default(), 1).total, 100);
        t.clear();
        assert_eq!(t.view(&TrafficFilter::default(), 1).total, 0);
    }
}
