//! Golden files: every target's output for the AFI fixture is compared with
//! `tests/golden/codegen/afi/<target>/` at the workspace root.
//! `UPDATE_GOLDEN=1 cargo test -p mizan-codegen --test golden` rewrites them
//! (`UPDATE_GOLDEN=ts,react` only those targets'); review the diff. A target that renders but has no goldens fails. Targets
//! still stubbed as "not yet implemented" are skipped (and say so).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use mizan_codegen::{Error, GeneratedFile, Options, Target};
use mizan_core::ir::{Ir, parse};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn afi() -> Ir {
    let text = fs::read_to_string(root().join("fixtures/afi/afi.kdl")).expect("read afi.kdl");
    parse(&text).expect("afi.kdl parses")
}

/// Files under `dir`, relative, `/`-separated.
fn list(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}

/// Whether `UPDATE_GOLDEN` asks to rewrite this target's goldens: `1` (or
/// any value that is not a list of target names) means all.
fn updating(target: Target) -> bool {
    let Ok(value) = std::env::var("UPDATE_GOLDEN") else {
        return false;
    };
    let names: Vec<&str> = value.split(',').map(str::trim).collect();
    if names.iter().all(|n| Target::from_name(n).is_ok()) {
        names.contains(&target.name())
    } else {
        true
    }
}

/// Compares (or with UPDATE_GOLDEN rewrites) one target's files; returns
/// the problems found.
fn check(target: Target, files: &[GeneratedFile]) -> Vec<String> {
    let dir = root().join("tests/golden/codegen/afi").join(target.name());
    if updating(target) {
        let _ = fs::remove_dir_all(&dir);
        for f in files {
            let path = dir.join(&f.path);
            fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            fs::write(&path, &f.contents).expect("write golden");
        }
        return Vec::new();
    }
    if !dir.is_dir() {
        return vec![format!(
            "target `{}` has no golden files in {}; run UPDATE_GOLDEN=1 cargo test -p mizan-codegen --test golden",
            target.name(),
            dir.display()
        )];
    }
    let mut problems = Vec::new();
    let mut expected = list(&dir);
    for f in files {
        expected.remove(&f.path);
        let golden = dir.join(&f.path);
        match fs::read_to_string(&golden) {
            Err(_) => problems.push(format!("{}: new file {} has no golden", target.name(), f.path)),
            Ok(want) if want != f.contents => {
                let line = want
                    .lines()
                    .zip(f.contents.lines())
                    .position(|(a, b)| a != b)
                    .map_or_else(|| want.lines().count().min(f.contents.lines().count()) + 1, |i| i + 1);
                problems.push(format!(
                    "{}: {} differs from its golden from line {line} (UPDATE_GOLDEN=1 to accept)",
                    target.name(),
                    f.path
                ));
            }
            Ok(_) => {}
        }
    }
    for stale in expected {
        problems.push(format!("{}: golden {stale} is no longer generated", target.name()));
    }
    problems
}

#[test]
fn every_target_matches_its_goldens_for_afi() {
    let ir = afi();
    let mut problems = Vec::new();
    let mut checked = 0;
    for target in Target::ALL {
        match target.render(&ir, &Options::default()) {
            Err(Error::NotImplemented { target }) => eprintln!("skipping `{target}`: not yet implemented"),
            Err(e) => problems.push(format!("{}: render failed: {e}", target.name())),
            Ok(files) => {
                checked += 1;
                problems.extend(check(target, &files));
            }
        }
    }
    assert!(
        checked >= 5,
        "expected at least ts, react, vue, svelte and manifest to render"
    );
    assert!(problems.is_empty(), "golden mismatches:\n{}", problems.join("\n"));
}

#[test]
fn output_is_deterministic_and_carries_the_header() {
    let ir = afi();
    for target in Target::ALL {
        let (Ok(a), Ok(b)) = (
            target.render(&ir, &Options::default()),
            target.render(&ir.clone(), &Options::default()),
        ) else {
            continue;
        };
        assert_eq!(a, b, "{} is not deterministic", target.name());
        for f in &a {
            assert!(
                mizan_codegen::targets::has_header(&f.contents),
                "{} lacks the header",
                f.path
            );
            assert!(
                f.contents.ends_with('\n') && !f.contents.ends_with("\n\n"),
                "{}: one trailing newline",
                f.path
            );
        }
    }
}

#[test]
fn a_non_canonical_ir_renders_like_its_canonical_form() {
    let ir = afi();
    let mut shuffled = ir.clone();
    shuffled.functions.reverse();
    shuffled.types.reverse();
    shuffled.contexts.reverse();
    shuffled.canonicalize();
    for target in [Target::Ts, Target::React, Target::Manifest] {
        let a = target.render(&ir, &Options::default()).expect("render");
        let b = target.render(&shuffled, &Options::default()).expect("render");
        assert_eq!(a, b, "{}", target.name());
    }
}
