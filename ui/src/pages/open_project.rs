//! The screen with no project open: "Open a project folder", a path field,
//! "Choose folder…" where the window has a native picker (the backend's
//! `shell` context says so; never in web mode) and the recent list
//! (persisted by the backend).

use leptos::prelude::*;
use mizan_client::MizanError;

use crate::api::{self, OpenOutcome, OpenProjectArgs};
use crate::components::candidates::CandidateList;
use crate::context::views::use_app;

/// "Open a project folder" with the recent list.
#[component]
pub fn OpenProject() -> impl IntoView {
    let views = use_app();
    let open = api::use_open_project();
    let choose = api::use_choose_folder();
    let forget = api::use_forget_recent();
    let shell = api::use_shell_context();
    let has_picker = move || {
        shell
            .data
            .with(|d| d.as_ref().is_some_and(|d| d.shell_view.folder_picker))
    };
    let takes_drops = move || {
        shell
            .data
            .with(|d| d.as_ref().is_some_and(|d| d.shell_view.drop_to_open))
    };
    let busy = move || open.pending().get() || choose.pending().get();
    let path = RwSignal::new(String::new());
    let submit = move || {
        let p = path.get_untracked().trim().to_owned();
        if !p.is_empty() {
            open.dispatch(OpenProjectArgs { folder: p });
        }
    };
    let recent = move || {
        views
            .project
            .data
            .with(|d| d.as_ref().map(|d| d.recent_projects.clone()).unwrap_or_default())
    };
    // The latest answer of the path field, a recent entry or the picker; a
    // cancelled picker (`None`) leaves it as it was.
    let latest = RwSignal::new(None::<Result<OpenOutcome, MizanError>>);
    Effect::new(move |_| {
        if let Some(answer) = open.value().get() {
            latest.set(Some(answer));
        }
    });
    Effect::new(move |_| match choose.value().get() {
        Some(Ok(Some(outcome))) => latest.set(Some(Ok(outcome))),
        Some(Err(e)) => latest.set(Some(Err(e))),
        Some(Ok(None)) | None => {}
    });
    let outcome = move || latest.get();

    view! {
        <div class="open-project">
            <div class="card open-card">
                <h1>"Open a project folder"</h1>
                <p class="muted">
                    "A folder with a " <code>"mizan.toml"</code>
                    " (or a folder with one below it). The studio loads its IR, draws what invalidates what and regenerates the clients."
                </p>
                <form
                    class="open-form"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        submit();
                    }
                >
                    <input
                        class="input mono"
                        data-testid="open-path"
                        type="text"
                        placeholder="/path/to/project"
                        autofocus=true
                        prop:value=move || path.get()
                        on:input=move |ev| path.set(event_target_value(&ev))
                    />
                    <button class="button primary" type="submit" data-testid="open-button" disabled=busy>
                        "Open"
                    </button>
                    <Show when=has_picker>
                        <button
                            class="button"
                            type="button"
                            data-testid="choose-folder"
                            title="Pick the folder in the system's dialog"
                            disabled=busy
                            on:click=move |_| {
                                choose.dispatch(());
                            }
                        >
                            "Choose folder…"
                        </button>
                    </Show>
                </form>
                <Show when=takes_drops>
                    <p class="muted drop-tip" data-testid="drop-tip">
                        "Or drop the folder (or its " <code>"mizan.toml"</code> ") anywhere on this window."
                    </p>
                </Show>
                {move || match outcome() {
                    Some(Err(e)) => view! { <p class="error-text" data-testid="open-error">{e.message}</p> }.into_any(),
                    Some(Ok(o)) if !o.candidates.is_empty() => {
                        view! {
                            <div class="candidates">
                                <p class="muted">"Several projects below that folder; pick one:"</p>
                                <CandidateList candidates=o.candidates on_pick=Callback::new(move |path| {
                                    open.dispatch(OpenProjectArgs { folder: path });
                                })/>
                            </div>
                        }
                            .into_any()
                    }
                    _ => ().into_any(),
                }}
                <h2 class="section-title">"Recent"</h2>
                {move || {
                    let list = recent();
                    if list.is_empty() {
                        return view! { <p class="muted">"No recent projects yet."</p> }.into_any();
                    }
                    view! {
                        <ul class="recent-list">
                            {list
                                .into_iter()
                                .map(|r| {
                                    let (open_path, forget_path) = (r.path.clone(), r.path.clone());
                                    view! {
                                        <li class="recent-item" data-testid="recent-item" class:missing=!r.exists>
                                            <button
                                                class="recent-open"
                                                disabled=!r.exists
                                                on:click=move |_| {
                                                    open.dispatch(OpenProjectArgs { folder: open_path.clone() });
                                                }
                                            >
                                                <span class="recent-name">{r.name.clone()}</span>
                                                <span class="recent-path mono muted">{r.path.clone()}</span>
                                                {(!r.exists).then(|| view! { <span class="tag warn">"missing"</span> })}
                                            </button>
                                            <button
                                                class="icon-button"
                                                title="Remove from the list"
                                                aria-label="Remove from the list"
                                                on:click=move |_| {
                                                    forget.dispatch(api::ForgetRecentArgs { path: forget_path.clone() });
                                                }
                                            >
                                                "×"
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </div>
        </div>
    }
}
