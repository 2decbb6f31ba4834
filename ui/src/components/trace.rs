//! Trace between two nodes: "Trace to…" in the inspector picks the other
//! end with the palette; the backend's `trace` context (`trace_path`,
//! shortest path along the edges, else ignoring their direction) answers
//! with the reason for each edge. The steps show in the inspector
//! (`data-testid="trace-result"`, one `trace-step` each) and the graph
//! highlights the path (`data-trace="on"`) until the trace ends.

use leptos::prelude::*;

use crate::api::{self, TraceParams, TraceStep};
use crate::context::ui::{PaletteMode, open_palette, use_ui};
use crate::pure::ids::{ItemId, name_of};

/// The inspector's "Trace to…" button for node `id`.
#[component]
pub fn TraceButton(id: ItemId) -> impl IntoView {
    let ui = use_ui();
    view! {
        <button
            class="button small-button"
            data-testid="trace-to"
            title="Find the path from this node to another, with the reason for each edge"
            on:click=move |_| open_palette(ui, PaletteMode::TraceTo(id.clone()))
        >
            "Trace to…"
        </button>
    }
}

/// The trace shown, if any (the inspector mounts it above its panel).
#[component]
pub fn TracePanel() -> impl IntoView {
    let ui = use_ui();
    move || {
        ui.trace
            .get()
            .map(|(from, to)| view! { <TraceResult from=from to=to/> })
    }
}

/// A node id as a button selecting it.
fn node_link(id: String) -> impl IntoView {
    let ui = use_ui();
    let text = name_of(&id).to_owned();
    let kind = if id.starts_with("ctx:") { "context" } else { "function" };
    view! {
        <button class=format!("link mono trace-node kind-{kind}") on:click=move |_| ui.select(id.clone())>
            {text}
        </button>
    }
}

/// A sentence whose `backticked` names show as code.
fn with_code(text: &str) -> impl IntoView + use<> {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                view! { <code>{part.to_owned()}</code> }.into_any()
            } else {
                part.to_owned().into_any()
            }
        })
        .collect_view()
}

/// One step: `a —affects→ b` (or `←` walked against the edge) and why.
fn step_view(step: TraceStep) -> impl IntoView {
    let kind = step.kind.as_str();
    let arrow = if step.reversed {
        format!("← {kind} —")
    } else {
        format!("— {kind} →")
    };
    let (left, right) = if step.reversed {
        (step.to.clone(), step.from.clone())
    } else {
        (step.from.clone(), step.to.clone())
    };
    view! {
        <li
            class="trace-step"
            class:reversed=step.reversed
            data-testid="trace-step"
            data-from=step.from.clone()
            data-to=step.to.clone()
            data-kind=kind
        >
            <div class="trace-edge">
                {node_link(left)}
                <span class=format!("trace-arrow {kind}")>{arrow}</span>
                {node_link(right)}
            </div>
            <div class="muted small trace-reason">{with_code(&step.reason)}</div>
        </li>
    }
}

#[component]
fn TraceResult(from: ItemId, to: ItemId) -> impl IntoView {
    let ui = use_ui();
    let (f, t) = (from.clone(), to.clone());
    let trace = api::use_trace_context(Signal::derive(move || TraceParams {
        from: f.clone(),
        to: t.clone(),
    }));
    // The graph highlights what the backend answered.
    Effect::new(move |_| ui.trace_view.set(trace.data.get().map(|d| d.trace_path)));
    let (from_name, to_name) = (name_of(&from).to_owned(), name_of(&to).to_owned());
    let summary = move || {
        let (a, b) = (from_name.clone(), to_name.clone());
        trace.data.with(|d| {
            d.as_ref().map(|d| {
                let v = &d.trace_path;
                let n = v.steps.len();
                let steps = format!("{n} step{}", if n == 1 { "" } else { "s" });
                if !v.found {
                    (
                        "none",
                        format!(
                            "No path between {a} and {b}, not even ignoring edge directions: they are in separate parts of the graph, so nothing {a} does reaches {b}."
                        ),
                    )
                } else if n == 0 {
                    ("same", format!("{a} is {b}."))
                } else if v.directed {
                    ("directed", format!("{a} reaches {b} in {steps}."))
                } else {
                    (
                        "undirected",
                        format!(
                            "{a} does not reach {b} along the edges' directions. They are connected only ignoring directions ({steps}; ← marks an edge walked backwards)."
                        ),
                    )
                }
            })
        })
    };
    view! {
        <section
            class="panel-section trace-result"
            data-testid="trace-result"
            data-found=move || trace.data.with(|d| d.as_ref().map(|d| d.trace_path.found.to_string()))
            data-directed=move || trace.data.with(|d| d.as_ref().map(|d| d.trace_path.directed.to_string()))
        >
            <div class="trace-head">
                <h3>"Trace"</h3>
                <span class="mono small">{format!("{} → {}", name_of(&from), name_of(&to))}</span>
                <span class="spacer"></span>
                <button class="button small-button" data-testid="trace-end" title="End the trace (Esc in the graph)" on:click=move |_| ui.end_trace()>
                    "End trace"
                </button>
            </div>
            {move || match (summary(), trace.error.get()) {
                (Some((how, text)), _) => view! { <p class=format!("trace-summary {how}") data-testid="trace-summary">{text}</p> }.into_any(),
                (None, Some(e)) => view! { <p class="error-text">{e.message}</p> }.into_any(),
                (None, None) => view! { <div class="skeleton"></div> }.into_any(),
            }}
            <ol class="trace-steps">
                {move || trace.data.get().map(|d| d.trace_path.steps.into_iter().map(step_view).collect_view())}
            </ol>
        </section>
    }
}
