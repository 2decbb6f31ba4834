//! Display names several panes share: a project folder's name. (The
//! API's enums name themselves: the generated `as_str()` is the wire name
//! that classes and `data-` attributes use.)

/// The last path component of a folder.
pub fn folder_name(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or(path)
}
