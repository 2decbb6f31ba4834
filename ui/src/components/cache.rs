//! The Cache tab: one request's key and what the environment's Redis holds
//! under it, why a lookup missed, a context's keys page by page, purges.
//! Every answer is the backend's (`cache_lookup`, `cache_explain`,
//! `cache_scan`, `cache_purge`: the core's policy and keys); the tab only
//! shows them.

use leptos::prelude::*;

use crate::api::{self, CacheExplainArgs, CacheLookupArgs, CachePurgeArgs, CacheScanArgs, ItemParams, KeyRow};
use crate::context::live::use_live;
use crate::context::views::use_workspace;
use crate::pure::live::{duration, field, set_field};

/// Optional text: `None` when blank.
fn opt(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The whole tab.
#[component]
pub fn CacheTab() -> impl IntoView {
    let form = use_live().cache;
    let views = use_workspace();
    let lookup = api::use_cache_lookup();
    let explain = api::use_cache_explain();
    let purge = api::use_cache_purge();
    let form_error = RwSignal::new(None::<String>);
    // How many answers each action has shown: a test (or a person with
    // the devtools open) can tell a fresh answer from the previous one.
    let lookups = RwSignal::new(0u32);
    let explains = RwSignal::new(0u32);
    Effect::new(move |_| {
        if lookup.value().with(Option::is_some) {
            lookups.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if explain.value().with(Option::is_some) {
            explains.update(|n| *n += 1);
        }
    });

    let rev = move || -> Result<Option<i64>, String> {
        match opt(form.rev.get_untracked()) {
            None => Ok(None),
            Some(r) => r.parse::<i64>().map(Some).map_err(|_| format!("rev must be a number, got `{r}`")),
        }
    };
    let run = move |explain_too: bool| {
        let context = form.context.get_untracked().trim().to_owned();
        if context.is_empty() {
            form_error.set(Some("Pick a context first.".into()));
            return;
        }
        let rev = match rev() {
            Ok(r) => r,
            Err(e) => {
                form_error.set(Some(e));
                return;
            }
        };
        form_error.set(None);
        let params = form.params.get_untracked();
        let user = opt(form.user.get_untracked());
        let redis_url = opt(form.redis_url.get_untracked());
        if explain_too {
            explain.dispatch(CacheExplainArgs {
                context,
                params,
                user,
                rev,
                redis_url,
            });
        } else {
            explain.value().set(None);
            lookup.dispatch(CacheLookupArgs {
                context,
                params,
                user,
                rev,
                redis_url,
            });
        }
    };

    let contexts = move || {
        views
            .browse
            .list_contexts()
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
    };
    let detail = api::use_item_context(Signal::derive(move || ItemParams {
        id: format!("ctx:{}", form.context.get().trim()),
    }));

    // The first field has the focus when the tab opens.
    let first = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = first.get() {
            let _ = el.focus();
        }
    });
    let chosen = move || !form.context.get().trim().is_empty();

    view! {
        <div class="live-tab" data-testid="cache-tab">
            <section class="live-form">
                <h3 class="live-title">"Cache inspector"</h3>
                <p class="muted small">"Derive a key, look it up in the environment's Redis, and ask why it missed."</p>
                <label class="label muted" for="cache-context">"Context"</label>
                <input
                    id="cache-context"
                    node_ref=first
                    class="input mono"
                    data-testid="cache-context"
                    list="cache-contexts"
                    placeholder="user"
                    spellcheck="false"
                    prop:value=move || form.context.get()
                    on:input=move |ev| form.context.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Enter" { run(false) }
                />
                <datalist id="cache-contexts">
                    {move || contexts().into_iter().map(|c| view! { <option value=c.clone()></option> }).collect_view()}
                </datalist>
                {move || {
                    detail
                        .item_detail()
                        .get()
                        .and_then(|d| d.context)
                        .map(|c| {
                            let decision = c.cache_decision.clone();
                            view! {
                                <p class="muted small" data-testid="cache-decision">{decision}</p>
                                <div class="param-form">
                                    {c
                                        .params
                                        .into_iter()
                                        .map(|p| {
                                            let name = p.name.clone();
                                            let shape = p.shape.clone();
                                            let name_for_value = name.clone();
                                            view! {
                                                <label class="param-row">
                                                    <span class="mono">{name.clone()}</span>
                                                    <span class="muted small">
                                                        {shape.clone()} {if p.required { " · required" } else { " · optional" }}
                                                    </span>
                                                    <input
                                                        class="input mono small-input"
                                                        prop:value=move || field(&form.params.get(), &name_for_value)
                                                        on:input=move |ev| {
                                                            if let Some(t) = set_field(&form.params.get_untracked(), &name, &event_target_value(&ev), &shape) {
                                                                form.params.set(t);
                                                            }
                                                        }
                                                    />
                                                </label>
                                            }
                                        })
                                        .collect_view()}
                                </div>
                            }
                        })
                }}
                <label class="label muted" for="cache-params">"Params (JSON)"</label>
                <textarea
                    id="cache-params"
                    class="input mono"
                    data-testid="cache-params"
                    rows="2"
                    spellcheck="false"
                    prop:value=move || form.params.get()
                    on:input=move |ev| form.params.set(event_target_value(&ev))
                ></textarea>
                <div class="form-grid">
                    <label>
                        <span class="label muted">"User"</span>
                        <input class="input mono" data-testid="cache-user" placeholder="anonymous"
                            prop:value=move || form.user.get() on:input=move |ev| form.user.set(event_target_value(&ev))/>
                    </label>
                    <label>
                        <span class="label muted">"Rev"</span>
                        <input class="input mono" data-testid="cache-rev" placeholder="effective"
                            prop:value=move || form.rev.get() on:input=move |ev| form.rev.set(event_target_value(&ev))/>
                    </label>
                </div>
                <label class="label muted" for="cache-redis-url">"Redis"</label>
                <input
                    id="cache-redis-url"
                    class="input mono"
                    data-testid="cache-redis-url"
                    placeholder="the environment's (redis://host:port/db)"
                    spellcheck="false"
                    prop:value=move || form.redis_url.get()
                    on:input=move |ev| form.redis_url.set(event_target_value(&ev))
                />
                <div class="live-actions">
                    <button class="button primary" data-testid="cache-lookup" on:click=move |_| run(false)
                        disabled=move || lookup.pending().get()>"Look up"</button>
                    <button class="button" data-testid="explain-miss" on:click=move |_| run(true)
                        disabled=move || explain.pending().get()>"Explain a miss"</button>
                </div>
                {move || form_error.get().map(|e| view! { <p class="error-text small">{e}</p> })}
            </section>
            <section class="live-results" data-testid="cache-answers" data-lookups=move || lookups.get() data-explains=move || explains.get()>
                <ExplainResult explain=explain/>
                <LookupResult lookup=lookup/>
                <Show when=chosen>
                    <Purge purge=purge/>
                    <KeyList/>
                </Show>
            </section>
        </div>
    }
}

