//! DOM mutations: one MutationObserver for every root a recording watches
//! (documents and shadow roots), its records run through the core's
//! `MutationBuffer`, and the common batches (texts only, attributes only)
//! read in one crossing and written at once.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MutationObserver, Node};

use crate::core::mutation::{
    attribute_batch_json, parse_attribute_batch, parse_record_layout, parse_text_batch,
    text_batch_json, AttributeKind, MutationBuffer, MutationEmit, MutationRecord, RecordShape,
};
use crate::core::snapshot::VisitedIds;

use super::super::context::Context;
use super::super::dom::{attribute_batch, observe_root, pack_records, text_batch, LiveDom};
use super::super::guard::{self, Callback};
use super::super::output::Output;
use super::super::signal::{Signal, Signals};

/// A MutationObserver, disconnected on drop.
#[must_use = "the observer is disconnected as soon as this handle is dropped"]
pub struct ObserverHandle(MutationObserver);

impl Drop for ObserverHandle {
    fn drop(&mut self) {
        guard::drop_observer(&self.0);
    }
}

/// What a batch of records asks of the other observers.
#[derive(Default)]
pub struct Followups {
    /// Fields whose `value` attribute changed: frameworks that set a
    /// value through a setter captured before rewind loaded (React's value
    /// tracker) bypass the hook, but they also sync the attribute.
    pub fields: Vec<Node>,
    /// Media elements whose `loop` or `muted` changed.
    pub media: Vec<Node>,
    /// The buffer holds changes to emit now.
    pub should_emit: bool,
}

/// The mutation state of a recording.
pub struct Mutations {
    buffer: MutationBuffer<LiveDom>,
    /// The recording's observer (one for every root: all records in one
    /// queue, in the order they happened, so a node moved between a
    /// shadow root and the document is one batch, not two that disagree).
    observer: Option<ObserverHandle>,
    callback: Callback,
    /// Records delivered while a full snapshot walks the DOM; brought to
    /// it when the walk ends.
    walk_records: Option<Vec<MutationRecord<Node>>>,
    /// A structural record arrived during the walk.
    walk_disturbed: bool,
}

impl Mutations {
    pub fn new(signals: &Signals) -> Self {
        let signals = signals.clone();
        Mutations {
            buffer: MutationBuffer::new(),
            observer: None,
            callback: Callback::new(move |records: JsValue| {
                signals(Signal::Mutations(records.unchecked_into()))
            }),
            walk_records: None,
            walk_disturbed: false,
        }
    }

    /// Observes `root` (a document or shadow root).
    pub fn observe(&mut self, root: &Node) {
        let observer = self.observer.get_or_insert_with(|| {
            ObserverHandle(guard::new_observer(self.callback.as_ref().unchecked_ref()))
        });
        observe_root(&observer.0, root);
    }

    /// Stops observing every root (a full snapshot observes afresh).
    pub fn disconnect(&mut self) {
        self.observer = None;
    }

    /// Records the observer has but did not deliver yet.
    pub fn take_records(&self) -> Option<js_sys::Array> {
        let records = self.observer.as_ref()?.0.take_records();
        (records.length() > 0).then_some(records)
    }

    /// Drops what the observer gathered: a full snapshot is about to
    /// record the DOM as it is, so those records are stale.
    pub fn forget_pending(&mut self) {
        let _ = self.take_records();
        self.buffer = MutationBuffer::new();
    }

    /// A full snapshot's walk begins: records are kept aside until it ends.
    pub fn begin_walk(&mut self) {
        self.walk_records = Some(Vec::new());
        self.walk_disturbed = false;
    }

    /// Whether a structural record arrived since the last call during the
    /// walk: the walk must then check each child.
    pub fn take_walk_disturbed(&mut self) -> bool {
        std::mem::take(&mut self.walk_disturbed)
    }

    /// The walk ended, having visited `visited`: what the page changed
    /// meanwhile goes to the buffer, to be emitted as one Mutation event
    /// at the snapshot's time.
    pub fn end_walk(&mut self, ctx: &Context, visited: VisitedIds) {
        let mut buffer = MutationBuffer::new();
        buffer.begin_after_walk(visited);
        for record in self.walk_records.take().unwrap_or_default() {
            buffer.process(&ctx.dom, &ctx.mirror, record);
        }
        self.buffer = buffer;
        self.walk_disturbed = false;
    }

