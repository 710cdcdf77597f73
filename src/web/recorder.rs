//! One recording in the page: its session and replay id, the snapshots it
//! takes, and the chunks it seals for the courier.

use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::Window;

use crate::core::chunk::{Chunker, SealedChunk};
use crate::core::event::{Custom, Event, EventData, FullSnapshot};
use crate::core::json::write_str;
use crate::core::mirror::Mirror;
use crate::core::options::RecorderOptions;
use crate::core::replay_id::{DeviceId, ReplayId};
use crate::core::sampling::is_session_sampled;
use crate::core::session::Session;

use super::capture::Capture;
use super::courier::CourierState;
use super::dom::{LiveDom, WeakMapIds};
use super::log::DebugLog;
use super::outbox::OutboxRecord;
use super::snapshot::PendingSnapshot;
use super::storage::TabStorage;

/// Where sealed chunks go: the endpoint and the page's courier.
struct Wire {
    chunker: Chunker,
    endpoint: String,
    api_key: Option<String>,
    courier: Rc<CourierState>,
}

/// A call the page made before `start()`, handed to the recording that
/// starts (in call order), so that nothing said early is lost.
pub enum EarlyCall {
    /// `identify(userId, traits)`: names the user, and with
    /// `userIdAsDeviceId` the device, of the recording from its first chunk.
    Identify {
        user_id: String,
        traits_json: Option<String>,
    },
    /// `log(message, data)`: recorded right after the first full snapshot.
    Log {
        message: String,
        data_json: Option<String>,
    },
}

/// The state of one recording, from `start()` to `stop()`.
pub struct Recording {
    pub(super) window: Window,
    pub(super) dom: LiveDom,
    pub(super) mirror: Mirror<WeakMapIds>,
    pub(super) options: RecorderOptions,
    /// Observers, listeners' state and hooks of incremental capture.
    pub(super) capture: Capture,
    emit: Option<js_sys::Function>,
    /// Events for `emit`, handed over once the recording is no longer
    /// borrowed, so the page's callback may call back into rewind.
    pending_emits: Vec<String>,
    log: DebugLog,
    storage: TabStorage,
    device_id: DeviceId,
    session: Session,
    wire: Option<Wire>,
    /// The session is inside `sampleRate`: events are captured.
    is_sampled: bool,
    /// `{"userId":…}` once `identify()` was called: new chunkers carry it.
    identified_user: Option<String>,
    /// The next full snapshot starts a replay and is flushed at once.
    flush_next_snapshot: bool,
    /// Custom events (tag, payload) of calls made before `start()`,
    /// recorded after the first full snapshot so a replay opens with it.
    after_first_snapshot: Vec<(&'static str, String)>,
    is_stopped: bool,
    /// A full snapshot being written in slices.
    pub(super) snapshot: Option<PendingSnapshot>,
}

impl Recording {
    /// Sets up the recording's identity and wire; takes no snapshot yet.
    pub fn new(
        window: Window,
        options: RecorderOptions,
        endpoint: Option<String>,
        emit: Option<js_sys::Function>,
        courier: Rc<CourierState>,
        early_calls: Vec<EarlyCall>,
    ) -> Self {
        let log = DebugLog::new(options.debug);
        let storage = TabStorage::new(&window);
        let now = js_sys::Date::now();
        let mut device_id = options
            .device_id
            .clone()
            .unwrap_or_else(|| storage.device_id());
        let mut identified_user = None;
        let mut after_first_snapshot = Vec::with_capacity(early_calls.len());
        for call in early_calls {
            match call {
                EarlyCall::Identify {
                    user_id,
                    traits_json,
                } => {
                    match user_device_of(&user_id, options.user_id_as_device_id) {
                        Ok(Some(user_device)) => device_id = user_device,
                        Ok(None) => {}
                        Err(reason) => {
                            log.warn(&format!("identify() before start() ignored: {reason}"));
                            continue;
                        }
                    }
                    let user = text_and_json("userId", &user_id, "traits", traits_json);
                    identified_user = Some(user.clone());
                    after_first_snapshot.push(("identify", user));
                }
                EarlyCall::Log { message, data_json } => {
                    after_first_snapshot
                        .push(("log", text_and_json("message", &message, "data", data_json)));
                }
            }
        }
        let session = match &options.session_id {
            Some(id) => Session::supplied(id.clone(), now),
            None => match storage.session() {
                Some(stored) if stored.end_reason(now, &options.session_policy).is_none() => stored,
                _ => Session::generate(now),
            },
        };
        storage.save_session(&session);
        courier.configure(
            options.outbox_limits,
            options.request_timeout_ms,
            options.debug,
        );
        let is_sampled = is_session_sampled(session.id.as_str(), options.sample_rate);
        let replay_id = ReplayId {
            device_id: device_id.clone(),
            session_id: session.id.clone(),
        };
        let wire = endpoint.map(|endpoint| {
            let mut chunker = Chunker::new(
                replay_id.clone(),
                storage.next_seq(&replay_id.to_string()),
                options.max_chunk_bytes,
            );
            if let Some(user) = &identified_user {
                chunker.set_user(user.clone());
            }
            Wire {
                chunker,
                endpoint,
                api_key: options.api_key.clone(),
                courier,
            }
        });
        log.info(&format!(
            "replay {replay_id}{}",
            if is_sampled {
                ""
            } else {
                " is outside sampleRate: nothing is recorded"
            }
        ));
        Recording {
            dom: LiveDom::new(window.clone()),
            window,
            mirror: Mirror::new(WeakMapIds::new()),
            options,
            capture: Capture::default(),
            emit,
            pending_emits: Vec::new(),
            log,
            storage,
            device_id,
            session,
            wire,
            is_sampled,
            identified_user,
            flush_next_snapshot: true,
            after_first_snapshot,
            is_stopped: false,
            snapshot: None,
        }
    }