/// The key and what Redis holds under it.
#[component]
fn LookupResult(lookup: Action<CacheLookupArgs, Result<api::CacheLookup, mizan_client::MizanError>>) -> impl IntoView {
    move || match lookup.value().get() {
        None if lookup.pending().get() => view! { <p class="muted">"Looking up…"</p> }.into_any(),
        None => view! {
            <div class="live-empty muted">
                <p>"Pick a context, give its params, and Look up."</p>
                <p class="small">"The key is computed by the core with the environment's cache secret, exactly as the server computes it."</p>
            </div>
        }
        .into_any(),
        Some(Err(e)) => view! { <p class="error-text" data-testid="cache-error">{e.message}</p> }.into_any(),
        Some(Ok(l)) => {
            let status = l.status.clone();
            let hit = status == "HIT";
            view! {
                <div class="live-card" data-testid="cache-result">
                    <div class="live-head">
                        {(!status.is_empty()).then(|| view! {
                            <span class="status-pill" class:hit=hit class:miss=!hit data-testid="cache-status">{status.clone()}</span>
                        })}
                        <span class="live-note">{l.note.clone()}</span>
                    </div>
                    {(!l.redis_error.is_empty()).then(|| view! { <p class="warn-text small" data-testid="cache-redis-error">{l.redis_error.clone()}</p> })}
                    <table class="kv small">
                        <tr><td>"Policy"</td><td>{l.decision.clone()}</td></tr>
                        <tr><td>"Rev"</td><td>{format!("{} (effective {})", l.rev, l.effective_rev)}</td></tr>
                        <tr><td>"User"</td><td>{if l.user.is_empty() { "anonymous (shared by anonymous callers)".to_owned() } else { l.user.clone() }}</td></tr>
                        {l.params.iter().map(|p| view! { <tr><td class="mono">{format!("S({})", p.name)}</td><td class="mono">{format!("{:?}", p.value)}</td></tr> }).collect_view()}
                        {(!l.unknown_params.is_empty()).then(|| view! {
                            <tr><td>"Unknown"</td><td class="warn-text">{format!("{} (a real request is rejected)", l.unknown_params.join(", "))}</td></tr>
                        })}
                        {(l.redis_ms > 0.0).then(|| view! { <tr><td>"Redis"</td><td>{format!("{:.1} ms", l.redis_ms)}</td></tr> })}
                    </table>
                    <p class="label muted">"Key"</p>
                    <pre class="header-line mono small" data-testid="cache-key">{l.key.clone()}</pre>
                    <p class="label muted">"Canonical message (HMAC input)"</p>
                    <pre class="header-line mono small" data-testid="cache-message">{l.message.clone()}</pre>
                    {l.entry.clone().map(|e| view! {
                        <p class="label muted">"Stored entry"</p>
                        <table class="kv small" data-testid="cache-entry">
                            <tr><td>"Served"</td><td>{if e.stale.is_empty() { "yes".to_owned() } else { format!("no: {}", e.stale) }}</td></tr>
                            <tr><td>"Generations"</td><td>{format!("stored context {} / instance {} · now {} / {}", e.stored.context, e.stored.instance, e.current.context, e.current.instance)}</td></tr>
                            <tr><td>"Fingerprint"</td><td class="mono">{format!("{}{}", e.fingerprint, if e.fingerprint_current { " (current)" } else { " (another deploy's)" })}</td></tr>
                            <tr><td>"TTL left"</td><td>{e.ttl_ms.map(|t| duration(t / 1000)).unwrap_or_else(|| "no expiry".into())}</td></tr>
                            <tr><td>"Size"</td><td>{format!("{} bytes{}", e.value_bytes, if e.folded { " (folded)" } else { "" })}</td></tr>
                        </table>
                        <pre class="json mono small value-block" data-testid="cache-value">{e.value}</pre>
                    })}
                </div>
            }
            .into_any()
        }
    }
}

