//! The web layer: the core plugged into the live page through web-sys, and
//! the `#[wasm_bindgen]` exports the JS entry (`js/index.js`) wraps.

mod capture;
mod courier;
mod dom;
mod guard;
mod hooks;
mod listener;
mod log;
mod options;
mod outbox;
mod recorder;
mod snapshot;
mod storage;
mod transport;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;

pub use courier::Courier;
use listener::EventListener;
use options::read_start_options;
use outbox::describe_js_error;
use recorder::{EarlyCall, Recording};

/// What a recording attaches to the page; dropping it detaches all of it.
struct Attachments {
    _listeners: Vec<EventListener>,
    _flush_timer: Option<guard::Timer>,
    _capture: capture::CaptureCallbacks,
}

/// The guard's own functions (`poison`, `isPoisoned`, `poisonReason`,
/// `attachedCounts`), for the JS entry to call without entering wasm, which
/// may no longer be sound after a trap.
#[wasm_bindgen(js_name = guardApi)]
pub fn guard_api() -> JsValue {
    guard::api()
}

/// A running recording: an opaque handle owned by the JS entry.
#[wasm_bindgen]
pub struct Recorder {
    recording: Rc<RefCell<Recording>>,
    attachments: Option<Attachments>,
}

/// Runs `action` on the recording, then hands the events it produced to
/// the page's `emit` callback, after the borrow ends, so the callback may
/// call rewind again. `None` when the recording is gone or already busy.
pub(crate) fn with_recording<R>(
    recording: &Rc<RefCell<Recording>>,
    action: impl FnOnce(&mut Recording) -> R,
) -> Option<R> {
    let (result, emits, callback) = {
        let mut borrowed = recording.try_borrow_mut().ok()?;
        let result = action(&mut borrowed);
        borrowed.maybe_checkout();
        let (emits, callback) = borrowed.take_pending_emits();
        (result, emits, callback)
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
    Some(result)
}

/// A callback for a listener or timer that acts on the recording if it
/// still exists.
fn on_recording(
    recording: &Rc<RefCell<Recording>>,
    action: fn(&mut Recording),
) -> impl Fn() + 'static {
    let weak: Weak<RefCell<Recording>> = Rc::downgrade(recording);
    move || {
        if let Some(recording) = weak.upgrade() {
            with_recording(&recording, action);
        }
    }
}

