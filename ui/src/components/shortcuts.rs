//! The global keyboard (`Keymap`: Ctrl/Cmd+K, `/`, `?`, Escape, decided
//! by `pure/keys.rs`, never while typing in a field but for Escape and
//! Ctrl/Cmd+K), the shortcuts panel (`data-testid="shortcuts"`) and the
//! notice line that reports a command's outcome (an export's file).

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::context::ui::{PaletteMode, close_palette, open_palette, use_ui};
use crate::pure::keys::{self, Press, SHORTCUTS, Shortcut};

/// Whether the event's target takes typed text.
fn typing_in(e: &web_sys::KeyboardEvent) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|el| keys::is_typing_target(&el.tag_name(), el.is_content_editable()))
}

/// Listens on the window for the global shortcuts.
#[component]
pub fn Keymap() -> impl IntoView {
    let ui = use_ui();
    let handle = window_event_listener(ev::keydown, move |e| {
        let key = e.key();
        let press = Press::of(&e, &key);
        let palette_open = ui.palette.get_untracked().is_some();
        let overlay = palette_open || ui.shortcuts.get_untracked();
        let Some(shortcut) = keys::decide(&press, typing_in(&e), overlay) else {
            return;
        };
        e.prevent_default();
        match shortcut {
            Shortcut::Palette if palette_open => close_palette(ui),
            Shortcut::Palette => open_palette(ui, PaletteMode::Everything),
            Shortcut::Search => {
                close_palette(ui);
                ui.shortcuts.set(false);
                if let Ok(Some(el)) = document().query_selector("[data-testid=\"search\"]")
                    && let Ok(input) = el.dyn_into::<web_sys::HtmlInputElement>()
                {
                    let _ = input.focus();
                    input.select();
                }
            }
            Shortcut::Shortcuts => {
                close_palette(ui);
                ui.shortcuts.update(|s| *s = !*s);
            }
            Shortcut::CloseOverlay if palette_open => close_palette(ui),
            Shortcut::CloseOverlay => ui.shortcuts.set(false),
        }
    });
    on_cleanup(move || handle.remove());
}

/// Every shortcut, while `ui.shortcuts` is set.
#[component]
pub fn ShortcutsPanel() -> impl IntoView {
    let ui = use_ui();
    let close = move || ui.shortcuts.set(false);
    view! {
        <Show when=move || ui.shortcuts.get()>
            <div class="overlay" on:mousedown=move |_| close()>
                <div
                    class="shortcuts-panel"
                    role="dialog"
                    aria-modal="true"
                    aria-label="Keyboard shortcuts"
                    data-testid="shortcuts"
                    on:mousedown=|ev| ev.stop_propagation()
                >
                    <header class="shortcuts-head">
                        <h2>"Keyboard shortcuts"</h2>
                        <span class="spacer"></span>
                        <button class="chip-close" title="Close (Esc)" aria-label="Close" on:click=move |_| close()>
                            "×"
                        </button>
                    </header>
                    <div class="shortcuts-groups">
                        {SHORTCUTS
                            .iter()
                            .map(|(group, rows)| {
                                view! {
                                    <section class="shortcuts-group">
                                        <h3>{*group}</h3>
                                        <table class="kv shortcuts-table">
                                            <tbody>
                                                {rows
                                                    .iter()
                                                    .map(|(keys, what)| {
                                                        view! {
                                                            <tr data-testid="shortcut">
                                                                <td>
                                                                    {keys
                                                                        .split("  ")
                                                                        .filter(|k| !k.trim().is_empty())
                                                                        .map(|k| {
                                                                            let k = k.trim();
                                                                            if k == "·" {
                                                                                view! { <span class="muted">" or "</span> }.into_any()
                                                                            } else {
                                                                                view! { <kbd>{k.to_owned()}</kbd> }.into_any()
                                                                            }
                                                                        })
                                                                        .collect_view()}
                                                                </td>
                                                                <td>{*what}</td>
                                                            </tr>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </tbody>
                                        </table>
                                    </section>
                                }
                            })
                            .collect_view()}
                    </div>
                </div>
            </div>
        </Show>
    }
}

/// The outcome of the last command (an export), dismissible; it goes by
/// itself after a while.
#[component]
pub fn NoticeLine() -> impl IntoView {
    let ui = use_ui();
    // Each new notice clears itself 8 s later, unless replaced meanwhile.
    Effect::new(move |_| {
        if let Some(n) = ui.notice.get() {
            set_timeout(
                move || {
                    if ui.notice.get_untracked().as_ref() == Some(&n) {
                        ui.notice.set(None);
                    }
                },
                std::time::Duration::from_secs(8),
            );
        }
    });
    move || {
        ui.notice.get().map(|n| {
            view! {
                <div class="notice-line" class:error=n.error role="status" data-testid="notice">
                    <span class="mono">{n.text.clone()}</span>
                    <button class="chip-close" aria-label="Dismiss" on:click=move |_| ui.notice.set(None)>"×"</button>
                </div>
            }
        })
    }
}
