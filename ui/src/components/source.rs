//! The Source tab: the IR on screen (the KDL the backend highlighted),
//! with line numbers, the lines that have diagnostics marked, and the line
//! an inspector location pointed at brought into view.

use std::collections::BTreeMap;

use leptos::html::Div;
use leptos::prelude::*;

use crate::api::{self, Severity};
use crate::context::ui::use_ui;
use crate::context::views::{use_app, use_workspace};

/// Line height of the code, in pixels (12 px type × 1.55, as in the CSS).
const LINE_PX: f64 = 18.6;

/// The worst severity per line: an error over a warning.
pub fn marks_by_line(items: impl IntoIterator<Item = (i64, Severity)>) -> BTreeMap<i64, Severity> {
    let mut out: BTreeMap<i64, Severity> = BTreeMap::new();
    for (line, severity) in items {
        let slot = out.entry(line).or_insert(severity);
        if severity == Severity::Error {
            *slot = Severity::Error;
        }
    }
    out
}

/// The Source tab.
#[component]
pub fn SourceView() -> impl IntoView {
    let ui = use_ui();
    let app = use_app();
    let views = use_workspace();
    let source_view = api::use_source_context();
    let source = Memo::new(move |_| source_view.data.with(|d| d.as_ref().map(|d| d.ir_source.clone())));
    let path = move || {
        app.project
            .data
            .with(|d| d.as_ref().and_then(|d| d.project_info.ir_path.clone().or(d.project_info.source.clone())))
    };
    let last_good = move || app.project.data.with(|d| d.as_ref().is_some_and(|d| d.project_info.showing_last_good));
    // Diagnostics of a failed load point into the file on disk, not the
    // text shown: only mark them when they describe what is shown.
    let marks = Memo::new(move |_| {
        views.diagnostics.data.with(|d| {
            d.as_ref()
                .filter(|d| !d.diagnostic_list.from_failed_load)
                .map(|d| {
                    marks_by_line(
                        d.diagnostic_list
                            .items
                            .iter()
                            .filter_map(|i| i.location.as_ref().map(|l| (l.line, i.severity))),
                    )
                    .into_iter()
                    .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let scroller: NodeRef<Div> = NodeRef::new();
    // Bring the pointed-at line into view (a third from the top).
    Effect::new(move |_| {
        let line = ui.source_line.get();
        source.track();
        if let (Some(line), Some(el)) = (line, scroller.get()) {
            let top = ((line - 1) as f64 * LINE_PX - el.client_height() as f64 / 3.0).max(0.0);
            el.set_scroll_top(top as i32);
        }
    });

    view! {
        <div class="source-view" data-testid="source-view">
            <header class="file-head">
                <div class="file-title">
                    <span class="mono file-path">{path}</span>
                    <span class="spacer"></span>
                    <span class="muted small">"KDL"</span>
                </div>
                {move || {
                    last_good()
                        .then(|| {
                            view! {
                                <p class="error-text small file-state-text">
                                    "The file on disk does not load (see Problems): this is the last good IR."
                                </p>
                            }
                        })
                }}
            </header>
            {move || match source.get().map(|s| (s.html, s.missing)) {
                None => view! { <p class="muted file-pane-empty">"Loading…"</p> }.into_any(),
                Some((None, missing)) => {
                    // The backend says why (loading, a failed first load...).
                    view! {
                        <p class="muted file-pane-empty" data-testid="source-missing">
                            {missing.unwrap_or_default()}
                        </p>
                    }
                        .into_any()
                }
                Some((Some(html), _)) => {
                    let lines = html.matches('\n').count() + 1;
                    let gutter: String = (1..=lines).map(|n| format!("{n}\n")).collect();
                    view! {
                        <div class="code-scroll source-scroll" node_ref=scroller>
                            <pre class="gutter mono" aria-hidden="true">{gutter}</pre>
                            <div class="code-layer">
                                {move || {
                                    marks
                                        .get()
                                        .into_iter()
                                        .map(|(line, severity)| {
                                            view! {
                                                <div
                                                    class=format!("line-mark {severity}")
                                                    data-line=line
                                                    style=format!("top: calc(8px + {} * 1.55em)", line - 1)
                                                ></div>
                                            }
                                        })
                                        .collect_view()
                                }}
                                {move || {
                                    ui.source_line
                                        .get()
                                        .map(|line| {
                                            view! {
                                                <div
                                                    class="line-mark pointed"
                                                    data-testid="source-pointed"
                                                    data-line=line
                                                    style=format!("top: calc(8px + {} * 1.55em)", line - 1)
                                                ></div>
                                            }
                                        })
                                }}
                                <pre class="code-text mono"><code class="hl-code" inner_html=html></code></pre>
                            </div>
                        </div>
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_outranks_a_warning_on_its_line() {
        use Severity::{Error, Warning};
        let marks = marks_by_line([(3, Warning), (3, Error), (3, Warning), (7, Warning)]);
        assert_eq!(marks.into_iter().collect::<Vec<_>>(), [(3, Error), (7, Warning)]);
    }
}
