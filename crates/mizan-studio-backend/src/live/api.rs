//! The live tools' server functions (part of the studio's API, in its IR
//! like [`crate::api`]): environments and their status, the cache
//! inspector, the replay console and its history, the token tool.
//!
//! Lookups, explanations, scans and tokens are plain calls (they change
//! nothing the UI shows); switching environments, typing a secret and
//! sending a replay declare what they change, so the UI never refetches
//! by hand.

use super::inspect::{CacheLookup, KeyPage, MissExplanation, PurgeReport};
use super::session::{EnvironmentsView, LiveStatus, ReplayForm, ReplayHistory, ReplayOutcome, object};
use super::tokens::{self, DecodedToken, MintForm};
use crate::studio::Studio;
use mizan::{MizanError, RequestHandle};
use mizan_core::cache::policy::CacheRequest;
use std::sync::Arc;

/// The project's environments and the active one.
#[mizan::context("live")]
pub struct LiveCtx;
/// Whether the active environment's backend and Redis answer.
#[mizan::context("live_status")]
pub struct LiveStatusCtx;
/// The replay history (`.mizan/replays.jsonl`).
#[mizan::context("replays")]
pub struct ReplaysCtx;

fn studio<'a>(req: &RequestHandle<'a>) -> Result<&'a Arc<Studio>, MizanError> {
    req.state::<Arc<Studio>>()
}

fn invalid(e: String) -> MizanError {
    MizanError::bad_request(e)
}

fn root(req: &RequestHandle<'_>) -> Result<std::path::PathBuf, MizanError> {
    studio(req)?.root().map_err(|e| e.into_mizan())
}

/// The IR on screen and the project's cache options.
fn ir(req: &RequestHandle<'_>) -> Result<(Arc<crate::project::Snapshot>, mizan_core::cache::CacheOptions), MizanError> {
    let (snapshot, config) = studio(req)?.snapshot().map_err(|e| e.into_mizan())?;
    Ok((snapshot, config.cache))
}

/// The environments of `.mizan/studio.toml` (secrets by source only).
#[mizan::client(context = LiveCtx, cache = false)]
pub async fn environments(req: &RequestHandle<'_>) -> Result<EnvironmentsView, MizanError> {
    Ok(studio(req)?.live().view(&root(req)?))
}

/// Probes the active environment's backend (`GET {base}/session/`) and
/// Redis (`PING`), each bounded by a few seconds.
#[mizan::client(context = LiveStatusCtx, cache = false)]
pub async fn live_status(req: &RequestHandle<'_>) -> Result<LiveStatus, MizanError> {
    let root = root(req)?;
    Ok(studio(req)?.live().status(&root).await)
}

/// Makes `name` the active environment.
#[mizan::client(affects = [LiveCtx, LiveStatusCtx])]
pub async fn set_environment(req: &RequestHandle<'_>, name: String) -> Result<(), MizanError> {
    studio(req)?.live().set_active(&root(req)?, &name).map_err(invalid)
}

/// Keeps a secret typed into the studio for `environment`'s `slot`
/// (`cache_secret`, `redis_password`, `mwt:<kid>`) in memory until the
/// studio closes; an empty value forgets it. Never written anywhere.
#[mizan::client(affects = [LiveCtx, LiveStatusCtx])]
pub async fn set_secret(
    req: &RequestHandle<'_>,
    environment: String,
    slot: String,
    value: String,
) -> Result<(), MizanError> {
    let allowed = slot == super::environment::slot::CACHE_SECRET
        || slot == super::environment::slot::REDIS_PASSWORD
        || slot.strip_prefix("mwt:").is_some_and(|kid| !kid.is_empty());
    if !allowed {
        return Err(invalid(format!(
            "unknown secret slot `{slot}` (expected cache_secret, redis_password or mwt:<kid>)"
        )));
    }
    studio(req)?.live().secrets.set(&environment, &slot, &value);
    Ok(())
}

fn cache_request(
    context: String,
    params: &str,
    user: Option<String>,
    rev: Option<i64>,
) -> Result<CacheRequest, MizanError> {
    let rev = match rev {
        Some(r) => Some(u64::try_from(r).map_err(|_| invalid(format!("rev must be 0 or more, got {r}")))?),
        None => None,
    };
    Ok(CacheRequest {
        context,
        params: object("the params", params).map_err(invalid)?,
        user: user.filter(|u| !u.trim().is_empty()),
        rev,
    })
}

