//! The UI's layers, checked on the host: every `crate::…` path in every
//! file under `src/` (imports, paths in expressions and inside `view!`)
//! points at the file's own layer or a lower one, never a higher one.
//!
//! Lowest first: `api` (the generated client and `backend.rs`, the one
//! place that connects it) → `pure` (plain functions and data, no Leptos:
//! ids, names, fuzzy match, keys, the palette's ranking, viewport
//! arithmetic) → `context` (what the app and the workspace provide and
//! every piece reads: the mounted views, UI state, the command runner,
//! opening the palette) → `components` → `pages` → `app`. So a component
//! never reaches into a page or the shell for its context, and nothing
//! below `components` knows a component: the import graph has no cycle
//! across layers. (The way `leptos_router` keeps its context types and
//! `use_*` hooks apart from the components that provide them.)
//!
//! Also checked: every file belongs to a layer (a new top-level module
//! must be placed here), `pure` never names `leptos`, and `super::` never
//! leaves a layer: in a top-level file or a `mod.rs` it is only the inline
//! tests' `use super::*` (other paths are spelled `crate::…`, which this
//! test sees).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// The layers, lowest first, each with the top-level modules it holds.
const LAYERS: &[(&str, &[&str])] = &[
    ("api", &["api", "backend"]),
    ("pure", &["pure"]),
    ("context", &["context", "timing"]),
    ("components", &["components"]),
    ("pages", &["pages"]),
    ("app", &["app", "main"]),
];

/// Index into [`LAYERS`] of the top-level module `module`.
fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, modules)| modules.contains(&module))
}

/// One `crate::` path found in a file.
#[derive(Debug)]
struct CratePath {
    /// The top-level module it names (`app` in `crate::app::use_app`).
    module: String,
    /// 1-based line of the `crate` token.
    line: usize,
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The top-level module a file under `src/` belongs to: `components` for
/// `src/components/graph.rs`, `app` for `src/app.rs`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("file under src");
    let first = rel.components().next().expect("non-empty path");
    let first = first.as_os_str().to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_owned()
}

/// The tokens as a flat list (groups opened), so a path is a run of
/// neighbours; braces of `use` groups stay as groups.
fn walk(stream: TokenStream, found: &mut Vec<CratePath>, supers: &mut Vec<usize>, idents: &mut Vec<String>) {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(g) => walk(g.stream(), found, supers, idents),
            TokenTree::Ident(ident) => {
                let name = ident.to_string();
                if (name == "crate" || name == "super") && is_path_sep(&tokens, i + 1) {
                    let line = ident.span().start().line;
                    if name == "super" {
                        // Only `super::*` (an inline test module's import).
                        let glob = matches!(tokens.get(i + 3), Some(TokenTree::Punct(p)) if p.as_char() == '*');
                        if !glob {
                            supers.push(line);
                        }
                    } else {
                        for module in first_segments(tokens.get(i + 3)) {
                            found.push(CratePath { module, line });
                        }
                    }
                }
                idents.push(name);
            }
            _ => {}
        }
    }
}

/// `::` at `tokens[i..i + 2]`.
fn is_path_sep(tokens: &[TokenTree], i: usize) -> bool {
    matches!(
        (tokens.get(i), tokens.get(i + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) if a.as_char() == ':' && b.as_char() == ':'
    )
}

/// The first segment of what follows `crate::`: one ident, or for a
/// `use crate::{a::x, b}` group the first segment of each of its items.
fn first_segments(next: Option<&TokenTree>) -> Vec<String> {
    match next {
        Some(TokenTree::Ident(i)) => vec![i.to_string()],
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
            let mut out = Vec::new();
            let mut at_item_start = true;
            for t in g.stream() {
                match &t {
                    TokenTree::Ident(i) if at_item_start => {
                        out.push(i.to_string());
                        at_item_start = false;
                    }
                    TokenTree::Punct(p) if p.as_char() == ',' => at_item_start = true,
                    _ => at_item_start = false,
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// What is wrong with the layers of the files under `src`, one line each.
fn violations(src: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).expect("under src").display().to_string();
        let module = module_of(src, &file);
        let Some(own) = layer_of(&module) else {
            problems.push(format!(
                "src/{rel}: module `{module}` is in no layer (add it to LAYERS)"
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        let stream = TokenStream::from_str(&text).unwrap_or_else(|e| panic!("tokenize {rel}: {e}"));
        let (mut found, mut supers, mut idents) = (Vec::new(), Vec::new(), Vec::new());
        walk(stream, &mut found, &mut supers, &mut idents);
        for path in found {
            match layer_of(&path.module) {
                None => problems.push(format!(
                    "src/{rel}:{}: `crate::{}` is in no layer (add it to LAYERS)",
                    path.line, path.module
                )),
                Some(target) if target > own => problems.push(format!(
                    "src/{rel}:{}: {} imports `crate::{}` from {} above it",
                    path.line, LAYERS[own].0, path.module, LAYERS[target].0
                )),
                Some(_) => {}
            }
        }
        // In `src/LAYER/file.rs`, `super` is the layer's own folder; in a
        // top-level file or a `mod.rs` it would be the crate root.
        let nested = rel.contains('/') && !rel.ends_with("/mod.rs");
        if !nested {
            for line in supers {
                problems.push(format!("src/{rel}:{line}: `super::` path; spell it `crate::…`"));
            }
        }
        if LAYERS[own].0 == "pure" && idents.iter().any(|i| i == "leptos") {
            problems.push(format!("src/{rel}: the pure layer names `leptos`"));
        }
    }
    problems
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = violations(&src);
    assert!(
        problems.is_empty(),
        "ui/src breaks its layers ({}):\n{}",
        LAYERS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(" → "),
        problems.join("\n")
    );
}

/// The checker itself, on a tree made up for it: an upward import, a
/// grouped one, a path inside a macro and an unplaced module are found;
/// a downward one is not.
#[test]
fn the_checker_finds_upward_imports() {
    let dir = std::env::temp_dir().join(format!("mizan-ui-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "components/a.rs",
        "use crate::{api::X, pages::workspace::use_workspace};\nuse crate::pure::f;",
    );
    write("context/b.rs", "fn f() { view! { <crate::components::a::A/> } }");
    write("pure/c.rs", "use leptos::prelude::*;\nuse crate::api::Y;");
    write(
        "pages/mod.rs",
        "use super::e::G;\n#[cfg(test)] mod tests { use super::*; }",
    );
    write("pages/d.rs", "use super::e::G;");
    write("stray.rs", "");
    let problems = violations(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let expected = [
        "src/components/a.rs:1: components imports `crate::pages` from pages above it",
        "src/context/b.rs:1: context imports `crate::components` from components above it",
        "src/pages/mod.rs:1: `super::` path; spell it `crate::…`",
        "src/pure/c.rs: the pure layer names `leptos`",
        "src/stray.rs: module `stray` is in no layer (add it to LAYERS)",
    ];
    assert_eq!(problems, expected, "found:\n{}", problems.join("\n"));
}
