//! `mizan`: the command line over `mizan-core`.
//!
//! Exit codes: 0 success; 1 the input was processed and found wanting (IR
//! errors, a non-canonical file under `--check`, a rejected token, a
//! malformed header); 2 the command itself was wrong (unknown flag, bad JSON
//! in an argument, unreadable file, unknown function) — always with a
//! one-line message on stderr, never a panic.

mod cache;
mod commands;
mod generate;
mod input;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// Mizan: typed server functions whose clients invalidate themselves.
#[derive(Parser, Debug)]
#[command(name = "mizan", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check, format or graph an IR file.
    #[command(subcommand)]
    Ir(IrCommand),
    /// Print what a successful mutation call invalidates and merges.
    Invalidate {
        /// IR file (`-` for stdin).
        file: String,
        /// The function called.
        #[arg(long = "fn", value_name = "NAME")]
        function: String,
        /// Its arguments, a JSON object.
        #[arg(long, value_name = "JSON")]
        args: String,
        /// Its result (JSON; default null), used for merge values.
        #[arg(long, value_name = "JSON")]
        result: Option<String>,
    },
    /// Derive an origin-cache key (SPEC §6).
    CacheKey(CacheKeyArgs),
    /// Explain the origin cache from an IR.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Format or parse an `X-Mizan-Invalidate` header value.
    #[command(subcommand)]
    Header(HeaderCommand),
    /// Mint or verify an MWT token.
    #[command(subcommand)]
    Mwt(MwtCommand),
    /// Generate the clients configured in `mizan.toml`.
    Generate {
        /// The config file.
        #[arg(long, value_name = "PATH", default_value = generate::DEFAULT_CONFIG)]
        config: std::path::PathBuf,
        /// Write nothing; list what would change and exit 1 if anything would.
        #[arg(long)]
        check: bool,
    },
    /// Print the edge manifest of an IR file.
    Manifest {
        /// IR file (`-` for stdin).
        file: String,
        /// Mount point or URL prefix of the HTTP adapter.
        #[arg(long, value_name = "URL", default_value = mizan_core::manifest::DEFAULT_BASE)]
        base_url: String,
    },
}

#[derive(Subcommand, Debug)]
enum IrCommand {
    /// Parse and check; prints a summary, diagnostics go to stderr.
    Check {
        /// IR file (`-` for stdin).
        file: String,
        /// An earlier version of the IR: also report every context whose
        /// cache fingerprint changed, and what changed.
        #[arg(long, value_name = "OLD")]
        previous: Option<String>,
    },
    /// Print the canonical text.
    Fmt {
        /// IR file (`-` for stdin).
        file: String,
        /// Print nothing; exit 1 if the file is not canonical.
        #[arg(long)]
        check: bool,
    },
    /// Print the canonical IR of the source configured in `mizan.toml`.
    Export {
        /// The config file.
        #[arg(long, value_name = "PATH", default_value = generate::DEFAULT_CONFIG)]
        config: std::path::PathBuf,
    },
    /// Print the invalidation graph.
    Graph {
        /// IR file (`-` for stdin).
        file: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum GraphFormat {
    Dot,
    Json,
    /// A Mermaid flowchart (for pull requests and Markdown).
    Mermaid,
}

/// What identifies one context request's cache entry (shared by
/// `cache-key` and `cache explain`).
#[derive(Args, Debug)]
struct KeyRequestArgs {
    /// Cache secret (for real use set MIZAN_CACHE_SECRET instead: arguments
    /// show up in process lists and shell history).
    #[arg(long, env = "MIZAN_CACHE_SECRET", hide_env_values = true)]
    secret: String,
    /// Context name.
    #[arg(long)]
    context: String,
    /// A context param as KEY=VALUE (value taken as a string; repeatable).
    #[arg(long = "param", value_name = "K=V")]
    params: Vec<String>,
    /// Authenticated principal's id (omit for anonymous).
    #[arg(long)]
    user: Option<String>,
}

#[derive(Args, Debug)]
struct CacheKeyArgs {
    #[command(flatten)]
    request: KeyRequestArgs,
    /// Effective rev of the context.
    #[arg(long, default_value_t = 0)]
    rev: u64,
    /// Print the canonical message on the line before the key.
    #[arg(long)]
    show_message: bool,
}

#[derive(Subcommand, Debug)]
enum CacheCommand {
    /// For one request: the policy and why, the canonical message, the key,
    /// the instance; with `--against-*`, every component that differs.
    Explain(CacheExplainArgs),
}

#[derive(Args, Debug)]
struct CacheExplainArgs {
    /// IR file (`-` for stdin).
    file: String,
    #[command(flatten)]
    request: KeyRequestArgs,
    /// A rev other than the IR's effective one.
    #[arg(long)]
    rev: Option<u64>,
    /// Compare with a request with these params instead (repeatable).
    #[arg(long = "against-param", value_name = "K=V")]
    against_params: Vec<String>,
    /// Compare with a request by this user.
    #[arg(long)]
    against_user: Option<String>,
    /// Compare with a request at this rev.
    #[arg(long)]
    against_rev: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum HeaderCommand {
    /// JSON invalidate list → header value.
    Format {
        /// The invalidate list as JSON.
        json: String,
    },
    /// Header value → invalidate list as JSON (param values as strings).
    Parse {
        /// The header value.
        value: String,
    },
}

#[derive(Subcommand, Debug)]
enum MwtCommand {
    /// Mint a token and print it.
    Mint {
        /// MWT secret (for real use set MIZAN_MWT_SECRET instead).
        #[arg(long, env = "MIZAN_MWT_SECRET", hide_env_values = true)]
        secret: String,
        /// User id (`sub`).
        #[arg(long)]
        sub: String,
        /// Key id for the JOSE header (the secret is that key's).
        #[arg(long)]
        kid: Option<String>,
        /// Audience.
        #[arg(long, default_value = mizan_core::mwt::DEFAULT_AUDIENCE)]
        aud: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 300)]
        ttl: u64,
        /// Staff principal.
        #[arg(long)]
        staff: bool,
        /// Superuser principal.
        #[arg(long)]
        superuser: bool,
        /// A named permission (repeatable).
        #[arg(long = "perm", value_name = "P")]
        perms: Vec<String>,
    },
    /// Verify a token; prints its claims as JSON.
    Verify {
        /// MWT secret (for real use set MIZAN_MWT_SECRET instead).
        #[arg(long, env = "MIZAN_MWT_SECRET", hide_env_values = true)]
        secret: String,
        /// The key id the secret belongs to (default: `default`).
        #[arg(long)]
        kid: Option<String>,
        /// Expected audience.
        #[arg(long, default_value = mizan_core::mwt::DEFAULT_AUDIENCE)]
        aud: String,
        /// The token.
        token: String,
    },
}

/// How a command failed.
enum Failure {
    /// The command line was wrong: exit 2.
    Usage(String),
    /// The input was checked and found wanting: exit 1. The message (if
    /// any) has not been printed yet.
    Rejected(Option<String>),
}

fn main() -> ExitCode {
    // `mizan ir graph big.kdl | head` must end quietly when `head` closes
    // the pipe, like any Unix tool, not panic in `print!`.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of one signal at startup,
    // before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // clap renders several lines (usage, hints); keep the first.
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments");
            eprintln!("{first} (see `mizan --help`)");
            return ExitCode::from(2);
        }
    };
    match commands::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Rejected(msg)) => {
            if let Some(msg) = msg {
                eprintln!("{msg}");
            }
            ExitCode::from(1)
        }
    }
}
