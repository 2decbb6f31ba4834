//! Feature `devtools` (debug builds only): the registry's tap on a
//! loopback WebSocket, discoverable by Mizan Studio, so an app's IPC calls
//! can be watched and replayed from outside the webview.
//!
//! With the feature on, the plugin serves the tap at setup **in debug
//! builds** under the app's package name ([`Builder::devtools`] chooses
//! the options, or serves in a release build too;
//! [`Builder::no_devtools`] turns it off). The discovery file is removed
//! when the app exits (`RunEvent::Exit`) or the plugin is dropped.
//! Replays run like `mizan_invoke` ([`Mizan::invoke`]: `Origin::Ipc`, the
//! caller from the app's principal resolver; a replay's headers are
//! ignored), or as the server itself when marked `internal`.
//!
//! [`Builder::devtools`]: crate::Builder::devtools
//! [`Builder::no_devtools`]: crate::Builder::no_devtools

use crate::{Mizan, MizanExt};
use mizan::{MizanError, Origin, Registry, RequestHandle};
use mizan_core::wire::IpcEnvelope;
use mizan_devtools::{Devtools, Options, Replay, ReplayFuture, Replayer};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Manager, Runtime};

/// Whether and how the plugin serves the tap.
#[derive(Debug, Clone, Default)]
pub(crate) enum Setting {
    /// In debug builds, under the package name.
    #[default]
    DebugBuilds,
    /// Always, with these options.
    With(Options),
    /// Never.
    Off,
}

/// The running channel, managed by the app until it exits.
#[derive(Default)]
pub(crate) struct Running(Mutex<Option<Devtools>>);

impl Running {
    /// Stops serving and removes the discovery file.
    pub(crate) fn stop(&self) {
        let devtools = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(devtools);
    }
}

/// Starts serving (in the background) according to `setting`.
pub(crate) fn start<R: Runtime>(app: &AppHandle<R>, registry: Arc<Registry>, setting: Setting) {
    let options = match setting {
        Setting::Off => return,
        Setting::DebugBuilds if !cfg!(debug_assertions) => return,
        Setting::DebugBuilds => Options::new(app.package_info().name.clone()),
        Setting::With(options) => options,
    };
    app.manage(Running::default());
    let replayer = Arc::new(TauriReplayer { app: app.clone() }) as Arc<dyn Replayer>;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match mizan_devtools::serve(registry, Some(replayer), options).await {
            Ok(devtools) => {
                if let Some(running) = app.try_state::<Running>() {
                    *running.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(devtools);
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot serve the mizan devtools tap"),
        }
    });
}

/// Stops serving (the app is exiting or the plugin is dropped).
pub(crate) fn stop<R: Runtime>(app: &AppHandle<R>) {
    if let Some(running) = app.try_state::<Running>() {
        running.stop();
    }
}

struct TauriReplayer<R: Runtime> {
    app: AppHandle<R>,
}

impl<R: Runtime> Replayer for TauriReplayer<R> {
    fn replay<'a>(&'a self, replay: &'a Replay) -> ReplayFuture<'a> {
        Box::pin(async move {
            let mizan: &Mizan<R> = self
                .app
                .mizan()
                .ok_or_else(|| MizanError::internal("the mizan plugin is not set up"))?;
            if !replay.internal {
                let response = mizan.invoke(replay.envelope.clone()).await?;
                return serde_json::to_value(&response)
                    .map_err(|e| MizanError::internal(format!("cannot encode: {e}")));
            }
            let req = RequestHandle::new(Origin::Internal, None, mizan.extensions());
            let answer = match &replay.envelope {
                IpcEnvelope::Call { function, args, client } => {
                    let req = req.with_client(client.as_deref());
                    serde_json::to_value(mizan.registry().call(&req, function, args).await?)
                }
                IpcEnvelope::Fetch { context, params } => {
                    serde_json::to_value(mizan.registry().fetch(&req, context, params).await?)
                }
            };
            answer.map_err(|e| MizanError::internal(format!("cannot encode: {e}")))
        })
    }
}