    pub fn is_capturing(&self) -> bool {
        self.is_sampled && !self.is_stopped
    }

    pub fn replay_id(&self) -> ReplayId {
        ReplayId {
            device_id: self.device_id.clone(),
            session_id: self.session.id.clone(),
        }
    }

    pub fn session_id(&self) -> &str {
        self.session.id.as_str()
    }

    /// The events waiting for `emit`, and the callback; no callback when
    /// nothing waits, so frequent calls (scroll, keydown) skip the clone,
    /// which is a JS<->wasm crossing.
    pub fn take_pending_emits(&mut self) -> (Vec<String>, Option<js_sys::Function>) {
        if self.pending_emits.is_empty() {
            return (Vec::new(), None);
        }
        (std::mem::take(&mut self.pending_emits), self.emit.clone())
    }

    pub fn log(&self) -> &DebugLog {
        &self.log
    }

    pub(super) fn has_emit(&self) -> bool {
        self.emit.is_some()
    }

    /// Queues an event's JSON for the page's `emit` callback.
    pub(super) fn queue_emit(&mut self, json: String) {
        self.pending_emits.push(json);
    }

    /// Starts the FullSnapshot event in the open chunk; its node follows
    /// in parts ([`Recording::push_snapshot_part`]).
    pub(super) fn begin_streamed_snapshot(&mut self, timestamp: f64) {
        let Some(wire) = &mut self.wire else { return };
        let sealed = wire.chunker.begin_streamed(timestamp);
        wire.chunker.push_part(FullSnapshot::JSON_HEAD);
        if let Some(sealed) = sealed {
            self.ship(sealed, false);
        }
    }

    pub(super) fn push_snapshot_part(&mut self, json: &str) {
        if let Some(wire) = &mut self.wire {
            wire.chunker.push_part(json);
        }
    }

    pub(super) fn end_streamed_snapshot(&mut self, tail: &str) {
        let Some(wire) = &mut self.wire else { return };
        wire.chunker.push_part(tail);
        if let Some(sealed) = wire.chunker.end_streamed() {
            self.ship(sealed, false);
        }
    }

