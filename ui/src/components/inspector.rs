//! The right pane: details of the selection (a context, a function, a
//! mutation with its what-if, a type), or the project's overview with what
//! `mizan generate` would write when nothing is selected. A trace in
//! progress shows above it (`trace.rs`).

use leptos::prelude::*;

use crate::api::{self, ContextView, FunctionView, ItemDetail, ItemParams, MutationView, SourceLocation, TypeView};
use crate::components::trace::{TraceButton, TracePanel};
use crate::components::whatif::WhatIf;
use crate::context::live::use_live;
use crate::context::ui::{CenterTab, use_ui};
use crate::context::views::{use_app, use_workspace};
use crate::pure::ids::{ctx_id, fn_id, name_of, type_id};
use crate::pure::names::folder_name;

/// Which panel the inspector shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Panel {
    Context,
    Function,
    Mutation,
    Type,
}

/// The inspector, following the selection.
#[component]
pub fn Inspector() -> impl IntoView {
    let ui = use_ui();
    let views = use_workspace();
    // Only the selection (and whether it is a mutation) decides which
    // panel shows; each panel reads its item reactively, so a refetch
    // updates it in place and never resets the what-if.
    let panel = Memo::new(move |_| {
        let id = ui.selected.get()?;
        let name = name_of(&id).to_owned();
        let kind = if id.starts_with("ctx:") {
            Panel::Context
        } else if id.starts_with("type:") {
            Panel::Type
        } else if views.browse.data.with(|d| {
            d.as_ref()
                .is_some_and(|d| d.list_mutations.iter().any(|m| m.name == name))
        }) {
            Panel::Mutation
        } else {
            Panel::Function
        };
        Some((kind, name))
    });
    view! {
        <div class="inspector" data-testid="inspector">
            <TracePanel/>
            {move || match panel.get() {
                None => view! { <ProjectOverview/> }.into_any(),
                Some((Panel::Context, name)) => view! { <ContextPanel name=name/> }.into_any(),
                Some((Panel::Type, name)) => view! { <TypePanel name=name/> }.into_any(),
                Some((Panel::Mutation, name)) => view! { <MutationPanel name=name/> }.into_any(),
                Some((Panel::Function, name)) => view! { <FunctionPanel name=name/> }.into_any(),
            }}
        </div>
    }
}

/// A button selecting `id`.
#[component]
fn Link(id: String, #[prop(into)] text: String) -> impl IntoView {
    let ui = use_ui();
    view! {
        <button class="link mono" on:click=move |_| ui.select(id.clone())>
            {text}
        </button>
    }
}

/// `api.kdl:12:5`.
fn location_text(location: Option<SourceLocation>) -> Option<String> {
    let app = use_app();
    let file = app
        .project
        .data
        .with_untracked(|d| d.as_ref().and_then(|d| d.project_info.ir_path.clone()))
        .map(|p| folder_name(&p).to_owned())
        .unwrap_or_else(|| "IR".to_owned());
    location.map(|l| format!("{file}:{}:{}", l.line, l.column))
}

/// The panel header: kind, name, location, doc.
#[component]
fn Header(kind: &'static str, name: String, doc: Option<String>, location: Option<SourceLocation>) -> impl IntoView {
    // Graph nodes can be traced; types are not in the graph.
    let node = match kind {
        "context" => Some(ctx_id(&name)),
        "type" => None,
        _ => Some(fn_id(&name)),
    };
    view! {
        <header class=format!("panel-header kind-{kind}")>
            <div class="panel-kind-row">
                <div class="panel-kind">{kind}</div>
                {node.map(|id| view! { <TraceButton id=id/> })}
            </div>
            <h2 class="panel-name mono" data-testid="inspector-name">{name}</h2>
            {location
                .clone()
                .zip(location_text(location))
                .map(|(at, text)| {
                    let ui = use_ui();
                    view! {
                        <button
                            class="link panel-location mono"
                            data-testid="source-link"
                            title="Show this line of the IR"
                            on:click=move |_| {
                                ui.source_line.set(Some(at.line));
                                ui.tab.set(CenterTab::Source);
                            }
                        >
                            {text}
                        </button>
                    }
                })}
            {doc.map(|d| view! { <p class="panel-doc">{d}</p> })}
        </header>
    }
}

fn missing(what: &str, name: &str) -> AnyView {
    view! { <p class="muted panel-missing">{format!("No {what} `{name}` in the shown IR.")}</p> }.into_any()
}

/// Diagnostic codes as tags.
fn diagnostic_tags(codes: Vec<String>) -> impl IntoView {
    (!codes.is_empty()).then(|| {
        view! {
            <div class="tags">
                {codes.into_iter().map(|c| view! { <span class="tag warn mono">{c}</span> }).collect_view()}
            </div>
        }
    })
}

