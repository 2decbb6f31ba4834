//! The Traffic tab: what a running app does, live — through the studio's
//! recording proxy (or a devtools tap). A timeline with filters, pause and
//! clear; each fetch linked to the mutation that caused it; "why did this
//! refetch?" in a sentence for the selected row, its path shown in the
//! graph; drift (the server's invalidation against the IR's) flagged. The
//! rows are the backend's (`traffic_view`), filtered there.

use leptos::prelude::*;

use crate::api::{self, ProxyStartArgs, TrafficEventParams, TrafficImportArgs, TrafficParams, TrafficPauseArgs, TrafficRow};
use crate::context::live::use_live;
use crate::context::ui::{CenterTab, use_ui};
use crate::pure::ids::ItemId;

fn opt(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The whole tab.
#[component]
pub fn TrafficTab() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let principal = RwSignal::new(String::new());
    let filter = Signal::derive(move || TrafficParams {
        text: opt(text.get()),
        context: None,
        function: None,
        principal: opt(principal.get()),
        status: opt(status.get()),
        kind: opt(kind.get()),
    });
    let view = api::use_traffic_context(filter);
    let selected = RwSignal::new(None::<i64>);
    let detail = api::use_traffic_event_context(Signal::derive(move || TrafficEventParams { event: selected.get() }));
    let pause = api::use_traffic_pause();
    let clear = api::use_traffic_clear();
    let export = api::use_traffic_export();
    let import = api::use_traffic_import();

    // An export arrives as text: downloaded as a file.
    Effect::new(move |_| {
        if let Some(Ok(text)) = export.value().get() {
            let _ = crate::context::commands::download_text("mizan-traffic.jsonl", "application/x-ndjson", &text);
        }
    });

    view! {
        <div class="traffic-tab" data-testid="traffic-tab">
            <ProxyBar view=view/>
            <div class="traffic-filters">
                <input class="input small-input" data-testid="traffic-filter" placeholder="filter: function, context, params, user…"
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))/>
                <select class="input small-input" data-testid="traffic-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="">"calls, fetches, pushes"</option>
                    <option value="call">"calls"</option>
                    <option value="fetch">"fetches"</option>
                    <option value="push">"pushes"</option>
                </select>
                <select class="input small-input" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">"any status"</option>
                    <option value="ok">"succeeded"</option>
                    <option value="error">"failed"</option>
                </select>
                <input class="input small-input narrow" placeholder="user" prop:value=move || principal.get()
                    on:input=move |ev| principal.set(event_target_value(&ev))/>
                {move || view.traffic_view().get().map(|v| {
                    let paused = v.paused;
                    view! {
                        <button class="button small" data-testid="traffic-pause" aria-pressed=paused.to_string()
                            on:click=move |_| { pause.dispatch(TrafficPauseArgs { paused: !paused }); }>
                            {if paused { "Resume" } else { "Pause" }}
                        </button>
                    }
                })}
                <button class="button small" data-testid="traffic-clear" on:click=move |_| { selected.set(None); clear.dispatch(()); }>"Clear"</button>
                <button class="button small" on:click=move |_| { export.dispatch(()); }>"Export"</button>
                <ImportButton import=import/>
            </div>
            {move || view.traffic_view().get().map(|v| view! {
                <p class="muted small traffic-counts" data-testid="traffic-counts">
                    {format!("{} of {} events{}{}{}{}",
                        v.matching, v.total,
                        if v.matching > v.rows.len() as i64 { format!(" · newest {} shown (filter to narrow)", v.rows.len()) } else { String::new() },
                        if v.drift > 0 { format!(" · {} drift", v.drift) } else { String::new() },
                        if v.paused { format!(" · paused ({} not kept)", v.missed) } else { String::new() },
                        if v.evicted > 0 { format!(" · {} oldest dropped (keeps {})", v.evicted, v.capacity) } else { String::new() })}
                </p>
            })}
            <div class="traffic-body">
                <Timeline view=view selected=selected/>
                <div class="traffic-detail">
                    <Detail detail=detail selected=selected/>
                </div>
            </div>
        </div>
    }
}

/// A row's height in pixels (`.traffic-row` in style.css has it too).
const ROW_PX: f64 = 30.0;
/// Rows drawn past the visible ones, above and below: scrolling a little
/// shows rows already there.
const OVERSCAN: usize = 15;

