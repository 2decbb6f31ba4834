//! The screen of an open project: the lists on the left, the invalidation
//! graph with the problems panel in the middle, the inspector on the
//! right. It mounts the project's contexts once and provides them
//! (`WorkspaceViews`, read with `use_workspace`).

use leptos::prelude::*;

use crate::api::{self, GraphParams};
use crate::components::cache::CacheTab;
use crate::components::clients::{Clients, ThemeStyle};
use crate::components::diagnostics::Problems;
use crate::components::graph::Graph;
use crate::components::inspector::Inspector;
use crate::components::job::JobPanel;
use crate::components::replay::ReplayTab;
use crate::components::sidebar::Sidebar;
use crate::components::source::SourceView;
use crate::components::tokens::TokensTab;
use crate::components::traffic::TrafficTab;
use crate::context::live::LiveForms;
use crate::context::ui::{CenterTab, use_ui};
use crate::context::views::{WorkspaceViews, use_app, use_workspace};

/// The three panes.
#[component]
pub fn Workspace() -> impl IntoView {
    let ui = use_ui();
    let app = use_app();
    let params = Signal::derive(move || GraphParams {
        focus: ui.focus.get(),
        full: ui.full.get().then_some(true),
        in_context: ui.context_filter.get(),
    });
    provide_context(WorkspaceViews {
        browse: api::use_browse_context(),
        diagnostics: api::use_diagnostics_context(),
        graph: api::use_graph_context(params),
        preview: api::use_preview_context(),
    });
    // The live tabs' forms outlive a switch to another tab.
    provide_context(LiveForms::new());

    // Another project opened: what was selected belongs to the old one.
    let root = Memo::new(move |_| {
        app.project
            .data
            .with(|d| d.as_ref().and_then(|d| d.project_info.root.clone()))
    });
    Effect::new(move |previous: Option<Option<String>>| {
        let now = root.get();
        if previous.is_some_and(|p| p != now) {
            ui.selected.set(None);
            ui.focus.set(None);
            ui.context_filter.set(None);
        }
        now
    });

    view! {
        <div class="workspace" class:wide-center=move || ui.tab.get().wide()>
            <aside class="pane left" aria-label="Browse">
                <Sidebar/>
            </aside>
            <section class="pane center">
                <ThemeStyle/>
                <CenterTabs/>
                <JobPanel/>
                // The graph stays mounted behind the Clients tab: its zoom
                // and pan survive a look at the files.
                <div class="tab-body" role="tabpanel" aria-label="Invalidation graph" hidden=move || ui.tab.get() != CenterTab::Graph>
                    <Graph/>
                    <Problems/>
                </div>
                <Show when=move || ui.tab.get() == CenterTab::Clients>
                    <div class="tab-body" role="tabpanel" aria-label="Generated clients">
                        <Clients/>
                    </div>
                </Show>
                <Show when=move || ui.tab.get() == CenterTab::Source>
                    <div class="tab-body" role="tabpanel" aria-label="IR source">
                        <SourceView/>
                    </div>
                </Show>
                <Show when=move || ui.tab.get() == CenterTab::Cache>
                    <div class="tab-body" role="tabpanel" aria-label="Cache inspector">
                        <CacheTab/>
                    </div>
                </Show>
                <Show when=move || ui.tab.get() == CenterTab::Replay>
                    <div class="tab-body" role="tabpanel" aria-label="Replay">
                        <ReplayTab/>
                    </div>
                </Show>
                <Show when=move || ui.tab.get() == CenterTab::Traffic>
                    <div class="tab-body" role="tabpanel" aria-label="Traffic">
                        <TrafficTab/>
                    </div>
                </Show>
                <Show when=move || ui.tab.get() == CenterTab::Tokens>
                    <div class="tab-body" role="tabpanel" aria-label="Tokens">
                        <TokensTab/>
                    </div>
                </Show>
            </section>
            <aside class="pane right" aria-label="Inspector">
                <Inspector/>
            </aside>
        </div>
    }
}

/// "Graph" and "Clients" (with how many files Regenerate would write).
#[component]
fn CenterTabs() -> impl IntoView {
    let ui = use_ui();
    let views = use_workspace();
    let pending = move || {
        views
            .preview
            .data
            .with(|d| d.as_ref().map(|d| d.preview_plan.create + d.preview_plan.update + d.preview_plan.remove))
            .unwrap_or(0)
    };
    let tab = move |which: CenterTab, label: &'static str, hint: &'static str| {
        let name = which.name();
        // The first three keep the testid the earlier tests use; the live
        // tabs are named by their own (relied on by external tests).
        let testid = match which {
            CenterTab::Graph | CenterTab::Clients | CenterTab::Source => "center-tab".to_owned(),
            other => format!("tab-{}", other.name()),
        };
        view! {
            <button
                class="center-tab"
                role="tab"
                data-testid=testid
                data-tab=name
                title=hint
                aria-selected=move || (ui.tab.get() == which).to_string()
                on:click=move |_| ui.tab.set(which)
            >
                {label}
                {(which == CenterTab::Clients)
                    .then(|| {
                        move || {
                            let n = pending();
                            (n > 0).then(|| view! { <span class="badge accent" title="files Regenerate would write or remove">{n}</span> })
                        }
                    })}
            </button>
        }
    };
    view! {
        <nav class="center-tabs" role="tablist">
            {tab(CenterTab::Graph, "Graph", "What invalidates what")}
            {tab(CenterTab::Clients, "Clients", "What mizan generate would write, with diffs against disk")}
            {tab(CenterTab::Source, "Source", "The IR, with its diagnostics' lines marked")}
            <span class="tab-sep" aria-hidden="true"></span>
            {tab(CenterTab::Cache, "Cache", "Keys in the live Redis, and why a lookup missed")}
            {tab(CenterTab::Replay, "Replay", "Send a call to the live backend and compare with the IR")}
            {tab(CenterTab::Tokens, "Tokens", "Mint, decode and verify MWTs")}
            {tab(CenterTab::Traffic, "Traffic", "A running app's calls, fetches and pushes, and why each refetch happened")}
        </nav>
    }
}
