//! Mizan Studio: the desktop app (SPEC §11).
//!
//! A thin shell: the Tauri builder, the `mizan-tauri` plugin serving the
//! studio's backend functions, the window. The same functions are served
//! over HTTP in web mode.
//!
//! ```text
//! mizan-studio [PROJECT_DIR]                 the window
//! mizan-studio --web 127.0.0.1:PORT [DIR]    web mode (loopback only unless --public)
//!     [--token-file PATH] [--public [--allow-host NAME]...]
//! either one [--proxy BASE_URL]              also start the recording proxy (Traffic tab)
//! mizan-studio --print-ir                    the studio's own canonical IR
//! ```
//!
//! In the window, "Choose folder…" uses the native dialog and a folder (or
//! its `mizan.toml`) dropped on the window opens (`desktop.rs`).
//! `MIZAN_STUDIO_TIMING=1` prints start-up timings to stderr: the page
//! load and the UI's first paints, in milliseconds since `main` began
//! (`scripts/bench-studio` reads them).

// Prevents an additional console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod desktop;
mod web;

use mizan::{Extensions, Registry};
use mizan_studio_backend::{Studio, StudioOptions};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// What the command line asked for.
#[derive(Debug, PartialEq)]
enum Mode {
    Window {
        project: Option<PathBuf>,
        /// `--proxy`: the recording proxy's target.
        proxy: Option<String>,
    },
    Web {
        addr: SocketAddr,
        project: Option<PathBuf>,
        options: web::WebOptions,
    },
    PrintIr,
}

const USAGE: &str = "usage: mizan-studio [--proxy BASE_URL] [PROJECT_DIR] | --web ADDR [--token-file PATH] [--public [--allow-host NAME]...] \
                     [--proxy BASE_URL] [PROJECT_DIR] | --print-ir";

fn parse(args: impl IntoIterator<Item = String>) -> Result<Mode, String> {
    let mut web: Option<String> = None;
    let mut options = web::WebOptions::default();
    let mut print_ir = false;
    let mut project: Option<PathBuf> = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--web" => web = Some(args.next().ok_or("--web needs an address such as 127.0.0.1:7766")?),
            "--public" => options.public = true,
            "--allow-host" => options.allow_hosts.push(
                args.next()
                    .ok_or("--allow-host needs a host name such as mybox.local")?,
            ),
            "--token-file" => {
                options.token_file = Some(PathBuf::from(args.next().ok_or("--token-file needs a path")?));
            }
            "--proxy" => {
                let target = args
                    .next()
                    .ok_or("--proxy needs the backend's Mizan base URL, such as http://127.0.0.1:8000/api/mizan")?;
                mizan_studio_backend::live::environment::check_base_url(&target)
                    .map_err(|e| format!("--proxy: {e}"))?;
                options.proxy = Some(target);
            }
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
    if !options.allow_hosts.is_empty() && !options.public {
        return Err("--allow-host only goes with --public (a loopback studio answers to its loopback names)".into());
    }
    match web {
        None if (web::WebOptions {
            proxy: None,
            ..options.clone()
        }) != web::WebOptions::default() =>
        {
            Err("--public, --allow-host and --token-file only go with --web".into())
        }
        None => Ok(Mode::Window {
            project,
            proxy: options.proxy,
        }),
        Some(text) => {
            let addr: SocketAddr = text
                .parse()
                .map_err(|_| format!("--web expects HOST:PORT with an IP address, got `{text}`"))?;
            if !addr.ip().is_loopback() && !options.public {
                return Err(format!(
                    "{addr} is not a loopback address: the studio reads and writes your project, so it only \
                     listens on 127.0.0.1 / ::1 unless you add --public"
                ));
            }
            Ok(Mode::Web { addr, project, options })
        }
    }
}

fn registry() -> anyhow::Result<Arc<Registry>> {
    // The backend's functions reach the binary only through the linker's
    // distributed slices: keep them.
    mizan_studio_backend::link();
    Ok(Arc::new(Registry::from_linked()?))
}

/// Where the recent list and per-project settings persist:
/// `MIZAN_STUDIO_SETTINGS` (tests point it at a temp file), else
/// `$XDG_CONFIG_HOME/mizan-studio/settings.json` (`~/.config/...`).
fn settings_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MIZAN_STUDIO_SETTINGS") {
        return Some(PathBuf::from(path));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(config.join("mizan-studio").join("settings.json"))
}

/// When `main` began, if `MIZAN_STUDIO_TIMING` asks for timings.
fn timing(started: Instant) -> Option<Instant> {
    std::env::var_os("MIZAN_STUDIO_TIMING")
        .filter(|v| !v.is_empty() && v != "0")
        .map(|_| started)
}

/// The studio's state, attached to `registry` (its pushes go through the
/// registry's push hub), with `project` opened when given. Must run inside
/// a tokio runtime. A project that cannot be opened is reported and the
/// studio starts empty (the UI offers to open another).
async fn studio(registry: &Arc<Registry>, project: Option<&Path>, timing: Option<Instant>) -> Arc<Studio> {
    let studio = Studio::new(StudioOptions {
        settings_path: settings_path(),
        timing,
        ..StudioOptions::default()
    });
    studio.attach(registry);
    studio.warm_highlighter();
    if let Some(dir) = project
        && let Err(e) = studio.open(dir).await
    {
        eprintln!("mizan-studio: cannot open {}: {e}", dir.display());
    }
    studio
}