/// The rows, newest first. Only those in view (and a few around them)
/// are in the page — each row drawn costs WebKit ~70 KB, and the window
/// has a memory budget — with spacers keeping the scroll height true.
/// Keyed: a refresh adds the new rows and drops the evicted ones; a row
/// whose links or drift changed is rebuilt.
#[component]
fn Timeline(view: api::ContextState<api::TrafficData>, selected: RwSignal<Option<i64>>) -> impl IntoView {
    let list = NodeRef::<leptos::html::Div>::new();
    let scroll_top = RwSignal::new(0.0);
    // Until measured: a tall window's list.
    let height = RwSignal::new(1000.0);
    let measure = move || {
        if let Some(el) = list.get_untracked() {
            scroll_top.set(f64::from(el.scroll_top()));
            height.set(f64::from(el.client_height()));
        }
    };
    Effect::new(move |_| {
        if list.get().is_some() {
            measure();
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
    let rows = Memo::new(move |_| view.traffic_view().get().map(|v| v.rows).unwrap_or_default());
    let shown = Memo::new(move |_| {
        let n = rows.with(Vec::len);
        let (top, h) = (scroll_top.get(), height.get());
        let first = ((top / ROW_PX) as usize).saturating_sub(OVERSCAN).min(n);
        let last = (((top + h) / ROW_PX).ceil() as usize + OVERSCAN).min(n);
        (first, last, n)
    });
    let px = |rows: usize| format!("{}px", rows as f64 * ROW_PX);
    view! {
        <div class="traffic-list" role="list" node_ref=list on:scroll=move |_| measure()>
            {move || view.traffic_view().with(|v| v.as_ref().is_some_and(|v| v.rows.is_empty())).then(|| view! {
                <p class="muted live-empty">"Nothing recorded yet. Start the proxy and point your frontend at it, or attach a running app."</p>
            })}
            <div class="traffic-spacer" style:height=move || px(shown.get().0)></div>
            <For
                each=move || {
                    let (first, last, _) = shown.get();
                    rows.with(|r| r[first..last].to_vec())
                }
                key=|r| (r.id, r.caused_by, r.drift, r.caused_by_fn.clone())
                children=move |r| view! { <Row row=r selected=selected/> }
            />
            <div class="traffic-spacer" style:height=move || { let (_, last, n) = shown.get(); px(n - last) }></div>
        </div>
    }
}

/// Start/stop the proxy; its URL to point a frontend at.
#[component]
fn ProxyBar(view: api::ContextState<api::TrafficData>) -> impl IntoView {
    let start = api::use_proxy_start();
    let stop = api::use_proxy_stop();
    let target = RwSignal::new(String::new());
    view! {
        <div class="traffic-proxy">
            {move || match view.traffic_view().get().and_then(|v| v.proxy) {
                Some(p) => view! {
                    <span class="small">"Proxy: point your frontend at "</span>
                    <code class="mono small proxy-url" data-testid="proxy-url">{p.url.clone()}</code>
                    <span class="muted small">{format!("→ {}", p.target)}</span>
                    <button class="button small" data-testid="proxy-stop" on:click=move |_| { stop.dispatch(()); }>"Stop"</button>
                }.into_any(),
                None => view! {
                    <span class="small">"Record through a proxy to"</span>
                    <input class="input mono small-input proxy-target" data-testid="proxy-target" placeholder="the environment's base URL"
                        prop:value=move || target.get() on:input=move |ev| target.set(event_target_value(&ev))/>
                    <button class="button small primary" data-testid="proxy-start"
                        on:click=move |_| { start.dispatch(ProxyStartArgs { target: opt(target.get_untracked()) }); }>"Start proxy"</button>
                }.into_any(),
            }}
            {move || start.value().get().and_then(Result::err).map(|e| view! { <span class="error-text small">{e.message}</span> })}
            <span class="spacer"></span>
            <Attach/>
        </div>
    }
}

/// The running apps with a devtools tap (debug builds with the
/// `devtools` feature): attach to record their calls, fetches (with the
/// cache's reason) and pushes, server-side calls included.
#[component]
fn Attach() -> impl IntoView {
    let list = api::use_tap_list();
    let attach = api::use_tap_attach();
    let detach = api::use_tap_detach();
    // A change of attachment lists again.
    Effect::new(move |_| {
        attach.version().track();
        detach.version().track();
        list.dispatch(());
    });
    view! {
        <button class="button small" data-testid="tap-find" on:click=move |_| { list.dispatch(()); }>"Running apps"</button>
        {move || list.value().get().map(|r| match r {
            Err(e) => view! { <span class="error-text small">{e.message}</span> }.into_any(),
            Ok(apps) if apps.is_empty() => view! { <span class="muted small">"no app offers a devtools tap"</span> }.into_any(),
            Ok(apps) => apps.into_iter().map(|a| {
                let pid = a.pid;
                view! {
                    <span class="tap-app small" data-testid="tap-app" data-name=a.name.clone()>
                        <span class="mono">{format!("{} ({})", a.name, a.pid)}</span>
                        {if a.attached {
                            view! { <button class="button small" on:click=move |_| { detach.dispatch(api::TapDetachArgs { pid }); }>"Detach"</button> }.into_any()
                        } else {
                            view! { <button class="button small" data-testid="tap-attach" on:click=move |_| { attach.dispatch(api::TapAttachArgs { pid }); }>"Attach"</button> }.into_any()
                        }}
                    </span>
                }
            }).collect_view().into_any(),
        })}
        {move || attach.value().get().and_then(Result::err).map(|e| view! { <span class="error-text small">{e.message}</span> })}
    }
}

#[component]
fn ImportButton(import: Action<TrafficImportArgs, Result<Vec<String>, mizan_client::MizanError>>) -> impl IntoView {
    use wasm_bindgen::JsCast;
    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        leptos::task::spawn_local(async move {
            if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await
                && let Some(text) = text.as_string()
            {
                import.dispatch(TrafficImportArgs { text });
            }
        });
    };
    view! {
        <label class="button small file-button">"Open…"<input type="file" accept=".jsonl,.json" on:change=on_change/></label>
        {move || import.value().get().map(|r| match r {
            Ok(lines) => view! { <span class="muted small">{lines.join("; ")}</span> }.into_any(),
            Err(e) => view! { <span class="error-text small">{e.message}</span> }.into_any(),
        })}
    }
}

/// One timeline row.
#[component]
fn Row(row: TrafficRow, selected: RwSignal<Option<i64>>) -> impl IntoView {
    let id = row.id;
    let name = match (&row.function, &row.context) {
        (Some(f), _) => f.clone(),
        (None, Some(c)) => c.clone(),
        _ => "?".into(),
    };
    let failed = row.status >= 400 || row.error_code.is_some();
    view! {
        <button
            class="traffic-row"
            class:selected=move || selected.get() == Some(id)
            class:failed=failed
            data-testid="traffic-row"
            data-id=id
            data-kind=row.kind.clone()
            data-fn=row.function.clone()
            data-context=row.context.clone()
            data-cache=row.cache.clone()
            data-drift=row.drift.then_some("true")
            data-caused-by=row.caused_by
            on:click=move |_| selected.set(Some(id))
        >
            <span class="muted mono small">{row.at.clone()}</span>
            <span class=format!("kind-tag {}", row.kind)>{row.kind.clone()}</span>
            <span class="mono row-name">{name}{(!row.params.is_empty()).then(|| view! { <span class="muted">{format!(" {}", row.params)}</span> })}</span>
            <span class="row-meta small">
                {row.caused_by_fn.clone().map(|f| view! { <span class="cause">{format!("← {f}")}</span> })}
                {row.cache.clone().map(|c| {
                    let hit = c == "HIT";
                    view! { <span class="status-pill tiny" class:hit=hit class:miss=!hit>{c}</span> }
                })}
                {row.drift.then(|| view! { <span class="drift-flag" title="the server's invalidation differs from the IR">"drift"</span> })}
                {row.principal.clone().map(|p| view! { <span class="muted">{format!("user {p}")}</span> })}
                <span class:error-text=failed>{if failed { row.error_code.clone().unwrap_or_else(|| row.status.to_string()) } else { row.status.to_string() }}</span>
                <span class="muted">{format!("{:.1} ms", row.duration_ms)}</span>
            </span>
        </button>
    }
}

/// The selected row explained.
#[component]
fn Detail(detail: api::ContextState<api::TrafficEventData>, selected: RwSignal<Option<i64>>) -> impl IntoView {
    let ui = use_ui();
    let live = use_live();
    move || match detail.traffic_detail().get().flatten() {
        None => view! { <p class="muted small">"Select a row: why it happened, what it caused, and how the server compares with the IR."</p> }.into_any(),
        Some(d) => {
            let row = d.row.clone();
            let path = d.path_from.clone().zip(d.path_to.clone());
            let args = d.args.clone();
            let (function, context, principal) = (row.function.clone(), row.context.clone(), row.principal.clone());
            view! {
                <div class="live-card">
                    <p class="traffic-why" data-testid="traffic-why">{d.why.clone()}</p>
                    <div class="live-row">
                        {path.map(|(from, to)| view! {
                            <button class="button small" data-testid="traffic-show-path" on:click=move |_| {
                                ui.start_trace(ItemId::clone(&from), ItemId::clone(&to));
                                ui.tab.set(CenterTab::Graph);
                            }>"Show the path in the graph"</button>
                        })}
                        {function.clone().filter(|_| row.kind == "call").map(|f| {
                            let args = args.clone();
                            view! {
                                <button class="button small" data-testid="traffic-open-replay" on:click=move |_| {
                                    live.replay.function.set(f.clone());
                                    live.replay.args.set(args.clone());
                                    ui.tab.set(CenterTab::Replay);
                                }>"Open in Replay"</button>
                            }
                        })}
                        {function.clone().filter(|_| row.kind == "call").and_then(|f| {
                            row.source.strip_prefix("tap:").map(|app| view! { <TapReplayButton app=app.to_owned() function=f args=args.clone()/> })
                        })}
                        {context.clone().filter(|_| row.kind == "fetch").map(|c| {
                            let args = args.clone();
                            let user = principal.clone().unwrap_or_default();
                            view! {
                                <button class="button small" data-testid="traffic-open-cache" on:click=move |_| {
                                    live.cache.context.set(c.clone());
                                    live.cache.params.set(args.clone());
                                    live.cache.user.set(user.clone());
                                    ui.tab.set(CenterTab::Cache);
                                }>"Open in Cache"</button>
                            }
                        })}
                    </div>
                    {(!d.differences.is_empty()).then(|| view! {
                        <ul class="differences small" data-testid="traffic-differences">
                            {d.differences.iter().map(|x| view! { <li>{x.clone()}</li> }).collect_view()}
                        </ul>
                    })}
                    <table class="kv small">
                        <tr><td>"Kind"</td><td>{format!("{} over {} ({})", row.kind, row.transport, row.source)}</td></tr>
                        {row.principal.clone().map(|p| view! { <tr><td>"User"</td><td>{p}</td></tr> })}
                        {row.client.clone().map(|c| view! { <tr><td>"Client"</td><td class="mono">{c}</td></tr> })}
                        {(!d.invalidated.is_empty()).then(|| view! { <tr><td>"Invalidated"</td><td class="mono">{d.invalidated.join(", ")}</td></tr> })}
                        {(!d.caused.is_empty()).then(|| view! {
                            <tr><td>"Caused"</td><td>
                                {d.caused.iter().map(|c| {
                                    let c = *c;
                                    view! { <button class="link small" on:click=move |_| selected.set(Some(c))>{format!("#{c} ")}</button> }
                                }).collect_view()}
                            </td></tr>
                        })}
                    </table>
                    {(!d.result.is_empty()).then(|| view! { <pre class="json mono small value-block">{d.result.clone()}</pre> })}
                </div>
            }
            .into_any()
        }
    }
}

/// Runs the selected call again inside the attached app it came from,
/// through its devtools channel (`tap_replay`): the way to replay a Tauri
/// app's IPC functions.
#[component]
fn TapReplayButton(app: String, function: String, args: String) -> impl IntoView {
    let list = api::use_tap_list();
    let replay = api::use_tap_replay();
    list.dispatch(());
    let name = app.clone();
    let pid = move || {
        list.value()
            .get()
            .and_then(Result::ok)
            .and_then(|apps| apps.into_iter().find(|a| a.name == name && a.attached))
            .map(|a| a.pid)
    };
    view! {
        {move || pid().map(|pid| {
            let (function, args) = (function.clone(), args.clone());
            view! {
                <button class="button small" data-testid="traffic-tap-replay"
                    title="Run this call again inside the app, through its devtools channel"
                    on:click=move |_| { replay.dispatch(api::TapReplayArgs { pid, function: function.clone(), args: args.clone(), token: None }); }>
                    {format!("Replay in {app}")}
                </button>
            }
        })}
        {move || replay.value().get().map(|r| match r {
            Ok(r) if r.error.is_empty() => view! { <span class="ok-text small">{format!("answered in {:.1} ms", r.duration_ms)}</span> }.into_any(),
            Ok(r) => view! { <span class="error-text small">{r.error}</span> }.into_any(),
            Err(e) => view! { <span class="error-text small">{e.message}</span> }.into_any(),
        })}
    }
}
