//! The compile-time registry: every `#[mizan::client]` function and
//! `#[mizan::context]` type adds an entry to a `linkme` distributed slice;
//! [`Registry::from_linked`] turns the slices into the canonical IR and the
//! dispatch table. Duplicate names and invalid graphs are startup errors.

use crate::types::TypeRegistry;
use crate::{MizanError, RegistryError, RequestHandle};
use futures::future::BoxFuture;
use mizan_core::check::{Severity, check};
use mizan_core::invalidation::InvalidationIndex;
use mizan_core::ir::{self, Context, Function, Ir};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A handler: decodes the arguments, runs the function, encodes the result.
pub type CallFn = for<'a> fn(&'a RequestHandle<'a>, &'a Map<String, Value>) -> BoxFuture<'a, Result<Value, MizanError>>;

/// A custom auth predicate (`auth = path::to::predicate`).
pub type PredicateFn = fn(&RequestHandle<'_>) -> bool;

/// One registered server function (built by `#[mizan::client]`).
pub struct FunctionEntry {
    /// Wire name.
    pub name: &'static str,
    /// `file:line` of the definition, for duplicate reports.
    pub location: &'static str,
    /// Its IR description; registers the types it reaches.
    pub describe: fn(&mut TypeRegistry) -> Function,
    /// Its handler.
    pub call: CallFn,
    /// Its custom auth predicate, if `auth` names one.
    pub predicate: Option<PredicateFn>,
}

/// One registered context (built by `#[mizan::context]`).
pub struct ContextEntry {
    /// Context name.
    pub name: &'static str,
    /// Doc comment of the context type.
    pub doc: Option<&'static str>,
    /// `file:line` of the definition, for duplicate reports.
    pub location: &'static str,
}

/// Every `#[mizan::client]` function linked into the binary.
#[linkme::distributed_slice]
pub static FUNCTIONS: [FunctionEntry];

/// Every `#[mizan::context]` linked into the binary.
#[linkme::distributed_slice]
pub static CONTEXTS: [ContextEntry];

/// The dispatch table and IR of a set of server functions.
pub struct Registry {
    pub(crate) ir: Ir,
    /// Dispatch table: each function's entry and the index of its
    /// description in `ir.functions` (one hash lookup per call).
    pub(crate) entries: HashMap<&'static str, (usize, &'static FunctionEntry)>,
    pub(crate) index: InvalidationIndex,
    /// Who hears of commits (origin caches, push hubs), purge stage first.
    pub(crate) hooks: std::sync::RwLock<Vec<std::sync::Arc<dyn crate::commit::CommitHook>>>,
    /// The devtools tap: every call, fetch, commit and push.
    #[cfg(feature = "devtools")]
    pub(crate) tap: crate::devtools::Tap,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("functions", &self.ir.functions.len())
            .finish()
    }
}

impl Registry {
    /// Every function and context linked into this binary.
    pub fn from_linked() -> Result<Registry, RegistryError> {
        Self::from_entries(FUNCTIONS.iter(), CONTEXTS.iter())
    }

    /// A registry of the given entries (tests, or an app serving a subset).
    pub fn from_entries<'e>(
        functions: impl IntoIterator<Item = &'static FunctionEntry>,
        contexts: impl IntoIterator<Item = &'e ContextEntry>,
    ) -> Result<Registry, RegistryError> {
        let mut entries: HashMap<&'static str, &'static FunctionEntry> = HashMap::new();
        let mut types = TypeRegistry::new();
        let mut ir = Ir::new();
        for entry in functions {
            if let Some(first) = entries.insert(entry.name, entry) {
                return Err(RegistryError::DuplicateFunction {
                    name: entry.name.to_owned(),
                    first: first.location.to_owned(),
                    second: entry.location.to_owned(),
                });
            }
            ir.functions.push((entry.describe)(&mut types));
        }
        if let Some(name) = types.conflicts().first() {
            return Err(RegistryError::TypeConflict { name: name.clone() });
        }
        ir.types = types.into_types();
        let mut context_locations: HashMap<&str, &str> = HashMap::new();
        for c in contexts {
            match context_locations.insert(c.name, c.location) {
                // The same definition seen twice is one context.
                Some(first) if first == c.location => continue,
                Some(first) => {
                    return Err(RegistryError::DuplicateContext {
                        name: c.name.to_owned(),
                        first: first.to_owned(),
                        second: c.location.to_owned(),
                    });
                }
                None => {}
            }
            ir.contexts.push(Context {
                name: c.name.to_owned(),
                doc: c.doc.map(str::to_owned),
                members: Vec::new(),
                params: Vec::new(),
            });
        }
        ir::derive_contexts(&mut ir);
        ir::retain_reachable_types(&mut ir);
        let errors: Vec<String> = check(&ir)
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("error[{}]: {}", d.code, d.message))
            .collect();
        if !errors.is_empty() {
            return Err(RegistryError::Invalid { diagnostics: errors });
        }
        let index = InvalidationIndex::new(&ir);
        let entries = ir
            .functions
            .iter()
            .enumerate()
            .filter_map(|(i, f)| entries.get(f.name.as_str()).map(|entry| (entry.name, (i, *entry))))
            .collect();
        Ok(Registry {
            ir,
            entries,
            index,
            hooks: std::sync::RwLock::default(),
            #[cfg(feature = "devtools")]
            tap: crate::devtools::Tap::default(),
        })
    }

    /// The canonical IR.
    pub fn ir(&self) -> &Ir {
        &self.ir
    }

    /// The canonical IR as KDL text.
    pub fn ir_text(&self) -> String {
        ir::emit(&self.ir)
    }

    /// The devtools tap: [`observe`](crate::devtools::Tap::observe) it to
    /// receive every call, fetch, commit and push (feature `devtools`).
    #[cfg(feature = "devtools")]
    pub fn tap(&self) -> &crate::devtools::Tap {
        &self.tap
    }

    /// The invalidation plans.
    pub fn index(&self) -> &InvalidationIndex {
        &self.index
    }
}

/// The IR of every function linked into this binary (what an `emit-ir`
/// binary prints).
pub fn build_ir() -> Result<Ir, RegistryError> {
    Registry::from_linked().map(|r| r.ir)
}
