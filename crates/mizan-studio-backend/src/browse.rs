//! The browse lists and details: functions, contexts, types, mutations with
//! their cross-links, docs and IR source locations. Everything invalidation-
//! related comes from the core's own plans (`MutationPlan`) and cache
//! policies, so the studio shows exactly what a server would do.

use crate::models::{
    AffectsView, ContextParamView, ContextView, FieldView, FunctionView, ItemDetail, ItemSummary, MutationView,
    NamedTypeKind, NodeKind, ParamView, ReachRelation, ReachedBy, SourceLocation, Transport, TypeView,
};
use crate::project::Snapshot;
use mizan_core::cache::policy::Decision;
use mizan_core::invalidation::{MergeMode, MutationPlan};
use mizan_core::ir::{Auth, CachePolicy, Function, Shape, TypeKind};
use std::collections::{BTreeMap, BTreeSet};

fn location(snapshot: &Snapshot, offset: Option<usize>) -> Option<SourceLocation> {
    offset.map(|o| snapshot.parsed.source_map.location(Some(&snapshot.text), o).into())
}

fn diagnostics_about(snapshot: &Snapshot, name: &str) -> Vec<String> {
    snapshot
        .diagnostics
        .iter()
        .filter(|d| d.names.first().is_some_and(|n| n == name))
        .map(|d| d.code.to_owned())
        .collect()
}

/// `none`, `required`, `staff`, `superuser`, `predicate:NAME`.
pub fn auth_text(auth: &Auth) -> String {
    match auth {
        Auth::None => "none".into(),
        Auth::Required => "required".into(),
        Auth::Staff => "staff".into(),
        Auth::Superuser => "superuser".into(),
        Auth::Predicate(p) => format!("predicate:{p}"),
    }
}

/// `forever`, `ttl(N)`, `none`.
pub fn cache_text(cache: CachePolicy) -> String {
    match cache {
        CachePolicy::Forever => "forever".into(),
        CachePolicy::Ttl(s) => format!("ttl({s})"),
        CachePolicy::None => "none".into(),
    }
}

fn params(f: &Function) -> Vec<ParamView> {
    f.params
        .iter()
        .map(|p| ParamView {
            name: p.name.clone(),
            shape: p.shape.to_string(),
            required: p.required,
            default: p.default.clone(),
        })
        .collect()
}

/// The mutation's args among a context's params (what scopes an entry).
fn scoped(f: &Function, context_params: &[String]) -> Vec<String> {
    f.params
        .iter()
        .filter(|p| context_params.contains(&p.name))
        .map(|p| p.name.clone())
        .collect()
}

fn plan_views(plan: Option<&MutationPlan>, f: &Function) -> (Vec<AffectsView>, Vec<crate::models::MergeView>) {
    let Some(plan) = plan else {
        return (Vec::new(), Vec::new());
    };
    let affects = plan
        .targets
        .iter()
        .map(|t| AffectsView {
            context: t.context.clone(),
            function: t.function.clone(),
            scoped_by: scoped(f, &t.params),
        })
        .collect();
    let mut merges: Vec<crate::models::MergeView> = plan
        .merges
        .iter()
        .map(|m| crate::models::MergeView {
            context: m.context.clone(),
            slot: Some(m.slot.clone()),
            mode: match m.mode {
                MergeMode::Direct => crate::models::MergeMode::Direct,
                MergeMode::Upsert => crate::models::MergeMode::Upsert,
                MergeMode::Replace => crate::models::MergeMode::Replace,
            },
            scoped_by: scoped(f, &m.params),
        })
        .collect();
    // Declared merges the plan turned into refetches.
    for ctx in &f.merge {
        if !plan.merges.iter().any(|m| &m.context == ctx) {
            merges.push(crate::models::MergeView {
                context: ctx.clone(),
                slot: None,
                mode: crate::models::MergeMode::Refetch,
                scoped_by: plan
                    .targets
                    .iter()
                    .find(|t| &t.context == ctx)
                    .map(|t| scoped(f, &t.params))
                    .unwrap_or_default(),
            });
        }
    }
    (affects, merges)
}

