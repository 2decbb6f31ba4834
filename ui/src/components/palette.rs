//! The command palette (Ctrl/Cmd+K, `data-testid="command-palette"`):
//! one fuzzy list over every function, mutation, context and type of the
//! project and the studio's commands (ranked by `pure/palette.rs`). ↑/↓ move,
//! Enter selects (everywhere, revealed in the graph, as a click does) or
//! runs, Escape closes, and the focus returns where it was. The same
//! dialog picks the other end of a trace and another project to open.

use leptos::html::Input;
use leptos::prelude::*;

use crate::api::{self, BrowseData, ItemSummary, LoadState};
use crate::context::commands::use_commands;
use crate::context::ui::{PaletteMode, close_palette, use_ui};
use crate::context::views::use_app;
use crate::pure::ids::name_of;
use crate::pure::palette::{self, Command, Entry, Kind};

/// The rows of the project: contexts, mutations, functions, types.
fn project_entries(data: &BrowseData, with_types: bool) -> Vec<Entry> {
    let section = |rows: &[ItemSummary], kind: Kind| {
        rows.iter()
            .map(move |r| Entry {
                id: r.id.clone(),
                label: r.name.clone(),
                kind,
                detail: r.detail.clone(),
            })
            .collect::<Vec<_>>()
    };
    let mut out = section(&data.list_contexts, Kind::Context);
    out.extend(section(&data.list_mutations, Kind::Mutation));
    out.extend(section(&data.list_functions, Kind::Function));
    if with_types {
        out.extend(section(&data.list_types, Kind::Type));
    }
    out
}

/// Mounts the dialog while `ui.palette` is set.
#[component]
pub fn CommandPalette() -> impl IntoView {
    let ui = use_ui();
    move || ui.palette.get().map(|mode| view! { <PaletteDialog mode=mode/> })
}

