//! The edge manifest's mutation entries come from the core's invalidation
//! plans: what a call really refetches (`affects`) and what it patches
//! (`merge`), never a second reading of the declarations.

use mizan_core::ir::parse;
use mizan_core::manifest::build;
use serde_json::json;

const IR: &str = r#"
mizan-ir version=1 {
    context notifications {
        member unread
    }
    context user {
        member user_profile
        param user_id integer required=#true {
            shared-by user_profile
        }
    }
    function unread { context notifications; returns integer; }
    function user_profile { context user; param user_id integer; returns Profile; }
    function edit_profile { param user_id integer; returns Profile; merge user; affects context=user; affects context=notifications; }
    function ack { param user_id integer; returns Ack; merge user; }
    function update_me { returns Profile; merge user; }
    function touch { param user_id integer; returns Ack; affects function=user_profile; affects context=user; }
    struct Ack { field ok boolean; }
    struct Profile { field user_id integer; field name string; }
}
"#;

#[test]
fn mutation_entries_follow_the_plans() {
    let manifest = build(&parse(IR).unwrap(), "/api/mizan");
    let m = &manifest["mutations"];
    // Merged: not also listed as affected.
    assert_eq!(
        m["edit_profile"],
        json!({"affects": ["notifications"], "merge": ["user"], "auto_scoped_params": ["user_id"]})
    );
    // A merge that cannot resolve is a refetch: affected, not merged.
    assert_eq!(
        m["ack"],
        json!({"affects": ["user"], "auto_scoped_params": ["user_id"]})
    );
    // A merge without the context's required params is a refetch too.
    assert_eq!(m["update_me"], json!({"affects": ["user"], "auto_scoped_params": []}));
    // Function targets resolve to their context, once.
    assert_eq!(
        m["touch"],
        json!({"affects": ["user"], "auto_scoped_params": ["user_id"]})
    );
}
