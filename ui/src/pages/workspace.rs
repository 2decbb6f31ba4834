//! The screen of an open project: the lists on the left, the invalidation
//! graph with the problems panel in the middle, the inspector on the
//! right. It mounts the project's contexts once and shares them.

use leptos::prelude::*;

use crate::api::{self, ContextState, GraphParams};
use crate::app::use_app;
use crate::components::diagnostics::Problems;
use crate::components::graph::Graph;
use crate::components::inspector::Inspector;
use crate::components::sidebar::Sidebar;
use crate::state::use_ui;

/// Contexts of the open project, mounted while the workspace shows.
#[derive(Clone, Copy)]
pub struct WorkspaceViews {
    /// Functions, contexts, types and mutations.
    pub browse: ContextState<api::BrowseData>,
    /// Check diagnostics of the last load.
    pub diagnostics: ContextState<api::DiagnosticsData>,
    /// The graph as the current view asks for it.
    pub graph: ContextState<api::GraphData>,
    /// What `mizan generate` would write.
    pub preview: ContextState<api::PreviewData>,
}

/// The workspace's views, from any component inside it.
pub fn use_workspace() -> WorkspaceViews {
    expect_context::<WorkspaceViews>()
}

/// The three panes.
#[component]
pub fn Workspace() -> impl IntoView {
    let ui = use_ui();
    let app = use_app();
    let params = Signal::derive(move || GraphParams {
        focus: ui.focus.get(),
        full: ui.full.get().then_some(true),
        in_context: None,
    });
    provide_context(WorkspaceViews {
        browse: api::use_browse_context(),
        diagnostics: api::use_diagnostics_context(),
        graph: api::use_graph_context(params),
        preview: api::use_preview_context(),
    });

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
        }
        now
    });

    view! {
        <div class="workspace">
            <aside class="pane left" aria-label="Browse">
                <Sidebar/>
            </aside>
            <section class="pane center" aria-label="Invalidation graph">
                <Graph/>
                <Problems/>
            </section>
            <aside class="pane right" aria-label="Inspector">
                <Inspector/>
            </aside>
        </div>
    }
}
