//! The status bar: project, IR source, diagnostics count, watch state and
//! the connection to the backend (`use_mizan_status`).

use leptos::prelude::*;
use mizan_client::ConnectionStatus;

use crate::api::{self, LoadState, SourceKind};
use crate::backend;
use crate::components::environment::{EnvironmentStatus, TrafficStatus};
use crate::context::views::use_app;

fn connection_text(s: ConnectionStatus) -> (&'static str, &'static str) {
    match s {
        ConnectionStatus::Idle => ("idle", "no push channel"),
        ConnectionStatus::Connecting => ("connecting", "connecting…"),
        ConnectionStatus::Connected => ("connected", "connected"),
        ConnectionStatus::Reconnecting => ("reconnecting", "backend lost, reconnecting…"),
        ConnectionStatus::Unauthorized => ("unauthorized", "rejected by the backend"),
    }
}

/// One line at the bottom.
#[component]
pub fn StatusBar() -> impl IntoView {
    let app = use_app();
    let status = api::use_mizan_status();
    let settings_open = RwSignal::new(false);
    let info = move || app.project.data.with(|d| d.as_ref().map(|d| d.project_info.clone()));
    let watch = move || {
        app.activity
            .data
            .with(|d| d.as_ref().map(|d| d.activity_status.watch.clone()))
    };

    view! {
        <footer class="status-bar">
            <span class="status-item" data-testid="status-connection" data-status=move || connection_text(status.get()).0>
                <span class="dot" aria-hidden="true"></span>
                {move || format!("{} · {}", backend::transport_name(), connection_text(status.get()).1)}
            </span>
            {move || {
                let Some(p) = info() else {
                    return ().into_any();
                };
                if p.state == LoadState::Closed {
                    return view! { <span class="status-item muted">"no project open"</span> }.into_any();
                }
                let state = match p.state {
                    LoadState::Loading => "loading…",
                    LoadState::Ready => "ready",
                    LoadState::Failed => "last load failed",
                    LoadState::Closed => "",
                };
                let errors = p.counts.errors;
                let warnings = p.counts.warnings;
                let diag = match (errors, warnings) {
                    (0, 0) => "no diagnostics".to_owned(),
                    (e, w) => format!("{e} error{} · {w} warning{}", plural(e), plural(w)),
                };
                let diag_class = match (errors, warnings) {
                    (0, 0) => "status-item",
                    (0, _) => "status-item warn-text",
                    _ => "status-item error-text",
                };
                let state_class = if p.state == LoadState::Failed { "status-item error-text" } else { "status-item" };
                view! {
                    <EnvironmentStatus/>
                    <TrafficStatus/>
                    <span class="status-item" data-testid="status-project" title=p.root.clone().unwrap_or_default()>
                        {p.root.as_deref().map(crate::pure::names::folder_name).unwrap_or("").to_owned()}
                    </span>
                    <span class="status-item mono" data-testid="status-source">
                        {p.source.clone().unwrap_or_default()}
                    </span>
                    <span class=diag_class data-testid="status-diagnostics">
                        {diag}
                    </span>
                    <span class=state_class data-testid="status-state">
                        {state}
                        {p.load_ms.map(|ms| format!(" · rev {} in {ms} ms", p.revision))}
                    </span>
                }
                    .into_any()
            }}
            <span class="spacer"></span>
            {move || {
                watch()
                    .map(|w| {
                        let text = match (&w.error, w.on) {
                            (Some(e), _) => format!("watch failed: {e}"),
                            (None, true) if w.watching.is_empty() => "watch on · nothing to follow yet".to_owned(),
                            (None, true) => format!("watching {}", w.watching.join(", ")),
                            (None, false) => "watch off".to_owned(),
                        };
                        view! {
                            <button
                                class="status-item status-button mono"
                                data-testid="status-watch"
                                class:error-text=w.error.is_some()
                                title="What the watcher follows"
                                aria-expanded=move || settings_open.get().to_string()
                                on:click=move |_| settings_open.update(|o| *o = !*o)
                            >
                                {text}
                                {(w.reloads > 0).then(|| format!(" · {} reload{}", w.reloads, plural(w.reloads)))}
                            </button>
                        }
                    })
            }}
            <Show when=move || settings_open.get()>
                <WatchSettings open=settings_open/>
            </Show>
        </footer>
    }
}

