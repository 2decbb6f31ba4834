//! Invalidation and merge resolution (SPEC §4), the heart of Mizan: what a
//! successful mutation call tells clients to refetch or patch.
//!
//! Everything that depends only on the IR (which context a target resolves
//! to, that context's params, the merge slot) is computed once per mutation
//! into a [`MutationPlan`]; a call then only scopes its arguments. Adapters
//! keep an [`InvalidationIndex`]; one-off callers use [`resolve`]. This is
//! the single implementation every adapter, client test and the studio use.
//! Pure functions: no I/O, no clock.

use crate::ir::{Ir, Shape, Target, TypeKind};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};

/// One entry of a response's `invalidate` list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Invalidation {
    /// Refetch every mounted instance of the context (tier 3).
    Broad(String),
    /// Refetch the instances whose params match (tier 1), or the context of
    /// a function target.
    Scoped(ScopedInvalidation),
}

/// A scoped entry: `{"context", "function"?, "params"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopedInvalidation {
    /// The context to refetch.
    pub context: String,
    /// For function targets: the function, a precision hint for caches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// Only instances whose params match every key (compared as strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Map<String, Value>>,
}

impl Invalidation {
    /// The context this entry refetches.
    pub fn context(&self) -> &str {
        match self {
            Invalidation::Broad(c) => c,
            Invalidation::Scoped(s) => &s.context,
        }
    }

    /// The scoping params, if any.
    pub fn params(&self) -> Option<&Map<String, Value>> {
        match self {
            Invalidation::Broad(_) => None,
            Invalidation::Scoped(s) => s.params.as_ref(),
        }
    }
}

/// One entry of a response's `merge` list: splice `value` into `slot` of the
/// context's instances matching `params`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeEntry {
    /// The context whose cached data is patched.
    pub context: String,
    /// The member function whose result slot receives the value.
    pub slot: String,
    /// The mutation's result.
    pub value: Value,
    /// Scoping, as for invalidations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Map<String, Value>>,
}

/// What a successful call tells clients.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Resolution {
    /// Contexts to refetch, in declaration order, de-duplicated.
    pub invalidate: Vec<Invalidation>,
    /// Slots to patch without a round trip.
    pub merge: Vec<MergeEntry>,
}

/// How a mutation's result fits a context slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MergeMode {
    /// Same type: the slot is replaced by the value.
    Direct,
    /// The slot is `list<T>` and the mutation returns `T`: replace the
    /// element with the same identity field, else append.
    Upsert,
    /// Both are lists of the same element type: the slot is replaced.
    Replace,
}

/// The result of looking for a mutation's slot in a merge context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeSlot {
    /// Exactly one member fits.
    Unique {
        /// The member function.
        slot: String,
        /// How the value fits.
        mode: MergeMode,
    },
    /// No member fits.
    Unresolved,
    /// Several members fit (listed).
    Ambiguous(Vec<String>),
}

/// Finds the member of `context` whose output fits `output` (SPEC §4:
/// direct, upsert, replace; structural comparison of named types).
pub fn merge_slot(ir: &Ir, output: &Shape, context: &str) -> MergeSlot {
    let mut found: Vec<(String, MergeMode)> = Vec::new();
    for member in ir.members_of(context) {
        if let Some(mode) = fit(ir, output, &member.output) {
            found.push((member.name.clone(), mode));
        }
    }
    match found.len() {
        0 => MergeSlot::Unresolved,
        1 => {
            let (slot, mode) = found.remove(0);
            MergeSlot::Unique { slot, mode }
        }
        _ => MergeSlot::Ambiguous(found.into_iter().map(|(s, _)| s).collect()),
    }
}

fn fit(ir: &Ir, value: &Shape, slot: &Shape) -> Option<MergeMode> {
    // A top-level `optional` is looked through on the slot side only: an
    // `optional<T>` result may be `null`, which must never be appended to a
    // list or replace a slot that cannot hold it.
    let value = unalias(ir, value);
    let looked = slot_shape(ir, slot);
    match (value, looked) {
        (Shape::List(a), Shape::List(b)) if same_shape(ir, a, b, &mut BTreeSet::new()) => Some(MergeMode::Replace),
        (v, Shape::List(elem)) if !matches!(v, Shape::List(_)) && same_shape(ir, v, elem, &mut BTreeSet::new()) => {
            Some(MergeMode::Upsert)
        }
        (v, s) if same_shape(ir, v, s, &mut BTreeSet::new()) => Some(MergeMode::Direct),
        // `optional<T>` into an `optional<T>` slot: `null` fits there.
        (v, _) if same_shape(ir, v, unalias(ir, slot), &mut BTreeSet::new()) => Some(MergeMode::Direct),
        _ => None,
    }
}

/// The required params of `context` that `function` does not take at all:
/// a merge of its result could not tell which instance it is for, so it
/// refetches instead (checker: `unscoped-merge`).
pub fn uncovered_params(ir: &Ir, function: &crate::ir::Function, context: &str) -> Vec<String> {
    required_params(ir, context)
        .into_iter()
        .filter(|p| function.param(p).is_none())
        .collect()
}