/// Every function.
pub fn functions(snapshot: &Snapshot) -> Vec<FunctionView> {
    let ir = &snapshot.parsed.ir;
    ir.functions
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (affects, merges) = plan_views(snapshot.index.plan(&f.name), f);
            FunctionView {
                name: f.name.clone(),
                doc: f.doc.clone(),
                kind: if f.is_mutation() {
                    NodeKind::Mutation
                } else {
                    NodeKind::Function
                },
                context: f.context.clone(),
                transport: match f.transport {
                    mizan_core::ir::Transport::Http => Transport::Http,
                    mizan_core::ir::Transport::Websocket => Transport::Websocket,
                },
                auth: auth_text(&f.auth),
                private: f.private,
                route: f.route.clone(),
                rev: i64::from(f.rev),
                cache: cache_text(f.cache),
                params: params(f),
                output: f.output.to_string(),
                affects,
                merges,
                location: location(snapshot, snapshot.parsed.source_map.functions.get(i).map(|s| s.offset)),
                diagnostics: diagnostics_about(snapshot, &f.name),
            }
        })
        .collect()
}

/// Every mutation, with what it reaches.
pub fn mutations(snapshot: &Snapshot) -> Vec<MutationView> {
    let ir = &snapshot.parsed.ir;
    ir.functions
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_mutation())
        .map(|(i, f)| {
            let (affects, merges) = plan_views(snapshot.index.plan(&f.name), f);
            let auto: BTreeSet<String> = affects
                .iter()
                .flat_map(|a| a.scoped_by.iter().cloned())
                .chain(merges.iter().flat_map(|m| m.scoped_by.iter().cloned()))
                .collect();
            MutationView {
                name: f.name.clone(),
                doc: f.doc.clone(),
                params: params(f),
                affects,
                merges,
                auto_scoped_params: auto.into_iter().collect(),
                private: f.private,
                location: location(snapshot, snapshot.parsed.source_map.functions.get(i).map(|s| s.offset)),
            }
        })
        .collect()
}

/// Every context, with its params, cache policy and who reaches it.
pub fn contexts(snapshot: &Snapshot) -> Vec<ContextView> {
    let ir = &snapshot.parsed.ir;
    // Who reaches each context, from the plans (function targets resolved).
    let mut reached: BTreeMap<&str, Vec<ReachedBy>> = BTreeMap::new();
    for f in ir.functions.iter().filter(|f| f.is_mutation()) {
        let Some(plan) = snapshot.index.plan(&f.name) else {
            continue;
        };
        for t in &plan.targets {
            let merged_instead = f.merge.contains(&t.context) && !plan.merges.iter().any(|m| m.context == t.context);
            reached.entry(t.context.as_str()).or_default().push(ReachedBy {
                mutation: f.name.clone(),
                relation: if merged_instead {
                    ReachRelation::Merges
                } else {
                    ReachRelation::Affects
                },
                via: t.function.clone(),
                scoped_by: scoped(f, &t.params),
            });
        }
        for m in &plan.merges {
            reached.entry(m.context.as_str()).or_default().push(ReachedBy {
                mutation: f.name.clone(),
                relation: ReachRelation::Merges,
                via: None,
                scoped_by: scoped(f, &m.params),
            });
        }
    }
    ir.contexts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let policy = snapshot.policies.get(&c.name);
            let (decision, ttl) = match policy.map(|p| &p.decision) {
                Some(Decision::Cached { ttl_secs, capped, .. }) => (
                    if *capped {
                        format!("cached {ttl_secs} s (capped)")
                    } else {
                        format!("cached {ttl_secs} s")
                    },
                    Some(*ttl_secs as i64),
                ),
                Some(Decision::Never { reason }) => (format!("never cached: {reason}"), None),
                None => ("unknown".into(), None),
            };
            ContextView {
                name: c.name.clone(),
                doc: c.doc.clone(),
                members: c.members.clone(),
                params: c
                    .params
                    .iter()
                    .map(|p| ContextParamView {
                        name: p.name.clone(),
                        shape: p.shape.to_string(),
                        required: p.required,
                        shared_by: p.shared_by.clone(),
                    })
                    .collect(),
                rev: policy.map(|p| p.rev as i64).unwrap_or_default(),
                cache: cache_text(ir.effective_cache(&c.name)),
                cache_decision: decision,
                ttl_secs: ttl,
                reached_by: reached.remove(c.name.as_str()).unwrap_or_default(),
                location: location(snapshot, snapshot.parsed.source_map.contexts.get(i).map(|s| s.offset)),
                diagnostics: diagnostics_about(snapshot, &c.name),
            }
        })
        .collect()
}

