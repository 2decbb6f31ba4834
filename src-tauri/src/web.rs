//! Web mode (`mizan-studio --web ADDR`): the same UI and the same backend
//! functions, served over HTTP by `mizan-axum` (calls, fetches and pushes on
//! `/api/mizan`) with the UI's files taken from the assets Tauri embedded
//! at compile time — no window, for headless browsers and machines without
//! a display. Only the person who started it gets in (`guard.rs`).

mod guard;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use mizan::{Extensions, Registry};
use std::borrow::Cow;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::utils::assets::{AssetKey, AssetsIter, CspHash};
use tauri::{Assets, Wry};

/// The UI files embedded in the binary.
type Ui = Arc<dyn Assets<Wry>>;

/// Takes the embedded assets out of a Tauri context.
pub fn ui_assets(context: &mut tauri::Context<Wry>) -> Ui {
    Arc::from(context.set_assets(Box::new(NoAssets)))
}

/// How web mode listens, and who it lets in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WebOptions {
    /// Bind a non-loopback address (warned about; still token-protected).
    pub public: bool,
    /// More `Host` names to serve with `--public`.
    pub allow_hosts: Vec<String>,
    /// Where to write the URL (0600) for scripts.
    pub token_file: Option<PathBuf>,
    /// Start the recording proxy in front of this Mizan base URL.
    pub proxy: Option<String>,
}

/// The secret of this launch: `MIZAN_STUDIO_TOKEN` when set, else random.
fn launch_secret() -> anyhow::Result<String> {
    match std::env::var("MIZAN_STUDIO_TOKEN") {
        Ok(given) => {
            guard::check_given_secret(&given).map_err(anyhow::Error::msg)?;
            Ok(given)
        }
        Err(_) => Ok(guard::new_secret()?),
    }
}

/// Serves the studio on `addr` until Ctrl+C / SIGTERM. Prints exactly one
/// line on stdout, `Mizan Studio (web mode): http://HOST:PORT/?token=…`.
pub async fn serve(
    addr: SocketAddr,
    options: WebOptions,
    registry: Arc<Registry>,
    extensions: Arc<Extensions>,
    ui: Ui,
) -> anyhow::Result<()> {
    let secret = launch_secret()?;
    // The default Origin rule (SPEC §3.3) allows the page's own origin
    // only, which is the studio's: Host is checked first.
    let state = mizan_axum::MizanState::builder(registry)
        .extensions(extensions.clone())
        .build();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    let guard = Arc::new(guard::Guard::new(secret, bound, options.public, &options.allow_hosts));
    let app = axum::Router::new()
        .nest("/api/mizan", mizan_axum::router(state))
        .fallback(asset)
        .with_state(ui)
        .layer(axum::middleware::from_fn_with_state(guard.clone(), guard::check));
    let url = guard.url(bound);
    if let Some(path) = &options.token_file {
        guard::write_token_file(path, &url)
            .map_err(|e| anyhow::anyhow!("cannot write the token file {}: {e}", path.display()))?;
    }
    if options.public {
        eprintln!(
            "mizan-studio: warning: --public: listening on {bound}. Anyone who can reach it and has the URL \
             can open folders, run this project's IR command and write its files."
        );
    }
    println!("Mizan Studio (web mode): {url}");
    if let Some(target) = &options.proxy {
        let studio = extensions
            .get::<Arc<mizan_studio_backend::Studio>>()
            .ok_or_else(|| anyhow::anyhow!("no studio to record into"))?;
        crate::start_proxy(studio, target).await?;
    }
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
    Ok(())
}

async fn asset(State(ui): State<Ui>, uri: Uri) -> Response {
    let path = match uri.path() {
        "/" | "" => "/index.html",
        p => p,
    };
    match ui.get(&AssetKey::from(path)) {
        Some(bytes) => {
            let mut response = Response::new(Body::from(bytes.into_owned()));
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        None => (StatusCode::NOT_FOUND, format!("no file {path}")).into_response(),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Ctrl+C or SIGTERM (web mode stops serving; the window exits).
pub(crate) async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// What the Tauri context keeps once its assets were taken for the web.
struct NoAssets;

impl Assets<Wry> for NoAssets {
    fn get(&self, _key: &AssetKey) -> Option<Cow<'_, [u8]>> {
        None
    }

    fn iter(&self) -> Box<AssetsIter<'_>> {
        Box::new(std::iter::empty())
    }

    fn csp_hashes(&self, _html_path: &AssetKey) -> Box<dyn Iterator<Item = CspHash<'_>> + '_> {
        Box::new(std::iter::empty())
    }
}
