//! Where a recording's events go: the open chunk (sealed chunks go to the
//! courier, or in buffer mode to the buffer) and the page's `emit`
//! callback. While a full snapshot is being written, events are held and
//! follow it, so a replay never meets a node before the snapshot that
//! creates it.

use std::rc::Rc;

use crate::core::buffer::ChunkBuffer;
use crate::core::chunk::{Chunker, SealedChunk};
use crate::core::event::{Custom, Event, EventData, FullSnapshot, TimestampMs};
use crate::core::incremental::{Incremental, PointerPosition};
use crate::core::lifecycle::Checkouts;
use crate::core::replay_id::ReplayId;

use super::clock;
use super::courier::{Courier, OutboxRecord};
use super::log::{DebugLog, Note};
use super::storage::TabStorage;

/// How much JSON of a chunk written plain the wasm holds before it hands
/// it to the courier.
const PLAIN_PART_BYTES: usize = 256 * 1024;

/// Where sealed chunks go: the endpoint and the page's courier.
pub struct Wire {
    pub chunker: Chunker,
    pub endpoint: String,
    pub api_key: Option<String>,
    pub courier: Courier,
}

/// A sealed chunk's record, with the courier that is to store it.
pub type Sealed = (Courier, OutboxRecord);

/// Hands records to the outbox in their order, each write starting now
/// (js/courier.js keeps that order); the promise resolves once all are
/// stored.
pub fn store_in_order(records: &[Sealed]) -> js_sys::Promise {
    let stored: js_sys::Array = records
        .iter()
        .map(|(courier, record)| courier.store_record(record))
        .collect();
    js_sys::Promise::all(&stored)
}

/// Buffer mode's state: what is kept, and its limits.
struct Buffering {
    chunks: ChunkBuffer,
    buffer_ms: f64,
    max_bytes: usize,
}

/// A recording's output sink.
pub struct Output {
    wire: Option<Wire>,
    emit: Option<js_sys::Function>,
    /// Events for `emit`, handed over once the recording is no longer
    /// borrowed, so the page's callback may call back into rewind.
    pending_emits: Vec<String>,
    /// Events recorded while a full snapshot is written.
    held: Option<Vec<Event>>,
    storage: TabStorage,
    log: Rc<DebugLog>,
    /// Counts toward the next checkout.
    pub checkouts: Checkouts,
    /// The time of the current replay's first event.
    replay_start_ms: Option<TimestampMs>,
    /// In buffer mode until a trigger: sealed chunks are kept here.
    buffering: Option<Buffering>,
    /// Pointer positions sampled but not yet written, and whether they are
    /// touches. Written as one event before any other event is recorded:
    /// rrweb's Replayer, after a seek that stopped on a batch of moves,
    /// resumes from the batch's first position, and would apply again any
    /// event recorded between that position and the batch.
    moves: Vec<PointerPosition>,
    moves_are_touches: bool,
}

impl Output {
    pub fn new(
        wire: Option<Wire>,
        emit: Option<js_sys::Function>,
        storage: TabStorage,
        log: Rc<DebugLog>,
    ) -> Self {
        let mut out = Output {
            wire,
            emit,
            pending_emits: Vec::new(),
            held: None,
            storage,
            log,
            checkouts: Checkouts::default(),
            replay_start_ms: None,
            buffering: None,
            moves: Vec::new(),
            moves_are_touches: false,
        };
        out.choose_compression();
        out
    }

    /// From now on, sealed chunks are kept (at least the last `buffer_ms`,
    /// at most `max_bytes` of them) instead of sent, until
    /// [`Output::release_buffer`]. Anything kept before is dropped.
    pub fn start_buffering(&mut self, buffer_ms: f64, max_bytes: usize) {
        self.buffering = Some(Buffering {
            chunks: ChunkBuffer::default(),
            buffer_ms,
            max_bytes,
        });
        self.choose_compression();
    }

