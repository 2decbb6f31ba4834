//! The Replay tab: send a call to the live backend and see, side by side,
//! what the IR predicts, what the body says and what `X-Mizan-Invalidate`
//! says — with each difference named, what Redis purged, and what a
//! client with the given instances mounted would refetch or patch. The
//! history (`.mizan/replays.jsonl`) is a context: a send refreshes it by
//! its declared `affects`.

use leptos::prelude::*;

use crate::api::{self, HeaderPair, ItemParams, MountedInstance, ReplayCancelArgs, ReplayForm, ReplayHistoryItem, ReplaySendArgs};
use crate::context::live::use_live;
use crate::context::views::use_workspace;
use crate::pure::live::{field, parse_headers, parse_mounted, set_field};

fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("ui-{}-{}", js_sys::Date::now() as u64, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The whole tab.
#[component]
pub fn ReplayTab() -> impl IntoView {
    let live = use_live();
    let form = live.replay;
    let views = use_workspace();
    let send = api::use_replay_send();
    let cancel = api::use_replay_cancel();
    let history = api::use_replays_context();
    let form_error = RwSignal::new(None::<String>);
    let in_flight = RwSignal::new(None::<String>);

    let go = move || {
        let headers = match parse_headers(&form.headers.get_untracked()) {
            Ok(h) => h,
            Err(e) => return form_error.set(Some(e)),
        };
        let mounted = match parse_mounted(&form.mounted.get_untracked()) {
            Ok(m) => m,
            Err(e) => return form_error.set(Some(e)),
        };
        let function = form.function.get_untracked().trim().to_owned();
        if function.is_empty() {
            return form_error.set(Some("Pick a function first.".into()));
        }
        form_error.set(None);
        let id = request_id();
        in_flight.set(Some(id.clone()));
        let token = form.token.get_untracked();
        send.dispatch(ReplaySendArgs {
            form: ReplayForm {
                function,
                args: form.args.get_untracked(),
                base_url: form.target.get_untracked().trim().to_owned(),
                websocket: form.websocket.get_untracked(),
                headers: headers.into_iter().map(|(name, value)| HeaderPair { name, value }).collect(),
                token: (!token.trim().is_empty()).then(|| token.trim().to_owned()),
                keep_secrets: form.keep_secrets.get_untracked(),
                mounted: mounted
                    .into_iter()
                    .map(|(context, params)| MountedInstance { context, params })
                    .collect(),
                request_id: Some(id),
                timeout_ms: None,
            },
        });
    };
    Effect::new(move |_| {
        if !send.pending().get() {
            in_flight.set(None);
        }
    });

    let functions = move || {
        let b = &views.browse;
        let mut names: Vec<String> = b.list_mutations().get().unwrap_or_default().into_iter().map(|m| m.name).collect();
        names.extend(b.list_functions().get().unwrap_or_default().into_iter().map(|f| f.name));
        names
    };
    let detail = api::use_item_context(Signal::derive(move || ItemParams {
        id: format!("fn:{}", form.function.get().trim()),
    }));
    let params = move || {
        detail.item_detail().get().and_then(|d| {
            d.mutation
                .map(|m| m.params)
                .or_else(|| d.function.map(|f| f.params))
        })
    };

    let first = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = first.get() {
            let _ = el.focus();
        }
    });

    view! {
        <div class="live-tab" data-testid="replay-tab">
            <section class="live-form">
                <h3 class="live-title">"Replay"</h3>
                <p class="muted small">"Send a call to the running backend and compare its invalidation with the IR's."</p>
                <label class="label muted" for="replay-fn">"Function"</label>
                <input id="replay-fn" node_ref=first class="input mono" data-testid="replay-fn" list="replay-fns" placeholder="rename" spellcheck="false"
                    prop:value=move || form.function.get() on:input=move |ev| form.function.set(event_target_value(&ev))/>
                <datalist id="replay-fns">
                    {move || functions().into_iter().map(|f| view! { <option value=f.clone()></option> }).collect_view()}
                </datalist>
                {move || params().map(|ps| view! {
                    <div class="param-form">
                        {ps.into_iter().map(|p| {
                            let name = p.name.clone();
                            let shape = p.shape.clone();
                            let shown = name.clone();
                            let hint = format!(
                                "{}{}{}",
                                p.shape,
                                if p.required { " · required" } else { " · optional" },
                                p.default.as_ref().map(|d| format!(" · default {d}")).unwrap_or_default()
                            );
                            let upload = shape == "upload" || shape == "optional<upload>";
                            view! {
                                <label class="param-row">
                                    <span class="mono">{name.clone()}</span>
                                    <span class="muted small">{hint}</span>
                                    {if upload {
                                        view! { <UploadInput name=name.clone()/> }.into_any()
                                    } else {
                                        view! {
                                            <input class="input mono small-input"
                                                prop:value=move || field(&form.args.get(), &shown)
                                                on:input=move |ev| {
                                                    if let Some(t) = set_field(&form.args.get_untracked(), &name, &event_target_value(&ev), &shape) {
                                                        form.args.set(t);
                                                    }
                                                }/>
                                        }.into_any()
                                    }}
                                </label>
                            }
                        }).collect_view()}
                    </div>
                })}
                <label class="label muted" for="replay-args">"Arguments (JSON)"</label>
                <textarea id="replay-args" class="input mono" data-testid="replay-args" rows="3" spellcheck="false"
                    prop:value=move || form.args.get() on:input=move |ev| form.args.set(event_target_value(&ev))></textarea>
                <label class="label muted" for="replay-target">"Target"</label>
                <input id="replay-target" class="input mono" data-testid="replay-target" placeholder="the environment's base URL" spellcheck="false"
                    prop:value=move || form.target.get() on:input=move |ev| form.target.set(event_target_value(&ev))/>
                <div class="segmented" role="group" aria-label="Transport">
                    <button class:active=move || !form.websocket.get() aria-pressed=move || (!form.websocket.get()).to_string() on:click=move |_| form.websocket.set(false)>"HTTP POST /call/"</button>
                    <button data-testid="replay-ws" class:active=move || form.websocket.get() aria-pressed=move || form.websocket.get().to_string() on:click=move |_| form.websocket.set(true)>"WebSocket /ws/"</button>
                </div>
                <label class="label muted" for="replay-token">"X-Mizan-Token"</label>
                <div class="input-with-button">
                    <input id="replay-token" class="input mono" data-testid="replay-token" placeholder="none (anonymous)" spellcheck="false"
                        prop:value=move || form.token.get() on:input=move |ev| form.token.set(event_target_value(&ev))/>
                    <button class="button small" title="The token minted in the Tokens tab" disabled=move || live.minted.get().is_empty()
                        on:click=move |_| form.token.set(live.minted.get_untracked())>"Minted"</button>
                </div>
                <label class="check small">
                    <input type="checkbox" prop:checked=move || form.keep_secrets.get() on:change=move |ev| form.keep_secrets.set(event_target_checked(&ev))/>
                    " keep the token in the history for this send"
                </label>
                <details class="small">
                    <summary class="muted">"Headers and mounted instances"</summary>
                    <label class="label muted">"Headers, one `Name: value` a line"</label>
                    <textarea class="input mono" rows="2" spellcheck="false" data-testid="replay-headers"
                        prop:value=move || form.headers.get() on:input=move |ev| form.headers.set(event_target_value(&ev))></textarea>
                    <label class="label muted">"Mounted instances, one `context {params}` a line"</label>
                    <textarea class="input mono" rows="3" spellcheck="false" data-testid="replay-mounted" placeholder="user {\"user_id\": 5}"
                        prop:value=move || form.mounted.get() on:input=move |ev| form.mounted.set(event_target_value(&ev))></textarea>
                </details>
                <div class="live-actions">
                    <button class="button primary" data-testid="replay-send" on:click=move |_| go() disabled=move || send.pending().get()>"Send"</button>
                    {move || in_flight.get().map(|id| view! {
                        <button class="button" data-testid="replay-cancel" on:click=move |_| { cancel.dispatch(ReplayCancelArgs { request_id: id.clone() }); }>"Cancel"</button>
                        <span class="spinner" aria-label="sending"></span>
                    })}
                </div>
                {move || form_error.get().map(|e| view! { <p class="error-text small">{e}</p> })}
                <History history=history send=send/>
            </section>
            <section class="live-results">
                <Outcome send=send/>
            </section>
        </div>
    }
}

