{{ header }}//! Leptos 0.8 bindings over the typed client.
//!
//! * [`provide_mizan`] at the root makes a [`client::Client`] available and
//!   starts its push loop (`leptos::task::spawn_local`), stopped when the
//!   providing component is cleaned up; [`use_mizan_status`] is the
//!   connection status as a signal (`idle`, `connecting`, `connected`,
//!   `reconnecting`, `unauthorized`);
//! * `use_<context>_context(params)` mounts one context instance and returns
//!   its reactive `{data, status, error}` ([`ContextState`]); it follows the
//!   params signal, refetches itself when a mutation invalidates it and is
//!   unmounted with the component;
//! * `use_<function>()` returns an [`Action`] calling the function; its
//!   invalidations and merges reach every mounted context.

use std::sync::{Arc, Mutex, PoisonError};

use ::leptos::prelude::*;
use ::mizan_client::{ConnectionStatus, InstanceState, Listener, MizanError, Params, Status, Subscription, TypedState};

use super::client;
#[allow(unused_imports)]
use super::types;

/// Makes `client` available to every `use_*` hook below this component and
/// runs its push loop (server pushes refetch the mounted contexts) until
/// this component is cleaned up. A client without a push transport simply
/// stays `idle`.
pub fn provide_mizan(client: client::Client) {
    let kernel = client.kernel().clone();
    let status = ArcRwSignal::new(kernel.connection_status());
    let sink = status.clone();
    let listener = kernel.on_status(move |s| sink.set(s));
    let (task, stop) = kernel.push_task();
    ::leptos::task::spawn_local(task);
    on_cleanup(move || {
        drop(stop);
        drop(listener);
    });
    provide_context(MizanStatus(Signal::derive(move || status.get())));
    provide_context(client);
}

/// The connection status [`provide_mizan`] provides.
#[derive(Clone, Copy)]
struct MizanStatus(Signal<ConnectionStatus>);

/// The push connection's status, as a signal: `Idle`, `Connecting`,
/// `Connected`, `Reconnecting` (mounted contexts are refetched once back)
/// or `Unauthorized` (the server rejected the credentials).
///
/// # Panics
///
/// When no ancestor component called [`provide_mizan`].
pub fn use_mizan_status() -> Signal<ConnectionStatus> {
    expect_context::<MizanStatus>().0
}

/// The client given to [`provide_mizan`].
///
/// # Panics
///
/// When no ancestor component called [`provide_mizan`].
pub fn use_mizan() -> client::Client {
    expect_context::<client::Client>()
}

/// The reactive state of one context instance: `{data, status, error}`.
/// `Copy`, like Leptos signals.
pub struct ContextState<T: Send + Sync + 'static> {
    /// The data (kept during a refetch and after a failed one).
    pub data: Signal<Option<T>>,
    /// `idle`, `loading` (no data yet), `success` or `error`.
    pub status: Signal<Status>,
    /// The last fetch's error.
    pub error: Signal<Option<MizanError>>,
    /// True while a fetch is in flight (also background refetches).
    pub is_fetching: Signal<bool>,
    instance: StoredValue<Instance>,
}

/// What `refetch` needs: the client, the context and its current params.
struct Instance {
    client: client::Client,
    context: &'static str,
    params: Arc<Mutex<Option<Params>>>,
}

impl<T: Send + Sync + 'static> Clone for ContextState<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for ContextState<T> {}

impl<T: Send + Sync + 'static> ContextState<T> {
    /// Fetches the instance again now.
    pub fn refetch(&self) {
        let target = self.instance.try_with_value(|i| {
            let params = i.params.lock().unwrap_or_else(PoisonError::into_inner).clone();
            params.map(|p| (i.client.kernel().clone(), i.context, p))
        });
        if let Some(Some((kernel, context, params))) = target {
            ::leptos::task::spawn_local(async move {
                let _ = kernel.fetch(context, params).await;
            });
        }
    }
}

