//! The generated Rust client and the `mizan-client` kernel against a live
//! `afi-server`: typed results, typed errors, scoped invalidation of
//! mounted instances, merges, uploads (a file read from disk whose SHA-256
//! the test computed; over the body limit: 413) and pushes (another
//! client's rename refetches a mounted instance of this one, which made no
//! call). Prints `ok`; panics on any mismatch.
//!
//! Usage: `afi_e2e BASE_URL UPLOAD_FILE UPLOAD_SHA256`.

use std::sync::{Arc, Mutex};

use mizan_client::serde_json::{Value, json};
use mizan_client::{ConnectionStatus, ErrorCode, InstanceState, MizanClient, Params, Upload};
use mizan_generated_check::rust_api as api;

fn params(v: Value) -> Params {
    match v {
        Value::Object(m) => m,
        _ => Params::new(),
    }
}

/// Records every state an instance goes through.
fn recorder() -> (Arc<Mutex<Vec<InstanceState>>>, mizan_client::Listener) {
    let seen: Arc<Mutex<Vec<InstanceState>>> = Arc::default();
    let sink = Arc::clone(&seen);
    (
        seen,
        Arc::new(move |s: &InstanceState| sink.lock().unwrap().push(s.clone())),
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: afi_e2e BASE_URL UPLOAD_FILE UPLOAD_SHA256";
    let (base, upload_file, upload_sha) = (
        args.next().expect(usage),
        args.next().expect(usage),
        args.next().expect(usage),
    );
    let client = api::Client::new(MizanClient::http(&base).expect("HTTP client"));

    // Typed results.
    let sum = client.add(&api::AddArgs { a: 2, b: 3 }).await.expect("add");
    assert_eq!(sum, api::AddResult { total: 5 });
    let reply = client
        .echo(&api::EchoArgs {
            text: "héllo; x=1".into(),
        })
        .await
        .expect("echo");
    assert_eq!(reply.message, "héllo; x=1");
    assert_eq!(client.fetch_global_context().await.expect("global").current_user, None);

    // Typed errors.
    let err = client.ping_admin().await.expect_err("anonymous callers are not staff");
    assert_eq!(
        (err.code.clone(), err.status),
        (ErrorCode::Unauthorized, Some(401)),
        "{err}"
    );
    let err = client
        .kernel()
        .call("add", params(json!({"a": "x", "b": 1})))
        .await
        .expect_err("ill-typed");
    assert_eq!(err.code, ErrorCode::ValidationError, "{err}");
    assert!(err.field_errors().iter().any(|(f, _)| f == "a"), "{:?}", err.details);
    let err = client
        .kernel()
        .call("stripe_webhook", params(json!({"event": "x"})))
        .await
        .expect_err("private");
    assert_eq!(err.code, ErrorCode::Forbidden, "{err}");

    // Scoped invalidation: renaming user 7 refetches the mounted user-7
    // instance, not user 8's.
    let (seen7, listen7) = recorder();
    let (seen8, listen8) = recorder();
    let user7 = client
        .kernel()
        .subscribe("user", params(json!({"user_id": 7})), Some(listen7));
    let user8 = client
        .kernel()
        .subscribe("user", params(json!({"user_id": 8})), Some(listen8));
    user7.load().await;
    user8.load().await;
    let before = seen8.lock().unwrap().len();
    let renamed = client
        .rename(&api::RenameArgs {
            user_id: 7,
            name: "Zed".into(),
        })
        .await
        .expect("rename");
    assert_eq!(renamed.name, "Zed");
    let data7 = user7.state().decode::<api::UserData>().data.expect("user 7 data");
    assert_eq!(data7.user_profile.name, "Zed", "the call returned after the refetch");
    assert!(
        seen7.lock().unwrap().iter().any(|s| s.is_fetching),
        "user 7 was refetched"
    );
    assert_eq!(seen8.lock().unwrap().len(), before, "user 8 was not refetched");

    // `place_order` affects `user_orders` (a function target) of user 8.
    let order = client
        .place_order(&api::PlaceOrderArgs {
            user_id: 8,
            sku: "sku-1".into(),
        })
        .await
        .expect("place_order");
    let data8 = user8.state().decode::<api::UserData>().data.expect("user 8 data");
    assert_eq!(data8.user_orders.orders, vec![order]);

    // Merge: `set_item_name` patches the mounted items list without a fetch.
    let (seen_items, listen_items) = recorder();
    let items = client.kernel().subscribe("items", Params::new(), Some(listen_items));
    items.load().await;
    seen_items.lock().unwrap().clear();
    let item = client
        .set_item_name(&api::SetItemNameArgs {
            id: 2,
            name: "renamed".into(),
        })
        .await
        .expect("set_item_name");
    let list = items.state().decode::<api::ItemsData>().data.expect("items").items_list;
    assert!(list.contains(&item), "{list:?}");
    assert!(
        seen_items.lock().unwrap().iter().all(|s| !s.is_fetching),
        "merged without a round trip"
    );

    // A typed fetch sees what the mutations did.
    let fresh = client
        .fetch_user_context(&api::UserParams {
            user_id: 7,
            page: Some(1),
        })
        .await
        .expect("fetch user");
    assert_eq!(fresh.user_profile.name, "Zed");

    // Uploads: a file from disk, multipart over HTTP, arrives byte for byte.
    let file = Upload::from_path(&upload_file, Some("application/octet-stream")).expect("read the upload");
    let size = file.bytes.len();
    let receipt = client
        .upload_avatar(&api::UploadAvatarArgs { user_id: 7, file })
        .await
        .expect("upload_avatar");
    assert_eq!(receipt.sha256, upload_sha, "the server hashed what was sent");
    assert_eq!(usize::try_from(receipt.size).ok(), Some(size));
    assert_eq!(receipt.filename, "avatar.bin");
    let err = client
        .upload_avatar(&api::UploadAvatarArgs {
            user_id: 7,
            file: Upload::from_bytes(vec![0u8; 2 * 1024 * 1024]),
        })
        .await
        .expect_err("over the body limit");
    assert_eq!(err.status, Some(413), "{err}");

    // Pushes: another client renames user 9; this one makes no call, yet
    // its mounted user-9 instance is refetched.
    let kernel = client.kernel().clone();
    tokio::spawn(async move { kernel.run_push().await });
    let user9 = client.kernel().subscribe("user", params(json!({"user_id": 9})), None);
    user9.load().await;
    wait("connected", || client.kernel().connection_status() == ConnectionStatus::Connected).await;
    let other = api::Client::new(MizanClient::http(&base).expect("HTTP client"));
    other
        .rename(&api::RenameArgs {
            user_id: 9,
            name: "Pushed".into(),
        })
        .await
        .expect("rename by the other client");
    let name9 = || {
        user9
            .state()
            .decode::<api::UserData>()
            .data
            .map(|d| d.user_profile.name)
    };
    wait("user 9 refetched by push", || name9().as_deref() == Some("Pushed")).await;
    println!("ok");
}

/// Polls `check` every 10 ms for up to 10 s.
async fn wait(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if check() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}
