//! The push loop against a scripted push transport: pushes applied like
//! mutation responses (scoped, batched, merges), the client's own pushes
//! skipped, status transitions, reconnects with back-off and the refetch
//! after them, 4401, cancellation.

use super::*;
use crate::push::{PushTransport, ReconnectPolicy};
use crate::test_mock::*;
use crate::wire::{Invalidation, MergeEntry, Params};
use crate::{ConnectionStatus, PushError, PushEvent, PushMessage, PushRequest, PushStream, Subscription};
use futures::channel::mpsc;
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use serde_json::json;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted outcome of `connect`.
enum Connect {
    Fail(PushError),
    /// Connected; the test feeds the stream through the sender.
    Open(mpsc::UnboundedReceiver<PushEvent>),
}

/// A push transport answering each `connect` with the next scripted
/// outcome; once they are used up, `connect` never completes.
#[derive(Default)]
struct Script {
    connects: Mutex<VecDeque<Connect>>,
    requests: Mutex<Vec<(String, Option<Vec<String>>)>>,
}

impl PushTransport for Arc<Script> {
    fn connect<'a>(&'a self, request: PushRequest<'a>) -> ClientFuture<'a, Result<PushStream, PushError>> {
        self.requests
            .lock()
            .unwrap()
            .push((request.client_id.to_owned(), request.watch.map(<[String]>::to_vec)));
        match self.connects.lock().unwrap().pop_front() {
            Some(Connect::Fail(e)) => Box::pin(async move { Err(e) }),
            Some(Connect::Open(rx)) => Box::pin(async move { Ok(Box::pin(rx) as PushStream) }),
            None => Box::pin(futures::future::pending()),
        }
    }
}

impl Script {
    fn fail(&self, e: PushError) {
        self.connects.lock().unwrap().push_back(Connect::Fail(e));
    }

    fn open(&self) -> mpsc::UnboundedSender<PushEvent> {
        let (tx, rx) = mpsc::unbounded();
        self.connects.lock().unwrap().push_back(Connect::Open(rx));
        tx
    }
}

struct Harness {
    client: MizanClient,
    script: Arc<Script>,
    log: Log,
    slept: Arc<Mutex<Vec<Duration>>>,
    statuses: Arc<Mutex<Vec<ConnectionStatus>>>,
    _status: crate::StatusSubscription,
    pool: LocalPool,
}

/// The reconnect policy of the tests: the default back-off, and timers
/// with durations of their own so the fake timer can tell them apart.
const POLICY: ReconnectPolicy = ReconnectPolicy {
    base_delay: Duration::from_millis(500),
    max_delay: Duration::from_secs(30),
    stable_after: Duration::from_secs(7),
    connect_timeout: Duration::from_secs(9),
};

/// A client whose fetches answer `{"n": <count>}`, whose timer records
/// delays and returns at once — except the `stable_after` timer, which
/// fires only when `stable` is true, and the connect timeout, which never
/// fires.
fn harness(stable: bool) -> Harness {
    let mock = Mock::counting();
    let log = Arc::clone(&mock.log);
    let slept: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let sink = Arc::clone(&slept);
    let sleep = move |d: Duration| -> ClientFuture<'static, ()> {
        if d == POLICY.connect_timeout {
            return Box::pin(futures::future::pending());
        }
        if d == POLICY.stable_after {
            return if stable {
                Box::pin(async {})
            } else {
                Box::pin(futures::future::pending())
            };
        }
        sink.lock().unwrap().push(d);
        Box::pin(async {})
    };
    let script = Arc::new(Script::default());
    let client = MizanClient::builder(mock)
        .sleep(sleep)
        .push(Arc::clone(&script))
        .reconnect(POLICY)
        .client_id("me")
        .build();
    let statuses: Arc<Mutex<Vec<ConnectionStatus>>> = Arc::default();
    let seen = Arc::clone(&statuses);
    let status = client.on_status(move |s| seen.lock().unwrap().push(s));
    Harness {
        client,
        script,
        log,
        slept,
        statuses,
        _status: status,
        pool: LocalPool::new(),
    }
}

impl Harness {
    fn start(&mut self) {
        let c = self.client.clone();
        self.pool
            .spawner()
            .spawn_local(async move { c.run_push().await })
            .unwrap();
        self.pool.run_until_stalled();
    }

    fn mount(&mut self, context: &str, params: serde_json::Value) -> Subscription {
        let sub = self.client.subscribe(context, p(params), None);
        futures::executor::block_on(sub.load());
        sub
    }

