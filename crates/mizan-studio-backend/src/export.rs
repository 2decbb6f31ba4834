//! The graph as a file to share (a pull request, a doc): Mermaid is the
//! core's own flowchart (`InvalidationGraph::to_mermaid`, exactly what
//! `mizan ir graph --format mermaid` prints), SVG a standalone drawing of a
//! laid-out view with its styles inlined (no CSS variables, no external
//! font or stylesheet), so it renders the same in a browser, an image
//! viewer or GitHub.
//!
//! Pure: snapshot or view in, text out; the UI never builds either itself.
//! The one exception is [`save`] (the desktop window's "Export", which
//! cannot download): it writes into the project folder, never over a file
//! it did not write itself and never through a link.

use crate::error::StudioError;
use crate::highlight::escape;
use crate::models::{EdgeKind, ExportFormat, GraphExport, GraphView, LayoutEdge, LayoutNode, NodeKind};
use crate::project::Snapshot;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Space around the drawing.
const MARGIN: f64 = 24.0;

/// The light palette of the studio (`ui/style.css`), as literal colours.
const STYLE: &str = r#"
.graph-bg { fill: #f5f6f8; }
.node .box { stroke-width: 1.5; }
.node.context .box { fill: #e3f3f0; stroke: #23857a; }
.node.function .box { fill: #f1f3f6; stroke: #5d667a; }
.node.mutation .box { fill: #fcefdd; stroke: #b86a12; }
.node-label { font-family: "JetBrains Mono", "DejaVu Sans Mono", ui-monospace, Menlo, monospace; font-size: 12.5px; fill: #1c2230; }
.node-badge circle { fill: #b07408; }
.node-badge.error circle { fill: #c9352f; }
.node-badge text { fill: #ffffff; font-size: 10px; font-weight: 700; font-family: system-ui, sans-serif; }
.edge path { fill: none; stroke-width: 1.4; }
.edge.member-of path { stroke: #b3b9c5; }
.edge.affects path { stroke: #d2403a; opacity: 0.75; }
.edge.merges path { stroke: #7453cf; stroke-dasharray: 5 3; opacity: 0.85; }
.arrow.member-of { fill: #b3b9c5; }
.arrow.affects { fill: #d2403a; }
.arrow.merges { fill: #7453cf; }
.edge-label { font-family: "JetBrains Mono", "DejaVu Sans Mono", ui-monospace, Menlo, monospace; font-size: 11px; fill: #687085; paint-order: stroke; stroke: #f5f6f8; stroke-width: 4px; stroke-linejoin: round; }
.edge.affects .edge-label { fill: #d2403a; }
.edge.merges .edge-label { fill: #7453cf; }
"#;

/// The export of `format`: Mermaid from the snapshot's whole graph, SVG of
/// `view` (the view the UI shows).
pub fn export(snapshot: &Snapshot, format: ExportFormat, view: &GraphView) -> GraphExport {
    match format {
        ExportFormat::Mermaid => GraphExport {
            format,
            file_name: "mizan-graph.mmd".to_owned(),
            media_type: "text/vnd.mermaid".to_owned(),
            text: snapshot.graph.to_mermaid(&snapshot.parsed.ir),
        },
        ExportFormat::Svg => GraphExport {
            format,
            file_name: "mizan-graph.svg".to_owned(),
            media_type: "image/svg+xml".to_owned(),
            text: svg(view),
        },
    }
}

/// The first line of a saved export says so (an XML comment, a `%%`
/// Mermaid comment): [`save`] replaces only files that start with it.
/// Downloads (web mode) carry no such line: the Mermaid one is exactly
/// `mizan ir graph --format mermaid`.
const SAVED_MARK: &str = "Saved by Mizan Studio's graph export: the next export replaces this file.";

/// How many names [`save`] tries (`mizan-graph.svg`, `mizan-graph-2.svg`, …).
const SAVE_NAMES: usize = 100;

/// Writes `file` into `folder` under its name, or, when that name holds
/// something an earlier export did not write (a user's file, a link, a
/// folder), under the first free numbered name (`mizan-graph-2.svg`, …)
/// or the first one an earlier export wrote. Atomic (temp file + rename
/// in `folder`; a new name is claimed without replacing anything that
/// appeared meanwhile). Returns the path and the bytes written.
pub fn save(folder: &Path, file: &GraphExport) -> Result<(PathBuf, usize), StudioError> {
    let text = match file.format {
        ExportFormat::Svg => format!("<!-- {SAVED_MARK} -->\n{}", file.text),
        ExportFormat::Mermaid => format!("%% {SAVED_MARK}\n{}", file.text),
    };
    let (stem, ext) = file.file_name.rsplit_once('.').unwrap_or((&file.file_name, ""));
    for n in 1..=SAVE_NAMES {
        let name = match n {
            1 => file.file_name.clone(),
            n => format!("{stem}-{n}.{ext}"),
        };
        let path = folder.join(&name);
        let replace = match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(StudioError::io(&path, e)),
            Ok(m) if m.is_file() && saved_by_us(&path) => true,
            Ok(_) => continue,
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".mizan-graph-")
            .suffix(".tmp")
            .tempfile_in(folder)
            .map_err(|e| StudioError::io(folder, e))?;
        tmp.write_all(text.as_bytes())
            .map_err(|e| StudioError::io(tmp.path(), e))?;
        let persisted = if replace {
            tmp.persist(&path)
        } else {
            tmp.persist_noclobber(&path)
        };
        match persisted {
            Ok(_) => return Ok((path, text.len())),
            // Someone took the name meanwhile: try the next.
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StudioError::io(&path, e.error)),
        }
    }
    Err(StudioError::Invalid(format!(
        "{} and {SAVE_NAMES} numbered names next to it are taken by files the export did not write; move some away",
        folder.join(&file.file_name).display()
    )))
}

/// Whether `path` (a file, read without following a link) starts with the
/// mark of a saved export.
fn saved_by_us(path: &Path) -> bool {
    mizan_codegen::writer::read_no_follow(path, Some(512))
        .map(|head| {
            String::from_utf8_lossy(&head)
                .lines()
                .next()
                .is_some_and(|l| l.contains(SAVED_MARK))
        })
        .unwrap_or(false)
}

/// A standalone SVG of `view`: the same boxes, edges and labels as the
/// studio draws, every style inlined in one `<style>` element.
pub fn svg(view: &GraphView) -> String {
    let (w, h) = (view.width.max(1.0) + 2.0 * MARGIN, view.height.max(1.0) + 2.0 * MARGIN);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="{:.1} {:.1} {w:.1} {h:.1}" role="img">"#,
        -MARGIN, -MARGIN
    );
    let _ = writeln!(
        out,
        "<title>Mizan invalidation graph ({} view, {} nodes, {} edges)</title>",
        view.mode.as_str(),
        view.nodes.len(),
        view.edges.len()
    );
    let _ = writeln!(out, "<style>{STYLE}</style>");
    out.push_str("<defs>\n");
    for k in ["member-of", "affects", "merges"] {
        let _ = writeln!(
            out,
            r#"<marker id="arrow-{k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrow {k}" d="M0 0 L10 5 L0 10 z"/></marker>"#
        );
    }
    out.push_str("</defs>\n");
    let _ = writeln!(
        out,
        r#"<rect class="graph-bg" x="{:.1}" y="{:.1}" width="{w:.1}" height="{h:.1}"/>"#,
        -MARGIN, -MARGIN
    );
    out.push_str("<g class=\"edges\">\n");
    for e in &view.edges {
        edge(&mut out, e);
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for n in &view.nodes {
        node(&mut out, n);
    }
    out.push_str("</g>\n</svg>\n");
    out
}

fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Context => "context",
        NodeKind::Function => "function",
        NodeKind::Mutation => "mutation",
    }
}

fn edge_kind_name(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::MemberOf => "member-of",
        EdgeKind::Affects => "affects",
        EdgeKind::Merges => "merges",
    }
}

fn edge(out: &mut String, e: &LayoutEdge) {
    let kind = edge_kind_name(e.kind);
    let mut d = String::new();
    for (i, p) in e.points.iter().enumerate() {
        let _ = write!(d, "{}{:.1} {:.1}", if i == 0 { "M" } else { " L" }, p.x, p.y);
    }
    let _ = write!(
        out,
        r#"<g class="edge {kind}" data-edge="{}->{}"><path d="{d}" marker-end="url(#arrow-{kind})"/>"#,
        escape(&e.from),
        escape(&e.to)
    );
    let label = match e.kind {
        EdgeKind::MemberOf => None,
        _ if e.scoped_by.is_empty() => Some("all".to_owned()),
        _ => Some(e.scoped_by.join(", ")),
    };
    if let Some(text) = label {
        let _ = write!(
            out,
            r#"<text class="edge-label" x="{:.1}" y="{:.1}" text-anchor="middle" dominant-baseline="central">{}</text>"#,
            e.label_at.x,
            e.label_at.y,
            escape(&text)
        );
    }
    out.push_str("</g>\n");
}

fn node(out: &mut String, n: &LayoutNode) {
    let kind = kind_name(n.kind);
    let radius = match n.kind {
        NodeKind::Context => n.height / 2.0,
        NodeKind::Function => 6.0,
        NodeKind::Mutation => 3.0,
    };
    let _ = write!(
        out,
        r#"<g class="node {kind}" data-node="{}" data-id="{}" transform="translate({:.1} {:.1})"><title>{kind} {}</title><rect class="box" width="{:.1}" height="{:.1}" rx="{radius:.1}" ry="{radius:.1}"/><text class="node-label" x="{:.1}" y="{:.1}" text-anchor="middle" dominant-baseline="central">{}</text>"#,
        escape(&n.name),
        escape(&n.id),
        n.x,
        n.y,
        escape(&n.name),
        n.width,
        n.height,
        n.width / 2.0,
        n.height / 2.0,
        escape(&n.name)
    );
    if let Some(first) = n.badges.first() {
        let codes: Vec<&str> = n.badges.iter().map(|b| b.code.as_str()).collect();
        let _ = write!(
            out,
            r#"<g class="node-badge {}" transform="translate({:.1} 0)"><title>{}</title><circle r="7"/><text text-anchor="middle" dominant-baseline="central">!</text></g>"#,
            first.severity.as_str(),
            n.width - 2.0,
            escape(&codes.join(", "))
        );
    }
    out.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped() {
        // Attribute values are double-quoted: `'` may stay.
        assert_eq!(escape(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c'");
    }
}