fn required_params(ir: &Ir, context: &str) -> Vec<String> {
    match ir.context(context) {
        Some(c) => c.params.iter().filter(|p| p.required).map(|p| p.name.clone()).collect(),
        None => crate::ir::derive::derived_params(ir, &member_names(ir, context))
            .into_iter()
            .filter(|p| p.required)
            .map(|p| p.name)
            .collect(),
    }
}

/// How merge matching sees a shape: aliases followed, a top-level
/// `optional` dropped. Codegen uses it to find list slots and identities.
pub fn slot_shape<'a>(ir: &'a Ir, mut shape: &'a Shape) -> &'a Shape {
    for _ in 0..64 {
        shape = match shape {
            Shape::Optional(inner) => inner,
            Shape::Ref(name) => match ir.type_def(name).map(|t| &t.kind) {
                Some(TypeKind::Alias(target)) => target,
                _ => return shape,
            },
            _ => return shape,
        };
    }
    shape
}

/// Follows aliases only.
fn unalias<'a>(ir: &'a Ir, mut shape: &'a Shape) -> &'a Shape {
    for _ in 0..64 {
        match shape {
            Shape::Ref(name) => match ir.type_def(name).map(|t| &t.kind) {
                Some(TypeKind::Alias(target)) => shape = target,
                _ => return shape,
            },
            _ => return shape,
        }
    }
    shape
}

/// Structural equality of shapes; named structs/enums compare by body.
/// `assumed` holds pairs already being compared (recursive types).
fn same_shape<'a>(ir: &'a Ir, a: &'a Shape, b: &'a Shape, assumed: &mut BTreeSet<(&'a str, &'a str)>) -> bool {
    let (a, b) = (unalias(ir, a), unalias(ir, b));
    match (a, b) {
        (Shape::Ref(x), Shape::Ref(y)) => {
            if x == y || !assumed.insert((x, y)) {
                return true;
            }
            match (ir.type_def(x).map(|t| &t.kind), ir.type_def(y).map(|t| &t.kind)) {
                (Some(TypeKind::Struct(s)), Some(TypeKind::Struct(t))) => {
                    s.fields.len() == t.fields.len()
                        && s.fields.iter().all(|f| {
                            t.fields.iter().any(|g| {
                                g.name == f.name
                                    && g.optional == f.optional
                                    && same_shape(ir, &f.shape, &g.shape, assumed)
                            })
                        })
                }
                (Some(TypeKind::Enum(v)), Some(TypeKind::Enum(w))) => {
                    v.len() == w.len() && v.iter().all(|x| w.iter().any(|y| y.name == x.name))
                }
                _ => false,
            }
        }
        (Shape::List(x), Shape::List(y))
        | (Shape::Optional(x), Shape::Optional(y))
        | (Shape::Map(x), Shape::Map(y)) => same_shape(ir, x, y, assumed),
        (Shape::Union(xs), Shape::Union(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_shape(ir, x, y, assumed))
        }
        (x, y) => x == y,
    }
}

/// A target of a mutation with everything the IR decides about it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTarget {
    /// The context to refetch.
    pub context: String,
    /// The function, for function targets.
    pub function: Option<String>,
    /// The context's param names (args with these names scope the entry).
    pub params: Vec<String>,
}

/// A merge the IR resolved to a slot.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedMerge {
    /// The merged context.
    pub context: String,
    /// The member receiving the value.
    pub slot: String,
    /// How it fits.
    pub mode: MergeMode,
    /// The context's param names.
    pub params: Vec<String>,
    /// The context's required params: a call whose args lack one of them
    /// cannot say which instance the value belongs to, so it refetches
    /// (scoped by the params it has) instead of merging.
    pub required: Vec<String>,
}

/// Everything about a mutation's effects that does not depend on a call.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MutationPlan {
    /// Invalidation targets in order (unresolvable merges, and merges whose
    /// function does not take the context's required params, come last, as
    /// broad-or-scoped invalidations of their context).
    pub targets: Vec<PlannedTarget>,
    /// Resolved merges.
    pub merges: Vec<PlannedMerge>,
}

