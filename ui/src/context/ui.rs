//! UI state shared by the panes: what is selected (kept in sync between
//! the lists, the graph and the inspector), the search text, the graph
//! view (focus), the open overlay (command palette, shortcuts) and the
//! trace. Plain signals, provided once by the app; the only backend data
//! here are answers the UI asked for on purpose (the last what-if, the
//! trace shown) so the graph can highlight them. Opening and closing the
//! palette is here too (it gives the focus back), so the command runner
//! and the keymap open it without knowing the dialog.

use std::cell::RefCell;

use leptos::prelude::*;

use crate::api::{TraceView, WhatIf};
use crate::pure::ids::ItemId;

/// How many recently selected items the palette remembers.
const RECENT: usize = 8;

/// The center pane's tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CenterTab {
    /// The invalidation graph with the problems panel.
    Graph,
    /// What `mizan generate` would write.
    Clients,
    /// The IR source.
    Source,
    /// The cache inspector (live Redis).
    Cache,
    /// The replay console (live backend).
    Replay,
    /// The token tool.
    Tokens,
    /// Live traffic (proxy, taps).
    Traffic,
}

impl CenterTab {
    /// Its name in `data-tab` and `data-testid="tab-<name>"`.
    pub fn name(self) -> &'static str {
        match self {
            CenterTab::Graph => "graph",
            CenterTab::Clients => "clients",
            CenterTab::Source => "source",
            CenterTab::Cache => "cache",
            CenterTab::Replay => "replay",
            CenterTab::Tokens => "tokens",
            CenterTab::Traffic => "traffic",
        }
    }

    /// Whether it needs the width (the inspector is hidden beside it).
    pub fn wide(self) -> bool {
        !matches!(self, CenterTab::Graph | CenterTab::Source)
    }
}

/// What the command palette is open for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaletteMode {
    /// Everything: items and commands.
    Everything,
    /// Picking the other end of a trace starting at this node.
    TraceTo(ItemId),
    /// Picking a project folder (recent ones, or a typed path).
    OpenProject,
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
    /// Bumped to ask the graph to fit the drawing.
    pub fit: RwSignal<u64>,
    /// The last what-if answer (the graph highlights what it reached while
    /// its mutation is selected).
    pub whatif: RwSignal<Option<WhatIf>>,
    /// The center pane's tab.
    pub tab: RwSignal<CenterTab>,
    /// The graph shows only this context with what reaches it.
    pub context_filter: RwSignal<Option<String>>,
    /// The IR source line an inspector location points at.
    pub source_line: RwSignal<Option<i64>>,
    /// Recently selected items, most recent first (the palette's order
    /// when its query is empty).
    pub recent: RwSignal<Vec<ItemId>>,
    /// The open command palette, if any.
    pub palette: RwSignal<Option<PaletteMode>>,
    /// The shortcuts panel is open.
    pub shortcuts: RwSignal<bool>,
    /// The traced pair (from, to), while a trace shows.
    pub trace: RwSignal<Option<(ItemId, ItemId)>>,
    /// The backend's answer for [`Ui::trace`] (the graph highlights it).
    pub trace_view: RwSignal<Option<TraceView>>,
    /// A short message about the last command (an export), if any.
    pub notice: RwSignal<Option<Notice>>,
}

/// A short message shown at the bottom of the screen.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// The text.
    pub text: String,
    /// It reports a failure.
    pub error: bool,
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
            fit: RwSignal::new(0),
            whatif: RwSignal::new(None),
            tab: RwSignal::new(CenterTab::Graph),
            context_filter: RwSignal::new(None),
            source_line: RwSignal::new(None),
            recent: RwSignal::new(Vec::new()),
            palette: RwSignal::new(None),
            shortcuts: RwSignal::new(false),
            trace: RwSignal::new(None),
            trace_view: RwSignal::new(None),
            notice: RwSignal::new(None),
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

    /// Remembers `id` as the most recent selection.
    pub fn remember(&self, id: &str) {
        self.recent.update(|r| push_recent(r, id));
    }

    /// Shows the path between `from` and `to`.
    pub fn start_trace(&self, from: ItemId, to: ItemId) {
        self.trace_view.set(None);
        self.trace.set(Some((from, to)));
    }

    /// Ends the trace (its highlight goes with it).
    pub fn end_trace(&self) {
        self.trace.set(None);
        self.trace_view.set(None);
    }
}

/// `id` moved (or added) to the front of `recent`, which keeps at most
/// [`RECENT`] entries.
fn push_recent(recent: &mut Vec<ItemId>, id: &str) {
    recent.retain(|r| r != id);
    recent.insert(0, id.to_owned());
    recent.truncate(RECENT);
}

/// The shared state from the app.
pub fn use_ui() -> Ui {
    expect_context::<Ui>()
}

thread_local! {
    /// What had the focus when the palette opened (given back on close).
    static RETURN_FOCUS: RefCell<Option<web_sys::HtmlElement>> = const { RefCell::new(None) };
}

/// Opens the palette in `mode`, remembering the focused element (unless it
/// is already open: switching modes keeps the first one).
pub fn open_palette(ui: Ui, mode: PaletteMode) {
    if ui.palette.get_untracked().is_none() {
        let active = document()
            .active_element()
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
        RETURN_FOCUS.with(|r| *r.borrow_mut() = active);
    }
    ui.shortcuts.set(false);
    ui.palette.set(Some(mode));
}

/// Closes the palette and gives the focus back.
pub fn close_palette(ui: Ui) {
    if ui.palette.get_untracked().is_none() {
        return;
    }
    ui.palette.set(None);
    if let Some(el) = RETURN_FOCUS.with(|r| r.borrow_mut().take())
        && el.is_connected()
    {
        let _ = el.focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_moves_to_front_without_duplicates() {
        let mut r = Vec::new();
        for id in ["fn:a", "fn:b", "fn:a"] {
            push_recent(&mut r, id);
        }
        assert_eq!(r, ["fn:a", "fn:b"]);
        for i in 0..20 {
            push_recent(&mut r, &format!("fn:{i}"));
        }
        assert_eq!(r.len(), RECENT);
        assert_eq!(r[0], "fn:19");
    }
}
