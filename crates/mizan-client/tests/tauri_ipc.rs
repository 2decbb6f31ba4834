//! The Tauri IPC transport, compiled to wasm32 and run under Node by
//! `wasm-bindgen-test-runner` against a fake `__TAURI_INTERNALS__.invoke`:
//! the exact command and envelopes, answers, rejections as typed errors,
//! merges and invalidations through the kernel, and `NO_TRANSPORT` outside
//! Tauri; and the Tauri push channel: `mizan_subscribe` with a
//! `transformCallback` channel, messages applied in `index` order even when
//! they arrive out of order, `{end}` closing it (the loop subscribes
//! again), and an app without the command leaving the status `idle`.
//!
//! On the host, `cargo test` runs the wasm build and the runner itself with
//! the Debian toolchain recipe of `TOOLCHAIN.md` (target dir `target/wasm`),
//! and fails, never skips, when a tool is missing.

#[cfg(target_arch = "wasm32")]
mod wasm {
    use mizan_client::transport::{TauriPushTransport, TauriTransport};
    use mizan_client::{ConnectionStatus, ErrorCode, MizanClient, Params, ReconnectPolicy, RetryPolicy};
    use serde_json::{Value, json};
    use std::time::Duration;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// A fake `invoke`: records `{cmd, args}` in `globalThis.__mizanCalls`
    /// and answers like the `mizan-tauri` plugin would.
    const FAKE_INVOKE: &str = r#"
        globalThis.__mizanCalls.push(JSON.stringify({ cmd, args }));
        const e = args.envelope;
        if (e.op === "fetch" && e.context === "items") {
            globalThis.__mizanFetches += 1;
            return Promise.resolve({ items_list: [{ id: 1, name: "a" }, { id: 2, name: "b" }] });
        }
        if (e.op === "fetch") return Promise.reject({ code: "INTERNAL_ERROR", message: "boom" });
        if (e.fn === "set_item_name") {
            const item = { id: e.args.id, name: e.args.name };
            return Promise.resolve({ result: item, invalidate: [],
                merge: [{ context: "items", slot: "items_list", value: item }] });
        }
        if (e.fn === "bump") return Promise.resolve({ result: 1, invalidate: ["items"] });
        if (e.fn === "ping_admin") {
            return Promise.reject({ code: "FORBIDDEN", message: "staff only", details: { need: "staff" } });
        }
        return Promise.reject("Command mizan_invoke not found");
    "#;

    fn eval(js: &str) -> JsValue {
        js_sys::eval(js).expect("eval")
    }

    fn install_fake() {
        let invoke = js_sys::Function::new_with_args("cmd, args", FAKE_INVOKE);
        let internals = js_sys::Object::new();
        js_sys::Reflect::set(&internals, &"invoke".into(), &invoke).expect("set invoke");
        js_sys::Reflect::set(&js_sys::global(), &"__TAURI_INTERNALS__".into(), &internals).expect("set internals");
        eval("globalThis.__mizanCalls = []; globalThis.__mizanFetches = 0;");
    }

    fn calls() -> Vec<Value> {
        let calls = js_sys::Array::from(&eval("globalThis.__mizanCalls"));
        calls
            .iter()
            .map(|c| serde_json::from_str(&c.as_string().expect("string")).expect("json"))
            .collect()
    }

    fn fetches() -> f64 {
        eval("globalThis.__mizanFetches").as_f64().expect("number")
    }

    fn params(v: Value) -> Params {
        match v {
            Value::Object(m) => m,
            _ => Params::new(),
        }
    }

