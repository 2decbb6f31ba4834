//! The left pane: the search box and the lists (contexts, mutations,
//! functions, types). Clicking an item selects it everywhere (graph,
//! inspector); the graph's selection highlights it here. ↑/↓ (in the
//! search box or on a row) move the selection through the visible rows,
//! Enter focuses it in the graph (`pure/keys.rs` decides; `/` is global).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{BrowseData, ItemSummary};
use crate::components::show_more::{ShowMore, drawn};
use crate::context::ui::use_ui;
use crate::context::views::use_workspace;
use crate::pure::fuzzy;
use crate::pure::keys::{self, ListKey, Press};

/// The rows of `section` (the backend words each row).
fn rows(data: &BrowseData, section: Section) -> Vec<ItemSummary> {
    match section {
        Section::Contexts => &data.list_contexts,
        Section::Mutations => &data.list_mutations,
        Section::Functions => &data.list_functions,
        Section::Types => &data.list_types,
    }
    .clone()
}

#[derive(Clone, Copy, PartialEq)]
enum Section {
    Contexts,
    Mutations,
    Functions,
    Types,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Section::Contexts => "Contexts",
            Section::Mutations => "Mutations",
            Section::Functions => "Functions",
            Section::Types => "Types",
        }
    }

    /// The `data-testid` of its rows (`context-item` is the test contract).
    fn testid(self) -> &'static str {
        match self {
            Section::Contexts => "context-item",
            Section::Mutations => "mutation-item",
            Section::Functions => "function-item",
            Section::Types => "type-item",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Section::Contexts => "kind-context",
            Section::Mutations => "kind-mutation",
            Section::Functions => "kind-function",
            Section::Types => "kind-type",
        }
    }
}

/// Search box and the four lists.
#[component]
pub fn Sidebar() -> impl IntoView {
    let ui = use_ui();
    let on_key = move |e: web_sys::KeyboardEvent| {
        let key = e.key();
        let press = Press::of(&e, &key);
        let Some(action) = keys::list_key(&press) else {
            return;
        };
        let target = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
        let on_row = target.as_ref().and_then(|t| t.get_attribute("data-id"));
        let Some(lists) = target.as_ref().and_then(|t| t.closest(".sidebar").ok().flatten()) else {
            return;
        };
        match action {
            ListKey::Enter => {
                // A row's own Enter also clicks (selects) it.
                if let Some(id) = on_row.or_else(|| ui.selected.get_untracked()) {
                    e.prevent_default();
                    ui.select(id.clone());
                    ui.focus.set(Some(id));
                }
            }
            ListKey::Down | ListKey::Up => {
                e.prevent_default();
                let rows = visible_rows(&lists);
                let ids: Vec<String> = rows.iter().filter_map(|r| r.get_attribute("data-id")).collect();
                let current = ui.selected.get_untracked();
                if let Some(next) = keys::step(&ids, current.as_deref(), action == ListKey::Down) {
                    let next = next.to_owned();
                    ui.select(next.clone());
                    if let Some(row) = rows
                        .iter()
                        .find(|r| r.get_attribute("data-id").as_deref() == Some(&next))
                    {
                        if on_row.is_some() {
                            let _ = row.focus();
                        } else {
                            row.scroll_into_view_with_bool(false);
                        }
                    }
                }
            }
        }
    };

    view! {
        <div class="sidebar" on:keydown=on_key>
            <div class="search-wrap">
                <input
                    class="input search"
                    data-testid="search"
                    type="search"
                    placeholder="Search   /"
                    aria-label="Search functions, contexts, mutations and types"
                    prop:value=move || ui.query.get()
                    on:input=move |ev| ui.query.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            ui.query.set(String::new());
                        }
                    }
                />
            </div>
            <div class="lists">
                <List section=Section::Contexts/>
                <List section=Section::Mutations/>
                <List section=Section::Functions/>
                <List section=Section::Types/>
            </div>
        </div>
    }
}

/// The rows shown (in open lists, in screen order).
fn visible_rows(sidebar: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let Ok(found) = sidebar.query_selector_all(".list[open] .list-item[data-id]") else {
        return Vec::new();
    };
    (0..found.length())
        .filter_map(|i| found.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

/// Rows a list draws before "Show more": a 2,000-function project would
/// otherwise put 4,000 rows (20,000 elements) in the page; search narrows.
const LIST_PAGE: usize = 100;

/// One collapsible list.
#[component]
fn List(section: Section) -> impl IntoView {
    let ui = use_ui();
    let views = use_workspace();
    let all = Memo::new(move |_| views.browse.data.with(|d| d.as_ref().map(|d| rows(d, section))));
    let shown = Memo::new(move |_| {
        let query = ui.query.get();
        all.get().map(|rows| fuzzy::filter(&query, rows, |r| r.name.as_str()))
    });
    let limit = RwSignal::new(LIST_PAGE);
    // A new search starts from the first page again.
    Effect::new(move |_| {
        ui.query.track();
        limit.set(LIST_PAGE);
    });
    let count = move || match (shown.get(), all.get()) {
        (Some(s), Some(a)) if s.len() != a.len() => format!("{}/{}", s.len(), a.len()),
        (Some(s), _) => s.len().to_string(),
        _ => String::new(),
    };

    view! {
        <details class="list" open=true>
            <summary class="list-title">
                <span>{section.title()}</span>
                <span class="count">{count}</span>
            </summary>
            {move || match shown.get() {
                None => view! {
                    <div class="skeleton-rows">
                        <div class="skeleton"></div>
                        <div class="skeleton"></div>
                        <div class="skeleton"></div>
                    </div>
                }
                    .into_any(),
                Some(rows) if rows.is_empty() => view! { <p class="list-empty muted">"none"</p> }.into_any(),
                Some(rows) => {
                    let total = rows.len();
                    let drawn = drawn(total, limit.get());
                    let more = view! { <ShowMore total=total limit=limit page=LIST_PAGE testid="list-more"/> };
                    let items = rows
                        .into_iter()
                        .take(drawn)
                        .map(|row| {
                            let id = row.id.clone();
                            let select_id = row.id.clone();
                            view! {
                                <button
                                    class=format!("list-item {}", section.class())
                                    class:selected=move || ui.is_selected(&id)
                                    data-testid=section.testid()
                                    data-name=row.name.clone()
                                    data-id=row.id.clone()
                                    on:click=move |_| ui.select(select_id.clone())
                                >
                                    <span class="item-glyph" aria-hidden="true"></span>
                                    <span class="item-name mono">{row.name.clone()}</span>
                                    {(row.diagnostics > 0).then(|| view! { <span class="badge warn" title="has diagnostics">"!"</span> })}
                                    <span class="item-detail muted">{row.detail.clone()}</span>
                                </button>
                            }
                        })
                        .collect_view();
                    view! {
                        {items}
                        {more}
                    }
                        .into_any()
                }
            }}
        </details>
    }
}