    /// Chunks are sealed plain for the courier to compress in its worker,
    /// unless buffer mode keeps them (compressed, as they are written) or
    /// the courier has no worker.
    fn choose_compression(&mut self) {
        let buffering = self.buffering.is_some();
        if let Some(wire) = &mut self.wire {
            let later = !buffering && wire.courier.compresses_off_thread();
            wire.chunker.set_compress_later(later);
        }
    }

    pub fn is_buffering(&self) -> bool {
        self.buffering.is_some()
    }

    /// The compressed bytes buffer mode holds.
    pub fn buffered_bytes(&self) -> usize {
        self.buffering
            .as_ref()
            .map_or(0, |buffering| buffering.chunks.bytes())
    }

    /// A checkout begins at `at_ms` in buffer mode: the open chunk is
    /// sealed, so that the new segment starts with the checkout's Meta.
    pub fn begin_buffer_segment(&mut self, at_ms: TimestampMs) {
        if self.buffering.is_none() {
            return;
        }
        self.seal_and_ship(false);
        if let Some(buffering) = &mut self.buffering {
            buffering.chunks.begin_segment(at_ms);
        }
    }

    /// Whether buffer mode needs a checkout to start a new segment.
    pub fn is_buffer_checkout_due(&self, now_ms: TimestampMs) -> bool {
        self.buffering.as_ref().is_some_and(|buffering| {
            buffering
                .chunks
                .is_checkout_due(now_ms, buffering.buffer_ms, buffering.max_bytes)
        })
    }

    /// Ends buffer mode: the open chunk and everything kept, numbered from
    /// seq 0, as records to store in this order; chunks after them go out
    /// as sealed. Empty when not buffering.
    pub fn release_buffer(&mut self) -> Vec<Sealed> {
        if self.buffering.is_none() {
            return Vec::new();
        }
        self.seal_and_ship(false);
        let Some(mut buffering) = self.buffering.take() else {
            return Vec::new();
        };
        self.choose_compression();
        if let Some(start) = buffering.chunks.start_ms() {
            self.replay_start_ms = Some(start);
        }
        let chunks = buffering.chunks.take_numbered();
        let next_seq = chunks.len() as u64;
        let Some(wire) = &mut self.wire else {
            return Vec::new();
        };
        wire.chunker.continue_at(next_seq);
        let courier = wire.courier.clone();
        if let Some(last) = chunks.last() {
            self.storage
                .save_next_seq(&last.replay_id.to_key(), next_seq);
        }
        // (A loop, not filter_map/collect: less wasm.)
        let mut records = Vec::new();
        for chunk in chunks {
            if let Some(record) = self.outbox_record(chunk) {
                records.push((courier.clone(), record));
            }
        }
        records
    }

    /// Records an event: held while a snapshot is written, else written to
    /// the open chunk and queued for `emit`.
    pub fn record(&mut self, event: Event) {
        self.write_moves_by(event.timestamp);
        self.write(event);
    }

    /// Keeps a sampled pointer position for the next batch of moves.
    pub fn add_move(&mut self, position: PointerPosition, touch: bool) {
        if self.moves_are_touches != touch {
            self.write_moves();
        }
        self.moves_are_touches = touch;
        self.moves.push(position);
    }

    /// Writes the sampled positions as one event, each with its (negative)
    /// offset from the event's timestamp.
    pub fn write_moves(&mut self) {
        self.write_moves_by(clock::now());
    }

    /// Writes the sampled positions, timed no later than `next_ms`, the
    /// time of the event about to follow (a Mutation event carries the time
    /// its batch arrived, before the DOM was read), so the events stay in
    /// time order; never before the last position.
    // Not inlined into every caller of `record`: one copy is enough.
    #[inline(never)]
    fn write_moves_by(&mut self, next_ms: TimestampMs) {
        let Some(last) = self.moves.last() else {
            return;
        };
        let at = clock::now().min(next_ms).max(last.at);
        let positions = std::mem::take(&mut self.moves);
        let data = Incremental::PointerMoves {
            touch: self.moves_are_touches,
            positions: &positions,
            now: at,
        };
        self.checkouts.note_event();
        self.write(Event {
            timestamp: at,
            data: EventData::Incremental(data.to_json()),
        });
    }

