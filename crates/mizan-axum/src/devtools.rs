//! Feature `devtools` (debug builds only): the registry's tap on a
//! loopback WebSocket, discoverable by Mizan Studio
//! ([`MizanState::serve_devtools`]). Replays sent through the channel run
//! like requests of this adapter: identified from the replay's headers by
//! the same authenticator chain as HTTP (`Origin::Http`, so privacy and
//! auth levels apply), or as the server itself when marked `internal`. A
//! fetch goes through the origin cache like `GET /ctx/`.

use crate::MizanState;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use mizan::{MizanError, Origin, RequestHandle, is_valid_client_id};
use mizan_core::wire::IpcEnvelope;
use mizan_devtools::{Devtools, Options, Replay, ReplayFuture, Replayer};
use serde_json::Value;
use std::sync::Arc;

impl MizanState {
    /// Serves the tap (see `mizan_devtools::serve`): a loopback WebSocket
    /// with a random secret and a discovery file named after
    /// `options.name`, until the returned [`Devtools`] is dropped (keep it
    /// alive for the server's lifetime; dropping it removes the file).
    /// Must run inside a Tokio runtime.
    pub async fn serve_devtools(&self, options: Options) -> Result<Devtools, mizan_devtools::Error> {
        let replayer = Arc::new(AxumReplayer(self.clone())) as Arc<dyn Replayer>;
        mizan_devtools::serve(self.registry_arc().clone(), Some(replayer), options).await
    }
}

struct AxumReplayer(MizanState);

impl Replayer for AxumReplayer {
    fn replay<'a>(&'a self, replay: &'a Replay) -> ReplayFuture<'a> {
        Box::pin(run(&self.0, replay))
    }
}

async fn run(state: &MizanState, replay: &Replay) -> Result<Value, MizanError> {
    let principal = if replay.internal {
        None
    } else {
        let mut headers = HeaderMap::new();
        for (name, value) in &replay.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| MizanError::bad_request(format!("`{}` is not a header name", name.escape_debug())))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| MizanError::bad_request(format!("the `{name}` header is not a valid value")))?;
            headers.insert(name, value);
        }
        state
            .identify(&headers)
            .await
            .map_err(|e| MizanError::unauthorized(e.to_string()))?
    };
    let origin = if replay.internal {
        Origin::Internal
    } else {
        Origin::Http
    };
    let req = RequestHandle::new(origin, principal.as_ref(), state.extensions());
    match &replay.envelope {
        IpcEnvelope::Call { function, args, client } => {
            if client.as_deref().is_some_and(|c| !is_valid_client_id(c)) {
                return Err(MizanError::bad_request(
                    "`client` must be 1 to 64 characters of A-Z a-z 0-9 - _ . :",
                ));
            }
            let req = req.with_client(client.as_deref());
            let response = state.registry().call(&req, function, args).await?;
            serde_json::to_value(&response).map_err(|e| MizanError::internal(format!("cannot encode: {e}")))
        }
        IpcEnvelope::Fetch { context, params } => {
            let fetched = state
                .registry()
                .fetch_cached(&req, context, params, state.cache().map(|c| &**c))
                .await?;
            serde_json::from_slice(&fetched.body).map_err(|e| MizanError::internal(format!("cannot decode: {e}")))
        }
    }
}
