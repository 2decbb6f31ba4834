//! The studio's side of live traffic: the recording proxy it starts (one
//! at a time), events from it (or a devtools tap) recorded against the IR
//! on screen, and the `traffic` view re-published at most every 250 ms
//! while events arrive (a burst is one refetch, not thousands).

use super::Studio;
use crate::live::traffic::{ProxyInfo, Traffic};
use mizan_proxy::{Proxy, ProxyOptions, WireEvent};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often a changed timeline is re-published…
const PUBLISH_EVERY: Duration = Duration::from_millis(250);
/// …and while more than [`BUSY_EVENTS`] arrive between two publications
/// (400 a second): nobody reads rows scrolling that fast, and each
/// publication makes the tab rebuild its rows (WebKit keeps what that
/// churns for a long while).
const PUBLISH_BUSY: Duration = Duration::from_secs(1);
const BUSY_EVENTS: u64 = 100;

impl Studio {
    /// The recorded traffic.
    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// The running proxy, if any.
    pub fn proxy_info(&self) -> Option<ProxyInfo> {
        super::lock(&self.proxy).as_ref().map(|p| ProxyInfo {
            url: p.url.clone(),
            target: p.target.clone(),
        })
    }

    /// Records one event from `source` (the proxy, a tap) against the IR
    /// on screen, and schedules a re-publish.
    pub fn record_wire(self: &Arc<Self>, source: &str, event: WireEvent) {
        let snapshot = self.snapshot().ok().map(|(s, _)| s);
        let ir = snapshot.as_ref().map(|s| &s.parsed.ir);
        if self.traffic.record(source, event, ir).is_some() {
            self.traffic_recorded.fetch_add(1, Ordering::Relaxed);
            self.traffic_changed();
        }
    }

    /// Marks the timeline changed; the publisher task sends one push per
    /// [`PUBLISH_EVERY`] at most.
    pub fn traffic_changed(self: &Arc<Self>) {
        self.traffic_dirty.store(true, Ordering::SeqCst);
        if self.traffic_publisher.swap(true, Ordering::SeqCst) {
            return;
        }
        let weak = Arc::downgrade(self);
        self.runtime.spawn(async move {
            let (mut seen, mut busy, mut trimmed) = (0, false, true);
            loop {
                tokio::time::sleep(if busy { PUBLISH_BUSY } else { PUBLISH_EVERY }).await;
                let Some(studio) = weak.upgrade() else { return };
                let recorded = studio.traffic_recorded.load(Ordering::Relaxed);
                busy = recorded.saturating_sub(seen) > BUSY_EVENTS;
                seen = recorded;
                if studio.traffic_dirty.swap(false, Ordering::SeqCst) {
                    studio.publish(&["traffic", "traffic_event", "traffic_summary"]).await;
                    trimmed = false;
                } else if !trimmed {
                    // Quiet again after traffic: hand the proxy's and the
                    // views' freed buffers back to the system.
                    crate::memory::release_freed();
                    trimmed = true;
                }
            }
        });
    }

    /// Starts the recording proxy in front of `target` (a Mizan base URL),
    /// replacing a running one.
    pub async fn start_proxy(self: &Arc<Self>, target: &str) -> Result<ProxyInfo, String> {
        crate::live::environment::check_base_url(target)?;
        let weak: Weak<Studio> = Arc::downgrade(self);
        let sink = Arc::new(move |event: WireEvent| {
            if let Some(studio) = weak.upgrade() {
                studio.record_wire("proxy", event);
            }
        });
        let proxy: Proxy = mizan_proxy::start(ProxyOptions::new(target), sink).await?;
        let info = ProxyInfo {
            url: proxy.url.clone(),
            target: proxy.target.clone(),
        };
        *super::lock(&self.proxy) = Some(proxy);
        Ok(info)
    }

    /// Stops the proxy; whether one ran.
    pub fn stop_proxy(&self) -> bool {
        super::lock(&self.proxy).take().is_some()
    }
}

/// A running app's devtools tap, as the Traffic tab lists it (never its
/// secret).
#[derive(mizan::Mizan, serde::Serialize, serde::Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct TapApp {
    /// The app's name.
    pub name: String,
    /// Its process id.
    pub pid: i64,
    /// The tap's address.
    pub url: String,
    /// The studio is attached to it.
    pub attached: bool,
}

