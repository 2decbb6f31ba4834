//! The little the kernel needs from an async runtime, without depending on
//! one: a boxed-future alias that is `Send` on native targets (so a client
//! works under tokio's multi-threaded runtime) and thread-local on `wasm32`
//! (where browser futures are not `Send`), a one-shot yield used to batch
//! invalidations that arrive in the same tick, and the timer used between
//! retries.
//!
//! The kernel never spawns a task: every fetch runs inside a future that the
//! caller (a mutation, a subscription's `load`, a framework adapter) awaits.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A boxed future returned by [`crate::Transport`] and [`Sleep`]
/// implementations: `Send` on native targets, thread-local on `wasm32`.
#[cfg(not(target_arch = "wasm32"))]
pub type ClientFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A boxed future returned by [`crate::Transport`] and [`Sleep`]
/// implementations: `Send` on native targets, thread-local on `wasm32`.
#[cfg(target_arch = "wasm32")]
pub type ClientFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A future that returns `Pending` once (waking itself) and then `Ready`:
/// everything else that is ready in the current tick runs in between.
pub(crate) fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// See [`yield_now`].
pub(crate) struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A timer: waits for a duration. The kernel uses it only between retries
/// of a context fetch; plug in your runtime's timer (e.g. `tokio::time::sleep`)
/// with [`crate::ClientBuilder::sleep`], or a fake one in tests.
pub trait Sleep: Send + Sync + 'static {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> ClientFuture<'static, ()>;
}

impl<F> Sleep for F
where
    F: Fn(Duration) -> ClientFuture<'static, ()> + Send + Sync + 'static,
{
    fn sleep(&self, duration: Duration) -> ClientFuture<'static, ()> {
        self(duration)
    }
}

/// The default timer. Native: a short-lived thread completes a one-shot
/// channel (works under any executor; retries are rare). `wasm32`:
/// `setTimeout`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultSleep;

#[cfg(not(target_arch = "wasm32"))]
impl Sleep for DefaultSleep {
    fn sleep(&self, duration: Duration) -> ClientFuture<'static, ()> {
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("mizan-client-timer".into())
            .spawn(move || {
                std::thread::sleep(duration);
                let _ = tx.send(());
            });
        Box::pin(async move {
            // If no thread could be started, retry without waiting rather
            // than never.
            if spawned.is_ok() {
                let _ = rx.await;
            }
        })
    }
}

#[cfg(target_arch = "wasm32")]
impl Sleep for DefaultSleep {
    fn sleep(&self, duration: Duration) -> ClientFuture<'static, ()> {
        use wasm_bindgen::{JsCast, JsValue};
        let millis = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            // `setTimeout` looked up on the global object: works in windows
            // and workers. Without it, resolve at once (retry immediately).
            let global = js_sys::global();
            let set_timeout = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout"))
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
            let scheduled = set_timeout
                .map(|f| f.call2(&global, &resolve, &JsValue::from(millis)).is_ok())
                .unwrap_or(false);
            if !scheduled {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        });
        Box::pin(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        })
    }
}

/// How context fetches are retried (SPEC §10: twice, on network errors and
/// 5xx, with back-off). Mutations are never retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2).
    pub retries: u32,
    /// Delay before the first retry; doubled for each further one
    /// (default 300 ms).
    pub base_delay: Duration,
    /// Upper bound of any one delay (default 5 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 2,
            base_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub const NEVER: RetryPolicy = RetryPolicy {
        retries: 0,
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    };

    /// The delay before retry number `retry` (0-based): exponential back-off
    /// `base_delay * 2^retry`, capped at `max_delay`.
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0), Duration::from_millis(300));
        assert_eq!(p.delay(1), Duration::from_millis(600));
        assert_eq!(p.delay(10), Duration::from_secs(5));
        assert_eq!(p.delay(200), Duration::from_secs(5));
        assert_eq!(RetryPolicy::NEVER.delay(3), Duration::ZERO);
    }

    #[test]
    fn yield_now_completes_on_second_poll() {
        futures::executor::block_on(yield_now());
    }

    #[test]
    fn default_sleep_completes() {
        let start = std::time::Instant::now();
        futures::executor::block_on(DefaultSleep.sleep(Duration::from_millis(20)));
        assert!(start.elapsed() >= Duration::from_millis(20));
    }
}
