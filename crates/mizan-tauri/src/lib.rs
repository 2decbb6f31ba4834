//! # mizan-tauri
//!
//! Serves Mizan server functions to a Tauri 2 webview (SPEC §3, "Tauri
//! IPC"): a plugin named `mizan` with one command,
//! `plugin:mizan|mizan_invoke`, taking
//! `{"envelope": {"op": "call", "fn": "...", "args": {...}}}` or
//! `{"envelope": {"op": "fetch", "context": "...", "params": {...}}}` and
//! resolving with the same bodies as HTTP (`{"result", "invalidate",
//! "merge"?}` / `{member: result}` with sorted keys), or rejecting with
//! `{"code", "message", "details"?}`.
//!
//! ```ignore
//! fn main() {
//!     tauri::Builder::default()
//!         .plugin(mizan_tauri::init())
//!         .run(tauri::generate_context!())
//!         .expect("error while running the app");
//! }
//! ```
//!
//! and in `capabilities/default.json`: `"permissions": ["core:default", "mizan:default"]`.
//!
//! Server functions reach the app through their request handle: the plugin
//! puts the [`AppHandle`] into the request [`Extensions`], so
//! `req.state::<tauri::AppHandle<R>>()` works, where `R` is the app's
//! runtime — `tauri::Wry` in a real app (the default, so
//! `req.state::<tauri::AppHandle>()`), `tauri::test::MockRuntime` in tests.
//! Apps add their own state with [`Builder::extension`] and say who the
//! caller is with [`Builder::principal`] (by default nobody: calls are
//! anonymous).
//!
//! Invariant: **the plugin only moves envelopes.** Auth, privacy,
//! argument validation, panic isolation and invalidation/merge resolution
//! all happen in [`mizan::Registry::call`] / [`mizan::Registry::fetch`],
//! identically on every transport; nothing here re-implements or bypasses
//! them. API boundary: `init`, `try_init`, [`Builder`], [`Mizan`],
//! [`MizanExt`], the wire shapes in [`models`].

mod commands;
#[cfg(feature = "devtools")]
mod devtools;
mod error;
pub mod models;

pub use error::Error;
pub use mizan::{Extensions, MizanError, Principal, Registry};
/// The devtools channel (feature `devtools`): `Options`, the event types
/// and the observer's client.
#[cfg(feature = "devtools")]
pub use mizan_devtools;

use futures::StreamExt;
use mizan::{Audience, Origin, PushHub, RequestHandle};
use mizan_core::invalidation::{Invalidation, MergeEntry};
use models::{IpcEnvelope, IpcResponse};
use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;
use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Runtime};

/// The plugin's name: its command is `plugin:mizan|mizan_invoke` and its
/// permissions are `mizan:default`, `mizan:allow-mizan-invoke`, ...
pub const PLUGIN_NAME: &str = "mizan";

/// Says who is calling, from the app (its settings, a stored session).
/// `None` means anonymous: functions with an `auth` level are refused.
pub type PrincipalResolver<R> = dyn Fn(&AppHandle<R>) -> Option<Principal> + Send + Sync;

/// The plugin serving every `#[mizan::client]` function linked into the app,
/// with no extra state and anonymous callers.
///
/// If the functions do not form a valid registry (duplicate names, an
/// invalid invalidation graph), the error is logged and the app fails to
/// start: `tauri::Builder::build`/`run` returns it as a plugin
/// initialization error carrying the message. Use [`try_init`] to get the
/// error before the app is built.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new().build()
}

/// Like [`init`], but builds the registry now and returns its error.
pub fn try_init<R: Runtime>() -> Result<TauriPlugin<R>, Error> {
    Builder::new().try_build()
}

/// Configures the plugin: which registry to serve, the app state functions
/// can read, and who the caller is.
///
/// ```ignore
/// tauri::Builder::default().plugin(
///     mizan_tauri::Builder::new()
///         .extension(Database::open()?)
///         .principal(|app| app.state::<Session>().user())
///         .build(),
/// )
/// ```
pub struct Builder<R: Runtime> {
    registry: Option<Arc<Registry>>,
    extensions: Extensions,
    principal: Option<Box<PrincipalResolver<R>>>,
    #[cfg(feature = "devtools")]
    devtools: devtools::Setting,
}

impl<R: Runtime> Default for Builder<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Runtime> fmt::Debug for Builder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("registry", &self.registry)
            .field("extensions", &self.extensions)
            .field("principal", &self.principal.is_some())
            .finish()
    }
}

