//! What both benches share: a studio behind the dispatcher, as the app
//! wires it (grammars warmed at start), and the repository root.

use mizan::{Extensions, Origin, PushHub, Registry, RequestHandle};
use mizan_studio_backend::{Studio, StudioOptions};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Runs a bench's body on a two-worker runtime, unless `cargo test
/// --benches` is only listing (it passes `--list`: nothing to measure).
pub fn run(body: impl Future<Output = ()>) {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(body);
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub struct App {
    registry: Arc<Registry>,
    extensions: Arc<Extensions>,
    _hub: Arc<PushHub>,
}

impl App {
    pub fn new() -> App {
        mizan_studio_backend::link();
        let registry = Arc::new(Registry::from_linked().unwrap());
        let studio = Studio::new(StudioOptions::default());
        studio.attach(&registry);
        // As the app does at start.
        studio.warm_highlighter();
        let mut ext = Extensions::new();
        ext.insert(studio);
        let extensions = Arc::new(ext);
        let hub = PushHub::attach(&registry, extensions.clone());
        App {
            registry,
            extensions,
            _hub: hub,
        }
    }

    pub async fn call(&self, f: &str, args: Value) -> Value {
        let req = RequestHandle::new(Origin::Ipc, None, &self.extensions);
        let args: Map<String, Value> = args.as_object().cloned().unwrap_or_default();
        self.registry.call(&req, f, &args).await.unwrap().result
    }

    #[allow(dead_code)] // not every bench fetches
    pub async fn fetch(&self, c: &str, params: Value) -> Value {
        let req = RequestHandle::new(Origin::Ipc, None, &self.extensions);
        let params: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
        serde_json::to_value(self.registry.fetch(&req, c, &params).await.unwrap()).unwrap()
    }
}
