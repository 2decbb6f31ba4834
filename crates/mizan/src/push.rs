//! The push hub (SPEC §3.1): every commit, to every connected client that
//! may read what it touched — transport-independent.
//!
//! [`PushHub`] is a notify-stage [`CommitHook`], so it hears of every
//! successful mutation on any transport (and of `Registry::publish`) after
//! the origin cache was purged. Adapters (`mizan-axum`'s `/ws/`,
//! `mizan-tauri`'s channel) [`subscribe`](PushHub::subscribe) one
//! [`Subscription`] per connection and write its frames out.
//!
//! * **Auth filtering**: an entry for a context is delivered only when the
//!   subscriber's principal may read the context (every member public and
//!   passing its auth level, exactly what a fetch checks); a push with no
//!   visible entry is not sent.
//! * **Nothing the cache would not serve** (SPEC §3.1): the subscribers of
//!   the caller's principal — the same `u` in the cache key, anonymous
//!   included — get the push as it is. Everyone else gets it without the
//!   `client` id (nobody can make another user's client skip a push), and
//!   a merge into a personal context (one whose members require an auth
//!   level, [`Registry::is_personal`]) becomes an invalidation of the same
//!   instance: the origin cache purged their copy too, so they refetch
//!   their own data instead of receiving the caller's.
//! * **Watch**: a subscriber may restrict itself to some contexts.
//! * **Slow consumers are dropped**: each subscription has a bounded queue;
//!   when it is full the subscription ends (its stream closes and
//!   [`Subscription::dropped`] is true) instead of growing without bound.
//! * **Several processes**: a [`PushBus`] (e.g. Redis pub/sub in
//!   `mizan-axum`) carries each local commit to the other processes — with
//!   [`Push::caller`], which frames never carry, so they filter alike — and
//!   they hand it to [`PushHub::deliver`]; delivery never waits for the bus.
//!
//! It never spawns and never blocks: delivery is a `try_send` per
//! subscriber.

use crate::commit::{Commit, CommitHook, Stage};
use crate::{Extensions, Principal, Registry};
use futures::channel::mpsc;
use futures::future::BoxFuture;
use futures::stream::Stream;
use mizan_core::invalidation::{Invalidation, MergeEntry, ScopedInvalidation};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

/// Default queue length of one subscription.
pub const DEFAULT_QUEUE: usize = 256;

/// One push as the SPEC's wire object (without `"op": "push"`, which
/// [`Push::to_frame`] adds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Push {
    /// What to refetch.
    pub invalidate: Vec<Invalidation>,
    /// What to patch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merge: Vec<MergeEntry>,
    /// The mutation that caused it (absent for a publish).
    #[serde(rename = "fn", default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The client whose call caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The caller's principal id ([`Commit::caller`]): who may see the
    /// `client` id and merges into personal contexts. Never serialized —
    /// not in frames, not in `serde` output; a [`PushBus`] carries it
    /// beside the push.
    #[serde(skip)]
    pub caller: Option<String>,
}

impl Push {
    /// The push of a commit.
    pub fn of(commit: &Commit) -> Push {
        Push {
            invalidate: commit.invalidate.clone(),
            merge: commit.merge.clone(),
            function: commit.function.clone(),
            client: commit.client.clone(),
            caller: commit.caller.clone(),
        }
    }

    /// The push as a subscriber of another principal than the caller may
    /// see it: no `client` id, and each merge into a personal context
    /// replaced by an invalidation of the same instance (kept once).
    /// Borrowed when that changes nothing.
    pub fn for_others(&self, registry: &Registry) -> Cow<'_, Push> {
        let personal = |m: &MergeEntry| registry.is_personal(&m.context);
        if self.client.is_none() && !self.merge.iter().any(personal) {
            return Cow::Borrowed(self);
        }
        let mut invalidate = self.invalidate.clone();
        let mut merge = Vec::with_capacity(self.merge.len());
        for m in &self.merge {
            if !personal(m) {
                merge.push(m.clone());
                continue;
            }
            let entry = match &m.params {
                Some(params) if !params.is_empty() => Invalidation::Scoped(ScopedInvalidation {
                    context: m.context.clone(),
                    function: None,
                    params: Some(params.clone()),
                }),
                _ => Invalidation::Broad(m.context.clone()),
            };
            if !invalidate.contains(&entry) {
                invalidate.push(entry);
            }
        }
        Cow::Owned(Push {
            invalidate,
            merge,
            function: self.function.clone(),
            client: None,
            caller: self.caller.clone(),
        })
    }

    /// The JSON text frame: `{"op":"push","invalidate":[...],...}`.
    pub fn to_frame(&self) -> Arc<str> {
        #[derive(Serialize)]
        struct Frame<'a> {
            op: &'static str,
            #[serde(flatten)]
            push: &'a Push,
        }
        let text = serde_json::to_string(&Frame { op: "push", push: self }).unwrap_or_default();
        Arc::from(text)
    }

    fn contexts(&self) -> impl Iterator<Item = &str> {
        self.invalidate
            .iter()
            .map(Invalidation::context)
            .chain(self.merge.iter().map(|m| m.context.as_str()))
    }
}