    /// Fetches since the last call.
    fn take_fetches(&self) -> Vec<String> {
        let out = fetches(&self.log);
        self.log.lock().unwrap().clear();
        out
    }

    fn statuses(&self) -> Vec<ConnectionStatus> {
        self.statuses.lock().unwrap().clone()
    }
}

fn push(invalidate: Vec<Invalidation>) -> PushEvent {
    PushEvent::Push(PushMessage {
        invalidate,
        ..PushMessage::default()
    })
}

fn user(id: i64) -> Invalidation {
    Invalidation::scoped("user", p(json!({ "user_id": id })))
}

#[test]
fn the_push_loop_future_is_send_on_the_host() {
    fn send<T: Send>(_: &T) {}
    let h = harness(true);
    send(&h.client.run_push());
}

#[test]
fn a_push_refetches_only_the_mounted_instances_it_selects() {
    let mut h = harness(true);
    let tx = h.script.open();
    let five = h.mount("user", json!({"user_id": 5}));
    let _six = h.mount("user", json!({"user_id": 6}));
    let unmounted = h.mount("user", json!({"user_id": 7}));
    drop(unmounted);
    h.start();
    assert_eq!(h.client.connection_status(), ConnectionStatus::Connected);
    h.take_fetches();
    tx.unbounded_send(push(vec![user(5), user(7)])).unwrap();
    h.pool.run_until_stalled();
    assert_eq!(
        h.take_fetches(),
        [r#"fetch user{"user_id":"5"}"#],
        "not user 6, not the unmounted 7"
    );
    assert_eq!(five.state().data, Some(p(json!({"n": 4}))));
    // The unmounted instance is stale: its next load fetches.
    let seven = h.client.subscribe("user", p(json!({"user_id": 7})), None);
    futures::executor::block_on(seven.load());
    assert_eq!(h.take_fetches(), [r#"fetch user{"user_id":"7"}"#]);
}

#[test]
fn pushes_arriving_together_are_fetched_once_per_instance() {
    let mut h = harness(true);
    let tx = h.script.open();
    let _five = h.mount("user", json!({"user_id": 5}));
    let _six = h.mount("user", json!({"user_id": 6}));
    h.start();
    h.take_fetches();
    tx.unbounded_send(push(vec![user(5)])).unwrap();
    tx.unbounded_send(push(vec![Invalidation::broad("user")])).unwrap();
    tx.unbounded_send(push(vec![user(5), user(6)])).unwrap();
    h.pool.run_until_stalled();
    assert_eq!(
        h.take_fetches(),
        [r#"fetch user{"user_id":"5"}"#, r#"fetch user{"user_id":"6"}"#]
    );
}

#[test]
fn a_push_caused_by_this_client_is_skipped() {
    let mut h = harness(true);
    let tx = h.script.open();
    let _five = h.mount("user", json!({"user_id": 5}));
    h.start();
    h.take_fetches();
    let mut own = PushMessage {
        invalidate: vec![user(5)],
        function: Some("rename".into()),
        client: Some("me".into()),
        ..PushMessage::default()
    };
    tx.unbounded_send(PushEvent::Push(own.clone())).unwrap();
    h.pool.run_until_stalled();
    assert!(h.take_fetches().is_empty(), "its own call's response already refetched");
    own.client = Some("someone-else".into());
    tx.unbounded_send(PushEvent::Push(own)).unwrap();
    h.pool.run_until_stalled();
    assert_eq!(h.take_fetches(), [r#"fetch user{"user_id":"5"}"#]);
    assert_eq!(h.script.requests.lock().unwrap()[0].0, "me");
}

#[test]
fn a_pushed_merge_is_spliced_without_a_fetch() {
    let mut h = harness(true);
    let tx = h.script.open();
    let items = h.mount("items", json!({}));
    h.start();
    h.take_fetches();
    tx.unbounded_send(PushEvent::Push(PushMessage {
        merge: vec![MergeEntry {
            context: "items".into(),
            slot: "n".into(),
            value: json!(99),
            params: None,
        }],
        ..PushMessage::default()
    }))
    .unwrap();
    h.pool.run_until_stalled();
    assert!(h.take_fetches().is_empty());
    assert_eq!(items.state().data, Some(p(json!({"n": 99}))));
}

#[test]
fn a_lost_connection_reconnects_and_refetches_every_mounted_instance() {
    let mut h = harness(true);
    let first = h.script.open();
    let second = h.script.open();
    let _five = h.mount("user", json!({"user_id": 5}));
    let _items = h.mount("items", json!({}));
    let gone = h.mount("stats", json!({}));
    drop(gone);
    h.start();
    h.take_fetches();
    assert_eq!(
        h.statuses(),
        [ConnectionStatus::Connecting, ConnectionStatus::Connected]
    );
    first
        .unbounded_send(PushEvent::Closed {
            code: Some(1006),
            reason: "server restart".into(),
        })
        .unwrap();
    h.pool.run_until_stalled();
    assert_eq!(
        h.statuses(),
        [
            ConnectionStatus::Connecting,
            ConnectionStatus::Connected,
            ConnectionStatus::Reconnecting,
            ConnectionStatus::Connected
        ]
    );
    assert_eq!(
        h.take_fetches(),
        [r#"fetch items{}"#, r#"fetch user{"user_id":"5"}"#],
        "pushes may have been missed: every mounted instance, once"
    );
    assert_eq!(h.slept.lock().unwrap().len(), 1, "one back-off before reconnecting");
    // The unmounted one refetches on its next load.
    let stats = h.client.subscribe("stats", Params::new(), None);
    futures::executor::block_on(stats.load());
    assert_eq!(h.take_fetches(), [r#"fetch stats{}"#]);
    // Pushes flow on the new connection.
    second.unbounded_send(push(vec![user(5)])).unwrap();
    h.pool.run_until_stalled();
    assert_eq!(h.take_fetches(), [r#"fetch user{"user_id":"5"}"#]);
}

#[test]
fn failed_connects_back_off_exponentially_with_jitter() {
    let mut h = harness(true);
    for _ in 0..5 {
        h.script.fail(PushError::Failed("refused".into()));
    }
    let _tx = h.script.open();
    h.start();
    let slept = h.slept.lock().unwrap().clone();
    assert_eq!(slept.len(), 5);
    let policy = POLICY;
    for (attempt, d) in slept.iter().enumerate() {
        let full = policy.base_delay * (1 << attempt);
        assert!(
            *d >= full / 2 && *d <= full,
            "attempt {attempt}: {d:?} not in [{:?}, {full:?}]",
            full / 2
        );
    }
    assert!(slept.windows(2).all(|w| w[1] > w[0]), "{slept:?}");
    // Never connected before: `connecting` until the first success.
    assert_eq!(
        h.statuses(),
        [ConnectionStatus::Connecting, ConnectionStatus::Connected]
    );
}

#[test]
fn only_a_stable_connection_resets_the_back_off() {
    for stable in [false, true] {
        let mut h = harness(stable);
        let conns: Vec<_> = (0..4).map(|_| h.script.open()).collect();
        h.start();
        for tx in &conns[..3] {
            tx.unbounded_send(PushEvent::Closed {
                code: None,
                reason: "dropped".into(),
            })
            .unwrap();
            h.pool.run_until_stalled();
        }
        let slept = h.slept.lock().unwrap().clone();
        assert_eq!(slept.len(), 3);
        let half = POLICY.base_delay / 2;
        if stable {
            assert!(slept.iter().all(|d| *d < half * 2), "reset each time: {slept:?}");
        } else {
            assert!(slept[2] >= half * 4, "kept doubling: {slept:?}");
        }
    }
}

#[test]
fn close_code_4401_stops_the_loop_as_unauthorized() {
    let mut h = harness(true);
    let tx = h.script.open();
    h.script.open();
    h.start();
    tx.unbounded_send(PushEvent::Closed {
        code: Some(4401),
        reason: "invalid token".into(),
    })
    .unwrap();
    h.pool.run_until_stalled();
    assert_eq!(h.client.connection_status(), ConnectionStatus::Unauthorized);
    assert_eq!(h.script.requests.lock().unwrap().len(), 1, "no reconnect");
    assert_eq!(h.script.connects.lock().unwrap().len(), 1);
    // A rejected connect is the same.
    let mut h = harness(true);
    h.script.fail(PushError::Unauthorized("401".into()));
    h.start();
    assert_eq!(
        h.statuses(),
        [ConnectionStatus::Connecting, ConnectionStatus::Unauthorized]
    );
    // Run again (new credentials): it connects.
    let _tx = h.script.open();
    h.start();
    assert_eq!(h.client.connection_status(), ConnectionStatus::Connected);
}

#[test]
fn without_pushes_the_loop_returns_and_the_status_stays_idle() {
    let (c, _, _) = client(Mock::counting());
    futures::executor::block_on(c.run_push());
    assert_eq!(c.connection_status(), ConnectionStatus::Idle);
    let mut h = harness(true);
    h.script.fail(PushError::Unavailable("not in Tauri".into()));
    h.start();
    assert_eq!(h.client.connection_status(), ConnectionStatus::Idle);
    assert_eq!(h.script.requests.lock().unwrap().len(), 1);
}

#[test]
fn one_loop_per_client_and_dropping_it_goes_idle() {
    let mut h = harness(true);
    let _tx = h.script.open();
    h.start();
    // A second loop returns at once without connecting.
    futures::executor::block_on(h.client.run_push());
    assert_eq!(h.script.requests.lock().unwrap().len(), 1);
    assert_eq!(h.client.connection_status(), ConnectionStatus::Connected);
    drop(std::mem::replace(&mut h.pool, LocalPool::new()));
    assert_eq!(h.client.connection_status(), ConnectionStatus::Idle);
}

#[test]
fn watch_contexts_reach_the_transport() {
    let script = Arc::new(Script::default());
    let c = MizanClient::builder(Mock::counting())
        .push(Arc::clone(&script))
        .watch(["user", "items"])
        .build();
    let mut pool = LocalPool::new();
    let c2 = c.clone();
    pool.spawner().spawn_local(async move { c2.run_push().await }).unwrap();
    pool.run_until_stalled();
    let requests = script.requests.lock().unwrap();
    assert_eq!(requests[0].1, Some(vec!["user".to_owned(), "items".to_owned()]));
    assert_eq!(requests[0].0, c.client_id());
    assert_eq!(c.client_id().len(), 33);
}

#[test]
fn a_cancelled_fetch_does_not_leave_the_instance_fetching() {
    let mut mock = Mock::counting();
    let gates: Arc<Mutex<Vec<futures::channel::oneshot::Sender<ContextDataAlias>>>> = Arc::default();
    mock.gates = Some(Arc::clone(&gates));
    let (c, log, _) = client(mock);
    let sub = c.subscribe("user", p(json!({"user_id": 5})), None);
    {
        let mut load = Box::pin(sub.load());
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(load.as_mut().poll(&mut cx).is_pending());
        assert!(sub.state().is_fetching);
    }
    // The load's future was dropped mid-fetch.
    assert!(!sub.state().is_fetching);
    assert_eq!(sub.state().status, crate::Status::Idle);
    log.lock().unwrap().clear();
    let mut load = Box::pin(sub.load());
    let waker = futures::task::noop_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(load.as_mut().poll(&mut cx).is_pending());
    assert_eq!(fetches(&log).len(), 1, "the next load fetches again");
    gates.lock().unwrap().pop().unwrap().send(p(json!({"n": 1}))).unwrap();
    assert!(load.as_mut().poll(&mut cx).is_ready());
    assert_eq!(sub.state().data, Some(p(json!({"n": 1}))));
}

type ContextDataAlias = crate::wire::ContextData;

#[test]
fn a_connect_that_hangs_times_out_and_is_retried() {
    // Every timer fires at once here: the hanging connect times out.
    let script = Arc::new(Script::default());
    let slept: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let sink = Arc::clone(&slept);
    let c = MizanClient::builder(Mock::counting())
        .push(Arc::clone(&script))
        .reconnect(POLICY)
        .sleep(move |d: Duration| -> ClientFuture<'static, ()> {
            let mut slept = sink.lock().unwrap();
            slept.push(d);
            // Stop after a few rounds: from then on, nothing fires.
            if slept.len() > 4 {
                return Box::pin(futures::future::pending());
            }
            Box::pin(async {})
        })
        .build();
    let mut pool = LocalPool::new();
    let c2 = c.clone();
    pool.spawner().spawn_local(async move { c2.run_push().await }).unwrap();
    pool.run_until_stalled();
    assert!(
        script.requests.lock().unwrap().len() >= 2,
        "connected again after the timeout"
    );
    assert_eq!(slept.lock().unwrap()[0], POLICY.connect_timeout);
    assert_eq!(c.connection_status(), ConnectionStatus::Connecting);
}

#[test]
fn a_push_task_ends_when_its_guard_is_dropped() {
    let mut h = harness(true);
    let _tx = h.script.open();
    let (task, stop) = h.client.push_task();
    fn send<T: Send + 'static>(_: &T) {}
    send(&task);
    let done = Arc::new(Mutex::new(false));
    let flag = Arc::clone(&done);
    h.pool
        .spawner()
        .spawn_local(async move {
            task.await;
            *flag.lock().unwrap() = true;
        })
        .unwrap();
    h.pool.run_until_stalled();
    assert_eq!(h.client.connection_status(), ConnectionStatus::Connected);
    drop(stop);
    h.pool.run_until_stalled();
    assert!(*done.lock().unwrap());
    assert_eq!(h.client.connection_status(), ConnectionStatus::Idle);
}
