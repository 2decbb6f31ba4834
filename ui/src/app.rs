//! The studio shell: connects the generated client (`provide_mizan`),
//! mounts and provides the views every screen needs (`AppViews`: the open
//! project, activity), the UI state and the command runner, and
//! lays out the top bar, the screen (no project open / the workspace) and
//! the status bar; the command palette, the shortcuts panel, the global
//! keymap and the notice line sit above every screen.

use leptos::prelude::*;

use crate::api::{self, LoadState};
use crate::backend;
use crate::components::drop_hint::DropHint;
use crate::components::palette::CommandPalette;
use crate::components::shortcuts::{Keymap, NoticeLine, ShortcutsPanel};
use crate::components::status_bar::StatusBar;
use crate::components::top_bar::TopBar;
use crate::context::commands::provide_commands;
use crate::context::ui::Ui;
use crate::context::views::AppViews;
use crate::pages::open_project::OpenProject;
use crate::pages::workspace::Workspace;

/// Which screen shows: only changes when a project opens or closes, so a
/// broken save (ready → failed) never rebuilds the workspace.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Screen {
    /// The first answer has not arrived.
    Starting,
    /// No project open.
    Closed,
    /// A project is open (loading, ready or failed).
    Open,
}

/// Root component of the studio.
#[component]
pub fn App() -> impl IntoView {
    api::provide_mizan(backend::client());
    let views = AppViews {
        project: api::use_project_context(),
        activity: api::use_activity_context(),
    };
    provide_context(views);
    let ui = Ui::new();
    provide_context(ui);
    provide_commands();
    // What was selected last comes first in the palette.
    Effect::new(move |_| {
        if let Some(id) = ui.selected.get() {
            ui.remember(&id);
        }
    });

    let screen = Memo::new(move |_| {
        views
            .project
            .data
            .with(|d| match d.as_ref().map(|d| d.project_info.state) {
                None => Screen::Starting,
                Some(LoadState::Closed) => Screen::Closed,
                Some(_) => Screen::Open,
            })
    });
    let error = move || views.project.error.get().map(|e| e.message);
    crate::timing::report_first_paints(move || views.project.data.with(|d| d.is_some()));

    view! {
        <div class="app" data-testid="studio-root">
            <TopBar/>
            <div class="screen">
                {move || match screen.get() {
                    Screen::Starting => {
                        view! {
                            <div class="starting" data-testid="starting">
                                {move || match error() {
                                    Some(message) => {
                                        view! {
                                            <div class="card notice">
                                                <h2>"Cannot reach the studio backend"</h2>
                                                <p class="muted">{message}</p>
                                                <p class="muted">"It retries by itself; the view fills in once it answers."</p>
                                            </div>
                                        }
                                            .into_any()
                                    }
                                    None => view! { <div class="skeleton wide"></div> }.into_any(),
                                }}
                            </div>
                        }
                            .into_any()
                    }
                    Screen::Closed => view! { <OpenProject/> }.into_any(),
                    Screen::Open => view! { <Workspace/> }.into_any(),
                }}
            </div>
            <StatusBar/>
            <NoticeLine/>
            <CommandPalette/>
            <ShortcutsPanel/>
            <Keymap/>
            <DropHint/>
        </div>
    }
}
