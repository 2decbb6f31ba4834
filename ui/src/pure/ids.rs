//! Ids of the items the panes share (the selection, the graph's focus, a
//! trace's ends), spelled as the backend spells graph nodes.

/// Id of a graph node or a type, as the backend spells graph nodes
/// (`ctx:NAME`, `fn:NAME`; types are `type:NAME`).
pub type ItemId = String;

/// `ctx:NAME`.
pub fn ctx_id(name: &str) -> ItemId {
    format!("ctx:{name}")
}

/// `fn:NAME` (functions and mutations).
pub fn fn_id(name: &str) -> ItemId {
    format!("fn:{name}")
}

/// `type:NAME`.
pub fn type_id(name: &str) -> ItemId {
    format!("type:{name}")
}

/// The name part of an id.
pub fn name_of(id: &str) -> &str {
    id.split_once(':').map_or(id, |(_, name)| name)
}
