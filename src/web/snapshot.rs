//! Full snapshots written in slices, so that a large page is never blocked
//! for long: each slice walks the DOM for a few milliseconds, compresses
//! what it wrote into the open chunk and gives the page its turn.
//!
//! While a snapshot is under way the page keeps running. The observer
//! watches from the first slice on; its records are kept aside and, once
//! the walk is done, brought to the snapshot as one Mutation event (see
//! `SnapshotWalk` and `MutationBuffer::begin_after_walk` in the core).
//! Every other event recorded meanwhile is held and follows the snapshot,
//! so a replay never meets a node before the snapshot that creates it.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Node};

use crate::core::event::{Event, EventData, FullSnapshot, Meta, ScrollOffset};
use crate::core::mutation::{MutationBuffer, MutationRecord};
use crate::core::snapshot::{Placement, SnapshotWalk, MAX_TREE_DEPTH};

use super::capture::later;
use super::guard::Timer;
use super::recorder::Recording;

/// How long one slice walks the DOM. Compressing what it wrote comes on
/// top (about a third of this), which keeps each slice's task well under
/// the 50 ms that counts as a long task, with room for a slow moment.
const SLICE_MS: f64 = 16.0;

/// The first slice is shorter: it shares its task with whatever asked for
/// the snapshot (`start()` also sets up listeners and storage).
const FIRST_SLICE_MS: f64 = 8.0;

/// The clock is read once per this many nodes.
const NODES_PER_CLOCK_READ: u32 = 64;

/// A full snapshot being written.
pub struct PendingSnapshot {
    walk: SnapshotWalk<Node>,
    document: Document,
    /// The snapshot's timestamp: when its walk began.
    timestamp: f64,
    initial_offset: ScrollOffset,
    /// The records the observer delivered while the walk ran.
    records: Vec<MutationRecord<Node>>,
    /// Events recorded while the walk ran: they follow the snapshot.
    held: Vec<Event>,
    /// The whole event, for the page's `emit` callback.
    emit_json: Option<String>,
    slices: u32,
    next_slice: Option<Timer>,
    /// `resolve` functions of the promises waiting for this snapshot.
    waiters: Vec<js_sys::Function>,
}

impl PendingSnapshot {
    /// Holds an event recorded while the walk runs.
    pub fn hold(&mut self, event: Event) {
        self.held.push(event);
    }

    /// Keeps the records of the walk's time; structural ones make the walk
    /// check each child from now on.
    pub fn keep_records(&mut self, records: Vec<MutationRecord<Node>>) {
        if records
            .iter()
            .any(|record| matches!(record, MutationRecord::ChildList { .. }))
        {
            self.walk.mark_disturbed();
        }
        self.records.extend(records);
    }
}

impl Recording {
    /// Begins a Meta event and a full snapshot of the document, and writes
    /// its first slice now; later slices follow in tasks of their own. A
    /// snapshot still under way is finished first.
    pub fn take_full_snapshot(&mut self) -> Result<(), JsValue> {
        self.complete_snapshot();
        if !self.is_capturing() {
            return Ok(());
        }
        let document = self
            .window
            .document()
            .ok_or_else(|| JsValue::from_str("the window has no document"))?;
        // Positions sampled so far belong before the new snapshot; pending
        // mutation records are already in the DOM it reads.
        self.flush_mouse();
        self.capture.forget_pending_mutations();
        let timestamp = js_sys::Date::now();
        let (width, height) = self.viewport_size();
        self.note_viewport((width, height));
        let meta = Meta {
            href: self.window.location().href()?,
            width,
            height,
        };
        let initial_offset = ScrollOffset {
            top: self.window.scroll_y()?,
            left: self.window.scroll_x()?,
        };
        // Watch from now on, so nothing the page does during the walk is
        // missed.
        self.watch_document(&document);
        let Some(walk) = SnapshotWalk::begin(
            &self.dom,
            &mut self.mirror,
            &self.options.privacy,
            document.as_ref(),
            Placement::default(),
        ) else {
            return Err(JsValue::from_str("the document could not be serialized"));
        };
        self.begin_sheet_walk(&document);
        self.record(Event {
            timestamp,
            data: EventData::Meta(meta),
        });
        self.begin_streamed_snapshot(timestamp);
        self.snapshot = Some(PendingSnapshot {
            walk,
            document,
            timestamp,
            initial_offset,
            records: Vec::new(),
            held: Vec::new(),
            emit_json: self
                .has_emit()
                .then(|| String::from(FullSnapshot::JSON_HEAD)),
            slices: 0,
            next_slice: None,
            waiters: Vec::new(),
        });
        self.continue_snapshot(FIRST_SLICE_MS);
        Ok(())
    }

