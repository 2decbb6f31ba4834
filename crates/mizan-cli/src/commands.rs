//! One function per subcommand; each prints its result and returns how it
//! failed, if it did.

use crate::input::{InputFile, json_arg, read_file};
use crate::{CacheCommand, CacheKeyArgs, Command, Failure, GraphFormat, HeaderCommand, IrCommand, MwtCommand};
use mizan_core::check::{Diagnostic, check_parsed};
use mizan_core::invalidation::Invalidation;
use mizan_core::ir::{ParsedIr, emit, parse_with_locations};
use mizan_core::mwt::{KeyRing, MintRequest, mint, unix_now, verify};
use mizan_core::{cache_key::CacheKeyer, graph::InvalidationGraph, header, invalidation, manifest};
use serde_json::{Map, Value};
use std::time::Duration;

pub fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Ir(IrCommand::Check { file, previous }) => ir_check(&file, previous.as_deref()),
        Command::Ir(IrCommand::Fmt { file, check }) => ir_fmt(&file, check),
        Command::Ir(IrCommand::Graph { file, format }) => ir_graph(&file, format),
        Command::Ir(IrCommand::Export { config }) => crate::generate::ir_export(&config),
        Command::Generate { config, check } => crate::generate::generate(&config, check),
        Command::Invalidate {
            file,
            function,
            args,
            result,
        } => invalidate(&file, &function, &args, result.as_deref()),
        Command::CacheKey(args) => cache_key(args),
        Command::Cache(CacheCommand::Explain(a)) => {
            let (_, parsed) = load_checked(&a.file)?;
            let against_params = (!a.against_params.is_empty()).then_some(a.against_params);
            crate::cache::explain(
                &parsed.ir,
                crate::cache::ExplainArgs {
                    secret: a.request.secret,
                    context: a.request.context,
                    params: a.request.params,
                    user: a.request.user,
                    rev: a.rev,
                    against_params,
                    against_user: a.against_user,
                    against_rev: a.against_rev,
                    json: a.json,
                },
            )
        }
        Command::Header(HeaderCommand::Format { json }) => header_format(&json),
        Command::Header(HeaderCommand::Parse { value }) => header_parse(&value),
        Command::Mwt(MwtCommand::Mint {
            secret,
            sub,
            kid,
            aud,
            ttl,
            staff,
            superuser,
            perms,
        }) => {
            let ring = ring(&secret, kid.as_deref())?;
            let req = MintRequest {
                sub,
                staff,
                superuser,
                perms,
                aud,
                ttl: Duration::from_secs(ttl),
                kid,
            };
            let token = mint(&ring, &req, unix_now()).map_err(|e| Failure::Usage(e.to_string()))?;
            println!("{token}");
            Ok(())
        }
        Command::Mwt(MwtCommand::Verify {
            secret,
            kid,
            aud,
            token,
        }) => {
            let ring = ring(&secret, kid.as_deref())?;
            let claims = verify(&ring, token.trim(), &aud, unix_now())
                .map_err(|reason| Failure::Rejected(Some(format!("invalid token: {reason}"))))?;
            println!("{}", serde_json::to_string(&claims).unwrap_or_default());
            Ok(())
        }
        Command::Manifest { file, base_url } => {
            let (_, parsed) = load_checked(&file)?;
            print!("{}", manifest::to_text(&manifest::build(&parsed.ir, &base_url)));
            Ok(())
        }
    }
}

fn ring(secret: &str, kid: Option<&str>) -> Result<KeyRing, Failure> {
    if secret.is_empty() {
        return Err(Failure::Usage("the secret is empty".into()));
    }
    let mut ring = KeyRing::new();
    ring.insert(kid.unwrap_or(mizan_core::mwt::DEFAULT_KID), secret);
    Ok(ring)
}

/// `FILE:LINE:COL: severity[code]: message`.
fn render(file: &InputFile, d: &Diagnostic) -> String {
    match d.location {
        Some(loc) => format!(
            "{}:{}:{}: {}[{}]: {}",
            file.display, loc.line, loc.column, d.severity, d.code, d.message
        ),
        None => format!("{}: {}[{}]: {}", file.display, d.severity, d.code, d.message),
    }
}

/// Reads and parses; a parse error is printed in the diagnostic format.
fn load(path: &str) -> Result<(InputFile, ParsedIr), Failure> {
    let file = read_file(path)?;
    match parse_with_locations(&file.text) {
        Ok(parsed) => Ok((file, parsed)),
        Err(e) => {
            let mut msg = format!(
                "{}:{}:{}: error[{}]: {}",
                file.display, e.line, e.column, e.code, e.message
            );
            if let Some(help) = &e.help {
                msg.push_str(&format!(" (help: {help})"));
            }
            Err(Failure::Rejected(Some(msg)))
        }
    }
}

