//! The browse lists, the inspector's details of one item and the what-if of
//! a mutation call. Shapes that mirror the core's wire types (`invalidate`,
//! `merge`) are JSON values holding exactly what the core computed.

use mizan::Mizan;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::graph::NodeKind;
use super::source::SourceLocation;

/// One row of the browse lists: what the lists and the palette show. The
/// details of one item are `item_detail`'s (a 2,000-function project's
/// full views are megabytes; its rows are a tenth of that).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ItemSummary {
    /// `ctx:NAME`, `fn:NAME` (functions and mutations) or `type:NAME`.
    pub id: String,
    /// The name.
    pub name: String,
    /// One line about it (`2 members · page, user_id`, `→ user, items
    /// (merge)`, `in user`, `struct`).
    pub detail: String,
    /// Diagnostics about it.
    pub diagnostics: i64,
}

/// Everything about one item; the fields that do not apply are null (all
/// of them for an id the IR does not have).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct ItemDetail {
    /// A context.
    pub context: Option<ContextView>,
    /// A function (a mutation's too: its signature and output).
    pub function: Option<FunctionView>,
    /// A mutation: what it reaches.
    pub mutation: Option<MutationView>,
    /// A named type.
    pub type_view: Option<TypeView>,
}

/// A function parameter.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ParamView {
    /// Wire name.
    pub name: String,
    /// Shape, as IR text (`integer`, `list<Item>`).
    pub shape: String,
    /// Must be passed.
    pub required: bool,
    /// Default value.
    pub default: Option<Value>,
}

/// An `affects` target as the core plans it.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct AffectsView {
    /// The context refetched.
    pub context: String,
    /// The function named, for function targets.
    pub function: Option<String>,
    /// The mutation's args that scope it.
    pub scoped_by: Vec<String>,
}

/// How a mutation's result merges into a context: the core's merge
/// modes, or `refetch` when the plan could not resolve the slot.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum MergeMode {
    /// The result replaces the slot's value.
    Direct,
    /// The result is inserted or updated by identity in a list.
    Upsert,
    /// The result replaces the whole list.
    Replace,
    /// Unresolved: clients refetch instead.
    Refetch,
}

/// How a function is called (the IR's `transport`).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Request/response over HTTP (or IPC).
    Http,
    /// A websocket subscription.
    Websocket,
}

/// A `merge` target as the core plans it.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct MergeView {
    /// The context merged into.
    pub context: String,
    /// The member slot, when it resolves (else clients refetch).
    pub slot: Option<String>,
    /// How the result merges (`refetch` when the slot does not resolve).
    pub mode: MergeMode,
    /// The mutation's args that scope it.
    pub scoped_by: Vec<String>,
}

/// A function, for the list and the details pane.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct FunctionView {
    /// Name.
    pub name: String,
    /// Doc text.
    pub doc: Option<String>,
    /// Context or mutation or plain function.
    pub kind: NodeKind,
    /// Its context.
    pub context: Option<String>,
    /// How it is called.
    pub transport: Transport,
    /// `none`, `required`, `staff`, `superuser`, `predicate:NAME`.
    pub auth: String,
    /// Server-internal.
    pub private: bool,
    /// Page route.
    pub route: Option<String>,
    /// Declared rev.
    pub rev: i64,
    /// `forever`, `ttl(N)` or `none`.
    pub cache: String,
    /// Parameters in order.
    pub params: Vec<ParamView>,
    /// Output shape.
    pub output: String,
    /// What it invalidates (from the core's plan).
    pub affects: Vec<AffectsView>,
    /// Where it merges.
    pub merges: Vec<MergeView>,
    /// Where it is in the IR text.
    pub location: Option<SourceLocation>,
    /// Diagnostic codes about it.
    pub diagnostics: Vec<String>,
}

/// A context param.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ContextParamView {
    /// Name.
    pub name: String,
    /// Shape.
    pub shape: String,
    /// Shared by every member (a provider prop).
    pub required: bool,
    /// The members that take it.
    pub shared_by: Vec<String>,
}

