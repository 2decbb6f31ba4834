//! Tests of the kernel's async rules against a scripted transport: what a
//! call refetches, batching, retries, session init, merges, superseded
//! fetches.

use super::*;
use crate::ErrorCode;
use crate::test_mock::*;
use crate::wire::{MergeEntry, ScopedInvalidation};
use futures::channel::oneshot;
use futures::executor::block_on;
use serde_json::json;
use std::collections::VecDeque;
use std::time::Duration;

#[test]
fn the_client_is_send_and_sync_and_its_futures_are_send() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let (c, _, _) = client(Mock::counting());
    send_sync(&c);
    let sub = c.subscribe("items", Params::new(), None);
    send_sync(&sub);
    send(&c.call("f", Params::new()));
    send(&c.fetch("items", Params::new()));
    send(&sub.load());
}

#[test]
fn a_call_refetches_only_the_mounted_instances_it_selects() {
    let scoped = Invalidation::scoped("user", p(json!({"user_id": 5})));
    let mock = Mock::counting().answer_calls(vec![Ok(response(
        vec![scoped, Invalidation::broad("notifications")],
        vec![],
    ))]);
    let (c, log, _) = client(mock);
    let subs: Vec<Subscription> = [
        ("user", json!({"user_id": 5})),
        ("user", json!({"user_id": 6})),
        ("notifications", json!({})),
        ("stats", json!({})),
    ]
    .into_iter()
    .map(|(ctx, params)| c.subscribe(ctx, p(params), None))
    .collect();
    for s in &subs {
        block_on(s.load());
    }
    log.lock().unwrap().clear();
    let resp = block_on(c.call("rename", p(json!({"user_id": 5, "name": "x"})))).unwrap();
    assert_eq!(resp.result, json!({"ok": true}));
    assert_eq!(
        fetches(&log),
        [r#"fetch notifications{}"#, r#"fetch user{"user_id":"5"}"#],
        "one fetch per selected mounted instance, none for user 6 or stats"
    );
    // The call completed after the refetch: the new data is there.
    assert_eq!(subs[0].state().data, Some(p(json!({"n": 6}))));
    assert_eq!(subs[0].state().status, Status::Success);
}

#[test]
fn invalidations_arriving_together_are_batched_and_deduplicated() {
    let user5 = || Invalidation::scoped("user", p(json!({"user_id": "5"})));
    let function_entry = Invalidation::Scoped(ScopedInvalidation {
        context: "user".into(),
        function: Some("user_orders".into()),
        params: Some(p(json!({"user_id": 5}))),
    });
    let mock = Mock::counting().answer_calls(vec![
        Ok(response(
            vec![user5(), function_entry, Invalidation::broad("user")],
            vec![],
        )),
        Ok(response(vec![user5()], vec![])),
    ]);
    let (c, log, _) = client(mock);
    let sub = c.subscribe("user", p(json!({"user_id": 5})), None);
    block_on(sub.load());
    log.lock().unwrap().clear();
    let (a, b) = block_on(async { futures::join!(c.call("a", Params::new()), c.call("b", Params::new())) });
    assert!(a.is_ok() && b.is_ok());
    assert_eq!(
        fetches(&log),
        [r#"fetch user{"user_id":"5"}"#],
        "two calls, three entries, one fetch"
    );
    assert_eq!(sub.state().status, Status::Success);
}

#[test]
fn a_failed_call_invalidates_nothing_and_is_not_retried() {
    let err = MizanError::new(ErrorCode::InternalError, "boom");
    let (c, log, slept) = client(Mock::counting().answer_calls(vec![Err(err.clone())]));
    let sub = c.subscribe("user", Params::new(), None);
    block_on(sub.load());
    let before = sub.state();
    log.lock().unwrap().clear();
    assert_eq!(block_on(c.call("rename", Params::new())), Err(err));
    assert_eq!(*log.lock().unwrap(), ["session", "call rename token=-"]);
    assert_eq!(sub.state(), before);
    assert!(slept.lock().unwrap().is_empty());
}

#[test]
fn context_fetches_retry_twice_on_network_errors_and_5xx_with_back_off() {
    let mock = Mock::new(|_, _, n| match n {
        1 => Err(MizanError::network("refused")),
        2 => Err(MizanError::from_response(503, b"")),
        _ => Ok(p(json!({"ok": n}))),
    });
    let (c, log, slept) = client(mock);
    let data = block_on(c.fetch("items", Params::new())).unwrap();
    assert_eq!(data, p(json!({"ok": 3})));
    assert_eq!(fetches(&log).len(), 3);
    assert_eq!(
        *slept.lock().unwrap(),
        [Duration::from_millis(300), Duration::from_millis(600)]
    );
}

#[test]
fn context_fetches_give_up_after_two_retries() {
    let (c, log, _) = client(Mock::new(|_, _, _| Err(MizanError::from_response(500, b""))));
    let sub = c.subscribe("items", Params::new(), None);
    let state = block_on(sub.load());
    assert_eq!(fetches(&log).len(), 3);
    assert_eq!(state.status, Status::Error);
    assert_eq!(state.error.map(|e| e.code), Some(ErrorCode::InternalError));
}

#[test]
fn client_errors_are_not_retried() {
    let (c, log, slept) = client(Mock::new(|_, _, _| Err(MizanError::from_response(401, b""))));
    let err = block_on(c.fetch("notifications", Params::new())).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(fetches(&log).len(), 1);
    assert!(slept.lock().unwrap().is_empty());
}

#[test]
fn the_session_is_initialised_once_before_the_first_call() {
    let mock = Mock::counting();
    *mock.sessions.lock().unwrap() = VecDeque::from([
        Err(MizanError::network("down")),
        Ok(SessionInfo {
            csrf_token: Some("tok".into()),
        }),
    ]);
    let (c, log, _) = client(mock);
    block_on(c.call("a", Params::new())).unwrap();
    block_on(c.call("b", Params::new())).unwrap();
    block_on(c.call("c", Params::new())).unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            "session",
            "call a token=-",
            "session",
            "call b token=tok",
            "call c token=tok"
        ],
        "a failed session init is retried by the next call, a successful one is not repeated"
    );
}

