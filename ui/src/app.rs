//! The studio shell. For now a single placeholder screen; pages for
//! browsing a project, the invalidation graph, client previews, cache
//! debugging and replay (SPEC §11) will be routed from here.

use leptos::prelude::*;

/// Root component of the studio.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <main class="studio" data-testid="studio-root">
            <h1 data-testid="studio-title">"Mizan Studio"</h1>
            <p data-testid="studio-hint">"Open a project folder to begin"</p>
        </main>
    }
}