/// How a mutation reaches a context.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ReachRelation {
    /// It invalidates the context's entries.
    Affects,
    /// It merges its result into the context.
    Merges,
}

/// A mutation that reaches a context.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ReachedBy {
    /// The mutation.
    pub mutation: String,
    /// Whether it invalidates or merges into the context.
    pub relation: ReachRelation,
    /// The member named, for function targets.
    pub via: Option<String>,
    /// Its args that scope the entry.
    pub scoped_by: Vec<String>,
}

/// A context, for the list and the details pane.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ContextView {
    /// Name.
    pub name: String,
    /// Doc text.
    pub doc: Option<String>,
    /// Members.
    pub members: Vec<String>,
    /// Params with required/optional and shared-by.
    pub params: Vec<ContextParamView>,
    /// Effective rev (max over members).
    pub rev: i64,
    /// Effective declared policy (`forever`, `ttl(60)`, `none`).
    pub cache: String,
    /// Whether the origin cache stores it, and for how long or why not.
    pub cache_decision: String,
    /// TTL of entries, when cached.
    pub ttl_secs: Option<i64>,
    /// Mutations that invalidate or merge it.
    pub reached_by: Vec<ReachedBy>,
    /// Where it is in the IR text.
    pub location: Option<SourceLocation>,
    /// Diagnostic codes about it.
    pub diagnostics: Vec<String>,
}

/// A struct field.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct FieldView {
    /// Wire name.
    pub name: String,
    /// Shape.
    pub shape: String,
    /// May be absent.
    pub optional: bool,
    /// Default.
    pub default: Option<Value>,
    /// Doc text.
    pub doc: Option<String>,
}

/// What kind of named type a type is.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum NamedTypeKind {
    /// A struct with fields.
    Struct,
    /// An enum of unit variants.
    Enum,
    /// Another name for a shape.
    Alias,
}

impl NamedTypeKind {
    /// The wire name (a type row's detail text in the lists).
    pub fn as_str(self) -> &'static str {
        match self {
            NamedTypeKind::Struct => "struct",
            NamedTypeKind::Enum => "enum",
            NamedTypeKind::Alias => "alias",
        }
    }
}

/// A named type.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TypeView {
    /// Name.
    pub name: String,
    /// Doc text.
    pub doc: Option<String>,
    /// Struct, enum or alias.
    pub kind: NamedTypeKind,
    /// Struct fields.
    pub fields: Vec<FieldView>,
    /// Enum variants.
    pub variants: Vec<String>,
    /// Aliased shape.
    pub alias_of: Option<String>,
    /// Identity field (structs; used by merge upserts).
    pub identity: Option<String>,
    /// Functions whose params or output reach it.
    pub used_by: Vec<String>,
    /// Where it is in the IR text.
    pub location: Option<SourceLocation>,
}

/// A mutation, with what it reaches.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct MutationView {
    /// Name.
    pub name: String,
    /// Doc text.
    pub doc: Option<String>,
    /// Parameters (the what-if form).
    pub params: Vec<ParamView>,
    /// What it invalidates.
    pub affects: Vec<AffectsView>,
    /// Where it merges.
    pub merges: Vec<MergeView>,
    /// Its args that scope any entry, sorted.
    pub auto_scoped_params: Vec<String>,
    /// Server-internal.
    pub private: bool,
    /// Where it is in the IR text.
    pub location: Option<SourceLocation>,
}

/// How a what-if reaches a node.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// Its entries are invalidated (clients refetch).
    Invalidated,
    /// The result is merged into it (clients patch).
    Merged,
}

/// A node reached by a what-if.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    /// Node id.
    pub node: String,
    /// Invalidated or merged.
    pub how: Reach,
}

/// What a mutation call with given args would tell clients.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct WhatIf {
    /// The mutation.
    pub mutation: String,
    /// Exactly the core's `invalidate` list.
    pub invalidate: Value,
    /// Exactly the core's `merge` list (values are the given `result`).
    pub merge: Value,
    /// The `X-Mizan-Invalidate` header value (`None` when empty).
    pub header: Option<String>,
    /// Nodes to highlight.
    pub reached: Vec<Reached>,
}
