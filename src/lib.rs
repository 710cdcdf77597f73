//! rewind: a session-replay recorder for the browser.
//!
//! Two halves, so most of the logic is tested natively and fast:
//! - [`core`]: pure Rust — rrweb's event model, the node-id mirror, the
//!   snapshot serializer, privacy rules. No web-sys.
//! - `web` (wasm32 only): the thin layer that reads the live DOM through
//!   web-sys, runs the recorder in the page and exports the JS API.

pub mod core;

#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
pub use web::{Courier, Recorder, TabStorage};

/// Talc instead of Rust's default wasm allocator (dlmalloc): 1.6 KB gzip
/// less of the shipped wasm on December 2 (and faster, by its authors'
/// benchmarks; `npm run bench` measures the recorder as a whole). rewind's wasm is single-threaded
/// (no `atomics`), which this allocator assumes.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
