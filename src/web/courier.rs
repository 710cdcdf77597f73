//! The courier, which stores sealed chunks in the outbox and delivers them,
//! is JS (`js/courier.js`): IndexedDB, fetch and localStorage from end to
//! end, which as web-sys calls cost the module about 30 KB, and a page that
//! only has chunks of earlier loads to deliver need not load the wasm at
//! all. The recording hands it each sealed chunk here, one call a chunk.

use wasm_bindgen::prelude::*;

use crate::core::outbox::OutboxLimits;

#[wasm_bindgen]
extern "C" {
    /// The page's courier, created by the JS entry and lent to each
    /// recording. Its methods never throw (js/courier.js).
    #[derive(Clone)]
    pub type Courier;

    #[wasm_bindgen(method)]
    fn configure(this: &Courier, max_bytes: f64, max_age_ms: f64, timeout_ms: f64, debug: bool);

    /// Resolves once the chunk is in the outbox. The courier stores chunks
    /// in the order of these calls, so none needs to wait for the last.
    #[wasm_bindgen(method)]
    fn store(
        this: &Courier,
        replay_id: &str,
        seq: f64,
        endpoint: &str,
        api_key: Option<&str>,
        body: &[u8],
        created_at_ms: f64,
    ) -> js_sys::Promise;

    #[wasm_bindgen(method, js_name = sendBeforeUnload)]
    fn send_before_unload(
        this: &Courier,
        replay_id: &str,
        seq: f64,
        endpoint: &str,
        api_key: Option<&str>,
        body: &[u8],
        created_at_ms: f64,
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
    pub body: Vec<u8>,
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
        )
    }
}
