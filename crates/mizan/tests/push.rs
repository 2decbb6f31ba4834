//! The push hub without any transport: every commit reaches subscribers,
//! entries are filtered by what each principal may read (auth levels,
//! predicates, private members) and by `watch`, a merge into a per-user
//! context and the caller's client id reach only the caller's principal, a
//! slow consumer is dropped instead of buffered without bound, and a bus
//! hears every local commit.

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

/// A folder's unread count: personal data.
#[derive(mizan::Mizan, serde::Serialize, serde::Deserialize)]
pub struct Unread {
    pub folder: i64,
    pub count: i64,
}

#[mizan::context("inbox")]
pub struct InboxCtx;

#[mizan::client(context = InboxCtx, auth = "required")]
pub async fn inbox_unread(_req: &RequestHandle<'_>, folder: i64) -> Unread {
    Unread { folder, count: 3 }
}

/// Marks a folder read: the caller's count (a secret 0) is merged.
#[mizan::client(merge = InboxCtx, auth = "required")]
pub async fn read_folder(_req: &RequestHandle<'_>, folder: i64) -> Unread {
    Unread { folder, count: 0 }
}

fn registry() -> Arc<Registry> {
    Arc::new(Registry::from_linked().expect("registry"))
}

async fn touch(registry: &Registry, client: Option<&str>) {
    touch_as(registry, None, client).await;
}

async fn touch_as(registry: &Registry, principal: Option<&Principal>, client: Option<&str>) {
    let ext = Extensions::new();
    let req = RequestHandle::new(Origin::Http, principal, &ext).with_client(client);
    registry
        .call(&req, "touch_all", &serde_json::Map::new())
        .await
        .expect("call");
}

async fn read_folder_as(registry: &Registry, principal: &Principal, client: &str, folder: i64) {
    let ext = Extensions::new();
    let req = RequestHandle::new(Origin::WebSocket, Some(principal), &ext).with_client(Some(client));
    let args = json!({"folder": folder});
    registry
        .call(&req, "read_folder", args.as_object().unwrap())
        .await
        .expect("call");
}

/// The next frame as JSON, or `None` if nothing is queued.
fn try_next(sub: &mut mizan::Subscription) -> Option<Value> {
    let frame = futures::FutureExt::now_or_never(sub.next())??;
    Some(serde_json::from_str(&frame).unwrap())
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
    for (n, sub) in subs.iter_mut().enumerate() {
        let frame = sub.next().await.unwrap();
        let v: Value = serde_json::from_str(&frame).unwrap();
        // The anonymous caller's client id goes to anonymous connections
        // only (the only ones that can be that client).
        let client = if n == 0 { json!("tab-9") } else { Value::Null };
        assert_eq!(
            (v["op"].clone(), v["fn"].clone(), v["client"].clone()),
            (json!("push"), json!("touch_all"), client)
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
        caller: None,
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

#[tokio::test]
async fn a_per_user_merge_reaches_only_its_callers_connections_others_refetch() {
    let registry = registry();
    let hub = PushHub::attach(&registry, Arc::new(Extensions::new()));
    let subscribe = |principal: Option<Principal>| hub.subscribe(Audience { principal, watch: None });
    let (u1, u2) = (Principal::user("u1"), Principal::user("u2"));
    let staff_u1 = Principal {
        staff: true,
        ..Principal::user("u1")
    };
    let mut mine = [subscribe(Some(u1.clone())), subscribe(Some(staff_u1))];
    let mut theirs = subscribe(Some(u2));
    let mut anonymous = subscribe(None);
    read_folder_as(&registry, &u1, "tab-1", 7).await;
    for sub in &mut mine {
        assert_eq!(
            try_next(sub).expect("the caller's connections get the merge"),
            json!({"op": "push", "invalidate": [], "fn": "read_folder", "client": "tab-1",
                   "merge": [{"context": "inbox", "slot": "inbox_unread",
                              "value": {"folder": 7, "count": 0}, "params": {"folder": 7}}]})
        );
    }
    // u2's own instance `inbox;folder=7` was purged from the origin cache
    // as well: it is told to refetch, never shown u1's value or client.
    assert_eq!(
        try_next(&mut theirs).expect("u2 refetches"),
        json!({"op": "push", "invalidate": [{"context": "inbox", "params": {"folder": 7}}], "fn": "read_folder"})
    );
    assert_eq!(try_next(&mut anonymous), None, "anonymous may not read inbox");
}

#[tokio::test]
async fn a_client_id_reaches_only_its_callers_principal() {
    let registry = registry();
    let hub = PushHub::attach(&registry, Arc::new(Extensions::new()));
    let (u1, u2) = (Principal::user("u1"), Principal::user("u2"));
    let mut subs: Vec<_> = [Some(u1.clone()), Some(u2.clone()), None]
        .into_iter()
        .map(|principal| hub.subscribe(Audience { principal, watch: None }))
        .collect();
    // u2 reuses u1's client id: only u2's own connections see it.
    touch_as(&registry, Some(&u2), Some("tab-of-u1")).await;
    let clients: Vec<Value> = subs
        .iter_mut()
        .map(|sub| try_next(sub).expect("a push")["client"].clone())
        .collect();
    assert_eq!(clients, [Value::Null, json!("tab-of-u1"), Value::Null]);
}

#[tokio::test]
async fn a_published_merge_into_a_per_user_context_is_a_refetch_for_everyone() {
    let registry = registry();
    let hub = PushHub::attach(&registry, Arc::new(Extensions::new()));
    let mut sub = hub.subscribe(Audience {
        principal: Some(Principal::user("u1")),
        watch: None,
    });
    let merge = mizan_core::invalidation::MergeEntry {
        context: "inbox".into(),
        slot: "inbox_unread".into(),
        value: json!({"folder": 1, "count": 9}),
        params: None,
    };
    registry.publish(vec![], vec![merge]).await;
    assert_eq!(
        try_next(&mut sub).expect("a push"),
        json!({"op": "push", "invalidate": ["inbox"]})
    );
}

#[tokio::test]
async fn a_push_from_another_process_is_filtered_by_its_caller_too() {
    let registry = registry();
    let hub = PushHub::attach(&registry, Arc::new(Extensions::new()));
    let mut u1 = hub.subscribe(Audience {
        principal: Some(Principal::user("u1")),
        watch: None,
    });
    let mut u2 = hub.subscribe(Audience {
        principal: Some(Principal::user("u2")),
        watch: None,
    });
    let remote = Push {
        invalidate: vec![],
        merge: vec![mizan_core::invalidation::MergeEntry {
            context: "inbox".into(),
            slot: "inbox_unread".into(),
            value: json!({"folder": 2, "count": 0}),
            params: Some(json!({"folder": 2}).as_object().unwrap().clone()),
        }],
        function: Some("read_folder".into()),
        client: Some("tab-1".into()),
        caller: Some("u1".into()),
    };
    hub.deliver(&remote);
    let mine = try_next(&mut u1).expect("u1's push");
    assert_eq!(
        (mine["client"].clone(), mine["merge"][0]["value"]["count"].clone()),
        (json!("tab-1"), json!(0))
    );
    assert!(mine.get("caller").is_none(), "the caller's id is not in frames: {mine}");
    assert_eq!(
        try_next(&mut u2).expect("u2's push"),
        json!({"op": "push", "invalidate": [{"context": "inbox", "params": {"folder": 2}}], "fn": "read_folder"})
    );
    // Serialized on its own (a bus, a log), a push never names its caller.
    assert!(!serde_json::to_string(&remote).unwrap().contains("u1"));
}
