//! A studio wired like the desktop shell wires it: the linked studio
//! functions in a `Registry`, a `PushHub`, an `Arc<Studio>` in the
//! extensions; calls and fetches go through the dispatcher.

#![allow(dead_code)]

use futures::StreamExt;
use mizan::{Audience, Extensions, MizanError, Origin, PushHub, Registry, RequestHandle, Subscription};
use mizan_core::wire::{CallResponse, ContextBundle};
use mizan_studio_backend::{Studio, StudioOptions};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub struct App {
    pub registry: Arc<Registry>,
    pub extensions: Arc<Extensions>,
    pub studio: Arc<Studio>,
    pub hub: Arc<PushHub>,
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn app_with(options: StudioOptions) -> App {
    mizan_studio_backend::link();
    let registry = Arc::new(Registry::from_linked().expect("studio registry"));
    let studio = Studio::new(options);
    studio.attach(&registry);
    let mut ext = Extensions::new();
    ext.insert(studio.clone());
    let extensions = Arc::new(ext);
    let hub = PushHub::attach(&registry, extensions.clone());
    App {
        registry,
        extensions,
        studio,
        hub,
    }
}

pub fn app() -> App {
    app_with(StudioOptions::default())
}

impl App {
    pub async fn call(&self, function: &str, args: Value) -> Result<CallResponse, MizanError> {
        let req = RequestHandle::new(Origin::Ipc, None, &self.extensions);
        let args: Map<String, Value> = args.as_object().cloned().unwrap_or_default();
        self.registry.call(&req, function, &args).await
    }

    pub async fn ok(&self, function: &str, args: Value) -> Value {
        match self.call(function, args).await {
            Ok(r) => r.result,
            Err(e) => panic!("{function}: {e:?}"),
        }
    }

    pub async fn fetch(&self, context: &str, params: Value) -> ContextBundle {
        let req = RequestHandle::new(Origin::Ipc, None, &self.extensions);
        let params: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
        match self.registry.fetch(&req, context, &params).await {
            Ok(b) => b,
            Err(e) => panic!("fetch {context}: {e:?}"),
        }
    }

    pub fn subscribe(&self) -> Subscription {
        self.hub.subscribe(Audience::default())
    }
}

/// A copy of `fixtures/example` (config and IR) in a temp folder.
pub fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["mizan.toml", "api.kdl"] {
        std::fs::copy(root().join("fixtures/example").join(f), dir.path().join(f)).unwrap();
    }
    dir
}

/// Waits for the next push frame (parsed), at most `limit`.
pub async fn next_push(sub: &mut Subscription, limit: Duration) -> Option<Value> {
    match tokio::time::timeout(limit, sub.next()).await {
        Ok(Some(frame)) => serde_json::from_str(&frame).ok(),
        _ => None,
    }
}

/// Polls `f` every 10 ms until it is true, at most `limit`.
pub async fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}

/// Every file under `dir` with its bytes.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

pub fn args(v: Value) -> Value {
    v
}

pub fn empty() -> Value {
    json!({})
}