/// One item in full, from the `item` context (refetched in place when a
/// save or a reload changes it), projected by `pick`: `None` until it
/// arrives or when the shown IR has no such item.
fn use_item<T: Clone + PartialEq + Send + Sync + 'static>(
    id: String,
    pick: impl Fn(&ItemDetail) -> Option<T> + Send + Sync + 'static,
) -> (Memo<Option<T>>, Signal<bool>) {
    let item = api::use_item_context(ItemParams { id });
    let picked = Memo::new(move |_| item.data.with(|d| d.as_ref().and_then(|d| pick(&d.item_detail))));
    let loaded = Signal::derive(move || item.data.with(Option::is_some));
    (picked, loaded)
}

/// A skeleton while the item loads, then "no such item" if it is gone.
fn not_shown(loaded: bool, what: &str, name: &str) -> AnyView {
    if loaded {
        missing(what, name)
    } else {
        view! { <div class="panel-missing"><div class="skeleton"></div><div class="skeleton"></div></div> }.into_any()
    }
}

#[component]
fn ContextPanel(name: String) -> impl IntoView {
    let (ctx, loaded) = use_item(ctx_id(&name), |d| d.context.clone());
    move || match ctx.get() {
        None => not_shown(loaded.get(), "context", &name),
        Some(c) => context_view(c).into_any(),
    }
}