/// A request's key, message and policy and, against Redis (the form's
/// URL or the environment's), HIT or MISS with the stored entry. One
/// pipelined round trip; no `SCAN`.
#[mizan::client]
pub async fn cache_lookup(
    req: &RequestHandle<'_>,
    context: String,
    params: String,
    user: Option<String>,
    rev: Option<i64>,
    redis_url: Option<String>,
) -> Result<CacheLookup, MizanError> {
    let (snapshot, options) = ir(req)?;
    let root = root(req)?;
    let request = cache_request(context, &params, user, rev)?;
    let (inspector, _) = studio(req)?
        .live()
        .inspector(&root, &snapshot.parsed.ir, &options, redis_url.as_deref())
        .map_err(invalid)?;
    inspector.lookup(&request).await.map_err(invalid)
}

/// Why a lookup misses: the neighbours that would hit (other revs, users,
/// stringifications, optional params), else expired or purged — by which
/// recorded mutation when the replay history knows.
#[mizan::client]
pub async fn cache_explain(
    req: &RequestHandle<'_>,
    context: String,
    params: String,
    user: Option<String>,
    rev: Option<i64>,
    redis_url: Option<String>,
) -> Result<MissExplanation, MizanError> {
    let (snapshot, options) = ir(req)?;
    let root = root(req)?;
    let request = cache_request(context, &params, user, rev)?;
    let live = studio(req)?.live();
    let (inspector, _) = live
        .inspector(&root, &snapshot.parsed.ir, &options, redis_url.as_deref())
        .map_err(invalid)?;
    let hints = live.hints(&root);
    inspector
        .explain_miss(&snapshot.parsed.ir, &request, &hints)
        .await
        .map_err(invalid)
}

/// One `SCAN` step over a context's keys (`cursor` `"0"` starts; the
/// answer's cursor continues; `done` ends). Never `KEYS`.
#[mizan::client]
pub async fn cache_scan(
    req: &RequestHandle<'_>,
    context: String,
    cursor: String,
    count: Option<i64>,
    redis_url: Option<String>,
) -> Result<KeyPage, MizanError> {
    let (snapshot, options) = ir(req)?;
    let root = root(req)?;
    let cursor: u64 = cursor
        .trim()
        .parse()
        .map_err(|_| invalid(format!("cursor must be a number, got `{cursor}`")))?;
    let count = count.unwrap_or(500).clamp(1, 10_000) as usize;
    let (inspector, _) = studio(req)?
        .live()
        .inspector(&root, &snapshot.parsed.ir, &options, redis_url.as_deref())
        .map_err(invalid)?;
    inspector.scan(&context, cursor, count).await.map_err(invalid)
}

/// Purges one instance (`params` with every required param) or, with no
/// params, the whole context — through the origin cache's own purge, a
/// generation bump exactly as a mutation's. The UI asks first.
#[mizan::client]
pub async fn cache_purge(
    req: &RequestHandle<'_>,
    context: String,
    params: Option<String>,
    redis_url: Option<String>,
) -> Result<PurgeReport, MizanError> {
    let (snapshot, options) = ir(req)?;
    let root = root(req)?;
    let params = match params.filter(|p| !p.trim().is_empty()) {
        Some(p) => Some(object("the params", &p).map_err(invalid)?),
        None => None,
    };
    let (inspector, secret) = studio(req)?
        .live()
        .inspector(&root, &snapshot.parsed.ir, &options, redis_url.as_deref())
        .map_err(invalid)?;
    inspector
        .purge(&snapshot.parsed.ir, &options, &secret, &context, params)
        .await
        .map_err(invalid)
}

/// Sends a call to the live backend, compares the server's invalidation
/// with the IR's, and records it in the history.
#[mizan::client(affects = ReplaysCtx)]
pub async fn replay_send(req: &RequestHandle<'_>, form: ReplayForm) -> Result<ReplayOutcome, MizanError> {
    let (snapshot, options) = ir(req)?;
    let root = root(req)?;
    studio(req)?
        .live()
        .replay(&root, &snapshot.parsed.ir, &options, &form)
        .await
        .map_err(invalid)
}

