//! Keyboard decisions, pure so they are tested on the host: which global
//! shortcut a key press means (never while typing in a field, except
//! Escape and Ctrl/Cmd+K), how ↑/↓ move through a list, and the table the
//! shortcuts panel shows. The listeners (`components/shortcuts.rs`,
//! `components/sidebar.rs`) only read the event and act on the answer.

/// A key press, as the listener read it from the `KeyboardEvent`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Press<'a> {
    /// `KeyboardEvent.key` (`k`, `/`, `?`, `Escape`, `ArrowDown`).
    pub key: &'a str,
    /// Ctrl held.
    pub ctrl: bool,
    /// Meta (⌘) held.
    pub meta: bool,
    /// Alt held.
    pub alt: bool,
}

impl<'a> Press<'a> {
    /// The press of `event`, whose `key()` the caller holds in `key`.
    pub fn of(event: &web_sys::KeyboardEvent, key: &'a str) -> Self {
        Press {
            key,
            ctrl: event.ctrl_key(),
            meta: event.meta_key(),
            alt: event.alt_key(),
        }
    }
}

/// A global shortcut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    /// Ctrl/Cmd+K: open (or close) the command palette.
    Palette,
    /// `/`: focus the search box.
    Search,
    /// `?`: open (or close) the shortcuts panel.
    Shortcuts,
    /// Escape with an overlay open: close it.
    CloseOverlay,
}

/// Whether an element with this tag (upper case, as `tagName`) and
/// `contenteditable` state takes typed text.
pub fn is_typing_target(tag: &str, editable: bool) -> bool {
    editable || matches!(tag, "INPUT" | "TEXTAREA" | "SELECT")
}

/// The shortcut `press` means. `typing`: the focus is in a text field;
/// `overlay`: the palette or the shortcuts panel is open.
pub fn decide(press: &Press, typing: bool, overlay: bool) -> Option<Shortcut> {
    let command = press.ctrl || press.meta;
    if command && !press.alt && press.key.eq_ignore_ascii_case("k") {
        return Some(Shortcut::Palette);
    }
    if press.key == "Escape" && overlay {
        return Some(Shortcut::CloseOverlay);
    }
    if typing || command || press.alt {
        return None;
    }
    match press.key {
        "/" => Some(Shortcut::Search),
        "?" => Some(Shortcut::Shortcuts),
        _ => None,
    }
}

/// What a key does in a list (the sidebar's search box and rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKey {
    /// Select the next visible row.
    Down,
    /// Select the previous visible row.
    Up,
    /// Focus the selection in the graph.
    Enter,
}

/// The list action of `press`, if any (no modifiers).
pub fn list_key(press: &Press) -> Option<ListKey> {
    if press.ctrl || press.meta || press.alt {
        return None;
    }
    match press.key {
        "ArrowDown" => Some(ListKey::Down),
        "ArrowUp" => Some(ListKey::Up),
        "Enter" => Some(ListKey::Enter),
        _ => None,
    }
}

/// The row after moving one step from `current` in `ids` (the visible,
/// filtered rows in screen order). Nothing selected (or the selection not
/// visible): ↓ takes the first row, ↑ the last. The ends stop there.
pub fn step<'a>(ids: &'a [String], current: Option<&str>, down: bool) -> Option<&'a str> {
    let at = current.and_then(|c| ids.iter().position(|id| id == c));
    let next = match (at, down) {
        (None, true) => 0,
        (None, false) => ids.len().checked_sub(1)?,
        (Some(i), true) => (i + 1).min(ids.len() - 1),
        (Some(i), false) => i.saturating_sub(1),
    };
    ids.get(next).map(String::as_str)
}

/// One group of the shortcuts panel: its title and (keys, what they do).
pub type ShortcutGroup = (&'static str, &'static [(&'static str, &'static str)]);

