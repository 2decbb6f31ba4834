//! [`MizanClient::run_push`]: the push loop (SPEC §3.1), driven by the
//! application.
//!
//! The kernel never spawns, so the loop is a future the application runs
//! for as long as it wants pushes — `tokio::spawn(client.run_push())` on
//! the host, `leptos::task::spawn_local` in a browser (the generated Leptos
//! `provide_mizan` does it). Dropping the future closes the connection and
//! sets the status back to `idle`.
//!
//! Inside that one future: connect through the [`PushTransport`], apply each
//! push exactly like a mutation response (merges spliced, mounted instances
//! refetched, batched, de-duplicated) while the next ones keep arriving,
//! skip pushes caused by this client's own calls, and reconnect with
//! jittered back-off — refetching every mounted instance once back, since
//! pushes may have been missed. A close with code 4401 stops the loop with
//! status `unauthorized`.

use futures::StreamExt;
use futures::future::poll_fn;
use futures::stream::FuturesUnordered;
use serde_json::Value;
use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use crate::client::MizanClient;
use crate::push::{CLOSE_UNAUTHORIZED, ConnectionStatus, PushError, PushEvent, PushMessage, PushRequest, PushStream};
use crate::runtime::ClientFuture;
use crate::wire::CallResponse;

/// Pushes (and the post-reconnect refetch) being applied.
type Applying<'a> = FuturesUnordered<ClientFuture<'a, ()>>;

/// How one connection ended.
enum Ended {
    /// Closed with 4401: stop.
    Unauthorized,
    /// Lost; `stable` when it had lived long enough to reset the back-off.
    Lost { stable: bool },
}

impl MizanClient {
    /// Runs the push loop until the future is dropped or the server rejects
    /// the identity (then it returns, with status `unauthorized`; run it
    /// again once the credentials changed). Returns at once when the client
    /// has no push transport, or when another `run_push` of this client is
    /// already running.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), mizan_client::MizanError> {
    /// let client = mizan_client::MizanClient::http("http://127.0.0.1:8000/api/mizan")?;
    /// let pushes = client.clone();
    /// # #[cfg(any())]
    /// tokio::spawn(async move { pushes.run_push().await });
    /// # Ok(()) }
    /// ```
    pub async fn run_push(&self) {
        let Some(push) = self.inner().push.as_deref() else {
            return;
        };
        {
            let mut board = self.status_board();
            if board.running {
                return;
            }
            board.running = true;
        }
        let _running = Running(self);
        let watch = self.inner().watch.as_deref();
        let policy = self.inner().reconnect;
        let mut applying: Applying<'_> = FuturesUnordered::new();
        let mut attempt: u32 = 0;
        let mut connected_before = false;
        loop {
            self.set_status(if connected_before {
                ConnectionStatus::Reconnecting
            } else {
                ConnectionStatus::Connecting
            });
            let request = PushRequest {
                client_id: self.client_id(),
                watch,
            };
            let connect = with_timeout(push.connect(request), self.inner().sleep.sleep(policy.connect_timeout));
            match alongside(&mut applying, connect).await {
                Ok(stream) => {
                    self.set_status(ConnectionStatus::Connected);
                    if connected_before {
                        applying.push(Box::pin(self.refetch_all()));
                    }
                    connected_before = true;
                    match self.pump(stream, &mut applying).await {
                        Ended::Unauthorized => {
                            self.set_status(ConnectionStatus::Unauthorized);
                            return;
                        }
                        Ended::Lost { stable } => {
                            if stable {
                                attempt = 0;
                            }
                            self.set_status(ConnectionStatus::Reconnecting);
                        }
                    }
                }
                Err(PushError::Unauthorized(_)) => {
                    self.set_status(ConnectionStatus::Unauthorized);
                    return;
                }
                Err(PushError::Unavailable(_)) => return,
                Err(PushError::Failed(_)) => {}
            }
            let random = self.next_jitter();
            let delay = policy.delay(attempt, random);
            attempt = attempt.saturating_add(1);
            alongside(&mut applying, self.inner().sleep.sleep(delay)).await;
        }
    }

