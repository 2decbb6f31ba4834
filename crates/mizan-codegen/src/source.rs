//! Obtaining the IR: read a KDL file or run the configured command, then
//! parse and check it.
//!
//! Commands run with stdin closed; their stdout is the IR text and their
//! stderr is shown verbatim (trimmed to its last lines) when they fail.
//! Both are bounded, so a command printing without end cannot exhaust
//! memory: stdout may hold at most [`STDOUT_LIMIT`] bytes (the command is
//! stopped beyond it), of stderr only the last [`STDERR_TAIL_BYTES`] are
//! kept, lines cut to [`LINE_LIMIT`] bytes. This module never writes files.

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use mizan_core::check::{Diagnostic, check_parsed};
use mizan_core::ir::{Ir, parse_with_locations};

use crate::config::Source;
use crate::error::{Error, Result};

/// How many trailing stderr lines of a failed command are kept.
const STDERR_LINES: usize = 30;

/// The most a source command may print on stdout, the IR itself: 64 MiB,
/// about nine times the 2,000-function test IR. Beyond it the command is
/// stopped and the load fails ([`too_much_output`]).
pub const STDOUT_LIMIT: usize = 64 << 20;

/// How much of a source command's stderr is kept: its last 64 KiB.
pub const STDERR_TAIL_BYTES: usize = 64 << 10;

/// Longest stderr line kept (in bytes); longer ones are cut and end in `…`.
pub const LINE_LIMIT: usize = 4096;

/// The message when a command printed more than [`STDOUT_LIMIT`].
pub fn too_much_output() -> String {
    format!(
        "the IR command printed more than {} MiB on stdout and was stopped; it should print the IR and nothing else",
        STDOUT_LIMIT >> 20
    )
}

/// A command's stderr as it arrives: the last [`STDERR_TAIL_BYTES`] bytes
/// (for [`failure_message`]) and its complete lines, each cut to
/// [`LINE_LIMIT`] bytes (what the studio streams).
#[derive(Debug, Default)]
pub struct StderrTail {
    tail: VecDeque<u8>,
    dropped: bool,
    line: Vec<u8>,
    line_cut: bool,
}

impl StderrTail {
    /// Takes `chunk`, returns the lines it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        self.tail.extend(chunk);
        if self.tail.len() > STDERR_TAIL_BYTES {
            let excess = self.tail.len() - STDERR_TAIL_BYTES;
            self.tail.drain(..excess);
            self.dropped = true;
        }
        let mut lines = Vec::new();
        for &b in chunk {
            if b == b'\n' {
                lines.push(self.take_line());
            } else if self.line.len() < LINE_LIMIT {
                self.line.push(b);
            } else {
                self.line_cut = true;
            }
        }
        lines
    }

    /// The last line, if the stream did not end with a newline.
    pub fn finish(&mut self) -> Option<String> {
        (!self.line.is_empty() || self.line_cut).then(|| self.take_line())
    }

    /// The kept bytes (the start of the stream is gone if it was longer).
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.tail.len() + 4);
        if self.dropped {
            out.extend_from_slice("…".as_bytes());
        }
        out.extend(self.tail.iter());
        out
    }

    fn take_line(&mut self) -> String {
        let line = cut_line(&String::from_utf8_lossy(&self.line), self.line_cut);
        self.line.clear();
        self.line_cut = false;
        line
    }
}

/// `line` within [`LINE_LIMIT`] bytes, ending in `…` when cut (or when it
/// was cut before).
fn cut_line(line: &str, cut_before: bool) -> String {
    if line.len() <= LINE_LIMIT && !cut_before {
        return line.to_string();
    }
    let mut end = line.len().min(LINE_LIMIT - "…".len());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}

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
    let lines: Vec<String> = stderr.trim_end().lines().map(|l| cut_line(l, false)).collect();
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

/// Runs `cmd`, returning its stdout; a spawn failure, a non-zero exit,
/// more than [`STDOUT_LIMIT`] bytes or non-UTF-8 output is an
/// [`Error::Source`] carrying the command's stderr (its tail).
fn run(source: &Source, mut cmd: Command) -> Result<String> {
    let fail = |message: String| Error::Source {
        source_desc: source.describe(),
        message,
    };
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run it: {e}")))?;
    let stderr = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut tail = StderrTail::default();
            let mut buf = [0u8; 8192];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                tail.push(&buf[..n]);
            }
            tail.bytes()
        })
    });
    let mut out = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        // One byte more than allowed tells "exactly the limit" from "more".
        let read = stdout.take(STDOUT_LIMIT as u64 + 1).read_to_end(&mut out);
        if out.len() > STDOUT_LIMIT {
            // Stopped; its stderr reader ends when the pipe closes (not
            // awaited: a grandchild may still hold it).
            let _ = child.kill();
            let _ = child.wait();
            return Err(fail(too_much_output()));
        }
        read.map_err(|e| fail(format!("cannot read its output: {e}")))?;
    }
    let status = child.wait().map_err(|e| fail(format!("cannot wait for it: {e}")))?;
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if !status.success() {
        return Err(fail(failure_message(status, &stderr)));
    }
    String::from_utf8(out).map_err(|_| fail("printed output that is not UTF-8".into()))
}
