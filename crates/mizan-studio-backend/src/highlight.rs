//! Syntax highlighting in the backend (never in the wasm UI): `syntect` on
//! the Oniguruma regex engine (bat's choice; the pure-Rust `fancy-regex`
//! took 0.85 s for a 756-line TypeScript file in a release build, 15 s in
//! a busy debug build) with bat's grammars from `two-face` (TypeScript/TSX,
//! Vue, Svelte, Python, Rust, TOML, KDL, JSON, ...).
//!
//! Output is flat HTML, one self-contained line per input line: each run
//! of text is one `<span>` whose classes name the theme rules that colour
//! it — `hl-lN` / `hl-dN` for rule N of the light / dark theme, `hl-lb`,
//! `hl-li`, `hl-lu` (and `hl-d…`) for bold, italic, underline — resolved
//! here by syntect against both themes at once. Every class has the `hl-`
//! prefix, so no rule can style the app's own elements, and the CSS
//! ([`Highlighter::theme_css`]) is one rule per theme rule. Classing by
//! grammar scope instead (syntect's classed HTML) nests a span per scope
//! and re-opens the whole stack on every line: 42 MB of HTML for a
//! 28,000-line Python client, where this is a few.
//!
//! Each text is highlighted once: the lines are kept in a cache bounded by
//! size ([`CACHE_BYTES`]), keyed by grammar and the exact text, so coming
//! back to a file, its diff against disk, or the IR after an unrelated
//! change costs a lookup.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};
use syntect::highlighting::{Color, FontStyle, Highlighter as ThemeHighlighter, Style, Theme};
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxDefinition, SyntaxReference, SyntaxSet};

/// A KDL v2 grammar (Sublime syntax): comments (including `/-` slashdash),
/// quoted, raw and multi-line strings, `#true`/`#false`/`#null`/`#inf`/
/// `#nan`, numbers, node names, `key=` properties and type annotations.
const KDL_SYNTAX: &str = include_str!("kdl.sublime-syntax");

/// Lines longer than this are shown plain (minified output would stall
/// the regex engine).
const MAX_LINE: usize = 4000;

/// What the cache of highlighted texts may hold (texts and their HTML).
pub const CACHE_BYTES: u64 = 24 * 1024 * 1024;

/// The cache's key: a grammar's name and the exact text.
type TextKey = (String, Arc<str>);

/// A theme whose rules' colours are replaced by their index (see
/// [`encode_rules`]), so that syntect's own resolution tells which rule
/// coloured a token; and the CSS of the real colours.
struct RuleTheme {
    theme: Theme,
    css: String,
}

