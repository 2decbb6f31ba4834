//! What the live tools keep while the studio runs (memory only): typed
//! secrets, the active environment, Redis connections, replays in flight
//! (to cancel them), the subjects of minted tokens (users worth trying
//! when a lookup misses). And the operations the API calls, on the open
//! project's IR.

use super::environment::{self, Environment, ProcessVars, Resolved, SessionSecrets};
use super::history::{self, Entry};
use super::inspect::{Hints, Inspector, RecordedPurge};
use super::replay::{self, Comparison, Outgoing};
use mizan::Mizan;
use mizan_core::cache::RedisCache;
use mizan_core::cache::policy::{CacheOptions, CachePolicies};
use mizan_core::cache_key::CacheKeyer;
use mizan_core::invalidation::Invalidation;
use mizan_core::ir::Ir;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Entries the Replay tab lists.
pub const HISTORY_SHOWN: usize = 200;

/// The live tools' state.
#[derive(Default)]
pub struct LiveState {
    /// Secrets typed into the studio.
    pub secrets: SessionSecrets,
    active: Mutex<HashMap<std::path::PathBuf, String>>,
    /// By full URL (it may carry a password: memory only).
    redis: Mutex<HashMap<String, Arc<RedisCache>>>,
    in_flight: Mutex<HashMap<String, tokio::sync::oneshot::Sender<()>>>,
    subjects: Mutex<Vec<String>>,
}

impl std::fmt::Debug for LiveState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveState").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One environment as the UI shows it (no secret values).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvironmentView {
    /// Its name.
    pub name: String,
    /// Base URL.
    pub base_url: String,
    /// Redis URL (no credentials).
    pub redis_url: String,
    /// The MWT audience.
    pub audience: String,
    /// Each secret and where it comes from (`cache secret: $AFI_CACHE`).
    pub secrets: Vec<SecretStatus>,
}

/// Where one secret comes from.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretStatus {
    /// The slot (`cache_secret`, `redis_password`, `mwt:<kid>`).
    pub slot: String,
    /// In words.
    pub label: String,
    /// Its source (never the value).
    pub source: String,
    /// Whether a value is available.
    pub set: bool,
}

/// The project's environments.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvironmentsView {
    /// `.mizan/studio.toml`.
    pub file: String,
    /// Why the file could not be read (the environments are then empty).
    pub error: String,
    /// The environments (an implicit `default` when the file has none).
    pub environments: Vec<EnvironmentView>,
    /// The active one's name.
    pub active: String,
}

/// Whether something answers.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct Probe {
    /// `ok`, `down` or `none` (not configured).
    pub state: String,
    /// What was asked and the error when down.
    pub detail: String,
    /// Round trip in ms.
    pub ms: f64,
}

/// The status bar's view of the active environment.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct LiveStatus {
    /// The active environment.
    pub environment: String,
    /// Its backend.
    pub backend: Probe,
    /// Its Redis.
    pub redis: Probe,
}

/// A header to send with a replay.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderPair {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// An instance a client has mounted (for the refetch/patch plan).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct MountedInstance {
    /// The context.
    pub context: String,
    /// Its params, JSON text (`{"user_id": 5}`).
    pub params: String,
}

/// What the Replay tab sends.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayForm {
    /// The function.
    pub function: String,
    /// Its arguments, JSON text.
    pub args: String,
    /// The base URL (empty: the active environment's).
    pub base_url: String,
    /// Over the app's `/ws/` instead of `POST /call/`.
    pub websocket: bool,
    /// Extra headers.
    pub headers: Vec<HeaderPair>,
    /// An `X-Mizan-Token` to send.
    pub token: Option<String>,
    /// Keep the token and secret headers in the history for this entry.
    pub keep_secrets: bool,
    /// Instances to plan refetches and patches for.
    pub mounted: Vec<MountedInstance>,
    /// Names this request so `replay_cancel` can stop it.
    pub request_id: Option<String>,
    /// Bound on the exchange in ms (default 30 s).
    pub timeout_ms: Option<i64>,
}

/// One entry of the comparison table.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct CompareRow {
    /// `user;user_id=5` or `merge items.items_list`.
    pub entry: String,
    /// Predicted by the IR.
    pub predicted: bool,
    /// In the body.
    pub body: bool,
    /// In the header (`None`: no header for this transport or entry).
    pub header: Option<bool>,
}