fn context_view(c: ContextView) -> impl IntoView {
    let ui = use_ui();
    let live = use_live();
    let never = c.reached_by.is_empty();
    let name = c.name.clone();
    let filtered = {
        let name = name.clone();
        Memo::new(move |_| ui.context_filter.with(|f| f.as_deref() == Some(name.as_str())))
    };
    view! {
        <Header kind="context" name=c.name.clone() doc=c.doc.clone() location=c.location/>
        {diagnostic_tags(c.diagnostics.clone())}
        <div class="panel-actions">
            <button
                class="button small"
                data-testid="filter-context"
                aria-pressed=move || filtered.get().to_string()
                title="The graph shows this context, its members and what reaches them; nothing else"
                on:click=move |_| {
                    let on = ui.context_filter.with_untracked(|f| f.as_deref() == Some(name.as_str()));
                    ui.context_filter.set((!on).then(|| name.clone()));
                    ui.focus.set(None);
                }
            >
                {move || if filtered.get() { "Show every context" } else { "Show only this context" }}
            </button>
            <button
                class="button small"
                data-testid="inspect-cache"
                title="Look up this context's keys in the live Redis (Cache tab)"
                on:click={
                    let name = c.name.clone();
                    move |_| {
                        live.cache.context.set(name.clone());
                        ui.tab.set(CenterTab::Cache);
                    }
                }
            >
                "Inspect cache keys"
            </button>
        </div>
        <section class="panel-section">
            <h3>"Invalidated by"</h3>
            {if never {
                view! {
                    <p class="muted">
                        "No mutation affects or merges it: its data changes only when the app publishes a change itself."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <ul class="rel-list">
                        {c
                            .reached_by
                            .iter()
                            .map(|r| {
                                let scope = if r.scoped_by.is_empty() {
                                    "every instance".to_owned()
                                } else {
                                    format!("instances with the same {}", r.scoped_by.join(", "))
                                };
                                view! {
                                    <li>
                                        <Link id=fn_id(&r.mutation) text=r.mutation.clone()/>
                                        <span class=format!("tag rel-{}", r.relation)>{r.relation.as_str()}</span>
                                        {r.via.clone().map(|v| view! { <span class="muted">" via "</span><Link id=fn_id(&v) text=v.clone()/> })}
                                        <div class="muted small">{scope}</div>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
        <section class="panel-section">
            <h3>"Params"</h3>
            {if c.params.is_empty() {
                view! { <p class="muted">"None: one instance for everyone."</p> }.into_any()
            } else {
                view! {
                    <table class="kv">
                        <tbody>
                            {c
                                .params
                                .iter()
                                .map(|p| {
                                    view! {
                                        <tr>
                                            <td class="mono">{p.name.clone()}</td>
                                            <td class="mono muted">{p.shape.clone()}</td>
                                            <td>
                                                {if p.required { "shared by all" } else { "optional" }}
                                                <div class="muted small">{format!("by {}", p.shared_by.join(", "))}</div>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
        <section class="panel-section">
            <h3>"Members"</h3>
            <ul class="rel-list">
                {c.members.iter().map(|m| view! { <li><Link id=fn_id(m) text=m.clone()/></li> }).collect_view()}
            </ul>
        </section>
        <section class="panel-section">
            <h3>"Cache"</h3>
            <table class="kv">
                <tbody>
                    <tr><td>"policy"</td><td class="mono">{c.cache.clone()}</td></tr>
                    <tr><td>"origin cache"</td><td>{c.cache_decision.clone()}</td></tr>
                    <tr><td>"effective rev"</td><td class="mono">{c.rev}</td></tr>
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn FunctionPanel(name: String) -> impl IntoView {
    let (f, loaded) = use_item(fn_id(&name), |d| d.function.clone());
    move || match f.get() {
        None => not_shown(loaded.get(), "function", &name),
        Some(f) => function_view(f).into_any(),
    }
}

/// `name(a: integer, b?: string) -> Output`.
fn signature(name: &str, params: &[crate::api::ParamView], output: &str) -> String {
    let args: Vec<String> = params
        .iter()
        .map(|p| format!("{}{}: {}", p.name, if p.required { "" } else { "?" }, p.shape))
        .collect();
    format!("{name}({}) → {output}", args.join(", "))
}

fn function_view(f: FunctionView) -> impl IntoView {
    view! {
        <Header kind="function" name=f.name.clone() doc=f.doc.clone() location=f.location/>
        {diagnostic_tags(f.diagnostics.clone())}
        <pre class="signature mono">{signature(&f.name, &f.params, &f.output)}</pre>
        <section class="panel-section">
            <table class="kv">
                <tbody>
                    <tr>
                        <td>"context"</td>
                        <td>
                            {match f.context.clone() {
                                Some(c) => view! { <Link id=ctx_id(&c) text=c.clone()/> }.into_any(),
                                None => view! { <span class="muted">"none (a plain call)"</span> }.into_any(),
                            }}
                        </td>
                    </tr>
                    <tr><td>"auth"</td><td class="mono">{f.auth.clone()}</td></tr>
                    <tr><td>"transport"</td><td class="mono">{f.transport.as_str()}</td></tr>
                    <tr><td>"cache"</td><td class="mono">{f.cache.clone()}</td></tr>
                    <tr><td>"rev"</td><td class="mono">{f.rev}</td></tr>
                    {f.route.clone().map(|r| view! { <tr><td>"route"</td><td class="mono">{r}</td></tr> })}
                    {f.private.then(|| view! { <tr><td>"private"</td><td>"server-internal"</td></tr> })}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn MutationPanel(name: String) -> impl IntoView {
    let (m, loaded) = use_item(fn_id(&name), |d| {
        let output = d.function.as_ref().map(|f| f.output.clone()).unwrap_or_default();
        d.mutation.clone().map(|m| (m, output))
    });
    let params = Signal::derive(move || m.with(|m| m.as_ref().map(|(m, _)| (m.params.clone(), !m.merges.is_empty()))));
    let shown = name.clone();
    view! {
        {move || match m.get() {
            None => not_shown(loaded.get(), "mutation", &shown),
            Some((m, output)) => mutation_view(m, output).into_any(),
        }}
        <WhatIf name=name params=params/>
    }
}

fn mutation_view(m: MutationView, output: String) -> impl IntoView {
    view! {
        <Header kind="mutation" name=m.name.clone() doc=m.doc.clone() location=m.location/>
        <pre class="signature mono">{signature(&m.name, &m.params, &output)}</pre>
        <section class="panel-section">
            <h3>"Invalidates"</h3>
            {if m.affects.is_empty() {
                view! { <p class="muted">"Nothing."</p> }.into_any()
            } else {
                view! {
                    <ul class="rel-list">
                        {m
                            .affects
                            .iter()
                            .map(|a| {
                                let scope = if a.scoped_by.is_empty() {
                                    "every instance".to_owned()
                                } else {
                                    format!("scoped by {}", a.scoped_by.join(", "))
                                };
                                view! {
                                    <li>
                                        <Link id=ctx_id(&a.context) text=a.context.clone()/>
                                        {a.function.clone().map(|f| view! { <span class="muted">" member "</span><Link id=fn_id(&f) text=f.clone()/> })}
                                        <div class="muted small">{scope}</div>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
        {(!m.merges.is_empty())
            .then(|| {
                view! {
                    <section class="panel-section">
                        <h3>"Merges into"</h3>
                        <ul class="rel-list">
                            {m
                                .merges
                                .iter()
                                .map(|g| {
                                    view! {
                                        <li>
                                            <Link id=ctx_id(&g.context) text=g.context.clone()/>
                                            {g.slot.clone().map(|s| view! { <span class="muted mono">{format!(" .{s}")}</span> })}
                                            <span class="tag">{g.mode.as_str()}</span>
                                            {(!g.scoped_by.is_empty()).then(|| view! { <div class="muted small">{format!("scoped by {}", g.scoped_by.join(", "))}</div> })}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </section>
                }
            })}
    }
}

#[component]
fn TypePanel(name: String) -> impl IntoView {
    let (t, loaded) = use_item(type_id(&name), |d| d.type_view.clone());
    move || match t.get() {
        None => not_shown(loaded.get(), "type", &name),
        Some(t) => type_view(t).into_any(),
    }
}

fn type_view(t: TypeView) -> impl IntoView {
    view! {
        <Header kind="type" name=t.name.clone() doc=t.doc.clone() location=t.location/>
        <section class="panel-section">
            <div class="muted">
                {t.kind.as_str()}
                {t.identity.clone().map(|i| format!(" · identity {i}"))}
                {t.alias_of.clone().map(|a| format!(" of {a}"))}
            </div>
            {(!t.fields.is_empty())
                .then(|| {
                    view! {
                        <table class="kv">
                            <tbody>
                                {t
                                    .fields
                                    .iter()
                                    .map(|f| {
                                        view! {
                                            <tr>
                                                <td class="mono">{format!("{}{}", f.name, if f.optional { "?" } else { "" })}</td>
                                                <td class="mono muted">{f.shape.clone()}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                })}
            {(!t.variants.is_empty())
                .then(|| view! { <div class="tags">{t.variants.iter().map(|v| view! { <span class="tag mono">{v.clone()}</span> }).collect_view()}</div> })}
        </section>
        <section class="panel-section">
            <h3>"Used by"</h3>
            <ul class="rel-list">
                {t.used_by.iter().map(|f| view! { <li><Link id=fn_id(f) text=f.clone()/></li> }).collect_view()}
            </ul>
        </section>
    }
}

/// Nothing selected: the project, its counts and what Regenerate would
/// write.
#[component]
fn ProjectOverview() -> impl IntoView {
    let ui = use_ui();
    let app = use_app();
    let views = use_workspace();
    let info = move || app.project.data.with(|d| d.as_ref().map(|d| d.project_info.clone()));
    let preview = move || views.preview.data.with(|d| d.as_ref().map(|d| d.preview_plan.clone()));
    view! {
        {move || {
            info()
                .map(|p| {
                    let name = p.root.as_deref().map(folder_name).unwrap_or("project").to_owned();
                    view! {
                        <header class="panel-header">
                            <div class="panel-kind">"project"</div>
                            <h2 class="panel-name">{name}</h2>
                            <p class="panel-doc muted">
                                "Select a mutation to see what it invalidates, or a context to see what can invalidate it."
                            </p>
                        </header>
                        {p.last_error.clone().map(|e| {
                            view! {
                                <section class="panel-section error-box" data-testid="load-error">
                                    <h3>{if p.showing_last_good { "Last load failed — showing the last good IR" } else { "Load failed" }}</h3>
                                    <pre class="mono">{e}</pre>
                                </section>
                            }
                        })}
                        <section class="panel-section">
                            <div class="counts">
                                <div><b>{p.counts.functions}</b><span>"functions"</span></div>
                                <div><b>{p.counts.mutations}</b><span>"mutations"</span></div>
                                <div><b>{p.counts.contexts}</b><span>"contexts"</span></div>
                                <div><b>{p.counts.types}</b><span>"types"</span></div>
                            </div>
                        </section>
                        <section class="panel-section">
                            <table class="kv">
                                <tbody>
                                    <tr><td>"source"</td><td class="mono">{p.source.clone().unwrap_or_default()}</td></tr>
                                    <tr><td>"output"</td><td class="mono">{p.output.clone().unwrap_or_default()}</td></tr>
                                    <tr>
                                        <td>"targets"</td>
                                        <td>{p.targets.iter().map(|t| view! { <span class="tag mono">{t.clone()}</span> }).collect_view()}</td>
                                    </tr>
                                    {p.base_url.clone().map(|b| view! { <tr><td>"base url"</td><td class="mono">{b}</td></tr> })}
                                </tbody>
                            </table>
                        </section>
                    }
                })
        }}
        <section class="panel-section">
            <h3>"Generated files"</h3>
            {move || match preview() {
                None => view! { <div class="skeleton"></div> }.into_any(),
                Some(v) if v.error.is_some() => view! { <p class="error-text">{v.error.clone()}</p> }.into_any(),
                Some(v) => {
                    view! {
                        <p class="muted small" data-testid="preview-counts">
                            {format!(
                                "{} to create · {} to update · {} unchanged · {} to remove{}",
                                v.create,
                                v.update,
                                v.unchanged,
                                v.remove,
                                if v.not_ours > 0 { format!(" · {} not ours", v.not_ours) } else { String::new() },
                            )}
                        </p>
                        <button class="link" data-testid="show-clients" on:click=move |_| ui.tab.set(CenterTab::Clients)>
                            "See the files and their diffs →"
                        </button>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
