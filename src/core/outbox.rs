//! The outbox's caps, read from `start()`'s options. The courier
//! (js/courier.js) applies them: when the outbox grows too large or too
//! old it drops the oldest chunks, so what is kept is a contiguous recent
//! stretch of each replay.

/// Default cap on the outbox's total size (compressed bytes).
pub const DEFAULT_MAX_OUTBOX_BYTES: usize = 20 * 1024 * 1024;

/// Default age after which an undelivered chunk is dropped: a week, enough
/// to outlast a weekend offline, not so long that stale data piles up.
pub const DEFAULT_MAX_OUTBOX_AGE_MS: f64 = 7.0 * 24.0 * 60.0 * 60.0 * 1000.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutboxLimits {
    pub max_bytes: usize,
    pub max_age_ms: f64,
}

impl Default for OutboxLimits {
    fn default() -> Self {
        OutboxLimits {
            max_bytes: DEFAULT_MAX_OUTBOX_BYTES,
            max_age_ms: DEFAULT_MAX_OUTBOX_AGE_MS,
        }
    }
}