    // One test, in order: the steps share the global fake.
    #[wasm_bindgen_test]
    async fn the_tauri_transport_speaks_the_plugin_protocol() {
        // Outside Tauri: a typed NO_TRANSPORT error, not a crash.
        let _ = js_sys::Reflect::delete_property(&js_sys::global().into(), &"__TAURI_INTERNALS__".into());
        let client = MizanClient::builder(TauriTransport::new())
            .retry(RetryPolicy::NEVER)
            .build();
        let err = client.fetch("items", Params::new()).await.expect_err("no Tauri");
        assert_eq!(err.code, ErrorCode::NoTransport);

        install_fake();
        client.register_list_slot("items", "items_list", "id");
        let items = client.subscribe("items", Params::new(), None);
        let state = items.load().await;
        assert_eq!(state.data.expect("data")["items_list"][1]["name"], "b");
        assert_eq!(
            calls()[0],
            json!({"cmd": "plugin:mizan|mizan_invoke", "args": {"envelope": {"op": "fetch", "context": "items", "params": {}}}})
        );

        // A merge patches the mounted list without a round trip.
        let resp = client
            .call("set_item_name", params(json!({"id": 2, "name": "B"})))
            .await
            .expect("call");
        assert_eq!(resp.result, json!({"id": 2, "name": "B"}));
        assert_eq!(
            calls()[1],
            json!({"cmd": "plugin:mizan|mizan_invoke", "args": {"envelope": {"op": "call", "fn": "set_item_name",
                   "args": {"id": 2, "name": "B"}, "client": client.client_id()}}})
        );
        assert_eq!(items.state().data.expect("data")["items_list"][1]["name"], "B");
        assert_eq!(fetches(), 1.0);

        // An invalidation refetches the mounted instance.
        client.call("bump", Params::new()).await.expect("bump");
        assert_eq!(fetches(), 2.0);

        // Rejections are typed errors; IPC errors are not retried.
        let err = client.call("ping_admin", Params::new()).await.expect_err("forbidden");
        assert_eq!(
            (err.code.clone(), err.message.as_str()),
            (ErrorCode::Forbidden, "staff only")
        );
        assert_eq!(err.details, Some(json!({"need": "staff"})));
        let err = client.call("nope", Params::new()).await.expect_err("string rejection");
        assert_eq!(err.code, ErrorCode::InternalError);
        assert_eq!(err.message, "Command mizan_invoke not found");
        let before = calls().len();
        let retrying = MizanClient::new(TauriTransport::new());
        let err = retrying.fetch("flaky", Params::new()).await.expect_err("rejected");
        assert_eq!(err.code, ErrorCode::InternalError);
        assert_eq!(
            calls().len(),
            before + 1,
            "IPC errors carry no status and are not retried"
        );
    }

    /// A fake Tauri with channels: `transformCallback` keeps callbacks in
    /// `__cb`, `mizan_subscribe` records the channel id, fetches count.
    const FAKE_TAURI: &str = r#"
        globalThis.__cb = {}; globalThis.__next = 1; globalThis.__calls = [];
        globalThis.__fetches = 0; globalThis.__channel = null; globalThis.__unregistered = [];
        globalThis.__TAURI_INTERNALS__ = {
            transformCallback(cb, once) { const id = globalThis.__next++; globalThis.__cb[id] = cb; return id; },
            unregisterCallback(id) { delete globalThis.__cb[id]; globalThis.__unregistered.push(id); },
            invoke(cmd, args) {
                globalThis.__calls.push(JSON.stringify({ cmd, args }));
                if (cmd === "plugin:mizan|mizan_subscribe") {
                    if (globalThis.__noSubscribe) return Promise.reject("Command mizan_subscribe not found");
                    globalThis.__channel = Number(args.channel.split(":")[1]);
                    return Promise.resolve(41 + globalThis.__channel);
                }
                if (cmd === "plugin:mizan|mizan_unsubscribe") return Promise.resolve(null);
                if (args.envelope.op === "fetch") {
                    globalThis.__fetches += 1;
                    return Promise.resolve({ user_profile: { n: globalThis.__fetches, id: args.envelope.params.user_id } });
                }
                return Promise.resolve({ result: null, invalidate: [] });
            },
        };
    "#;

    /// Sends a raw channel message to the current channel.
    fn deliver(raw: Value) {
        eval(&format!("globalThis.__cb[globalThis.__channel]({raw})"));
    }

    fn js_calls() -> Vec<Value> {
        let calls = js_sys::Array::from(&eval("globalThis.__calls"));
        calls
            .iter()
            .map(|c| serde_json::from_str(&c.as_string().expect("string")).expect("json"))
            .collect()
    }

    fn js_fetches() -> f64 {
        eval("globalThis.__fetches").as_f64().expect("number")
    }

