//! One recording in the page: its identity (device, session, replay id),
//! the lifecycle verdicts of `core::lifecycle` carried out, the full
//! snapshots it takes, and the routing of every signal to the part it
//! concerns. It owns a context (page, DOM, ids, options), an output sink
//! (chunks and `emit`), the observers and the snapshot job under way.

use wasm_bindgen::JsValue;
use web_sys::{Document, Window};

use super::dom::{is_hidden, is_loading, numbers_of, page_href, Numbers};
use crate::core::event::{Event, EventData, Meta, ScrollOffset};
use crate::core::lifecycle::{self, EarlyCall, Opening, Tick};
use crate::core::mirror::Mirror;
use crate::core::options::RecordingMode;
use crate::core::replay_id::{DeviceId, ReplayId, SessionId};
use crate::core::sampling::is_session_sampled;
use crate::core::session::Session;
use crate::core::snapshot::MAX_TREE_DEPTH;

use super::clock;
use super::context::Context;
use super::courier::Courier;
use super::dom::{LiveDom, WeakMapIds};
use super::error::WebError;
use super::guard::Timer;
use super::listener::EventListener;
use super::log::{DebugLog, Note};
use super::observe::Observers;
use super::options::StartOptions;
use super::output::{store_in_order, Output, Sealed};
use super::signal::{listen, Signal, Signals};
use super::snapshot::{resolve_waiters, SnapshotJob, FIRST_SLICE_MS, SLICE_MS};
use super::start::Start;
use super::storage::TabStorage;

/// What only a user does: a page scrolls by itself (scripts, scroll
/// anchoring, a list shrinking under the scroll position), and a feed that
/// does so must not keep an idle session alive forever.
const USER_ACTIVITY_EVENTS: [&str; 4] = ["pointerdown", "keydown", "wheel", "touchmove"];

/// The state of one recording, from `start()` to `stop()`.
pub struct Recording {
    ctx: Context,
    out: Output,
    /// None when the session is outside `sampleRate` from the start, and
    /// after `stop()`: nothing is attached to the page then.
    observers: Option<Observers>,
    /// A full snapshot being written in slices.
    snapshot: Option<SnapshotJob>,
    /// Page lifecycle listeners (hidden, user activity, DOM parsed).
    lifecycle_listeners: Vec<EventListener>,
    flush_timer: Option<Timer>,
    storage: TabStorage,
    device_id: DeviceId,
    session: Session,
    /// The session is inside `sampleRate`: events are captured.
    is_sampled: bool,
    /// `{"userId":…}` once `identify()` was called: new chunkers carry it.
    identified_user: Option<String>,
    opening: Opening,
    is_stopped: bool,
}

impl Recording {
    /// Sets up the recording's identity and wire and, inside `sampleRate`,
    /// attaches its listeners and observers; takes no snapshot yet.
    pub fn new(
        window: Window,
        document: &Document,
        options: StartOptions,
        courier: Courier,
        storage: TabStorage,
        early_calls: Vec<EarlyCall>,
        signals: Signals,
    ) -> Self {
        let Start {
            options,
            out,
            storage,
            log,
            device_id,
            session,
            is_sampled,
            identified_user,
            opening,
        } = Start::prepare(options, courier, storage, early_calls);
        let flush_interval_ms = options.flush_interval_ms;
        let mut recording = Recording {
            ctx: Context {
                dom: LiveDom::new(window.clone()),
                window,
                mirror: Mirror::new(WeakMapIds::new()),
                options,
                log,
                signals,
            },
            out,
            observers: None,
            snapshot: None,
            lifecycle_listeners: Vec::new(),
            flush_timer: None,
            storage,
            device_id,
            session,
            is_sampled,
            identified_user,
            opening,
            is_stopped: false,
        };
        if is_sampled {
            recording.attach(document, flush_interval_ms);
        }
        recording
    }