/// A generation before and after the replay.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerationRow {
    /// The target in header form.
    pub target: String,
    /// The generation key.
    pub key: String,
    /// Before.
    pub before: i64,
    /// After.
    pub after: i64,
    /// Whether it moved (the entries under it stopped being served).
    pub purged: bool,
}

/// What a client would do with one mounted instance.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanRow {
    /// The context.
    pub context: String,
    /// Its params as given.
    pub params: String,
    /// `refetch`, `patch`, `patch + refetch` or `untouched`.
    pub action: String,
}

/// What a replay did and what it means.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct ReplayOutcome {
    /// The history entry's id.
    pub id: String,
    /// Where it went.
    pub target: String,
    /// HTTP status (0: no answer).
    pub status: i64,
    /// Wall time in ms.
    pub duration_ms: f64,
    /// Why there is no Mizan answer (empty when there is one).
    pub error: String,
    /// The body, pretty (folded when large).
    pub body: String,
    /// The body's size.
    pub body_bytes: i64,
    /// `X-Mizan-Invalidate` (empty: absent).
    pub header: String,
    /// `X-Mizan-Cache` (empty: absent).
    pub cache: String,
    /// The IR's prediction, one entry a line.
    pub predicted: Vec<String>,
    /// The body's `invalidate` and `merge`, one entry a line.
    pub actual: Vec<String>,
    /// The header's entries (`None`: over `/ws/`, no header).
    pub header_entries: Option<Vec<String>>,
    /// Every entry and where it appears.
    pub rows: Vec<CompareRow>,
    /// Each difference, named.
    pub differences: Vec<String>,
    /// Prediction, body and header agree (`None`: nothing to compare).
    pub matches: Option<bool>,
    /// Generations of the affected instances (with Redis).
    pub generations: Vec<GenerationRow>,
    /// Why generations are not shown (no Redis, its error).
    pub generations_note: String,
    /// The mounted instances and what a client does with each.
    pub plan: Vec<PlanRow>,
}

/// One history line as the Replay tab lists it.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct ReplayHistoryItem {
    /// Id.
    pub id: String,
    /// When (UTC, `HH:MM:SS`).
    pub at: String,
    /// The function.
    pub function: String,
    /// Arguments, JSON text.
    pub args: String,
    /// Target.
    pub target: String,
    /// Over `/ws/`.
    pub websocket: bool,
    /// Status (0: no answer).
    pub status: i64,
    /// Duration.
    pub duration_ms: f64,
    /// Match (`None`: not compared).
    pub matches: Option<bool>,
    /// The error, if any.
    pub error: String,
    /// Whether a token was sent (left out unless kept).
    pub had_token: bool,
    /// The token, when the entry kept it.
    pub token: Option<String>,
    /// The headers kept.
    pub headers: Vec<HeaderPair>,
    /// `curl` for the same request (secrets as placeholders unless kept).
    pub curl: String,
}

/// The Replay tab's history.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct ReplayHistory {
    /// Newest first.
    pub items: Vec<ReplayHistoryItem>,
    /// Lines that could not be read.
    pub warnings: Vec<String>,
}

/// Parses JSON text that must be an object; the message names line and
/// column.
pub fn object(what: &str, text: &str) -> Result<Map<String, Value>, String> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!("{what} must be a JSON object, like {{\"user_id\": 5}}")),
        Err(e) => Err(format!("{what} is not JSON: {e}")),
    }
}

impl LiveState {
    /// The project's environments, the active one first resolved.
    pub fn environments(&self, root: &Path) -> (Vec<Environment>, String) {
        match environment::load(root) {
            Ok(file) if !file.environments.is_empty() => (file.environments, String::new()),
            Ok(_) => (vec![implicit()], String::new()),
            Err(e) => (vec![implicit()], e.to_string()),
        }
    }

    /// The active environment of `root`, resolved (secrets in memory).
    pub fn active(&self, root: &Path) -> Resolved {
        let (envs, _) = self.environments(root);
        let name = lock(&self.active).get(root).cloned();
        let env = name
            .and_then(|n| envs.iter().find(|e| e.name == n).cloned())
            .unwrap_or_else(|| envs[0].clone());
        environment::resolve(&env, &self.secrets, &ProcessVars)
    }

