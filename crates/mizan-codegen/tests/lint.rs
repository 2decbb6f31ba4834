//! The generated React file under oxlint with the react plugin, as a fresh
//! Vite `react-ts` app lints it: clean as generated (the lint-disable
//! header), and — with that header stripped — nothing but Fast Refresh's
//! `only-export-components` (hooks and components share the file by
//! design): no ref written during render, no suppressed hook rule, so the
//! React Compiler optimizes every hook.
//!
//! Needs `tests/node/node_modules` (`scripts/setup`); fails when missing.

mod common;

use std::process::Command;

use common::{fixture, node_bin, root, write_targets};
use mizan_codegen::Target;

fn oxlint(dir: &std::path::Path, file: &str) -> (bool, String) {
    let out = Command::new(node_bin("oxlint"))
        .current_dir(dir)
        .args(["-c"])
        .arg(root().join("tests/node/lint/oxlintrc.json"))
        // The unix format: one line per finding whatever the terminal
        // (the default format draws glyphs that differ under CI).
        .args(["--format", "unix", "--deny-warnings", file])
        .output()
        .expect("run oxlint");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn generated_react_lints_clean_under_oxlint_react_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_targets(&fixture("afi"), &[Target::Ts, Target::React], dir.path());
    let (ok, text) = oxlint(dir.path(), "react.tsx");
    assert!(ok && !text.contains("[Warning/") && !text.contains("[Error/"), "{text}");

    // Without the header, only the by-design Fast Refresh warnings remain.
    let generated = std::fs::read_to_string(dir.path().join("react.tsx")).unwrap();
    let stripped: String = generated
        .lines()
        .filter(|l| !l.contains("eslint-disable") && !l.contains("oxlint-disable"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(stripped, generated, "the header disables lint");
    assert!(
        !generated.contains("eslint-disable-next-line"),
        "no per-hook suppressions (the React Compiler skips those hooks)"
    );
    std::fs::write(dir.path().join("stripped.tsx"), stripped).unwrap();
    let (_, text) = oxlint(dir.path(), "stripped.tsx");
    let findings: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("[Warning/") || l.contains("[Error/"))
        .collect();
    assert!(
        !findings.is_empty(),
        "oxlint found nothing at all, so it did not run as intended:\n{text}"
    );
    for f in &findings {
        assert!(f.contains("only-export-components"), "{f}\n{text}");
    }
}