#[test]
fn merges_patch_without_a_round_trip() {
    let merge = MergeEntry {
        context: "items".into(),
        slot: "items_list".into(),
        value: json!({"id": 2, "name": "B"}),
        params: None,
    };
    let mock = Mock::new(|_, _, _| {
        Ok(p(
            json!({"items_list": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}),
        ))
    })
    .answer_calls(vec![Ok(response(vec![], vec![merge]))]);
    let (c, log, _) = client(mock);
    c.register_list_slot("items", "items_list", "id");
    let sub = c.subscribe("items", Params::new(), None);
    block_on(sub.load());
    log.lock().unwrap().clear();
    block_on(c.call("set_item_name", p(json!({"id": 2, "name": "B"})))).unwrap();
    assert!(fetches(&log).is_empty());
    assert_eq!(
        sub.state().data,
        Some(p(
            json!({"items_list": [{"id": 1, "name": "a"}, {"id": 2, "name": "B"}]})
        ))
    );
}

#[test]
fn unmounted_instances_refetch_on_their_next_load() {
    let (c, log, _) = client(Mock::counting());
    let sub = c.subscribe("stats", Params::new(), None);
    block_on(sub.load());
    drop(sub);
    block_on(c.invalidate(&[Invalidation::broad("stats")]));
    assert_eq!(fetches(&log).len(), 1, "not mounted: not refetched");
    let sub = c.subscribe("stats", Params::new(), None);
    assert_eq!(sub.state().data, Some(p(json!({"n": 1}))), "data stayed cached");
    block_on(sub.load());
    assert_eq!(fetches(&log).len(), 2, "stale: loaded again");
    block_on(sub.load());
    assert_eq!(fetches(&log).len(), 2, "fresh: not loaded again");
    assert_eq!(c.gc(), 0);
    drop(sub);
    assert_eq!(c.gc(), 1);
}

#[test]
fn a_superseded_fetch_never_overwrites_a_newer_one() {
    let gates: Arc<Mutex<Vec<oneshot::Sender<ContextData>>>> = Arc::default();
    let mut mock = Mock::counting();
    mock.gates = Some(Arc::clone(&gates));
    let (c, _, _) = client(mock);
    let sub = c.subscribe("items", Params::new(), None);
    let driver = async {
        // Wait until the load and the refetch are both in flight.
        while gates.lock().unwrap().len() < 2 {
            yield_now().await;
        }
        let (first, second) = {
            let mut g = gates.lock().unwrap();
            let second = g.pop().unwrap();
            (g.pop().unwrap(), second)
        };
        second.send(p(json!({"v": "new"}))).unwrap();
        yield_now().await;
        first.send(p(json!({"v": "old"}))).unwrap();
    };
    let broad = [Invalidation::broad("items")];
    let (loaded, (), ()) = block_on(async { futures::join!(sub.load(), c.invalidate(&broad), driver) });
    assert_eq!(loaded.data, Some(p(json!({"v": "new"}))));
    assert_eq!(sub.state().data, Some(p(json!({"v": "new"}))));
}

#[test]
fn listeners_see_every_state_change() {
    let (c, _, _) = client(Mock::counting());
    let seen: Arc<Mutex<Vec<(Status, bool)>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let sub = c.subscribe(
        "items",
        Params::new(),
        Some(Arc::new(move |s: &InstanceState| {
            sink.lock().unwrap().push((s.status, s.is_fetching))
        })),
    );
    block_on(sub.load());
    block_on(c.invalidate(&[Invalidation::broad("items")]));
    // A background refetch keeps `success` and flags `is_fetching`.
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (Status::Loading, true),
            (Status::Success, false),
            (Status::Success, true),
            (Status::Success, false)
        ]
    );
}

#[test]
fn typed_calls_and_fetches_decode_or_fail_with_bad_response() {
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Total {
        total: i64,
    }
    let mock = Mock::new(|_, _, _| Ok(p(json!({"n": "not a number"})))).answer_calls(vec![
        Ok(CallResponse {
            result: json!({"total": 3}),
            ..CallResponse::default()
        }),
        Ok(CallResponse {
            result: json!("nope"),
            ..CallResponse::default()
        }),
    ]);
    let (c, _, _) = client(mock);
    let t: Total = block_on(c.call_as("add", &json!({"a": 1, "b": 2}))).unwrap();
    assert_eq!(t, Total { total: 3 });
    let err = block_on(c.call_as::<_, Total>("add", &json!({}))).unwrap_err();
    assert_eq!(err.code, ErrorCode::BadResponse);
    #[derive(Debug, serde::Deserialize)]
    struct Data {
        #[allow(dead_code)]
        n: i64,
    }
    let err = block_on(c.fetch_as::<_, Data>("x", &())).unwrap_err();
    assert_eq!(err.code, ErrorCode::BadResponse);
    let err = block_on(c.call_as::<_, Total>("add", &[1, 2])).unwrap_err();
    assert_eq!(err.code, ErrorCode::BadRequest);
}
