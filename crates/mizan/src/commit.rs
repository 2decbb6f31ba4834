//! The one "after a successful mutation" point of the runtime.
//!
//! Every successful call whose resolved `invalidate` or `merge` is
//! non-empty — over any transport, server-side calls of private functions
//! included — and every [`Registry::publish`] of the application's own
//! changes becomes a [`Commit`], handed to every [`CommitHook`] before the
//! caller gets its answer: first the [`Stage::Purge`] hooks (the origin
//! cache), then the [`Stage::Notify`] hooks (the push hub), so a client
//! refetching on a push never reads a stale cache entry.

use crate::{Origin, Registry};
use futures::future::BoxFuture;
use mizan_core::invalidation::{Invalidation, MergeEntry};
use serde::Serialize;
use std::sync::Arc;

/// What a successful mutation (or a publish) changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commit {
    /// The mutation, `None` for [`Registry::publish`].
    #[serde(rename = "fn", skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The transport of the call (`Internal` for a publish).
    #[serde(skip)]
    pub origin: Origin,
    /// The calling client's id, if it sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The calling principal's id (`None`: an anonymous caller, or the
    /// server itself — a publish, an internal call). Pushes show the
    /// `client` id and merges into personal contexts only to this
    /// principal's connections (SPEC §3.1). Never serialized.
    #[serde(skip)]
    pub caller: Option<String>,
    /// What to refetch.
    pub invalidate: Vec<Invalidation>,
    /// What to patch.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merge: Vec<MergeEntry>,
}

/// When a hook runs relative to the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Caches: run first.
    Purge,
    /// Listeners (push): run after every purge hook.
    Notify,
}

/// Something that must hear of every commit.
pub trait CommitHook: Send + Sync + 'static {
    /// When it runs.
    fn stage(&self) -> Stage;

    /// Handles one commit. Must not fail the call: log instead.
    fn committed<'a>(&'a self, commit: &'a Commit) -> BoxFuture<'a, ()>;
}

impl Registry {
    /// Adds a hook that hears of every commit from now on.
    pub fn add_hook(&self, hook: Arc<dyn CommitHook>) {
        let mut hooks = self.hooks.write().unwrap_or_else(|p| p.into_inner());
        hooks.push(hook);
        hooks.sort_by_key(|h| h.stage());
    }

    /// Tells every hook (the origin cache, the push hub) about a change
    /// made outside Mizan — a cron job, a database trigger: the same
    /// purges and pushes as a mutation that invalidated the same entries.
    pub async fn publish(&self, invalidate: Vec<Invalidation>, merge: Vec<MergeEntry>) {
        self.commit(Commit {
            function: None,
            origin: Origin::Internal,
            client: None,
            caller: None,
            invalidate,
            merge,
        })
        .await;
    }

    /// Runs every hook on `commit`, purge hooks first.
    pub(crate) async fn commit(&self, commit: Commit) {
        self.commit_from(commit, None).await;
    }

    /// [`commit`](Self::commit) of the call the devtools tap knows as
    /// `call` (so its commit and push events name it).
    pub(crate) async fn commit_from(&self, commit: Commit, call: Option<u64>) {
        if commit.invalidate.is_empty() && commit.merge.is_empty() {
            return;
        }
        #[cfg(feature = "devtools")]
        let traced = self.tap.is_attached();
        #[cfg(feature = "devtools")]
        if traced {
            self.tap.commit_started(&commit, call);
        }
        #[cfg(not(feature = "devtools"))]
        let _ = call;
        let hooks: Vec<Arc<dyn CommitHook>> = self.hooks.read().unwrap_or_else(|p| p.into_inner()).clone();
        for hook in hooks {
            hook.committed(&commit).await;
        }
        #[cfg(feature = "devtools")]
        if traced {
            self.tap.commit_ended(&commit);
        }
    }
}