/// The loaded grammars and themes (loading takes a moment: build one per
/// studio) and the texts highlighted so far.
pub struct Highlighter {
    /// bat's grammars, as `two-face` ships them (already linked), read on
    /// first use: 7.5 MB a studio that never shows a client file (only
    /// the IR, which is KDL) does not hold.
    syntaxes: OnceLock<SyntaxSet>,
    /// Ours, for the IR: a set of its own, because adding it to bat's would
    /// link all of them again (a third of a second at every start).
    kdl: SyntaxSet,
    light: RuleTheme,
    dark: RuleTheme,
    cache: moka::sync::Cache<TextKey, Arc<[String]>>,
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
    /// Loads our KDL grammar and the two themes (bat's grammars load when
    /// a file of another language is first highlighted).
    pub fn new() -> Self {
        let mut kdl = syntect::parsing::SyntaxSetBuilder::new();
        if let Ok(grammar) = SyntaxDefinition::load_from_str(KDL_SYNTAX, true, Some("kdl")) {
            kdl.add(grammar);
        }
        let (light, dark) = themes();
        Highlighter {
            syntaxes: OnceLock::new(),
            kdl: kdl.build(),
            light,
            dark,
            cache: moka::sync::Cache::builder()
                .max_capacity(CACHE_BYTES)
                .weigher(|(_, text): &TextKey, lines: &Arc<[String]>| {
                    let bytes = text.len() + lines.iter().map(String::len).sum::<usize>();
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .build(),
        }
    }

    /// The grammar for a file name (by extension, `.svelte.ts` as
    /// TypeScript), plain text otherwise.
    pub fn syntax_for(&self, path: &str) -> &SyntaxReference {
        self.grammar(path).0
    }

    /// The grammar for a file name and the set it belongs to.
    fn grammar(&self, path: &str) -> (&SyntaxReference, &SyntaxSet) {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        let ext = match ext {
            "mts" | "cts" => "ts",
            "mmd" => "txt",
            e => e,
        };
        if let Some(kdl) = self.kdl.find_syntax_by_extension(ext) {
            return (kdl, &self.kdl);
        }
        let bat = self.syntaxes.get_or_init(two_face::syntax::extra_newlines);
        let syntax = bat
            .find_syntax_by_extension(ext)
            .or_else(|| bat.find_syntax_by_token(ext))
            .unwrap_or_else(|| bat.find_syntax_plain_text());
        (syntax, bat)
    }

    /// The grammar's display name for a file name.
    pub fn language(&self, path: &str) -> String {
        self.syntax_for(path).name.clone()
    }

    /// `text` highlighted as `path`'s language: one HTML string per line
    /// (from the cache when this text was highlighted before; a caller
    /// asking for a text another is highlighting waits for that one).
    pub fn lines(&self, path: &str, text: &str) -> Arc<[String]> {
        let (syntax, set) = self.grammar(path);
        self.cache.get_with((syntax.name.clone(), Arc::from(text)), || {
            self.highlight(syntax, set, text).into()
        })
    }

    /// Loads what the first highlighting of the IR (KDL) would: grammars
    /// are read and their patterns compiled on first use. The targets'
    /// grammars load when their files are first shown and warmed
    /// ([`crate::preview::warm`]): only the languages a project generates,
    /// and only once the Clients tab is used (bat's set holds 7.5 MB,
    /// TypeScript's grammar 5 MB more, all eight a studio can show 9).
    pub fn warm_up(&self) {
        let (syntax, set) = self.grammar("a.kdl");
        self.highlight(syntax, set, "x = \"y\" // z\n");
    }

    /// Whether bat's grammars were read.
    pub fn loaded_bat(&self) -> bool {
        self.syntaxes.get().is_some()
    }

    /// How many texts are highlighted and kept.
    pub fn cached_texts(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.entry_count()
    }

    /// `text` highlighted with `syntax`, uncached.
    fn highlight(&self, syntax: &SyntaxReference, set: &SyntaxSet, text: &str) -> Vec<String> {
        let (light, dark) = (
            ThemeHighlighter::new(&self.light.theme),
            ThemeHighlighter::new(&self.dark.theme),
        );
        // Resolving a scope stack against a theme tries every rule: done
        // once per distinct stack (a file has a few hundred), not per run.
        let mut looks: HashMap<Vec<Scope>, String> = HashMap::new();
        let mut classes_of = |stack: &[Scope]| -> String {
            if let Some(c) = looks.get(stack) {
                return c.clone();
            }
            let c = classes(light.style_for_stack(stack), dark.style_for_stack(stack));
            looks.insert(stack.to_vec(), c.clone());
            c
        };
        let mut parse = ParseState::new(syntax);
        let mut stack = ScopeStack::new();
        let mut out = Vec::new();
        for line in text.split_inclusive('\n') {
            let shown = line.strip_suffix('\n').unwrap_or(line);
            let ops = if line.len() > MAX_LINE {
                None
            } else {
                parse.parse_line(line, set).ok()
            };
            let Some(ops) = ops else {
                out.push(escape(shown));
                continue;
            };
            let mut html = Html::with_capacity(shown.len() * 2);
            let mut pos = 0;
            for (at, op) in &ops {
                // The newline is not shown: ops past it apply at the end.
                let at = (*at).min(shown.len());
                if at > pos {
                    html.run(&classes_of(stack.as_slice()), &shown[pos..at]);
                    pos = at;
                }
                if stack.apply(op).is_err() {
                    break;
                }
            }
            html.run(&classes_of(stack.as_slice()), &shown[pos..]);
            out.push(html.finish());
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
        let (light, dark) = themes();
        (light.css, dark.css)
    }
}

/// bat's GitHub (light) and One Half Dark themes, as [`RuleTheme`]s.
fn themes() -> (RuleTheme, RuleTheme) {
    use two_face::theme::EmbeddedThemeName;
    let themes = two_face::theme::extra();
    (
        encode_rules(themes.get(EmbeddedThemeName::Github), 'l'),
        encode_rules(themes.get(EmbeddedThemeName::OneHalfDark), 'd'),
    )
}

/// The blue channel and alpha that mark an encoded rule index (the index
/// is in red and green); any other colour is the theme's default text.
const RULE_MARK: (u8, u8) = (0x5a, 0xff);
const DEFAULT_TEXT: Color = Color { r: 0, g: 0, b: 0, a: 0 };

/// A copy of `theme` whose rule N colours text with N (red = N / 256,
/// green = N % 256) and whose default text has [`DEFAULT_TEXT`]; and the
/// CSS of the real colours: `.hl-code` for the default, `.hl-{p}N` per
/// rule with a colour, `.hl-{p}b/i/u` for the font styles.
fn encode_rules(theme: &Theme, p: char) -> RuleTheme {
    let mut css = String::new();
    let _ = writeln!(
        css,
        ".hl-code {{ color: {}; background-color: {}; }}",
        css_color(theme.settings.foreground.unwrap_or(Color::BLACK)),
        css_color(theme.settings.background.unwrap_or(Color::WHITE)),
    );
    let _ = writeln!(css, ".hl-{p}b {{ font-weight: bold; }}");
    let _ = writeln!(css, ".hl-{p}i {{ font-style: italic; }}");
    let _ = writeln!(css, ".hl-{p}u {{ text-decoration: underline; }}");
    let mut encoded = theme.clone();
    encoded.settings.foreground = Some(DEFAULT_TEXT);
    for (n, rule) in encoded.scopes.iter_mut().enumerate().take(u16::MAX as usize) {
        rule.style.background = None;
        if let Some(colour) = rule.style.foreground {
            let _ = writeln!(css, ".hl-{p}{n} {{ color: {}; }}", css_color(colour));
            rule.style.foreground = Some(Color {
                r: (n >> 8) as u8,
                g: (n & 0xff) as u8,
                b: RULE_MARK.0,
                a: RULE_MARK.1,
            });
        }
    }
    RuleTheme { theme: encoded, css }
}

/// The classes of a run of text styled `light` and `dark` by the encoded
/// themes (empty: the default text in both).
fn classes(light: Style, dark: Style) -> String {
    let mut out = String::new();
    for (style, p) in [(light, 'l'), (dark, 'd')] {
        let c = style.foreground;
        if (c.b, c.a) == RULE_MARK {
            let _ = write!(out, " hl-{p}{}", (usize::from(c.r) << 8) | usize::from(c.g));
        }
        for (flag, name) in [
            (FontStyle::BOLD, 'b'),
            (FontStyle::ITALIC, 'i'),
            (FontStyle::UNDERLINE, 'u'),
        ] {
            if style.font_style.contains(flag) {
                let _ = write!(out, " hl-{p}{name}");
            }
        }
    }
    out.trim_start().to_owned()
}

/// One line of HTML, built run by run: a run with the same classes as the
/// one before joins its span; the default text has none.
struct Html {
    out: String,
    open: Option<String>,
}

impl Html {
    fn with_capacity(n: usize) -> Html {
        Html {
            out: String::with_capacity(n),
            open: None,
        }
    }

    fn run(&mut self, classes: &str, text: &str) {
        if text.is_empty() {
            return;
        }
        if self.open.as_deref() != Some(classes) {
            if self.open.take().is_some() {
                self.out.push_str("</span>");
            }
            if !classes.is_empty() {
                let _ = write!(self.out, "<span class=\"{classes}\">");
                self.open = Some(classes.to_owned());
            }
        }
        escape_into(&mut self.out, text);
    }

    fn finish(mut self) -> String {
        if self.open.is_some() {
            self.out.push_str("</span>");
        }
        self.out
    }
}

fn css_color(c: Color) -> String {
    if c.a == 0xff {
        format!("#{:02x}{:02x}{:02x}", c.r, c.g, c.b)
    } else {
        format!("rgba({}, {}, {}, {:.3})", c.r, c.g, c.b, f64::from(c.a) / 255.0)
    }
}

/// HTML-escapes text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syntect::highlighting::{HighlightIterator, HighlightState};

    #[test]
    fn bat_grammars_load_only_for_a_file_that_needs_them() {
        let h = Highlighter::new();
        h.warm_up();
        h.lines("api.kdl", "function \"add\" {}\n");
        assert!(!h.loaded_bat(), "the IR alone needs only the KDL grammar");
        h.lines("client.ts", "const x = 1;\n");
        assert!(h.loaded_bat());
    }

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
        for l in lines.iter() {
            assert_eq!(l.matches("<span").count(), l.matches("</span>").count(), "{l}");
        }
        assert!(lines[1].starts_with("<span"), "the comment goes on: {}", lines[1]);
        assert!(lines[2].contains("&lt;y&gt;"));
        // Every class carries the prefix.
        for l in lines.iter() {
            for class in l.split("class=\"").skip(1).filter_map(|c| c.split('"').next()) {
                assert!(class.split(' ').all(|c| c.starts_with("hl-")), "{class} in {l}");
            }
        }
    }

    /// Each character's colour in `html` under `css` (light or dark): the
    /// last `.hl-…` rule with a colour among its span's classes, else the
    /// `.hl-code` colour.
    fn colours_of(html: &str, css: &str) -> Vec<String> {
        let rule = |class: &str| {
            css.lines()
                .find(|l| l.starts_with(&format!(".{class} {{ color: ")))
                .map(|l| l.split("color: ").nth(1).unwrap().split(';').next().unwrap().to_owned())
        };
        let default = rule("hl-code").unwrap();
        let mut out = Vec::new();
        let mut colour = default.clone();
        let mut rest = html;
        while !rest.is_empty() {
            if let Some(tail) = rest.strip_prefix("<span class=\"") {
                let (classes, after) = tail.split_once("\">").unwrap();
                colour = classes
                    .split(' ')
                    .filter_map(rule)
                    .next_back()
                    .unwrap_or_else(|| default.clone());
                rest = after;
            } else if let Some(after) = rest.strip_prefix("</span>") {
                colour = default.clone();
                rest = after;
            } else {
                let c = rest.chars().next().unwrap();
                let len = if c == '&' {
                    rest.find(';').unwrap() + 1
                } else {
                    c.len_utf8()
                };
                out.push(colour.clone());
                rest = &rest[len..];
            }
        }
        out
    }

    /// The classes and the CSS give every character the colour syntect
    /// gives it with the real theme (not the rule-encoded copy).
    #[test]
    fn classes_carry_the_real_themes_colours() {
        use two_face::theme::EmbeddedThemeName;
        let h = Highlighter::new();
        let text = "// comment\nexport async function f(x: number): Promise<string> {\n  return `a ${x}` + \"b\";\n}\n";
        let ours = h.lines("x.ts", text);
        let (light_css, dark_css) = Highlighter::theme_css();
        let themes = two_face::theme::extra();
        for (name, css) in [
            (EmbeddedThemeName::Github, &light_css),
            (EmbeddedThemeName::OneHalfDark, &dark_css),
        ] {
            let theme = themes.get(name);
            let real = ThemeHighlighter::new(theme);
            let mut state = HighlightState::new(&real, ScopeStack::new());
            let (syntax, set) = h.grammar("x.ts");
            let mut parse = ParseState::new(syntax);
            for (n, line) in text.split_inclusive('\n').enumerate() {
                let ops = parse.parse_line(line, set).unwrap();
                let expected: Vec<String> = HighlightIterator::new(&mut state, &ops, line, &real)
                    .flat_map(|(style, t)| {
                        let c = css_color(style.foreground);
                        t.trim_end_matches('\n').chars().map(move |_| c.clone())
                    })
                    .collect();
                assert_eq!(colours_of(&ours[n], css), expected, "line {n} ({name:?}): {}", ours[n]);
            }
            // The sample is not all one colour.
            assert!(
                colours_of(&ours[1], css)
                    .iter()
                    .collect::<std::collections::HashSet<_>>()
                    .len()
                    > 2
            );
        }
    }

    #[test]
    fn a_text_is_highlighted_once_per_grammar() {
        let h = Highlighter::new();
        let a = h.lines("a.ts", "const a = 1;\n");
        // Another file with the same grammar and text: the same lines.
        assert!(Arc::ptr_eq(&a, &h.lines("b.ts", "const a = 1;\n")));
        // Another grammar, or another text: highlighted anew.
        let python = h.lines("c.py", "const a = 1;\n");
        assert!(!Arc::ptr_eq(&a, &python));
        let changed = h.lines("a.ts", "const a = 2;\n");
        assert!(!Arc::ptr_eq(&a, &changed));
        assert!(changed[0].contains('2') && a[0].contains('1'));
    }

    #[test]
    fn the_theme_only_styles_prefixed_classes() {
        let (light, dark) = Highlighter::theme_css();
        for css in [light, dark] {
            assert!(css.contains(".hl-code {"), "{css}");
            for rule in css.lines().filter(|l| l.trim_end().ends_with('{')) {
                for selector in rule.trim_end_matches('{').split(',') {
                    for class in selector.split('.').skip(1) {
                        assert!(class.starts_with("hl-"), "{class} in {rule}");
                    }
                }
            }
        }
    }
}