    /// Listens for the page's lifecycle, starts the flush timer and
    /// attaches the observers.
    fn attach(&mut self, document: &Document, flush_interval_ms: f64) {
        let signals = &self.ctx.signals;
        let window = self.ctx.window.as_ref();
        let listeners = &mut self.lifecycle_listeners;
        listeners.push(listen(signals, window, "pagehide", true, |_| {
            Signal::PageHidden
        }));
        listeners.push(listen(
            signals,
            document.as_ref(),
            "visibilitychange",
            true,
            |_| Signal::VisibilityChanged,
        ));
        for activity in USER_ACTIVITY_EVENTS {
            listeners.push(listen(signals, window, activity, true, |_| {
                Signal::UserActivity
            }));
        }
        if is_loading(document) {
            listeners.push(listen(
                signals,
                document.as_ref(),
                "DOMContentLoaded",
                false,
                |_| Signal::DocumentParsed,
            ));
        }
        let tick = signals.clone();
        self.flush_timer = Some(Timer::every(flush_interval_ms as u32, move || {
            tick(Signal::FlushTick)
        }));
        self.observers = Some(Observers::attach(&self.ctx, document));
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

    pub fn buffered_bytes(&self) -> usize {
        self.out.buffered_bytes()
    }

    pub fn is_buffering(&self) -> bool {
        self.out.is_buffering()
    }

    /// The time of the current replay's first event (epoch ms).
    pub fn replay_start_ms(&self) -> Option<f64> {
        self.out.replay_start_ms()
    }

    pub fn log(&self) -> &DebugLog {
        &self.ctx.log
    }

    /// The events waiting for the page's `emit` callback, and the callback.
    pub fn take_pending_emits(&mut self) -> (Vec<String>, Option<js_sys::Function>) {
        self.out.take_pending_emits()
    }

    /// Acts on a signal: the lifecycle's here, capture's by the observers.
    pub fn on_signal(&mut self, signal: Signal) {
        match signal {
            Signal::PageHidden => self.on_page_hidden(),
            Signal::VisibilityChanged => {
                if is_hidden(&self.ctx.window) {
                    self.on_page_hidden();
                } else {
                    self.on_user_activity();
                }
            }
            Signal::UserActivity => self.on_user_activity(),
            Signal::FlushTick => self.on_flush_tick(),
            Signal::DocumentParsed => {
                if let Err(error) = self.take_full_snapshot() {
                    self.ctx
                        .log
                        .note_text(Note::FirstSnapshotFailed, &error.message());
                }
            }
            Signal::SnapshotSlice => self.continue_snapshot(SLICE_MS),
            capture => {
                if !self.is_capturing() {
                    return;
                }
                let is_error = matches!(capture, Signal::Error(_) | Signal::Rejection(_));
                if let Some(observers) = &mut self.observers {
                    observers.on_signal(&mut self.ctx, &mut self.out, capture);
                }
                if is_error && self.out.is_buffering() {
                    // The error is recorded: send it with what led to it.
                    let records = self.release_buffer("uncaught error");
                    let _stored = store_in_order(&records);
                }
            }
        }
    }

    /// Attaches a user to the replay: an `identify` Custom event, and the
    /// user in the metadata of every chunk sealed from now on. With
    /// `userIdAsDeviceId`, the user id (checked as a device id by
    /// `js/options.js`) becomes the device id, which starts a new replay
    /// (`<userId>/<sessionId>`) with a fresh snapshot.
    pub fn identify(&mut self, user_id: &str, traits_json: Option<String>) {
        let identified = lifecycle::identify(
            user_id,
            traits_json,
            self.ctx.options.user_id_as_device_id,
            &self.device_id,
        );
        if !self.is_capturing() {
            return;
        }
        if let Some(device_id) = identified.switch_to {
            self.switch_device(device_id);
        }
        self.out.set_user(&identified.user_json);
        self.identified_user = Some(identified.user_json.clone());
        self.out
            .record_custom("identify", identified.user_json, clock::now());
    }

    /// Continues the recording as the replay of another session and/or
    /// device (`setSessionId(sessionId, deviceId)`): the current replay
    /// ends with what it gathered, and the new one opens at seq 0 with a
    /// Meta event and a full snapshot. A session named so is the page's:
    /// it never ends by idleness. Sampling is decided afresh for a new
    /// session, so a recording may begin or pause here. Returns whether
    /// the replay changed.
    pub fn switch_replay(
        &mut self,
        session_id: Option<SessionId>,
        device_id: Option<DeviceId>,
    ) -> bool {
        if self.is_stopped {
            return false;
        }
        let current = self.replay_id();
        let Some(next) = lifecycle::switched_replay(&current, session_id, device_id) else {
            return false;
        };
        let was_capturing = self.is_capturing();
        if was_capturing {
            self.end_replay();
        }
        let is_new_session = next.session_id != current.session_id;
        if is_new_session {
            self.session = Session::supplied(next.session_id, clock::now());
            self.is_sampled = is_session_sampled(
                self.session.id.as_str(),
                self.ctx.options.session_sample_rate(),
            );
        }
        self.device_id = next.device_id;
        let options = &self.ctx.options;
        // What the buffer kept belongs to the replay that ended. A new
        // session buffers again until its own trigger, as one that began
        // by idleness does; another device of the same session goes on as
        // the session did.
        let buffers = if is_new_session {
            options.mode == RecordingMode::Buffer
        } else {
            self.out.is_buffering()
        };
        if buffers {
            self.out
                .start_buffering(options.buffer_ms, options.max_buffer_bytes);
        }
        if !self.is_capturing() {
            self.ctx.log.note(
                Note::ContinuesUnsampled,
                [&current.to_key(), &self.replay_id().to_key()],
                [f64::NAN; 4],
            );
            return true;
        }
        if self.observers.is_none() {
            // Sampled out until now: nothing was attached yet.
            if let Some(document) = self.ctx.window.document() {
                let flush_interval_ms = self.ctx.options.flush_interval_ms;
                self.attach(&document, flush_interval_ms);
            }
        }
        self.open_new_replay(Note::Continues, &current.to_key());
        true
    }

    /// Adds a Custom event (`addCustomEvent(tag, payload)`), `payload_json`
    /// being its payload's JSON.
    pub fn add_custom(&mut self, tag: &str, payload_json: String) {
        if self.is_capturing() {
            self.out.record_custom(tag, payload_json, clock::now());
        }
    }

    /// Adds a `log` Custom event; `data_json` is the JSON of its data.
    pub fn add_log(&mut self, message: &str, data_json: Option<String>) {
        if self.is_capturing() {
            let payload = lifecycle::log_payload(message, data_json);
            self.out.record_custom("log", payload, clock::now());
        }
    }

    /// Seals what gathered into a chunk now (in buffer mode: sends what
    /// the buffer kept, see [`Recording::release_buffer`]); returns the
    /// records for the caller to await their storing.
    pub fn flush(&mut self) -> Vec<Sealed> {
        if !self.is_capturing() {
            return Vec::new();
        }
        if self.out.is_buffering() {
            return self.release_buffer("flush()");
        }
        self.write_pending();
        self.complete_snapshot();
        let mut sealed = Vec::new();
        sealed.extend(self.out.seal_for_caller());
        sealed
    }

    /// Buffer mode's trigger: everything gathered joins the buffer, which
    /// is sent, numbered from seq 0; the recording goes on in normal mode
    /// for the rest of its session. `why` is for the debug log.
    fn release_buffer(&mut self, why: &str) -> Vec<Sealed> {
        self.complete_snapshot();
        self.write_pending();
        // Whole milliseconds, as the line has always shown them.
        let look_back_ms = self
            .out
            .replay_start_ms()
            .map_or(0.0, |start| (clock::now() - start).max(0.0).floor());
        let records = self.out.release_buffer();
        self.ctx.log.note(
            Note::BufferSent,
            [why, ""],
            [records.len() as f64, look_back_ms, 0.0, 0.0],
        );
        records
    }

    /// Ends the recording and detaches everything it attached; returns the
    /// last chunk's record for the caller to await its storing.
    pub fn stop(&mut self) -> Option<Sealed> {
        if self.is_stopped {
            return None;
        }
        // Before anything is detached: finishing observes what it meets.
        self.complete_snapshot();
        // What the observers gathered up to now is part of the recording.
        self.write_pending();
        self.observers = None;
        self.lifecycle_listeners.clear();
        self.flush_timer = None;
        let last = self.out.seal_for_caller();
        self.storage.save_session(&self.session);
        self.is_stopped = true;
        last
    }

    /// The flush timer: ends an expired session, seals what gathered.
    fn on_flush_tick(&mut self) {
        if self.snapshot.is_some() {
            // The open chunk holds half a snapshot: the next tick seals.
            return;
        }
        let now = clock::now();
        match lifecycle::on_tick(&self.session, &self.ctx.options.session_policy, now) {
            Tick::RotateSession => self.rotate_session(now),
            Tick::SealChunk => self.out.seal_and_ship(false),
        }
        self.storage.save_session(&self.session);
    }

    /// User activity keeps the session alive; activity after it expired
    /// (timers sleep in background tabs) starts a new one first.
    fn on_user_activity(&mut self) {
        let now = clock::now();
        let policy = &self.ctx.options.session_policy;
        if lifecycle::activity_starts_new_session(&self.session, policy, now) {
            self.rotate_session(now);
        }
        self.session.touch(now);
    }

    /// The page is hidden or going away: seal what gathered and send it
    /// with keepalive, so it arrives even if the tab is closed now.
    fn on_page_hidden(&mut self) {
        self.seal_and_ship(true);
        self.storage.save_session(&self.session);
    }

    /// Takes a checkout when one is due (`core::lifecycle::Checkouts`).
    pub fn maybe_checkout(&mut self) {
        if !self.is_capturing() || self.snapshot.is_some() {
            return;
        }
        let options = &self.ctx.options;
        let now = clock::now();
        let due =
            self.out
                .checkouts
                .is_due(options.checkout_every_nth, options.checkout_every_ms, now)
                || self.out.is_buffer_checkout_due(now);
        if due {
            if let Err(error) = self.take_full_snapshot() {
                self.ctx
                    .log
                    .note_text(Note::CheckoutFailed, &error.message());
            }
        }
    }

    fn rotate_session(&mut self, now: f64) {
        self.end_replay();
        let previous = self.replay_id();
        self.session = Session::generate(now);
        self.storage.save_session(&self.session);
        let options = &self.ctx.options;
        self.is_sampled =
            is_session_sampled(self.session.id.as_str(), options.session_sample_rate());
        // A new session buffers again, whatever the last one did.
        if options.mode == RecordingMode::Buffer {
            self.out
                .start_buffering(options.buffer_ms, options.max_buffer_bytes);
        }
        self.open_new_replay(Note::SessionEnded, &previous.to_key());
    }

    /// Continues the recording under another device id: a new replay with
    /// its own seq and a fresh Meta + full snapshot.
    fn switch_device(&mut self, device_id: DeviceId) {
        self.end_replay();
        let previous = self.replay_id();
        self.device_id = device_id;
        if self.out.is_buffering() {
            // What was kept belongs to the replay that ended.
            let options = &self.ctx.options;
            self.out
                .start_buffering(options.buffer_ms, options.max_buffer_bytes);
        }
        self.open_new_replay(Note::Identified, &previous.to_key());
    }

    /// Seals the last chunk of a replay that ends (a new session or device
    /// follows), with everything gathered for it, as `stop()` does. Left
    /// pending, sampled mouse positions would be written by the next
    /// snapshot into the new replay, before its Meta.
    fn end_replay(&mut self) {
        self.complete_snapshot();
        self.write_pending();
        self.seal_and_ship(false);
    }

    /// After the device or session changed: a chunker for the new replay id
    /// (its seq from storage, the identified user kept) and a fresh Meta +
    /// full snapshot to open it. `why` is the debug log's line, which
    /// names the `previous` replay.
    fn open_new_replay(&mut self, why: Note, previous: &str) {
        let replay_id = self.replay_id();
        self.out.open_replay(
            &replay_id,
            self.ctx.options.max_chunk_bytes,
            self.identified_user.as_deref(),
        );
        let key = replay_id.to_key();
        self.ctx.log.note(why, [previous, &key], [f64::NAN; 4]);
        self.opening.restart();
        if let Err(error) = self.take_full_snapshot() {
            self.ctx.log.note(
                Note::ReplaySnapshotFailed,
                [&key, &error.message()],
                [f64::NAN; 4],
            );
        }
    }

    fn write_pending(&mut self) {
        if let Some(observers) = &mut self.observers {
            observers.write_pending(&mut self.ctx, &mut self.out);
        }
    }

    /// Seals the open chunk and ships it. Never half a snapshot in a
    /// chunk: a snapshot under way is finished first.
    fn seal_and_ship(&mut self, before_unload: bool) {
        self.complete_snapshot();
        self.out.seal_and_ship(before_unload);
    }

    // Full snapshots.

    /// Begins a Meta event and a full snapshot of the document, and writes
    /// its first slice now; later slices follow in tasks of their own. A
    /// snapshot still under way is finished first.
    ///
    /// # Errors
    /// When the document cannot be read.
    pub fn take_full_snapshot(&mut self) -> Result<(), WebError> {
        self.complete_snapshot();
        if !self.is_capturing() {
            return Ok(());
        }
        let Some(observers) = &mut self.observers else {
            return Ok(());
        };
        let window = &self.ctx.window;
        let document = window
            .document()
            .ok_or_else(|| WebError::Snapshot("the window has no document".into()))?;
        observers.before_snapshot(&mut self.out);
        let timestamp = clock::now();
        let (width, height) = self.ctx.viewport_size();
        let href = page_href(window)
            .ok_or_else(|| WebError::Snapshot("the page's address could not be read".into()))?;
        let [left, top, ..] = numbers_of(window, Numbers::Scroll);
        let initial_offset = ScrollOffset { top, left };
        observers.watch_document(&self.ctx, &document, (width, height));
        // In buffer mode a checkout starts a segment of its own.
        self.out.begin_buffer_segment(timestamp);
        let job = SnapshotJob::begin(
            &mut self.ctx,
            document.clone(),
            timestamp,
            initial_offset,
            self.out.has_emit(),
        )?;
        observers.begin_walk(&document);
        self.out.record(Event {
            timestamp,
            data: EventData::Meta(Meta {
                href,
                width,
                height,
            }),
        });
        self.out.begin_streamed_snapshot(timestamp);
        self.out.hold();
        self.snapshot = Some(job);
        self.continue_snapshot(FIRST_SLICE_MS);
        Ok(())
    }

    /// Finishes a snapshot under way now, in this task: before anything
    /// that seals a chunk, changes the replay or stops.
    fn complete_snapshot(&mut self) {
        if self.snapshot.is_some() {
            self.continue_snapshot(f64::INFINITY);
        }
    }

    /// A promise resolved once no snapshot is under way.
    pub fn snapshot_taken(&mut self) -> js_sys::Promise {
        match &mut self.snapshot {
            Some(job) => job.when_finished(),
            None => js_sys::Promise::resolve(&JsValue::UNDEFINED),
        }
    }

    /// Writes the snapshot for up to `budget_ms`, then schedules the next
    /// slice or, when the walk is done, finishes.
    fn continue_snapshot(&mut self, budget_ms: f64) {
        let (Some(job), Some(observers)) = (&mut self.snapshot, &mut self.observers) else {
            return;
        };
        if observers.take_walk_disturbed() {
            job.mark_disturbed();
        }
        let slice = job.advance(&mut self.ctx, budget_ms);
        self.out.push_snapshot_part(&slice.json);
        // Their changes from now on are recorded: watch them before the
        // page's next turn.
        observers.after_slice(
            &mut self.ctx,
            &mut self.out,
            slice.shadow_hosts,
            slice.pending_links,
        );
        if slice.is_done {
            self.finish_snapshot();
        } else if let Some(job) = &mut self.snapshot {
            job.schedule_next(&self.ctx.signals);
        }
    }

    fn finish_snapshot(&mut self) {
        let Some(observers) = &mut self.observers else {
            return;
        };
        // Records not yet delivered join those of the walk.
        observers.flush_records(&mut self.ctx, &mut self.out);
        let Some(job) = self.snapshot.take() else {
            return;
        };
        let finished = job.finish();
        let held = self.out.release();
        self.out.end_streamed_snapshot(&finished.tail);
        if let Some(whole) = finished.emit_json {
            self.out.queue_emit(whole);
        }
        self.ctx.log.note(
            Note::SnapshotTaken,
            ["", ""],
            [finished.node_count as f64, finished.slices as f64, 0.0, 0.0],
        );
        if finished.truncated_elements > 0 {
            self.ctx.log.note(
                Note::TooDeep,
                ["", ""],
                [
                    finished.truncated_elements as f64,
                    MAX_TREE_DEPTH as f64,
                    0.0,
                    0.0,
                ],
            );
        }
        self.out.checkouts.reset(finished.timestamp);
        observers.end_walk(
            &mut self.ctx,
            &mut self.out,
            &finished.document,
            finished.visited,
            finished.timestamp,
        );
        for event in held {
            self.out.record(event);
        }
        observers.attach_frames(&mut self.ctx, &mut self.out, finished.iframes);
        resolve_waiters(finished.waiters);
        // The first snapshot of a replay is what makes it playable: it is
        // sent at once rather than after the flush interval.
        let after = self.opening.snapshot_finished();
        for (tag, payload) in after.customs {
            self.out.record_custom(tag, payload, clock::now());
        }
        if after.flush {
            self.out.seal_and_ship(false);
        }
    }
}
