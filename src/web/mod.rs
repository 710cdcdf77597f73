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
pub use storage::TabStorage;
