//! The problems panel under the graph: every diagnostic of the last load
//! (`data-testid="diagnostic"` with `data-code`), with severity, names and
//! location; clicking one selects its node. A failed load says that the
//! graph shows the last good IR.

use leptos::prelude::*;

use crate::components::show_more::{ShowMore, drawn};
use crate::context::ui::use_ui;
use crate::context::views::{use_app, use_workspace};

/// Problems drawn before "Show more" (a large IR can have hundreds).
const PROBLEMS_PAGE: usize = 50;

/// The problems panel.
#[component]
pub fn Problems() -> impl IntoView {
    let ui = use_ui();
    let app = use_app();
    let views = use_workspace();
    let open = RwSignal::new(true);
    let limit = RwSignal::new(PROBLEMS_PAGE);
    let list = move || {
        views
            .diagnostics
            .data
            .with(|d| d.as_ref().map(|d| d.diagnostic_list.clone()))
    };
    let file = move || {
        app.project
            .data
            .with(|d| d.as_ref().and_then(|d| d.project_info.ir_path.clone()))
            .map(|p| crate::pure::names::folder_name(&p).to_owned())
            .unwrap_or_else(|| "IR".to_owned())
    };
    let last_good = move || app.project.data.with(|d| d.as_ref().is_some_and(|d| d.project_info.showing_last_good));
    let title = move || match list() {
        None => "Problems".to_owned(),
        Some(l) if l.items.is_empty() => "Problems · none".to_owned(),
        Some(l) => format!(
            "Problems · {} error{} · {} warning{}",
            l.errors,
            if l.errors == 1 { "" } else { "s" },
            l.warnings,
            if l.warnings == 1 { "" } else { "s" }
        ),
    };

    view! {
        <section class="problems" class:collapsed=move || !open.get() data-testid="problems">
            <button class="problems-title" on:click=move |_| open.update(|o| *o = !*o) aria-expanded=move || open.get().to_string()>
                <span class="chevron" aria-hidden="true">{move || if open.get() { "▾" } else { "▸" }}</span>
                {title}
            </button>
            <Show when=move || open.get()>
                {move || {
                    list()
                        .map(|l| {
                            let failed = l.from_failed_load;
                            view! {
                                {failed
                                    .then(|| {
                                        view! {
                                            <p class="problems-banner error-text" data-testid="failed-load">
                                                {if last_good() {
                                                    "The last load failed: nothing was regenerated and the graph shows the last good IR."
                                                } else {
                                                    "The load failed and there is no earlier IR to show: nothing was regenerated."
                                                }}
                                            </p>
                                        }
                                    })}
                                <ul class="problem-list">
                                    {let total = l.items.len();
                                    let drawn = drawn(total, limit.get());
                                    let more = (total > drawn)
                                        .then(|| {
                                            view! {
                                                <li>
                                                    <ShowMore total=total limit=limit page=PROBLEMS_PAGE testid="problems-more"/>
                                                </li>
                                            }
                                        });
                                    let items = l
                                        .items
                                        .into_iter()
                                        .take(drawn)
                                        .map(|d| {
                                            let node = d.node.clone();
                                            let location = d
                                                .location
                                                .map(|loc| format!("{}:{}:{}", file(), loc.line, loc.column))
                                                .unwrap_or_default();
                                            view! {
                                                <li>
                                                    <button
                                                        class=format!("problem {}", d.severity)
                                                        data-testid="diagnostic"
                                                        data-code=d.code.clone()
                                                        data-node=d.node.clone()
                                                        disabled=node.is_none()
                                                        on:click=move |_| {
                                                            if let Some(n) = node.clone() {
                                                                ui.select(n);
                                                            }
                                                        }
                                                    >
                                                        <span class="sev" aria-label=d.severity.as_str()></span>
                                                        <span class="code mono">{d.code.clone()}</span>
                                                        <span class="message">{d.message.clone()}</span>
                                                        <span class="where mono muted">{location}</span>
                                                    </button>
                                                </li>
                                            }
                                        })
                                        .collect_view();
                                    view! {
                                        {items}
                                        {more}
                                    }}
                                </ul>
                            }
                        })
                }}
            </Show>
        </section>
    }
}
