//! UI state shared by the panes: what is selected (kept in sync between
//! the lists, the graph and the inspector), the search text and the graph
//! view (focus). Plain signals, provided once by the workspace; no data
//! from the backend lives here.

use leptos::prelude::*;

use crate::api::WhatIf;

/// Id of a graph node or a type, as the backend spells graph nodes
/// (`ctx:NAME`, `fn:NAME`; types are `type:NAME`).
pub type ItemId = String;

/// `ctx:NAME`.
pub fn ctx_id(name: &str) -> ItemId {
    format!("ctx:{name}")
}

/// `fn:NAME` (functions and mutations).
pub fn fn_id(name: &str) -> ItemId {
    format!("fn:{name}")
}

/// `type:NAME`.
pub fn type_id(name: &str) -> ItemId {
    format!("type:{name}")
}

/// The name part of an id.
pub fn name_of(id: &str) -> &str {
    id.split_once(':').map_or(id, |(_, name)| name)
}

/// The center pane's tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CenterTab {
    /// The invalidation graph with the problems panel.
    Graph,
    /// What `mizan generate` would write.
    Clients,
}

/// Shared UI state. `Copy`, like the signals inside.
#[derive(Clone, Copy)]
pub struct Ui {
    /// The selected item, if any.
    pub selected: RwSignal<Option<ItemId>>,
    /// The search box's text (filters the lists).
    pub query: RwSignal<String>,
    /// The graph's focus node (its ancestors and descendants only).
    pub focus: RwSignal<Option<ItemId>>,
    /// The whole graph even when it is large (the backend shows an
    /// overview above its threshold).
    pub full: RwSignal<bool>,
    /// Bumped to ask the graph to bring the selection into view.
    pub reveal: RwSignal<u64>,
    /// The last what-if answer (the graph highlights what it reached while
    /// its mutation is selected).
    pub whatif: RwSignal<Option<WhatIf>>,
    /// The center pane's tab.
    pub tab: RwSignal<CenterTab>,
    /// The graph shows only this context with what reaches it.
    pub context_filter: RwSignal<Option<String>>,
}

impl Ui {
    /// Nothing selected, no search, the default graph view.
    pub fn new() -> Self {
        Ui {
            selected: RwSignal::new(None),
            query: RwSignal::new(String::new()),
            focus: RwSignal::new(None),
            full: RwSignal::new(false),
            reveal: RwSignal::new(0),
            whatif: RwSignal::new(None),
            tab: RwSignal::new(CenterTab::Graph),
            context_filter: RwSignal::new(None),
        }
    }

    /// Selects `id` and asks the graph to show it.
    pub fn select(&self, id: ItemId) {
        self.selected.set(Some(id));
        self.tab.set(CenterTab::Graph);
        self.reveal.update(|n| *n += 1);
    }

    /// A reactive "is `id` the selection".
    pub fn is_selected(&self, id: &str) -> bool {
        self.selected.with(|s| s.as_deref() == Some(id))
    }
}

/// The shared state from the workspace.
pub fn use_ui() -> Ui {
    expect_context::<Ui>()
}
