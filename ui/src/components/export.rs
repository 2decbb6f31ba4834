//! The graph's export buttons (over the drawing's corner) (`data-testid="export-svg"`,
//! `export-mermaid`): the backend renders both (`graph_export`); the
//! app-wide runner (`context/commands.rs`) downloads or saves the file.

use leptos::prelude::*;

use crate::api::ExportFormat;
use crate::context::commands::use_commands;

/// "SVG" and "Mermaid".
#[component]
pub fn ExportButtons() -> impl IntoView {
    let commands = use_commands();
    view! {
        <span class="export-group" role="group" aria-label="Export" on:mousedown=|ev| ev.stop_propagation()>
            <span class="muted small">"Export"</span>
            <button
                class="tool"
                data-testid="export-svg"
                title="A standalone SVG of the graph as shown (styles inlined, for a pull request or a doc)"
                disabled=move || commands.exporting()
                on:click=move |_| commands.export(ExportFormat::Svg)
            >
                "SVG"
            </button>
            <button
                class="tool"
                data-testid="export-mermaid"
                title="The Mermaid flowchart of the whole graph (what mizan ir graph --format mermaid prints)"
                disabled=move || commands.exporting()
                on:click=move |_| commands.export(ExportFormat::Mermaid)
            >
                "Mermaid"
            </button>
        </span>
    }
}
