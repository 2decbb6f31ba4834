//! Drag and drop onto the studio window: while something is dragged over
//! it, an overlay says what dropping does; after a drop that opened nothing
//! (several projects below the folder, not a project), a notice says why
//! and offers the candidates. Both come from the backend's `shell` context:
//! the window tells the backend about drags and drops (the webview gets no
//! paths), so web mode never shows either; there a drop is only kept from
//! navigating the tab away to the dropped file.

use leptos::prelude::*;

use crate::api::{self, OpenProjectArgs};
use crate::components::candidates::CandidateList;

/// The drop overlay and the last drop's notice.
#[component]
pub fn DropHint() -> impl IntoView {
    let shell = api::use_shell_context();
    let open = api::use_open_project();
    // Reports already dismissed (a new drop has a higher id).
    let dismissed = RwSignal::new(0_i64);
    // Web mode: a browser opens a file dropped on the page in place of the
    // studio. (In the window, Tauri takes drops before the page sees them.)
    let dragover = window_event_listener(leptos::ev::dragover, |e| e.prevent_default());
    let drop = window_event_listener(leptos::ev::drop, |e| e.prevent_default());
    on_cleanup(move || {
        dragover.remove();
        drop.remove();
    });
    let shell_view = move || shell.data.with(|d| d.as_ref().map(|d| d.shell_view.clone()));
    let dragging = move || shell_view().is_some_and(|s| s.dragging);
    let notice = move || {
        shell_view()
            .and_then(|s| s.last_drop)
            .filter(|d| d.id > dismissed.get() && d.opened.is_none())
    };

    view! {
        <Show when=dragging>
            <div class="drop-overlay" data-testid="drop-hint" aria-live="polite">
                <div class="drop-card">
                    <strong>"Drop to open"</strong>
                    <span class="muted">"a folder with a mizan.toml, the file itself, or a folder above projects"</span>
                </div>
            </div>
        </Show>
        {move || {
            notice()
                .map(|d| {
                    let id = d.id;
                    let several = !d.candidates.is_empty();
                    view! {
                        <div class="card drop-notice" data-testid="drop-notice" role="status">
                            <div class="drop-notice-head">
                                <strong>
                                    {if several { "Several projects below the dropped folder" } else { "Cannot open the dropped path" }}
                                </strong>
                                <button
                                    class="icon-button"
                                    title="Dismiss"
                                    aria-label="Dismiss"
                                    on:click=move |_| dismissed.set(id)
                                >
                                    "×"
                                </button>
                            </div>
                            <p class="mono muted drop-path">{d.path.clone()}</p>
                            {d.error.clone().map(|e| view! { <p class="error-text">{e}</p> })}
                            <CandidateList candidates=d.candidates on_pick=Callback::new(move |path| {
                                dismissed.set(id);
                                open.dispatch(OpenProjectArgs { folder: path });
                            })/>
                        </div>
                    }
                })
        }}
    }
}