/// A file picker for an `upload` argument: the file goes in the args as
/// `{"filename", "content_type", "base64"}` (SPEC §3.2's envelope form;
/// the backend sends it as a multipart part over HTTP).
#[component]
fn UploadInput(name: String) -> impl IntoView {
    use wasm_bindgen::JsCast;
    let form = use_live().replay;
    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        let name = name.clone();
        let (filename, content_type) = (file.name(), file.type_());
        leptos::task::spawn_local(async move {
            let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await else { return };
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            let value = serde_json::json!({"filename": filename, "content_type": content_type, "base64": base64(&bytes)});
            if let Some(t) = set_field(&form.args.get_untracked(), &name, &value.to_string(), "json") {
                form.args.set(t);
            }
        });
    };
    view! { <input class="small-input" type="file" on:change=on_change/> }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 { T[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if c.len() > 2 { T[n as usize & 63] as char } else { '=' });
    }
    out
}

/// The answer and what it means.
#[component]
fn Outcome(send: Action<ReplaySendArgs, Result<api::ReplayOutcome, mizan_client::MizanError>>) -> impl IntoView {
    move || match send.value().get() {
        None if send.pending().get() => view! { <p class="muted">"Waiting for the backend…"</p> }.into_any(),
        None => view! {
            <div class="live-empty muted">
                <p>"Pick a function, give its arguments, and Send."</p>
                <p class="small">"The IR's prediction, the body's invalidate and the X-Mizan-Invalidate header are compared entry by entry."</p>
            </div>
        }
        .into_any(),
        Some(Err(e)) => view! { <p class="error-text" data-testid="replay-error">{e.message}</p> }.into_any(),
        Some(Ok(o)) => {
            let matches = o.matches;
            let list = |entries: &[String], testid: &'static str| {
                let entries = entries.to_vec();
                view! {
                    <ul class="entry-list mono small" data-testid=testid>
                        {if entries.is_empty() {
                            view! { <li class="muted">"nothing"</li> }.into_any()
                        } else {
                            entries.into_iter().map(|e| view! { <li>{e}</li> }).collect_view().into_any()
                        }}
                    </ul>
                }
            };
            view! {
                <div class="live-card" data-testid="replay-result">
                    <div class="live-head">
                        <span class="status-pill" class:hit={o.status > 0 && o.status < 400} class:miss={o.status == 0 || o.status >= 400}>
                            {if o.status == 0 { "no answer".to_owned() } else { format!("HTTP {}", o.status) }}
                        </span>
                        <span class="muted small">{format!("{:.1} ms · {}", o.duration_ms, o.target)}</span>
                        {matches.map(|m| view! {
                            <span class="match-pill" class:ok=m data-testid="replay-match" data-match=m.to_string()>
                                {if m { "IR, body and header agree" } else { "differences" }}
                            </span>
                        })}
                    </div>
                    {(!o.error.is_empty()).then(|| view! { <p class="error-text small" data-testid="replay-failure">{o.error.clone()}</p> })}
                    {(!o.differences.is_empty()).then(|| view! {
                        <ul class="differences small" data-testid="replay-differences">
                            {o.differences.iter().map(|d| view! { <li>{d.clone()}</li> }).collect_view()}
                        </ul>
                    })}
                    {matches.is_some().then(|| view! {
                        <div class="three-way">
                            <div><p class="label muted">"IR predicts"</p>{list(&o.predicted, "replay-predicted")}</div>
                            <div><p class="label muted">"Body says"</p>{list(&o.actual, "replay-actual")}</div>
                            <div>
                                <p class="label muted">"Header says"</p>
                                {match &o.header_entries {
                                    Some(h) => list(h, "replay-header").into_any(),
                                    None => view! { <p class="muted small">"no header over /ws/"</p> }.into_any(),
                                }}
                            </div>
                        </div>
                    })}
                    {(!o.header.is_empty() || !o.cache.is_empty()).then(|| view! {
                        <table class="kv small">
                            {(!o.header.is_empty()).then(|| view! { <tr><td>"X-Mizan-Invalidate"</td><td class="mono">{o.header.clone()}</td></tr> })}
                            {(!o.cache.is_empty()).then(|| view! { <tr><td>"X-Mizan-Cache"</td><td class="mono">{o.cache.clone()}</td></tr> })}
                        </table>
                    })}
                    {(!o.generations.is_empty()).then(|| view! {
                        <p class="label muted">"Redis generations (a bump stops every entry under it being served)"</p>
                        <table class="kv small" data-testid="replay-generations">
                            {o.generations.iter().map(|g| view! {
                                <tr data-purged=g.purged.to_string()>
                                    <td class="mono">{g.target.clone()}</td>
                                    <td class:ok-text=g.purged>{format!("{} → {}{}", g.before, g.after, if g.purged { " purged" } else { " unchanged" })}</td>
                                </tr>
                            }).collect_view()}
                        </table>
                    })}
                    {(!o.generations_note.is_empty()).then(|| view! { <p class="muted small">{o.generations_note.clone()}</p> })}
                    {(!o.plan.is_empty()).then(|| view! {
                        <p class="label muted">"A client with these mounted would"</p>
                        <table class="kv small" data-testid="replay-plan">
                            {o.plan.iter().map(|p| view! {
                                <tr><td class="mono">{format!("{} {}", p.context, p.params)}</td><td>{p.action.clone()}</td></tr>
                            }).collect_view()}
                        </table>
                    })}
                    <p class="label muted">{format!("Body ({} bytes)", o.body_bytes)}</p>
                    <pre class="json mono small value-block">{o.body.clone()}</pre>
                </div>
            }
            .into_any()
        }
    }
}

