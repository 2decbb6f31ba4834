//! Unit tests of the store's rules (SPEC §4), without transports or
//! futures.

use super::*;
use serde_json::{Value, json};
use std::sync::Mutex;

fn p(v: Value) -> Params {
    match v {
        Value::Object(m) => m,
        _ => Params::new(),
    }
}

fn key(context: &str, params: &Params) -> InstanceKey {
    InstanceKey::new(context, params)
}

/// Mounts `context` with `params` and gives it data, as after a fetch.
fn mounted_with_data(store: &mut Store, context: &str, params: Value, data: Value) -> InstanceKey {
    let params = p(params);
    let k = key(context, &params);
    store.subscribe(&k, &params, None);
    let (generation, _) = store.begin_fetch(&k, &params);
    assert!(store.finish_fetch(&k, generation, Ok(p(data))).applied);
    k
}

#[test]
fn scoped_entries_refetch_only_mounted_matching_instances() {
    let mut s = Store::default();
    let u5 = mounted_with_data(&mut s, "user", json!({"user_id": 5}), json!({}));
    let u5p2 = mounted_with_data(&mut s, "user", json!({"user_id": 5, "page": 2}), json!({}));
    let u6 = mounted_with_data(&mut s, "user", json!({"user_id": 6}), json!({}));
    let other = mounted_with_data(&mut s, "stats", json!({}), json!({}));
    let plan = s.plan_invalidation(&[Invalidation::scoped("user", p(json!({"user_id": "5"})))]);
    assert_eq!(plan, BTreeSet::from([u5.clone(), u5p2.clone()]));
    assert!(!plan.contains(&u6) && !plan.contains(&other));
    // Every key must match; a key the instance leaves to the server's
    // default counts as a match (u5 has no `page`).
    let plan = s.plan_invalidation(&[Invalidation::scoped("user", p(json!({"user_id": 5, "page": 2})))]);
    assert_eq!(plan, BTreeSet::from([u5.clone(), u5p2]));
    let plan = s.plan_invalidation(&[Invalidation::scoped("user", p(json!({"user_id": 5, "page": 3})))]);
    assert_eq!(plan, BTreeSet::from([u5]));
}

#[test]
fn broad_entries_refetch_every_mounted_instance_of_the_context() {
    let mut s = Store::default();
    let a = mounted_with_data(&mut s, "user", json!({"user_id": 5}), json!({}));
    let b = mounted_with_data(&mut s, "user", json!({"user_id": 6}), json!({}));
    mounted_with_data(&mut s, "stats", json!({}), json!({}));
    assert_eq!(
        s.plan_invalidation(&[Invalidation::broad("user")]),
        BTreeSet::from([a.clone(), b.clone()])
    );
    // A scoped entry without params is broad too.
    let no_params = Invalidation::Scoped(crate::wire::ScopedInvalidation {
        context: "user".into(),
        function: Some("user_orders".into()),
        params: None,
    });
    assert_eq!(s.plan_invalidation(&[no_params]), BTreeSet::from([a, b]));
}

#[test]
fn entries_are_deduplicated_per_instance() {
    let mut s = Store::default();
    let a = mounted_with_data(&mut s, "user", json!({"user_id": 5}), json!({}));
    let plan = s.plan_invalidation(&[
        Invalidation::scoped("user", p(json!({"user_id": 5}))),
        Invalidation::broad("user"),
        Invalidation::Scoped(crate::wire::ScopedInvalidation {
            context: "user".into(),
            function: Some("user_orders".into()),
            params: Some(p(json!({"user_id": 5}))),
        }),
    ]);
    assert_eq!(plan, BTreeSet::from([a.clone()]));
    s.queue(plan);
    s.queue([a.clone()]);
    assert_eq!(s.take_pending().len(), 1);
    assert!(s.take_pending().is_empty());
}