    fn write(&mut self, event: Event) {
        self.replay_start_ms.get_or_insert(event.timestamp);
        if let Some(held) = &mut self.held {
            held.push(event);
            return;
        }
        let json = event.to_json();
        if let Some(wire) = &mut self.wire {
            if let Some(sealed) = wire.chunker.push(&json, event.timestamp) {
                self.ship(sealed, false);
            }
            self.hand_over_parts();
        }
        if self.emit.is_some() {
            self.pending_emits.push(json);
        }
    }

    /// Records an IncrementalSnapshot event written by the core.
    pub fn record_incremental(&mut self, data: &Incremental<'_>, timestamp: TimestampMs) {
        self.record_incremental_json(data.to_json(), timestamp);
    }

    /// Records an IncrementalSnapshot event whose data the core wrote as
    /// JSON (a Mutation event).
    pub fn record_incremental_json(&mut self, data_json: String, timestamp: TimestampMs) {
        self.checkouts.note_event();
        self.record(Event {
            timestamp,
            data: EventData::Incremental(data_json),
        });
    }

    /// Records a Plugin event whose data is `data_json`.
    pub fn record_plugin(&mut self, data_json: String, timestamp: TimestampMs) {
        self.record(Event {
            timestamp,
            data: EventData::Plugin(data_json),
        });
    }

    /// Records a Custom event.
    pub fn record_custom(&mut self, tag: &str, payload_json: String, timestamp: TimestampMs) {
        self.record(Event {
            timestamp,
            data: EventData::Custom(Custom {
                tag: tag.into(),
                payload_json,
            }),
        });
    }

    /// From now on, events are held (a full snapshot is being written).
    pub fn hold(&mut self) {
        self.held.get_or_insert_with(Vec::new);
    }

    /// Ends holding; the events held, for the caller to record after
    /// what must precede them.
    pub fn release(&mut self) -> Vec<Event> {
        self.held.take().unwrap_or_default()
    }

    /// The time of the current replay's first event, once it has one.
    pub fn replay_start_ms(&self) -> Option<TimestampMs> {
        // Buffer mode: where a flush now would start.
        match &self.buffering {
            Some(buffering) => buffering.chunks.start_ms(),
            None => self.replay_start_ms,
        }
    }

    pub fn has_emit(&self) -> bool {
        self.emit.is_some()
    }

