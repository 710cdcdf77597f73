//! What the page tells a recording: every listener, observer, hook and
//! timer the web layer attaches sends one [`Signal`] through the
//! recording's [`Signals`] function, and `recorder.rs` routes it. Observers
//! attach and handle; they never hold the recording itself, so no module
//! below the recorder depends on it.

use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::{Event, EventTarget};

use super::guard::Timer;
use super::listener::EventListener;

/// One thing that happened, for the recording to act on.
pub enum Signal {
    // The recording's lifecycle.
    /// `pagehide`.
    PageHidden,
    /// The page became hidden or visible.
    VisibilityChanged,
    /// What only a user does.
    UserActivity,
    /// The flush interval passed.
    FlushTick,
    /// The document was parsed: the first snapshot can be taken.
    DocumentParsed,
    /// The next slice of a full snapshot is due.
    SnapshotSlice,

    // Incremental capture.
    /// MutationObserver records.
    Mutations(js_sys::Array),
    /// A prototype hook fired (see `hooks.rs`).
    Hook(HookCall),
    PointerMove {
        event: Event,
        touch: bool,
    },
    /// A click, press, focus or touch (its kind by the event's type).
    Interaction(Event),
    Scroll(Event),
    Resize,
    /// `input` or `change`.
    Input(Event),
    FormReset(Event),
    /// Play, pause, seek, volume or rate change (by the event's type).
    Media(Event),
    /// `selectionchange`, at the document or at a text field.
    SelectionChange(Event),
    Error(Event),
    Rejection(Event),
    /// A console method rewind wraps was called (`observe/console.rs`).
    Console(ConsoleCall),
    /// A stylesheet link recorded before its sheet loaded has loaded (the
    /// event's target).
    SheetLoaded(Event),
    /// A same-origin frame (the event's target) loaded a document.
    FrameLoaded(Event),
    // Observers' own timers.
    FlushPointer,
    FlushScrolls,
    FlushResize,
    ReadResetForms,
}

/// A hook's notification: `[kind, node, styleId, payload]`.
pub struct HookCall {
    pub kind: String,
    pub node: JsValue,
    pub style_id: f64,
    pub payload: String,
}

impl HookCall {
    /// The call as the hooks (`installHooks` in page.js) send it.
    pub fn read(call: &js_sys::Array) -> HookCall {
        HookCall {
            kind: call.get(0).as_string().unwrap_or_default(),
            node: call.get(1),
            style_id: call.get(2).as_f64().unwrap_or(0.0),
            payload: call.get(3).as_string().unwrap_or_default(),
        }
    }
}

/// A console call, as the wrapper saw it: `[level, error, ...arguments]`,
/// the error made inside the wrapper for its stack.
pub struct ConsoleCall(pub js_sys::Array);

/// Where a recording's signals go.
pub type Signals = Rc<dyn Fn(Signal)>;

/// What a DOM event becomes: a plain function, so that every listener is
/// one kind of closure (each kind would be one more copy, in the wasm, of
/// the code that runs it), and a signal that depends on the event reads it
/// from the event.
pub type ToSignal = fn(Event) -> Signal;

/// Listens for `event_type` on `target` (in the capture phase when
/// `capture`), sending what `to_signal` makes of each event.
pub fn listen(
    signals: &Signals,
    target: &EventTarget,
    event_type: &'static str,
    capture: bool,
    to_signal: ToSignal,
) -> EventListener {
    let signals = signals.clone();
    EventListener::new(target, event_type, capture, move |event| {
        signals(to_signal(event))
    })
}

/// Sends `signal` after `ms`; dropping the timer cancels it.
pub fn later(signals: &Signals, ms: u32, signal: Signal) -> Timer {
    let signals = signals.clone();
    Timer::once(ms, move || signals(signal))
}
