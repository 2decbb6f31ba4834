//! The `mizan` command line, run as a real process: output formats, exit
//! codes (0 ok, 1 rejected input, 2 bad command line) and the diagnostic
//! fixtures.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn mizan(args: &[&str]) -> Output {
    mizan_with(args, None, &[])
}

fn mizan_with(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mizan"));
    cmd.args(args)
        .current_dir(root())
        .env_remove("MIZAN_CACHE_SECRET")
        .env_remove("MIZAN_MWT_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn mizan");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

const AFI: &str = "fixtures/afi/afi.kdl";

#[test]
fn check_prints_the_summary() {
    let o = mizan(&["ir", "check", AFI]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "ok: 18 functions, 5 contexts, 11 types\n");
    // AFI's `global` (`current_user`, cached forever) is invalidated by no
    // mutation: the one warning, on purpose (the studio shows it).
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("fixtures/afi/afi.kdl:2:5: warning[never-invalidated]: context `global`"),
        "{err}"
    );
}

#[test]
fn every_diagnostic_fixture_reports_its_code() {
    let dir = root().join("fixtures/diagnostics");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("kdl") {
            continue;
        }
        seen += 1;
        let code = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let expect_warning = text.starts_with("// warning:");
        let rel = format!("fixtures/diagnostics/{code}.kdl");
        let o = mizan(&["ir", "check", &rel]);
        let err = stderr(&o);
        let lines: Vec<&str> = err.lines().filter(|l| l.contains('[')).collect();
        assert_eq!(lines.len(), 1, "{code}: expected exactly one diagnostic, got:\n{err}");
        let severity = if expect_warning { "warning" } else { "error" };
        // FILE:LINE:COL: severity[code]: message
        let prefix = format!("{rel}:");
        let line = lines[0];
        assert!(line.starts_with(&prefix), "{code}: {line}");
        let rest: Vec<&str> = line[prefix.len()..].splitn(3, ':').collect();
        assert!(
            rest[0].parse::<usize>().is_ok() && rest[1].parse::<usize>().is_ok(),
            "{code}: no LINE:COL in {line}"
        );
        assert!(rest[2].starts_with(&format!(" {severity}[{code}]: ")), "{code}: {line}");
        assert_eq!(
            o.status.code(),
            Some(if expect_warning { 0 } else { 1 }),
            "{code}: {err}"
        );
        if expect_warning {
            assert!(stdout(&o).starts_with("ok: "), "{code}");
        }
    }
    assert!(seen >= 20, "only {seen} diagnostic fixtures");
}

#[test]
fn diagnostics_point_at_the_offending_line() {
    let o = mizan(&["ir", "check", "fixtures/diagnostics/dangling-affects.kdl"]);
    let text = std::fs::read_to_string(root().join("fixtures/diagnostics/dangling-affects.kdl")).unwrap();
    let err = stderr(&o);
    let line: usize = err.split(':').nth(1).unwrap().parse().unwrap();
    assert_eq!(text.lines().nth(line - 1).unwrap().trim(), "affects context=usr");
}

