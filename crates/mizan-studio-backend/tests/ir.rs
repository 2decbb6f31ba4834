//! The studio's own IR: `Registry::from_linked()` of this crate builds, the
//! canonical text passes the graph checks with no errors (and no warnings),
//! and equals the committed `studio.kdl` (refresh with `UPDATE_GOLDEN=1`)
//! that the UI's generated Leptos client is built from. Also: the example
//! project's IR is the AFI fixture's.

mod common;

#[test]
fn studio_ir_builds_checks_clean_and_matches_studio_kdl() {
    mizan_studio_backend::link();
    let text = mizan_studio_backend::studio_ir().expect("the studio's registry builds");
    let parsed = mizan_core::ir::parse_with_locations(&text).expect("canonical text parses");
    let diagnostics = mizan_core::check::check_parsed(&parsed, &text);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(mizan_core::ir::emit(&parsed.ir), text, "not canonical");
    // What replaces the open project changes every view of it: these
    // mutations affect every context but the few that do not depend on
    // the project, so a new context cannot be forgotten in their lists.
    let independent = mizan_studio_backend::api::PROJECT_INDEPENDENT_CONTEXTS;
    let mut dependent: Vec<&str> = parsed
        .ir
        .contexts
        .iter()
        .map(|c| c.name.as_str())
        .filter(|c| !independent.contains(c))
        .collect();
    dependent.sort();
    for c in independent {
        assert!(
            parsed.ir.context(c).is_some(),
            "{c} is listed as independent but is no context"
        );
    }
    for f in ["open_project", "choose_folder", "close_project", "reload"] {
        let function = parsed.ir.function(f).unwrap_or_else(|| panic!("{f} missing"));
        let mut affected: Vec<&str> = function.affects.iter().map(|t| t.name()).collect();
        affected.sort();
        assert_eq!(affected, dependent, "{f} must affect every project-dependent context");
    }
    let path = common::root().join("crates/mizan-studio-backend/studio.kdl");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).expect("studio.kdl (UPDATE_GOLDEN=1)");
    assert!(
        committed == text,
        "studio.kdl is stale: UPDATE_GOLDEN=1 cargo test -p mizan-studio-backend --test ir"
    );
}

#[test]
fn the_example_project_is_the_afi_ir() {
    let root = common::root();
    let example = std::fs::read_to_string(root.join("fixtures/example/api.kdl")).unwrap();
    let afi = std::fs::read_to_string(root.join("fixtures/afi/afi.kdl")).unwrap();
    assert!(
        example == afi,
        "fixtures/example/api.kdl differs from fixtures/afi/afi.kdl: copy it"
    );
    let config = mizan_codegen::Config::load(&root.join("fixtures/example/mizan.toml")).unwrap();
    let names: Vec<&str> = config.targets.iter().map(|t| t.name()).collect();
    assert_eq!(names, ["ts", "react", "python", "leptos"]);
}