impl<R: Runtime> Builder<R> {
    /// Every linked function, no extra state, anonymous callers.
    pub fn new() -> Self {
        Builder {
            registry: None,
            extensions: Extensions::new(),
            principal: None,
            #[cfg(feature = "devtools")]
            devtools: devtools::Setting::default(),
        }
    }

    /// Serves the devtools tap with these options (feature `devtools`),
    /// in any build. Without this call the tap is served in debug builds
    /// only, under the app's package name.
    #[cfg(feature = "devtools")]
    pub fn devtools(mut self, options: mizan_devtools::Options) -> Self {
        self.devtools = devtools::Setting::With(options);
        self
    }

    /// Does not serve the devtools tap (feature `devtools`).
    #[cfg(feature = "devtools")]
    pub fn no_devtools(mut self) -> Self {
        self.devtools = devtools::Setting::Off;
        self
    }

    /// Serves this registry instead of [`Registry::from_linked`] (an app
    /// exposing a subset of its functions, tests). Share one `Arc` with
    /// other adapters (`mizan-axum`) so that a mutation over any of them
    /// runs the same commit hooks (origin cache purge, push).
    pub fn registry(mut self, registry: impl Into<Arc<Registry>>) -> Self {
        self.registry = Some(registry.into());
        self
    }

    /// Makes `value` available to functions as `req.state::<T>()` (one value
    /// per type; a later one replaces an earlier one).
    pub fn extension<T: Any + Send + Sync>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }

    /// Uses `extensions` as the app state functions can read, replacing
    /// what [`Builder::extension`] added so far. The plugin adds the
    /// [`AppHandle`] at setup.
    pub fn extensions(mut self, extensions: Extensions) -> Self {
        self.extensions = extensions;
        self
    }

    /// Resolves the caller of every request (default: anonymous).
    pub fn principal<F>(mut self, resolve: F) -> Self
    where
        F: Fn(&AppHandle<R>) -> Option<Principal> + Send + Sync + 'static,
    {
        self.principal = Some(Box::new(resolve));
        self
    }

    /// Builds the plugin, building the registry now if none was given:
    /// an invalid set of functions is returned as [`Error::Registry`].
    pub fn try_build(mut self) -> Result<TauriPlugin<R>, Error> {
        if self.registry.is_none() {
            self.registry = Some(Arc::new(Registry::from_linked()?));
        }
        Ok(self.plugin_builder().try_build()?)
    }

    /// Builds the plugin. A registry that cannot be built (see [`init`])
    /// is logged and fails the app's setup with its message.
    pub fn build(self) -> TauriPlugin<R> {
        // `try_build` only fails for Tauri's reserved names, never `mizan`.
        self.plugin_builder().build()
    }

    fn plugin_builder(self) -> tauri::plugin::Builder<R> {
        let Builder {
            registry,
            mut extensions,
            principal,
            #[cfg(feature = "devtools")]
            devtools,
        } = self;
        let builder = tauri::plugin::Builder::new(PLUGIN_NAME)
            .invoke_handler(tauri::generate_handler![
                commands::mizan_invoke,
                commands::mizan_subscribe,
                commands::mizan_unsubscribe
            ])
            .setup(move |app, _api| {
                let registry = match registry {
                    Some(registry) => registry,
                    None => Arc::new(Registry::from_linked().map_err(|e| {
                        let e = Error::from(e);
                        tracing::error!(error = %e, "mizan plugin setup failed");
                        e
                    })?),
                };
                extensions.insert(app.clone());
                let extensions = Arc::new(extensions);
                let hub = PushHub::attach(&registry, extensions.clone());
                #[cfg(feature = "devtools")]
                devtools::start(app, registry.clone(), devtools);
                app.manage(Mizan {
                    registry,
                    extensions,
                    principal,
                    hub,
                    subscriptions: Mutex::default(),
                    app: app.clone(),
                });
                Ok(())
            });
        #[cfg(feature = "devtools")]
        let builder = builder
            .on_event(|app, event| {
                if matches!(event, tauri::RunEvent::Exit) {
                    devtools::stop(app);
                }
            })
            .on_drop(|app| devtools::stop(&app));
        builder
    }
}

