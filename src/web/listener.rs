//! DOM event listeners that detach themselves when dropped, so stopping the
//! recorder is dropping what it holds.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AddEventListenerOptions, Event, EventTarget};

/// A listener on `target`; removed from it on drop.
#[must_use = "the listener is removed as soon as this handle is dropped"]
pub struct EventListener {
    target: EventTarget,
    event_type: &'static str,
    capture: bool,
    callback: Closure<dyn FnMut(Event)>,
}

impl EventListener {
    /// Listens for `event_type` on `target`, passively, in the capture phase
    /// when `capture` is set (so the page's `stopPropagation` cannot hide
    /// events from the recorder).
    ///
    /// # Errors
    /// When the browser refuses the listener.
    pub fn new(
        target: &EventTarget,
        event_type: &'static str,
        capture: bool,
        callback: impl FnMut(Event) + 'static,
    ) -> Result<Self, JsValue> {
        let callback = Closure::<dyn FnMut(Event)>::new(callback);
        let options = AddEventListenerOptions::new();
        options.set_capture(capture);
        options.set_passive(true);
        target.add_event_listener_with_callback_and_add_event_listener_options(
            event_type,
            callback.as_ref().unchecked_ref(),
            &options,
        )?;
        Ok(EventListener {
            target: target.clone(),
            event_type,
            capture,
            callback,
        })
    }
}

impl Drop for EventListener {
    fn drop(&mut self) {
        // Removal cannot meaningfully fail; nothing to report from a Drop.
        let _ = self.target.remove_event_listener_with_callback_and_bool(
            self.event_type,
            self.callback.as_ref().unchecked_ref(),
            self.capture,
        );
    }
}