impl Studio {
    /// The running apps whose taps are discoverable (their discovery
    /// files), with which are attached. This studio's own tap (its window
    /// serves one in debug builds) is not listed: recording itself would
    /// record its own refetches of the timeline, without end.
    pub fn tap_apps(&self) -> Result<Vec<TapApp>, String> {
        let attached = super::lock(&self.taps);
        let found = mizan_devtools::discover().map_err(|e| e.to_string())?;
        Ok(found
            .into_iter()
            .filter(|d| d.pid != std::process::id())
            .map(|d| TapApp {
                attached: attached.contains_key(&d.pid),
                name: d.name,
                pid: i64::from(d.pid),
                url: d.url,
            })
            .collect())
    }

    /// Attaches to the app with `pid`: its events are recorded as
    /// `tap:<name>` until it exits or [`Studio::detach_tap`].
    pub async fn attach_tap(self: &Arc<Self>, pid: u32) -> Result<TapApp, String> {
        if pid == std::process::id() {
            return Err("that is this studio: attach from another studio (recording itself would never end)".into());
        }
        let app = mizan_devtools::discover()
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|d| d.pid == pid)
            .ok_or_else(|| format!("no running app with pid {pid} offers a devtools tap"))?;
        let client = mizan_devtools::Client::connect(&app).await.map_err(|e| e.to_string())?;
        let (_hello, replays, mut frames) = client.split();
        let source = format!("tap:{}", app.name);
        let weak = Arc::downgrade(self);
        let waiting: Waiting = Arc::default();
        let answers = waiting.clone();
        let task = self.runtime.spawn(async move {
            while let Some(Ok(frame)) = frames.next().await {
                let Some(studio) = weak.upgrade() else { return };
                match frame {
                    mizan_devtools::ServerFrame::Event(event) => {
                        if let Some(wire) = tap_event(event) {
                            studio.record_wire(&source, wire);
                        }
                    }
                    mizan_devtools::ServerFrame::Replayed(r) => {
                        if let Some(tx) = super::lock(&answers).remove(&r.id) {
                            let _ = tx.send(r);
                        }
                    }
                    _ => {}
                }
            }
        });
        super::lock(&self.taps).insert(pid, task);
        super::lock(&self.tap_replays).insert(pid, (Arc::new(tokio::sync::Mutex::new(replays)), waiting));
        Ok(TapApp {
            name: app.name,
            pid: i64::from(app.pid),
            url: app.url,
            attached: true,
        })
    }

    /// Stops recording the app with `pid`; whether it was attached.
    pub fn detach_tap(&self, pid: u32) -> bool {
        super::lock(&self.tap_replays).remove(&pid);
        super::lock(&self.taps).remove(&pid).map(|t| t.abort()).is_some()
    }

    /// Runs a call in the attached app with `pid` through its devtools
    /// channel (a Tauri app's IPC functions included): its answer, and its
    /// event joins the timeline like any other call.
    pub async fn replay_through_tap(
        &self,
        pid: u32,
        function: &str,
        args: serde_json::Map<String, serde_json::Value>,
        token: Option<String>,
    ) -> Result<TapReplay, String> {
        let (sender, waiting) = super::lock(&self.tap_replays).get(&pid).cloned().ok_or_else(|| {
            format!("the studio is not attached to process {pid}: attach it in the Traffic tab first")
        })?;
        let id = self.tap_replay_ids.fetch_add(1, Ordering::SeqCst) + 1;
        let (tx, rx) = tokio::sync::oneshot::channel();
        super::lock(&waiting).insert(id, tx);
        let mut headers = std::collections::BTreeMap::new();
        if let Some(t) = token.filter(|t| !t.trim().is_empty()) {
            headers.insert("X-Mizan-Token".to_owned(), t.trim().to_owned());
        }
        let replay = mizan_devtools::Replay {
            id,
            envelope: mizan_core::wire::IpcEnvelope::Call {
                function: function.to_owned(),
                args,
                client: None,
            },
            headers,
            internal: false,
        };
        sender.lock().await.replay(&replay).await.map_err(|e| e.to_string())?;
        let answer = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .map_err(|_| "the app did not answer the replay within 30 s".to_owned())?
            .map_err(|_| "the app's channel closed before it answered".to_owned())?;
        Ok(TapReplay {
            duration_ms: answer.duration_us as f64 / 1000.0,
            result: answer
                .result
                .map(|r| serde_json::to_string_pretty(&r).unwrap_or_default())
                .unwrap_or_default(),
            error: answer
                .error
                .map(|e| format!("{}: {}", e.code.as_str(), e.message))
                .unwrap_or_default(),
        })
    }
}

