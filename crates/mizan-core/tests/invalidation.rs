//! Invalidation and merge resolution (SPEC §4), table-driven: every tier,
//! function targets, de-duplication, declaration order, and merge direct /
//! upsert / replace / structural / ambiguous / none.

use mizan_core::invalidation::{InvalidationIndex, MergeMode, MergeSlot, merge_slot, resolve};
use mizan_core::ir::{Ir, parse};
use serde_json::{Value, json};

const IR: &str = r#"
mizan-ir version=1 {
    context catalog {
        member catalog_items
        member catalog_title
        param shop_id integer required=#true {
            shared-by catalog_items catalog_title
        }
    }
    context feed {
        member feed_a
        member feed_b
    }
    context notifications {
        member unread
    }
    context shelf {
        member shelf_items
        param aisle integer required=#true {
            shared-by shelf_items
        }
        param shop_id integer required=#true {
            shared-by shelf_items
        }
    }
    context user {
        member user_orders
        member user_profile
        param page integer {
            shared-by user_orders
        }
        param user_id integer required=#true {
            shared-by user_orders user_profile
        }
    }
    function catalog_items { context catalog; param shop_id integer; returns list<Item>; }
    function catalog_title { context catalog; param shop_id integer; returns string; }
    function feed_a { context feed; returns Post; }
    function feed_b { context feed; returns PostCopy; }
    function unread { context notifications; returns integer; }
    function user_orders { context user; param user_id integer; param page integer default=1 required=#false; returns list<Item>; }
    function user_profile { context user; param user_id integer; returns optional<Profile>; }

    function rename { param user_id integer; param name string; returns Profile; affects context=user; }
    function set_bio { param bio string; returns Profile; affects context=user; }
    function place_order { param user_id integer; param sku string; returns Item; affects function=user_orders; affects context=notifications; }
    function restock { param sku string; returns Item; affects function=user_orders; }
    function twice { param user_id integer; returns Profile; affects context=user; affects context=user; affects function=user_profile; affects function=user_profile; }
    function ordered { param user_id integer; returns Profile; affects context=notifications; affects context=user; }
    function edit_profile { param user_id integer; param name string; returns Profile; merge user; affects context=user; affects context=notifications; }
    function edit_profile_alias { param user_id integer; returns ProfileAlias; merge user; }
    function edit_profile_twin { param user_id integer; returns ProfileTwin; merge user; }
    function set_item { param shop_id integer; param id integer; returns Item; merge catalog; }
    function set_items { param shop_id integer; returns list<Item>; merge catalog; }
    function post { returns Post; merge feed; }
    function ack { param user_id integer; returns Ack; merge user; affects context=notifications; }
    function page_two { param user_id integer; param page integer; returns Ack; affects context=user; }
    function read_only { param user_id integer; returns Ack; }
    function update_me { returns Profile; merge user; }
    function update_me_maybe { param user_id integer default=0 required=#false; returns Profile; merge user; }
    function update_me_too { returns Profile; merge user; affects context=user; affects context=notifications; }
    function set_shelf_item { param shop_id integer; returns Item; merge shelf; }
    function maybe_item { param shop_id integer; returns optional<Item>; merge catalog; }
    function maybe_profile { param user_id integer; returns optional<Profile>; merge user; }
    function shelf_items { context shelf; param shop_id integer; param aisle integer; returns list<Item>; }

    struct Ack { field ok boolean; }
    struct Item { field id integer; field name string; }
    struct Post { field id integer; field body string; }
    struct PostCopy { field body string; field id integer; }
    struct Profile { field user_id integer; field name string; }
    struct ProfileTwin { field name string; field user_id integer; }
    alias ProfileAlias Profile
}
"#;

fn ir() -> Ir {
    parse(IR).expect("test IR parses")
}

fn run(function: &str, args: Value, result: Value) -> Value {
    let args = args.as_object().expect("args object").clone();
    let resolution = resolve(&ir(), function, &args, &result).expect("known function");
    // The index (what adapters use) agrees with the one-off resolver.
    let indexed = InvalidationIndex::new(&ir()).resolve(function, &args, &result).unwrap();
    assert_eq!(indexed, resolution, "{function}");
    serde_json::to_value(resolution).unwrap()
}

#[test]
fn resolution_table() {
    let profile = json!({"user_id": 5, "name": "Ann"});
    let item = json!({"id": 3, "name": "Pen"});
    let cases: Vec<(&str, &str, Value, Value, Value)> = vec![
        (
            "tier 1: scoped by a context param",
            "rename",
            json!({"user_id": 5, "name": "Ann"}),
            profile.clone(),
            json!({"invalidate": [{"context": "user", "params": {"user_id": 5}}], "merge": []}),
        ),
        (
            "tier 3: no matching arg is broad",
            "set_bio",
            json!({"bio": "x"}),
            profile.clone(),
            json!({"invalidate": ["user"], "merge": []}),
        ),
        (
            "scoping keeps only the context's params, all of them",
            "page_two",
            json!({"user_id": 5, "page": 2}),
            json!({"ok": true}),
            json!({"invalidate": [{"context": "user", "params": {"page": 2, "user_id": 5}}], "merge": []}),
        ),
        (
            "function target: scoped, with the function hint; then a broad context",
            "place_order",
            json!({"user_id": 5, "sku": "A"}),
            item.clone(),
            json!({"invalidate": [{"context": "user", "function": "user_orders", "params": {"user_id": 5}}, "notifications"], "merge": []}),
        ),
        (
            "function target without matching args keeps the hint, no params",
            "restock",
            json!({"sku": "A"}),
            item.clone(),
            json!({"invalidate": [{"context": "user", "function": "user_orders"}], "merge": []}),
        ),
        (
            "duplicates collapse, function and context entries stay distinct",
            "twice",
            json!({"user_id": 5}),
            profile.clone(),
            json!({"invalidate": [{"context": "user", "params": {"user_id": 5}}, {"context": "user", "function": "user_profile", "params": {"user_id": 5}}], "merge": []}),
        ),
        (
            "declaration order is kept",
            "ordered",
            json!({"user_id": 1}),
            profile.clone(),
            json!({"invalidate": ["notifications", {"context": "user", "params": {"user_id": 1}}], "merge": []}),
        ),
        (
            "merge direct (through optional<Profile>); merged context not also invalidated",
            "edit_profile",
            json!({"user_id": 5, "name": "Ann"}),
            profile.clone(),
            json!({"invalidate": ["notifications"], "merge": [{"context": "user", "slot": "user_profile", "value": profile, "params": {"user_id": 5}}]}),
        ),
        (
            "merge direct through an alias",
            "edit_profile_alias",
            json!({"user_id": 5}),
            profile.clone(),
            json!({"invalidate": [], "merge": [{"context": "user", "slot": "user_profile", "value": profile, "params": {"user_id": 5}}]}),
        ),
        (
            "merge direct by structure (another named type, same body)",
            "edit_profile_twin",
            json!({"user_id": 5}),
            profile.clone(),
            json!({"invalidate": [], "merge": [{"context": "user", "slot": "user_profile", "value": profile, "params": {"user_id": 5}}]}),
        ),
        (
            "merge upsert: list<Item> slot, Item result",
            "set_item",
            json!({"shop_id": 1, "id": 3}),
            item.clone(),
            json!({"invalidate": [], "merge": [{"context": "catalog", "slot": "catalog_items", "value": item, "params": {"shop_id": 1}}]}),
        ),
        (
            "merge replace: both lists",
            "set_items",
            json!({"shop_id": 1}),
            json!([item]),
            json!({"invalidate": [], "merge": [{"context": "catalog", "slot": "catalog_items", "value": [item], "params": {"shop_id": 1}}]}),
        ),
        (
            "merge ambiguous: no merge entry, the context is refetched instead",
            "post",
            json!({}),
            json!({"id": 1, "body": "b"}),
            json!({"invalidate": ["feed"], "merge": []}),
        ),
        (
            "merge none: no merge entry, the context is refetched (scoped) after the affects",
            "ack",
            json!({"user_id": 7}),
            json!({"ok": true}),
            json!({"invalidate": ["notifications", {"context": "user", "params": {"user_id": 7}}], "merge": []}),
        ),
        (
            "a read invalidates nothing",
            "read_only",
            json!({"user_id": 7}),
            json!({"ok": true}),
            json!({"invalidate": [], "merge": []}),
        ),
        (
            "value types are kept in the body (strings stay strings)",
            "rename",
            json!({"user_id": "5", "name": "Ann"}),
            profile.clone(),
            json!({"invalidate": [{"context": "user", "params": {"user_id": "5"}}], "merge": []}),
        ),
        (
            "a merge whose args lack the context's required params refetches instead (never lands on another instance)",
            "update_me",
            json!({}),
            profile.clone(),
            json!({"invalidate": ["user"], "merge": []}),
        ),
        (
            "an uncovered merge and an affects of the same context are one entry",
            "update_me_too",
            json!({}),
            profile.clone(),
            json!({"invalidate": ["user", "notifications"], "merge": []}),
        ),
        (
            "an optional required param that is given merges, scoped",
            "update_me_maybe",
            json!({"user_id": 5}),
            profile.clone(),
            json!({"invalidate": [], "merge": [{"context": "user", "slot": "user_profile", "value": profile, "params": {"user_id": 5}}]}),
        ),
        (
            "an optional required param that is left out refetches instead",
            "update_me_maybe",
            json!({}),
            profile.clone(),
            json!({"invalidate": ["user"], "merge": []}),
        ),
        (
            "an uncovered merge refetches scoped as far as the args go",
            "set_shelf_item",
            json!({"shop_id": 1}),
            item.clone(),
            json!({"invalidate": [{"context": "shelf", "params": {"shop_id": 1}}], "merge": []}),
        ),
        (
            "an optional result never upserts into a list slot (null must not be appended)",
            "maybe_item",
            json!({"shop_id": 1}),
            Value::Null,
            json!({"invalidate": [{"context": "catalog", "params": {"shop_id": 1}}], "merge": []}),
        ),
        (
            "an optional result merges into an optional slot of the same type",
            "maybe_profile",
            json!({"user_id": 5}),
            Value::Null,
            json!({"invalidate": [], "merge": [{"context": "user", "slot": "user_profile", "value": null, "params": {"user_id": 5}}]}),
        ),
    ];
    for (what, function, args, result, expected) in cases {
        assert_eq!(run(function, args, result), expected, "{what}");
    }
}

#[test]
fn merge_slots_and_modes() {
    let ir = ir();
    let output = |f: &str| ir.function(f).unwrap().output.clone();
    assert_eq!(
        merge_slot(&ir, &output("set_item"), "catalog"),
        MergeSlot::Unique {
            slot: "catalog_items".into(),
            mode: MergeMode::Upsert
        }
    );
    assert_eq!(
        merge_slot(&ir, &output("set_items"), "catalog"),
        MergeSlot::Unique {
            slot: "catalog_items".into(),
            mode: MergeMode::Replace
        }
    );
    assert_eq!(
        merge_slot(&ir, &output("edit_profile"), "user"),
        MergeSlot::Unique {
            slot: "user_profile".into(),
            mode: MergeMode::Direct
        }
    );
    assert_eq!(
        merge_slot(&ir, &output("post"), "feed"),
        MergeSlot::Ambiguous(vec!["feed_a".into(), "feed_b".into()])
    );
    assert_eq!(merge_slot(&ir, &output("ack"), "user"), MergeSlot::Unresolved);
    // A top-level optional is looked through on the slot side only.
    assert_eq!(merge_slot(&ir, &output("maybe_item"), "catalog"), MergeSlot::Unresolved);
    assert_eq!(
        merge_slot(&ir, &output("maybe_profile"), "user"),
        MergeSlot::Unique {
            slot: "user_profile".into(),
            mode: MergeMode::Direct
        }
    );
    // A slot of another element type is no match.
    assert_eq!(
        merge_slot(&ir, &output("edit_profile"), "catalog"),
        MergeSlot::Unresolved
    );
}

#[test]
fn unknown_functions_are_errors_and_the_afi_cases_hold() {
    let ir = ir();
    let empty = serde_json::Map::new();
    assert!(resolve(&ir, "nope", &empty, &Value::Null).is_err());
    assert!(
        InvalidationIndex::new(&ir)
            .resolve("nope", &empty, &Value::Null)
            .is_err()
    );
    let afi =
        parse(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/afi/afi.kdl")).unwrap())
            .unwrap();
    let index = InvalidationIndex::new(&afi);
    let args = json!({"user_id": 5, "name": "x"});
    let r = index
        .resolve("rename", args.as_object().unwrap(), &Value::Null)
        .unwrap();
    assert_eq!(
        serde_json::to_value(&r.invalidate).unwrap(),
        json!([{"context": "user", "params": {"user_id": 5}}])
    );
    assert_eq!(mizan_core::header::format(&r.invalidate), "user;user_id=5");
    let r = index
        .resolve(
            "stripe_webhook",
            json!({"event": "x"}).as_object().unwrap(),
            &Value::Null,
        )
        .unwrap();
    assert_eq!(serde_json::to_value(&r.invalidate).unwrap(), json!(["user"]));
}

#[test]
fn the_checker_warns_about_merges_that_cannot_be_scoped() {
    let ir = ir();
    let found: Vec<(String, Vec<String>)> = mizan_core::check::check(&ir)
        .into_iter()
        .filter(|d| d.code == "unscoped-merge")
        .inspect(|d| assert!(!d.is_error(), "{d:?}"))
        .map(|d| (d.message.clone(), d.names.clone()))
        .collect();
    let names: Vec<&Vec<String>> = found.iter().map(|(_, n)| n).collect();
    assert_eq!(
        names,
        vec![
            &vec!["set_shelf_item".to_owned(), "shelf".to_owned(), "aisle".to_owned()],
            &vec!["update_me".to_owned(), "user".to_owned(), "user_id".to_owned()],
            &vec!["update_me_too".to_owned(), "user".to_owned(), "user_id".to_owned()],
        ],
        "{found:#?}"
    );
    assert!(found[1].0.contains("`user_id`"), "{}", found[1].0);
}
