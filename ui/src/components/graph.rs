//! The invalidation graph: the backend's laid-out nodes and edges drawn as
//! SVG (`data-testid="graph"`), with zoom (wheel, + / −), pan (drag,
//! arrows), fit, click to select, double-click to focus a node with its
//! ancestors and descendants. Selecting a mutation marks what it reaches
//! (`data-highlight="invalidated|merged"`, from the what-if answer when
//! there is one, else from its edges); selecting a context or function
//! marks the mutations that reach it. Everything else is dimmed. A trace
//! (`ui.trace_view`) marks its path instead (`data-trace="on"` on its
//! nodes and edges). The toolbar exports the view (SVG, Mermaid).

use std::collections::{HashMap, HashSet};

use leptos::html::Div;
use leptos::prelude::*;

use crate::api::{EdgeKind, GraphMode, GraphView, LayoutEdge, LayoutNode, NodeKind, Reach, TraceView};
use crate::components::export::ExportButtons;
use crate::context::ui::use_ui;
use crate::context::views::use_workspace;
use crate::pure::ids::name_of;
use crate::pure::viewport::ViewBox;

/// Fitting never magnifies beyond this (pixels per drawing unit).
const MAX_FIT_SCALE: f64 = 1.25;
/// The overview of a large graph is never fitted smaller than this: its
/// labels stay readable (pan for the rest).
const MIN_OVERVIEW_SCALE: f64 = 0.8;
/// A focus view too tall to read whole is shown at this scale around the
/// focused node instead.
const MIN_FOCUS_SCALE: f64 = 0.7;

/// What selecting `selected` marks on the graph.
#[derive(Clone, Default, PartialEq)]
struct Marks {
    /// Nodes a selected mutation reaches, and how.
    reached: HashMap<String, Reach>,
    /// Mutations (and members) that reach a selected context or function.
    sources: HashSet<String>,
    /// Edges along which the marks were found.
    edges: HashSet<(String, String)>,
    /// Whether anything is selected on the graph.
    active: bool,
}

/// The marks of `selected` in `g`: for a mutation, the what-if's nodes
/// when `whatif` answers for it, else its affects/merges targets (an
/// affected function's context too: its instances are refetched).
fn marks(g: &GraphView, selected: &str, whatif: Option<&[(String, Reach)]>) -> Marks {
    let mut m = Marks::default();
    let Some(node) = g.nodes.iter().find(|n| n.id == selected) else {
        return m;
    };
    m.active = true;
    let context_of = |f: &str| {
        g.edges
            .iter()
            .find(|e| e.from == f && e.kind == EdgeKind::MemberOf)
            .map(|e| e.to.clone())
    };
    if node.kind == NodeKind::Mutation {
        for e in g.edges.iter().filter(|e| e.from == selected) {
            let how = if e.kind == EdgeKind::Merges {
                Reach::Merged
            } else {
                Reach::Invalidated
            };
            m.reached.entry(e.to.clone()).or_insert(how);
            m.edges.insert((e.from.clone(), e.to.clone()));
            if e.kind == EdgeKind::Affects
                && e.to.starts_with("fn:")
                && let Some(ctx) = context_of(&e.to)
            {
                m.reached.entry(ctx.clone()).or_insert(Reach::Invalidated);
                m.edges.insert((e.to.clone(), ctx));
            }
        }
        if let Some(list) = whatif {
            m.reached = list.iter().cloned().collect();
        }
        return m;
    }
    // A context or function: its members / context, and who reaches them.
    let mut targets = vec![selected.to_owned()];
    if node.kind == NodeKind::Context {
        for e in g
            .edges
            .iter()
            .filter(|e| e.to == selected && e.kind == EdgeKind::MemberOf)
        {
            m.sources.insert(e.from.clone());
            m.edges.insert((e.from.clone(), e.to.clone()));
            targets.push(e.from.clone());
        }
    } else if let Some(ctx) = context_of(selected) {
        m.sources.insert(ctx.clone());
        m.edges.insert((selected.to_owned(), ctx.clone()));
        targets.push(ctx);
    }
    for e in g
        .edges
        .iter()
        .filter(|e| e.kind != EdgeKind::MemberOf && targets.contains(&e.to))
    {
        m.sources.insert(e.from.clone());
        m.edges.insert((e.from.clone(), e.to.clone()));
    }
    m
}

