//! Mizan Studio: the desktop app (SPEC §11).
//!
//! A thin shell: the Tauri builder, the `mizan-tauri` plugin serving the
//! studio's backend functions, the window. The same functions are served
//! over HTTP in web mode.
//!
//! ```text
//! mizan-studio [PROJECT_DIR]                 the window
//! mizan-studio --web 127.0.0.1:PORT [DIR]    web mode (loopback only unless --public)
//! mizan-studio --print-ir                    the studio's own canonical IR
//! ```

// Prevents an additional console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod web;

use mizan::{Extensions, Registry};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// What the command line asked for.
#[derive(Debug, PartialEq)]
enum Mode {
    Window { project: Option<PathBuf> },
    Web { addr: SocketAddr, project: Option<PathBuf> },
    PrintIr,
}

const USAGE: &str = "usage: mizan-studio [PROJECT_DIR] | --web ADDR [--public] [PROJECT_DIR] | --print-ir";

fn parse(args: impl IntoIterator<Item = String>) -> Result<Mode, String> {
    let mut web: Option<String> = None;
    let mut public = false;
    let mut print_ir = false;
    let mut project: Option<PathBuf> = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--web" => web = Some(args.next().ok_or("--web needs an address such as 127.0.0.1:7766")?),
            "--public" => public = true,
            "--print-ir" => print_ir = true,
            "-h" | "--help" => return Err(USAGE.into()),
            flag if flag.starts_with('-') => return Err(format!("unknown option `{flag}` ({USAGE})")),
            dir if project.is_none() => project = Some(PathBuf::from(dir)),
            extra => return Err(format!("unexpected argument `{extra}` ({USAGE})")),
        }
    }
    if print_ir {
        return Ok(Mode::PrintIr);
    }
    match web {
        None if public => Err("--public only goes with --web".into()),
        None => Ok(Mode::Window { project }),
        Some(text) => {
            let addr: SocketAddr = text
                .parse()
                .map_err(|_| format!("--web expects HOST:PORT with an IP address, got `{text}`"))?;
            if !addr.ip().is_loopback() && !public {
                return Err(format!(
                    "{addr} is not a loopback address: the studio reads and writes your project, so it only \
                     listens on 127.0.0.1 / ::1 unless you add --public"
                ));
            }
            Ok(Mode::Web { addr, project })
        }
    }
}

fn registry() -> anyhow::Result<Arc<Registry>> {
    Ok(Arc::new(Registry::from_linked()?))
}

fn main() {
    let mode = match parse(std::env::args().skip(1)) {
        Ok(mode) => mode,
        Err(message) => {
            eprintln!("mizan-studio: {message}");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(mode) {
        eprintln!("mizan-studio: {error:#}");
        std::process::exit(1);
    }
}

fn run(mode: Mode) -> anyhow::Result<()> {
    match mode {
        Mode::PrintIr => {
            print!("{}", registry()?.ir_text());
            Ok(())
        }
        Mode::Web { addr, project: _ } => {
            let mut context = tauri::generate_context!();
            let ui = web::ui_assets(&mut context);
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(web::serve(addr, registry()?, Arc::new(Extensions::new()), ui))
        }
        Mode::Window { project: _ } => {
            let plugin = mizan_tauri::Builder::new().registry(registry()?).build();
            tauri::Builder::default()
                .plugin(plugin)
                .run(tauri::generate_context!())
                .map_err(Into::into)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Mode, String> {
        parse(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn the_command_line() {
        assert_eq!(args(&[]), Ok(Mode::Window { project: None }));
        assert_eq!(
            args(&["p"]),
            Ok(Mode::Window {
                project: Some("p".into())
            })
        );
        assert_eq!(args(&["--print-ir"]), Ok(Mode::PrintIr));
        assert_eq!(
            args(&["--web", "127.0.0.1:7766", "p"]),
            Ok(Mode::Web {
                addr: "127.0.0.1:7766".parse().unwrap(),
                project: Some("p".into())
            })
        );
        assert!(
            args(&["--web", "0.0.0.0:1"])
                .unwrap_err()
                .contains("not a loopback address")
        );
        assert!(args(&["--web", "0.0.0.0:1", "--public"]).is_ok());
        assert!(args(&["--web", "localhost:1"]).unwrap_err().contains("HOST:PORT"));
        assert!(args(&["--web"]).is_err());
        assert!(args(&["--frob"]).unwrap_err().contains("unknown option"));
        assert!(args(&["a", "b"]).unwrap_err().contains("unexpected argument"));
    }
}