/// Stops the replay sent with `request_id`; whether one was in flight.
#[mizan::client]
pub async fn replay_cancel(req: &RequestHandle<'_>, request_id: String) -> Result<bool, MizanError> {
    Ok(studio(req)?.live().cancel(&request_id))
}

/// The replay history, newest first (a torn line is skipped with a
/// warning).
#[mizan::client(context = ReplaysCtx, cache = false)]
pub async fn replay_history(req: &RequestHandle<'_>) -> Result<ReplayHistory, MizanError> {
    studio(req)?.live().history(&root(req)?).map_err(invalid)
}

/// Mints an MWT with the active environment's key ring.
#[mizan::client]
pub async fn token_mint(req: &RequestHandle<'_>, form: MintForm) -> Result<String, MizanError> {
    let live = studio(req)?.live();
    let env = live.active(&root(req)?);
    let token = tokens::mint(&env.ring, &env.audience, &form, mizan_core::mwt::unix_now()).map_err(invalid)?;
    live.remember_subject(form.sub.trim());
    Ok(token)
}

/// Takes a token apart and verifies it as the server would.
#[mizan::client]
pub async fn token_decode(req: &RequestHandle<'_>, token: String) -> Result<DecodedToken, MizanError> {
    let env = studio(req)?.live().active(&root(req)?);
    tokens::decode(&env.ring, &env.audience, &token, mizan_core::mwt::unix_now()).map_err(invalid)
}

/// The traffic timeline (as a filter shows it).
#[mizan::context("traffic")]
pub struct TrafficCtx;
/// One recorded event, explained.
#[mizan::context("traffic_event")]
pub struct TrafficEventCtx;

/// The timeline: the newest rows the filters keep (free `text`, `kind`
/// `call|fetch|push`, `status` `ok|error|<code>`, `principal`, `context`,
/// `function`; plain params, so the view is a GET), the counts (drift
/// included) and the proxy, when it runs.
#[allow(clippy::too_many_arguments)]
#[mizan::client(context = TrafficCtx, cache = false)]
pub async fn traffic_view(
    req: &RequestHandle<'_>,
    text: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    principal: Option<String>,
    context: Option<String>,
    function: Option<String>,
) -> Result<super::traffic::TrafficView, MizanError> {
    let studio = studio(req)?;
    let filter = super::traffic::TrafficFilter {
        text,
        context,
        function,
        principal,
        status,
        kind,
    };
    let mut view = studio.traffic().view(&filter, super::traffic::ROWS_SHOWN);
    view.proxy = studio.proxy_info();
    Ok(view)
}

/// One event with "why did this happen?" in a sentence, the graph path to
/// highlight, drift and what it caused.
#[mizan::client(context = TrafficEventCtx, cache = false)]
pub async fn traffic_detail(
    req: &RequestHandle<'_>,
    event: Option<i64>,
) -> Result<Option<super::traffic::TrafficDetail>, MizanError> {
    let studio = studio(req)?;
    let Some(id) = event.and_then(|e| u64::try_from(e).ok()) else {
        return Ok(None);
    };
    let snapshot = studio.snapshot().ok().map(|(s, _)| s);
    Ok(studio.traffic().detail(id, snapshot.as_ref().map(|s| &s.parsed.ir)))
}

/// Starts the recording proxy in front of `target` (empty: the active
/// environment's base URL); point a frontend at the answer's `url`.
#[mizan::client(affects = [TrafficCtx, TrafficSummaryCtx])]
pub async fn proxy_start(
    req: &RequestHandle<'_>,
    target: Option<String>,
) -> Result<super::traffic::ProxyInfo, MizanError> {
    let studio = studio(req)?;
    let target = match target.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
        Some(t) => t,
        None => studio
            .live()
            .active(&root(req)?)
            .base_url
            .ok_or_else(|| invalid("no target: type a base URL or give the environment one".into()))?,
    };
    studio.start_proxy(&target).await.map_err(invalid)
}

/// Stops the proxy; whether one ran.
#[mizan::client(affects = [TrafficCtx, TrafficSummaryCtx])]
pub async fn proxy_stop(req: &RequestHandle<'_>) -> Result<bool, MizanError> {
    Ok(studio(req)?.stop_proxy())
}

/// Pauses (nothing is kept) or resumes recording.
#[mizan::client(affects = [TrafficCtx, TrafficSummaryCtx])]
pub async fn traffic_pause(req: &RequestHandle<'_>, paused: bool) -> Result<(), MizanError> {
    studio(req)?.traffic().set_paused(paused);
    Ok(())
}

