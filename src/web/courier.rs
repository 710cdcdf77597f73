//! The courier, which stores sealed chunks in the outbox and delivers them,
//! is JS (`js/courier.js`): IndexedDB, fetch and localStorage from end to
//! end, which as web-sys calls cost the module about 30 KB, and a page that
//! only has chunks of earlier loads to deliver need not load the wasm at
//! all. The recording hands it each sealed chunk here, one call a chunk.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::core::chunk::gzip;
use crate::core::outbox::OutboxLimits;

#[wasm_bindgen]
extern "C" {
    /// The page's courier, created by the JS entry and lent to each
    /// recording. Its methods never throw (js/courier.js).
    #[derive(Clone)]
    pub type Courier;

    #[wasm_bindgen(method)]
    fn configure(this: &Courier, max_bytes: f64, max_age_ms: f64, timeout_ms: f64, debug: bool);

    /// Whether the courier compresses chunks in a worker: the recording
    /// then seals them plain (`core::chunk`), off the page's main thread's
    /// budget.
    #[wasm_bindgen(method, js_name = compressesOffThread)]
    pub fn compresses_off_thread(this: &Courier) -> bool;

    /// Resolves once the chunk is in the outbox (compressed first if
    /// `compressed` is false). The courier stores chunks in the order of
    /// these calls, so none needs to wait for the last.
    #[wasm_bindgen(method)]
    #[allow(clippy::too_many_arguments)]
    fn store(
        this: &Courier,
        replay_id: &str,
        seq: f64,
        endpoint: &str,
        api_key: Option<&str>,
        body: &[u8],
        created_at_ms: f64,
        compressed: bool,
    ) -> js_sys::Promise;

    /// A part of the JSON of a chunk being written plain, handed over as
    /// it grows (`core::chunk`'s `take_plain_part`); the courier puts the
    /// parts before the body the chunk is sealed with.
    #[wasm_bindgen(method, js_name = appendPart)]
    pub fn append_part(this: &Courier, replay_id: &str, seq: f64, part: &[u8]);

    #[wasm_bindgen(method, js_name = sendBeforeUnload)]
    #[allow(clippy::too_many_arguments)]
    fn send_before_unload(
        this: &Courier,
        replay_id: &str,
        seq: f64,
        endpoint: &str,
        api_key: Option<&str>,
        body: &[u8],
        created_at_ms: f64,
        compressed: bool,
    ) -> bool;
}

/// One sealed chunk with what its delivery needs, so that a later page load
/// can send it without `start()`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRecord {
    pub replay_id: String,
    pub seq: u64,
    pub endpoint: String,
    pub api_key: Option<String>,
    /// gzip, or plain JSON when `compressed` is false.
    pub body: Vec<u8>,
    pub compressed: bool,
    pub created_at_ms: f64,
}

impl Courier {
    /// Settings from the latest `start()`.
    pub fn apply_settings(&self, limits: OutboxLimits, request_timeout_ms: f64, debug: bool) {
        self.configure(
            limits.max_bytes as f64,
            limits.max_age_ms,
            request_timeout_ms,
            debug,
        );
    }

    /// Stores `record` in the outbox, after the records handed over before
    /// it; the courier delivers it. The promise resolves once it is stored
    /// and never rejects.
    pub fn store_record(&self, record: &OutboxRecord) -> js_sys::Promise {
        self.store(
            &record.replay_id,
            record.seq as f64,
            &record.endpoint,
            record.api_key.as_deref(),
            &record.body,
            record.created_at_ms,
            record.compressed,
        )
    }

    /// On pagehide: parks the chunk and sends it with keepalive when that
    /// keeps its replay in order (js/courier.js says when).
    pub fn send_record_before_unload(&self, record: &OutboxRecord) -> bool {
        self.send_before_unload(
            &record.replay_id,
            record.seq as f64,
            &record.endpoint,
            record.api_key.as_deref(),
            &record.body,
            record.created_at_ms,
            record.compressed,
        )
    }
}

// The courier compresses chunks sealed plain in a worker, with an instance
// of this same module, through the three exports below; without a worker,
// or when it fails, with the page's own instance. Plain C exports, not
// wasm-bindgen ones: the worker has none of the glue, and its instance gets
// stand-ins for every import, none of which these reach. The names are
// kept by scripts/minify-interface.mjs; js/courier.js's `gzipIn` calls them.

thread_local! {
    /// The chunk's JSON written in by the caller, and its gzip.
    static GZIP_BUFFERS: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Room for `len` bytes of JSON, where the caller writes a chunk before
/// [`gzip_run`]; `len` 0 frees both buffers.
#[unsafe(no_mangle)]
pub extern "C" fn gzip_in(len: usize) -> *mut u8 {
    GZIP_BUFFERS.with(|buffers| {
        let mut buffers = buffers.borrow_mut();
        if len == 0 {
            *buffers = (Vec::new(), Vec::new());
        } else {
            buffers.0.clear();
            buffers.0.resize(len, 0);
        }
        buffers.0.as_mut_ptr()
    })
}

/// Compresses what [`gzip_in`] holds; returns the gzip's length, its bytes
/// at [`gzip_out`].
#[unsafe(no_mangle)]
pub extern "C" fn gzip_run() -> usize {
    GZIP_BUFFERS.with(|buffers| {
        let mut buffers = buffers.borrow_mut();
        let body = gzip(&buffers.0);
        buffers.0 = Vec::new();
        buffers.1 = body;
        buffers.1.len()
    })
}

/// Where [`gzip_run`]'s output is.
#[unsafe(no_mangle)]
pub extern "C" fn gzip_out() -> *const u8 {
    GZIP_BUFFERS.with(|buffers| buffers.borrow().1.as_ptr())
}
