//! `mizan.toml`: where generated files go, which targets, and where the IR
//! comes from.
//!
//! ```toml
//! output = "src/api"                 # relative to this file, inside its folder
//! # allow_output_outside = true      # optional: let `output` leave the project folder
//! targets = ["ts", "react"]
//! base_url = "/api/mizan"            # optional: default HTTP base / manifest endpoints
//! [source]                           # exactly one of:
//! kdl = "../fixtures/afi/afi.kdl"
//! # command = ["python", "manage.py", "export_mizan_ir"]   (+ optional cwd, env)
//! # cargo = { manifest_path = "app/Cargo.toml", bin = "emit-ir" }
//! # django = { manage_path = "backend/manage.py", command = ["uv", "run", "python"] }
//! # fastapi = { module = "main", cwd = "backend", command = ["python"] }
//! [cache]                            # optional: what the server's origin cache is told
//! max_ttl = 604800                   # seconds; MizanStateBuilder::cache_options' max_ttl (default 7 days)
//! ```
//!
//! `[cache]` does not change generated code: it tells the studio and
//! `mizan cache explain` the cap the server puts on every cached entry's
//! TTL, so the decisions they show are the server's.
//!
//! Unknown keys are errors (`deny_unknown_fields`); relative paths are
//! resolved against the directory of the config file. `output` must stay
//! inside that folder (the project) unless `allow_output_outside = true`:
//! `/`, `..` escapes and absolute paths elsewhere are refused with the
//! line of `output`. This check is lexical; the writer repeats it on the
//! resolved path (a folder on the way may be a link). This module only
//! reads the config file; it never runs anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::targets::Target;

/// Default HTTP mount of a Mizan backend.
pub const DEFAULT_BASE_URL: &str = "/api/mizan";

/// A loaded, validated `mizan.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The config file itself.
    pub path: PathBuf,
    /// Directory of the config file; relative paths are resolved here.
    pub root: PathBuf,
    /// Absolute (root-joined) output directory.
    pub output: PathBuf,
    /// The line of `output` in the config file (for messages).
    pub output_line: usize,
    /// `allow_output_outside = true`: `output` may leave the project folder.
    pub allow_output_outside: bool,
    /// Targets to generate, de-duplicated, in [`Target::ALL`] order. The
    /// framework targets (`react`, `vue`, `svelte`) imply `ts`; `leptos`
    /// includes `rust` (which is then dropped).
    pub targets: Vec<Target>,
    /// HTTP base the generated clients default to and the manifest lists.
    pub base_url: String,
    /// Where the IR comes from.
    pub source: Source,
    /// The server's origin-cache options, as `[cache]` states them.
    pub cache: mizan_core::cache::CacheOptions,
}

/// Where the IR text comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A KDL file.
    Kdl(PathBuf),
    /// Any command printing the IR on stdout.
    Command {
        /// Program and arguments.
        argv: Vec<String>,
        /// Working directory (default: the config's directory).
        cwd: PathBuf,
        /// Extra environment variables.
        env: BTreeMap<String, String>,
    },
    /// A Rust backend's IR binary, run with `cargo run`.
    Cargo {
        /// The backend's `Cargo.toml`.
        manifest_path: PathBuf,
        /// The binary printing the IR.
        bin: String,
        /// The package, when the manifest is a workspace.
        package: Option<String>,
    },
    /// A Django project: `<command> manage.py export_mizan_ir`.
    Django {
        /// Path of `manage.py`.
        manage_path: PathBuf,
        /// The Python launcher (default `["python"]`).
        command: Vec<String>,
    },
    /// A FastAPI app: `<command> -m mizan_fastapi export-ir <module>`.
    Fastapi {
        /// The module holding the app (`main`, `app.main`).
        module: String,
        /// Working directory (default: the config's directory).
        cwd: PathBuf,
        /// The Python launcher (default `["python"]`).
        command: Vec<String>,
    },
}