/// The nodes and edges (as drawn: source, target) of a trace's path.
#[derive(Clone, Default, PartialEq)]
struct TraceMarks {
    nodes: HashSet<String>,
    edges: HashSet<(String, String)>,
}

impl TraceMarks {
    fn active(&self) -> bool {
        !self.nodes.is_empty()
    }
}

fn trace_marks(t: &TraceView) -> TraceMarks {
    let mut m = TraceMarks::default();
    if !t.found {
        return m;
    }
    m.nodes.insert(t.from.clone());
    m.nodes.insert(t.to.clone());
    for s in &t.steps {
        m.nodes.insert(s.from.clone());
        m.nodes.insert(s.to.clone());
        m.edges.insert((s.from.clone(), s.to.clone()));
    }
    m
}

/// The SVG path of an edge's polyline.
fn edge_path(e: &LayoutEdge) -> String {
    let mut d = String::new();
    for (i, p) in e.points.iter().enumerate() {
        d.push_str(if i == 0 { "M" } else { " L" });
        d.push_str(&format!("{:.1} {:.1}", p.x, p.y));
    }
    d
}

/// The label of an edge: the args that scope it, `all` for a broad one.
fn edge_label(e: &LayoutEdge) -> Option<String> {
    match e.kind {
        EdgeKind::MemberOf => None,
        _ if e.scoped_by.is_empty() => Some("all".to_owned()),
        _ => Some(e.scoped_by.join(", ")),
    }
}

