//! The projects found below a folder that holds several, as buttons: the
//! open screen shows them after an ambiguous path, the drop notice after
//! an ambiguous drop.

use leptos::prelude::*;

/// The projects found below a folder, each a button that opens it
/// (`on_pick` gets its path).
#[component]
pub fn CandidateList(candidates: Vec<String>, on_pick: Callback<String>) -> impl IntoView {
    view! {
        <ul class="plain-list">
            {candidates
                .into_iter()
                .map(|c| {
                    let target = c.clone();
                    view! {
                        <li>
                            <button class="link mono" on:click=move |_| on_pick.run(target.clone())>
                                {c}
                            </button>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