    /// Makes `name` the active environment of `root`.
    pub fn set_active(&self, root: &Path, name: &str) -> Result<(), String> {
        let (envs, _) = self.environments(root);
        if !envs.iter().any(|e| e.name == name) {
            return Err(format!("no environment `{name}` in .mizan/studio.toml"));
        }
        lock(&self.active).insert(root.to_owned(), name.to_owned());
        Ok(())
    }

    /// The environments as the UI shows them.
    pub fn view(&self, root: &Path) -> EnvironmentsView {
        let (envs, error) = self.environments(root);
        let active = self.active(root).name;
        let environments = envs
            .iter()
            .map(|env| {
                let r = environment::resolve(env, &self.secrets, &ProcessVars);
                let mut secrets = Vec::new();
                if let Some(source) = &r.cache_secret_source {
                    secrets.push(SecretStatus {
                        slot: environment::slot::CACHE_SECRET.into(),
                        label: "cache secret".into(),
                        source: source.describe(),
                        set: r.cache_secret.is_some(),
                    });
                }
                if env.redis_url.is_some() {
                    let typed = env.redis_password_env.is_none();
                    secrets.push(SecretStatus {
                        slot: environment::slot::REDIS_PASSWORD.into(),
                        label: "Redis password".into(),
                        source: env
                            .redis_password_env
                            .as_ref()
                            .map(|v| format!("${v}"))
                            .unwrap_or_else(|| if typed { "none (or typed)".into() } else { String::new() }),
                        set: true,
                    });
                }
                for (kid, source) in &r.ring_sources {
                    secrets.push(SecretStatus {
                        slot: environment::slot::mwt(kid),
                        label: format!("MWT key `{kid}`"),
                        source: source.describe(),
                        set: r.ring.kids().any(|k| k == kid),
                    });
                }
                EnvironmentView {
                    name: env.name.clone(),
                    base_url: env.base_url.clone().unwrap_or_default(),
                    redis_url: env.redis_url.clone().unwrap_or_default(),
                    audience: r.audience.clone(),
                    secrets,
                }
            })
            .collect();
        EnvironmentsView {
            file: environment::studio_toml(root).display().to_string(),
            error,
            environments,
            active,
        }
    }

    /// A shared connection to `url` (created on first use).
    pub fn redis(&self, url: &str) -> Result<Arc<RedisCache>, String> {
        let mut all = lock(&self.redis);
        if let Some(r) = all.get(url) {
            return Ok(r.clone());
        }
        environment::check_redis_url(
            url.split_once('@')
                .map(|(scheme_user, host)| {
                    // Credentials typed into the form are allowed (memory only):
                    // check the rest of the URL.
                    let scheme = scheme_user.split("://").next().unwrap_or("redis");
                    format!("{scheme}://{host}")
                })
                .as_deref()
                .unwrap_or(url),
        )?;
        let r = Arc::new(RedisCache::new(url).map_err(|e| format!("Redis URL: {e}"))?);
        all.insert(url.to_owned(), r.clone());
        Ok(r)
    }

    /// The Redis of a form (`typed`, if not empty) or of the environment.
    pub fn redis_for(&self, env: &Resolved, typed: Option<&str>) -> Result<Option<Arc<RedisCache>>, String> {
        match typed.map(str::trim).filter(|s| !s.is_empty()) {
            Some(url) => self.redis(url).map(Some),
            None => env.redis.as_ref().map(|s| self.redis(s.expose())).transpose(),
        }
    }

    /// Remembers a minted token's subject (a user worth trying).
    pub fn remember_subject(&self, sub: &str) {
        let mut subjects = lock(&self.subjects);
        subjects.retain(|s| s != sub);
        subjects.push(sub.to_owned());
        let excess = subjects.len().saturating_sub(16);
        subjects.drain(..excess);
    }