#[test]
fn fmt_reads_stdin_and_checks_canonical_form() {
    let canonical = std::fs::read_to_string(root().join(AFI)).unwrap();
    let o = mizan_with(&["ir", "fmt", "-"], Some(&canonical), &[]);
    assert_eq!(stdout(&o), canonical);
    let o = mizan_with(&["ir", "fmt", "--check", "/dev/stdin"], Some(&canonical), &[]);
    assert_eq!(o.status.code(), Some(0));
    let messy = canonical.replacen("    context global {", "    // a comment\n    context global {", 1);
    let o = mizan_with(&["ir", "fmt", "--check", "-"], Some(&messy), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("<stdin>:2: not canonical"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let o = mizan_with(&["ir", "fmt", "-"], Some(&messy), &[]);
    assert_eq!(stdout(&o), canonical);
}

#[test]
fn graph_formats() {
    let o = mizan(&["ir", "graph", AFI, "--format", "json"]);
    let graph: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let edges = graph["edges"].as_array().unwrap();
    assert!(edges.contains(
        &serde_json::json!({"from": "fn:rename", "to": "ctx:user", "kind": "affects", "scoped_by": ["user_id"]})
    ));
    assert!(edges.contains(
        &serde_json::json!({"from": "fn:set_item_name", "to": "ctx:items", "kind": "merges", "scoped_by": []})
    ));
    assert!(edges.contains(&serde_json::json!({"from": "fn:place_order", "to": "fn:user_orders", "kind": "affects", "scoped_by": ["user_id"]})));
    let mermaid = mizan(&["ir", "graph", AFI, "--format", "mermaid"]);
    assert_eq!(mermaid.status.code(), Some(0), "{}", stderr(&mermaid));
    let golden = root().join("tests/golden/graph/afi.mmd");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &mermaid.stdout).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).expect("tests/golden/graph/afi.mmd (UPDATE_GOLDEN=1)");
    assert_eq!(stdout(&mermaid), expected);
    // One Mermaid node per graph node, one edge line per graph edge.
    let nodes = graph["nodes"].as_array().unwrap().len();
    let arrows = expected
        .lines()
        .filter(|l| l.contains("-->|") || l.contains("-.->|") || l.contains("==>|"))
        .count();
    assert_eq!(arrows, edges.len());
    let defined = expected
        .lines()
        .filter(|l| l.trim_start().starts_with("fn_") || l.trim_start().starts_with("ctx_"))
        .filter(|l| !l.contains('|'))
        .count();
    assert_eq!(defined, nodes);
    assert!(expected.contains("|\"affects (user_id)\"|"), "{expected}");
    let dot = stdout(&mizan(&["ir", "graph", AFI]));
    assert!(dot.starts_with("digraph mizan {"));
    assert!(
        dot.contains("\"fn:rename\" -> \"ctx:user\" [label=\"affects (user_id)\", style=solid];"),
        "{dot}"
    );
}

#[test]
fn invalidate_prints_the_resolution() {
    let o = mizan(&[
        "invalidate",
        AFI,
        "--fn",
        "rename",
        "--args",
        r#"{"user_id": 5, "name": "Ann"}"#,
    ]);
    assert_eq!(
        stdout(&o),
        "{\"invalidate\":[{\"context\":\"user\",\"params\":{\"user_id\":5}}],\"merge\":[]}\n"
    );
    let o = mizan(&[
        "invalidate",
        AFI,
        "--fn",
        "set_item_name",
        "--args",
        r#"{"id": 2, "name": "b"}"#,
        "--result",
        r#"{"id": 2, "name": "b"}"#,
    ]);
    assert_eq!(
        stdout(&o),
        "{\"invalidate\":[],\"merge\":[{\"context\":\"items\",\"slot\":\"items_list\",\"value\":{\"id\":2,\"name\":\"b\"}}]}\n"
    );
}

#[test]
fn cache_key_matches_the_spec_vectors() {
    let secret = "spec-vector-secret-0123456789abc";
    let cases: [(&[&str], &str); 4] = [
        (
            &["--context", "orders", "--param", "org_id=7", "--param", "page=2"],
            "ctx:orders:008a7f166afad22231bb9c5084cdfd8cf04d5fd3d49b6e0957c5f9f1e4c05b4f",
        ),
        (
            &[
                "--context",
                "orders",
                "--param",
                "page=2",
                "--param",
                "org_id=7",
                "--user",
                "42",
            ],
            "ctx:orders:86c173ded7f328432abb0f786775050ea8efbbd27aed7da5b90ebf2b3554bd90",
        ),
        (
            &["--context", "catalog", "--rev", "3"],
            "ctx:catalog:505b611f1ce8c5ec85c8d89c106072c8671201849b7ec9e2bace95bd723f8a89",
        ),
        (
            &[
                "--context",
                "café",
                "--param",
                "q=naïve; x=1",
                "--user",
                "u-9",
                "--rev",
                "1",
            ],
            "ctx:café:87c119a19b55be080b2caea00c0f919f3256a6d4cf362eda15dad1efb5b320b1",
        ),
    ];
    for (args, key) in cases {
        let mut full = vec!["cache-key", "--secret", secret];
        full.extend_from_slice(args);
        assert_eq!(stdout(&mizan(&full)), format!("{key}\n"), "{args:?}");
        // The environment variable is the way for real use.
        let mut env_args = vec!["cache-key"];
        env_args.extend_from_slice(args);
        let o = mizan_with(&env_args, None, &[("MIZAN_CACHE_SECRET", secret)]);
        assert_eq!(stdout(&o), format!("{key}\n"));
    }
    let o = mizan(&[
        "cache-key",
        "--secret",
        secret,
        "--context",
        "catalog",
        "--rev",
        "3",
        "--show-message",
    ]);
    assert_eq!(
        stdout(&o),
        "{\"c\":\"catalog\",\"p\":{},\"r\":3}\nctx:catalog:505b611f1ce8c5ec85c8d89c106072c8671201849b7ec9e2bace95bd723f8a89\n"
    );
}