#[wasm_bindgen]
impl Recorder {
    /// Validates `options` and starts recording: a Meta event and a full
    /// snapshot now, or once the DOM is parsed if the page is still loading.
    /// Sealed chunks go to `courier`, the page's delivery loop.
    ///
    /// # Errors
    /// Invalid options (the message names the key and what it allows), or no
    /// window/document to record.
    /// `early_calls` lists the `identify` and `log` calls the page made
    /// before `start()`, in order: `[["identify", userId, traits] |
    /// ["log", message, data], ...]`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        options: JsValue,
        courier: &Courier,
        early_calls: JsValue,
    ) -> Result<Recorder, JsError> {
        console_error_panic_hook::set_once();
        let window =
            web_sys::window().ok_or_else(|| JsError::new("rewind must run in a browser window"))?;
        let document = window
            .document()
            .ok_or_else(|| JsError::new("rewind needs a document to record"))?;
        let options = read_start_options(&options, &window)
            .map_err(|error| JsError::new(&error.to_string()))?;
        let flush_interval_ms = options.recorder.flush_interval_ms;
        let recording = Rc::new(RefCell::new(Recording::new(
            window.clone(),
            options.recorder,
            options.endpoint,
            options.emit,
            courier.state(),
            read_early_calls(&early_calls),
        )));
        let is_capturing = recording.borrow().is_capturing();
        if !is_capturing {
            // Outside sampleRate: no snapshot, no listener, no timer.
            return Ok(Recorder {
                recording,
                attachments: None,
            });
        }

        let mut listeners = Vec::new();
        let listen = |target: &web_sys::EventTarget,
                      event_type: &'static str,
                      action: fn(&mut Recording)| {
            let callback = on_recording(&recording, action);
            EventListener::new(target, event_type, true, move |_| callback())
                .map_err(|_| JsError::new(&format!("could not listen for {event_type}")))
        };
        listeners.push(listen(
            window.as_ref(),
            "pagehide",
            Recording::on_page_hidden,
        )?);
        let hidden_document = document.clone();
        let on_hidden = on_recording(&recording, Recording::on_page_hidden);
        let on_visible = on_recording(&recording, Recording::on_user_activity);
        listeners.push(
            EventListener::new(document.as_ref(), "visibilitychange", true, move |_| {
                if hidden_document.visibility_state() == web_sys::VisibilityState::Hidden {
                    on_hidden();
                } else {
                    on_visible();
                }
            })
            .map_err(|_| JsError::new("could not listen for visibilitychange"))?,
        );
        // What only a user does: a page scrolls by itself (scripts, scroll
        // anchoring, a list shrinking under the scroll position), and a
        // feed that does so must not keep an idle session alive forever.
        for activity in ["pointerdown", "keydown", "wheel", "touchmove"] {
            listeners.push(listen(
                window.as_ref(),
                activity,
                Recording::on_user_activity,
            )?);
        }
        let callbacks = capture::connect(&recording);
        let weak = Rc::downgrade(&recording);
        listeners.extend(capture::listen_to_document(&weak, &document));
        listeners.extend(capture::listen_to_window(&weak, &window));
        let flush_timer = {
            let tick = on_recording(&recording, Recording::on_flush_tick);
            Some(guard::Timer::every(flush_interval_ms as u32, tick))
        };

        if document.ready_state() == "loading" {
            let snapshot = on_recording(&recording, |recording| {
                if let Err(error) = recording.take_full_snapshot() {
                    recording.log().warn(&format!(
                        "first snapshot failed: {}",
                        describe_js_error(&error)
                    ));
                }
            });
            listeners.push(
                EventListener::new(document.as_ref(), "DOMContentLoaded", false, move |_| {
                    snapshot()
                })
                .map_err(|_| JsError::new("could not wait for DOMContentLoaded"))?,
            );
        } else {
            with_recording(&recording, Recording::take_full_snapshot)
                .unwrap_or(Ok(()))
                .map_err(|error| {
                    JsError::new(&format!(
                        "first snapshot failed: {}",
                        describe_js_error(&error)
                    ))
                })?;
        }
        Ok(Recorder {
            recording,
            attachments: Some(Attachments {
                _listeners: listeners,
                _flush_timer: flush_timer,
                _capture: callbacks,
            }),
        })
    }

    /// Emits a fresh Meta event and full snapshot (a checkout).
    ///
    /// # Errors
    /// When the document cannot be read.
    #[wasm_bindgen(js_name = takeFullSnapshot)]
    pub fn take_full_snapshot(&self) -> Result<(), JsError> {
        with_recording(&self.recording, Recording::take_full_snapshot)
            .unwrap_or(Ok(()))
            .map_err(|error| {
                JsError::new(&format!("snapshot failed: {}", describe_js_error(&error)))
            })
    }

    /// Resolves once the full snapshot under way (written in slices, see
    /// `web::snapshot`) is complete; at once when none is.
    #[wasm_bindgen(js_name = snapshotTaken)]
    pub fn snapshot_taken(&self) -> js_sys::Promise {
        with_recording(&self.recording, Recording::snapshot_taken)
            .unwrap_or_else(|| js_sys::Promise::resolve(&JsValue::UNDEFINED))
    }

    /// Adds a `log` event to the replay's timeline. `data`, if given, is
    /// recorded as its JSON (`JSON.stringify`); what cannot be stringified
    /// is recorded as its string form.
    pub fn log(&self, message: String, data: JsValue) {
        let data_json = log_data_json(&data);
        with_recording(&self.recording, |recording| {
            recording.add_log(&message, data_json)
        });
    }

    /// Attaches a user to the replay (see `Recording::identify`); `traits`,
    /// if given, is recorded as its JSON.
    ///
    /// # Errors
    /// A user id that is empty, too long, or (with `userIdAsDeviceId`) not
    /// a valid device id.
    pub fn identify(&self, user_id: String, traits: JsValue) -> Result<(), JsError> {
        let traits_json = traits_json(&traits);
        with_recording(&self.recording, |recording| {
            recording.identify(&user_id, traits_json)
        })
        .unwrap_or(Ok(()))
        .map_err(|message| JsError::new(&message))
    }

    /// Seals what gathered into a chunk now; resolves once it is stored
    /// for delivery.
    pub fn flush(&self) -> js_sys::Promise {
        let sealed = with_recording(&self.recording, Recording::flush).flatten();
        wasm_bindgen_futures::future_to_promise(async move {
            if let Some((courier, record)) = sealed {
                courier.clone().store(record).await;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `<deviceId>/<sessionId>`, or undefined when this session is outside
    /// `sampleRate` or the recording stopped.
    #[wasm_bindgen(js_name = replayId)]
    pub fn replay_id(&self) -> Option<String> {
        let recording = self.recording.try_borrow().ok()?;
        recording
            .is_capturing()
            .then(|| recording.replay_id().to_string())
    }

    /// The current session id.
    #[wasm_bindgen(js_name = sessionId)]
    pub fn session_id(&self) -> Option<String> {
        Some(self.recording.try_borrow().ok()?.session_id().to_owned())
    }

    /// Stops recording and detaches everything the recorder added to the
    /// page. Resolves once the last chunk is in the outbox; the courier
    /// goes on delivering it.
    pub fn stop(&mut self) -> js_sys::Promise {
        self.attachments = None;
        let last = with_recording(&self.recording, Recording::stop).flatten();
        wasm_bindgen_futures::future_to_promise(async move {
            if let Some((courier, record)) = last {
                courier.clone().store(record).await;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// A `log()` call's data as JSON (`JSON.stringify`); what cannot be
/// stringified is recorded as its string form.
fn log_data_json(data: &JsValue) -> Option<String> {
    if data.is_undefined() {
        return None;
    }
    js_sys::JSON::stringify(data)
        .ok()
        .and_then(|json| json.as_string())
        .or_else(|| {
            // Cyclic or BigInt data: record its string form.
            let mut quoted = String::new();
            crate::core::json::write_str(&mut quoted, &dom::string_of(data));
            Some(quoted)
        })
}

/// An `identify()` call's traits as JSON; none for undefined or null.
fn traits_json(traits: &JsValue) -> Option<String> {
    if traits.is_undefined() || traits.is_null() {
        return None;
    }
    js_sys::JSON::stringify(traits)
        .ok()
        .and_then(|json| json.as_string())
}

/// The calls made before `start()` (see [`Recorder::new`]); entries of
/// another shape are skipped, since the JS entry alone writes this list.
fn read_early_calls(calls: &JsValue) -> Vec<EarlyCall> {
    if !js_sys::Array::is_array(calls) {
        return Vec::new();
    }
    let calls: &js_sys::Array = calls.unchecked_ref();
    calls
        .iter()
        .filter_map(|call| {
            if !js_sys::Array::is_array(&call) {
                return None;
            }
            let call: js_sys::Array = call.unchecked_into();
            let text = dom::string_of(&call.get(1));
            match call.get(0).as_string()?.as_str() {
                "identify" => Some(EarlyCall::Identify {
                    user_id: text,
                    traits_json: traits_json(&call.get(2)),
                }),
                "log" => Some(EarlyCall::Log {
                    message: text,
                    data_json: log_data_json(&call.get(2)),
                }),
                _ => None,
            }
        })
        .collect()
}