    /// The first snapshot of a replay is what makes it playable: it is
    /// sent at once rather than after the flush interval.
    pub(super) fn after_snapshot_finished(&mut self) {
        for (tag, payload) in std::mem::take(&mut self.after_first_snapshot) {
            self.record_custom(tag, payload);
        }
        if std::mem::replace(&mut self.flush_next_snapshot, false) {
            self.seal_and_ship(false);
        }
    }

    /// Attaches a user to the replay: an `identify` Custom event, and the
    /// user in the metadata of every chunk sealed from now on. With
    /// `userIdAsDeviceId`, the user id becomes the device id, which starts
    /// a new replay (`<userId>/<sessionId>`) with a fresh snapshot.
    ///
    /// # Errors
    /// An empty or overlong user id, or one that cannot be a device id when
    /// it is to become one; the message says what is allowed.
    pub fn identify(&mut self, user_id: &str, traits_json: Option<String>) -> Result<(), String> {
        let user_device = user_device_of(user_id, self.options.user_id_as_device_id)?;
        if !self.is_capturing() {
            return Ok(());
        }
        if let Some(device_id) = user_device.filter(|device| *device != self.device_id) {
            self.switch_device(device_id);
        }
        let user = text_and_json("userId", user_id, "traits", traits_json);
        if let Some(wire) = &mut self.wire {
            wire.chunker.set_user(user.clone());
        }
        self.identified_user = Some(user.clone());
        self.record_custom("identify", user);
        Ok(())
    }

    /// Continues the recording under another device id: a new replay with
    /// its own seq and a fresh Meta + full snapshot.
    fn switch_device(&mut self, device_id: DeviceId) {
        self.end_replay();
        let previous = self.replay_id();
        self.device_id = device_id;
        self.open_new_replay(&format!("identified: replay {previous} continues as"));
    }

    /// Seals what gathered into a chunk now; returns its record for the
    /// caller to await its storing.
    pub fn flush(&mut self) -> Option<(Rc<CourierState>, OutboxRecord)> {
        if !self.is_capturing() {
            return None;
        }
        self.emit_mutations();
        self.flush_mouse();
        self.flush_scrolls();
        let sealed = self.seal()?;
        self.remember_next_seq(&sealed);
        let courier = self.wire.as_ref()?.courier.clone();
        Some((courier, self.outbox_record(sealed)))
    }

    /// Adds a `log` Custom event; `data_json` is the JSON of its data.
    pub fn add_log(&mut self, message: &str, data_json: Option<String>) {
        if !self.is_capturing() {
            return;
        }
        let payload = text_and_json("message", message, "data", data_json);
        self.record_custom("log", payload);
    }

    fn record_custom(&mut self, tag: &str, payload_json: String) {
        self.record(Event {
            timestamp: js_sys::Date::now(),
            data: EventData::Custom(Custom {
                tag: tag.into(),
                payload_json,
            }),
        });
    }

    pub(super) fn viewport_size(&self) -> (u32, u32) {
        let read = |value: Result<JsValue, JsValue>| {
            value.ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as u32
        };
        (
            read(self.window.inner_width()),
            read(self.window.inner_height()),
        )
    }

    /// Records an IncrementalSnapshot event whose data is `data_json`.
    pub(super) fn record_incremental(&mut self, data_json: String) {
        self.record_incremental_at(data_json, js_sys::Date::now());
    }

    pub(super) fn record_incremental_at(&mut self, data_json: String, timestamp: f64) {
        self.capture.events_since_checkout += 1;
        self.record(Event {
            timestamp,
            data: EventData::Incremental(data_json),
        });
    }

    /// Records a Plugin event whose data is `data_json`.
    pub(super) fn record_plugin(&mut self, data_json: String) {
        self.record(Event {
            timestamp: js_sys::Date::now(),
            data: EventData::Plugin(data_json),
        });
    }

