//! The push hub without any transport: every commit reaches subscribers,
//! entries are filtered by what each principal may read (auth levels,
//! predicates, private members) and by `watch`, a slow consumer is dropped
//! instead of buffered without bound, and a bus hears every local commit.

use futures::StreamExt;
use mizan::{Audience, Extensions, Origin, Principal, Push, PushBus, PushHub, Registry, RequestHandle};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

#[mizan::context("open")]
pub struct OpenCtx;
#[mizan::context("mine")]
pub struct MineCtx;
#[mizan::context("staff_room")]
pub struct StaffCtx;
#[mizan::context("vip")]
pub struct VipCtx;

#[mizan::client(context = OpenCtx)]
pub async fn open_value(_req: &RequestHandle<'_>) -> i64 {
    1
}

#[mizan::client(context = MineCtx, auth = "required")]
pub async fn my_value(_req: &RequestHandle<'_>) -> i64 {
    2
}

#[mizan::client(context = StaffCtx, auth = "staff")]
pub async fn staff_value(_req: &RequestHandle<'_>) -> i64 {
    3
}

pub fn is_vip(req: &RequestHandle<'_>) -> bool {
    req.principal().is_some_and(|p| p.perms.iter().any(|x| x == "vip"))
}

#[mizan::client(context = VipCtx, auth = is_vip)]
pub async fn vip_value(_req: &RequestHandle<'_>) -> i64 {
    4
}

#[mizan::client(affects = [OpenCtx, MineCtx, StaffCtx, VipCtx])]
pub async fn touch_all(_req: &RequestHandle<'_>) -> bool {
    true
}

fn registry() -> Arc<Registry> {
    Arc::new(Registry::from_linked().expect("registry"))
}

async fn touch(registry: &Registry, client: Option<&str>) {
    let ext = Extensions::new();
    let req = RequestHandle::new(Origin::Http, None, &ext).with_client(client);
    registry
        .call(&req, "touch_all", &serde_json::Map::new())
        .await
        .expect("call");
}

fn contexts(frame: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(frame).unwrap();
    v["invalidate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_subscriber_sees_only_what_its_principal_may_read() {
    let registry = registry();
    let hub = PushHub::attach(&registry, Arc::new(Extensions::new()));
    let staff = Principal {
        staff: true,
        ..Principal::user("s")
    };
    let vip = Principal {
        perms: vec!["vip".into()],
        ..Principal::user("v")
    };
    let mut subs: Vec<_> = [None, Some(Principal::user("u")), Some(staff), Some(vip)]
        .into_iter()
        .map(|principal| hub.subscribe(Audience { principal, watch: None }))
        .collect();
    touch(&registry, Some("tab-9")).await;
    let mut seen = Vec::new();
    for sub in &mut subs {
        let frame = sub.next().await.unwrap();
        let v: Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(
            (v["op"].clone(), v["fn"].clone(), v["client"].clone()),
            (json!("push"), json!("touch_all"), json!("tab-9"))
        );
        seen.push(contexts(&frame));
    }
    assert_eq!(seen[0], ["open"]);
    assert_eq!(seen[1], ["open", "mine"]);
    assert_eq!(seen[2], ["open", "mine", "staff_room"]);
    assert_eq!(seen[3], ["open", "mine", "vip"]);
}

#[tokio::test]
async fn watch_narrows_and_nothing_visible_sends_nothing() {
    let registry = registry();
    let hub = PushHub::attach(&registry, Arc::new(Extensions::new()));
    let mut sub = hub.subscribe(Audience::default());
    sub.watch(Some(["staff_room".to_owned()].into()));
    touch(&registry, None).await;
    sub.watch(Some(["open".to_owned()].into()));
    touch(&registry, None).await;
    // The first push had nothing this anonymous subscriber may see.
    assert_eq!(contexts(&sub.next().await.unwrap()), ["open"]);
    assert!(futures::poll!(sub.next()).is_pending());
}

#[tokio::test]
async fn a_slow_consumer_is_dropped_instead_of_buffered() {
    let registry = registry();
    let hub = PushHub::attach_with_queue(&registry, Arc::new(Extensions::new()), 2);
    let mut slow = hub.subscribe(Audience::default());
    let mut fast = hub.subscribe(Audience::default());
    for _ in 0..3 {
        touch(&registry, None).await;
        fast.next().await.unwrap();
    }
    assert!(slow.dropped(), "the third push overflowed a queue of 2");
    assert_eq!(hub.subscriber_count(), 1);
    // What was queued can still be read; then the stream ends.
    assert!(slow.next().await.is_some());
    assert!(slow.next().await.is_some());
    assert!(slow.next().await.is_none());
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Push>>);

impl PushBus for Recorder {
    fn publish(&self, push: &Push) {
        self.0.lock().unwrap().push(push.clone());
    }
}

#[tokio::test]
async fn local_commits_go_to_the_bus_and_remote_ones_are_delivered_locally_only() {
    let registry = registry();
    let hub = PushHub::attach(&registry, Arc::new(Extensions::new()));
    let bus = Arc::new(Recorder::default());
    hub.set_bus(bus.clone());
    let mut sub = hub.subscribe(Audience::default());
    touch(&registry, None).await;
    assert_eq!(bus.0.lock().unwrap().len(), 1);
    sub.next().await.unwrap();
    let remote = Push {
        invalidate: vec![mizan_core::invalidation::Invalidation::Broad("open".into())],
        merge: vec![],
        function: Some("elsewhere".into()),
        client: None,
    };
    hub.deliver(&remote);
    let frame: Value = serde_json::from_str(&sub.next().await.unwrap()).unwrap();
    assert_eq!(frame["fn"], "elsewhere");
    assert_eq!(
        bus.0.lock().unwrap().len(),
        1,
        "a remote push is not sent back to the bus"
    );
}
