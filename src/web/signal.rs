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

/// A hook's notification: `[kind, node, styleId, payload]`, read one
/// member at a time: most kinds need only the kind and the node, and each
/// member read is a crossing or two.
pub struct HookCall(pub js_sys::Array);

impl HookCall {
    /// `flush`, `event`, `adopted`, `shadow`, `value`, `rule` or
    /// `declaration` (`installHooks` in page.js).
    pub fn kind(&self) -> String {
        self.0.get(0).as_string().unwrap_or_default()
    }

    /// The node (or, for `event`, the event) the call is about.
    pub fn node(&self) -> JsValue {
        self.0.get(1)
    }

    /// The constructed sheet's id; for `event`, the event type's index.
    pub fn style_id(&self) -> f64 {
        self.0.get(2).as_f64().unwrap_or(0.0)
    }

    /// A rule or declaration edit's JSON members.
    pub fn payload(&self) -> String {
        self.0.get(3).as_string().unwrap_or_default()
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
