//! Uncaught errors and unhandled promise rejections, recorded as
//! `rrweb/console@1` plugin events at level error.

use web_sys::{Event, EventTarget};

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
/// reads it and writes its event in one crossing).
pub fn on_uncaught(out: &mut Output, event: &Event) {
    if let Some(data) = describe_uncaught(event) {
        out.record_plugin(data, clock::now());
    }
}