    /// Lets the event loop run (timers, promises, the push loop).
    async fn settle() {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let set_timeout: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
                .expect("setTimeout")
                .into();
            set_timeout
                .call2(&JsValue::NULL, &resolve, &JsValue::from(20))
                .expect("schedule");
        });
        wasm_bindgen_futures::JsFuture::from(promise).await.expect("timer");
    }

    fn push_for(user_id: i64) -> Value {
        json!({"op": "push", "invalidate": [{"context": "user", "params": {"user_id": user_id}}]})
    }

    #[wasm_bindgen_test]
    async fn pushes_arrive_through_a_tauri_channel_in_order() {
        js_sys::eval(FAKE_TAURI).expect("fake");
        let fast = ReconnectPolicy {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..ReconnectPolicy::default()
        };
        let client = MizanClient::builder(TauriTransport::new())
            .push(TauriPushTransport::new())
            .watch(["user"])
            .reconnect(fast)
            .build();
        let five = client.subscribe("user", params(json!({"user_id": 5})), None);
        let six = client.subscribe("user", params(json!({"user_id": 6})), None);
        five.load().await;
        six.load().await;
        let (task, stop) = client.push_task();
        wasm_bindgen_futures::spawn_local(task);
        settle().await;
        assert_eq!(client.connection_status(), ConnectionStatus::Connected);
        let subscribe = js_calls()
            .into_iter()
            .find(|c| c["cmd"] == "plugin:mizan|mizan_subscribe")
            .expect("subscribed");
        let channel = eval("globalThis.__channel").as_f64().expect("channel id");
        assert_eq!(
            subscribe["args"],
            json!({"channel": format!("__CHANNEL__:{channel}"), "watch": ["user"]})
        );
        assert_eq!(js_fetches(), 2.0);

        // Index 1 arrives before index 0: nothing until 0 is there, then
        // both in order — the later merge wins.
        let merge = |n: i64| {
            json!({"op": "push", "invalidate": [], "merge": [{"context": "user", "slot": "user_profile",
                   "value": {"n": n}, "params": {"user_id": 5}}]})
        };
        deliver(json!({"index": 1, "message": merge(200)}));
        settle().await;
        assert_eq!(
            five.state().data.expect("five")["user_profile"]["n"],
            1.0,
            "index 1 waits for index 0"
        );
        deliver(json!({"index": 0, "message": merge(100)}));
        settle().await;
        assert_eq!(five.state().data.expect("five")["user_profile"]["n"], 200.0);
        assert_eq!(js_fetches(), 2.0, "merges need no fetch");
        // An invalidation refetches only the instance it selects.
        deliver(json!({"index": 2, "message": push_for(6)}));
        settle().await;
        assert_eq!(js_fetches(), 3.0);
        assert_eq!(six.state().data.expect("six")["user_profile"]["n"], 3.0);

        // `{end}` closes the channel: the callback is unregistered and the
        // loop subscribes again, then refetches what is mounted.
        deliver(json!({"index": 3, "end": true}));
        settle().await;
        settle().await;
        let unregistered = eval("globalThis.__unregistered.length").as_f64().expect("number");
        assert_eq!(unregistered, 1.0);
        let subscribes = js_calls()
            .iter()
            .filter(|c| c["cmd"] == "plugin:mizan|mizan_subscribe")
            .count();
        assert_eq!(subscribes, 2);
        assert_eq!(client.connection_status(), ConnectionStatus::Connected);
        assert_eq!(
            js_fetches(),
            5.0,
            "both mounted instances refetched after the reconnect"
        );
        let unsubscribes = js_calls()
            .iter()
            .filter(|c| c["cmd"] == "plugin:mizan|mizan_unsubscribe")
            .count();
        assert_eq!(unsubscribes, 1);

        // Dropping the guard ends the loop.
        drop(stop);
        settle().await;
        assert_eq!(client.connection_status(), ConnectionStatus::Idle);

        // An app whose plugin has no `mizan_subscribe`: no pushes, `idle`.
        eval("globalThis.__noSubscribe = true;");
        let (task, _stop) = client.push_task();
        wasm_bindgen_futures::spawn_local(task);
        settle().await;
        assert_eq!(client.connection_status(), ConnectionStatus::Idle);
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn tauri_transport_tests_pass_under_wasm() {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let debian_cargo = Path::new("/usr/bin/cargo");
    let wasm_ld = Path::new("/usr/lib/llvm-19/bin/wasm-ld");
    for tool in [debian_cargo, wasm_ld] {
        assert!(tool.exists(), "{} is missing: run scripts/setup", tool.display());
    }
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin"))
        .unwrap_or_default();
    let runner = cargo_bin.join("wasm-bindgen-test-runner");
    assert!(
        runner.exists(),
        "{} is missing (it comes with wasm-bindgen-cli): run scripts/setup",
        runner.display()
    );
    let path = format!(
        "/usr/bin:{}:{}",
        cargo_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(debian_cargo)
        .current_dir(&workspace)
        .args([
            "test",
            "--target",
            "wasm32-unknown-unknown",
            "-Zbuild-std=std,panic_abort",
            "-p",
            "mizan-client",
            "--test",
            "tauri_ipc",
        ])
        .env("PATH", path)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", wasm_ld)
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
        .env("CARGO_TARGET_DIR", workspace.join("target/wasm"))
        .env("WASM_BINDGEN_TEST_TIMEOUT", "60")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("run the Debian cargo");
    assert!(
        out.status.success(),
        "the wasm32 tests of the Tauri transport failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("test result: ok. 2 passed"),
        "the wasm test did not run:\n{stdout}"
    );
}