impl MutationPlan {
    /// Plans a function of `ir`. Dangling targets are skipped (the checker
    /// reports them as errors).
    pub fn new(ir: &Ir, function: &crate::ir::Function) -> Self {
        let params_of = |context: &str| -> Vec<String> {
            ir.context(context)
                .map(|c| c.params.iter().map(|p| p.name.clone()).collect())
                .unwrap_or_else(|| {
                    crate::ir::derive::derived_params(ir, &member_names(ir, context))
                        .into_iter()
                        .map(|p| p.name)
                        .collect()
                })
        };
        let mut plan = MutationPlan::default();
        let mut merged: Vec<String> = Vec::new();
        let mut unmerged: Vec<String> = Vec::new();
        for context in &function.merge {
            if ir.context(context).is_none() && ir.members_of(context).next().is_none() {
                continue;
            }
            match merge_slot(ir, &function.output, context) {
                MergeSlot::Unique { slot, mode } if uncovered_params(ir, function, context).is_empty() => {
                    if !merged.contains(context) {
                        merged.push(context.clone());
                        plan.merges.push(PlannedMerge {
                            context: context.clone(),
                            slot,
                            mode,
                            params: params_of(context),
                            required: required_params(ir, context),
                        });
                    }
                }
                _ => unmerged.push(context.clone()),
            }
        }
        let targets = function
            .affects
            .iter()
            .cloned()
            .chain(unmerged.into_iter().map(Target::Context));
        for target in targets {
            let (context, hint) = match &target {
                Target::Context(c) if merged.contains(c) => continue,
                Target::Context(c) => (c.clone(), None),
                Target::Function(f) => match ir.function(f).and_then(|f| f.context.clone()) {
                    Some(c) => (c, Some(f.clone())),
                    None => continue,
                },
            };
            if ir.context(&context).is_none() && ir.members_of(&context).next().is_none() {
                continue;
            }
            let planned = PlannedTarget {
                params: params_of(&context),
                context,
                function: hint,
            };
            if !plan.targets.contains(&planned) {
                plan.targets.push(planned);
            }
        }
        plan
    }

    /// Applies the plan to one successful call.
    pub fn resolve(&self, args: &Map<String, Value>, result: &Value) -> Resolution {
        let scope = |params: &[String]| -> Option<Map<String, Value>> {
            let scoped: Map<String, Value> = params
                .iter()
                .filter_map(|p| args.get(p).map(|v| (p.clone(), v.clone())))
                .collect();
            (!scoped.is_empty()).then_some(scoped)
        };
        let mut invalidate: Vec<Invalidation> = Vec::with_capacity(self.targets.len());
        for t in &self.targets {
            let params = scope(&t.params);
            let entry = match (&t.function, params) {
                (None, None) => Invalidation::Broad(t.context.clone()),
                (function, params) => Invalidation::Scoped(ScopedInvalidation {
                    context: t.context.clone(),
                    function: function.clone(),
                    params,
                }),
            };
            if !invalidate.contains(&entry) {
                invalidate.push(entry);
            }
        }
        let mut merge = Vec::with_capacity(self.merges.len());
        for m in &self.merges {
            let params = scope(&m.params);
            if m.required.iter().all(|p| args.contains_key(p)) {
                merge.push(MergeEntry {
                    context: m.context.clone(),
                    slot: m.slot.clone(),
                    value: result.clone(),
                    params,
                });
                continue;
            }
            // A required param left out (optional in the mutation): the
            // value's instance is unknown, so refetch rather than splice it
            // into every instance.
            let entry = match params {
                None => Invalidation::Broad(m.context.clone()),
                params => Invalidation::Scoped(ScopedInvalidation {
                    context: m.context.clone(),
                    function: None,
                    params,
                }),
            };
            if !invalidate.contains(&entry) {
                invalidate.push(entry);
            }
        }
        Resolution { invalidate, merge }
    }
}

fn member_names(ir: &Ir, context: &str) -> Vec<String> {
    ir.members_of(context).map(|f| f.name.clone()).collect()
}

/// Plans for every mutation of an IR, built once (adapters keep one).
#[derive(Debug, Clone, Default)]
pub struct InvalidationIndex {
    plans: HashMap<String, MutationPlan>,
    functions: BTreeSet<String>,
}

impl InvalidationIndex {
    /// Plans every function of `ir`.
    pub fn new(ir: &Ir) -> Self {
        let plans = ir
            .functions
            .iter()
            .filter(|f| f.is_mutation())
            .map(|f| (f.name.clone(), MutationPlan::new(ir, f)))
            .collect();
        InvalidationIndex {
            plans,
            functions: ir.functions.iter().map(|f| f.name.clone()).collect(),
        }
    }

    /// The plan of a mutation (`None` for reads).
    pub fn plan(&self, function: &str) -> Option<&MutationPlan> {
        self.plans.get(function)
    }

    /// Resolves a successful call of `function`. Reads resolve to nothing.
    pub fn resolve(&self, function: &str, args: &Map<String, Value>, result: &Value) -> Result<Resolution> {
        match self.plans.get(function) {
            Some(plan) => Ok(plan.resolve(args, result)),
            None if self.functions.contains(function) => Ok(Resolution::default()),
            None => Err(Error::UnknownFunction {
                name: function.to_owned(),
            }),
        }
    }
}

/// One-off resolution of a call of `function` with `args` that returned
/// `result` (plans just that function).
pub fn resolve(ir: &Ir, function: &str, args: &Map<String, Value>, result: &Value) -> Result<Resolution> {
    let f = ir.function(function).ok_or_else(|| Error::UnknownFunction {
        name: function.to_owned(),
    })?;
    Ok(MutationPlan::new(ir, f).resolve(args, result))
}
