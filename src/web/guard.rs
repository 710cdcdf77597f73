//! Everything rewind attaches to the page goes through here, so that no
//! failure of rewind can reach the page and one failure stops all of it.
//!
//! Each callback the browser calls (listeners, the mutation observer, timers)
//! is wrapped in a JS guard: if it throws — a Rust panic aborts into a wasm
//! trap, which surfaces as an exception — the guard swallows it, marks rewind
//! poisoned and detaches every listener, observer, timer and prototype hook
//! from a registry kept on the JS side (after a trap the wasm instance is not
//! to be trusted, so the clean-up must not need it). The page keeps running
//! as if rewind were not there.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/page.js")]
extern "C" {
    /// A registered, guarded, passive listener.
    pub type ListenerEntry;

    pub fn listen(
        target: &web_sys::EventTarget,
        event_type: &str,
        callback: &js_sys::Function,
        capture: bool,
    ) -> ListenerEntry;

    pub fn unlisten(entry: &ListenerEntry);

    #[wasm_bindgen(js_name = newObserver)]
    pub fn new_observer(callback: &js_sys::Function) -> web_sys::MutationObserver;

    #[wasm_bindgen(js_name = dropObserver)]
    pub fn drop_observer(observer: &web_sys::MutationObserver);

    #[wasm_bindgen(js_name = startTimer)]
    fn start_timer(callback: &js_sys::Function, ms: u32, repeat: bool) -> f64;

    #[wasm_bindgen(js_name = stopTimer)]
    fn stop_timer(id: f64, repeat: bool);

    /// page.js's `poison` (stops everything rewind attached; its argument
    /// says why), `isPoisoned` and `attachedCounts` as one object, for the
    /// JS entry.
    pub fn api() -> JsValue;

    /// `{ listeners, observers, timers, hooks }` rewind has attached now.
    #[wasm_bindgen(js_name = attachedCounts)]
    pub fn attached_counts() -> JsValue;
}

/// What the page calls back, whatever it calls back with: every listener,
/// observer, hook and timer takes one argument (a timer's is undefined),
/// read as the type it is. One closure type, because each type is one
/// more call shim and destructor in the wasm and one more in the JS glue.
pub type Callback = Closure<dyn FnMut(JsValue)>;

/// A guarded timer that is cleared when dropped.
#[must_use = "the timer is cleared as soon as this handle is dropped"]
pub struct Timer {
    id: f64,
    repeat: bool,
    _callback: Callback,
}

impl Timer {
    /// Calls `callback` once after `ms`.
    pub fn once(ms: u32, callback: impl FnOnce() + 'static) -> Timer {
        // (Not `Closure::once`: that is one more closure type.)
        let mut callback = Some(callback);
        let callback = Callback::new(move |_| {
            if let Some(callback) = callback.take() {
                callback();
            }
        });
        let id = start_timer(callback.as_ref().unchecked_ref(), ms, false);
        Timer {
            id,
            repeat: false,
            _callback: callback,
        }
    }

    /// Calls `callback` every `ms`.
    pub fn every(ms: u32, mut callback: impl FnMut() + 'static) -> Timer {
        let callback = Callback::new(move |_| callback());
        let id = start_timer(callback.as_ref().unchecked_ref(), ms, true);
        Timer {
            id,
            repeat: true,
            _callback: callback,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        stop_timer(self.id, self.repeat);
    }
}
