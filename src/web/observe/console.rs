//! Console calls (`captureConsole`), recorded as `rrweb/console@1` plugin
//! events. The methods named are wrapped on the page's window: the page's
//! method runs first, untouched (same arguments, same `this`, its return
//! value returned), then a guarded notification; the arguments are read in
//! JS, safely and within the caps of `core::console`, only for the calls
//! its rate rule records. `stop()`, a recorder freed without it, and the
//! guard (if rewind is poisoned) put the page's methods back.

use wasm_bindgen::prelude::*;

use crate::core::console::{
    dropped_note, ConsoleLevel, ConsoleRate, MAX_ARGUMENT_CHARS, MAX_DEPTH, MAX_EARLY_EVENTS,
    MAX_EVENT_CHARS, MAX_MEMBERS,
};

use super::super::clock;
use super::super::guard::Callback;
use super::super::output::Output;
use super::super::signal::{ConsoleCall, Signal, Signals};

#[wasm_bindgen(module = "/src/web/page.js")]
extern "C" {
    /// Wraps the console methods `levels` names (space-separated) on
    /// `window`; `notify` hears each call, guarded (nothing it throws
    /// reaches the page). Returns the function that puts them back, which
    /// the guard also runs if rewind is poisoned.
    #[wasm_bindgen(js_name = wrapConsole)]
    fn wrap_console(window: &JsValue, levels: &str, notify: &js_sys::Function) -> js_sys::Function;

    /// `call` as the event's data, its arguments held to the caps.
    #[wasm_bindgen(js_name = consoleCall)]
    fn console_call(
        call: &js_sys::Array,
        max_depth: u32,
        max_members: u32,
        max_chars: u32,
        event_chars: u32,
    ) -> String;
}

/// The wrapped console of a recording; the page's methods are put back on
/// drop.
#[must_use = "the console is put back as soon as this handle is dropped"]
pub struct ConsoleHandle {
    /// Puts the methods back.
    restore: js_sys::Function,
    _notify: Callback,
}

impl Drop for ConsoleHandle {
    fn drop(&mut self) {
        let _ = self.restore.call0(&JsValue::NULL);
    }
}

/// Wraps the console methods of `levels` on `window`, each call sent as a
/// [`Signal::Console`].
pub fn observe_console(
    signals: &Signals,
    window: &JsValue,
    levels: &[ConsoleLevel],
) -> ConsoleHandle {
    let signals = signals.clone();
    let notify = Callback::new(move |call: JsValue| {
        signals(Signal::Console(ConsoleCall(call.unchecked_into())))
    });
    let mut names = String::new();
    for level in levels {
        if !names.is_empty() {
            names.push(' ');
        }
        names.push_str(level.name());
    }
    let restore = wrap_console(window, &names, notify.as_ref().unchecked_ref());
    ConsoleHandle {
        restore,
        _notify: notify,
    }
}

/// The console capture of a recording: its wrapper and its rate.
pub struct Console {
    _handle: ConsoleHandle,
    rate: ConsoleRate,
    /// Whether the recording's first full snapshot began.
    opened: bool,
    /// The events of calls made before that (a `start()` made while the
    /// page is parsed waits for DOMContentLoaded): a replay opens with its
    /// Meta, so they are recorded right after the snapshot, at its time.
    early: Vec<String>,
}

impl Console {
    pub fn new(handle: ConsoleHandle) -> Self {
        Console {
            _handle: handle,
            rate: ConsoleRate::default(),
            opened: false,
            early: Vec::new(),
        }
    }

    /// Records `call` if the rate rule lets it.
    pub fn on_call(&mut self, out: &mut Output, call: &ConsoleCall) {
        if !self.opened && self.early.len() >= MAX_EARLY_EVENTS {
            self.rate.count_dropped();
            return;
        }
        let now = clock::now();
        let Some(dropped) = self.rate.admit(now) else {
            return;
        };
        self.note_dropped(out, dropped, now);
        let data = console_call(
            &call.0,
            MAX_DEPTH,
            MAX_MEMBERS,
            MAX_ARGUMENT_CHARS as u32,
            MAX_EVENT_CHARS as u32,
        );
        self.record(out, data, now);
    }

    /// Records the count of calls dropped since the last note, if any
    /// (before a flush or stop seals the chunk; before the first snapshot
    /// the count waits for a call after it).
    pub fn write_pending(&mut self, out: &mut Output) {
        if self.opened {
            let dropped = self.rate.take_dropped();
            self.note_dropped(out, dropped, clock::now());
        }
    }

    /// A full snapshot begins: from now on calls are recorded as they come
    /// (the output holds them while it is written).
    pub fn snapshot_begins(&mut self) {
        self.opened = true;
    }

    /// A full snapshot at `timestamp` was written: the calls made before
    /// the first one follow it.
    pub fn snapshot_written(&mut self, out: &mut Output, timestamp: f64) {
        for data in std::mem::take(&mut self.early) {
            out.record_plugin(data, timestamp);
        }
    }

    fn note_dropped(&mut self, out: &mut Output, dropped: u32, now: f64) {
        if dropped > 0 {
            self.record(out, dropped_note(dropped), now);
        }
    }

    fn record(&mut self, out: &mut Output, data: String, now: f64) {
        if self.opened {
            out.record_plugin(data, now);
        } else {
            self.early.push(data);
        }
    }
}
