//! Syntax highlighting in the backend (never in the wasm UI): `syntect` on
//! its pure-Rust regex engine with bat's grammars from `two-face`
//! (TypeScript/TSX, Vue, Svelte, Python, Rust, TOML, KDL, JSON, ...).
//!
//! Output is *classed* HTML (`<span class="hl-source hl-ts">`: every
//! class has the `hl-` prefix, so a theme's `.string` or `.code` rules can
//! never style the app's own elements), one
//! self-contained line per input line — every line re-opens the spans still
//! open from the previous one — so the UI can show any line alone (a diff)
//! and theme it with CSS for light and dark ([`Highlighter::theme_css`]).

use std::fmt::Write as _;
use syntect::html::{ClassStyle, css_for_theme_with_class_style, line_tokens_to_classed_spans};
use syntect::parsing::{ParseState, ScopeStack, SyntaxDefinition, SyntaxReference, SyntaxSet};

/// A KDL v2 grammar (Sublime syntax): comments (including `/-` slashdash),
/// quoted, raw and multi-line strings, `#true`/`#false`/`#null`/`#inf`/
/// `#nan`, numbers, node names, `key=` properties and type annotations.
const KDL_SYNTAX: &str = include_str!("kdl.sublime-syntax");

/// Lines longer than this are shown plain (minified output would stall
/// the regex engine).
const MAX_LINE: usize = 4000;

/// Prefix of every highlighting class (the theme's base class is `hl-code`).
const CLASS_PREFIX: &str = "hl-";
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: CLASS_PREFIX };

/// The loaded grammars (loading takes a moment: build one per studio).
pub struct Highlighter {
    syntaxes: SyntaxSet,
}

impl std::fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Highlighter").finish_non_exhaustive()
    }
}

impl Default for Highlighter {
    fn default() -> Self {
        Self::new()
    }
}

impl Highlighter {
    /// Loads bat's grammars.
    pub fn new() -> Self {
        let mut builder = two_face::syntax::extra_newlines().into_builder();
        // bat has no KDL grammar: ours, for the IR itself.
        if let Ok(kdl) = SyntaxDefinition::load_from_str(KDL_SYNTAX, true, Some("kdl")) {
            builder.add(kdl);
        }
        Highlighter {
            syntaxes: builder.build(),
        }
    }

    /// The grammar for a file name (by extension, `.svelte.ts` as
    /// TypeScript), plain text otherwise.
    pub fn syntax_for(&self, path: &str) -> &SyntaxReference {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        let ext = match ext {
            "mts" | "cts" => "ts",
            "mmd" => "txt",
            e => e,
        };
        self.syntaxes
            .find_syntax_by_extension(ext)
            .or_else(|| self.syntaxes.find_syntax_by_token(ext))
            .unwrap_or_else(|| self.syntaxes.find_syntax_plain_text())
    }

    /// The grammar's display name for a file name.
    pub fn language(&self, path: &str) -> String {
        self.syntax_for(path).name.clone()
    }

    /// `text` highlighted as `path`'s language: one HTML string per line.
    pub fn lines(&self, path: &str, text: &str) -> Vec<String> {
        let syntax = self.syntax_for(path);
        let mut state = ParseState::new(syntax);
        let mut stack = ScopeStack::new();
        let mut out = Vec::new();
        for line in split_keep_newlines(text) {
            let shown = line.strip_suffix('\n').unwrap_or(line);
            if line.len() > MAX_LINE {
                out.push(escape(shown));
                continue;
            }
            let mut html = String::new();
            // Re-open what is still open from the previous lines.
            for scope in stack.as_slice() {
                let classes: Vec<String> = scope
                    .build_string()
                    .split('.')
                    .map(|atom| format!("{CLASS_PREFIX}{atom}"))
                    .collect();
                let _ = write!(html, "<span class=\"{}\">", classes.join(" "));
            }
            let open_before = stack.len() as isize;
            let ops = state.parse_line(line, &self.syntaxes).unwrap_or_default();
            match line_tokens_to_classed_spans(shown, &clip_ops(ops, shown.len()), CLASS_STYLE, &mut stack) {
                Ok((spans, delta)) => {
                    html.push_str(&spans);
                    for _ in 0..(open_before + delta).max(0) {
                        html.push_str("</span>");
                    }
                    out.push(html);
                }
                Err(_) => out.push(escape(shown)),
            }
        }
        out
    }

    /// `text` highlighted, lines joined with `\n`.
    pub fn html(&self, path: &str, text: &str) -> String {
        self.lines(path, text).join("\n")
    }

    /// CSS for the classes, light and dark (from bat's GitHub and One Half
    /// Dark themes).
    pub fn theme_css() -> (String, String) {
        use two_face::theme::EmbeddedThemeName;
        let themes = two_face::theme::extra();
        let css = |name| css_for_theme_with_class_style(themes.get(name), CLASS_STYLE).unwrap_or_default();
        (css(EmbeddedThemeName::Github), css(EmbeddedThemeName::OneHalfDark))
    }
}

/// The ops of a line, without those past its shown part (the newline).
fn clip_ops(
    ops: Vec<(usize, syntect::parsing::ScopeStackOp)>,
    len: usize,
) -> Vec<(usize, syntect::parsing::ScopeStackOp)> {
    ops.into_iter().map(|(i, op)| (i.min(len), op)).collect()
}

fn split_keep_newlines(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n')
}

/// HTML-escapes text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_language_has_a_grammar_and_lines_are_self_contained() {
        let h = Highlighter::new();
        for (path, lang) in [
            ("client.ts", "TypeScript"),
            ("react.tsx", "TypeScriptReact"),
            ("svelte.svelte.ts", "TypeScript"),
            ("App.vue", "Vue Component"),
            ("App.svelte", "Svelte"),
            ("client.py", "Python"),
            ("mod.rs", "Rust"),
            ("mizan.toml", "TOML"),
            ("api.kdl", "KDL"),
        ] {
            assert!(h.language(path).starts_with(lang), "{path}: {}", h.language(path));
        }
        let lines = h.lines("x.ts", "/* a\n b */\nconst x = \"<y>\";\n");
        assert_eq!(lines.len(), 3);
        for l in &lines {
            assert_eq!(l.matches("<span").count(), l.matches("</span>").count(), "{l}");
        }
        assert!(lines[1].starts_with("<span"), "the comment goes on: {}", lines[1]);
        assert!(lines[2].contains("&lt;y&gt;"));
        // Every class, re-opened ones included, carries the prefix.
        for l in &lines {
            for class in l.split("class=\"").skip(1).filter_map(|c| c.split('"').next()) {
                assert!(class.split(' ').all(|c| c.starts_with(CLASS_PREFIX)), "{class} in {l}");
            }
        }
    }

    #[test]
    fn the_theme_only_styles_prefixed_classes() {
        let (light, dark) = Highlighter::theme_css();
        for css in [light, dark] {
            assert!(css.contains(".hl-code {"), "{css}");
            for rule in css.lines().filter(|l| l.trim_end().ends_with('{')) {
                for selector in rule.trim_end_matches('{').split(',') {
                    for class in selector.split('.').skip(1) {
                        assert!(class.starts_with(CLASS_PREFIX), "{class} in {rule}");
                    }
                }
            }
        }
    }
}
