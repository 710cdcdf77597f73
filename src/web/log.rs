//! The debug log: silent unless `debug: true`, one `[rewind]` prefix.

use std::cell::Cell;

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

    // Messages come in parts, joined only when the log is on. (Not
    // `format_args!`: the shipped wasm carries no formatting machinery.)
    /// Whether messages are shown: a caller whose parts cost something to
    /// build asks first.
    pub fn is_on(&self) -> bool {
        self.enabled.get()
    }

    pub fn info(&self, parts: &[&str]) {
        if self.enabled.get() {
            web_sys::console::log_1(&line(parts).into());
        }
    }

    pub fn warn(&self, parts: &[&str]) {
        if self.enabled.get() {
            web_sys::console::warn_1(&line(parts).into());
        }
    }

    /// Warns about `error` the first time only, so a failing callback does
    /// not flood the console.
    pub fn warn_once_js(&self, message: &str, error: &JsValue) {
        if self.enabled.get() && !self.warned_once.replace(true) {
            web_sys::console::warn_2(&line(&[message, ":"]).into(), error);
        }
    }
}

/// `[rewind] ` and the parts, as one line.
fn line(parts: &[&str]) -> String {
    let mut line = String::from("[rewind] ");
    for part in parts {
        line.push_str(part);
    }
    line
}