/// Carries local commits to other processes.
pub trait PushBus: Send + Sync + 'static {
    /// Sends `push` to the other processes; must not block (queue it).
    fn publish(&self, push: &Push);
}

/// Who a subscription is for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience {
    /// The connection's principal (`None`: anonymous).
    pub principal: Option<Principal>,
    /// Only these contexts (`None`: all).
    pub watch: Option<BTreeSet<String>>,
}

struct Subscriber {
    audience: Arc<Mutex<Audience>>,
    sender: mpsc::Sender<Arc<str>>,
    dropped: Arc<AtomicBool>,
}

/// The hub: subscribers and what they may read.
pub struct PushHub {
    registry: Weak<Registry>,
    extensions: Arc<Extensions>,
    subscribers: Mutex<HashMap<u64, Subscriber>>,
    next_id: AtomicU64,
    queue: usize,
    bus: Mutex<Option<Arc<dyn PushBus>>>,
}

impl std::fmt::Debug for PushHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushHub")
            .field("subscribers", &self.subscriber_count())
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

impl PushHub {
    /// A hub for `registry`'s commits; `extensions` are what custom auth
    /// predicates see when a push is filtered.
    pub fn attach(registry: &Arc<Registry>, extensions: Arc<Extensions>) -> Arc<PushHub> {
        Self::attach_with_queue(registry, extensions, DEFAULT_QUEUE)
    }

    /// [`attach`](Self::attach) with a per-subscription queue of `queue`
    /// frames.
    pub fn attach_with_queue(registry: &Arc<Registry>, extensions: Arc<Extensions>, queue: usize) -> Arc<PushHub> {
        let hub = Arc::new(PushHub {
            registry: Arc::downgrade(registry),
            extensions,
            subscribers: Mutex::default(),
            next_id: AtomicU64::new(0),
            queue: queue.max(1),
            bus: Mutex::new(None),
        });
        registry.add_hook(hub.clone());
        hub
    }

    /// Carries local commits to other processes from now on.
    pub fn set_bus(&self, bus: Arc<dyn PushBus>) {
        *self.bus.lock().unwrap_or_else(|p| p.into_inner()) = Some(bus);
    }

    /// Opens a subscription for `audience`.
    pub fn subscribe(&self, audience: Audience) -> Subscription {
        // A futures channel holds `buffer + senders` messages: one sender.
        let (sender, receiver) = mpsc::channel(self.queue - 1);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let audience = Arc::new(Mutex::new(audience));
        let dropped = Arc::new(AtomicBool::new(false));
        self.lock().insert(
            id,
            Subscriber {
                audience: audience.clone(),
                sender,
                dropped: dropped.clone(),
            },
        );
        Subscription {
            id,
            receiver,
            audience,
            dropped,
        }
    }

    /// Ends a subscription (adapters call it when the connection closes;
    /// dropping the [`Subscription`] alone is noticed at the next push).
    pub fn unsubscribe(&self, subscription: &Subscription) {
        self.unsubscribe_id(subscription.id);
    }