/// Globs from a textarea: one per line, blanks dropped.
pub fn parse_globs(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// What the watcher follows; for `command`/`cargo` sources, the globs
/// whose changes reload (persisted per project by the backend).
#[component]
fn WatchSettings(open: RwSignal<bool>) -> impl IntoView {
    let app = use_app();
    let save = api::use_set_watch_globs();
    let info = move || app.project.data.with(|d| d.as_ref().map(|d| d.project_info.clone()));
    let watch = move || {
        app.activity
            .data
            .with(|d| d.as_ref().map(|d| d.activity_status.watch.clone()))
    };
    let initial = info().map(|p| p.watch_globs.join("\n")).unwrap_or_default();
    let text = RwSignal::new(initial);
    let is_kdl = move || info().is_none_or(|p| p.source_kind == Some(SourceKind::Kdl));
    view! {
        <div
            class="popover watch-settings"
            role="dialog"
            aria-label="Watch"
            data-testid="watch-settings"
            on:keydown=move |ev: web_sys::KeyboardEvent| {
                if ev.key() == "Escape" {
                    open.set(false);
                }
            }
        >
            <header class="popover-head">
                <h3>"Watch"</h3>
                <button class="icon-button" aria-label="Close" on:click=move |_| open.set(false)>"×"</button>
            </header>
            {move || {
                watch()
                    .map(|w| {
                        view! {
                            <p class="muted small">
                                {if w.on {
                                    "On: a change reloads the IR, re-checks it and regenerates (a broken save writes nothing)."
                                } else {
                                    "Off: turn it on with the Watch switch in the top bar."
                                }}
                            </p>
                            {w.error.clone().map(|e| view! { <p class="error-text small">{e}</p> })}
                            <ul class="plain-list mono small">
                                {w.watching.iter().map(|p| view! { <li>{p.clone()}</li> }).collect_view()}
                            </ul>
                        }
                    })
            }}
            {move || {
                if is_kdl() {
                    return view! { <p class="muted small">"The IR is a KDL file: saving it is what counts."</p> }.into_any();
                }
                view! {
                    <form
                        class="globs-form"
                        on:submit=move |ev| {
                            ev.prevent_default();
                            save.dispatch(api::SetWatchGlobsArgs { globs: parse_globs(&text.get_untracked()) });
                        }
                    >
                        <label class="small" for="watch-globs">
                            "Reload when these change (globs relative to the project, one per line):"
                        </label>
                        <textarea
                            id="watch-globs"
                            class="input mono"
                            data-testid="watch-globs"
                            rows="4"
                            placeholder="src/**/*.rs"
                            prop:value=move || text.get()
                            on:input=move |ev| text.set(event_target_value(&ev))
                        ></textarea>
                        <div class="globs-actions">
                            {move || match save.value().get() {
                                Some(Err(e)) => view! { <span class="error-text small">{e.message}</span> }.into_any(),
                                Some(Ok(_)) if !save.pending().get() => view! { <span class="ok-text small">"Saved"</span> }.into_any(),
                                _ => ().into_any(),
                            }}
                            <span class="spacer"></span>
                            <button class="button primary small" type="submit" data-testid="watch-globs-save" disabled=move || save.pending().get()>
                                "Save"
                            </button>
                        </div>
                    </form>
                }
                    .into_any()
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_one_per_line_without_blanks() {
        assert_eq!(parse_globs("src/**/*.rs\n\n  Cargo.toml  \n"), ["src/**/*.rs", "Cargo.toml"]);
        assert!(parse_globs(" \n").is_empty());
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
