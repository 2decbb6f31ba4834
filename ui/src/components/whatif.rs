//! What-if for the selected mutation: arguments as JSON
//! (`data-testid="whatif-args"`, Enter applies), answered by the backend's
//! `whatif` (the core's own resolution): the exact `{"invalidate",
//! "merge"}` lists (`whatif-result`), the `X-Mizan-Invalidate` header, and
//! in words which instances clients refetch. The graph highlights what it
//! reached.

use leptos::prelude::*;
use mizan_client::{Invalidation, MergeEntry};
use serde_json::{Map, Value, json};

use crate::api::{self, ParamView, WhatifArgs};
use crate::components::json::JsonBlock;
use crate::context::live::use_live;
use crate::context::ui::{CenterTab, use_ui};

/// A starting value for a param of `shape`.
fn example(shape: &str) -> Value {
    match shape.trim_start_matches("optional<").trim_end_matches('>') {
        "integer" => json!(1),
        "number" => json!(1.5),
        "string" => json!(""),
        "boolean" => json!(false),
        s if s.starts_with("list<") => json!([]),
        _ => Value::Null,
    }
}

/// `{"user_id": 1, "name": ""}` from the params, in their order.
fn template(params: &[ParamView]) -> String {
    let fields: Vec<String> = params
        .iter()
        .map(|p| {
            let value = p.default.clone().unwrap_or_else(|| example(&p.shape));
            format!("{}: {value}", Value::String(p.name.clone()))
        })
        .collect();
    format!("{{{}}}", fields.join(", "))
}