    /// Takes a checkout (a fresh Meta + full snapshot) when the options'
    /// event count or time since the last one is reached, so every stretch
    /// of the recording can be replayed from a snapshot near it.
    pub(super) fn maybe_checkout(&mut self) {
        if !self.is_capturing()
            || self.capture.events_since_checkout == 0
            || self.snapshot.is_some()
        {
            return;
        }
        let by_count = self
            .options
            .checkout_every_nth
            .is_some_and(|nth| self.capture.events_since_checkout >= nth);
        let by_time = self
            .options
            .checkout_every_ms
            .is_some_and(|ms| js_sys::Date::now() - self.capture.last_checkout_ms >= ms);
        if by_count || by_time {
            if let Err(error) = self.take_full_snapshot() {
                self.log.warn(&format!(
                    "checkout failed: {}",
                    super::outbox::describe_js_error(&error)
                ));
            }
        }
    }

    pub(super) fn record(&mut self, event: Event) {
        if let Some(pending) = &mut self.snapshot {
            pending.hold(event);
            return;
        }
        let json = event.to_json();
        if let Some(wire) = &mut self.wire {
            if let Some(sealed) = wire.chunker.push(&json, event.timestamp) {
                self.ship(sealed, false);
            }
        }
        if self.emit.is_some() {
            self.pending_emits.push(json);
        }
    }

    /// The flush timer: ends an expired session, seals what gathered.
    pub fn on_flush_tick(&mut self) {
        if self.snapshot.is_some() {
            // The open chunk holds half a snapshot: the next tick seals.
            return;
        }
        let now = js_sys::Date::now();
        if self
            .session
            .end_reason(now, &self.options.session_policy)
            .is_some()
        {
            self.rotate_session(now);
        } else {
            self.seal_and_ship(false);
        }
        self.storage.save_session(&self.session);
    }

    /// User activity keeps the session alive; activity after it expired
    /// (timers sleep in background tabs) starts a new one first.
    pub fn on_user_activity(&mut self) {
        let now = js_sys::Date::now();
        if self
            .session
            .end_reason(now, &self.options.session_policy)
            .is_some()
        {
            self.rotate_session(now);
        }
        self.session.touch(now);
    }

    /// The page is hidden or going away: seal what gathered and send it
    /// with keepalive, so it arrives even if the tab is closed now.
    pub fn on_page_hidden(&mut self) {
        self.seal_and_ship(true);
        self.storage.save_session(&self.session);
    }

    /// Ends the recording; returns the last chunk's record for the caller
    /// to await its storing.
    pub fn stop(&mut self) -> Option<(Rc<CourierState>, OutboxRecord)> {
        if self.is_stopped {
            return None;
        }
        // Before anything is detached: finishing re-observes and attaches.
        self.complete_snapshot();
        // What the observers gathered up to now is part of the recording.
        self.emit_mutations();
        self.flush_mouse();
        self.flush_scrolls();
        self.capture.detach();
        let last = self.seal();
        self.storage.save_session(&self.session);
        self.is_stopped = true;
        let last = last?;
        self.remember_next_seq(&last);
        let courier = self.wire.as_ref()?.courier.clone();
        Some((courier, self.outbox_record(last)))
    }

    fn rotate_session(&mut self, now: f64) {
        self.end_replay();
        let previous = self.replay_id();
        self.session = Session::generate(now);
        self.storage.save_session(&self.session);
        self.is_sampled = is_session_sampled(self.session.id.as_str(), self.options.sample_rate);
        self.open_new_replay(&format!("session ended; replay {previous} continues as"));
    }

    /// Seals the last chunk of a replay that ends (a new session or device
    /// follows), with everything gathered for it, as `stop()` does: a
    /// snapshot under way, observer records, sampled mouse positions and
    /// throttled scrolls. Left pending, the mouse positions would be
    /// written by the next snapshot (`take_full_snapshot` flushes them)
    /// into the new replay, before its Meta.
    fn end_replay(&mut self) {
        self.complete_snapshot();
        self.emit_mutations();
        self.flush_mouse();
        self.flush_scrolls();
        self.seal_and_ship(false);
    }