impl Source {
    /// A short description for messages (`kdl file x.kdl`, `command python ...`).
    pub fn describe(&self) -> String {
        match self {
            Source::Kdl(p) => format!("kdl file {}", p.display()),
            Source::Command { argv, .. } => format!("command `{}`", argv.join(" ")),
            Source::Cargo { manifest_path, bin, .. } => {
                format!("cargo bin `{bin}` of {}", manifest_path.display())
            }
            Source::Django { manage_path, .. } => format!("django {}", manage_path.display()),
            Source::Fastapi { module, .. } => format!("fastapi module `{module}`"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    output: toml::Spanned<PathBuf>,
    #[serde(default)]
    allow_output_outside: bool,
    targets: Vec<String>,
    #[serde(default)]
    base_url: Option<String>,
    source: RawSource,
    #[serde(default)]
    cache: Option<RawCache>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    /// Seconds.
    max_ttl: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    kdl: Option<PathBuf>,
    command: Option<Vec<String>>,
    cwd: Option<PathBuf>,
    env: Option<BTreeMap<String, String>>,
    cargo: Option<RawCargo>,
    django: Option<RawDjango>,
    fastapi: Option<RawFastapi>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCargo {
    manifest_path: PathBuf,
    bin: String,
    package: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDjango {
    manage_path: PathBuf,
    command: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFastapi {
    module: String,
    cwd: Option<PathBuf>,
    command: Option<Vec<String>>,
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Validates config `text` as if read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let invalid = |message: String| Error::ConfigInvalid {
            path: path.to_path_buf(),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| invalid(one_line(&e.to_string())))?;
        let root = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let output_line = text[..raw.output.span().start.min(text.len())].matches('\n').count() + 1;
        let raw_output = raw.output.into_inner();
        if raw_output.as_os_str().is_empty() {
            return Err(invalid("`output` is empty".into()));
        }
        let output = root.join(&raw_output);
        if !raw.allow_output_outside && !lexically_inside(&output, &root) {
            return Err(Error::OutputOutside {
                config: path.to_path_buf(),
                line: output_line,
                output: raw_output,
                root,
                resolved: None,
            });
        }
        if raw.targets.is_empty() {
            return Err(invalid("`targets` is empty; name at least one target".into()));
        }
        let mut targets = Vec::new();
        for name in &raw.targets {
            let t = Target::from_name(name).map_err(|e| invalid(e.to_string()))?;
            targets.push(t);
            if matches!(t, Target::React | Target::Vue | Target::Svelte) {
                targets.push(Target::Ts);
            }
        }
        targets.sort();
        targets.dedup();
        // `leptos` generates the `rust` target's files plus its hooks.
        if targets.contains(&Target::Leptos) {
            targets.retain(|t| *t != Target::Rust);
        }
        let base_url = raw.base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let source = source(&root, raw.source).map_err(invalid)?;
        let mut cache = mizan_core::cache::CacheOptions::default();
        if let Some(c) = raw.cache {
            if c.max_ttl == 0 {
                return Err(invalid("`cache.max_ttl` must be at least 1 second".into()));
            }
            cache.max_ttl = std::time::Duration::from_secs(c.max_ttl);
        }
        Ok(Config {
            path: path.to_path_buf(),
            output,
            output_line,
            allow_output_outside: raw.allow_output_outside,
            root,
            targets,
            base_url,
            source,
            cache,
        })
    }
}

fn source(root: &Path, raw: RawSource) -> Result<Source, String> {
    let given: Vec<&str> = [
        ("kdl", raw.kdl.is_some()),
        ("command", raw.command.is_some()),
        ("cargo", raw.cargo.is_some()),
        ("django", raw.django.is_some()),
        ("fastapi", raw.fastapi.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    if given.len() != 1 {
        return Err(format!(
            "[source] needs exactly one of kdl, command, cargo, django, fastapi (found {})",
            if given.is_empty() {
                "none".to_string()
            } else {
                given.join(", ")
            }
        ));
    }
    if given[0] != "command" && (raw.cwd.is_some() || raw.env.is_some()) {
        return Err("[source] `cwd` and `env` only apply to `command`".into());
    }
    let launcher = |cmd: Option<Vec<String>>, what: &str| -> Result<Vec<String>, String> {
        match cmd {
            None => Ok(vec!["python".to_string()]),
            Some(c) if c.is_empty() || c[0].is_empty() => Err(format!("[source] {what}.command is empty")),
            Some(c) => Ok(c),
        }
    };
    if let Some(kdl) = raw.kdl {
        return Ok(Source::Kdl(root.join(kdl)));
    }
    if let Some(argv) = raw.command {
        if argv.is_empty() || argv[0].is_empty() {
            return Err("[source] command is empty".into());
        }
        return Ok(Source::Command {
            argv,
            cwd: raw.cwd.map_or_else(|| root.to_path_buf(), |c| root.join(c)),
            env: raw.env.unwrap_or_default(),
        });
    }
    if let Some(c) = raw.cargo {
        return Ok(Source::Cargo {
            manifest_path: root.join(c.manifest_path),
            bin: c.bin,
            package: c.package,
        });
    }
    if let Some(d) = raw.django {
        return Ok(Source::Django {
            manage_path: root.join(d.manage_path),
            command: launcher(d.command, "django")?,
        });
    }
    let f = raw.fastapi.ok_or("[source] is empty")?;
    Ok(Source::Fastapi {
        module: f.module,
        cwd: f.cwd.map_or_else(|| root.to_path_buf(), |c| root.join(c)),
        command: launcher(f.command, "fastapi")?,
    })
}

/// Whether `path` is `root` or below it once both are absolute and their
/// `.` / `..` components are resolved by name (no file-system access).
pub(crate) fn lexically_inside(path: &Path, root: &Path) -> bool {
    let absolute = |p: &Path| std::path::absolute(p).map(|p| normalize(&p));
    match (absolute(path), absolute(root)) {
        (Ok(p), Ok(r)) => p.starts_with(r),
        _ => false,
    }
}

/// `path` with `.` dropped and each `..` removing the component before it
/// (never above the root).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !matches!(
                    out.components().next_back(),
                    None | Some(Component::RootDir | Component::Prefix(_))
                ) {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// TOML errors render over several lines (with a source excerpt); keep
/// them readable on one line, without the excerpt.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| {
            let rest = l.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start();
            !l.is_empty() && !rest.starts_with('|')
        })
        .collect::<Vec<_>>()
        .join(": ")
}