#[test]
fn header_format_and_parse() {
    let o = mizan(&[
        "header",
        "format",
        r#"[{"context":"user","params":{"user_id":5}},"notifications"]"#,
    ]);
    assert_eq!(stdout(&o), "user;user_id=5, notifications\n");
    let o = mizan(&["header", "parse", "user;user_id=5, notifications"]);
    assert_eq!(
        stdout(&o),
        "[{\"context\":\"user\",\"params\":{\"user_id\":\"5\"}},\"notifications\"]\n"
    );
    let o = mizan(&["header", "parse", "user;user id=5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("byte 9"), "{}", stderr(&o));
}

#[test]
fn mwt_mint_then_verify() {
    let o = mizan(&[
        "mwt", "mint", "--secret", "s3cret", "--sub", "42", "--staff", "--perm", "b", "--perm", "a", "--kid", "k1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let token = stdout(&o).trim().to_owned();
    let o = mizan(&["mwt", "verify", "--secret", "s3cret", "--kid", "k1", &token]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let claims: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (
            claims["sub"].as_str(),
            claims["staff"].as_bool(),
            claims["aud"].as_str()
        ),
        (Some("42"), Some(true), Some("mizan"))
    );
    assert_eq!(claims["perms"], serde_json::json!(["a", "b"]));
    // Wrong secret, wrong kid, wrong audience: exit 1 with a reason.
    for args in [
        vec!["mwt", "verify", "--secret", "other", "--kid", "k1", &token],
        vec!["mwt", "verify", "--secret", "s3cret", &token],
        vec![
            "mwt",
            "verify",
            "--secret",
            "s3cret",
            "--kid",
            "k1",
            "--aud",
            "elsewhere",
            &token,
        ],
        vec!["mwt", "verify", "--secret", "s3cret", "garbage"],
    ] {
        let o = mizan(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).starts_with("invalid token: "), "{}", stderr(&o));
        assert_eq!(stdout(&o), "");
    }
    let o = mizan_with(
        &["mwt", "mint", "--sub", "7"],
        None,
        &[("MIZAN_MWT_SECRET", "env-secret")],
    );
    let token = stdout(&o).trim().to_owned();
    let o = mizan_with(&["mwt", "verify", &token], None, &[("MIZAN_MWT_SECRET", "env-secret")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn manifest_matches_golden() {
    let o = mizan(&["manifest", AFI]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let path = root().join("tests/golden/manifest/afi.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &o.stdout).unwrap();
    }
    let expected = std::fs::read_to_string(&path).expect("tests/golden/manifest/afi.json (UPDATE_GOLDEN=1)");
    assert_eq!(stdout(&o), expected);
    let o = mizan(&["manifest", AFI, "--base-url", "https://api.example.test/mizan/"]);
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        m["contexts"]["user"]["endpoints"],
        serde_json::json!(["https://api.example.test/mizan/ctx/user/"])
    );
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    let cases: Vec<Vec<&str>> = vec![
        vec!["frobnicate"],
        vec!["ir", "check"],
        vec!["ir", "check", "no/such/file.kdl"],
        vec!["ir", "graph", AFI, "--format", "svg"],
        vec!["invalidate", AFI, "--fn", "rename", "--args", "{not json"],
        vec!["invalidate", AFI, "--fn", "rename", "--args", "[1]"],
        vec!["invalidate", AFI, "--fn", "nope", "--args", "{}"],
        vec!["invalidate", AFI, "--fn", "rename", "--args", "{}", "--result", "{"],
        vec!["cache-key", "--context", "x"],
        vec!["cache-key", "--secret", "s", "--context", "x", "--param", "novalue"],
        vec!["cache-key", "--secret", "s", "--context", "x", "--rev", "-1"],
        vec!["header", "format", "{\"x\": 1}"],
        vec!["header", "format", "[{\"context\": \"x\", \"bogus\": 1}]"],
        vec!["mwt", "mint", "--secret", "s"],
        vec!["mwt", "mint", "--secret", "", "--sub", "1"],
        vec!["mwt", "mint", "--secret", "s", "--sub", "1", "--ttl", "soon"],
    ];
    for args in cases {
        let o = mizan(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        // IR warnings (AFI's `never-invalidated`) come first; the error is one line.
        let errors = err.lines().filter(|l| !l.contains(": warning[")).count();
        assert_eq!(errors, 1, "{args:?}: not one line:\n{err}");
        assert!(!err.contains("panicked"), "{args:?}");
    }
}

#[test]
fn invalid_ir_is_rejected_not_used() {
    let o = mizan(&["manifest", "fixtures/diagnostics/dangling-affects.kdl"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let o = mizan_with(
        &["ir", "check", "-"],
        Some("mizan-ir version=1 {\n    function f {\n        returns \"list<\"\n    }\n}\n"),
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("<stdin>:3:17: error[ir-grammar]: invalid shape"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn cache_explain_names_the_policy_the_key_and_what_differs() {
    let afi = root().join("fixtures/afi/afi.kdl");
    let secret = [("MIZAN_CACHE_SECRET", "spec-vector-secret-0123456789abc")];
    let args = [
        "cache",
        "explain",
        afi.to_str().unwrap(),
        "--context",
        "user",
        "--param",
        "user_id=5",
        "--against-user",
        "7",
    ];
    let out = mizan_with(&args, None, &secret);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(r#"message      {"c":"user","p":{"user_id":"5"},"r":2}"#),
        "{text}"
    );
    assert!(text.contains("declared forever, capped by max TTL"), "{text}");
    assert!(
        text.contains("user: (absent) vs 7 — authenticated entries are per user"),
        "{text}"
    );
    // The key is SPEC §6's, derived independently by `cache-key`.
    let key = mizan_with(
        &["cache-key", "--context", "user", "--param", "user_id=5", "--rev", "2"],
        None,
        &secret,
    );
    assert!(
        text.contains(&format!("key          {}", stdout(&key).trim())),
        "{text}"
    );
    let json = mizan_with(&[&args[..], &["--json"]].concat(), None, &secret);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(v["same_key"], false);
    assert_eq!(v["differences"][0]["component"], "user");
    // Unknown context: a usage error, not a panic.
    let bad = mizan_with(
        &["cache", "explain", afi.to_str().unwrap(), "--context", "nope"],
        None,
        &secret,
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("unknown context `nope`"));
}

#[test]
fn ir_check_previous_reports_changed_cache_fingerprints() {
    let afi = root().join("fixtures/afi/afi.kdl");
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.kdl");
    let text = std::fs::read_to_string(&afi).unwrap().replacen("rev 2", "rev 3", 1);
    std::fs::write(&new, text).unwrap();
    let out = mizan(&[
        "ir",
        "check",
        new.to_str().unwrap(),
        "--previous",
        afi.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("cache: context `user` fingerprint"), "{err}");
    assert!(err.contains("member `user_profile` changed: rev 2"), "{err}");
    let same = mizan(&[
        "ir",
        "check",
        afi.to_str().unwrap(),
        "--previous",
        afi.to_str().unwrap(),
    ]);
    // Only AFI's own warning: no fingerprint changed.
    assert!(!stderr(&same).contains("cache:"), "{}", stderr(&same));
    assert_eq!(stderr(&same).lines().count(), 1, "{}", stderr(&same));
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let large = root().join("fixtures/large/large.kdl");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} ir graph {} | head -c 10 >/dev/null",
            env!("CARGO_BIN_EXE_mizan"),
            large.display()
        ))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}
