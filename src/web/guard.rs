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

#[wasm_bindgen(inline_js = r#"
const state = { poisoned: false, reason: null, listeners: new Set(), observers: new Set(), timers: new Map(), cleanups: new Set() };

export function poison(error) {
  if (state.poisoned) return;
  state.poisoned = true;
  state.reason = error;
  for (const entry of state.listeners) {
    try { entry.target.removeEventListener(entry.type, entry.fn, entry.capture); } catch (e) {}
  }
  state.listeners.clear();
  for (const observer of state.observers) {
    try { observer.disconnect(); } catch (e) {}
  }
  state.observers.clear();
  for (const [id, repeat] of state.timers) (repeat ? clearInterval : clearTimeout)(id);
  state.timers.clear();
  for (const cleanup of state.cleanups) {
    try { cleanup(); } catch (e) {}
  }
  state.cleanups.clear();
  try { console.error('[rewind] stopped recording after an internal error; the page is not affected.', error); } catch (e) {}
}

export function guard(callback) {
  return function () {
    if (state.poisoned) return undefined;
    try {
      return callback.apply(this, arguments);
    } catch (error) {
      poison(error);
      return undefined;
    }
  };
}

export function isPoisoned() { return state.poisoned; }

export function poisonReason() { return state.reason === null ? null : String(state.reason); }

export function listen(target, type, callback, capture) {
  const entry = { target, type, fn: guard(callback), capture };
  target.addEventListener(type, entry.fn, { capture, passive: true });
  state.listeners.add(entry);
  return entry;
}

export function unlisten(entry) {
  entry.target.removeEventListener(entry.type, entry.fn, entry.capture);
  state.listeners.delete(entry);
}

export function newObserver(callback) {
  const observer = new MutationObserver(guard(callback));
  state.observers.add(observer);
  return observer;
}

export function dropObserver(observer) {
  observer.disconnect();
  state.observers.delete(observer);
}

export function startTimer(callback, ms, repeat) {
  const guarded = guard(callback);
  let id;
  const run = repeat ? guarded : function () { state.timers.delete(id); guarded(); };
  id = (repeat ? setInterval : setTimeout)(run, ms);
  state.timers.set(id, repeat);
  return id;
}

export function stopTimer(id, repeat) {
  (repeat ? clearInterval : clearTimeout)(id);
  state.timers.delete(id);
}

// A promise resolved after ms milliseconds (a plain timer, as the courier's waits
// always were: nothing runs in it that could throw).
export function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

export function addCleanup(cleanup) { state.cleanups.add(cleanup); }

export function removeCleanup(cleanup) { state.cleanups.delete(cleanup); }

export function api() { return { poison, isPoisoned, poisonReason, attachedCounts }; }

// What rewind has attached to the page right now (tests count these).
export function attachedCounts() {
  return { listeners: state.listeners.size, observers: state.observers.size, timers: state.timers.size, hooks: state.cleanups.size };
}
"#)]
extern "C" {
    /// Stops everything rewind attached; `error` says why.
    pub fn poison(error: &JsValue);

    /// Wraps a callback so that nothing it throws reaches the caller.
    pub fn guard(callback: &js_sys::Function) -> js_sys::Function;

    #[wasm_bindgen(js_name = isPoisoned)]
    pub fn is_poisoned() -> bool;

    #[wasm_bindgen(js_name = poisonReason)]
    pub fn poison_reason() -> Option<String>;

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

    /// A promise resolved after `ms` (a signed 32-bit delay, as
    /// `setTimeout` reads it).
    fn sleep(ms: i32) -> js_sys::Promise;

    #[wasm_bindgen(js_name = addCleanup)]
    pub fn add_cleanup(cleanup: &js_sys::Function);

    #[wasm_bindgen(js_name = removeCleanup)]
    pub fn remove_cleanup(cleanup: &js_sys::Function);

    /// The functions above as one object, for the JS entry.
    pub fn api() -> JsValue;

    /// `{ listeners, observers, timers, hooks }` rewind has attached now.
    #[wasm_bindgen(js_name = attachedCounts)]
    pub fn attached_counts() -> JsValue;
}

/// Waits `ms` milliseconds: the courier's pauses, awaited to the end (a
/// plain promise, where gloo-timers' future cost a kilobyte of wasm).
pub async fn pause(ms: u32) {
    // (`as i32` as gloo-timers passed it to setTimeout.)
    let _ = wasm_bindgen_futures::JsFuture::from(sleep(ms as i32)).await;
}

/// A guarded timer that is cleared when dropped.
#[must_use = "the timer is cleared as soon as this handle is dropped"]
pub struct Timer {
    id: f64,
    repeat: bool,
    _callback: Closure<dyn FnMut()>,
}

impl Timer {
    /// Calls `callback` once after `ms`.
    pub fn once(ms: u32, callback: impl FnOnce() + 'static) -> Timer {
        let callback = Closure::once(callback);
        let id = start_timer(callback.as_ref().unchecked_ref(), ms, false);
        Timer {
            id,
            repeat: false,
            _callback: callback,
        }
    }

    /// Calls `callback` every `ms`.
    pub fn every(ms: u32, callback: impl FnMut() + 'static) -> Timer {
        let callback = Closure::<dyn FnMut()>::new(callback);
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
