//! Obtaining the IR: read a KDL file or run the configured command, then
//! parse and check it.
//!
//! Commands run with stdin closed; their stdout is the IR text and their
//! stderr is shown verbatim (trimmed to its last lines) when they fail. This
//! module never writes files.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use mizan_core::check::{Diagnostic, check_parsed};
use mizan_core::ir::{Ir, parse_with_locations};

use crate::config::Source;
use crate::error::{Error, Result};

/// How many trailing stderr lines of a failed command are kept.
const STDERR_LINES: usize = 30;

/// A parsed IR that passed the graph checks.
#[derive(Debug, Clone)]
pub struct LoadedIr {
    /// The IR (canonical: sorted as the parser leaves it).
    pub ir: Ir,
    /// Warnings, one rendered line each (`SOURCE:LINE:COL: warning[code]: ...`).
    pub warnings: Vec<String>,
}

/// Reads the IR text of `source` (nothing is parsed yet).
pub fn read_text(source: &Source) -> Result<String> {
    match command(source)? {
        None => match source {
            Source::Kdl(path) => std::fs::read_to_string(path).map_err(|e| Error::Source {
                source_desc: source.describe(),
                message: e.to_string(),
            }),
            _ => unreachable!("only kdl sources have no command"),
        },
        Some(cmd) => run(source, cmd),
    }
}

/// The command that prints the IR of `source` (`None` for a KDL file),
/// configured (arguments, folder, environment) but not started, so a caller
/// that must stream its output or cancel it (the studio) runs it itself
/// under the same conventions. Pass its exit status and stderr to
/// [`failure_message`] to report a failure the way [`read_text`] does.
pub fn command(source: &Source) -> Result<Option<Command>> {
    let cmd = match source {
        Source::Kdl(_) => return Ok(None),
        Source::Command { argv, cwd, env } => {
            let mut cmd = Command::new(&argv[0]);
            cmd.args(&argv[1..]).current_dir(cwd).envs(env);
            cmd
        }
        Source::Cargo {
            manifest_path,
            bin,
            package,
        } => {
            // Absolute, so it stays right once the command runs in the
            // backend's folder (where its `.cargo/config.toml` applies).
            let manifest_path = std::path::absolute(manifest_path).map_err(|e| Error::Source {
                source_desc: source.describe(),
                message: e.to_string(),
            })?;
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.args(["run", "--quiet", "--manifest-path"])
                .arg(&manifest_path)
                .args(["--bin", bin]);
            if let Some(p) = package {
                cmd.args(["--package", p]);
            }
            if let Some(dir) = manifest_path.parent().filter(|d| !d.as_os_str().is_empty()) {
                cmd.current_dir(dir);
            }
            cmd
        }
        Source::Django { manage_path, command } => {
            let mut cmd = Command::new(&command[0]);
            let file = manage_path.file_name().map(Path::new).unwrap_or(manage_path.as_path());
            cmd.args(&command[1..]).arg(file).arg("export_mizan_ir");
            if let Some(dir) = manage_path.parent().filter(|d| !d.as_os_str().is_empty()) {
                cmd.current_dir(dir);
            }
            cmd
        }
        Source::Fastapi { module, cwd, command } => {
            let mut cmd = Command::new(&command[0]);
            cmd.args(&command[1..])
                .args(["-m", "mizan_fastapi", "export-ir", module])
                .current_dir(cwd);
            cmd
        }
    };
    Ok(Some(cmd))
}

/// The message of a failed source command: its exit status and the last
/// lines of its stderr.
pub fn failure_message(status: ExitStatus, stderr: &[u8]) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    let tail = &lines[lines.len().saturating_sub(STDERR_LINES)..];
    let status = match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => "was killed by a signal".to_string(),
    };
    if tail.is_empty() {
        format!("{status} (no stderr)")
    } else {
        format!("{status}; stderr:\n{}", tail.join("\n"))
    }
}

/// Reads, parses and checks the IR of `source`. Check errors fail; warnings
/// are returned for the caller to print.
pub fn load(source: &Source) -> Result<LoadedIr> {
    let text = read_text(source)?;
    parse_checked(&source.describe(), &text)
}

/// Parses and checks IR `text` that came from `desc`.
pub fn parse_checked(desc: &str, text: &str) -> Result<LoadedIr> {
    let parsed = parse_with_locations(text).map_err(|e| Error::IrParse {
        source_desc: desc.to_string(),
        message: format!("{}:{}: {} [{}]", e.line, e.column, e.message, e.code),
    })?;
    let diagnostics = check_parsed(&parsed, text);
    let (errors, warnings): (Vec<&Diagnostic>, Vec<&Diagnostic>) = diagnostics.iter().partition(|d| d.is_error());
    if !errors.is_empty() {
        return Err(Error::IrCheck {
            source_desc: desc.to_string(),
            diagnostics: errors.iter().map(|d| render(desc, d)).collect::<Vec<_>>().join("\n"),
        });
    }
    Ok(LoadedIr {
        ir: parsed.ir,
        warnings: warnings.iter().map(|d| render(desc, d)).collect(),
    })
}

/// `SOURCE:LINE:COL: severity[code]: message`.
fn render(desc: &str, d: &Diagnostic) -> String {
    match d.location {
        Some(loc) => format!(
            "{desc}:{}:{}: {}[{}]: {}",
            loc.line, loc.column, d.severity, d.code, d.message
        ),
        None => format!("{desc}: {}[{}]: {}", d.severity, d.code, d.message),
    }
}

/// Runs `cmd`, returning its stdout; a spawn failure, a non-zero exit or
/// non-UTF-8 output is an [`Error::Source`] carrying the command's stderr.
fn run(source: &Source, mut cmd: Command) -> Result<String> {
    let fail = |message: String| Error::Source {
        source_desc: source.describe(),
        message,
    };
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| fail(format!("cannot run it: {e}")))?;
    if !out.status.success() {
        return Err(fail(failure_message(out.status, &out.stderr)));
    }
    String::from_utf8(out.stdout).map_err(|_| fail("printed output that is not UTF-8".into()))
}
