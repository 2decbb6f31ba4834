//! Display names several panes share: a project folder's name, the graph's
//! node and edge kinds as the CSS classes and labels spell them.

use crate::api::{EdgeKind, NodeKind};

/// The last path component of a folder.
pub fn folder_name(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or(path)
}

/// `context`, `function`, `mutation`.
pub fn node_kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Context => "context",
        NodeKind::Function => "function",
        NodeKind::Mutation => "mutation",
    }
}

/// `member-of`, `affects`, `merges`.
pub fn edge_kind_name(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::MemberOf => "member-of",
        EdgeKind::Affects => "affects",
        EdgeKind::Merges => "merges",
    }
}