    /// What Explain may use: recent subjects and the recorded mutations.
    pub fn hints(&self, root: &Path) -> Hints {
        let (entries, _) = history::read(&history::path(root), HISTORY_SHOWN).unwrap_or_default();
        let mut users: Vec<String> = lock(&self.subjects).iter().rev().cloned().collect();
        users.extend(entries.iter().filter_map(|e| e.principal.clone()));
        users.dedup();
        let purges = entries
            .iter()
            .rev()
            .filter(|e| !e.invalidate.is_empty())
            .map(|e| RecordedPurge {
                function: e.function.clone(),
                when: clock(e.at_ms),
                invalidate: e
                    .invalidate
                    .iter()
                    .filter_map(|v| serde_json::from_value::<Invalidation>(v.clone()).ok())
                    .collect(),
            })
            .collect();
        Hints { users, purges }
    }

    /// Probes the active environment's backend and Redis.
    pub async fn status(&self, root: &Path) -> LiveStatus {
        let env = self.active(root);
        let backend = match &env.base_url {
            None => Probe {
                state: "none".into(),
                detail: "no base URL in .mizan/studio.toml".into(),
                ms: 0.0,
            },
            Some(base) => probe_backend(base).await,
        };
        let redis = match self.redis_for(&env, None) {
            Ok(None) => Probe {
                state: "none".into(),
                detail: "no Redis URL".into(),
                ms: 0.0,
            },
            Err(e) => Probe {
                state: "down".into(),
                detail: e,
                ms: 0.0,
            },
            Ok(Some(r)) => {
                let started = Instant::now();
                let result = r.ping().await;
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                let shown = env.redis_shown.clone().unwrap_or_default();
                match result {
                    Ok(()) => Probe {
                        state: "ok".into(),
                        detail: shown,
                        ms,
                    },
                    Err(e) => Probe {
                        state: "down".into(),
                        detail: format!("{shown}: {e}"),
                        ms,
                    },
                }
            }
        };
        LiveStatus {
            environment: env.name,
            backend,
            redis,
        }
    }

    /// An inspector on `ir` with the environment's secret and Redis.
    pub fn inspector(
        &self,
        root: &Path,
        ir: &Ir,
        options: &CacheOptions,
        redis_url: Option<&str>,
    ) -> Result<(Inspector, String), String> {
        let env = self.active(root);
        let secret = env.cache_secret.clone().ok_or_else(|| {
            format!(
                "no cache secret: name it in .mizan/studio.toml (cache_secret_env), type it in, or set {} for the studio",
                environment::CACHE_SECRET_VAR
            )
        })?;
        let redis = self.redis_for(&env, redis_url)?;
        Ok((
            Inspector::new(ir, options, secret.expose(), redis),
            secret.expose().to_owned(),
        ))
    }

