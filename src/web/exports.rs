//! The `#[wasm_bindgen]` face the JS entry (`js/index.js`) wraps: an opaque
//! `Recorder` handle. Arguments cross here once, and errors become
//! `JsError`s here and nowhere else.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;

use crate::core::lifecycle::EarlyCall;
use crate::core::replay_id::{DeviceId, SessionId};

use super::courier::Courier;
use super::dom::string_of;
use super::error::WebError;
use super::guard;
use super::options::read_start_options;
use super::output::store_in_order;
use super::recorder::Recording;
use super::signal::Signals;
use super::storage::TabStorage;

/// The guard's own functions (`poison`, `isPoisoned`, `attachedCounts`),
/// for the JS entry to call without entering wasm, which may no longer be
/// sound after a trap.
#[wasm_bindgen(js_name = guardApi)]
pub fn guard_api() -> JsValue {
    guard::api()
}

/// A running recording: an opaque handle owned by the JS entry. Freeing
/// it (or `stop()`) detaches everything the recording attached.
#[wasm_bindgen]
pub struct Recorder {
    recording: Rc<RefCell<Recording>>,
}

#[wasm_bindgen]
impl Recorder {
    /// Starts recording with `options`, the values `js/options.js`'s
    /// `checkOptions` accepted in its table's order (`optionValues`): a
    /// Meta event and a full snapshot now, or once the DOM is parsed if the
    /// page is still loading.
    /// Sealed chunks go to `courier`, the page's delivery loop; the ids and
    /// seqs a tab keeps between page loads are in `tab_storage`.
    /// `early_calls` lists the `identify` and `log` calls the page made
    /// before `start()`, in order, three entries each: `["identify",
    /// userId, traitsJson, "log", message, dataJson, ...]`, the JSON as
    /// js/options.js wrote it (or undefined).
    ///
    /// # Errors
    /// No window or document to record.
    #[wasm_bindgen(constructor)]
    pub fn new(
        options: js_sys::Array,
        courier: Courier,
        tab_storage: TabStorage,
        early_calls: js_sys::Array,
    ) -> Result<Recorder, JsError> {
        // Rust's panic message in the console, where panics have one: the
        // shipped build's panics abort at once (scripts/release-std.sh),
        // so it would only carry the hook's formatting code.
        #[cfg(not(panic = "immediate-abort"))]
        console_error_panic_hook::set_once();
        let window = super::dom::page_window()
            .ok_or(WebError::NoPage("rewind must run in a browser window"))?;
        let document = window
            .document()
            .ok_or(WebError::NoPage("rewind needs a document to record"))?;
        let options = read_start_options(&options);
        let early_calls = read_early_calls(&early_calls);
        let recording = Rc::new_cyclic(|weak| {
            RefCell::new(Recording::new(
                window,
                &document,
                options,
                courier,
                tab_storage,
                early_calls,
                signals_for(weak.clone()),
            ))
        });
        let is_capturing = recording.borrow().is_capturing();
        if is_capturing && !super::dom::is_loading(&document) {
            with_recording(&recording, Recording::take_full_snapshot)
                .unwrap_or(Ok(()))
                .map_err(|error| {
                    JsError::new(&crate::core::json::concat(&["first ", &error.message()]))
                })?;
        }
        Ok(Recorder { recording })
    }

    /// A call of the page's that hands over texts, by `call` (js/sampling.js's
    /// `TELL`), with JSON as js/options.js wrote it:
    /// - 0: `log(message, data)`: a `log` event on the replay's timeline,
    ///   with its data if any;
    /// - 1: `identify(userId, traits)`: a user for the replay (see
    ///   `Recording::identify`), a user id `checkUserId` accepted, with its
    ///   traits if any;
    /// - 2: `addCustomEvent(tag, payload)`: a Custom event, a tag
    ///   `checkCustomTag` accepted and its payload (`null` if none);
    /// - 3: `setSessionId(sessionId, deviceId)`: the recording continues as
    ///   `<deviceId>/<sessionId>` (see `Recording::switch_replay`), ids
    ///   `checkReplayIds` accepted; either may be undefined to keep the
    ///   current one.
    ///
    /// Returns whether the replay changed (3 only). One export for the
    /// four: each export is a shim in the wasm, a method in the JS glue and
    /// a copy of the code that runs it on the recording.
    pub fn tell(&self, call: u32, text: Option<String>, json: Option<String>) -> bool {
        with_recording(&self.recording, |recording| {
            if call == 3 {
                return recording
                    .switch_replay(text.map(SessionId::checked), json.map(DeviceId::checked));
            }
            let text = text.unwrap_or_default();
            match call {
                0 => recording.add_log(&text, json),
                1 => recording.identify(&text, json),
                _ => recording.add_custom(&text, json.unwrap_or_else(|| "null".into())),
            }
            false
        })
        .unwrap_or(false)
    }

