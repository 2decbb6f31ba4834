//! Golden tests for the KDL emitter: every `tests/golden/ir/<case>/input.kdl`
//! must format to the committed `expected.kdl`, and the expected text must
//! be a fixed point. `UPDATE_GOLDEN=1` rewrites the expected files (review
//! the diff); a case without an expected file fails.

use mizan_core::ir::{emit, parse};
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn emitter_matches_golden_files() {
    let dir = repo_root().join("tests/golden/ir");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/golden/ir")
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 2, "golden cases missing in {}", dir.display());
    for case in cases {
        let input = std::fs::read_to_string(case.join("input.kdl")).expect("input.kdl");
        let ir = parse(&input).unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        let emitted = emit(&ir);
        let expected_path = case.join("expected.kdl");
        if update {
            std::fs::write(&expected_path, &emitted).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "{} has no expected.kdl (run with UPDATE_GOLDEN=1 and review)",
                case.display()
            )
        });
        assert_eq!(
            emitted,
            expected,
            "{}: emitted text differs from expected.kdl",
            case.display()
        );
        // Canonical text is a fixed point, and parses to a canonical IR.
        let reparsed = parse(&expected).unwrap();
        assert_eq!(
            emit(&reparsed),
            expected,
            "{}: expected.kdl is not a fixed point",
            case.display()
        );
        let mut canonical = reparsed.clone();
        canonical.canonicalize();
        assert_eq!(
            canonical,
            reparsed,
            "{}: parsed canonical text is not canonical",
            case.display()
        );
    }
}

#[test]
fn afi_fixture_is_canonical_and_clean() {
    let text = std::fs::read_to_string(repo_root().join("fixtures/afi/afi.kdl")).unwrap();
    let ir = parse(&text).unwrap();
    assert_eq!(emit(&ir), text, "fixtures/afi/afi.kdl is not canonical");
    // The one finding is deliberate: `global` (`current_user`, cached
    // forever) is invalidated by no mutation.
    let diagnostics = mizan_core::check::check(&ir);
    let found: Vec<(&str, &[String])> = diagnostics.iter().map(|d| (d.code, d.names.as_slice())).collect();
    assert_eq!(
        found,
        [("never-invalidated", &["global".to_owned()][..])],
        "{diagnostics:#?}"
    );
    assert_eq!((ir.functions.len(), ir.contexts.len(), ir.types.len()), (18, 5, 11));
    // The contexts are exactly what the functions imply.
    let mut derived = ir.clone();
    mizan_core::ir::derive_contexts(&mut derived);
    assert_eq!(derived, ir);
}

#[path = "../examples/gen_large_ir.rs"]
mod gen_large_ir;

#[test]
fn large_fixture_is_current() {
    let ir = gen_large_ir::large_ir();
    assert_eq!(
        (ir.functions.len(), ir.contexts.len(), ir.types.len()),
        (gen_large_ir::FUNCTIONS, gen_large_ir::CONTEXTS, gen_large_ir::TYPES)
    );
    let text = std::fs::read_to_string(repo_root().join("fixtures/large/large.kdl")).unwrap();
    assert!(
        emit(&ir) == text,
        "fixtures/large/large.kdl is stale: cargo run -p mizan-core --example gen_large_ir > fixtures/large/large.kdl"
    );
    let errors: Vec<_> = mizan_core::check::check(&ir)
        .into_iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(parse(&text).unwrap(), ir);
}
