//! The active environment in the status bar: its name and whether its
//! backend and Redis answer (the error on hover and in the popover);
//! one click opens the list to switch, and a place to type a secret that
//! the project names no variable for (kept in memory until the studio
//! closes, never written).

use leptos::prelude::*;

use crate::api::{self, SetEnvironmentArgs, SetSecretArgs};

fn dot(state: &str) -> &'static str {
    match state {
        "ok" => "dot ok",
        "down" => "dot down",
        _ => "dot",
    }
}

/// A probe in words: `answers (2.1 ms): …`, `down: …`, `not set: …`.
fn probe_text(p: &api::Probe) -> String {
    match p.state.as_str() {
        "ok" => format!("answers ({:.1} ms): {}", p.ms, p.detail),
        "down" => format!("down: {}", p.detail),
        _ => format!("not set: {}", p.detail),
    }
}

/// The status-bar item (mounted while a project is open).
#[component]
pub fn EnvironmentStatus() -> impl IntoView {
    let envs = api::use_live_context();
    let status = api::use_live_status_context();
    let open = RwSignal::new(false);
    view! {
        <button
            class="status-item status-button"
            data-testid="status-environment"
            aria-expanded=move || open.get().to_string()
            title=move || {
                status
                    .live_status()
                    .get()
                    .map(|s| format!("backend: {}\nRedis: {}", s.backend.detail, s.redis.detail))
                    .unwrap_or_default()
            }
            on:click=move |_| open.update(|o| *o = !*o)
        >
            {move || match status.live_status().get() {
                None => view! { <span class="muted">"environment…"</span> }.into_any(),
                Some(s) => view! {
                    <span data-backend=s.backend.state.clone() data-redis=s.redis.state.clone()>
                        {s.environment.clone()}
                        " · "
                        <span class=dot(&s.backend.state) aria-hidden="true"></span>"backend "
                        <span class=dot(&s.redis.state) aria-hidden="true"></span>"Redis"
                    </span>
                }
                .into_any(),
            }}
        </button>
        <Show when=move || open.get()>
            <EnvironmentPopover open=open envs=envs status=status/>
        </Show>
    }
}

#[component]
fn EnvironmentPopover(
    open: RwSignal<bool>,
    envs: api::ContextState<api::LiveData>,
    status: api::ContextState<api::LiveStatusData>,
) -> impl IntoView {
    let switch = api::use_set_environment();
    let set_secret = api::use_set_secret();
    let slot = RwSignal::new(String::from("cache_secret"));
    let value = RwSignal::new(String::new());
    view! {
        <div class="popover environment-popover" role="dialog" aria-label="Environments" data-testid="environment-popover"
            on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Escape" { open.set(false) }>
            <header class="popover-head">
                <h3>"Environments"</h3>
                <button class="icon-button" aria-label="Close" on:click=move |_| open.set(false)>"×"</button>
            </header>
            {move || status.live_status().get().map(|s| view! {
                <table class="kv small">
                    <tr><td>"Backend"</td><td class:error-text=s.backend.state == "down">{probe_text(&s.backend)}</td></tr>
                    <tr><td>"Redis"</td><td class:error-text=s.redis.state == "down">{probe_text(&s.redis)}</td></tr>
                </table>
            })}
            {move || envs.environments().get().map(|v| {
                let active = v.active.clone();
                let active_for_secret = v.active.clone();
                view! {
                    {(!v.error.is_empty()).then(|| view! { <p class="error-text small">{v.error.clone()}</p> })}
                    <ul class="env-list">
                        {v.environments.into_iter().map(|e| {
                            let is_active = e.name == active;
                            let name = e.name.clone();
                            view! {
                                <li class="env-item" class:active=is_active>
                                    <button class="link" data-testid="environment-option" data-name=e.name.clone()
                                        on:click=move |_| { switch.dispatch(SetEnvironmentArgs { name: name.clone() }); }>
                                        {e.name.clone()}
                                    </button>
                                    <span class="muted small mono">{if e.base_url.is_empty() { "no base URL".to_owned() } else { e.base_url.clone() }}</span>
                                    {(!e.redis_url.is_empty()).then(|| view! { <span class="muted small mono">{e.redis_url.clone()}</span> })}
                                    <ul class="secret-list small">
                                        {e.secrets.into_iter().map(|s| view! {
                                            <li class:warn-text=!s.set>{format!("{}: {}", s.label, s.source)}</li>
                                        }).collect_view()}
                                    </ul>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <form class="secret-form" on:submit=move |ev| {
                        ev.prevent_default();
                        set_secret.dispatch(SetSecretArgs { environment: active_for_secret.clone(), slot: slot.get_untracked(), value: value.get_untracked() });
                        value.set(String::new());
                    }>
                        <span class="small muted">"Type a secret for this session (memory only):"</span>
                        <div class="input-with-button">
                            <select class="input small-input" on:change=move |ev| slot.set(event_target_value(&ev))>
                                <option value="cache_secret">"cache secret"</option>
                                <option value="redis_password">"Redis password"</option>
                                <option value="mwt:default">"MWT key default"</option>
                            </select>
                            <input class="input mono small-input" type="password" autocomplete="off" placeholder="value (empty forgets it)"
                                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                            <button class="button small" type="submit">"Keep"</button>
                        </div>
                    </form>
                    <p class="muted small">{format!("Environments live in {} (safe to commit: secrets are named by environment variable).", v.file)}</p>
                }
            })}
        </div>
    }
}

/// The traffic count in the status bar (when anything was recorded or the
/// proxy runs): events and drift; a click opens the Traffic tab.
#[component]
pub fn TrafficStatus() -> impl IntoView {
    let ui = crate::context::ui::use_ui();
    let counts = api::use_traffic_summary_context();
    move || {
        counts.traffic_counts().get().filter(|c| c.total > 0 || c.proxy.is_some()).map(|c| {
            let drifting = c.drift > 0;
            view! {
                <button class="status-item status-button" data-testid="status-traffic" data-drift=c.drift
                    class:error-text=drifting
                    title="The Traffic tab"
                    on:click=move |_| ui.tab.set(crate::context::ui::CenterTab::Traffic)>
                    {format!("{} event{}", c.total, if c.total == 1 { "" } else { "s" })}
                    {(c.drift > 0).then(|| format!(" · {} drift", c.drift))}
                    {c.proxy.map(|_| " · proxy on")}
                </button>
            }
        })
    }
}