    /// Queues an event's JSON for the page's `emit` callback.
    pub fn queue_emit(&mut self, json: String) {
        self.pending_emits.push(json);
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

    /// Starts the FullSnapshot event in the open chunk; its node follows
    /// in parts.
    pub fn begin_streamed_snapshot(&mut self, timestamp: TimestampMs) {
        // Positions sampled before the snapshot name the ids before it.
        self.write_moves();
        let Some(wire) = &mut self.wire else { return };
        let sealed = wire.chunker.begin_streamed(timestamp);
        wire.chunker.push_part(FullSnapshot::JSON_HEAD);
        if let Some(sealed) = sealed {
            self.ship(sealed, false);
        }
    }

    pub fn push_snapshot_part(&mut self, json: &str) {
        if let Some(wire) = &mut self.wire {
            wire.chunker.push_part(json);
        }
        self.hand_over_parts();
    }

    /// Hands the courier what a chunk written plain holds, once that is
    /// [`PLAIN_PART_BYTES`] or more: a big page's snapshot is megabytes of
    /// JSON, which the wasm memory, grown once, would keep for good.
    fn hand_over_parts(&mut self) {
        let Some(wire) = &mut self.wire else { return };
        if let Some((seq, part)) = wire.chunker.take_plain_part(PLAIN_PART_BYTES) {
            let replay_id = wire.chunker.replay_id().to_key();
            wire.courier.append_part(&replay_id, seq as f64, &part);
        }
    }

    pub fn end_streamed_snapshot(&mut self, tail: &str) {
        let Some(wire) = &mut self.wire else { return };
        wire.chunker.push_part(tail);
        if let Some(sealed) = wire.chunker.end_streamed() {
            self.ship(sealed, false);
        }
    }

    /// Continues in a new replay: a chunker for `replay_id` (its seq from
    /// storage), carrying `user` in its metadata.
    pub fn open_replay(
        &mut self,
        replay_id: &ReplayId,
        max_chunk_bytes: usize,
        user: Option<&str>,
    ) {
        self.replay_start_ms = None;
        if let Some(wire) = &mut self.wire {
            let next_seq = self.storage.next_seq(&replay_id.to_key());
            wire.chunker = Chunker::new(replay_id.clone(), next_seq, max_chunk_bytes);
            if let Some(user) = user {
                wire.chunker.set_user(user.to_owned());
            }
        }
        self.choose_compression();
    }

    /// The user every chunk sealed from now on carries.
    pub fn set_user(&mut self, user_json: &str) {
        if let Some(wire) = &mut self.wire {
            wire.chunker.set_user(user_json.to_owned());
        }
    }

    /// Seals the open chunk, if it holds events. The caller finishes any
    /// snapshot under way first: never half a snapshot in a chunk.
    pub fn seal(&mut self) -> Option<SealedChunk> {
        self.wire.as_mut()?.chunker.seal()
    }

    /// Seals the open chunk and returns its record for the caller to await
    /// its storing (`flush()`, `stop()`).
    pub fn seal_for_caller(&mut self) -> Option<Sealed> {
        if self.buffering.is_some() {
            // Kept, not sent.
            self.seal_and_ship(false);
            return None;
        }
        let sealed = self.seal()?;
        // So a reload never reuses the seq: written as soon as it is sealed.
        self.storage
            .save_next_seq(&sealed.replay_id.to_key(), sealed.seq + 1);
        let courier = self.wire.as_ref()?.courier.clone();
        Some((courier, self.outbox_record(sealed)?))
    }

    /// Seals the open chunk and ships it; `before_unload` when the page is
    /// going away.
    pub fn seal_and_ship(&mut self, before_unload: bool) {
        if let Some(sealed) = self.seal() {
            self.ship(sealed, before_unload);
        }
    }

    fn ship(&mut self, sealed: SealedChunk, before_unload: bool) {
        if let Some(buffering) = &mut self.buffering {
            let now = clock::now();
            // (Sealed plain only if buffer mode began while it was open.)
            buffering.chunks.push(sealed.into_compressed(), now);
            let dropped = buffering
                .chunks
                .trim(now, buffering.buffer_ms, buffering.max_bytes);
            if dropped > 0 {
                self.log.note(
                    Note::BufferTrimmed,
                    ["", ""],
                    [dropped as f64, buffering.chunks.bytes() as f64, 0.0, 0.0],
                );
            }
            return;
        }
        let Some(wire) = &self.wire else { return };
        let courier = wire.courier.clone();
        if self.log.is_on() {
            let note = if sealed.compressed {
                Note::Sealed
            } else {
                Note::SealedPlain
            };
            self.log.note(
                note,
                [&sealed.replay_id.to_key(), ""],
                [
                    sealed.seq as f64,
                    sealed.event_count as f64,
                    sealed.raw_len as f64,
                    sealed.body.len() as f64,
                ],
            );
        }
        let (replay_id, next_seq) = (sealed.replay_id.to_key(), sealed.seq + 1);
        let Some(record) = self.outbox_record(sealed) else {
            return;
        };
        // A closing tab hands the chunk to the courier before anything else
        // it writes: its keepalive request and parked copy are what must
        // outlive the tab, and a closing tab's pagehide work can be cut
        // short (seen in Firefox).
        if before_unload {
            courier.send_record_before_unload(&record);
        }
        self.storage.save_next_seq(&replay_id, next_seq);
        let _stored = courier.store_record(&record);
    }

    fn outbox_record(&self, sealed: SealedChunk) -> Option<OutboxRecord> {
        let wire = self.wire.as_ref()?;
        Some(OutboxRecord {
            replay_id: sealed.replay_id.to_key(),
            seq: sealed.seq,
            endpoint: wire.endpoint.clone(),
            api_key: wire.api_key.clone(),
            body: sealed.body,
            compressed: sealed.compressed,
            created_at_ms: clock::now(),
        })
    }
}