#[test]
fn unmounted_instances_are_not_refetched_but_marked_stale() {
    let mut s = Store::default();
    let params = p(json!({"user_id": 5}));
    let k = key("user", &params);
    let id = s.subscribe(&k, &params, None);
    let (g, _) = s.begin_fetch(&k, &params);
    let _ = s.finish_fetch(&k, g, Ok(p(json!({"user_profile": 1}))));
    assert!(!s.needs_load(&k));
    s.unsubscribe(&k, id);
    assert!(!s.is_mounted(&k));
    assert!(s.plan_invalidation(&[Invalidation::broad("user")]).is_empty());
    // Data kept, but the next mount loads again.
    assert_eq!(s.snapshot(&k).status, Status::Success);
    assert!(s.needs_load(&k));
}

#[test]
fn fetch_lifecycle_and_listeners() {
    let mut s = Store::default();
    let seen: Arc<Mutex<Vec<(Status, bool)>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let listener: Listener = Arc::new(move |st: &InstanceState| sink.lock().unwrap().push((st.status, st.is_fetching)));
    let params = p(json!({"user_id": 5}));
    let k = key("user", &params);
    s.subscribe(&k, &params, Some(listener));
    assert_eq!(s.snapshot(&k).status, Status::Idle);
    assert!(s.needs_load(&k));
    let (g, n) = s.begin_fetch(&k, &params);
    n.deliver();
    assert!(!s.needs_load(&k), "a fetch is in flight");
    let f = s.finish_fetch(&k, g, Ok(p(json!({"user_profile": {"name": "a"}}))));
    f.notify.deliver();
    // A failed background refetch keeps the data and records the error.
    let (g, n) = s.begin_fetch(&k, &params);
    n.deliver();
    assert_eq!(s.snapshot(&k).data, Some(p(json!({"user_profile": {"name": "a"}}))));
    let f = s.finish_fetch(&k, g, Err(MizanError::network("down")));
    f.notify.deliver();
    let st = s.snapshot(&k);
    assert_eq!(st.status, Status::Error);
    assert_eq!(st.error.map(|e| e.message), Some("down".to_owned()));
    assert!(st.data.is_some());
    assert!(s.needs_load(&k), "an errored instance loads again");
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (Status::Loading, true),
            (Status::Success, false),
            (Status::Success, true),
            (Status::Error, false)
        ]
    );
    // Without data, a refetch after an error is `loading` again.
    let empty = p(json!({"user_id": 6}));
    let k6 = key("user", &empty);
    let (g, _) = s.begin_fetch(&k6, &empty);
    let _ = s.finish_fetch(&k6, g, Err(MizanError::network("down")));
    let _ = s.begin_fetch(&k6, &empty);
    assert_eq!(s.snapshot(&k6).status, Status::Loading);
}

#[test]
fn only_the_newest_fetch_is_kept() {
    let mut s = Store::default();
    let params = Params::new();
    let k = key("items", &params);
    let (old, _) = s.begin_fetch(&k, &params);
    let (new, _) = s.begin_fetch(&k, &params);
    let mut rx = s.settled(&k).expect("in flight");
    let f = s.finish_fetch(&k, old, Ok(p(json!({"v": "old"}))));
    assert!(!f.applied && f.waiters.is_empty());
    assert_eq!(s.snapshot(&k).status, Status::Loading);
    assert!(s.snapshot(&k).is_fetching);
    let f = s.finish_fetch(&k, new, Ok(p(json!({"v": "new"}))));
    assert!(f.applied);
    for w in f.waiters {
        w.send(()).unwrap();
    }
    assert_eq!(rx.try_recv(), Ok(Some(())));
    assert_eq!(s.snapshot(&k).data, Some(p(json!({"v": "new"}))));
    assert!(s.settled(&k).is_none());
}