fn refs(shape: &Shape, out: &mut BTreeSet<String>) {
    shape.visit_refs(&mut |r| {
        out.insert(r.to_owned());
    });
}

/// Every named type, with the functions that reach it (through params,
/// outputs and other types).
pub fn types(snapshot: &Snapshot) -> Vec<TypeView> {
    let ir = &snapshot.parsed.ir;
    // Direct type references of each type, for the transitive closure.
    let mut edges: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for t in &ir.types {
        let mut out = BTreeSet::new();
        match &t.kind {
            TypeKind::Struct(s) => s.fields.iter().for_each(|f| refs(&f.shape, &mut out)),
            TypeKind::Alias(shape) => refs(shape, &mut out),
            TypeKind::Enum(_) => {}
        }
        edges.insert(&t.name, out);
    }
    let mut used_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &ir.functions {
        let mut direct = BTreeSet::new();
        f.params.iter().for_each(|p| refs(&p.shape, &mut direct));
        refs(&f.output, &mut direct);
        let mut stack: Vec<String> = direct.into_iter().collect();
        let mut seen = BTreeSet::new();
        while let Some(t) = stack.pop() {
            if seen.insert(t.clone()) {
                stack.extend(edges.get(t.as_str()).into_iter().flatten().cloned());
            }
        }
        for t in seen {
            used_by.entry(t).or_default().insert(f.name.clone());
        }
    }
    ir.types
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let (kind, fields, variants, alias_of, identity) = match &t.kind {
                TypeKind::Struct(s) => (
                    NamedTypeKind::Struct,
                    s.fields
                        .iter()
                        .map(|f| FieldView {
                            name: f.name.clone(),
                            shape: f.shape.to_string(),
                            optional: f.optional,
                            default: f.default.clone(),
                            doc: f.doc.clone(),
                        })
                        .collect(),
                    Vec::new(),
                    None,
                    Some(s.identity_field().to_owned()),
                ),
                TypeKind::Enum(v) => (
                    NamedTypeKind::Enum,
                    Vec::new(),
                    v.iter().map(|v| v.name.clone()).collect(),
                    None,
                    None,
                ),
                TypeKind::Alias(shape) => (
                    NamedTypeKind::Alias,
                    Vec::new(),
                    Vec::new(),
                    Some(shape.to_string()),
                    None,
                ),
            };
            TypeView {
                name: t.name.clone(),
                doc: t.doc.clone(),
                kind,
                fields,
                variants,
                alias_of,
                identity,
                used_by: used_by
                    .remove(&t.name)
                    .map(|s| s.into_iter().collect())
                    .unwrap_or_default(),
                location: location(snapshot, snapshot.parsed.source_map.types.get(i).map(|s| s.offset)),
            }
        })
        .collect()
}

