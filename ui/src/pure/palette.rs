//! What the command palette lists and in which order: every function,
//! mutation, context and type of the project plus the studio's commands,
//! matched with the search's fuzzy score (`fuzzy.rs`). Pure, so the
//! ranking is tested on the host; the dialog (`components/palette.rs`)
//! only draws the answer and runs the choice.

use crate::pure::fuzzy;

/// At most this many rows are drawn (the best ones).
pub const MAX_ROWS: usize = 60;

/// What a row stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A studio command.
    Command,
    /// A context.
    Context,
    /// A mutation.
    Mutation,
    /// A function that is not a mutation.
    Function,
    /// A named type.
    Type,
    /// A project folder (open another project).
    Project,
    /// A live environment (switch to it).
    Environment,
}

impl Kind {
    /// The tag shown on the row (and its CSS class suffix).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Command => "command",
            Kind::Context => "context",
            Kind::Mutation => "mutation",
            Kind::Function => "function",
            Kind::Type => "type",
            Kind::Project => "project",
            Kind::Environment => "environment",
        }
    }
}

/// The studio's commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Write the generated clients.
    Regenerate,
    /// Turn watch on or off.
    ToggleWatch,
    /// Fit the graph into its pane.
    FitGraph,
    /// Full graph ↔ overview (large graphs) / default view.
    ToggleFull,
    /// A standalone SVG of the graph shown.
    ExportSvg,
    /// The core's Mermaid flowchart.
    ExportMermaid,
    /// The shortcuts panel.
    ShowShortcuts,
    /// Pick another project folder.
    OpenProject,
    /// Read the IR source again.
    Reload,
    /// Trace from the selection to another node.
    TraceFromSelection,
    /// End the trace shown.
    EndTrace,
    /// Switch between the graph and the generated clients.
    ToggleClients,
    /// The cache inspector tab.
    ShowCache,
    /// The replay tab.
    ShowReplay,
    /// The token tool tab.
    ShowTokens,
    /// The live traffic tab.
    ShowTraffic,
}

impl Command {
    /// Every command, in the order an empty query lists them.
    pub const ALL: [Command; 16] = [
        Command::Regenerate,
        Command::ToggleClients,
        Command::ToggleWatch,
        Command::FitGraph,
        Command::ToggleFull,
        Command::TraceFromSelection,
        Command::EndTrace,
        Command::ExportSvg,
        Command::ExportMermaid,
        Command::ShowShortcuts,
        Command::OpenProject,
        Command::Reload,
        Command::ShowCache,
        Command::ShowReplay,
        Command::ShowTokens,
        Command::ShowTraffic,
    ];

    /// Its row id, `cmd:…`.
    pub fn id(self) -> &'static str {
        match self {
            Command::Regenerate => "cmd:regenerate",
            Command::ToggleWatch => "cmd:toggle-watch",
            Command::FitGraph => "cmd:fit",
            Command::ToggleFull => "cmd:toggle-full",
            Command::ExportSvg => "cmd:export-svg",
            Command::ExportMermaid => "cmd:export-mermaid",
            Command::ShowShortcuts => "cmd:shortcuts",
            Command::OpenProject => "cmd:open-project",
            Command::Reload => "cmd:reload",
            Command::TraceFromSelection => "cmd:trace",
            Command::EndTrace => "cmd:end-trace",
            Command::ToggleClients => "cmd:toggle-clients",
            Command::ShowCache => "cmd:cache",
            Command::ShowReplay => "cmd:replay",
            Command::ShowTokens => "cmd:tokens",
            Command::ShowTraffic => "cmd:traffic",
        }
    }

    /// The command for a row id.
    pub fn from_id(id: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.id() == id)
    }

    /// What the row says.
    pub fn label(self) -> &'static str {
        match self {
            Command::Regenerate => "Regenerate",
            Command::ToggleWatch => "Toggle watch",
            Command::FitGraph => "Fit graph",
            Command::ToggleFull => "Full graph / overview",
            Command::ExportSvg => "Export SVG",
            Command::ExportMermaid => "Export Mermaid",
            Command::ShowShortcuts => "Show shortcuts",
            Command::OpenProject => "Open another project…",
            Command::Reload => "Reload the IR",
            Command::TraceFromSelection => "Trace from the selection to…",
            Command::EndTrace => "End trace",
            Command::ToggleClients => "Graph / generated clients",
            Command::ShowCache => "Cache inspector",
            Command::ShowReplay => "Replay a call",
            Command::ShowTokens => "Tokens",
            Command::ShowTraffic => "Traffic",
        }
    }

    /// A line of detail (what it does, its key).
    pub fn detail(self) -> &'static str {
        match self {
            Command::Regenerate => "write the generated clients (mizan generate)",
            Command::ToggleWatch => "reload and regenerate when the IR source changes",
            Command::FitGraph => "0 in the graph",
            Command::ToggleFull => "every node, or the default view",
            Command::ExportSvg => "a standalone drawing of the graph shown",
            Command::ExportMermaid => "the flowchart of mizan ir graph --format mermaid",
            Command::ShowShortcuts => "?",
            Command::OpenProject => "a recent project or a folder path",
            Command::Reload => "read the IR source again",
            Command::TraceFromSelection => "the path to another node, with the reason for each edge",
            Command::EndTrace => "remove the trace's highlight",
            Command::ToggleClients => "the Clients tab: files, states and diffs",
            Command::ShowCache => "a key in the live Redis, and why a lookup missed",
            Command::ShowReplay => "send a call to the live backend, compare with the IR",
            Command::ShowTokens => "mint, decode and verify MWTs",
            Command::ShowTraffic => "a running app's calls and fetches, and why each refetch happened",
        }
    }
}

