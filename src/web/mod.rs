//! The web layer: the core plugged into the live page through web-sys, and
//! the `#[wasm_bindgen]` exports the JS entry (`js/index.js`) wraps.
//!
//! Dependencies point one way: `exports` -> `recorder` -> `observe/*`,
//! `snapshot` -> `context`, `output`, `signal` -> the adapters (`dom`,
//! `hooks`, `guard`, `listener`, `storage`, `courier`, ...) -> `core`.

mod clock;
mod context;
mod courier;
mod dom;
mod error;
mod exports;
mod guard;
mod hooks;
mod listener;
mod log;
mod observe;
mod options;
mod output;
mod recorder;
mod signal;
mod snapshot;
mod start;
mod storage;

pub use courier::Courier;
pub use exports::Recorder;

use std::future::Future;
use std::pin::Pin;

/// A promise of what `future` resolves to. Every export that returns a
/// promise goes through one `future_to_promise` instance here: each future
/// type passed to it directly is another copy of its task code in the wasm.
fn promise_of(future: impl Future<Output = wasm_bindgen::JsValue> + 'static) -> js_sys::Promise {
    promise_of_boxed(Box::pin(future))
}

#[inline(never)]
fn promise_of_boxed(
    future: Pin<Box<dyn Future<Output = wasm_bindgen::JsValue>>>,
) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move { Ok(future.await) })
}
