//! The status bar: project, IR source, diagnostics count, watch state and
//! the connection to the backend (`use_mizan_status`).

use leptos::prelude::*;
use mizan_client::ConnectionStatus;

use crate::api::{self, LoadState};
use crate::app::use_app;
use crate::backend;

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
                    <span class="status-item" data-testid="status-project" title=p.root.clone().unwrap_or_default()>
                        {p.root.as_deref().map(crate::components::top_bar::folder_name).unwrap_or("").to_owned()}
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
                            (None, true) => format!("watching {}", w.watching.join(", ")),
                            (None, false) => "watch off".to_owned(),
                        };
                        view! {
                            <span class="status-item mono" data-testid="status-watch" class:error-text=w.error.is_some()>
                                {text}
                                {(w.reloads > 0).then(|| format!(" · {} reload{}", w.reloads, plural(w.reloads)))}
                            </span>
                        }
                    })
            }}
        </footer>
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
