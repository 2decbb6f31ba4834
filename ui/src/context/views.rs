//! The backend views mounted once and shared: the app's (provided by
//! `app.rs` for every screen) and the open project's (provided by
//! `pages/workspace.rs` while it shows). Components read them with
//! [`use_app`] / [`use_workspace`] instead of mounting the same context
//! twice.

use leptos::prelude::*;

use crate::api::{self, ContextState};

/// Contexts mounted for the whole app (the top and status bars read them).
#[derive(Clone, Copy)]
pub struct AppViews {
    /// The open project, its IR source and the recent list.
    pub project: ContextState<api::ProjectData>,
    /// The running job, the watcher and the last regenerate.
    pub activity: ContextState<api::ActivityData>,
}

/// The app's views, from any component.
pub fn use_app() -> AppViews {
    expect_context::<AppViews>()
}

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
