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

/// How often a changed timeline is re-published.
const PUBLISH_EVERY: Duration = Duration::from_millis(250);

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
            loop {
                tokio::time::sleep(PUBLISH_EVERY).await;
                let Some(studio) = weak.upgrade() else { return };
                if studio.traffic_dirty.swap(false, Ordering::SeqCst) {
                    studio.publish(&["traffic", "traffic_event", "traffic_summary"]).await;
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