    /// A call of the page's that answers with a promise, by `call`
    /// (js/sampling.js's `RUN`):
    /// - 0: `flush()`: seals what gathered into a chunk now; resolves once
    ///   it is stored for delivery. In buffer mode it is the trigger: what
    ///   the buffer kept is sent, and recording goes on in normal mode.
    /// - 1: `stop()`: stops recording and detaches everything the recorder
    ///   added to the page; resolves once the last chunk is in the outbox
    ///   (the courier goes on delivering it).
    /// - 2: `takeFullSnapshot()`: a fresh Meta event and full snapshot (a
    ///   checkout); resolves once the snapshot is complete (it is written
    ///   in slices, see `web::snapshot`).
    /// - 3: resolves once the full snapshot under way is complete; at once
    ///   when none is.
    ///
    /// One export for the four, as for [`Recorder::tell`].
    ///
    /// # Errors
    /// A checkout whose document cannot be read.
    pub fn run(&self, call: u32) -> Result<js_sys::Promise, JsError> {
        let (sealed, snapshot) = with_recording(&self.recording, |recording| match call {
            0 => (recording.flush(), None),
            1 => (recording.stop().into_iter().collect(), None),
            _ => {
                let checkout = match call {
                    2 => recording.take_full_snapshot(),
                    _ => Ok(()),
                };
                (
                    Vec::new(),
                    Some(checkout.map(|()| recording.snapshot_taken())),
                )
            }
        })
        .unwrap_or_default();
        match snapshot {
            Some(taken) => taken.map_err(JsError::from),
            // Stored after the recording's turn, which may call the page.
            None => Ok(store_in_order(&sealed)),
        }
    }

    /// The recording's state in one crossing: `[capturing, buffering,
    /// bufferedBytes, replayStartTimestamp]`. The flags are 1 or 0:
    /// capturing is false when the session is outside `sampleRate` or the
    /// recording stopped, and buffering is buffer mode before its trigger
    /// (`bufferedBytes`, the compressed bytes it holds, is 0 outside it).
    /// The timestamp (epoch ms) is where a player starts the current
    /// replay: its first event; NaN when not capturing. Empty while the
    /// recording is busy.
    pub fn status(&self) -> Vec<f64> {
        let Ok(recording) = self.recording.try_borrow() else {
            return Vec::new();
        };
        let capturing = recording.is_capturing();
        let flag = |on: bool| if on { 1.0 } else { 0.0 };
        vec![
            flag(capturing),
            flag(capturing && recording.is_buffering()),
            recording.buffered_bytes() as f64,
            recording
                .replay_start_ms()
                .filter(|_| capturing)
                .unwrap_or(f64::NAN),
        ]
    }

    /// `<deviceId>/<sessionId>` of the recording, also when its session
    /// is outside `sampleRate` (where `replayId` is undefined): one
    /// crossing for the Segment plugin, which follows both on every event.
    #[wasm_bindgen(js_name = currentReplay)]
    pub fn current_replay(&self) -> Option<String> {
        Some(self.recording.try_borrow().ok()?.replay_id().to_key())
    }
}

/// The recording's [`Signals`]: each signal is acted on if the recording
/// still exists (and is not busy: a signal raised by rewind's own work is
/// dropped rather than run inside it).
pub fn signals_for(recording: Weak<RefCell<Recording>>) -> Signals {
    Rc::new(move |signal| {
        if let Some(recording) = recording.upgrade() {
            with_recording(&recording, |recording| recording.on_signal(signal));
        }
    })
}

/// Runs `action` on the recording, then hands the events it produced to
/// the page's `emit` callback, after the borrow ends, so the callback may
/// call rewind again. `None` when the recording is gone or already busy.
fn with_recording<R>(
    recording: &Rc<RefCell<Recording>>,
    action: impl FnOnce(&mut Recording) -> R,
) -> Option<R> {
    let mut action = Some(action);
    let mut result = None;
    run_on_recording(recording, &mut |borrowed| {
        if let Some(action) = action.take() {
            result = Some(action(borrowed));
        }
    });
    result
}

/// [`with_recording`]'s work, written once: a generic function is one
/// more copy of itself in the wasm for each of its callers.
#[inline(never)]
fn run_on_recording(recording: &Rc<RefCell<Recording>>, action: &mut dyn FnMut(&mut Recording)) {
    let (emits, callback) = {
        let Ok(mut borrowed) = recording.try_borrow_mut() else {
            return;
        };
        action(&mut borrowed);
        borrowed.maybe_checkout();
        borrowed.take_pending_emits()
    };
    if let Some(callback) = callback {
        for json in emits {
            // One string crossing and a native JSON.parse is far cheaper
            // than building the event object field by field from wasm.
            let delivered =
                js_sys::JSON::parse(&json).and_then(|event| callback.call1(&JsValue::NULL, &event));
            if let Err(error) = delivered {
                if let Ok(borrowed) = recording.try_borrow() {
                    borrowed
                        .log()
                        .warn_once_js("the emit callback threw", &error);
                }
            }
        }
    }
}

/// The calls made before `start()` (see [`Recorder::new`]), three
/// entries each; a call of another kind is skipped, since the JS entry
/// alone writes this list.
fn read_early_calls(calls: &js_sys::Array) -> Vec<EarlyCall> {
    // (A loop, not an iterator chain: less wasm.)
    let mut early = Vec::new();
    let mut at = 0;
    while at + 3 <= calls.length() {
        let kind = calls.get(at).as_string();
        let text = string_of(&calls.get(at + 1));
        let json = calls.get(at + 2).as_string();
        at += 3;
        early.push(match kind.as_deref() {
            Some("identify") => EarlyCall::Identify {
                user_id: text,
                traits_json: json,
            },
            Some("log") => EarlyCall::Log {
                message: text,
                data_json: json,
            },
            _ => continue,
        });
    }
    early
}