/// The dialog for one mode.
#[component]
fn PaletteDialog(mode: PaletteMode) -> impl IntoView {
    let ui = use_ui();
    let app = use_app();
    let commands = use_commands();
    let project_open = app
        .project
        .data
        .with_untracked(|d| d.as_ref().is_some_and(|d| d.project_info.state != LoadState::Closed));
    // The same instance the lists show (already loaded): no extra fetch.
    let browse = (project_open && mode != PaletteMode::OpenProject).then(api::use_browse_context);
    // The live environments, to switch from the palette.
    let environments = (project_open && mode == PaletteMode::Everything).then(api::use_live_context);
    let switch_environment = api::use_set_environment();
    let query = RwSignal::new(String::new());
    let active = RwSignal::new(0usize);
    let input: NodeRef<Input> = NodeRef::new();

    let mode_for_rows = mode.clone();
    let rows = Memo::new(move |_| {
        let q = query.get();
        let entries: Vec<Entry> = match &mode_for_rows {
            PaletteMode::Everything => {
                let mut v: Vec<Entry> = Command::ALL
                    .into_iter()
                    .filter(|c| commands.available(*c, project_open))
                    .map(Entry::command)
                    .collect();
                if let Some(b) = browse {
                    b.data.with(|d| {
                        if let Some(d) = d {
                            v.extend(project_entries(d, true));
                        }
                    });
                }
                if let Some(e) = environments
                    && let Some(view) = e.environments().get()
                {
                    v.extend(view.environments.iter().filter(|env| env.name != view.active).map(|env| Entry {
                        id: format!("env:{}", env.name),
                        label: format!("Switch to environment {}", env.name),
                        kind: Kind::Environment,
                        detail: if env.base_url.is_empty() { "no base URL".to_owned() } else { env.base_url.clone() },
                    }));
                }
                v
            }
            PaletteMode::TraceTo(from) => browse
                .map(|b| {
                    b.data
                        .with(|d| d.as_ref().map(|d| project_entries(d, false)).unwrap_or_default())
                })
                .unwrap_or_default()
                .into_iter()
                .filter(|e| &e.id != from)
                .collect(),
            PaletteMode::OpenProject => {
                let mut v: Vec<Entry> = app.project.data.with(|d| {
                    d.as_ref()
                        .map(|d| {
                            d.recent_projects
                                .iter()
                                .map(|r| Entry {
                                    id: format!("project:{}", r.path),
                                    label: r.path.clone(),
                                    kind: Kind::Project,
                                    detail: if r.exists {
                                        r.name.clone()
                                    } else {
                                        format!("{} (gone)", r.name)
                                    },
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                });
                let typed = q.trim();
                if !typed.is_empty() {
                    // A typed path always matches, first.
                    v.insert(
                        0,
                        Entry {
                            id: format!("project:{typed}"),
                            label: typed.to_owned(),
                            kind: Kind::Project,
                            detail: "open this folder".to_owned(),
                        },
                    );
                }
                v
            }
        };
        let recent = ui.recent.get_untracked();
        palette::rank(&q, entries, &recent)
    });
    // A new query starts at the top.
    Effect::new(move |_| {
        query.track();
        active.set(0);
    });
    // Autofocus the input.
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    // Keep the active row in view.
    Effect::new(move |_| {
        active.track();
        if let Ok(Some(el)) = document().query_selector(".palette-row[aria-selected=\"true\"]") {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            el.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });

    let mode_for_choose = mode.clone();
    let choose = Callback::new(move |entry: Entry| {
        // Dispatched before the dialog (which owns the action) closes.
        if let Some(name) = entry.id.strip_prefix("env:") {
            switch_environment.dispatch(api::SetEnvironmentArgs { name: name.to_owned() });
        }
        close_palette(ui);
        if let Some(command) = Command::from_id(&entry.id) {
            commands.run(command);
        } else if let Some(path) = entry.id.strip_prefix("project:") {
            commands.open_project(path.to_owned());
        } else if entry.id.starts_with("env:") {
        } else if let PaletteMode::TraceTo(from) = &mode_for_choose {
            ui.start_trace(from.clone(), entry.id);
        } else {
            ui.select(entry.id);
        }
    });
    let choose_active = move || {
        let entry = rows.with_untracked(|r| r.get(active.get_untracked()).cloned());
        if let Some(entry) = entry {
            choose.run(entry);
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let len = rows.with_untracked(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" => active.update(|a| *a = palette::wrap_step(*a, 1, len)),
            "ArrowUp" => active.update(|a| *a = palette::wrap_step(*a, -1, len)),
            "PageDown" => active.update(|a| *a = (*a + 8).min(len.saturating_sub(1))),
            "PageUp" => active.update(|a| *a = a.saturating_sub(8)),
            "Enter" => choose_active(),
            "Tab" => {}
            _ => return,
        }
        ev.prevent_default();
    };

    let (title, placeholder) = match &mode {
        PaletteMode::Everything => (None, "Search functions, contexts, types, mutations and commands"),
        PaletteMode::TraceTo(from) => (
            Some(format!("Trace from {} to…", name_of(from))),
            "The node to trace to",
        ),
        PaletteMode::OpenProject => (
            Some("Open another project".to_owned()),
            "A recent project, or type a folder path",
        ),
    };
    let mode_name = match &mode {
        PaletteMode::Everything => "everything",
        PaletteMode::TraceTo(_) => "trace",
        PaletteMode::OpenProject => "open-project",
    };

    view! {
        <div class="overlay palette-backdrop" on:mousedown=move |_| close_palette(ui)>
            <div
                class="palette"
                role="dialog"
                aria-modal="true"
                aria-label="Command palette"
                data-testid="command-palette"
                data-mode=mode_name
                on:mousedown=|ev| ev.stop_propagation()
            >
                {title.map(|t| view! { <div class="palette-title">{t}</div> })}
                <input
                    class="input palette-input mono"
                    data-testid="palette-input"
                    type="text"
                    role="combobox"
                    aria-expanded="true"
                    aria-controls="palette-list"
                    aria-autocomplete="list"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder=placeholder
                    node_ref=input
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                    on:keydown=on_key
                />
                <div class="palette-list" id="palette-list" role="listbox">
                    {move || {
                        let list = rows.get();
                        if list.is_empty() {
                            return view! { <p class="palette-empty muted">"Nothing matches."</p> }.into_any();
                        }
                        list.into_iter()
                            .enumerate()
                            .map(|(i, entry)| {
                                let kind = entry.kind.name();
                                let picked = entry.clone();
                                view! {
                                    <div
                                        class=format!("palette-row kind-{kind}")
                                        role="option"
                                        data-testid="palette-item"
                                        data-id=entry.id.clone()
                                        data-kind=kind
                                        aria-selected=move || (active.get() == i).to_string()
                                        on:mousemove=move |_| {
                                            if active.get_untracked() != i {
                                                active.set(i);
                                            }
                                        }
                                        on:click=move |_| choose.run(picked.clone())
                                    >
                                        <span class="item-glyph" aria-hidden="true"></span>
                                        <span class="palette-label mono">{entry.label.clone()}</span>
                                        <span class="palette-detail muted">{entry.detail.clone()}</span>
                                        <span class=format!("tag palette-kind kind-{kind}")>{kind}</span>
                                    </div>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }}
                </div>
                <div class="palette-foot muted">
                    <span><kbd>"↑"</kbd><kbd>"↓"</kbd>" move"</span>
                    <span><kbd>"Enter"</kbd>" select"</span>
                    <span><kbd>"Esc"</kbd>" close"</span>
                    <span class="spacer"></span>
                    <span><kbd>"?"</kbd>" shortcuts"</span>
                </div>
            </div>
        </div>
    }
}
