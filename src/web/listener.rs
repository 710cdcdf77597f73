//! DOM event listeners that detach themselves when dropped, so stopping the
//! recorder is dropping what it holds. Each goes through the guard
//! (`super::guard`): nothing it throws reaches the page.

use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget};

use super::guard::{listen, unlisten, Callback, ListenerEntry};

/// A listener on a target; removed from it on drop.
#[must_use = "the listener is removed as soon as this handle is dropped"]
pub struct EventListener {
    entry: ListenerEntry,
    _callback: Callback,
}

impl EventListener {
    /// Listens for `event_type` on `target`, passively, in the capture phase
    /// when `capture` is set (so the page's `stopPropagation` cannot hide
    /// events from the recorder).
    pub fn new(
        target: &EventTarget,
        event_type: &'static str,
        capture: bool,
        mut callback: impl FnMut(Event) + 'static,
    ) -> Self {
        let callback =
            Callback::new(move |event: wasm_bindgen::JsValue| callback(event.unchecked_into()));
        let entry = listen(
            target,
            event_type,
            callback.as_ref().unchecked_ref(),
            capture,
        );
        EventListener {
            entry,
            _callback: callback,
        }
    }
}

impl Drop for EventListener {
    fn drop(&mut self) {
        unlisten(&self.entry);
    }
}