/// `--proxy`: starts the recording proxy and prints its line (the
/// contract: `Mizan Studio proxy: http://127.0.0.1:PORT/api/mizan -> TARGET`).
async fn start_proxy(studio: &Arc<Studio>, target: &str) -> anyhow::Result<()> {
    let proxy = studio
        .start_proxy(target)
        .await
        .map_err(|e| anyhow::anyhow!("--proxy: {e}"))?;
    println!("Mizan Studio proxy: {} -> {}", proxy.url, proxy.target);
    Ok(())
}

fn main() {
    let started = Instant::now();
    mizan_studio_backend::memory::limit_arenas();
    let mode = match parse(std::env::args().skip(1)) {
        Ok(mode) => mode,
        Err(message) => {
            eprintln!("mizan-studio: {message}");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(mode, timing(started)) {
        eprintln!("mizan-studio: {error:#}");
        std::process::exit(1);
    }
}

/// WebKitGTK composites through OpenGL; without a GPU (Xvfb, remote
/// desktops, many VMs) that loads Mesa's software renderer, about 80 MB of
/// the window's memory. The studio draws flat SVG and text, so it asks for
/// the plain renderer unless the user decided
/// (`WEBKIT_DISABLE_COMPOSITING_MODE=0` keeps GPU compositing).
fn prefer_plain_webkit_rendering() {
    if cfg!(target_os = "linux") && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // SAFETY: runs before Tauri, WebKit or any runtime starts a thread;
        // nothing reads the environment concurrently.
        unsafe { std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1") };
    }
}

fn run(mode: Mode, timing: Option<Instant>) -> anyhow::Result<()> {
    match mode {
        Mode::PrintIr => {
            print!("{}", registry()?.ir_text());
            Ok(())
        }
        Mode::Web { addr, project, options } => {
            let mut context = tauri::generate_context!();
            let ui = web::ui_assets(&mut context);
            let runtime = tokio::runtime::Runtime::new()?;
            let registry = registry()?;
            runtime.block_on(async {
                let mut extensions = Extensions::new();
                extensions.insert(studio(&registry, project.as_deref(), timing).await);
                web::serve(addr, options, registry, Arc::new(extensions), ui).await
            })
        }
        Mode::Window { project, proxy } => {
            prefer_plain_webkit_rendering();
            let registry = registry()?;
            // Tauri's own tokio runtime runs the watcher, the jobs and the
            // proxy.
            let studio = tauri::async_runtime::block_on(studio(&registry, project.as_deref(), timing));
            if let Some(target) = proxy {
                tauri::async_runtime::block_on(start_proxy(&studio, &target))?;
            }
            let picker = Arc::new(desktop::DialogPicker::default());
            studio.set_folder_picker(picker.clone());
            studio.accept_drops();
            let plugin = mizan_tauri::Builder::new()
                .registry(registry)
                .extension(studio.clone())
                .build();
            tauri::Builder::default()
                .plugin(plugin)
                .plugin(tauri_plugin_dialog::init())
                .setup(move |app| {
                    picker.attach(app.handle().clone());
                    desktop::exit_on_signal(app.handle().clone());
                    Ok(())
                })
                .on_window_event(move |_window, event| desktop::on_window_event(&studio, event))
                .on_page_load(move |_webview, payload| desktop::log_page_load(timing, payload.event()))
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
        assert_eq!(
            args(&[]),
            Ok(Mode::Window {
                project: None,
                proxy: None
            })
        );
        assert_eq!(
            args(&["p"]),
            Ok(Mode::Window {
                project: Some("p".into()),
                proxy: None,
            })
        );
        assert_eq!(
            args(&["--proxy", "http://127.0.0.1:8000/api/mizan", "p"]),
            Ok(Mode::Window {
                project: Some("p".into()),
                proxy: Some("http://127.0.0.1:8000/api/mizan".into()),
            })
        );
        assert_eq!(args(&["--print-ir"]), Ok(Mode::PrintIr));
        assert_eq!(
            args(&["--web", "127.0.0.1:7766", "p"]),
            Ok(Mode::Web {
                addr: "127.0.0.1:7766".parse().unwrap(),
                project: Some("p".into()),
                options: web::WebOptions::default(),
            })
        );
        assert_eq!(
            args(&[
                "--web",
                "0.0.0.0:1",
                "--public",
                "--allow-host",
                "box.lan",
                "--token-file",
                "t",
                "--proxy",
                "http://127.0.0.1:8000/api/mizan"
            ]),
            Ok(Mode::Web {
                addr: "0.0.0.0:1".parse().unwrap(),
                project: None,
                options: web::WebOptions {
                    public: true,
                    allow_hosts: vec!["box.lan".into()],
                    token_file: Some("t".into()),
                    proxy: Some("http://127.0.0.1:8000/api/mizan".into()),
                },
            })
        );
        assert!(
            args(&["--web", "127.0.0.1:1", "--allow-host", "x"])
                .unwrap_err()
                .contains("only goes with --public")
        );
        assert!(args(&["--token-file", "t"]).unwrap_err().contains("only go with --web"));
        assert!(
            args(&["--proxy", "ftp://h"])
                .unwrap_err()
                .contains("--proxy: `ftp://h`")
        );
        assert!(
            args(&["--web", "127.0.0.1:1", "--proxy", "ftp://h"])
                .unwrap_err()
                .contains("--proxy: `ftp://h`")
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
