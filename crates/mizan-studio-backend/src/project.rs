//! Finding a project, and turning IR text into what every view reads: a
//! [`Snapshot`] (the parsed IR with its source map, diagnostics, graph,
//! cache policies and invalidation plans, all computed once per load).
//!
//! A load that fails (parse or check errors) produces diagnostics but no
//! snapshot: the studio keeps showing the last good one.

use crate::models::{DiagnosticView, Severity, SourceKind, SourceLocation};
use mizan_codegen::{Config, GeneratedFile, Options, Target};
use mizan_core::cache::policy::{CacheOptions, CachePolicies};
use mizan_core::check::{Diagnostic, check_parsed};
use mizan_core::graph::InvalidationGraph;
use mizan_core::invalidation::InvalidationIndex;
use mizan_core::ir::{ParsedIr, parse_with_locations};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The config file name.
pub const CONFIG_FILE: &str = "mizan.toml";

/// Folders never searched for projects.
const SKIPPED: [&str; 5] = ["node_modules", ".git", "target", "__pycache__", ".venv"];

/// How deep below the given folder projects are looked for.
const SEARCH_DEPTH: usize = 4;

/// The folders holding a `mizan.toml`: `path` itself if it has one (or is
/// one), else every folder below it (up to a few levels, sorted).
pub fn find_projects(path: &Path) -> Vec<PathBuf> {
    if path.is_file() && path.file_name().is_some_and(|n| n == CONFIG_FILE) {
        return path.parent().map(Path::to_path_buf).into_iter().collect();
    }
    if path.join(CONFIG_FILE).is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut stack = vec![(path.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let p = entry.path();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let skipped = entry.file_name().to_str().is_some_and(|n| SKIPPED.contains(&n));
            if is_dir && !skipped {
                if p.join(CONFIG_FILE).is_file() {
                    out.push(p.clone());
                }
                if depth + 1 < SEARCH_DEPTH {
                    stack.push((p, depth + 1));
                }
            }
        }
    }
    out.sort();
    out
}

/// A loaded, checked IR: everything the views read, computed once.
pub struct Snapshot {
    /// The IR text.
    pub text: String,
    /// The IR with its source map.
    pub parsed: ParsedIr,
    /// Check diagnostics (warnings only: a snapshot has no errors).
    pub diagnostics: Vec<Diagnostic>,
    /// The invalidation graph.
    pub graph: InvalidationGraph,
    /// Per-context cache policies (effective rev and policy).
    pub policies: CachePolicies,
    /// Per-mutation invalidation plans.
    pub index: InvalidationIndex,
    /// Load number (the project's `revision`).
    pub revision: u64,
    rendered: OnceLock<Result<Vec<TargetFiles>, String>>,
}

/// One target's rendered files.
type TargetFiles = (Target, Vec<GeneratedFile>);

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("revision", &self.revision)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// The rendered files of every configured target (computed once per
    /// snapshot; the preview and regenerate share it).
    pub fn rendered(&self, config: &Config) -> Result<&[(Target, Vec<GeneratedFile>)], String> {
        self.rendered
            .get_or_init(|| {
                let options = Options::from_config(config);
                config
                    .targets
                    .iter()
                    .map(|t| t.render(&self.parsed.ir, &options).map(|files| (*t, files)))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map(Vec::as_slice)
            .map_err(Clone::clone)
    }
}

/// The outcome of loading IR text.
pub enum Loaded {
    /// No errors: a new snapshot.
    Good(Box<Snapshot>),
    /// Parse or check errors: their diagnostics.
    Broken(Vec<DiagnosticView>),
}

/// Parses and checks `text`; cache decisions follow the project's
/// `cache` options (`[cache]` of `mizan.toml`: what its server uses).
pub fn load_text(text: String, revision: u64, cache: &CacheOptions) -> Loaded {
    let parsed = match parse_with_locations(&text) {
        Ok(p) => p,
        Err(e) => {
            return Loaded::Broken(vec![DiagnosticView {
                code: e.code.to_owned(),
                severity: Severity::Error,
                message: match &e.help {
                    Some(help) => format!("{} ({help})", e.message),
                    None => e.message.clone(),
                },
                names: Vec::new(),
                node: None,
                location: Some(SourceLocation {
                    line: e.line as i64,
                    column: e.column as i64,
                }),
            }]);
        }
    };
    let diagnostics = check_parsed(&parsed, &text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        let graph = InvalidationGraph::build(&parsed.ir);
        return Loaded::Broken(diagnostics.iter().map(|d| diagnostic_view(&graph, d)).collect());
    }
    let graph = InvalidationGraph::build(&parsed.ir);
    let policies = CachePolicies::new(&parsed.ir, cache);
    let index = InvalidationIndex::new(&parsed.ir);
    Loaded::Good(Box::new(Snapshot {
        text,
        parsed,
        diagnostics,
        graph,
        policies,
        index,
        revision,
        rendered: OnceLock::new(),
    }))
}

/// A core diagnostic as the UI shows it, with the node it belongs on.
pub fn diagnostic_view(graph: &InvalidationGraph, d: &Diagnostic) -> DiagnosticView {
    DiagnosticView {
        code: d.code.to_owned(),
        severity: d.severity.into(),
        message: d.message.clone(),
        names: d.names.clone(),
        node: diagnostic_node(graph, d),
        location: d.location.map(SourceLocation::from),
    }
}

/// The graph node a diagnostic is about: its first name, as a function if
/// there is one by that name, else as a context.
pub fn diagnostic_node(graph: &InvalidationGraph, d: &Diagnostic) -> Option<String> {
    let name = d.names.first()?;
    let context_first = matches!(
        d.code,
        "empty-context"
            | "context-mismatch"
            | "mixed-transport"
            | "param-conflict"
            | "global-required-params"
            | "never-invalidated"
    );
    let as_fn = graph.function(name).map(|_| format!("fn:{name}"));
    let as_ctx = graph.context(name).map(|_| format!("ctx:{name}"));
    if context_first {
        as_ctx.or(as_fn)
    } else {
        as_fn.or(as_ctx)
    }
}

/// A source description's kind.
pub fn source_kind(source: &mizan_codegen::Source) -> SourceKind {
    match source {
        mizan_codegen::Source::Kdl(_) => SourceKind::Kdl,
        mizan_codegen::Source::Command { .. } => SourceKind::Command,
        mizan_codegen::Source::Cargo { .. } => SourceKind::Cargo,
        mizan_codegen::Source::Django { .. } => SourceKind::Django,
        mizan_codegen::Source::Fastapi { .. } => SourceKind::Fastapi,
    }
}
