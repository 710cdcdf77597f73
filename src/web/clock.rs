//! The page clock, read in one place: every timestamp and deadline of the
//! web layer comes from here, and the core's policies get it passed in.

/// Epoch milliseconds, as rrweb timestamps events (`Date.now()`).
pub fn now() -> f64 {
    js_sys::Date::now()
}
