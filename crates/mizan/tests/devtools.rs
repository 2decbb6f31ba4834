//! The devtools tap in the runtime (feature `devtools`; `cargo test -p
//! mizan --features devtools`): nothing is recorded while nobody observes,
//! every call/fetch/commit/push is while someone does, with the call ↔
//! commit ↔ push links, and an observer that stops reading is dropped
//! while calls keep succeeding.
#![cfg(feature = "devtools")]

use futures::StreamExt;
use mizan::devtools::{EventKind, Status, Transport};
use mizan::{Audience, Extensions, MizanError, Origin, Principal, PushHub, Registry, RequestHandle};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::sync::Arc;

#[derive(mizan::Mizan, Serialize, Deserialize)]
pub struct Item {
    pub id: i64,
    pub name: String,
}

#[mizan::context("item")]
pub struct ItemCtx;

#[mizan::client(context = ItemCtx)]
pub async fn item(_req: &RequestHandle<'_>, id: i64) -> Item {
    Item {
        id,
        name: format!("item {id}"),
    }
}

#[mizan::client(affects = ItemCtx)]
pub async fn rename_item(_req: &RequestHandle<'_>, id: i64, name: String) -> Result<Item, MizanError> {
    if name.is_empty() {
        return Err(MizanError::bad_request("a name"));
    }
    Ok(Item { id, name })
}

fn args(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

#[tokio::test]
async fn events_only_while_observed_and_linked() {
    let registry = Arc::new(Registry::from_linked().expect("registry"));
    let extensions = Arc::new(Extensions::new());
    let hub = PushHub::attach(&registry, extensions.clone());
    let mut pushes = hub.subscribe(Audience::default());
    let principal = Principal::user("u-1");
    let req = RequestHandle::new(Origin::Ipc, Some(&principal), &extensions).with_client(Some("c-1"));

    // Unattached: nothing recorded.
    assert!(!registry.tap().is_attached());
    registry
        .call(&req, "rename_item", &args(json!({"id": 1, "name": "a"})))
        .await
        .expect("call");
    let _ = pushes.next().await;

    let mut events = registry.tap().observe();
    assert!(registry.tap().is_attached());
    registry
        .call(&req, "rename_item", &args(json!({"id": 2, "name": "b"})))
        .await
        .expect("call");
    registry
        .fetch(&req, "item", &args(json!({"id": 2})))
        .await
        .expect("fetch");
    let failed = registry
        .call(&req, "rename_item", &args(json!({"id": 2, "name": ""})))
        .await;
    assert!(failed.is_err());

    // Everything recorded since observing arrives as one batch of JSON
    // objects, in order.
    let batch = events.next().await.expect("a batch");
    assert_eq!(batch.len(), 5, "{}", batch.json());
    let seen = batch.events().expect("the recorded JSON decodes");
    let seqs: Vec<u64> = seen.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5], "nothing was recorded before observing");
    let EventKind::Commit(commit) = &seen[0].kind else {
        panic!("{:?}", seen[0])
    };
    let EventKind::Push(push) = &seen[1].kind else {
        panic!("{:?}", seen[1])
    };
    let EventKind::Call(call) = &seen[2].kind else {
        panic!("{:?}", seen[2])
    };
    assert_eq!(call.function, "rename_item");
    assert_eq!(call.caller.transport, Transport::Ipc);
    assert_eq!(call.caller.principal.as_deref(), Some("u-1"));
    assert_eq!(call.caller.client.as_deref(), Some("c-1"));
    assert_eq!(call.status, Status::Ok);
    assert_eq!(call.result, Some(json!({"id": 2, "name": "b"})));
    assert_eq!(
        serde_json::to_value(&call.invalidate).expect("json"),
        json!([{"context": "item", "params": {"id": 2}}])
    );
    assert_eq!(commit.call, Some(call.id));
    assert_eq!(push.commit, Some(seen[0].seq));
    assert_eq!(push.call, Some(call.id));
    assert_eq!(push.delivered, 1);
    let EventKind::Fetch(fetch) = &seen[3].kind else {
        panic!("{:?}", seen[3])
    };
    assert_eq!(fetch.context, "item");
    assert_eq!(fetch.cache, None, "no origin cache");
    let EventKind::Call(failed) = &seen[4].kind else {
        panic!("{:?}", seen[4])
    };
    assert_eq!(failed.status, Status::Error);
    assert_eq!(failed.error.as_ref().map(|e| e.message.as_str()), Some("a name"));
    assert!(failed.invalidate.is_empty());

    // The observer leaves: the tap notices at the next event.
    drop(events);
    registry
        .fetch(&req, "item", &args(json!({"id": 3})))
        .await
        .expect("fetch");
    assert!(!registry.tap().is_attached());
}

#[tokio::test]
async fn a_slow_observer_is_dropped_and_calls_go_on() {
    let registry = Registry::from_linked().expect("registry");
    let extensions = Extensions::new();
    let req = RequestHandle::new(Origin::Http, None, &extensions);
    let mut slow = registry.tap().observe();
    let queue = mizan::devtools::DEFAULT_QUEUE;
    for id in 0..(queue as i64 + 10) {
        registry
            .fetch(&req, "item", &args(json!({"id": id})))
            .await
            .expect("fetch goes on");
    }
    assert!(slow.dropped(), "the observer that never read was dropped");
    assert!(!registry.tap().is_attached());
    let mut drained = 0;
    while let Some(batch) = slow.next().await {
        drained += batch.len();
    }
    assert_eq!(drained, queue, "it keeps what its queue held, then ends");
}
