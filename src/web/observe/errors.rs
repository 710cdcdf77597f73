//! Uncaught errors and unhandled promise rejections, recorded as
//! `rrweb/console@1` plugin events at level error.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, EventTarget};

use crate::core::incremental::console_error_json;

use super::super::clock;
use super::super::dom::string_of;
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

pub fn on_error(out: &mut Output, event: &Event) {
    let Some(error_event) = event.dyn_ref::<web_sys::ErrorEvent>() else {
        return;
    };
    let stack = stack_of(&error_event.error());
    out.record_plugin(
        console_error_json(&error_event.message(), stack.as_deref()),
        clock::now(),
    );
}

pub fn on_rejection(out: &mut Output, event: &Event) {
    let Some(rejection) = event.dyn_ref::<web_sys::PromiseRejectionEvent>() else {
        return;
    };
    let reason = rejection.reason();
    let message = match reason.dyn_ref::<js_sys::Error>() {
        Some(error) => [
            "Uncaught (in promise) ",
            &String::from(error.name()),
            ": ",
            &String::from(error.message()),
        ]
        .concat(),
        None => ["Uncaught (in promise) ", &string_of(&reason)].concat(),
    };
    out.record_plugin(
        console_error_json(&message, stack_of(&reason).as_deref()),
        clock::now(),
    );
}

fn stack_of(error: &JsValue) -> Option<String> {
    js_sys::Reflect::get(error, &"stack".into())
        .ok()?
        .as_string()
}