/// The history, newest first: re-run, open in the form, copy as curl.
#[component]
fn History(
    history: api::ContextState<api::ReplaysData>,
    /// The tab's send: a re-run shows in the same result pane.
    send: Action<ReplaySendArgs, Result<api::ReplayOutcome, mizan_client::MizanError>>,
) -> impl IntoView {
    let form = use_live().replay;
    let copied = RwSignal::new(None::<String>);
    let open = move |item: &ReplayHistoryItem| {
        form.function.set(item.function.clone());
        form.args.set(item.args.clone());
        form.target.set(item.target.clone());
        form.websocket.set(item.websocket);
        form.headers.set(item.headers.iter().map(|h| format!("{}: {}", h.name, h.value)).collect::<Vec<_>>().join("\n"));
        if let Some(t) = &item.token {
            form.token.set(t.clone());
        }
    };
    view! {
        <h4 class="section-title">"History"</h4>
        {move || history.replay_history().get().map(|h| {
            let warnings = h.warnings.clone();
            view! {
                {warnings.into_iter().map(|w| view! { <p class="warn-text small">{w}</p> }).collect_view()}
                {if h.items.is_empty() {
                    view! { <p class="muted small">"Nothing sent yet. Replays are kept in .mizan/replays.jsonl."</p> }.into_any()
                } else {
                    view! {
                        <ul class="history-list">
                            {h.items.into_iter().map(|item| {
                                let for_open = item.clone();
                                let for_run = item.clone();
                                let curl = item.curl.clone();
                                let id = item.id.clone();
                                view! {
                                    <li class="history-item" data-testid="replay-history-item" data-fn=item.function.clone()>
                                        <div class="history-line">
                                            <span class="mono">{item.function.clone()}</span>
                                            <span class="muted small">{format!("{} · {} · {:.0} ms", item.at, if item.status == 0 { "no answer".to_owned() } else { item.status.to_string() }, item.duration_ms)}</span>
                                            {item.matches.map(|m| view! { <span class="match-dot" class:ok=m title=if m { "matched the IR" } else { "differed from the IR" }></span> })}
                                        </div>
                                        <div class="mono small muted history-args">{item.args.clone()}</div>
                                        <div class="history-actions">
                                            <button class="link small" on:click=move |_| {
                                                open(&for_run);
                                                send.dispatch(ReplaySendArgs { form: ReplayForm {
                                                    function: for_run.function.clone(),
                                                    args: for_run.args.clone(),
                                                    base_url: for_run.target.clone(),
                                                    websocket: for_run.websocket,
                                                    headers: for_run.headers.clone(),
                                                    token: for_run.token.clone(),
                                                    keep_secrets: for_run.token.is_some(),
                                                    mounted: Vec::new(),
                                                    request_id: None,
                                                    timeout_ms: None,
                                                }});
                                            }>"Re-run"</button>
                                            <button class="link small" on:click=move |_| open(&for_open)>"Open in form"</button>
                                            <button class="link small" on:click=move |_| {
                                                copy(&curl);
                                                copied.set(Some(id.clone()));
                                            }>{let id = item.id.clone(); move || if copied.get().as_deref() == Some(id.as_str()) { "Copied" } else { "Copy as curl" }}</button>
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            }
        })}
    }
}

/// Puts `text` on the clipboard (best effort: webviews may refuse).
fn copy(text: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}
