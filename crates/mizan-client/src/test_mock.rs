//! The scripted transport the kernel's unit tests share: answers from
//! closures and queues, every request logged.

use crate::client::MizanClient;
use crate::error::MizanError;
use crate::params::InstanceKey;
use crate::runtime::ClientFuture;
use crate::transport::{CallRequest, Transport};
use crate::wire::{CallResponse, ContextData, Invalidation, MergeEntry, Params, SessionInfo};
use futures::channel::oneshot;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) fn p(v: Value) -> Params {
    match v {
        Value::Object(m) => m,
        _ => Params::new(),
    }
}

pub(crate) type FetchFn = dyn Fn(&str, &Params, usize) -> Result<ContextData, MizanError> + Send + Sync;

/// A transport answering from closures and queues, logging every request.
pub(crate) struct Mock {
    pub(crate) log: Arc<Mutex<Vec<String>>>,
    pub(crate) fetches: Mutex<usize>,
    pub(crate) on_fetch: Box<FetchFn>,
    pub(crate) calls: Mutex<VecDeque<Result<CallResponse, MizanError>>>,
    pub(crate) sessions: Mutex<VecDeque<Result<SessionInfo, MizanError>>>,
    /// When set, each fetch waits for a value sent through a channel whose
    /// sender is pushed here.
    pub(crate) gates: Option<Arc<Mutex<Vec<oneshot::Sender<ContextData>>>>>,
}

impl Mock {
    pub(crate) fn new(
        on_fetch: impl Fn(&str, &Params, usize) -> Result<ContextData, MizanError> + Send + Sync + 'static,
    ) -> Self {
        Mock {
            log: Arc::default(),
            fetches: Mutex::new(0),
            on_fetch: Box::new(on_fetch),
            calls: Mutex::default(),
            sessions: Mutex::default(),
            gates: None,
        }
    }

    /// Fetches answer `{"n": <fetch number>}`.
    pub(crate) fn counting() -> Self {
        Mock::new(|_, _, n| Ok(p(json!({ "n": n }))))
    }

    pub(crate) fn answer_calls(self, answers: Vec<Result<CallResponse, MizanError>>) -> Self {
        *self.calls.lock().unwrap() = answers.into();
        self
    }
}

impl Transport for Mock {
    fn call<'a>(&'a self, request: CallRequest<'a>) -> ClientFuture<'a, Result<CallResponse, MizanError>> {
        self.log.lock().unwrap().push(format!(
            "call {} token={}",
            request.function,
            request.csrf_token.unwrap_or("-")
        ));
        let answer = self
            .calls
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| Ok(CallResponse::default()));
        Box::pin(async move { answer })
    }

    fn fetch<'a>(&'a self, context: &'a str, params: &'a Params) -> ClientFuture<'a, Result<ContextData, MizanError>> {
        let n = {
            let mut count = self.fetches.lock().unwrap();
            *count += 1;
            *count
        };
        self.log
            .lock()
            .unwrap()
            .push(format!("fetch {}", InstanceKey::new(context, params)));
        if let Some(gates) = &self.gates {
            let (tx, rx) = oneshot::channel();
            gates.lock().unwrap().push(tx);
            return Box::pin(async move { rx.await.map_err(|_| MizanError::network("gate dropped")) });
        }
        let answer = (self.on_fetch)(context, params, n);
        Box::pin(async move { answer })
    }

    fn session(&self) -> ClientFuture<'_, Result<SessionInfo, MizanError>> {
        self.log.lock().unwrap().push("session".into());
        let answer = self
            .sessions
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| Ok(SessionInfo::default()));
        Box::pin(async move { answer })
    }
}

/// What a test inspects: the transport's request log and the timer's delays.
pub(crate) type Log = Arc<Mutex<Vec<String>>>;
pub(crate) type Slept = Arc<Mutex<Vec<Duration>>>;

/// A client over `mock` whose timer records delays and returns at once.
pub(crate) fn client(mock: Mock) -> (MizanClient, Log, Slept) {
    let log = Arc::clone(&mock.log);
    let slept: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let sink = Arc::clone(&slept);
    let sleep = move |d: Duration| -> ClientFuture<'static, ()> {
        sink.lock().unwrap().push(d);
        Box::pin(async {})
    };
    (MizanClient::builder(mock).sleep(sleep).build(), log, slept)
}

pub(crate) fn fetches(log: &Mutex<Vec<String>>) -> Vec<String> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("fetch"))
        .cloned()
        .collect()
}

pub(crate) fn response(invalidate: Vec<Invalidation>, merge: Vec<MergeEntry>) -> CallResponse {
    CallResponse {
        result: json!({"ok": true}),
        invalidate,
        merge,
    }
}