/// The graph pane: toolbar, drawing, legend.
#[component]
pub fn Graph() -> impl IntoView {
    let ui = use_ui();
    let views = use_workspace();
    let graph = Memo::new(move |_| views.graph.data.with(|d| d.as_ref().map(|d| d.graph_view.clone())));
    let wrap: NodeRef<Div> = NodeRef::new();
    let view_box = RwSignal::new(ViewBox::fit(800.0, 500.0));

    let size = move || {
        wrap.get_untracked()
            .map(|el| {
                let r = el.get_bounding_client_rect();
                (r.left(), r.top(), r.width().max(1.0), r.height().max(1.0))
            })
            .unwrap_or((0.0, 0.0, 800.0, 500.0))
    };
    let drawing = move || graph.with_untracked(|g| g.as_ref().map_or((800.0, 500.0), |g| (g.width, g.height)));
    let fit = move || {
        let (w, h) = drawing();
        let (_, _, pw, ph) = size();
        let overview = graph.with_untracked(|g| g.as_ref().is_some_and(|g| g.mode == GraphMode::Overview));
        // The focused node's centre, in a focus view.
        let focused = graph.with_untracked(|g| {
            let g = g.as_ref()?;
            let id = g.focus.as_ref()?;
            g.nodes
                .iter()
                .find(|n| &n.id == id)
                .map(|n| (n.x + n.width / 2.0, n.y + n.height / 2.0))
        });
        view_box.set(match (overview, focused) {
            (true, _) => ViewBox::fit_readable(w, h, pw, ph, MIN_OVERVIEW_SCALE, MAX_FIT_SCALE),
            (false, Some((cx, cy))) => ViewBox::fit_around(w, h, pw, ph, MIN_FOCUS_SCALE, MAX_FIT_SCALE, (cx, cy)),
            (false, None) => ViewBox::fit_capped(w, h, pw, ph, MAX_FIT_SCALE),
        });
    };

    // A large graph is explored by focus: selecting a node (here, in a
    // list, from a diagnostic) shows it with its ancestors and descendants.
    Effect::new(move |_| {
        ui.reveal.track();
        let Some(id) = ui.selected.get_untracked() else {
            return;
        };
        let large = graph.with_untracked(|g| g.as_ref().is_some_and(|g| g.total_nodes > g.focus_threshold))
            && !ui.full.get_untracked()
            && ui.context_filter.get_untracked().is_none();
        let node = id.starts_with("ctx:") || id.starts_with("fn:");
        if large && node && ui.focus.get_untracked().as_deref() != Some(id.as_str()) {
            ui.focus.set(Some(id));
        }
    });

    // Fit when the drawing changes shape (another view, nodes added).
    let shape = Memo::new(move |_| {
        graph.with(|g| {
            g.as_ref()
                .map(|g| (g.mode, g.focus.clone(), g.width.to_bits(), g.height.to_bits()))
        })
    });
    Effect::new(move |_| {
        if shape.get().is_some() {
            fit();
        }
    });

    // Fit when a command asks (the palette's "Fit graph").
    Effect::new(move |previous: Option<u64>| {
        let n = ui.fit.get();
        if previous.is_some_and(|p| p != n) {
            fit();
        }
        n
    });

    // Bring the selection into view when a list or a diagnostic selects.
    Effect::new(move |_| {
        ui.reveal.track();
        let Some(id) = ui.selected.get_untracked() else {
            return;
        };
        let node = graph.with_untracked(|g| g.as_ref().and_then(|g| g.nodes.iter().find(|n| n.id == id).cloned()));
        if let Some(n) = node {
            let vb = view_box.get_untracked();
            if !vb.contains(n.x, n.y, n.width, n.height) {
                view_box.set(vb.centre_on(n.x + n.width / 2.0, n.y + n.height / 2.0));
            }
        }
    });

    let marks = Memo::new(move |_| {
        let selected = ui.selected.get();
        let whatif = ui.whatif.get();
        graph.with(|g| match (g, selected) {
            (Some(g), Some(sel)) => {
                let reached: Option<Vec<(String, Reach)>> = whatif
                    .filter(|w| format!("fn:{}", w.mutation) == sel)
                    .map(|w| w.reached.into_iter().map(|r| (r.node, r.how)).collect());
                marks(g, &sel, reached.as_deref())
            }
            _ => Marks::default(),
        })
    });

    let traced = Memo::new(move |_| ui.trace_view.with(|t| t.as_ref().map(trace_marks).unwrap_or_default()));

    // Dragging: where it started, and whether it moved (then the click
    // that ends it selects nothing).
    let drag: StoredValue<Option<(f64, f64, ViewBox)>> = StoredValue::new(None);
    let moved = StoredValue::new(false);

    let zoom_at_centre = move |factor: f64| {
        let vb = view_box.get_untracked();
        view_box.set(vb.zoom(factor, vb.x + vb.w / 2.0, vb.y + vb.h / 2.0, drawing()));
    };

    let on_wheel = move |ev: web_sys::WheelEvent| {
        ev.prevent_default();
        let (left, top, pw, ph) = size();
        let vb = view_box.get_untracked();
        let (cx, cy) = vb.to_drawing(ev.client_x() as f64 - left, ev.client_y() as f64 - top, pw, ph);
        let factor = (ev.delta_y() * 0.0015).clamp(-0.5, 0.5).exp();
        view_box.set(vb.zoom(factor, cx, cy, drawing()));
    };
    let on_down = move |ev: web_sys::MouseEvent| {
        if ev.button() == 0 {
            drag.set_value(Some((
                ev.client_x() as f64,
                ev.client_y() as f64,
                view_box.get_untracked(),
            )));
            moved.set_value(false);
        }
    };
    let on_move = move |ev: web_sys::MouseEvent| {
        if let Some((x0, y0, vb0)) = drag.get_value() {
            let (dx, dy) = (ev.client_x() as f64 - x0, ev.client_y() as f64 - y0);
            if dx.abs() + dy.abs() > 3.0 {
                moved.set_value(true);
            }
            if moved.get_value() {
                let (_, _, pw, ph) = size();
                view_box.set(vb0.pan_pixels(dx, dy, pw, ph));
            }
        }
    };
    let on_up = move |_| drag.set_value(None);
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let vb = view_box.get_untracked();
        let step = vb.w / 10.0;
        match ev.key().as_str() {
            "+" | "=" => zoom_at_centre(0.8),
            "-" | "_" => zoom_at_centre(1.25),
            "0" | "f" => fit(),
            "ArrowLeft" => view_box.set(ViewBox { x: vb.x - step, ..vb }),
            "ArrowRight" => view_box.set(ViewBox { x: vb.x + step, ..vb }),
            "ArrowUp" => view_box.set(ViewBox { y: vb.y - step, ..vb }),
            "ArrowDown" => view_box.set(ViewBox { y: vb.y + step, ..vb }),
            "Escape" => {
                if ui.trace.get_untracked().is_some() {
                    ui.end_trace();
                } else if ui.focus.get_untracked().is_some() {
                    ui.focus.set(None);
                } else {
                    ui.selected.set(None);
                }
            }
            _ => return,
        }
        ev.prevent_default();
    };

    let error = move || views.graph.error.get().map(|e| e.message);
    let mode = move || {
        graph.with(|g| {
            g.as_ref()
                .map(|g| (g.mode, g.total_nodes, g.nodes.len(), g.layout_ms))
        })
    };

    view! {
        <div class="graph-pane">
            <div class="graph-toolbar" role="toolbar" aria-label="Graph">
                <button class="tool" title="Fit (0)" on:click=move |_| fit()>"Fit"</button>
                <button class="tool" title="Zoom out (−)" aria-label="Zoom out" on:click=move |_| zoom_at_centre(1.25)>"−"</button>
                <button class="tool" title="Zoom in (+)" aria-label="Zoom in" on:click=move |_| zoom_at_centre(0.8)>"+"</button>
                {move || {
                    ui.focus
                        .get()
                        .map(|f| {
                            view! {
                                <span class="chip" data-testid="graph-focus">
                                    "Focus: " <span class="mono">{f}</span>
                                    <button class="chip-close" title="Show everything (Esc)" on:click=move |_| ui.focus.set(None)>
                                        "×"
                                    </button>
                                </span>
                            }
                        })
                }}
                {move || {
                    mode()
                        .filter(|(m, ..)| *m == GraphMode::Overview)
                        .map(|(_, total, shown, _)| {
                            view! {
                                <span
                                    class="chip"
                                    data-testid="graph-overview"
                                    title="A large graph: its contexts alone. Select anything to see it with what it reaches and what reaches it."
                                >
                                    {format!("{shown} contexts of {total} nodes")}
                                    <button class="link" on:click=move |_| ui.full.set(true)>"Show all"</button>
                                </span>
                            }
                        })
                }}
                {move || {
                    ui.context_filter
                        .get()
                        .map(|c| {
                            view! {
                                <span class="chip" data-testid="graph-context-filter">
                                    "Only context " <span class="mono">{c}</span>
                                    <button class="chip-close" title="Show every context" on:click=move |_| ui.context_filter.set(None)>
                                        "×"
                                    </button>
                                </span>
                            }
                        })
                }}
                {move || {
                    (ui.full.get() && ui.focus.get().is_none())
                        .then(|| {
                            view! {
                                <span class="chip">
                                    "Everything"
                                    <button class="link" title="Back to the overview of the contexts" on:click=move |_| ui.full.set(false)>
                                        "Overview"
                                    </button>
                                </span>
                            }
                        })
                }}
                {move || {
                    ui.trace
                        .get()
                        .map(|(from, to)| {
                            view! {
                                <span class="chip trace-chip" data-testid="graph-trace">
                                    "Trace: " <span class="mono">{format!("{} → {}", name_of(&from), name_of(&to))}</span>
                                    <button class="chip-close" title="End the trace (Esc)" on:click=move |_| ui.end_trace()>
                                        "×"
                                    </button>
                                </span>
                            }
                        })
                }}
                <span class="spacer"></span>
                <Legend/>
            </div>
            <div
                class="graph-canvas"
                node_ref=wrap
                tabindex="0"
                title="Drag to pan · wheel or +/− to zoom · 0 fits · double-click a node to focus · Esc clears"
                on:wheel=on_wheel
                on:mousedown=on_down
                on:mousemove=on_move
                on:mouseup=on_up
                on:mouseleave=on_up
                on:keydown=on_key
            >
                // Nothing to export until there is a graph.
                <Show when=move || graph.with(|g| g.as_ref().is_some_and(|g| !g.nodes.is_empty()))>
                    <ExportButtons/>
                </Show>
                {move || {
                    error()
                        .filter(|_| graph.with(|g| g.is_none()))
                        .map(|message| {
                            view! {
                                <div class="graph-message">
                                    <h3>"No graph to show"</h3>
                                    <p class="muted">{message}</p>
                                </div>
                            }
                        })
                }}
                <svg
                    data-testid="graph"
                    class="graph"
                    class:has-selection=move || marks.with(|m| m.active) && !traced.with(TraceMarks::active)
                    class:has-trace=move || traced.with(TraceMarks::active)
                    viewBox=move || view_box.get().attr()
                    preserveAspectRatio="xMidYMid meet"
                    on:click=move |_| {
                        if !moved.get_value() {
                            ui.selected.set(None);
                        }
                    }
                >
                    <defs>
                        {["member-of", "affects", "merges"]
                            .map(|k| {
                                view! {
                                    <marker
                                        id=format!("arrow-{k}")
                                        viewBox="0 0 10 10"
                                        refX="9"
                                        refY="5"
                                        markerWidth="7"
                                        markerHeight="7"
                                        orient="auto-start-reverse"
                                    >
                                        <path class=format!("arrow {k}") d="M0 0 L10 5 L0 10 z"></path>
                                    </marker>
                                }
                            })}
                    </defs>
                    <g class="edges">
                        {move || {
                            graph
                                .get()
                                .map(|g| g.edges.into_iter().map(|e| view! { <Edge edge=e marks=marks traced=traced/> }).collect_view())
                        }}
                    </g>
                    <g class="nodes">
                        {move || {
                            graph
                                .get()
                                .map(|g| {
                                    g.nodes
                                        .into_iter()
                                        .map(|n| view! { <Node node=n marks=marks traced=traced moved=moved/> })
                                        .collect_view()
                                })
                        }}
                    </g>
                </svg>
            </div>
        </div>
    }
}

