//! Pushes across processes through Redis pub/sub: every local commit is
//! published on one channel, every process delivers what the others
//! published to its own `/ws/` connections.
//!
//! A message is `{"origin": <process>, "caller"?: <principal id>, "push":
//! {...}}`: the caller's principal id travels beside the push (which never
//! serializes it), so a receiving process shows the `client` id and
//! merges into personal contexts only to that principal's connections,
//! exactly as the publishing process does. It goes no further than the
//! receiving hub.
//!
//! Publishing never blocks a call: pushes go through a bounded queue to a
//! publisher task (a full queue drops the push and logs). The subscriber
//! task reconnects by itself with back-off; while Redis is down pushes stay
//! local — logged once when it goes down and once when it is back.

use futures::StreamExt;
use mizan::{Push, PushBus, PushHub};
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// The pub/sub channel every Mizan process of an application shares.
pub const PUSH_CHANNEL: &str = "mizan:push";

/// How many pushes may wait for the publisher before new ones are dropped.
const QUEUE: usize = 4096;

#[derive(Serialize, Deserialize)]
struct Envelope {
    /// The publishing process, so it skips its own messages.
    origin: String,
    /// [`Push::caller`], which the push itself never serializes. Absent
    /// (an older process, a publish): the caller is taken as anonymous.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    caller: Option<String>,
    push: Push,
}

impl Envelope {
    fn encode(origin: &str, push: Push) -> Option<String> {
        serde_json::to_string(&Envelope {
            origin: origin.to_owned(),
            caller: push.caller.clone(),
            push,
        })
        .ok()
    }

    /// The publishing process and the push, its caller restored.
    fn decode(bytes: &[u8]) -> Result<(String, Push), serde_json::Error> {
        let Envelope {
            origin,
            caller,
            mut push,
        } = serde_json::from_slice(bytes)?;
        push.caller = caller;
        Ok((origin, push))
    }
}

/// The Redis [`PushBus`].
pub struct RedisPushBus {
    queue: mpsc::Sender<Push>,
}

impl RedisPushBus {
    /// Starts the publisher and subscriber tasks for `hub` (needs a Tokio
    /// runtime). Fails only on an invalid URL or without a runtime.
    pub fn start(url: &str, hub: &Arc<PushHub>) -> Result<Arc<RedisPushBus>, String> {
        let client = redis::Client::open(url).map_err(|e| format!("invalid Redis URL: {e}"))?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| "no Tokio runtime".to_owned())?;
        let origin = format!(
            "{}-{:x}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        let (queue, pushes) = mpsc::channel(QUEUE);
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(1);
        let manager = {
            let _guard = runtime.enter();
            ConnectionManager::new_lazy_with_config(client.clone(), config).map_err(|e| e.to_string())?
        };
        runtime.spawn(publish(manager, pushes, origin.clone()));
        runtime.spawn(subscribe(client, Arc::downgrade(hub), origin));
        Ok(Arc::new(RedisPushBus { queue }))
    }
}

impl PushBus for RedisPushBus {
    fn publish(&self, push: &Push) {
        if self.queue.try_send(push.clone()).is_err() {
            tracing::warn!("push bus queue full: a push was not sent to other processes");
        }
    }
}

async fn publish(mut conn: ConnectionManager, mut pushes: mpsc::Receiver<Push>, origin: String) {
    let mut down = false;
    while let Some(push) = pushes.recv().await {
        let Some(text) = Envelope::encode(&origin, push) else {
            continue;
        };
        let sent = tokio::time::timeout(
            Duration::from_secs(2),
            redis::cmd("PUBLISH")
                .arg(PUSH_CHANNEL)
                .arg(text)
                .query_async::<i64>(&mut conn),
        )
        .await;
        match sent {
            Ok(Ok(_)) if down => {
                down = false;
                tracing::warn!("push bus: publishing to Redis again");
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) if !down => {
                down = true;
                tracing::warn!(error = %e, "push bus: cannot publish to Redis; pushes stay local");
            }
            Err(_) if !down => {
                down = true;
                tracing::warn!("push bus: Redis did not answer; pushes stay local");
            }
            _ => {}
        }
    }
}

async fn subscribe(client: redis::Client, hub: Weak<PushHub>, origin: String) {
    let mut backoff = Duration::from_millis(100);
    let mut down = false;
    loop {
        if hub.strong_count() == 0 {
            return;
        }
        let connected = tokio::time::timeout(Duration::from_secs(2), async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(PUSH_CHANNEL).await?;
            Ok::<_, redis::RedisError>(pubsub)
        })
        .await;
        let pubsub = match connected {
            Ok(Ok(pubsub)) => pubsub,
            Ok(Err(e)) => {
                if !down {
                    down = true;
                    tracing::warn!(error = %e, "push bus: cannot subscribe to Redis; pushes from other processes are missed until it is back");
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
            Err(_) => {
                down = true;
                tokio::time::sleep(backoff).await;
                continue;
            }
        };
        if down {
            tracing::warn!("push bus: subscribed to Redis again");
        }
        backoff = Duration::from_millis(100);
        let mut messages = pubsub.into_on_message();
        while let Some(msg) = messages.next().await {
            let Some(hub) = hub.upgrade() else { return };
            match Envelope::decode(msg.get_payload_bytes()) {
                Ok((from, push)) if from != origin => hub.deliver(&push),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "push bus: ignoring a malformed message"),
            }
        }
        // The stream ended: the connection dropped.
        down = true;
        tracing::warn!("push bus: lost the Redis subscription; reconnecting");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mizan_core::invalidation::Invalidation;
    use serde_json::{Value, json};

    fn push(caller: Option<&str>) -> Push {
        Push {
            invalidate: vec![Invalidation::Broad("notifications".into())],
            merge: vec![],
            function: Some("mark_all_read".into()),
            client: Some("tab-1".into()),
            caller: caller.map(str::to_owned),
        }
    }

    #[test]
    fn the_caller_travels_beside_the_push_and_is_restored() {
        let text = Envelope::encode("p1", push(Some("user-1"))).unwrap();
        let message: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(message["caller"], "user-1");
        assert_eq!(
            message["push"],
            json!({"invalidate": ["notifications"], "fn": "mark_all_read", "client": "tab-1"}),
            "the push itself never names its caller"
        );
        let (origin, decoded) = Envelope::decode(text.as_bytes()).unwrap();
        assert_eq!((origin.as_str(), decoded), ("p1", push(Some("user-1"))));
    }

    #[test]
    fn a_message_without_caller_is_from_an_anonymous_caller() {
        let old = br#"{"origin": "p0", "push": {"invalidate": ["notifications"], "client": "tab-1"}}"#;
        let (_, decoded) = Envelope::decode(old).unwrap();
        assert_eq!(decoded.caller, None);
        let text = Envelope::encode("p1", push(None)).unwrap();
        assert!(!text.contains("caller"), "{text}");
    }
}
