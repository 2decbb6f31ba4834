//! `mizan.toml` validation: unknown keys, exactly one source, paths relative
//! to the config file, framework targets implying `ts`.

use std::path::{Path, PathBuf};

use mizan_codegen::{Config, Error, Source, Target};

fn parse(text: &str) -> Result<Config, Error> {
    Config::parse(Path::new("/proj/app/mizan.toml"), text)
}

fn message(text: &str) -> String {
    match parse(text) {
        Err(e) => e.to_string(),
        Ok(c) => panic!("accepted: {c:?}"),
    }
}

#[test]
fn a_minimal_config_resolves_paths_and_targets() {
    let c = parse("output = \"src/api\"\ntargets = [\"react\", \"manifest\"]\n[source]\nkdl = \"../ir.kdl\"\n")
        .expect("ok");
    assert_eq!(c.output, PathBuf::from("/proj/app/src/api"));
    assert_eq!(c.targets, [Target::Ts, Target::React, Target::Manifest]);
    assert_eq!(c.source, Source::Kdl(PathBuf::from("/proj/app/../ir.kdl")));
    assert_eq!(c.base_url, "/api/mizan");
    let c = parse("output = \"o\"\ntargets = [\"rust\", \"leptos\", \"vue\"]\n[source]\nkdl = \"x\"\n").expect("ok");
    assert_eq!(
        c.targets,
        [Target::Ts, Target::Vue, Target::Leptos],
        "leptos contains rust"
    );
}

#[test]
fn command_and_backend_sources() {
    let c = parse(
        "output = \"o\"\ntargets = [\"ts\"]\n[source]\ncommand = [\"python\", \"manage.py\", \"export_mizan_ir\"]\ncwd = \"backend\"\nenv = { DJANGO_SETTINGS_MODULE = \"s\" }\n",
    )
    .expect("ok");
    let Source::Command { argv, cwd, env } = c.source else {
        panic!("command")
    };
    assert_eq!(argv[2], "export_mizan_ir");
    assert_eq!(cwd, PathBuf::from("/proj/app/backend"));
    assert_eq!(env["DJANGO_SETTINGS_MODULE"], "s");
    let c = parse("output = \"o\"\ntargets = [\"ts\"]\n[source]\ncargo = { manifest_path = \"app/Cargo.toml\", bin = \"emit-ir\" }\n").expect("ok");
    assert!(matches!(c.source, Source::Cargo { ref bin, .. } if bin == "emit-ir"));
    let c = parse("output = \"o\"\ntargets = [\"ts\"]\n[source]\ndjango = { manage_path = \"b/manage.py\", command = [\"uv\", \"run\", \"python\"] }\n").expect("ok");
    assert!(matches!(c.source, Source::Django { ref command, .. } if command[0] == "uv"));
    let c = parse("output = \"o\"\ntargets = [\"ts\"]\n[source]\nfastapi = { module = \"main\" }\n").expect("ok");
    assert!(matches!(c.source, Source::Fastapi { ref command, .. } if command == &["python"]));
}

#[test]
fn unknown_keys_are_rejected_with_their_name() {
    let m = message("output = \"o\"\ntargets = [\"ts\"]\nouptut = 1\n[source]\nkdl = \"x\"\n");
    assert!(m.contains("unknown field `ouptut`") && m.contains("line 3"), "{m}");
    let m = message("output = \"o\"\ntargets = [\"ts\"]\n[source]\nkdl = \"x\"\nkdll = \"y\"\n");
    assert!(m.contains("unknown field `kdll`"), "{m}");
    let m = message(
        "output = \"o\"\ntargets = [\"ts\"]\n[source]\ncargo = { manifest_path = \"a\", bin = \"b\", features = [] }\n",
    );
    assert!(m.contains("unknown field `features`"), "{m}");
    assert!(!m.contains('\n'), "one line: {m}");
}

#[test]
fn sources_and_targets_are_validated() {
    assert!(message("output = \"o\"\ntargets = [\"ts\"]\n[source]\n").contains("exactly one of"));
    let m = message("output = \"o\"\ntargets = [\"ts\"]\n[source]\nkdl = \"x\"\ncommand = [\"y\"]\n");
    assert!(m.contains("found kdl, command"), "{m}");
    assert!(
        message("output = \"o\"\ntargets = [\"ts\"]\n[source]\nkdl = \"x\"\ncwd = \"y\"\n")
            .contains("only apply to `command`")
    );
    assert!(message("output = \"o\"\ntargets = [\"ts\"]\n[source]\ncommand = []\n").contains("command is empty"));
    let m = message("output = \"o\"\ntargets = [\"go\"]\n[source]\nkdl = \"x\"\n");
    assert!(
        m.contains("unknown target `go`") && m.contains("ts, react, vue, svelte, python, rust, leptos, manifest"),
        "{m}"
    );
    assert!(message("output = \"o\"\ntargets = []\n[source]\nkdl = \"x\"\n").contains("`targets` is empty"));
    assert!(message("targets = [\"ts\"]\n[source]\nkdl = \"x\"\n").contains("missing field `output`"));
}

#[test]
fn output_stays_inside_the_project_unless_allowed() {
    for output in ["/", "..", "../web/src", "src/../../x", "/proj/other"] {
        let text = format!("targets = [\"ts\"]\noutput = {output:?}\n[source]\nkdl = \"x\"\n");
        match parse(&text) {
            Err(e @ Error::OutputOutside { line: 2, .. }) => {
                let m = e.to_string();
                assert!(
                    m.starts_with("/proj/app/mizan.toml:2: `output`")
                        && m.contains("outside the project folder /proj/app")
                        && m.contains("allow_output_outside = true"),
                    "{m}"
                );
            }
            other => panic!("{output}: expected OutputOutside, got {other:?}"),
        }
        let allowed = parse(&format!("allow_output_outside = true\n{text}")).expect("allowed");
        assert!(allowed.allow_output_outside);
    }
    for output in [".", "src/../gen", "/proj/app/gen"] {
        let c = parse(&format!(
            "output = {output:?}\ntargets = [\"ts\"]\n[source]\nkdl = \"x\"\n"
        ))
        .expect(output);
        assert!(!c.allow_output_outside);
        assert_eq!(c.output_line, 1);
    }
    let m = message("output = \"o\"\nallow_output_outside = \"yes\"\ntargets = [\"ts\"]\n[source]\nkdl = \"x\"\n");
    assert!(m.contains("expected a boolean") && m.contains("line 2"), "{m}");
}

#[test]
fn the_cache_table_states_the_servers_max_ttl() {
    let base = "output = \"o\"\ntargets = [\"ts\"]\n[source]\nkdl = \"x\"\n";
    assert_eq!(
        parse(base).expect("ok").cache.max_ttl.as_secs(),
        7 * 24 * 3600,
        "default"
    );
    let c = parse(&format!("{base}[cache]\nmax_ttl = 3600\n")).expect("ok");
    assert_eq!(c.cache.max_ttl.as_secs(), 3600);
    assert!(message(&format!("{base}[cache]\nmax_ttl = 0\n")).contains("at least 1 second"));
    assert!(message(&format!("{base}[cache]\nmaxttl = 5\n")).contains("maxttl"));
    let wrong_type = message(&format!("{base}[cache]\nmax_ttl = \"1h\"\n"));
    assert!(
        wrong_type.contains("line 6") && wrong_type.contains("expected u64"),
        "{wrong_type}"
    );
}
