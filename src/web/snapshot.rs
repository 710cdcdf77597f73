//! Full snapshots written in slices, so that a large page is never blocked
//! for long: each slice walks the DOM for a few milliseconds, compresses
//! what it wrote into the open chunk and gives the page its turn.
//!
//! While a snapshot is under way the page keeps running. The observer
//! watches from the first slice on; its records are kept aside and, once
//! the walk is done, brought to the snapshot as one Mutation event (see
//! `SnapshotWalk` and `MutationBuffer::begin_after_walk` in the core).
//! Every other event recorded meanwhile is held by the output and follows
//! the snapshot, so a replay never meets a node before the snapshot that
//! creates it. The recorder runs the job and tells the observers; the job
//! knows nothing of them.

use wasm_bindgen::JsValue;
use web_sys::{Document, Node};

use crate::core::event::{FullSnapshot, ScrollOffset, TimestampMs};
use crate::core::snapshot::{Placement, SnapshotWalk, VisitedIds};

use super::clock;
use super::context::Context;
use super::error::WebError;
use super::guard::Timer;
use super::signal::{later, Signal, Signals};

/// How long one slice walks the DOM. Compressing what it wrote comes on
/// top (about a third of this), which keeps each slice's task well under
/// the 50 ms that counts as a long task, with room for a slow moment.
pub const SLICE_MS: f64 = 16.0;

/// The first slice is shorter: it shares its task with whatever asked for
/// the snapshot (`start()` also sets up listeners and storage).
pub const FIRST_SLICE_MS: f64 = 8.0;

/// The clock is read once per this many nodes.
const NODES_PER_CLOCK_READ: u32 = 64;

/// A full snapshot being written.
pub struct SnapshotJob {
    walk: SnapshotWalk<Node>,
    document: Document,
    /// The snapshot's timestamp: when its walk began.
    timestamp: TimestampMs,
    initial_offset: ScrollOffset,
    /// The whole event, for the page's `emit` callback.
    emit_json: Option<String>,
    slices: u32,
    next_slice: Option<Timer>,
    /// `resolve` functions of the promises waiting for this snapshot.
    waiters: Vec<js_sys::Function>,
}

/// What one slice wrote and met.
pub struct Slice {
    /// The next part of the FullSnapshot event's JSON.
    pub json: String,
    pub shadow_hosts: Vec<Node>,
    /// Stylesheet links whose sheet has not loaded.
    pub pending_links: Vec<Node>,
    pub is_done: bool,
}

/// A finished snapshot.
pub struct Finished {
    pub document: Document,
    pub timestamp: TimestampMs,
    /// The FullSnapshot event's JSON after its node.
    pub tail: String,
    /// The whole event for `emit`, when the page has the callback.
    pub emit_json: Option<String>,
    pub visited: VisitedIds,
    pub iframes: Vec<Node>,
    pub node_count: u32,
    pub truncated_elements: usize,
    pub slices: u32,
    pub waiters: Vec<js_sys::Function>,
}

impl SnapshotJob {
    /// Begins the walk of `document`.
    ///
    /// # Errors
    /// When the document cannot be serialized.
    pub fn begin(
        ctx: &mut Context,
        document: Document,
        timestamp: TimestampMs,
        initial_offset: ScrollOffset,
        for_emit: bool,
    ) -> Result<SnapshotJob, WebError> {
        ctx.dom.begin_snapshot();
        let walk = SnapshotWalk::begin(
            &ctx.dom,
            &mut ctx.mirror,
            &ctx.options.privacy,
            document.as_ref(),
            Placement::default(),
        )
        .ok_or_else(|| WebError::Snapshot("the document could not be serialized".into()))?;
        Ok(SnapshotJob {
            walk,
            document,
            timestamp,
            initial_offset,
            emit_json: for_emit.then(|| String::from(FullSnapshot::JSON_HEAD)),
            slices: 0,
            next_slice: None,
            waiters: Vec::new(),
        })
    }

    /// From now on the walk checks each child: the page changed the DOM's
    /// structure while it ran.
    pub fn mark_disturbed(&mut self) {
        self.walk.mark_disturbed();
    }

    /// Walks for up to `budget_ms`.
    pub fn advance(&mut self, ctx: &mut Context, budget_ms: f64) -> Slice {
        self.next_slice = None;
        self.slices += 1;
        let deadline = clock::now() + budget_ms;
        let mut count = 0u32;
        let mut should_yield = || {
            count += 1;
            count % NODES_PER_CLOCK_READ == 0 && clock::now() >= deadline
        };
        let is_done = self.walk.advance(
            &ctx.dom,
            &mut ctx.mirror,
            &ctx.options.privacy,
            &mut should_yield,
        );
        let json = self.walk.take_json();
        if let Some(whole) = &mut self.emit_json {
            whole.push_str(&json);
        }
        let (shadow_hosts, pending_links) = self.walk.take_watch_list();
        Slice {
            json,
            shadow_hosts,
            pending_links,
            is_done,
        }
    }

    /// The next slice in a task of its own.
    pub fn schedule_next(&mut self, signals: &Signals) {
        self.next_slice = Some(later(signals, 0, Signal::SnapshotSlice));
    }

    /// A promise resolved once this snapshot is finished.
    pub fn when_finished(&mut self) -> js_sys::Promise {
        let mut waiters = Vec::new();
        let promise = js_sys::Promise::new(&mut |resolve, _reject| waiters.push(resolve));
        self.waiters.extend(waiters);
        promise
    }

    /// Ends the job once the walk is done.
    pub fn finish(mut self) -> Finished {
        let tail = FullSnapshot::json_tail(self.initial_offset, self.timestamp);
        let emit_json = self.emit_json.take().map(|mut whole| {
            whole.push_str(&tail);
            whole
        });
        Finished {
            tail,
            emit_json,
            visited: self.walk.take_visited(),
            iframes: self.walk.take_iframes(),
            node_count: self.walk.node_count(),
            truncated_elements: self.walk.truncated_elements(),
            slices: self.slices,
            waiters: self.waiters,
            document: self.document,
            timestamp: self.timestamp,
        }
    }
}

/// Resolves the promises waiting for a snapshot.
pub fn resolve_waiters(waiters: Vec<js_sys::Function>) {
    for resolve in waiters {
        let _ = resolve.call0(&JsValue::UNDEFINED);
    }
}