/// Reads, parses and checks; prints warnings, refuses on errors.
fn load_checked(path: &str) -> Result<(InputFile, ParsedIr), Failure> {
    let (file, parsed) = load(path)?;
    let diagnostics = check_parsed(&parsed, &file.text);
    for d in &diagnostics {
        eprintln!("{}", render(&file, d));
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        return Err(Failure::Rejected(Some(format!(
            "{}: {errors} error(s); fix them first (`mizan ir check`)",
            file.display
        ))));
    }
    Ok((file, parsed))
}

fn ir_check(path: &str, previous: Option<&str>) -> Result<(), Failure> {
    let (file, parsed) = load(path)?;
    if let Some(old) = previous {
        let (_, old) = load(old)?;
        for line in crate::cache::fingerprint_report(&old.ir, &parsed.ir) {
            eprintln!("{line}");
        }
    }
    let diagnostics = check_parsed(&parsed, &file.text);
    for d in &diagnostics {
        eprintln!("{}", render(&file, d));
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        let warnings = diagnostics.len() - errors;
        return Err(Failure::Rejected(Some(format!(
            "{}: {errors} error(s), {warnings} warning(s)",
            file.display
        ))));
    }
    let ir = &parsed.ir;
    println!(
        "ok: {} functions, {} contexts, {} types",
        ir.functions.len(),
        ir.contexts.len(),
        ir.types.len()
    );
    Ok(())
}

fn ir_fmt(path: &str, check: bool) -> Result<(), Failure> {
    let (file, parsed) = load(path)?;
    let canonical = emit(&parsed.ir);
    if !check {
        print!("{canonical}");
        return Ok(());
    }
    if canonical == file.text {
        return Ok(());
    }
    let line = file
        .text
        .lines()
        .zip(canonical.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| file.text.lines().count().min(canonical.lines().count()))
        + 1;
    Err(Failure::Rejected(Some(format!(
        "{}:{line}: not canonical (first difference on this line; run `mizan ir fmt` to see the canonical text)",
        file.display
    ))))
}

fn ir_graph(path: &str, format: GraphFormat) -> Result<(), Failure> {
    let (_, parsed) = load(path)?;
    let graph = InvalidationGraph::build(&parsed.ir);
    match format {
        GraphFormat::Dot => print!("{}", graph.to_dot()),
        GraphFormat::Json => println!("{}", serde_json::to_string_pretty(&graph.to_json()).unwrap_or_default()),
        GraphFormat::Mermaid => print!("{}", graph.to_mermaid(&parsed.ir)),
    }
    Ok(())
}

fn invalidate(path: &str, function: &str, args: &str, result: Option<&str>) -> Result<(), Failure> {
    let args: Map<String, Value> = match json_arg("--args", args)? {
        Value::Object(map) => map,
        other => return Err(Failure::Usage(format!("--args must be a JSON object, got {other}"))),
    };
    let result = match result {
        Some(text) => json_arg("--result", text)?,
        None => Value::Null,
    };
    let (file, parsed) = load_checked(path)?;
    let resolution = invalidation::resolve(&parsed.ir, function, &args, &result)
        .map_err(|_| Failure::Usage(format!("{} defines no function `{function}`", file.display)))?;
    println!("{}", serde_json::to_string(&resolution).unwrap_or_default());
    Ok(())
}

fn cache_key(a: CacheKeyArgs) -> Result<(), Failure> {
    if a.request.secret.is_empty() {
        return Err(Failure::Usage("the cache secret is empty".into()));
    }
    let params = crate::cache::parse_params(&a.request.params)?;
    let keyer = CacheKeyer::new(a.request.secret.as_bytes());
    if a.show_message {
        println!(
            "{}",
            keyer.message(&a.request.context, &params, a.request.user.as_deref(), a.rev)
        );
    }
    println!(
        "{}",
        keyer.key(&a.request.context, &params, a.request.user.as_deref(), a.rev)
    );
    Ok(())
}

fn header_format(json: &str) -> Result<(), Failure> {
    let entries: Vec<Invalidation> = serde_json::from_value(json_arg("the invalidate list", json)?).map_err(|e| {
        Failure::Usage(format!(
            "expected a list of context names or {{\"context\", \"function\"?, \"params\"?}} objects: {e}"
        ))
    })?;
    println!("{}", header::format(&entries));
    Ok(())
}

fn header_parse(value: &str) -> Result<(), Failure> {
    let entries = header::parse(value).map_err(|e| Failure::Rejected(Some(format!("error: {e}"))))?;
    println!("{}", serde_json::to_string(&entries).unwrap_or_default());
    Ok(())
}