/// Replay answers awaited from one tap, by replay id.
type Waiting =
    Arc<std::sync::Mutex<std::collections::HashMap<u64, tokio::sync::oneshot::Sender<mizan_devtools::Replayed>>>>;

/// The replay channel of one attached tap.
pub(super) type TapReplays = (Arc<tokio::sync::Mutex<mizan_devtools::ReplaySender>>, Waiting);

/// What a replay through a tap answered.
#[derive(mizan::Mizan, serde::Serialize, serde::Deserialize, Debug, Clone, Default, PartialEq)]
pub struct TapReplay {
    /// How long the app took.
    pub duration_ms: f64,
    /// The result, pretty (empty on an error).
    pub result: String,
    /// `CODE: message` (empty on success).
    pub error: String,
}

/// A tap event as the timeline records it (commits are not rows: their
/// call and push are).
fn tap_event(event: mizan_devtools::Event) -> Option<WireEvent> {
    use mizan::devtools::{EventKind, Status, Transport};
    use mizan_proxy::WireKind;
    let transport = |t: Transport| {
        match t {
            Transport::Http => "http",
            Transport::Websocket => "ws",
            Transport::Ipc => "ipc",
            Transport::Internal => "internal",
        }
        .to_owned()
    };
    let status = |s: Status, e: &Option<mizan::devtools::EventError>| match (s, e) {
        (Status::Ok, _) => 200,
        (Status::Error, Some(e)) => e.code.http_status(),
        (Status::Error, None) => 500,
    };
    Some(match event.kind {
        EventKind::Call(c) => WireEvent {
            at_ms: event.at_ms,
            kind: WireKind::Call,
            transport: transport(c.caller.transport),
            function: Some(c.function),
            context: None,
            args: c.args,
            principal: c.caller.principal,
            client: c.caller.client,
            status: status(c.status, &c.error),
            duration_ms: c.duration_us as f64 / 1000.0,
            cache: None,
            cache_reason: None,
            error_code: c.error.as_ref().map(|e| e.code.as_str().to_owned()),
            body: c
                .result
                .map(|r| serde_json::json!({"result": r, "invalidate": c.invalidate, "merge": c.merge})),
            header: None,
        },
        EventKind::Fetch(f) => WireEvent {
            at_ms: event.at_ms,
            kind: WireKind::Fetch,
            transport: transport(f.caller.transport),
            function: None,
            context: Some(f.context),
            args: f.params,
            principal: f.caller.principal,
            client: f.caller.client,
            status: status(f.status, &f.error),
            duration_ms: f.duration_us as f64 / 1000.0,
            cache: f.cache.map(|c| c.as_str().to_owned()),
            cache_reason: f
                .cache_reason
                .and_then(|r| serde_json::to_value(r).ok())
                .map(|v| match v {
                    serde_json::Value::String(s) => s.replace('_', " "),
                    other => other.to_string(),
                }),
            error_code: f.error.as_ref().map(|e| e.code.as_str().to_owned()),
            body: None,
            header: None,
        },
        EventKind::Push(p) => WireEvent {
            at_ms: event.at_ms,
            kind: WireKind::Push,
            transport: "ws".into(),
            function: p.function,
            context: None,
            args: Default::default(),
            principal: None,
            client: p.client,
            status: 200,
            duration_ms: 0.0,
            cache: None,
            cache_reason: None,
            error_code: None,
            body: Some(serde_json::json!({"op": "push", "invalidate": p.invalidate, "merge": p.merge})),
            header: None,
        },
        EventKind::Commit(_) => return None,
    })
}