    /// Ends the subscription with this [`Subscription::id`].
    pub fn unsubscribe_id(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// How many subscriptions are open.
    pub fn subscriber_count(&self) -> usize {
        self.lock().len()
    }

    /// Delivers `push` to every local subscriber that may see some of it
    /// (what a bus calls for pushes from other processes): the caller's
    /// principal gets it whole, others [`Push::for_others`].
    pub fn deliver(&self, push: &Push) {
        self.deliver_from(push, None, true);
    }

    /// [`deliver`](Self::deliver) of a local commit (`remote` false) or a
    /// bus message; `cause` is the devtools tap's commit event and call.
    fn deliver_from(&self, push: &Push, cause: Option<(u64, Option<u64>)>, remote: bool) {
        let Some(registry) = self.registry.upgrade() else {
            return;
        };
        #[cfg(not(feature = "devtools"))]
        let _ = (cause, remote);
        #[cfg(feature = "devtools")]
        let mut delivered = 0usize;
        let own = View::new(Cow::Borrowed(push));
        let others = OnceCell::new();
        let mut subscribers = self.lock();
        subscribers.retain(|_, sub| {
            if sub.sender.is_closed() {
                return false;
            }
            let audience = sub.audience.lock().unwrap_or_else(|p| p.into_inner());
            let view = if audience.principal.as_ref().map(|p| p.id.as_str()) == push.caller.as_deref() {
                &own
            } else {
                others.get_or_init(|| View::new(push.for_others(&registry)))
            };
            let visible: BTreeSet<&str> = view
                .contexts
                .iter()
                .map(String::as_str)
                .filter(|c| audience.watch.as_ref().is_none_or(|w| w.contains(*c)))
                .filter(|c| registry.may_read(c, audience.principal.as_ref(), &self.extensions))
                .collect();
            drop(audience);
            if visible.is_empty() {
                return true;
            }
            let frame = if visible.len() == view.contexts.len() {
                view.frame()
            } else {
                restricted(&view.push, &visible).to_frame()
            };
            match sub.sender.try_send(frame) {
                Ok(()) => {
                    #[cfg(feature = "devtools")]
                    {
                        delivered += 1;
                    }
                    true
                }
                Err(e) if e.is_full() => {
                    sub.dropped.store(true, Ordering::Relaxed);
                    tracing::warn!("push subscriber dropped: its queue is full (slow consumer)");
                    false
                }
                Err(_) => false,
            }
        });
        drop(subscribers);
        #[cfg(feature = "devtools")]
        if registry.tap().is_attached() {
            registry.tap().pushed(push, cause, delivered, remote);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Subscriber>> {
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One version of a push being delivered: its contexts, and its frame
/// serialized once for every subscriber that sees all of it.
struct View<'a> {
    push: Cow<'a, Push>,
    contexts: BTreeSet<String>,
    frame: OnceCell<Arc<str>>,
}

impl<'a> View<'a> {
    fn new(push: Cow<'a, Push>) -> Self {
        let contexts = push.contexts().map(str::to_owned).collect();
        View {
            push,
            contexts,
            frame: OnceCell::new(),
        }
    }

    fn frame(&self) -> Arc<str> {
        self.frame.get_or_init(|| self.push.to_frame()).clone()
    }
}

fn restricted(push: &Push, visible: &BTreeSet<&str>) -> Push {
    Push {
        invalidate: push
            .invalidate
            .iter()
            .filter(|i| visible.contains(i.context()))
            .cloned()
            .collect(),
        merge: push
            .merge
            .iter()
            .filter(|m| visible.contains(m.context.as_str()))
            .cloned()
            .collect(),
        function: push.function.clone(),
        client: push.client.clone(),
        caller: push.caller.clone(),
    }
}

impl CommitHook for PushHub {
    fn stage(&self) -> Stage {
        Stage::Notify
    }

    fn committed<'a>(&'a self, commit: &'a Commit) -> BoxFuture<'a, ()> {
        let push = Push::of(commit);
        #[cfg(feature = "devtools")]
        let cause = self.registry.upgrade().and_then(|r| r.tap().cause_of(commit));
        #[cfg(not(feature = "devtools"))]
        let cause = None;
        self.deliver_from(&push, cause, false);
        let bus = self.bus.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(bus) = bus {
            bus.publish(&push);
        }
        Box::pin(std::future::ready(()))
    }
}

/// One subscriber's stream of push frames (JSON text).
pub struct Subscription {
    id: u64,
    receiver: mpsc::Receiver<Arc<str>>,
    audience: Arc<Mutex<Audience>>,
    dropped: Arc<AtomicBool>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// Its id in the hub.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// From now on, only pushes touching these contexts (`None`: all).
    pub fn watch(&self, contexts: Option<BTreeSet<String>>) {
        self.audience.lock().unwrap_or_else(|p| p.into_inner()).watch = contexts;
    }

    /// From now on, filter for this principal (after an `auth` frame).
    pub fn set_principal(&self, principal: Option<Principal>) {
        self.audience.lock().unwrap_or_else(|p| p.into_inner()).principal = principal;
    }

    /// Whether the hub ended this subscription because its queue was full.
    pub fn dropped(&self) -> bool {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Stream for Subscription {
    type Item = Arc<str>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Arc<str>>> {
        Pin::new(&mut self.receiver).poll_next(cx)
    }
}