/// One row of the palette.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// `fn:NAME`, `ctx:NAME`, `type:NAME`, `cmd:…` or `project:PATH`.
    pub id: String,
    /// What is matched and shown.
    pub label: String,
    /// What it is.
    pub kind: Kind,
    /// A line of detail (muted).
    pub detail: String,
}

impl Entry {
    /// A command's row.
    pub fn command(c: Command) -> Self {
        Entry {
            id: c.id().to_owned(),
            label: c.label().to_owned(),
            kind: Kind::Command,
            detail: c.detail().to_owned(),
        }
    }
}

/// `entries` in the order the palette lists them for `query`, at most
/// [`MAX_ROWS`]:
///
/// * empty query: the recent items (most recent first), then the rest in
///   kind order (commands, contexts, mutations, functions, types) keeping
///   the given order inside a kind;
/// * otherwise the entries whose label matches, best score first; a
///   recent item wins a tie (and gets a small boost), then kind order.
pub fn rank(query: &str, entries: Vec<Entry>, recent: &[String]) -> Vec<Entry> {
    let recency = |id: &str| recent.iter().position(|r| r == id);
    let mut scored: Vec<(i32, usize, Kind, usize, Entry)> = entries
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let score = fuzzy::score(query, &e.label)?;
            let rec = recency(&e.id);
            let boost = if rec.is_some() && !query.trim().is_empty() {
                2
            } else {
                0
            };
            Some((score + boost, rec.unwrap_or(usize::MAX), e.kind, i, e))
        })
        .collect();
    if query.trim().is_empty() {
        scored.sort_by_key(|s| (s.1, s.2, s.3));
    } else {
        scored.sort_by(|a, b| b.0.cmp(&a.0).then((a.1, a.2, a.3).cmp(&(b.1, b.2, b.3))));
    }
    scored.into_iter().take(MAX_ROWS).map(|s| s.4).collect()
}

/// The index after moving `delta` rows from `current` in a list of `len`,
/// wrapping around (the palette's ↑/↓).
pub fn wrap_step(current: usize, delta: i32, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (current as i64 + delta as i64).rem_euclid(len as i64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, kind: Kind) -> Entry {
        Entry {
            id: id.to_owned(),
            label: id.split_once(':').map_or(id, |(_, n)| n).to_owned(),
            kind,
            detail: String::new(),
        }
    }

    fn afi() -> Vec<Entry> {
        let mut v = vec![
            entry("ctx:user", Kind::Context),
            entry("ctx:items", Kind::Context),
            entry("fn:rename", Kind::Mutation),
            entry("fn:place_order", Kind::Mutation),
            entry("fn:user_profile", Kind::Function),
            entry("fn:user_orders", Kind::Function),
            entry("type:Profile", Kind::Type),
        ];
        v.extend(Command::ALL.map(Entry::command));
        v
    }

    fn ids(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn a_fragment_finds_rename_first() {
        let found = rank("rena", afi(), &[]);
        assert_eq!(found[0].id, "fn:rename");
        // "Regenerate" holds r, e, n, a in order too, but rename's
        // prefix run scores higher.
        assert!(ids(&found).contains(&"cmd:regenerate"));
        assert!(found.iter().all(|e| fuzzy::score("rena", &e.label).is_some()));
    }

    #[test]
    fn empty_query_lists_recent_first_then_commands() {
        let recent = vec!["fn:user_orders".to_owned(), "ctx:items".to_owned()];
        let found = rank("", afi(), &recent);
        assert_eq!(ids(&found[..3]), ["fn:user_orders", "ctx:items", "cmd:regenerate"]);
        // Then commands in their order, then contexts, mutations, functions, types.
        let kinds: Vec<Kind> = found[2..].iter().map(|e| e.kind).collect();
        let mut sorted = kinds.clone();
        sorted.sort();
        assert_eq!(kinds, sorted);
        assert_eq!(found.last().unwrap().id, "type:Profile");
    }

    #[test]
    fn recent_wins_a_tie() {
        let entries = vec![entry("fn:user_a", Kind::Function), entry("fn:user_b", Kind::Function)];
        let found = rank("user", entries.clone(), &["fn:user_b".to_owned()]);
        assert_eq!(ids(&found), ["fn:user_b", "fn:user_a"]);
        assert_eq!(ids(&rank("user", entries, &[])), ["fn:user_a", "fn:user_b"]);
    }

    #[test]
    fn commands_match_by_label() {
        let found = rank("mermaid", afi(), &[]);
        assert_eq!(found[0].id, "cmd:export-mermaid");
        assert_eq!(Command::from_id("cmd:export-mermaid"), Some(Command::ExportMermaid));
        assert_eq!(Command::from_id("fn:rename"), None);
        let ids: std::collections::HashSet<_> = Command::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(ids.len(), Command::ALL.len(), "command ids are unique");
    }

    #[test]
    fn no_match_is_empty_and_rows_are_capped() {
        assert!(rank("zzz", afi(), &[]).is_empty());
        let many: Vec<Entry> = (0..500).map(|i| entry(&format!("fn:f{i}"), Kind::Function)).collect();
        assert_eq!(rank("f", many, &[]).len(), MAX_ROWS);
    }

    #[test]
    fn arrows_wrap() {
        assert_eq!(wrap_step(0, -1, 5), 4);
        assert_eq!(wrap_step(4, 1, 5), 0);
        assert_eq!(wrap_step(2, 1, 5), 3);
        assert_eq!(wrap_step(0, 1, 0), 0);
    }
}