    /// [`MizanClient::run_push`] as an owned future, for executors that
    /// need `'static` tasks (`tokio::spawn`, `leptos::task::spawn_local`),
    /// and a guard: dropping the guard ends the loop (status `idle`).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), mizan_client::MizanError> {
    /// let client = mizan_client::MizanClient::http("http://127.0.0.1:8000/api/mizan")?;
    /// let (task, stop) = client.push_task();
    /// # #[cfg(any())]
    /// tokio::spawn(task);
    /// // ... later: no more pushes.
    /// drop(stop);
    /// # Ok(()) }
    /// ```
    pub fn push_task(&self) -> (ClientFuture<'static, ()>, PushStop) {
        let (stop, stopped) = futures::channel::oneshot::channel::<()>();
        let client = self.clone();
        let task = async move {
            let run = pin!(client.run_push());
            // Either the loop ended (unauthorized, no pushes) or the guard
            // was dropped; the loop's future is dropped with this one.
            let _ = futures::future::select(run, stopped).await;
        };
        (Box::pin(task), PushStop { _stop: stop })
    }

    fn next_jitter(&self) -> f64 {
        self.inner()
            .jitter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .next_unit()
    }

    /// Reads one connection until it ends, applying its pushes.
    async fn pump<'a>(&'a self, mut stream: PushStream, applying: &mut Applying<'a>) -> Ended {
        let mut timer = Some(self.inner().sleep.sleep(self.inner().reconnect.stable_after));
        let mut stable = false;
        let code = poll_fn(|cx| {
            if let Some(t) = timer.as_mut()
                && t.as_mut().poll(cx).is_ready()
            {
                timer = None;
                stable = true;
            }
            loop {
                // Take every push already received before applying any, so
                // pushes of one tick are refetched as one batch.
                let mut received = false;
                loop {
                    match stream.poll_next_unpin(cx) {
                        Poll::Ready(Some(PushEvent::Push(push))) => {
                            received = true;
                            if push.client.as_deref() != Some(self.client_id()) {
                                applying.push(Box::pin(self.apply_push(push)));
                            }
                        }
                        Poll::Ready(Some(PushEvent::Closed { code, .. })) => return Poll::Ready(code),
                        Poll::Ready(None) => return Poll::Ready(None),
                        Poll::Pending => break,
                    }
                }
                while let Poll::Ready(Some(())) = applying.poll_next_unpin(cx) {}
                if !received {
                    return Poll::Pending;
                }
            }
        })
        .await;
        if code == Some(CLOSE_UNAUTHORIZED) {
            Ended::Unauthorized
        } else {
            Ended::Lost { stable }
        }
    }

    /// Applies a push exactly like a mutation response.
    async fn apply_push(&self, push: PushMessage) {
        let response = CallResponse {
            result: Value::Null,
            invalidate: push.invalidate,
            merge: push.merge,
        };
        self.apply(&response).await;
    }
}

/// `connect`, or a failure once `timer` fires first.
async fn with_timeout<'a>(
    connect: ClientFuture<'a, Result<PushStream, PushError>>,
    timer: ClientFuture<'static, ()>,
) -> Result<PushStream, PushError> {
    match futures::future::select(connect, timer).await {
        futures::future::Either::Left((result, _)) => result,
        futures::future::Either::Right(((), _)) => Err(PushError::Failed("connecting timed out".into())),
    }
}

/// Polls `future` to completion while the pushes in `applying` keep being
/// applied.
async fn alongside<T>(applying: &mut Applying<'_>, future: impl Future<Output = T>) -> T {
    let mut future = pin!(future);
    poll_fn(|cx| {
        while let Poll::Ready(Some(())) = applying.poll_next_unpin(cx) {}
        future.as_mut().poll(cx)
    })
    .await
}

/// Returned by [`MizanClient::push_task`]: dropping it ends the loop.
#[derive(Debug)]
pub struct PushStop {
    _stop: futures::channel::oneshot::Sender<()>,
}

/// Marks the loop as stopped when `run_push` returns or is dropped; a
/// dropped loop's status goes back to `idle`, an `unauthorized` one stays.
struct Running<'a>(&'a MizanClient);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let unauthorized = {
            let mut board = self.0.status_board();
            board.running = false;
            board.status == ConnectionStatus::Unauthorized
        };
        if !unauthorized {
            self.0.set_status(ConnectionStatus::Idle);
        }
    }
}

#[cfg(test)]
#[path = "push_tests.rs"]
mod tests;