/// `user_id=5, name=x`.
fn params_text(params: &Map<String, Value>) -> String {
    params
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            v => format!("{k}={v}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One sentence per entry: which instances refetch or get patched.
fn explain(invalidate: &Value, merge: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    let entries: Vec<Invalidation> = serde_json::from_value(invalidate.clone()).unwrap_or_default();
    for entry in entries {
        lines.push(match entry {
            Invalidation::Broad(ctx) => format!("refetch every instance of {ctx}"),
            Invalidation::Scoped(s) => {
                let which = match &s.params {
                    Some(p) if !p.is_empty() => format!("the instances of {} with {}", s.context, params_text(p)),
                    _ => format!("every instance of {}", s.context),
                };
                match s.function {
                    Some(f) => format!("refetch {which} (member {f} changed)"),
                    None => format!("refetch {which}"),
                }
            }
        });
    }
    let merges: Vec<MergeEntry> = serde_json::from_value(merge.clone()).unwrap_or_default();
    for m in merges {
        let which = match &m.params {
            Some(p) if !p.is_empty() => format!(" with {}", params_text(p)),
            _ => String::new(),
        };
        lines.push(format!(
            "patch {}.{}{which} with the result, no refetch",
            m.context, m.slot
        ));
    }
    lines
}

/// The what-if box of mutation `name`; `params` are its params and
/// whether it merges, once its details arrived.
#[component]
pub fn WhatIf(name: String, params: Signal<Option<(Vec<ParamView>, bool)>>) -> impl IntoView {
    let live = use_live();
    let ui = use_ui();
    let action = api::use_whatif();
    let text = RwSignal::new(String::new());
    // The arguments start as a template of the params, once they are known;
    // a refetch never overwrites what was typed.
    Effect::new(move |_| {
        if let Some((params, _)) = params.get()
            && text.with_untracked(String::is_empty)
        {
            text.set(template(&params));
        }
    });
    let result_text = RwSignal::new(String::new());
    let input_error = RwSignal::new(None::<String>);
    let mutation = StoredValue::new(name.clone());
    let apply = move || {
        let args: Value = match serde_json::from_str(&text.get_untracked()) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                input_error.set(Some(
                    "The arguments must be a JSON object: {\"name\": value, ...}".into(),
                ));
                return;
            }
            Err(e) => {
                input_error.set(Some(format!("Not JSON: {e}")));
                return;
            }
        };
        let result = match result_text.get_untracked().trim() {
            "" => None,
            t => match serde_json::from_str::<Value>(t) {
                Ok(v) => Some(v),
                Err(e) => {
                    input_error.set(Some(format!("The result is not JSON: {e}")));
                    return;
                }
            },
        };
        input_error.set(None);
        action.dispatch(WhatifArgs {
            mutation: mutation.get_value(),
            args: Some(args),
            result,
        });
    };
    // The graph highlights what the answer reached.
    Effect::new(move |_| {
        if let Some(Ok(w)) = action.value().get() {
            ui.whatif.set(Some(w));
        }
    });
    let has_merges = move || params.with(|p| p.as_ref().is_some_and(|(_, merges)| *merges));

    view! {
        <section class="panel-section whatif" data-testid="whatif">
            <h3>"What if it is called with…"</h3>
            <textarea
                class="input mono"
                data-testid="whatif-args"
                rows="3"
                spellcheck="false"
                aria-label="Arguments as JSON"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() {
                        ev.prevent_default();
                        apply();
                    }
                }
            ></textarea>
            {move || {
                has_merges()
                    .then(|| {
                    view! {
                        <input
                            class="input mono"
                            data-testid="whatif-result-value"
                            type="text"
                            placeholder="its result as JSON (for merges), optional"
                            prop:value=move || result_text.get()
                            on:input=move |ev| result_text.set(event_target_value(&ev))
                            on:keydown=move |ev| {
                                if ev.key() == "Enter" {
                                    ev.prevent_default();
                                    apply();
                                }
                            }
                        />
                    }
                    })
            }}
            <div class="row">
                <button class="button" on:click=move |_| apply() disabled=move || action.pending().get()>
                    "Resolve"
                </button>
                <button
                    class="button"
                    data-testid="whatif-replay"
                    title="Send this call to the live backend (Replay tab) with these arguments"
                    on:click=move |_| {
                        let replay = live.replay;
                        replay.function.set(mutation.get_value());
                        let args = text.get_untracked();
                        replay.args.set(if args.trim().is_empty() { "{}".into() } else { args });
                        ui.tab.set(CenterTab::Replay);
                    }
                >
                    "Replay…"
                </button>
                <span class="muted small">"Enter resolves · Shift+Enter adds a line"</span>
            </div>
            {move || input_error.get().map(|e| view! { <p class="error-text small">{e}</p> })}
            {move || match action.value().get() {
                None => ().into_any(),
                Some(Err(e)) => view! { <p class="error-text small" data-testid="whatif-error">{e.message}</p> }.into_any(),
                Some(Ok(w)) => {
                    let lines = explain(&w.invalidate, &w.merge);
                    let body = json!({"invalidate": w.invalidate, "merge": w.merge});
                    view! {
                        <div class="whatif-answer">
                            <ul class="explain">
                                {if lines.is_empty() {
                                    view! { <li class="muted">"Nothing refetches."</li> }.into_any()
                                } else {
                                    lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view().into_any()
                                }}
                            </ul>
                            <div class="label small muted">"response body"</div>
                            <JsonBlock value=body testid="whatif-result"/>
                            <div class="label small muted">"response header"</div>
                            <pre class="header-line mono" data-testid="whatif-header">
                                {match w.header {
                                    Some(h) => format!("X-Mizan-Invalidate: {h}"),
                                    None => "no X-Mizan-Invalidate header (nothing to invalidate)".to_owned(),
                                }}
                            </pre>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_scoped_and_broad_entries() {
        let lines = explain(
            &json!([{"context": "user", "params": {"user_id": 5}}, "notifications"]),
            &json!([{"context": "items", "slot": "items_list", "value": {}}]),
        );
        assert_eq!(
            lines,
            [
                "refetch the instances of user with user_id=5",
                "refetch every instance of notifications",
                "patch items.items_list with the result, no refetch",
            ]
        );
    }

    #[test]
    fn template_has_every_param() {
        let p = |name: &str, shape: &str| ParamView {
            name: name.into(),
            shape: shape.into(),
            required: true,
            default: None,
        };
        assert_eq!(
            template(&[p("user_id", "integer"), p("name", "string")]),
            r#"{"user_id": 1, "name": ""}"#
        );
    }
}