/// Mounts `context` with the params `params` yields, following them.
fn use_context_state<P, T>(context: &'static str, params: Signal<P>) -> ContextState<T>
where
    P: ::mizan_client::serde::Serialize + Clone + Send + Sync + 'static,
    T: ::mizan_client::serde::de::DeserializeOwned + Clone + PartialEq + Send + Sync + 'static,
{
    let client = use_mizan();
    let state = ArcRwSignal::new(TypedState::<T>::default());
    let mounted: Arc<Mutex<Option<Subscription>>> = Arc::default();
    let current: Arc<Mutex<Option<Params>>> = Arc::default();
    {
        let (client, state, mounted, current) =
            (client.clone(), state.clone(), Arc::clone(&mounted), Arc::clone(&current));
        Effect::new(move |_| {
            let wire = match ::mizan_client::to_params(&params.get()) {
                Ok(wire) => wire,
                Err(error) => {
                    state.set(TypedState {
                        status: Status::Error,
                        error: Some(error),
                        ..TypedState::default()
                    });
                    return;
                }
            };
            let sink = state.clone();
            let listener: Listener = Arc::new(move |s: &InstanceState| sink.set(s.decode::<T>()));
            let subscription = client.kernel().subscribe(context, wire.clone(), Some(listener));
            state.set(subscription.state().decode::<T>());
            // Mount the new instance before unmounting the previous one.
            *mounted.lock().unwrap_or_else(PoisonError::into_inner) = Some(subscription);
            *current.lock().unwrap_or_else(PoisonError::into_inner) = Some(wire.clone());
            let kernel = client.kernel().clone();
            ::leptos::task::spawn_local(async move {
                let _ = kernel.load(context, wire).await;
            });
        });
    }
    on_cleanup(move || {
        mounted.lock().unwrap_or_else(PoisonError::into_inner).take();
    });
    let (data, status, error, is_fetching) = (state.clone(), state.clone(), state.clone(), state);
    ContextState {
        // A memo, not a derived signal: readers borrow the one copy it
        // keeps (a derived signal would clone the whole data on every
        // read), and they rerun only when the data itself changed, not
        // when a refetch merely starts or ends.
        data: Signal::from(Memo::new(move |_| data.with(|s| s.data.clone()))),
        status: Signal::derive(move || status.with(|s| s.status)),
        error: Signal::derive(move || error.with(|s| s.error.clone())),
        is_fetching: Signal::derive(move || is_fetching.with(|s| s.is_fetching)),
        instance: StoredValue::new(Instance {
            client,
            context,
            params: current,
        }),
    }
}
{%- for c in m.contexts %}

{{ c.doc }}///
/// Mounts context `{{ c.name }}`{% if !c.params.is_empty() %} with the params `params` yields (a value or a
/// signal; the hook follows it){% endif %} and returns its reactive state, refetched
/// whenever a mutation invalidates it.
pub fn {{ c.hook }}({% if !c.params.is_empty() %}params: impl Into<Signal<client::{{ c.pascal }}Params>>{% endif %}) -> ContextState<client::{{ c.pascal }}Data> {
    use_context_state({{ c.name_lit }}, {% if c.params.is_empty() %}Signal::stored(()){% else %}params.into(){% endif %})
}

impl ContextState<client::{{ c.pascal }}Data> {
{%- for mem in c.members %}{% if !loop.first %}
{% endif %}
    /// Member `{{ mem.accessor }}` of the data, as its own signal.
    #[allow(clippy::clone_on_copy)]
    pub fn {{ mem.accessor }}(&self) -> Signal<Option<{{ mem.field.ty }}>> {
        let data = self.data;
        Signal::derive(move || data.with(|d| d.as_ref().map(|d| d.{{ mem.accessor }}.clone())))
    }
{%- endfor %}
}
{%- endfor %}
{%- for f in m.functions %}

{{ f.doc }}///
/// An action calling `{{ f.name }}`: dispatch it with {% if f.args.is_empty() %}`()`{% else %}the arguments{% endif %}; `pending()` and
/// `value()` follow the call.
pub fn {{ f.hook }}() -> Action<{% if f.args.is_empty() %}(){% else %}client::{{ f.pascal }}Args{% endif %}, ::std::result::Result<{{ f.result_ty }}, MizanError>> {
    let client = use_mizan();
    Action::new_unsync(move |{% if f.args.is_empty() %}_: &(){% else %}args: &client::{{ f.pascal }}Args{% endif %}| {
        let client = client.clone();
{%- if !f.args.is_empty() %}
        let args = args.clone();
{%- endif %}
        async move { client.{{ f.method }}({% if !f.args.is_empty() %}&args{% endif %}).await }
    })
}
{%- endfor %}
