//! The web layer: the core plugged into the live page through web-sys, and
//! the `#[wasm_bindgen]` exports the JS entry (`js/index.js`) wraps.

mod dom;
mod listener;
mod log;
mod options;
mod recorder;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use listener::EventListener;
use options::read_start_options;
use recorder::Recording;

/// A running recording: an opaque handle owned by the JS entry.
#[wasm_bindgen]
pub struct Recorder {
    recording: Rc<RefCell<Recording>>,
    /// Waits for DOMContentLoaded when started while the page was parsing.
    _dom_ready: Option<EventListener>,
}

#[wasm_bindgen]
impl Recorder {
    /// Validates `options` and starts recording: a Meta event and a full
    /// snapshot now, or once the DOM is parsed if the page is still loading.
    ///
    /// # Errors
    /// Invalid options (the message names the key and what it allows), or no
    /// window/document to record.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Recorder, JsError> {
        console_error_panic_hook::set_once();
        let options = read_start_options(&options).map_err(|error| JsError::new(&error.to_string()))?;
        let window = web_sys::window().ok_or_else(|| JsError::new("rewind must run in a browser window"))?;
        let document = window
            .document()
            .ok_or_else(|| JsError::new("rewind needs a document to record"))?;
        let recording = Rc::new(RefCell::new(Recording::new(window, options.recorder, options.emit)));

        let dom_ready = if document.ready_state() == "loading" {
            let waiting = Rc::downgrade(&recording);
            let listener = EventListener::new(document.as_ref(), "DOMContentLoaded", false, move |_| {
                if let Some(recording) = waiting.upgrade() {
                    // Nothing to throw to from an event callback: the page's
                    // handlers must never see rewind's failures.
                    let _ = recording.borrow_mut().take_full_snapshot();
                }
            })
            .map_err(|_| JsError::new("could not wait for DOMContentLoaded"))?;
            Some(listener)
        } else {
            recording
                .borrow_mut()
                .take_full_snapshot()
                .map_err(|error| JsError::new(&format!("first snapshot failed: {error:?}")))?;
            None
        };
        Ok(Recorder {
            recording,
            _dom_ready: dom_ready,
        })
    }

    /// Emits a fresh Meta event and full snapshot (a checkout).
    ///
    /// # Errors
    /// When the document cannot be read.
    #[wasm_bindgen(js_name = takeFullSnapshot)]
    pub fn take_full_snapshot(&self) -> Result<(), JsError> {
        self.recording
            .borrow_mut()
            .take_full_snapshot()
            .map_err(|error| JsError::new(&format!("snapshot failed: {error:?}")))
    }

    /// Stops recording and detaches everything the recorder added to the page.
    pub fn stop(&mut self) {
        self._dom_ready = None;
        self.recording.borrow_mut().stop();
    }
}