#[test]
fn merges_patch_matching_instances_with_data() {
    let mut s = Store::default();
    s.register_list_slot("items", "items_list", "id");
    let all = mounted_with_data(
        &mut s,
        "items",
        json!({}),
        json!({"items_list": [{"id": 1, "name": "a"}]}),
    );
    let entry = MergeEntry {
        context: "items".into(),
        slot: "items_list".into(),
        value: json!({"id": 1, "name": "b"}),
        params: None,
    };
    let (_, refetch) = s.apply_merges(&[entry]);
    assert!(refetch.is_empty());
    assert_eq!(
        s.snapshot(&all).data,
        Some(p(json!({"items_list": [{"id": 1, "name": "b"}]})))
    );
    // Scoped merges patch only matching instances.
    let u5 = mounted_with_data(
        &mut s,
        "user",
        json!({"user_id": 5}),
        json!({"user_profile": {"name": "x"}}),
    );
    let u6 = mounted_with_data(
        &mut s,
        "user",
        json!({"user_id": 6}),
        json!({"user_profile": {"name": "y"}}),
    );
    let entry = MergeEntry {
        context: "user".into(),
        slot: "user_profile".into(),
        value: json!({"name": "z"}),
        params: Some(p(json!({"user_id": 5}))),
    };
    let _ = s.apply_merges(&[entry]);
    assert_eq!(s.snapshot(&u5).data, Some(p(json!({"user_profile": {"name": "z"}}))));
    assert_eq!(s.snapshot(&u6).data, Some(p(json!({"user_profile": {"name": "y"}}))));
}

#[test]
fn a_merge_into_an_instance_being_fetched_refetches_it() {
    let mut s = Store::default();
    let k = mounted_with_data(&mut s, "items", json!({}), json!({"items_list": []}));
    let (_g, _) = s.begin_fetch(&k, &Params::new());
    let entry = MergeEntry {
        context: "items".into(),
        slot: "items_list".into(),
        value: json!({"id": 1}),
        params: None,
    };
    let (_, refetch) = s.apply_merges(&[entry]);
    assert_eq!(refetch, BTreeSet::from([k.clone()]));
    // Patched meanwhile, so the UI shows the value at once.
    assert_eq!(s.snapshot(&k).data, Some(p(json!({"items_list": [{"id": 1}]}))));
}

#[test]
fn gc_drops_only_unmounted_idle_instances() {
    let mut s = Store::default();
    let params = Params::new();
    let k = key("items", &params);
    let id = s.subscribe(&k, &params, None);
    assert_eq!(s.gc(), 0);
    s.unsubscribe(&k, id);
    assert_eq!(s.gc(), 1);
    assert_eq!(s.snapshot(&k), InstanceState::default());
}

#[test]
fn typed_decoding() {
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Items {
        items_list: Vec<u32>,
    }
    let st = InstanceState {
        data: Some(p(json!({"items_list": [1, 2]}))),
        status: Status::Success,
        error: None,
        is_fetching: false,
    };
    assert_eq!(st.decode::<Items>().data, Some(Items { items_list: vec![1, 2] }));
    let bad = InstanceState {
        data: Some(p(json!({"items_list": "x"}))),
        ..st
    };
    let t = bad.decode::<Items>();
    assert_eq!(t.status, Status::Error);
    assert_eq!(t.error.map(|e| e.code), Some(crate::ErrorCode::BadResponse));
    assert_eq!(InstanceState::default().decode::<Items>(), TypedState::default());
}

#[test]
fn plan_response_is_the_stores_own_matching() {
    let mounted = vec![
        ("user".to_owned(), p(json!({"user_id": 5}))),
        ("user".to_owned(), p(json!({"user_id": 6}))),
        ("items".to_owned(), Params::new()),
        ("stats".to_owned(), Params::new()),
    ];
    let invalidate = vec![
        Invalidation::scoped("user", p(json!({"user_id": "5"}))),
        Invalidation::broad("stats"),
    ];
    let merge = vec![MergeEntry {
        context: "items".into(),
        slot: "items_list".into(),
        value: json!({"id": 1}),
        params: None,
    }];
    let plan = plan_response(&mounted, &invalidate, &merge);
    assert_eq!(
        plan.refetch,
        vec![0, 3],
        "user 5 (params compared as strings) and stats"
    );
    assert_eq!(plan.patch, vec![2]);
}