/// Why it missed.
#[component]
fn ExplainResult(explain: Action<CacheExplainArgs, Result<api::MissExplanation, mizan_client::MizanError>>) -> impl IntoView {
    move || match explain.value().get() {
        None if explain.pending().get() => view! { <p class="muted">"Trying the neighbours…"</p> }.into_any(),
        None => ().into_any(),
        Some(Err(e)) => view! { <p class="error-text" data-testid="explain-result">{e.message}</p> }.into_any(),
        Some(Ok(x)) => view! {
            <div class="live-card" data-testid="explain-result">
                <p class="live-verdict">{x.verdict.clone()}</p>
                {(!x.differences.is_empty()).then(|| view! {
                    <ul class="explain small">{x.differences.iter().map(|d| view! { <li>{d.clone()}</li> }).collect_view()}</ul>
                })}
                <details class="small">
                    <summary class="muted">{format!("{} neighbours tried", x.neighbours.len())}</summary>
                    <table class="kv small neighbours">
                        {x.neighbours.iter().map(|n| {
                            let state = n.state.clone();
                            view! {
                                <tr data-state=state.clone()>
                                    <td>{n.change.clone()}</td>
                                    <td class:ok-text=state == "HIT">{if n.stale.is_empty() { state.clone() } else { format!("{state}: {}", n.stale) }}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </table>
                </details>
            </div>
        }
        .into_any(),
    }
}

/// Purge this instance or the whole context, after a confirmation.
#[component]
fn Purge(purge: Action<CachePurgeArgs, Result<api::PurgeReport, mizan_client::MizanError>>) -> impl IntoView {
    let form = use_live().cache;
    let confirming = RwSignal::new(None::<bool>);
    let go = move |whole: bool| {
        confirming.set(None);
        purge.dispatch(CachePurgeArgs {
            context: form.context.get_untracked().trim().to_owned(),
            params: (!whole).then(|| form.params.get_untracked()),
            redis_url: opt(form.redis_url.get_untracked()),
        });
    };
    view! {
        <div class="live-row">
            <span class="muted small">"Purge (a generation bump, as a mutation does):"</span>
            <button class="button small" data-testid="purge-instance" on:click=move |_| confirming.set(Some(false))>"This instance…"</button>
            <button class="button small" data-testid="purge-context" on:click=move |_| confirming.set(Some(true))>"Whole context…"</button>
        </div>
        {move || confirming.get().map(|whole| view! {
            <div class="confirm" role="alertdialog">
                <span>{if whole {
                    format!("Purge every entry of `{}`? Every client's next fetch goes to the backend.", form.context.get_untracked())
                } else {
                    format!("Purge `{}` {}?", form.context.get_untracked(), form.params.get_untracked())
                }}</span>
                <button class="button small primary" data-testid="purge-confirm" on:click=move |_| go(whole)>"Purge"</button>
                <button class="button small" on:click=move |_| confirming.set(None)>"Cancel"</button>
            </div>
        })}
        {move || purge.value().get().map(|r| match r {
            Ok(r) => view! {
                <p class="ok-text small" data-testid="purge-result">
                    {format!("Purged {}: {} went {} → {}.", r.purged, r.generation_key, r.before, r.after)}
                </p>
            }.into_any(),
            Err(e) => view! { <p class="error-text small" data-testid="purge-result">{e.message}</p> }.into_any(),
        })}
    }
}

/// The context's keys, `SCAN` page by page; "All" keeps going until done
/// or cancelled.
#[component]
fn KeyList() -> impl IntoView {
    let form = use_live().cache;
    let scan = api::use_cache_scan();
    let keys = RwSignal::new(Vec::<KeyRow>::new());
    let cursor = RwSignal::new(None::<String>);
    let running_all = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let next = move || {
        scan.dispatch(CacheScanArgs {
            context: form.context.get_untracked().trim().to_owned(),
            cursor: cursor.get_untracked().unwrap_or_else(|| "0".into()),
            count: Some(500),
            redis_url: opt(form.redis_url.get_untracked()),
        });
    };
    let start = move |all: bool| {
        keys.set(Vec::new());
        cursor.set(None);
        error.set(None);
        running_all.set(all);
        next();
    };
    Effect::new(move |_| {
        let Some(answer) = scan.value().get() else { return };
        match answer {
            Ok(page) => {
                keys.update(|k| k.extend(page.keys));
                if page.done {
                    cursor.set(Some("0".into()));
                    running_all.set(false);
                } else {
                    cursor.set(Some(page.cursor));
                    if running_all.get_untracked() {
                        next();
                    }
                }
            }
            Err(e) => {
                error.set(Some(e.message));
                running_all.set(false);
            }
        }
    });
    let done = move || cursor.get().as_deref() == Some("0");
    view! {
        <div class="live-row">
            <span class="muted small">"Keys of the context (SCAN, never KEYS):"</span>
            <button class="button small" data-testid="cache-scan" on:click=move |_| start(false)>"First page"</button>
            <button class="button small" data-testid="cache-scan-all" on:click=move |_| start(true)>"All"</button>
            {move || (!done() && cursor.get().is_some() && !running_all.get()).then(|| view! {
                <button class="button small" on:click=move |_| next()>"More"</button>
            })}
            {move || running_all.get().then(|| view! {
                <button class="button small" data-testid="cache-scan-cancel" on:click=move |_| running_all.set(false)>"Cancel"</button>
            })}
        </div>
        {move || error.get().map(|e| view! { <p class="error-text small">{e}</p> })}
        {move || (cursor.get().is_some() || scan.pending().get()).then(|| {
            let n = keys.with(Vec::len);
            view! {
                <p class="muted small" data-testid="cache-scan-progress">
                    {format!("{n} key{}{}", if n == 1 { "" } else { "s" }, if done() { ", complete" } else if running_all.get() || scan.pending().get() { ", scanning…" } else { " so far" })}
                </p>
                <div class="key-list">
                    {move || keys.with(|k| k.iter().take(300).map(|row| view! {
                        <div class="key-row mono small" data-testid="cache-key-row">
                            <span class="key-text">{row.key.clone()}</span>
                            <span class="muted">{row.ttl_ms.map(|t| duration(t / 1000)).unwrap_or_else(|| "—".into())}</span>
                            <span class="muted">{format!("g{}/{}", row.stored.context, row.stored.instance)}</span>
                        </div>
                    }).collect_view())}
                    {move || (keys.with(Vec::len) > 300).then(|| view! { <p class="muted small">"The first 300 are shown."</p> })}
                </div>
            }
        })}
    }
}