    /// Takes in a batch of observer records.
    pub fn on_records(
        &mut self,
        ctx: &Context,
        out: &mut Output,
        records: &js_sys::Array,
    ) -> Followups {
        let mut followups = Followups::default();
        if self.walk_records.is_none()
            && self.buffer.is_empty()
            && (record_text_batch(ctx, out, records) || record_attribute_batch(ctx, out, records))
        {
            return followups;
        }
        let converted = convert(records, &mut followups).unwrap_or_default();
        if let Some(kept) = &mut self.walk_records {
            if converted
                .iter()
                .any(|record| matches!(record, MutationRecord::ChildList { .. }))
            {
                self.walk_disturbed = true;
            }
            kept.extend(converted);
        } else {
            for record in converted {
                self.buffer.process(&ctx.dom, &ctx.mirror, record);
            }
            followups.should_emit = true;
        }
        followups
    }

    /// Writes what the buffer gathered as one Mutation event at
    /// `timestamp`; what the event added that needs watching.
    pub fn emit(
        &mut self,
        ctx: &mut Context,
        out: &mut Output,
        timestamp: f64,
    ) -> Option<MutationEmit<Node>> {
        if self.buffer.is_empty() {
            return None;
        }
        let (dom, mirror) = (&ctx.dom, &mut ctx.mirror);
        let mut emitted =
            dom.reading_added_nodes(|| self.buffer.emit(dom, mirror, &ctx.options.privacy))?;
        out.record_incremental_json(std::mem::take(&mut emitted.data_json), timestamp);
        Some(emitted)
    }
}

/// A batch of observer records as the core's, read in one crossing
/// (`packRecords`: the layout, then every node and name in record order);
/// fields and media whose state changed with them noted in `followups`.
/// `None` only if the packing and its parser disagree.
fn convert(
    records: &js_sys::Array,
    followups: &mut Followups,
) -> Option<Vec<MutationRecord<Node>>> {
    let mut values = pack_records(records).into_iter();
    let shapes = parse_record_layout(&values.next()?.as_string()?)?;
    let mut converted = Vec::with_capacity(shapes.len());
    for shape in shapes {
        let target = next_node(&mut values)?;
        converted.push(match shape {
            RecordShape::ChildList {
                in_shadow,
                added,
                removed,
            } => MutationRecord::ChildList {
                target,
                in_shadow,
                added: next_nodes(&mut values, added)?,
                removed: next_nodes(&mut values, removed)?,
            },
            RecordShape::CharacterData => MutationRecord::CharacterData { target },
            RecordShape::Attribute(kind) => {
                let name = values.next()?.as_string()?;
                match kind {
                    AttributeKind::Media => followups.media.push(target.clone()),
                    AttributeKind::Value => followups.fields.push(target.clone()),
                    AttributeKind::Plain => {}
                }
                MutationRecord::Attribute { target, name }
            }
        });
    }
    Some(converted)
}

fn next_node(values: &mut impl Iterator<Item = JsValue>) -> Option<Node> {
    Some(values.next()?.unchecked_into())
}

fn next_nodes(values: &mut impl Iterator<Item = JsValue>, count: usize) -> Option<Vec<Node>> {
    // (A loop, not an iterator chain: less wasm.)
    let mut nodes = Vec::with_capacity(count);
    for _ in 0..count {
        nodes.push(next_node(values)?);
    }
    Some(nodes)
}

/// The common case of a page updating texts (prices, counters, timers): a
/// batch of text changes only is read in one crossing and written straight
/// away. False when the batch is not of that kind.
fn record_text_batch(ctx: &Context, out: &mut Output, records: &js_sys::Array) -> bool {
    let Some(packed) = text_batch(records, ctx.mirror.store()) else {
        return false;
    };
    let Some(changes) = parse_text_batch(&packed) else {
        return false;
    };
    if changes.is_empty() {
        // Only detached or unrecorded nodes changed.
        return true;
    }
    match text_batch_json(&changes, &ctx.mirror, &ctx.options.privacy) {
        Some(json) => {
            out.record_incremental_json(json, super::super::clock::now());
            true
        }
        None => false,
    }
}

/// Likewise for a batch of attribute changes only (classes, styles, data
/// attributes), the other common case.
fn record_attribute_batch(ctx: &Context, out: &mut Output, records: &js_sys::Array) -> bool {
    let Some(packed) = attribute_batch(records, ctx.mirror.store()) else {
        return false;
    };
    let Some(changes) = parse_attribute_batch(&packed) else {
        return false;
    };
    if let Some(json) = attribute_batch_json(&changes, &ctx.mirror) {
        out.record_incremental_json(json, super::super::clock::now());
    }
    true
}
