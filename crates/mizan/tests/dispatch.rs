//! The registry and dispatcher with a small app: IR from the macros (serde
//! renames, docs, every option), typed decoding with per-field errors, auth
//! before the body, private functions, panics, invalidation in responses.

use mizan::mizan_core::wire::ErrorCode;
use mizan::{Extensions, MizanError, Origin, Principal, Registry, RequestHandle};
use mizan_testkit::logs;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicI64, Ordering};

/// A user's profile.
#[derive(mizan::Mizan, Serialize, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The id.
    #[mizan(identity)]
    pub user_id: i64,
    pub display_name: String,
    #[serde(rename = "type")]
    pub r#type: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
}

#[derive(mizan::Mizan, Serialize, Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Admin,
    OnHold,
}

#[derive(mizan::Mizan, Serialize, Deserialize)]
pub struct Counter {
    pub value: i64,
}

/// Everything about one user.
#[mizan::context("user")]
pub struct UserCtx;

#[mizan::context("stats")]
pub struct StatsCtx;

static COUNTER: AtomicI64 = AtomicI64::new(0);

pub struct AppName(pub &'static str);

/// A user's profile.
#[mizan::client(context = UserCtx, rev = 2, route = "/profile/:user_id/", methods = ["GET"])]
pub async fn user_profile(req: &RequestHandle<'_>, user_id: i64) -> Profile {
    let app = req.get::<AppName>().map(|a| a.0).unwrap_or("?");
    Profile {
        user_id,
        display_name: format!("{app}:{user_id}"),
        r#type: Kind::OnHold,
        bio: None,
    }
}

#[mizan::client(context = UserCtx, cache = 30)]
pub async fn user_orders(_req: &RequestHandle<'_>, user_id: i64, #[mizan(default = 1)] page: i64) -> Vec<i64> {
    vec![user_id, page]
}

#[mizan::client(context = StatsCtx, cache = false)]
pub async fn counter_value(_req: &RequestHandle<'_>) -> Counter {
    Counter {
        value: COUNTER.load(Ordering::SeqCst),
    }
}

/// Renames a user.
#[mizan::client(affects = UserCtx, merge = UserCtx)]
pub async fn rename(_req: &RequestHandle<'_>, user_id: i64, name: String) -> Result<Profile, MizanError> {
    if name.is_empty() {
        return Err(MizanError::bad_request("empty name"));
    }
    Ok(Profile {
        user_id,
        display_name: name,
        r#type: Kind::Admin,
        bio: None,
    })
}

#[mizan::client(affects = [user_orders, "stats"], auth = "required")]
pub async fn bump(_req: &RequestHandle<'_>, user_id: i64) -> Counter {
    let _ = user_id;
    Counter {
        value: COUNTER.fetch_add(1, Ordering::SeqCst) + 1,
    }
}

#[mizan::client(auth = "staff", affects = StatsCtx)]
pub async fn staff_bump(_req: &RequestHandle<'_>) -> Counter {
    Counter {
        value: COUNTER.fetch_add(100, Ordering::SeqCst) + 100,
    }
}

fn is_seven(req: &RequestHandle<'_>) -> bool {
    req.principal().is_some_and(|p| p.id == "7")
}

#[mizan::client(auth = is_seven)]
pub async fn only_seven(_req: &RequestHandle<'_>) -> bool {
    true
}

#[mizan::client(private, affects = UserCtx, websocket)]
pub async fn webhook(_req: &RequestHandle<'_>, event: String) -> String {
    event
}

#[mizan::client]
pub async fn explode(_req: &RequestHandle<'_>, r#type: Option<String>) -> String {
    panic!("boom {}", r#type.unwrap_or_default())
}

#[mizan::context("vault")]
pub struct VaultCtx;

#[mizan::client(context = VaultCtx)]
pub async fn vault_summary(_req: &RequestHandle<'_>) -> i64 {
    1
}

#[mizan::client(context = VaultCtx, private, affects = VaultCtx)]
pub async fn vault_master_key(_req: &RequestHandle<'_>) -> String {
    "k".into()
}

#[mizan::context("big")]
pub struct BigCtx;

#[mizan::client(context = BigCtx)]
pub async fn big_echo(_req: &RequestHandle<'_>, n: u64) -> u64 {
    n
}

/// Fails with internals in the message and details, as handlers do.
#[mizan::client]
pub async fn leaky(_req: &RequestHandle<'_>) -> Result<i64, MizanError> {
    Err(MizanError::new(
        ErrorCode::InternalError,
        "connect postgres://admin:hunter2@db/prod refused",
    )
    .with_details(json!({"sql": "SELECT secret FROM vault"})))
}

fn registry() -> Registry {
    Registry::from_linked().expect("the test app forms a valid IR")
}

async fn call(principal: Option<&Principal>, origin: Origin, f: &str, args: Value) -> Result<Value, MizanError> {
    let mut ext = Extensions::new();
    ext.insert(AppName("test"));
    let req = RequestHandle::new(origin, principal, &ext);
    let args = args.as_object().cloned().unwrap_or_default();
    registry()
        .call(&req, f, &args)
        .await
        .map(|r| serde_json::to_value(r).unwrap())
}

#[test]
fn the_ir_carries_wire_names_docs_and_every_option() {
    let ir = registry().ir_text();
    for needle in [
        "field userId integer",
        "field displayName string",
        "field type ProfileKind",
        "field bio optional<string> optional=#true",
        "identity userId",
        "variant on-hold",
        "doc \"A user's profile.\"",
        "doc \"Everything about one user.\"",
        "route \"/profile/:user_id/\"",
        "methods GET",
        "rev 2",
        "cache 30",
        "cache none",
        "param page integer default=1 required=#false",
        "param type optional<string> required=#false",
        "affects function=user_orders",
        "affects context=stats",
        "auth predicate=is_seven",
        "transport websocket",
        "merge user",
    ] {
        let needle = needle.replace("ProfileKind", "Kind");
        assert!(ir.contains(&needle), "missing `{needle}` in\n{ir}");
    }
    // Canonical: the text is a fixed point of parse + emit.
    assert_eq!(
        mizan::mizan_core::ir::emit(&mizan::mizan_core::ir::parse(&ir).unwrap()),
        ir
    );
}

#[tokio::test]
async fn calls_return_results_and_invalidation() {
    let r = call(None, Origin::Http, "rename", json!({"user_id": 5, "name": "Ann"}))
        .await
        .unwrap();
    // The result merges into `user` (direct slot user_profile), so `user` is
    // not also invalidated.
    assert_eq!(
        r,
        json!({"result": {"userId": 5, "displayName": "Ann", "type": "admin"}, "invalidate": [],
               "merge": [{"context": "user", "slot": "user_profile", "params": {"user_id": 5},
                          "value": {"userId": 5, "displayName": "Ann", "type": "admin"}}]})
    );
    let err = call(None, Origin::Http, "rename", json!({"user_id": 5, "name": ""}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
}

#[tokio::test]
async fn arguments_are_validated_per_field() {
    let err = call(None, Origin::Http, "rename", json!({"user_id": "five", "extra": 1}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    let fields = &err.details.unwrap()["fields"];
    assert!(
        fields["extra"][0].as_str().unwrap().contains("unknown argument"),
        "{fields}"
    );
    let err = call(None, Origin::Http, "rename", json!({"user_id": "five"}))
        .await
        .unwrap_err();
    let fields = &err.details.unwrap()["fields"];
    assert!(
        fields["user_id"][0].as_str().unwrap().contains("invalid type"),
        "{fields}"
    );
    assert_eq!(fields["name"][0], "this argument is required");
    assert_eq!(
        call(None, Origin::Http, "nope", json!({})).await.unwrap_err().status(),
        404
    );
}

#[tokio::test]
async fn auth_is_checked_before_the_body_runs() {
    let before = COUNTER.load(Ordering::SeqCst);
    let err = call(None, Origin::Http, "bump", json!({"user_id": 1}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 401);
    let user = Principal::user("1");
    let err = call(Some(&user), Origin::Http, "staff_bump", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 403);
    assert_eq!(COUNTER.load(Ordering::SeqCst), before, "a rejected call ran its body");
    let r = call(Some(&user), Origin::Ipc, "bump", json!({"user_id": 1}))
        .await
        .unwrap();
    assert_eq!(
        r["invalidate"],
        json!([{"context": "user", "function": "user_orders", "params": {"user_id": 1}}, "stats"])
    );
    let seven = Principal::user("7");
    assert_eq!(
        call(Some(&user), Origin::Http, "only_seven", json!({}))
            .await
            .unwrap_err()
            .status(),
        403
    );
    assert_eq!(
        call(Some(&seven), Origin::Http, "only_seven", json!({})).await.unwrap()["result"],
        json!(true)
    );
}

#[tokio::test]
async fn private_functions_are_internal_only() {
    assert_eq!(
        call(None, Origin::Http, "webhook", json!({"event": "x"}))
            .await
            .unwrap_err()
            .status(),
        403
    );
    assert_eq!(
        call(None, Origin::Ipc, "webhook", json!({"event": "x"}))
            .await
            .unwrap_err()
            .status(),
        403
    );
    let r = call(None, Origin::Internal, "webhook", json!({"event": "x"}))
        .await
        .unwrap();
    assert_eq!(r["invalidate"], json!(["user"]));
}

#[tokio::test]
async fn a_panicking_handler_is_an_internal_error() {
    let err = call(None, Origin::Http, "explode", json!({"type": "x"}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 500);
    assert_eq!(err.message, "internal error");
    assert!(!format!("{:?}", err.body()).contains("boom"));
    assert!(err.internal.unwrap().contains("boom x"));
    // And the registry keeps working.
    assert!(
        call(None, Origin::Http, "rename", json!({"user_id": 1, "name": "x"}))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn contexts_fetch_every_member_with_its_own_params() {
    let registry = registry();
    let ext = Extensions::new();
    let req = RequestHandle::new(Origin::Http, None, &ext);
    let params = registry.coerce_query("user", [("user_id", "5")]).unwrap();
    let bundle = registry.fetch(&req, "user", &params).await.unwrap();
    assert_eq!(
        serde_json::to_string(&bundle).unwrap(),
        r#"{"user_orders":[5,1],"user_profile":{"displayName":"?:5","type":"on-hold","userId":5}}"#
    );
    let err = registry.coerce_query("user", [("user_id", "five")]).unwrap_err();
    assert_eq!(err.status(), 422);
    assert!(
        err.details.unwrap()["fields"]["user_id"][0]
            .as_str()
            .unwrap()
            .contains("integer")
    );
    let err = registry.coerce_query("user", [("nope", "1")]).unwrap_err();
    assert_eq!(err.status(), 422);
    let err = registry.fetch(&req, "user", &serde_json::Map::new()).await.unwrap_err();
    assert_eq!(err.status(), 422, "user_id is required");
    assert_eq!(
        registry
            .fetch(&req, "nope", &serde_json::Map::new())
            .await
            .unwrap_err()
            .status(),
        404
    );
}

fn request_id(body: &Value) -> String {
    let id = body["details"]["request_id"]
        .as_str()
        .expect("details.request_id")
        .to_owned();
    assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    id
}

#[tokio::test]
async fn internal_errors_never_reach_the_client_but_the_log_has_them_by_request_id() {
    let logs = logs();
    let err = call(None, Origin::Http, "leaky", json!({})).await.unwrap_err();
    assert_eq!(err.status(), 500);
    // What every transport sends: the body (IPC) and the envelope (HTTP).
    let body = serde_json::to_value(err.body()).unwrap();
    let envelope = serde_json::to_string(&err.envelope()).unwrap();
    assert_eq!(body["code"], "INTERNAL_ERROR");
    assert_eq!(body["message"], "internal error");
    let id = request_id(&body);
    assert_eq!(body["details"], json!({ "request_id": id }), "no other details");
    for secret in ["hunter2", "postgres", "SELECT"] {
        assert!(!envelope.contains(secret), "{secret} leaked: {envelope}");
    }
    let log = logs.text();
    let line = log
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("no log line with {id}:\n{log}"));
    assert!(line.contains("hunter2") && line.contains("leaky"), "{line}");

    // A panic too; and every failure gets its own id.
    let err = call(None, Origin::Ipc, "explode", json!({"type": "x"}))
        .await
        .unwrap_err();
    let body = serde_json::to_value(err.body()).unwrap();
    assert_eq!(body["message"], "internal error");
    let panic_id = request_id(&body);
    assert_ne!(panic_id, id);
    assert!(
        logs.text()
            .lines()
            .any(|l| l.contains(&panic_id) && l.contains("boom x"))
    );

    // Even an INTERNAL_ERROR built outside the dispatcher never shows its message.
    let made = MizanError::new(ErrorCode::InternalError, "/etc/secret.toml: permission denied")
        .with_details(json!({"path": "/etc/secret.toml"}));
    let text = serde_json::to_string(&made.envelope()).unwrap();
    assert!(!text.contains("secret"), "{text}");
}

#[tokio::test]
async fn refusals_never_name_private_members() {
    let registry = registry();
    let ext = Extensions::new();
    for origin in [Origin::Http, Origin::Ipc] {
        let req = RequestHandle::new(origin, None, &ext);
        let err = registry
            .fetch(&req, "vault", &serde_json::Map::new())
            .await
            .unwrap_err();
        assert_eq!(err.status(), 403);
        assert!(!err.message.contains("vault_master_key"), "{}", err.message);
        assert!(
            err.message.contains("`vault`"),
            "names the context asked for: {}",
            err.message
        );
        let err = registry
            .call(&req, "webhook", &serde_json::Map::new())
            .await
            .unwrap_err();
        assert_eq!(err.status(), 403);
        assert!(!err.message.contains("private"), "{}", err.message);
    }
    let req = RequestHandle::new(Origin::Internal, None, &ext);
    assert!(registry.fetch(&req, "vault", &serde_json::Map::new()).await.is_ok());
}

#[tokio::test]
async fn query_integers_cover_u64() {
    let registry = registry();
    let max = u64::MAX.to_string();
    let params = registry.coerce_query("big", [("n", max.as_str())]).unwrap();
    assert_eq!(params["n"], json!(u64::MAX));
    let ext = Extensions::new();
    let req = RequestHandle::new(Origin::Http, None, &ext);
    let bundle = registry.fetch(&req, "big", &params).await.unwrap();
    assert_eq!(serde_json::to_value(&bundle).unwrap(), json!({"big_echo": u64::MAX}));
    for bad in ["18446744073709551616", "-9223372036854775809", "1.5", "0x10"] {
        let err = registry.coerce_query("big", [("n", bad)]).unwrap_err();
        assert_eq!(err.status(), 422, "{bad}");
    }
    assert_eq!(
        registry.coerce_query("user", [("user_id", "-5")]).unwrap()["user_id"],
        json!(-5)
    );
}
