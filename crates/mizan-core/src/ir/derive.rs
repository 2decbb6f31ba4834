//! Deriving the parts of an IR that follow from its functions: context
//! member lists and params, and the set of reachable types. Builders (the
//! macro registry, other backends' exporters) call these; the checker
//! compares a parsed IR against them.

use super::{Context, ContextParam, Ir, Shape};
use std::collections::{BTreeMap, BTreeSet};

/// Recomputes every context's `members` and `params` from the functions
/// that name it, creating contexts that are named but not declared. Docs of
/// existing contexts are kept; declared contexts without members stay (the
/// checker reports them). The result is canonical.
pub fn derive_contexts(ir: &mut Ir) {
    let mut by_name: BTreeMap<String, Context> = ir.contexts.drain(..).map(|c| (c.name.clone(), c)).collect();
    for c in by_name.values_mut() {
        c.members.clear();
        c.params.clear();
    }
    for f in &ir.functions {
        let Some(name) = &f.context else { continue };
        let ctx = by_name.entry(name.clone()).or_insert_with(|| Context {
            name: name.clone(),
            doc: None,
            members: Vec::new(),
            params: Vec::new(),
        });
        ctx.members.push(f.name.clone());
    }
    for ctx in by_name.values_mut() {
        ctx.params = derived_params(ir, &ctx.members);
    }
    ir.contexts = by_name.into_values().collect();
    ir.canonicalize();
}

/// The params a context with these members has: the union of their
/// argument names; required when every member takes it.
pub(crate) fn derived_params(ir: &Ir, members: &[String]) -> Vec<ContextParam> {
    let mut params: BTreeMap<&str, (Shape, BTreeSet<&str>)> = BTreeMap::new();
    let mut member_fns: Vec<_> = members.iter().filter_map(|m| ir.function(m)).collect();
    member_fns.sort_by(|a, b| a.name.cmp(&b.name));
    for f in &member_fns {
        for p in &f.params {
            params
                .entry(&p.name)
                .or_insert_with(|| (p.shape.clone(), BTreeSet::new()))
                .1
                .insert(&f.name);
        }
    }
    params
        .into_iter()
        .map(|(name, (shape, users))| ContextParam {
            name: name.to_owned(),
            shape,
            required: users.len() == member_fns.len(),
            shared_by: users.into_iter().map(str::to_owned).collect(),
        })
        .collect()
}

/// Drops named types no function reaches (through params, outputs, fields,
/// aliases, transitively).
pub fn retain_reachable_types(ir: &mut Ir) {
    let reachable: BTreeSet<String> = reachable_types(ir).into_iter().map(str::to_owned).collect();
    ir.types.retain(|t| reachable.contains(t.name.as_str()));
}

/// Names of the types reachable from the functions.
pub(crate) fn reachable_types(ir: &Ir) -> BTreeSet<&str> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&str> = Vec::new();
    for f in &ir.functions {
        f.output.visit_refs(&mut |r| stack.push(r));
        for p in &f.params {
            p.shape.visit_refs(&mut |r| stack.push(r));
        }
    }
    while let Some(name) = stack.pop() {
        if !seen.insert(name) {
            continue;
        }
        let Some(t) = ir.type_def(name) else { continue };
        match &t.kind {
            super::TypeKind::Struct(s) => {
                for field in &s.fields {
                    field.shape.visit_refs(&mut |r| stack.push(r));
                }
            }
            super::TypeKind::Alias(shape) => shape.visit_refs(&mut |r| stack.push(r)),
            super::TypeKind::Enum(_) => {}
        }
    }
    seen
}
