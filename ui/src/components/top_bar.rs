//! The top bar: the project's name, "Open…" (closes it, back to the open
//! screen), the watch switch, Regenerate and the summary of the last
//! regenerate (a click or a watched save).

use leptos::prelude::*;

use crate::api::{self, LoadState, RegenerateSummary, RegenerateTrigger, SetWatchArgs};
use crate::context::views::use_app;
use crate::pure::names::folder_name;

/// "3 written · 0 removed · 12 unchanged · 4.2 ms".
fn summary_text(s: &RegenerateSummary) -> String {
    if let Some(error) = &s.error {
        return format!("Nothing written: {error}");
    }
    let how = if s.trigger == RegenerateTrigger::Watch { " · on save" } else { "" };
    format!(
        "{} written · {} removed · {} unchanged · {:.1} ms{how}",
        s.written, s.removed, s.unchanged, s.duration_ms
    )
}

/// Brand, project, watch switch and Regenerate.
#[component]
pub fn TopBar() -> impl IntoView {
    let app = use_app();
    let regenerate = api::use_regenerate();
    let set_watch = api::use_set_watch();
    let close = api::use_close_project();
    let info = move || app.project.data.with(|d| d.as_ref().map(|d| d.project_info.clone()));
    let open = move || info().is_some_and(|p| p.state != LoadState::Closed);
    let has_ir = move || info().is_some_and(|p| p.counts.functions > 0 || p.state == LoadState::Ready);
    let watch_on = move || info().is_some_and(|p| p.watch);
    let last = move || {
        app.activity
            .data
            .with(|d| d.as_ref().and_then(|d| d.activity_status.last_regenerate.clone()))
    };

    view! {
        <header class="top-bar">
            <div class="brand">
                <span class="logo" aria-hidden="true">"⚖"</span>
                <span class="brand-name">"Mizan Studio"</span>
            </div>
            {move || {
                info()
                    .and_then(|p| p.root)
                    .map(|root| {
                        view! {
                            <div class="project-title" title=root.clone()>
                                <span class="project-name">{folder_name(&root).to_owned()}</span>
                                <span class="project-path mono muted">{root.clone()}</span>
                            </div>
                        }
                    })
            }}
            <div class="spacer"></div>
            <Show when=open>
                <div class="regen-summary-slot">
                    {move || {
                        if regenerate.pending().get() {
                            return view! { <span class="muted">"Regenerating…"</span> }.into_any();
                        }
                        if let Some(Err(e)) = regenerate.value().get() {
                            return view! {
                                <span class="regen-summary error-text" data-testid="regenerate-error">{e.message}</span>
                            }
                                .into_any();
                        }
                        match last() {
                            Some(s) => {
                                let failed = s.error.is_some();
                                let title = s.paths.join("\n");
                                view! {
                                    <span
                                        class="regen-summary"
                                        class:error-text=failed
                                        data-testid="regenerate-summary"
                                        data-written=s.written
                                        data-removed=s.removed
                                        data-unchanged=s.unchanged
                                        title=title
                                    >
                                        {summary_text(&s)}
                                    </span>
                                }
                                    .into_any()
                            }
                            None => ().into_any(),
                        }
                    }}
                </div>
                <button
                    class="button"
                    data-testid="open-other"
                    title="Open another project (this one stays in the recent list)"
                    on:click=move |_| {
                        close.dispatch(());
                    }
                >
                    "Open…"
                </button>
                <button
                    class="switch"
                    data-testid="watch-toggle"
                    role="switch"
                    aria-checked=move || watch_on().to_string()
                    title="Reload, re-check and regenerate when the IR source changes"
                    disabled=move || set_watch.pending().get()
                    on:click=move |_| {
                        set_watch.dispatch(SetWatchArgs { on: !watch_on() });
                    }
                >
                    <span class="switch-track" aria-hidden="true">
                        <span class="switch-thumb"></span>
                    </span>
                    "Watch"
                </button>
                <button
                    class="button primary"
                    data-testid="regenerate"
                    title="Write the generated clients (mizan generate)"
                    disabled=move || regenerate.pending().get() || !has_ir()
                    on:click=move |_| {
                        regenerate.dispatch(());
                    }
                >
                    "Regenerate"
                </button>
            </Show>
        </header>
    }
}