    /// Sends a replay, records it, and compares.
    pub async fn replay(
        &self,
        root: &Path,
        ir: &Ir,
        options: &CacheOptions,
        form: &ReplayForm,
    ) -> Result<ReplayOutcome, String> {
        let env = self.active(root);
        let args = object("the arguments", &form.args)?;
        let problems = replay::validate(ir, &form.function, &args)?;
        if !problems.is_empty() {
            return Err(format!(
                "the arguments do not fit `{}`: {}",
                form.function,
                problems.join("; ")
            ));
        }
        let base_url = match form.base_url.trim() {
            "" => env
                .base_url
                .clone()
                .ok_or("no target: type a base URL or give the environment one in .mizan/studio.toml")?,
            typed => typed.to_owned(),
        };
        environment::check_base_url(&base_url)?;
        let mounted: Vec<(String, Map<String, Value>)> = form
            .mounted
            .iter()
            .map(|m| {
                Ok((
                    m.context.clone(),
                    object(&format!("the params of mounted `{}`", m.context), &m.params)?,
                ))
            })
            .collect::<Result<_, String>>()?;
        let mut headers: Vec<(String, String)> = form
            .headers
            .iter()
            .filter(|h| !h.name.trim().is_empty())
            .map(|h| (h.name.trim().to_owned(), h.value.clone()))
            .collect();
        let token = form.token.clone().filter(|t| !t.trim().is_empty());
        if let Some(t) = &token {
            headers.push(("X-Mizan-Token".into(), t.trim().to_owned()));
        }
        let principal = token.as_deref().and_then(|t| {
            super::tokens::decode(&env.ring, &env.audience, t, mizan_core::mwt::unix_now())
                .ok()
                .and_then(|d| serde_json::from_str::<Value>(&d.claims).ok())
                .and_then(|c| c.get("sub").and_then(Value::as_str).map(str::to_owned))
        });
        let out = Outgoing {
            base_url: base_url.clone(),
            websocket: form.websocket,
            function: form.function.clone(),
            args: args.clone(),
            headers: headers.clone(),
            timeout: form
                .timeout_ms
                .and_then(|ms| u64::try_from(ms).ok())
                .map(Duration::from_millis)
                .unwrap_or(replay::DEFAULT_TIMEOUT),
        };
        // Generations of what the IR predicts it may purge, before.
        let redis = self.redis_for(&env, None).ok().flatten();
        let keyer = env
            .cache_secret
            .as_ref()
            .map(|s| CacheKeyer::new(s.expose().as_bytes()));
        let policies = CachePolicies::new(ir, options);
        let (cancel_tx, cancel_rx) = tokio::sync::oneshot::channel();
        let request_id = form.request_id.clone().unwrap_or_else(new_id);
        lock(&self.in_flight).insert(request_id.clone(), cancel_tx);
        // Generations before the call: of what the IR predicts and of
        // every instance the args could scope (SPEC §4 tier 1) or any
        // context broadly, so what a disagreeing server purged shows too.
        let predicted_targets = predicted_targets(ir, &form.function, &args);
        let mut watched = predicted_targets.clone();
        watched.extend(scopable_targets(ir, &args));
        let before = generations(redis.as_deref(), keyer.as_ref(), &policies, &watched).await;
        let at_ms = now_ms();
        let sent = tokio::select! {
            sent = replay::send(ir, &out) => sent,
            _ = cancel_rx => replay::Sent { error: "cancelled".into(), ..Default::default() },
        };
        lock(&self.in_flight).remove(&request_id);
        let comparison: Option<Comparison> = if sent.error.is_empty() {
            Some(replay::compare(ir, &form.function, &args, &sent, form.websocket)?)
        } else {
            None
        };
        let body_obj = sent.body.as_ref().and_then(Value::as_object);
        let invalidate_json: Vec<Value> = body_obj
            .and_then(|b| b.get("invalidate"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // Every target either side names, after.
        let mut targets = predicted_targets;
        for v in &invalidate_json {
            if let Ok(i) = serde_json::from_value::<Invalidation>(v.clone())
                && !targets.contains(&i)
            {
                targets.push(i);
            }
        }
        let (generation_rows, generations_note) = match (&redis, &keyer) {
            (None, _) => (
                Vec::new(),
                "no Redis in this environment: purges are not shown".to_owned(),
            ),
            (_, None) => (Vec::new(), "no cache secret: purges are not shown".to_owned()),
            (Some(_), Some(_)) => {
                // `before` covered the predicted targets; a target only the
                // server named has no earlier reading and shows no change.
                let after = generations(redis.as_deref(), keyer.as_ref(), &policies, &targets).await;
                match (before, after) {
                    (Ok(b), Ok(a)) => (
                        a.into_iter()
                            .map(|(target, key, after)| {
                                let before = b
                                    .iter()
                                    .find(|(_, k, _)| *k == key)
                                    .map(|(_, _, v)| *v)
                                    .unwrap_or(after);
                                GenerationRow {
                                    target,
                                    key,
                                    before,
                                    after,
                                    purged: after > before,
                                }
                            })
                            .collect(),
                        String::new(),
                    ),
                    (Err(e), _) | (_, Err(e)) => (Vec::new(), e),
                }
            }
        };
        let plan = plan_rows(&mounted, &form.mounted, body_obj);
        let entry = Entry {
            id: request_id.clone(),
            at_ms,
            environment: env.name.clone(),
            target: base_url.clone(),
            transport: if form.websocket { "ws" } else { "http" }.into(),
            function: form.function.clone(),
            args,
            headers: form.headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect(),
            token: token.clone(),
            had_token: token.is_some(),
            secrets_kept: form.keep_secrets,
            status: sent.status,
            duration_ms: sent.duration.as_secs_f64() * 1000.0,
            error: sent.error.clone(),
            invalidate: invalidate_json,
            matches: comparison.as_ref().map(|c| c.matches),
            principal,
        };
        let history_note = history::append(&history::path(root), &entry)
            .err()
            .map(|e| format!("the replay was not recorded: {e}"));
        let c = comparison.unwrap_or_default();
        Ok(ReplayOutcome {
            id: request_id,
            target: base_url,
            status: i64::from(sent.status),
            duration_ms: entry.duration_ms,
            error: match history_note {
                Some(note) if sent.error.is_empty() => note,
                Some(note) => format!("{}; {note}", sent.error),
                None => sent.error.clone(),
            },
            body: sent.body_text,
            body_bytes: sent.body_bytes as i64,
            header: sent.header.unwrap_or_default(),
            cache: sent.cache.unwrap_or_default(),
            matches: entry.matches,
            predicted: c.predicted,
            actual: c.body,
            header_entries: c.header,
            rows: c
                .rows
                .into_iter()
                .map(|r| CompareRow {
                    entry: r.entry,
                    predicted: r.predicted,
                    body: r.body,
                    header: r.header,
                })
                .collect(),
            differences: c.differences,
            generations: generation_rows,
            generations_note,
            plan,
        })
    }

    /// Stops a replay in flight; whether one was.
    pub fn cancel(&self, request_id: &str) -> bool {
        lock(&self.in_flight)
            .remove(request_id)
            .is_some_and(|tx| tx.send(()).is_ok())
    }

    /// The history, newest first.
    pub fn history(&self, root: &Path) -> Result<ReplayHistory, String> {
        let (entries, warnings) = history::read(&history::path(root), HISTORY_SHOWN).map_err(|e| e.to_string())?;
        Ok(ReplayHistory {
            items: entries.into_iter().map(history_item).collect(),
            warnings,
        })
    }
}

/// The environment used when a project has no `.mizan/studio.toml`.
fn implicit() -> Environment {
    Environment {
        name: "default".into(),
        ..Default::default()
    }
}

/// The targets the IR predicts for `function` (results are unknown before
/// the call: the args scope them; merges purge like invalidations).
fn predicted_targets(ir: &Ir, function: &str, args: &Map<String, Value>) -> Vec<Invalidation> {
    let resolution = mizan_core::invalidation::resolve(ir, function, args, &Value::Null).unwrap_or_default();
    let mut targets = resolution.invalidate;
    targets.extend(resolution.merge.into_iter().map(|m| match m.params {
        Some(p) => scoped(m.context, p),
        None => Invalidation::Broad(m.context),
    }));
    targets
}

/// Every context broadly, and scoped by the args it has as params.
fn scopable_targets(ir: &Ir, args: &Map<String, Value>) -> Vec<Invalidation> {
    let mut out = Vec::new();
    for ctx in &ir.contexts {
        let scope: Map<String, Value> = ctx
            .params
            .iter()
            .filter_map(|p| args.get(&p.name).map(|v| (p.name.clone(), v.clone())))
            .collect();
        if !scope.is_empty() {
            out.push(scoped(ctx.name.clone(), scope));
        }
        out.push(Invalidation::Broad(ctx.name.clone()));
    }
    out
}

fn scoped(context: String, params: Map<String, Value>) -> Invalidation {
    Invalidation::Scoped(mizan_core::invalidation::ScopedInvalidation {
        context,
        function: None,
        params: Some(params),
    })
}

/// For each target of a cached context: (target in header form, the
/// generation key a purge bumps, its value).
async fn generations(
    redis: Option<&RedisCache>,
    keyer: Option<&CacheKeyer>,
    policies: &CachePolicies,
    targets: &[Invalidation],
) -> Result<Vec<(String, String, i64)>, String> {
    let (Some(redis), Some(keyer)) = (redis, keyer) else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    for t in targets {
        let Some(policy) = policies.get(t.context()) else {
            continue;
        };
        if policy.ttl().is_none() {
            continue;
        }
        let key = t
            .params()
            .and_then(|p| policy.instance_key(keyer, p))
            .unwrap_or_else(|| mizan_core::cache::context_generation_key(t.context()));
        let shown = mizan_core::header::format(std::slice::from_ref(t));
        if !rows.iter().any(|(_, k, _): &(String, String, i64)| *k == key) {
            rows.push((shown, key, 0));
        }
    }
    let keys: Vec<String> = rows.iter().map(|(_, k, _)| k.clone()).collect();
    let values = redis.generations(&keys).await.map_err(|e| format!("Redis: {e}"))?;
    for (row, v) in rows.iter_mut().zip(values) {
        row.2 = v as i64;
    }
    Ok(rows)
}

fn plan_rows(
    mounted: &[(String, Map<String, Value>)],
    shown: &[MountedInstance],
    body: Option<&Map<String, Value>>,
) -> Vec<PlanRow> {
    if mounted.is_empty() {
        return Vec::new();
    }
    let parse = |name: &str| {
        body.and_then(|b| b.get(name))
            .cloned()
            .unwrap_or(Value::Array(Vec::new()))
    };
    let invalidate: Vec<mizan_client::Invalidation> = serde_json::from_value(parse("invalidate")).unwrap_or_default();
    let merge: Vec<mizan_client::MergeEntry> = serde_json::from_value(parse("merge")).unwrap_or_default();
    let plan = mizan_client::plan_response(mounted, &invalidate, &merge);
    shown
        .iter()
        .enumerate()
        .map(|(i, m)| PlanRow {
            context: m.context.clone(),
            params: m.params.clone(),
            action: match (plan.patch.contains(&i), plan.refetch.contains(&i)) {
                (true, true) => "patch + refetch",
                (true, false) => "patch",
                (false, true) => "refetch",
                (false, false) => "untouched",
            }
            .into(),
        })
        .collect()
}

fn history_item(e: Entry) -> ReplayHistoryItem {
    let mut curl = format!(
        "curl -sS -X POST '{}/call/' -H 'Content-Type: application/json'",
        e.target.trim_end_matches('/')
    );
    for (name, value) in &e.headers {
        curl.push_str(&format!(" -H '{}: {}'", shell_quote(name), shell_quote(value)));
    }
    match (&e.token, e.had_token) {
        (Some(t), _) => curl.push_str(&format!(" -H 'X-Mizan-Token: {}'", shell_quote(t))),
        (None, true) => curl.push_str(" -H \"X-Mizan-Token: $MIZAN_TOKEN\""),
        _ => {}
    }
    let envelope = serde_json::json!({"fn": e.function, "args": e.args}).to_string();
    curl.push_str(&format!(" --data '{}'", shell_quote(&envelope)));
    ReplayHistoryItem {
        at: clock(e.at_ms),
        args: serde_json::to_string(&e.args).unwrap_or_default(),
        websocket: e.transport == "ws",
        status: i64::from(e.status),
        duration_ms: e.duration_ms,
        matches: e.matches,
        error: e.error,
        had_token: e.had_token,
        token: e.token,
        headers: e
            .headers
            .into_iter()
            .map(|(name, value)| HeaderPair { name, value })
            .collect(),
        target: e.target,
        function: e.function,
        id: e.id,
        curl,
    }
}

/// `'` inside single quotes.
fn shell_quote(s: &str) -> String {
    s.replace('\'', r"'\''")
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `HH:MM:SS` (UTC) of a Unix time in ms.
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!("{:02}:{:02}:{:02}", (s / 3600) % 24, (s / 60) % 60, s % 60)
}

fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("r{}-{}", now_ms(), NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn probe_backend(base: &str) -> Probe {
    let url = format!("{}/session/", base.trim_end_matches('/'));
    let started = Instant::now();
    let client = match reqwest::Client::builder().timeout(Duration::from_secs(3)).build() {
        Ok(c) => c,
        Err(e) => {
            return Probe {
                state: "down".into(),
                detail: e.to_string(),
                ms: 0.0,
            };
        }
    };
    let result = client.get(&url).send().await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(r) if r.status().is_success() => Probe {
            state: "ok".into(),
            detail: base.to_owned(),
            ms,
        },
        Ok(r) => Probe {
            state: "down".into(),
            detail: format!("{url} answered HTTP {}", r.status().as_u16()),
            ms,
        },
        Err(e) => {
            let mut cause = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                cause = s.to_string();
                source = s.source();
            }
            Probe {
                state: "down".into(),
                detail: format!("{url}: {cause}"),
                ms,
            }
        }
    }
}