    /// Finishes a snapshot under way now, in this task: before anything
    /// that seals a chunk, changes the replay or stops.
    pub fn complete_snapshot(&mut self) {
        if self.snapshot.is_some() {
            self.continue_snapshot(f64::INFINITY);
        }
    }

    /// A promise resolved once no snapshot is under way.
    pub fn snapshot_taken(&mut self) -> js_sys::Promise {
        let Some(pending) = &mut self.snapshot else {
            return js_sys::Promise::resolve(&JsValue::UNDEFINED);
        };
        let mut waiters = Vec::new();
        let promise = js_sys::Promise::new(&mut |resolve, _reject| waiters.push(resolve));
        pending.waiters.extend(waiters);
        promise
    }

    /// Writes the snapshot for up to `budget_ms`, then schedules the next
    /// slice or, when the walk is done, finishes.
    fn continue_snapshot(&mut self, budget_ms: f64) {
        let Some(pending) = &mut self.snapshot else {
            return;
        };
        pending.next_slice = None;
        pending.slices += 1;
        let deadline = js_sys::Date::now() + budget_ms;
        let mut count = 0u32;
        let mut should_yield = || {
            count += 1;
            count % NODES_PER_CLOCK_READ == 0 && js_sys::Date::now() >= deadline
        };
        let done = pending.walk.advance(
            &self.dom,
            &mut self.mirror,
            &self.options.privacy,
            &mut should_yield,
        );
        let json = pending.walk.take_json();
        if let Some(whole) = &mut pending.emit_json {
            whole.push_str(&json);
        }
        let (shadow_hosts, pending_links) = pending.walk.take_watch_list();
        self.push_snapshot_part(&json);
        // Their changes from now on are recorded: watch them before the
        // page's next turn.
        self.observe_shadow_hosts(shadow_hosts);
        self.await_sheets(pending_links);
        if done {
            self.finish_snapshot();
        } else if let Some(pending) = &mut self.snapshot {
            pending.next_slice = Some(later(&self.capture.self_ref, 0, |recording| {
                recording.continue_snapshot(SLICE_MS)
            }));
        }
    }

    fn finish_snapshot(&mut self) {
        // Records not yet delivered join those of the walk.
        self.flush_mutation_records();
        let Some(mut pending) = self.snapshot.take() else {
            return;
        };
        let tail = FullSnapshot::json_tail(pending.initial_offset, pending.timestamp);
        self.end_streamed_snapshot(&tail);
        if let Some(mut whole) = pending.emit_json.take() {
            whole.push_str(&tail);
            self.queue_emit(whole);
        }
        let nodes = pending.walk.node_count();
        self.log().info(&format!(
            "full snapshot taken: {nodes} nodes in {} slice(s)",
            pending.slices
        ));
        let truncated = pending.walk.truncated_elements();
        if truncated > 0 {
            self.log().warn(&format!(
                "{truncated} elements nest deeper than {MAX_TREE_DEPTH} levels; their children were not recorded"
            ));
        }
        self.capture.events_since_checkout = 0;
        self.capture.last_checkout_ms = pending.timestamp;

        // What the page changed during the walk, as one Mutation event at
        // the snapshot's time: the two together are the page as it is now.
        let mut buffer = MutationBuffer::new();
        buffer.begin_after_walk(pending.walk.visited().clone());
        for record in std::mem::take(&mut pending.records) {
            buffer.process(&self.dom, &self.mirror, record);
        }
        self.capture.buffer = buffer;
        // The sheets first: every adoption event the walk made only names
        // them, and those events follow.
        self.emit_sheet_definitions(&pending.document, pending.timestamp);
        self.emit_mutations_at(pending.timestamp);
        for event in std::mem::take(&mut pending.held) {
            self.record(event);
        }
        for frame in pending.walk.take_iframes() {
            self.attach_frame(&frame);
        }
        for resolve in pending.waiters {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
        self.after_snapshot_finished();
    }
}
