//! The debug log: silent unless `debug: true`, one `[rewind]` prefix.

use std::cell::Cell;
use std::fmt;

use wasm_bindgen::JsValue;

#[derive(Default)]
pub struct DebugLog {
    enabled: Cell<bool>,
    warned_once: Cell<bool>,
}

impl DebugLog {
    pub fn new(enabled: bool) -> Self {
        DebugLog {
            enabled: Cell::new(enabled),
            warned_once: Cell::new(false),
        }
    }

    // Messages come as `format_args!`, formatted only when the log is on
    // (and with one `format!` here, not one more at every caller).
    pub fn info(&self, message: fmt::Arguments<'_>) {
        if self.enabled.get() {
            web_sys::console::log_1(&format!("[rewind] {message}").into());
        }
    }

    pub fn warn(&self, message: fmt::Arguments<'_>) {
        if self.enabled.get() {
            web_sys::console::warn_1(&format!("[rewind] {message}").into());
        }
    }

    /// Warns about `error` the first time only, so a failing callback does
    /// not flood the console.
    pub fn warn_once_js(&self, message: &str, error: &JsValue) {
        if self.enabled.get() && !self.warned_once.replace(true) {
            web_sys::console::warn_2(&format!("[rewind] {message}:").into(), error);
        }
    }
}
