//! Transport-independent dispatch: call a function or fetch a context the
//! same way over HTTP, IPC or in-process. Auth and privacy are enforced
//! here, before any body runs; unknown or ill-typed arguments are
//! `VALIDATION_ERROR`s; a panicking handler becomes `INTERNAL_ERROR` and the
//! server keeps running.

use crate::commit::Commit;
use crate::registry::{FunctionEntry, Registry};
use crate::{MizanError, Origin, Principal, RequestHandle};
use futures::FutureExt;
use mizan_core::invalidation::Resolution;
use mizan_core::ir::{Auth, Function};
use mizan_core::wire::{CallResponse, ContextBundle};
use serde_json::{Map, Value};
use std::panic::AssertUnwindSafe;
use tracing::Instrument;

impl Registry {
    /// Calls `function` with `args` and resolves what it invalidates.
    pub async fn call(
        &self,
        req: &RequestHandle<'_>,
        function: &str,
        args: &Map<String, Value>,
    ) -> Result<CallResponse, MizanError> {
        #[cfg(feature = "devtools")]
        if let Some(started) = self.tap.start() {
            let outcome = self.call_untraced(req, function, args, Some(started.id)).await;
            self.tap.call_done(started, req, function, args, &outcome);
            return outcome;
        }
        self.call_untraced(req, function, args, None).await
    }

    /// [`call`](Self::call) without the tap's event; `call` names the
    /// traced call its commit belongs to.
    async fn call_untraced(
        &self,
        req: &RequestHandle<'_>,
        function: &str,
        args: &Map<String, Value>,
        call: Option<u64>,
    ) -> Result<CallResponse, MizanError> {
        let (meta, entry) = self.lookup(function)?;
        if meta.private && req.origin() != Origin::Internal {
            return Err(MizanError::forbidden(format!(
                "`{function}` cannot be called by clients"
            )));
        }
        authorize(meta, entry, req)?;
        reject_unknown(args, meta.params.iter().map(|p| p.name.as_str()), "argument")?;
        let result = run(entry, req, args).await?;
        // Reads resolve to nothing: skip the index on their (hot) path.
        let resolution = if meta.is_mutation() {
            self.index
                .resolve(function, args, &result)
                .unwrap_or_else(|_| Resolution::default())
        } else {
            Resolution::default()
        };
        if !(resolution.invalidate.is_empty() && resolution.merge.is_empty()) {
            self.commit_from(
                Commit {
                    function: Some(function.to_owned()),
                    origin: req.origin(),
                    client: req.client().map(str::to_owned),
                    caller: req.principal().map(|p| p.id.clone()),
                    invalidate: resolution.invalidate.clone(),
                    merge: resolution.merge.clone(),
                },
                call,
            )
            .await;
        }
        Ok(CallResponse::new(result, resolution))
    }

    /// Fetches every member of `context` with `params` (each member gets the
    /// params it takes). Keys of the bundle are sorted.
    pub async fn fetch(
        &self,
        req: &RequestHandle<'_>,
        context: &str,
        params: &Map<String, Value>,
    ) -> Result<ContextBundle, MizanError> {
        #[cfg(feature = "devtools")]
        if let Some(started) = self.tap.start() {
            let outcome = self.fetch_untraced(req, context, params).await;
            self.tap
                .fetch_done(started, req, context, params, outcome.as_ref().map(|_| (None, None)));
            return outcome;
        }
        self.fetch_untraced(req, context, params).await
    }

    async fn fetch_untraced(
        &self,
        req: &RequestHandle<'_>,
        context: &str,
        params: &Map<String, Value>,
    ) -> Result<ContextBundle, MizanError> {
        let plan = self.plan_fetch(req, context, params)?;
        self.run_fetch(req, plan).await
    }

    /// Checks a fetch before anything runs or is looked up: the context
    /// exists, the params are known, the caller may read every member.
    pub(crate) fn plan_fetch(
        &self,
        req: &RequestHandle<'_>,
        context: &str,
        params: &Map<String, Value>,
    ) -> Result<FetchPlan, MizanError> {
        let ctx = self
            .ir
            .context(context)
            .ok_or_else(|| MizanError::not_found(format!("no context `{context}`")))?;
        reject_unknown(params, ctx.params.iter().map(|p| p.name.as_str()), "context param")?;
        let mut members = Vec::with_capacity(ctx.members.len());
        for name in &ctx.members {
            let (meta, entry) = self.lookup(name)?;
            // Refusals name the context asked for, never one of its members
            // (a private member's name is server-internal).
            if meta.private && req.origin() != Origin::Internal {
                return Err(MizanError::forbidden(format!(
                    "context `{context}` cannot be fetched by clients"
                )));
            }
            authorize(meta, entry, req).map_err(|e| match e.code {
                mizan_core::wire::ErrorCode::Forbidden => {
                    MizanError::forbidden(format!("not allowed to fetch context `{context}`"))
                }
                _ => e,
            })?;
            let own: Map<String, Value> = params
                .iter()
                .filter(|(k, _)| meta.param(k).is_some())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            members.push((name.clone(), entry, own));
        }
        Ok(FetchPlan { members })
    }