/// One edge: its line, arrow and label.
#[component]
fn Edge(edge: LayoutEdge, marks: Memo<Marks>, traced: Memo<TraceMarks>) -> impl IntoView {
    let kind = edge.kind.as_str();
    let key = (edge.from.clone(), edge.to.clone());
    let trace_key = key.clone();
    let lit = move || marks.with(|m| m.edges.contains(&key));
    let on_trace = move || traced.with(|t| t.edges.contains(&trace_key)).then_some("on");
    let label = edge_label(&edge);
    view! {
        <g
            class=format!("edge {kind}")
            class:lit=lit
            data-trace=on_trace
            data-edge=format!("{}->{}", edge.from, edge.to)
            data-kind=kind
        >
            <path d=edge_path(&edge) marker-end=format!("url(#arrow-{kind})")></path>
            {label
                .map(|text| {
                    view! {
                        <text class="edge-label" x=edge.label_at.x y=edge.label_at.y text-anchor="middle" dominant-baseline="central">
                            {text}
                        </text>
                    }
                })}
        </g>
    }
}

/// One node box.
#[component]
fn Node(node: LayoutNode, marks: Memo<Marks>, traced: Memo<TraceMarks>, moved: StoredValue<bool>) -> impl IntoView {
    let ui = use_ui();
    let kind = node.kind.as_str();
    let id = node.id.clone();
    let (id_sel, id_mark, id_src, id_dim, id_click, id_focus) =
        (id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
    let highlight = move || marks.with(|m| m.reached.get(&id_mark).map(|r| r.as_str()));
    let is_source = move || marks.with(|m| m.sources.contains(&id_src));
    let id_trace = id.clone();
    let on_trace = move || traced.with(|t| t.nodes.contains(&id_trace));
    let dim = move || {
        if traced.with(TraceMarks::active) {
            return traced.with(|t| !t.nodes.contains(&id_dim));
        }
        marks.with(|m| m.active && !m.reached.contains_key(&id_dim) && !m.sources.contains(&id_dim))
            && !ui.is_selected(&id_dim)
    };
    let radius = match node.kind {
        NodeKind::Context => node.height / 2.0,
        NodeKind::Function => 6.0,
        NodeKind::Mutation => 3.0,
    };
    let badge = node.badges.first().map(|b| {
        (
            b.severity,
            node.badges
                .iter()
                .map(|b| b.code.clone())
                .collect::<Vec<_>>()
                .join(", "),
        )
    });
    view! {
        <g
            class=format!("node {kind}")
            class:selected=move || ui.is_selected(&id_sel)
            class:source=is_source
            class:dim=dim
            data-node=node.name.clone()
            data-kind=kind
            data-id=id
            data-highlight=highlight
            data-trace=move || on_trace().then_some("on")
            transform=format!("translate({:.1} {:.1})", node.x, node.y)
            on:click=move |ev| {
                ev.stop_propagation();
                if !moved.get_value() {
                    ui.selected.set(Some(id_click.clone()));
                }
            }
            on:dblclick=move |ev| {
                ev.stop_propagation();
                ui.focus.set(Some(id_focus.clone()));
            }
        >
            <title>{format!("{kind} {}", node.name)}</title>
            <rect class="box" width=node.width height=node.height rx=radius ry=radius></rect>
            <text class="node-label" x=node.width / 2.0 y=node.height / 2.0 text-anchor="middle" dominant-baseline="central">
                {node.name.clone()}
            </text>
            {badge
                .map(|(severity, codes)| {
                    view! {
                        <g class=format!("node-badge {severity}") transform=format!("translate({:.1} 0)", node.width - 2.0)>
                            <title>{codes}</title>
                            <circle r="7"></circle>
                            <text text-anchor="middle" dominant-baseline="central">"!"</text>
                        </g>
                    }
                })}
        </g>
    }
}

/// What the shapes and colours mean.
#[component]
fn Legend() -> impl IntoView {
    view! {
        <div class="legend" aria-label="Legend">
            <span class="legend-item"><span class="swatch mutation"></span>"mutation"</span>
            <span class="legend-item"><span class="swatch function"></span>"function"</span>
            <span class="legend-item"><span class="swatch context"></span>"context"</span>
            <span class="legend-sep"></span>
            <span class="legend-item" title="Edge labels name the mutation's args that scope it; `all` refetches every instance">
                <span class="line affects"></span>
                "affects"
            </span>
            <span class="legend-item"><span class="line merges"></span>"merges"</span>
            <span class="legend-item"><span class="line member-of"></span>"member"</span>
            <span class="legend-sep"></span>
            <span class="legend-item"><span class="swatch hl-invalidated"></span>"invalidated"</span>
            <span class="legend-item"><span class="swatch hl-merged"></span>"merged"</span>
        </div>
    }
}