/// Every shortcut, as the panel lists it.
pub const SHORTCUTS: &[ShortcutGroup] = &[
    (
        "Anywhere",
        &[
            (
                "Ctrl K  ·  ⌘ K",
                "Command palette: functions, contexts, types, mutations, commands",
            ),
            ("/", "Search the lists"),
            ("?", "This panel"),
            ("Esc", "Close the palette or this panel"),
        ],
    ),
    (
        "Lists and search box",
        &[
            ("↑  ↓", "Select the previous / next visible item"),
            ("Enter", "Focus the selection in the graph"),
            ("Esc", "Clear the search (in the search box)"),
        ],
    ),
    (
        "Palette",
        &[
            ("↑  ↓", "Move"),
            (
                "Enter",
                "Select the item (everywhere, shown in the graph) or run the command",
            ),
            ("Esc", "Close; the focus goes back where it was"),
        ],
    ),
    (
        "Graph",
        &[
            ("+  −  ·  wheel", "Zoom"),
            ("0  ·  f", "Fit"),
            ("← → ↑ ↓  ·  drag", "Pan"),
            ("double-click", "Focus a node: its ancestors and descendants only"),
            ("Esc", "End the trace, then the focus, then the selection"),
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn key(key: &str) -> Press<'_> {
        Press {
            key,
            ..Press::default()
        }
    }

    #[test]
    fn ctrl_or_cmd_k_opens_the_palette_even_while_typing() {
        let ctrl = Press {
            key: "k",
            ctrl: true,
            ..Press::default()
        };
        let cmd = Press {
            key: "K",
            meta: true,
            ..Press::default()
        };
        assert_eq!(decide(&ctrl, true, false), Some(Shortcut::Palette));
        assert_eq!(decide(&cmd, false, false), Some(Shortcut::Palette));
        assert_eq!(decide(&key("k"), false, false), None);
    }

    #[test]
    fn plain_keys_never_fire_while_typing() {
        assert_eq!(decide(&key("/"), false, false), Some(Shortcut::Search));
        assert_eq!(decide(&key("?"), false, false), Some(Shortcut::Shortcuts));
        assert_eq!(decide(&key("/"), true, false), None);
        assert_eq!(decide(&key("?"), true, false), None);
        let ctrl_slash = Press {
            key: "/",
            ctrl: true,
            ..Press::default()
        };
        assert_eq!(decide(&ctrl_slash, false, false), None);
    }

    #[test]
    fn escape_closes_an_overlay_even_from_a_field() {
        assert_eq!(decide(&key("Escape"), true, true), Some(Shortcut::CloseOverlay));
        assert_eq!(decide(&key("Escape"), false, false), None);
    }

    #[test]
    fn typing_targets() {
        assert!(is_typing_target("INPUT", false));
        assert!(is_typing_target("TEXTAREA", false));
        assert!(is_typing_target("DIV", true));
        assert!(!is_typing_target("BUTTON", false));
    }

    #[test]
    fn arrows_step_through_the_visible_rows() {
        let ids: Vec<String> = ["ctx:a", "ctx:b", "fn:c"].map(String::from).to_vec();
        assert_eq!(step(&ids, None, true), Some("ctx:a"));
        assert_eq!(step(&ids, None, false), Some("fn:c"));
        assert_eq!(step(&ids, Some("ctx:a"), true), Some("ctx:b"));
        assert_eq!(step(&ids, Some("fn:c"), true), Some("fn:c"));
        assert_eq!(step(&ids, Some("ctx:a"), false), Some("ctx:a"));
        // A selection filtered out of view restarts at an end.
        assert_eq!(step(&ids, Some("fn:hidden"), true), Some("ctx:a"));
        assert_eq!(step(&[], None, true), None);
        assert_eq!(list_key(&key("ArrowDown")), Some(ListKey::Down));
        assert_eq!(
            list_key(&Press {
                key: "Enter",
                ctrl: true,
                ..Press::default()
            }),
            None
        );
    }

    #[test]
    fn the_panel_lists_every_global_shortcut() {
        let keys: Vec<&str> = SHORTCUTS
            .iter()
            .flat_map(|(_, rows)| rows.iter().map(|r| r.0))
            .collect();
        for k in ["Ctrl K  ·  ⌘ K", "/", "?", "Esc", "↑  ↓", "Enter"] {
            assert!(keys.contains(&k), "{k} missing");
        }
    }
}