/// Forgets the recorded events.
#[mizan::client(affects = [TrafficCtx, TrafficEventCtx, TrafficSummaryCtx])]
pub async fn traffic_clear(req: &RequestHandle<'_>) -> Result<(), MizanError> {
    studio(req)?.traffic().clear();
    Ok(())
}

/// How many events are kept (the oldest go first; at least 100).
#[mizan::client(affects = [TrafficCtx, TrafficSummaryCtx])]
pub async fn traffic_capacity(req: &RequestHandle<'_>, events: i64) -> Result<(), MizanError> {
    let n = usize::try_from(events).map_err(|_| invalid(format!("events must be positive, got {events}")))?;
    studio(req)?.traffic().set_capacity(n);
    Ok(())
}

/// The session as JSON lines (no secrets: tokens were never recorded).
#[mizan::client]
pub async fn traffic_export(req: &RequestHandle<'_>) -> Result<String, MizanError> {
    Ok(studio(req)?.traffic().export())
}

/// Opens an exported session (replacing what is shown); the lines that
/// were not events are named.
#[mizan::client(affects = [TrafficCtx, TrafficEventCtx, TrafficSummaryCtx])]
pub async fn traffic_import(req: &RequestHandle<'_>, text: String) -> Result<Vec<String>, MizanError> {
    let (n, mut problems) = studio(req)?.traffic().import(&text);
    if n == 0 && !problems.is_empty() {
        return Err(invalid(format!("no events in this file: {}", problems.join("; "))));
    }
    problems.insert(0, format!("{n} events opened"));
    Ok(problems)
}

/// The counts the status bar shows (its own context: the timeline's rows
/// do not travel to it).
#[mizan::context("traffic_summary")]
pub struct TrafficSummaryCtx;

/// How many events are kept, how many calls drift from the IR, and the
/// proxy.
#[mizan::client(context = TrafficSummaryCtx, cache = false)]
pub async fn traffic_counts(req: &RequestHandle<'_>) -> Result<super::traffic::TrafficView, MizanError> {
    let studio = studio(req)?;
    let mut view = studio.traffic().view(&Default::default(), 0);
    view.proxy = studio.proxy_info();
    Ok(view)
}

/// The running apps that offer a devtools tap (their discovery files;
/// secrets stay in the files).
#[mizan::client]
pub async fn tap_list(req: &RequestHandle<'_>) -> Result<Vec<crate::studio::TapApp>, MizanError> {
    studio(req)?.tap_apps().map_err(invalid)
}

/// Attaches to the app with `pid`: its calls, fetches (with the cache's
/// reason) and pushes join the timeline.
#[mizan::client(affects = [TrafficCtx, TrafficSummaryCtx])]
pub async fn tap_attach(req: &RequestHandle<'_>, pid: i64) -> Result<crate::studio::TapApp, MizanError> {
    let pid = u32::try_from(pid).map_err(|_| invalid(format!("no process {pid}")))?;
    studio(req)?.attach_tap(pid).await.map_err(invalid)
}

/// Stops recording the app with `pid`; whether it was attached.
#[mizan::client(affects = [TrafficCtx, TrafficSummaryCtx])]
pub async fn tap_detach(req: &RequestHandle<'_>, pid: i64) -> Result<bool, MizanError> {
    Ok(u32::try_from(pid).is_ok_and(|pid| studio(req).is_ok_and(|s| s.detach_tap(pid))))
}

/// Runs a call in the attached app with `pid` through its devtools
/// channel (for an app the studio cannot reach over HTTP: a Tauri app's
/// IPC functions). Its event joins the timeline, with its drift.
#[mizan::client(affects = [TrafficCtx, TrafficSummaryCtx])]
pub async fn tap_replay(
    req: &RequestHandle<'_>,
    pid: i64,
    function: String,
    args: String,
    token: Option<String>,
) -> Result<crate::studio::TapReplay, MizanError> {
    let pid = u32::try_from(pid).map_err(|_| invalid(format!("no process {pid}")))?;
    let args = object("the arguments", &args).map_err(invalid)?;
    studio(req)?
        .replay_through_tap(pid, &function, args, token)
        .await
        .map_err(invalid)
}