/// The plugin's state, managed by the app once the plugin is set up (reach
/// it with [`MizanExt::mizan`]). Rust code can dispatch through it exactly
/// like the webview does.
pub struct Mizan<R: Runtime> {
    registry: Arc<Registry>,
    extensions: Arc<Extensions>,
    principal: Option<Box<PrincipalResolver<R>>>,
    /// Pushes to the webviews' channels.
    hub: Arc<PushHub>,
    /// Open `mizan_subscribe` channels, by id.
    subscriptions: Mutex<HashMap<u64, tauri::async_runtime::JoinHandle<()>>>,
    app: AppHandle<R>,
}

impl<R: Runtime> fmt::Debug for Mizan<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mizan")
            .field("registry", &self.registry)
            .field("extensions", &self.extensions)
            .field("principal", &self.principal.is_some())
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Mizan<R> {
    /// The registry being served (its IR, its invalidation plans).
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The state functions can read, including the [`AppHandle`].
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// The push hub the webviews' channels subscribe to.
    pub fn hub(&self) -> &Arc<PushHub> {
        &self.hub
    }

    /// Tells every subscriber (and the registry's other hooks, such as an
    /// origin cache) about a change the app's Rust code made outside Mizan.
    pub async fn publish(&self, invalidate: Vec<Invalidation>, merge: Vec<MergeEntry>) {
        self.registry.publish(invalidate, merge).await;
    }

    /// Opens a push subscription that forwards every frame to `deliver`
    /// until it returns `false` (the channel is gone) or
    /// [`unsubscribe`](Self::unsubscribe) is called; returns its id. The
    /// principal is resolved now, as for a call.
    pub fn subscribe(&self, watch: Option<Vec<String>>, deliver: impl Fn(&str) -> bool + Send + 'static) -> u64 {
        let principal = self.principal.as_ref().and_then(|resolve| resolve(&self.app));
        let mut subscription = self.hub.subscribe(Audience {
            principal,
            watch: watch.map(|w| w.into_iter().collect()),
        });
        let id = subscription.id();
        let hub = self.hub.clone();
        let task = tauri::async_runtime::spawn(async move {
            while let Some(frame) = subscription.next().await {
                if !deliver(&frame) {
                    break;
                }
            }
            hub.unsubscribe(&subscription);
        });
        self.lock_subscriptions().insert(id, task);
        id
    }

    /// Closes subscription `id`; returns whether it was open.
    pub fn unsubscribe(&self, id: u64) -> bool {
        match self.lock_subscriptions().remove(&id) {
            Some(task) => {
                task.abort();
                self.hub.unsubscribe_id(id);
                true
            }
            None => false,
        }
    }

    fn lock_subscriptions(&self) -> std::sync::MutexGuard<'_, HashMap<u64, tauri::async_runtime::JoinHandle<()>>> {
        self.subscriptions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Handles one envelope as `mizan_invoke` does: the caller comes from
    /// the principal resolver and the request's origin is
    /// [`Origin::Ipc`], so private functions are refused here too.
    pub async fn invoke(&self, envelope: IpcEnvelope) -> Result<IpcResponse, MizanError> {
        let principal = self.principal.as_ref().and_then(|resolve| resolve(&self.app));
        let req = RequestHandle::new(Origin::Ipc, principal.as_ref(), &self.extensions);
        match envelope {
            IpcEnvelope::Call { function, args, client } => {
                if client.as_deref().is_some_and(|c| !mizan::is_valid_client_id(c)) {
                    return Err(MizanError::bad_request(
                        "`client` must be 1 to 64 characters of A-Z a-z 0-9 - _ . :",
                    ));
                }
                let req = req.with_client(client.as_deref());
                self.registry.call(&req, &function, &args).await.map(IpcResponse::Call)
            }
            IpcEnvelope::Fetch { context, params } => self
                .registry
                .fetch(&req, &context, &params)
                .await
                .map(IpcResponse::Fetch),
        }
    }
}

/// Reaches the plugin's [`Mizan`] state from an `App`, `AppHandle`,
/// `Window` or `Webview`.
pub trait MizanExt<R: Runtime> {
    /// The plugin's state; `None` before the plugin is set up or if it was
    /// not registered.
    fn mizan(&self) -> Option<&Mizan<R>>;
}

impl<R: Runtime, M: Manager<R>> MizanExt<R> for M {
    fn mizan(&self) -> Option<&Mizan<R>> {
        self.try_state::<Mizan<R>>().map(|state| state.inner())
    }
}
