//! Feature `devtools`: the plugin serves its registry's tap; an observer
//! discovers the app, sees its IPC calls (transport `ipc`) and replays a
//! function through the channel, which runs in the app. Tauri's mock
//! runtime stands in for the webview; the channel is a real loopback
//! WebSocket. (Run with `--features devtools`.)
#![cfg(feature = "devtools")]

use afi_app::Store;
use mizan_core::wire::IpcEnvelope;
use mizan_tauri::MizanExt;
use mizan_tauri::mizan_devtools::discovery::discover_in;
use mizan_tauri::mizan_devtools::{Client, Event, EventKind, Options, Replay, ServerFrame, Transport};
use serde_json::json;
use std::time::Duration;
use tauri::test::{mock_builder, mock_context, noop_assets};

async fn next_where(client: &mut Client, what: &str, pick: impl Fn(&ServerFrame) -> bool) -> ServerFrame {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), client.next())
            .await
            .unwrap_or_else(|_| panic!("nothing for: {what}"))
            .unwrap_or_else(|| panic!("closed before: {what}"))
            .expect("a readable frame");
        if pick(&frame) {
            return frame;
        }
    }
}

fn call_of(frame: &ServerFrame, name: &str) -> bool {
    matches!(frame, ServerFrame::Event(Event { kind: EventKind::Call(c), .. }) if c.function == name)
}

#[test]
fn ipc_calls_are_seen_and_replays_run_in_the_app() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("discovery");
    let mut options = Options::new("tauri test app");
    options.discovery_dir = Some(dir.clone());
    let app = mock_builder()
        .plugin(
            mizan_tauri::Builder::new()
                .extension(Store::default())
                .devtools(options)
                .build(),
        )
        .build(mock_context(noop_assets()))
        .expect("the app builds");

    let mut apps = Vec::new();
    for _ in 0..100 {
        apps = discover_in(&dir).expect("listed");
        if !apps.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(apps.len(), 1, "the plugin wrote its discovery file");
    let entry = apps.remove(0);
    assert_eq!(entry.name, "tauri test app");
    let path = dir.join(format!("tauri_test_app-{}.json", entry.pid));
    assert!(path.exists());

    tauri::async_runtime::block_on(async {
        let mut client = Client::connect(&entry).await.expect("attached");
        assert!(client.hello().replay);

        // An IPC call, as `mizan_invoke` makes it.
        let mizan = app.mizan().expect("the plugin is set up");
        mizan
            .invoke(IpcEnvelope::Call {
                function: "add".into(),
                args: json!({"a": 1, "b": 2}).as_object().cloned().unwrap_or_default(),
                client: Some("webview-1".into()),
            })
            .await
            .expect("add");
        let frame = next_where(&mut client, "the IPC call", |f| call_of(f, "add")).await;
        let ServerFrame::Event(Event {
            kind: EventKind::Call(call),
            ..
        }) = frame
        else {
            unreachable!()
        };
        assert_eq!(call.caller.transport, Transport::Ipc);
        assert_eq!(call.caller.client.as_deref(), Some("webview-1"));
        assert_eq!(call.result, Some(json!({"total": 3})));

        // A replay through the channel runs `rename` in the app.
        client
            .replay(&Replay {
                id: 1,
                envelope: IpcEnvelope::Call {
                    function: "rename".into(),
                    args: json!({"user_id": 5, "name": "Replayed"})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                    client: None,
                },
                headers: Default::default(),
                internal: false,
            })
            .await
            .expect("sent");
        let frame = next_where(&mut client, "the replay's answer", |f| {
            matches!(f, ServerFrame::Replayed(_))
        })
        .await;
        let ServerFrame::Replayed(answer) = frame else {
            unreachable!()
        };
        assert_eq!(answer.id, 1);
        let result = answer.result.expect("a result");
        assert_eq!(result["result"]["name"], "Replayed");
        assert_eq!(
            result["invalidate"],
            json!([{"context": "user", "params": {"user_id": 5}}])
        );
        // It ran in the app: the app's own fetch sees the new name.
        let bundle = mizan
            .invoke(IpcEnvelope::Fetch {
                context: "user".into(),
                params: json!({"user_id": 5}).as_object().cloned().unwrap_or_default(),
            })
            .await
            .expect("fetch");
        let bundle = serde_json::to_value(bundle).expect("json");
        assert_eq!(bundle["user_profile"]["name"], "Replayed");
    });

    // Exiting (the last window destroyed, then the run loop's
    // `RunEvent::Exit`) removes the discovery file.
    tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("a window");
    assert!(path.exists(), "still running");
    // A hung run loop fails the test instead of hanging it.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(60));
        eprintln!("the app's run loop did not exit");
        std::process::exit(1);
    });
    app.run_return(|app, event| {
        if matches!(event, tauri::RunEvent::Ready) {
            use tauri::Manager;
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.destroy();
            }
        }
    });
    assert!(!path.exists(), "the discovery file outlived the app");
}