    /// Runs every member of a planned fetch.
    pub(crate) async fn run_fetch(
        &self,
        req: &RequestHandle<'_>,
        plan: FetchPlan,
    ) -> Result<ContextBundle, MizanError> {
        let members = plan.members;
        let results = futures::future::join_all(members.iter().map(|(_, entry, own)| run(entry, req, own))).await;
        let mut bundle = ContextBundle::new();
        for ((name, _, _), result) in members.into_iter().zip(results) {
            bundle.insert(name, result?);
        }
        Ok(bundle)
    }

    /// Turns query-string values into the declared primitive types of the
    /// context's params (integer, number, boolean, string; `optional<T>` as
    /// `T`; other shapes as JSON text). A value that does not coerce is a
    /// `VALIDATION_ERROR` naming the param.
    pub fn coerce_query<'q>(
        &self,
        context: &str,
        query: impl IntoIterator<Item = (&'q str, &'q str)>,
    ) -> Result<Map<String, Value>, MizanError> {
        mizan_core::query::coerce_query(&self.ir, context, query).map_err(|e| match e {
            mizan_core::query::QueryError::UnknownContext(_) => {
                MizanError::not_found(format!("no context `{context}`"))
            }
            mizan_core::query::QueryError::Invalid(errors) => MizanError::validation(errors),
        })
    }

    /// Whether a client `principal` may read `context`: every member is
    /// public and passes [`authorize`] (what a fetch would check). Used to
    /// filter pushes per connection (SPEC §3.1).
    pub fn may_read(&self, context: &str, principal: Option<&Principal>, extensions: &crate::Extensions) -> bool {
        let req = RequestHandle::new(Origin::Http, principal, extensions);
        let mut members = self.ir.members_of(context).peekable();
        members.peek().is_some()
            && members.all(|meta| {
                !meta.private
                    && self
                        .entries
                        .get(meta.name.as_str())
                        .is_some_and(|&(_, entry)| authorize(meta, entry, &req).is_ok())
            })
    }

    /// Whether `context` is personal: some member requires an auth level,
    /// so what it returns depends on who asks (its cache keys carry the
    /// user). A merge into it is pushed as a value only to the caller's
    /// connections (SPEC §3.1).
    pub fn is_personal(&self, context: &str) -> bool {
        self.ir.members_of(context).any(|meta| meta.auth != Auth::None)
    }

    fn lookup(&self, name: &str) -> Result<(&Function, &'static FunctionEntry), MizanError> {
        self.entries
            .get(name)
            .and_then(|&(i, entry)| Some((self.ir.functions.get(i)?, entry)))
            .ok_or_else(|| MizanError::not_found(format!("no function `{name}`")))
    }
}

/// A fetch that passed its checks: each member with its own params.
pub(crate) struct FetchPlan {
    members: Vec<(String, &'static FunctionEntry, Map<String, Value>)>,
}

fn reject_unknown<'n>(
    given: &Map<String, Value>,
    known: impl Iterator<Item = &'n str> + Clone,
    what: &str,
) -> Result<(), MizanError> {
    let unknown: Vec<(String, Vec<String>)> = given
        .keys()
        .filter(|k| !known.clone().any(|n| n == k.as_str()))
        .map(|k| (k.clone(), vec![format!("unknown {what}")]))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(MizanError::validation(unknown))
    }
}

/// Auth before the body runs: 401 without a principal, 403 with the wrong
/// one.
fn authorize(meta: &Function, entry: &FunctionEntry, req: &RequestHandle<'_>) -> Result<(), MizanError> {
    let principal = req.principal();
    let allowed = match (&meta.auth, principal) {
        (Auth::None, _) => return Ok(()),
        (_, None) if req.origin() != Origin::Internal => {
            return Err(MizanError::unauthorized("authentication required"));
        }
        (_, None) => true,
        (Auth::Required, Some(_)) => true,
        (Auth::Staff, Some(p)) => p.staff || p.superuser,
        (Auth::Superuser, Some(p)) => p.superuser,
        (Auth::Predicate(_), Some(_)) => entry.predicate.is_some_and(|check| check(req)),
    };
    if allowed {
        Ok(())
    } else {
        Err(MizanError::forbidden(format!("not allowed to call `{}`", meta.name)))
    }
}

/// Runs a handler, turning a panic into `INTERNAL_ERROR`.
async fn run(entry: &FunctionEntry, req: &RequestHandle<'_>, args: &Map<String, Value>) -> Result<Value, MizanError> {
    let span = tracing::debug_span!("mizan_call", function = entry.name);
    let outcome = AssertUnwindSafe((entry.call)(req, args))
        .catch_unwind()
        .instrument(span)
        .await;
    // An INTERNAL_ERROR's message and details (whatever the handler put
    // there) go to the log under a request id; the client gets the id.
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(mut e)) => {
            if let Some(request_id) = e.seal_internal() {
                let detail = e.internal.as_deref().unwrap_or("");
                tracing::error!(
                    function = entry.name,
                    request_id,
                    error = detail,
                    "server function failed"
                );
            }
            Err(e)
        }
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned());
            let mut e = MizanError::internal(format!("`{}` panicked: {detail}", entry.name));
            let request_id = e.seal_internal();
            tracing::error!(function = entry.name, request_id, panic = %detail, "server function panicked");
            Err(e)
        }
    }
}
