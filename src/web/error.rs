//! The web layer's one error type. Everything below the exports returns
//! it; `exports.rs` turns it into a `JsError` with the message a user reads.

use std::fmt;

use wasm_bindgen::JsValue;

/// What went wrong in the web layer.
#[derive(Debug)]
pub enum WebError {
    /// Not in a browser window, or one without a document.
    NoPage(&'static str),
    /// A full snapshot could not be taken.
    Snapshot(String),
    /// A browser facility rewind uses is missing or refused (indexedDB in
    /// a sandboxed frame, no window); what and why.
    Unavailable(String),
    /// A browser API threw; its message.
    Js(String),
}

impl WebError {
    /// The message a user reads. (Built by hand, not through `Display`:
    /// the shipped wasm carries no formatting machinery.)
    pub fn message(&self) -> String {
        match self {
            WebError::NoPage(what) => (*what).to_owned(),
            WebError::Snapshot(reason) => crate::core::json::concat(&["snapshot failed: ", reason]),
            WebError::Unavailable(reason) | WebError::Js(reason) => reason.clone(),
        }
    }
}

impl fmt::Display for WebError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl From<JsValue> for WebError {
    fn from(error: JsValue) -> Self {
        WebError::Js(describe_js_error(&error))
    }
}

impl From<WebError> for wasm_bindgen::JsError {
    fn from(error: WebError) -> Self {
        wasm_bindgen::JsError::new(&error.message())
    }
}

/// A JS error's message, or its string form.
pub fn describe_js_error(error: &JsValue) -> String {
    js_sys::Reflect::get(error, &"message".into())
        .ok()
        .and_then(|message| message.as_string())
        .or_else(|| error.as_string())
        .unwrap_or_else(|| super::dom::string_of(error))
}