fn plural(n: usize, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

/// The context rows: members and params.
pub fn context_rows(snapshot: &Snapshot) -> Vec<ItemSummary> {
    contexts(snapshot)
        .into_iter()
        .map(|c| {
            let mut detail = plural(c.members.len(), "member");
            if !c.params.is_empty() {
                let params: Vec<&str> = c.params.iter().map(|p| p.name.as_str()).collect();
                detail = format!("{detail} · {}", params.join(", "));
            }
            ItemSummary {
                id: format!("ctx:{}", c.name),
                name: c.name,
                detail,
                diagnostics: c.diagnostics.len() as i64,
            }
        })
        .collect()
}

/// The mutation rows: what each reaches.
pub fn mutation_rows(snapshot: &Snapshot) -> Vec<ItemSummary> {
    mutations(snapshot)
        .into_iter()
        .map(|m| {
            let reached: Vec<String> = m
                .affects
                .iter()
                .map(|a| a.function.clone().unwrap_or_else(|| a.context.clone()))
                .chain(m.merges.iter().map(|g| format!("{} (merge)", g.context)))
                .collect();
            ItemSummary {
                id: format!("fn:{}", m.name),
                detail: format!("→ {}", reached.join(", ")),
                diagnostics: diagnostics_about(snapshot, &m.name).len() as i64,
                name: m.name,
            }
        })
        .collect()
}

/// The rows of the functions that are not mutations: their context.
pub fn function_rows(snapshot: &Snapshot) -> Vec<ItemSummary> {
    functions(snapshot)
        .into_iter()
        .filter(|f| f.kind != NodeKind::Mutation)
        .map(|f| ItemSummary {
            id: format!("fn:{}", f.name),
            detail: f.context.map_or_else(|| "no context".to_owned(), |c| format!("in {c}")),
            diagnostics: f.diagnostics.len() as i64,
            name: f.name,
        })
        .collect()
}

/// The type rows: their kind.
pub fn type_rows(snapshot: &Snapshot) -> Vec<ItemSummary> {
    types(snapshot)
        .into_iter()
        .map(|t| ItemSummary {
            id: format!("type:{}", t.name),
            diagnostics: diagnostics_about(snapshot, &t.name).len() as i64,
            name: t.name,
            detail: t.kind.as_str().to_owned(),
        })
        .collect()
}

/// Everything about `id` (`ctx:NAME`, `fn:NAME`, `type:NAME`).
pub fn detail(snapshot: &Snapshot, id: &str) -> ItemDetail {
    let mut out = ItemDetail::default();
    if let Some(name) = id.strip_prefix("ctx:") {
        out.context = contexts(snapshot).into_iter().find(|c| c.name == name);
    } else if let Some(name) = id.strip_prefix("fn:") {
        out.function = functions(snapshot).into_iter().find(|f| f.name == name);
        if out.function.as_ref().is_some_and(|f| f.kind == NodeKind::Mutation) {
            out.mutation = mutations(snapshot).into_iter().find(|m| m.name == name);
        }
    } else if let Some(name) = id.strip_prefix("type:") {
        out.type_view = types(snapshot).into_iter().find(|t| t.name == name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Loaded, load_text};

    #[test]
    fn cache_decisions_follow_the_projects_options() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/afi/afi.kdl")).unwrap();
        let decision = |max_ttl: u64| {
            let options = mizan_core::cache::CacheOptions {
                max_ttl: std::time::Duration::from_secs(max_ttl),
            };
            let Loaded::Good(snapshot) = load_text(text.clone(), 1, &options) else {
                panic!("the AFI IR loads");
            };
            let items = contexts(&snapshot).into_iter().find(|c| c.name == "items").unwrap();
            items.cache_decision
        };
        // `items` is cached for 60 s in the AFI IR: a 30 s cap shortens it.
        assert_eq!(decision(7 * 24 * 3600), "cached 60 s");
        assert_eq!(decision(30), "cached 30 s (capped)");
    }

    #[test]
    fn a_type_row_counts_the_diagnostics_about_the_type() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/diagnostics/unreachable-type.kdl"
        ))
        .unwrap();
        let Loaded::Good(snapshot) = load_text(text, 1, &Default::default()) else {
            panic!("the fixture loads (its diagnostic is a warning)");
        };
        let unreachable: Vec<&str> = snapshot
            .diagnostics
            .iter()
            .filter(|d| d.code == "unreachable-type")
            .filter_map(|d| d.names.first().map(String::as_str))
            .collect();
        assert_eq!(unreachable.len(), 1);
        for row in type_rows(&snapshot) {
            let expected = i64::from(row.name == unreachable[0]);
            assert_eq!(row.diagnostics, expected, "{}", row.name);
        }
    }
}
