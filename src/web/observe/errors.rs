//! Uncaught errors and unhandled promise rejections, recorded as
//! `rrweb/console@1` plugin events at level error.

use wasm_bindgen::JsValue;
use web_sys::{Event, EventTarget};

use crate::core::incremental::console_error_json;

use super::super::clock;
use super::super::dom::describe_uncaught;
use super::super::listener::EventListener;
use super::super::output::Output;
use super::super::signal::{listen, Signal, Signals};

/// Listens on the page's window for uncaught errors and rejections.
pub fn observe_errors(signals: &Signals, window: &EventTarget, into: &mut Vec<EventListener>) {
    // Not capture: `error` in the capture phase also fires for every
    // failed <img>/<script> load, which is not an uncaught error.
    into.push(listen(signals, window, "error", false, Signal::Error));
    into.push(listen(
        signals,
        window,
        "unhandledrejection",
        false,
        Signal::Rejection,
    ));
}

/// Records an uncaught error or unhandled rejection (`describeUncaught`
/// reads it in one crossing).
pub fn on_uncaught(out: &mut Output, event: &Event) {
    let described = describe_uncaught(event);
    let mut parts = described.iter().map(JsValue::as_string);
    let Some(Some(message)) = parts.next() else {
        return;
    };
    let stack = parts.next().flatten();
    out.record_plugin(console_error_json(&message, stack.as_deref()), clock::now());
}