    /// After the device or session changed: a chunker for the new replay id
    /// (its seq from storage, the identified user kept) and a fresh Meta +
    /// full snapshot to open it. `why` starts the debug line.
    fn open_new_replay(&mut self, why: &str) {
        let replay_id = self.replay_id();
        if let Some(wire) = &mut self.wire {
            let next_seq = self.storage.next_seq(&replay_id.to_string());
            wire.chunker = Chunker::new(replay_id.clone(), next_seq, self.options.max_chunk_bytes);
            if let Some(user) = &self.identified_user {
                wire.chunker.set_user(user.clone());
            }
        }
        self.log.info(&format!("{why} {replay_id}"));
        self.flush_next_snapshot = true;
        if let Err(error) = self.take_full_snapshot() {
            self.log.warn(&format!(
                "snapshot of replay {replay_id} failed: {}",
                super::outbox::describe_js_error(&error)
            ));
        }
    }

    /// Seals the open chunk, if it holds events.
    fn seal(&mut self) -> Option<SealedChunk> {
        // Never half a snapshot in a chunk: everything that seals (flush,
        // a hidden page, a new session or device) finishes one first.
        self.complete_snapshot();
        self.wire.as_mut()?.chunker.seal()
    }

    /// Remembers the seq after `sealed` so a reload never reuses one;
    /// written synchronously, as soon as a chunk is sealed.
    fn remember_next_seq(&self, sealed: &SealedChunk) {
        self.storage
            .save_next_seq(&sealed.replay_id.to_string(), sealed.seq + 1);
    }

    fn seal_and_ship(&mut self, before_unload: bool) {
        if let Some(sealed) = self.seal() {
            self.ship(sealed, before_unload);
        }
    }

    fn ship(&mut self, sealed: SealedChunk, before_unload: bool) {
        let Some(wire) = &self.wire else { return };
        let courier = wire.courier.clone();
        self.log.info(&format!(
            "sealed {}#{}: {} events, {} bytes raw, {} gzip",
            sealed.replay_id,
            sealed.seq,
            sealed.event_count,
            sealed.raw_len,
            sealed.body.len()
        ));
        let (replay_id, next_seq) = (sealed.replay_id.to_string(), sealed.seq + 1);
        let record = self.outbox_record(sealed);
        // A closing tab parks before anything else it writes: the parked
        // copy is what must outlive the tab, and a closing tab's pagehide
        // work can be cut short (seen in Firefox).
        if before_unload {
            courier.send_before_unload(record.clone());
        }
        self.storage.save_next_seq(&replay_id, next_seq);
        wasm_bindgen_futures::spawn_local(courier.store(record));
    }

    fn outbox_record(&self, sealed: SealedChunk) -> OutboxRecord {
        let wire = self
            .wire
            .as_ref()
            .expect("records are made only with a wire");
        OutboxRecord {
            replay_id: sealed.replay_id.to_string(),
            seq: sealed.seq,
            endpoint: wire.endpoint.clone(),
            api_key: wire.api_key.clone(),
            body: sealed.body,
            created_at_ms: js_sys::Date::now(),
        }
    }
}

/// Checks a user id for `identify()`; with `userIdAsDeviceId`, returns it
/// as the device id it becomes.
///
/// # Errors
/// An empty or overlong user id, or one that cannot be a device id when it
/// is to become one; the message says what is allowed.
fn user_device_of(user_id: &str, user_id_as_device_id: bool) -> Result<Option<DeviceId>, String> {
    let length = user_id.chars().count();
    if length == 0 || length > 256 {
        return Err(format!(
            "rewind identify(userId): the user id must be a string of 1 to 256 characters, got {length} characters"
        ));
    }
    if !user_id_as_device_id {
        return Ok(None);
    }
    DeviceId::parse(user_id)
        .map(Some)
        .map_err(|error| format!("rewind identify(userId) with userIdAsDeviceId: {error}"))
}

/// `{"<text_key>":"<text>","<json_key>":<json>}`, the second entry only
/// when given: the payload of `log` and `identify`.
fn text_and_json(text_key: &str, text: &str, json_key: &str, json: Option<String>) -> String {
    let mut out = String::from("{");
    write_str(&mut out, text_key);
    out.push(':');
    write_str(&mut out, text);
    if let Some(json) = json {
        out.push(',');
        write_str(&mut out, json_key);
        out.push(':');
        out.push_str(&json);
    }
    out.push('}');
    out
}
