//! The mutation buffer: MutationObserver records in, one rrweb Mutation
//! event (source 0) out.
//!
//! Like rrweb's, it only collects *which* nodes changed while records
//! arrive (sets of added nodes, removes, texts and attributes) and reads
//! their state and assigns ids when it emits: a node added and removed in
//! the same batch is never serialized, a node changed twice is read once,
//! and what is recorded is the DOM as it is now, not as each record saw it.
//!
//! This file owns the records, the buffer and how it takes them in; the
//! emit, which reads the DOM and writes the event, is in `emit`, and the
//! fast paths for batches of only texts or only attributes in `batch`.

use super::{IdMap, IdSet};

use super::dom::DomTree;
use super::event::NodeId;
use super::mirror::{IdStore, Mirror, NodeFlags};
use super::snapshot::VisitedIds;

mod batch;
mod emit;

pub use batch::{
    attribute_batch_json, parse_attribute_batch, parse_record_layout, parse_text_batch,
    text_batch_json, AttributeChange, AttributeKind, RecordShape, TextChange,
};

/// One MutationObserver record, as the web layer hands it over.
#[derive(Debug, Clone, PartialEq)]
pub enum MutationRecord<N> {
    /// Children of `target` changed; `in_shadow` when `target` stands for
    /// the host of the shadow root the record was about.
    ChildList {
        target: N,
        in_shadow: bool,
        added: Vec<N>,
        removed: Vec<N>,
    },
    CharacterData {
        target: N,
    },
    Attribute {
        target: N,
        name: String,
    },
}

/// What one emit produced.
#[derive(Debug, Clone, PartialEq)]
pub struct MutationEmit<N> {
    /// The Mutation event's `data` as JSON (`{"source":0,...}`).
    pub data_json: String,
    /// Nodes serialized by this emit.
    pub node_count: u32,
    /// Added `<iframe>` elements and shadow hosts, to attach and observe.
    pub iframes: Vec<N>,
    pub shadow_hosts: Vec<N>,
    /// Added stylesheet links whose sheet has not loaded yet.
    pub pending_links: Vec<N>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Remove {
    parent_id: NodeId,
    id: NodeId,
    in_shadow: bool,
}

/// Changes gathered since the last emit.
pub struct MutationBuffer<D: DomTree> {
    /// Added nodes in record order; `added_keys` says which still count.
    added: Vec<D::Node>,
    added_keys: IdSet<D::Key>,
    removes: Vec<Remove>,
    /// The node of each entry of `removes`.
    removed_nodes: Vec<D::Node>,
    removed_ids: IdSet<NodeId>,
    texts: Vec<D::Node>,
    text_keys: IdSet<D::Key>,
    attributes: Vec<(D::Node, Vec<String>)>,
    attribute_slots: IdMap<D::Key, usize>,
    /// `<style>` elements whose text changed: re-recorded whole, since the
    /// replay builds a style from its recorded `_cssText`.
    restyled: Vec<D::Node>,
    restyled_keys: IdSet<D::Key>,
    /// Set while the records of a sliced snapshot's time are taken in: the
    /// ids that snapshot wrote (see [`MutationBuffer::begin_after_walk`]).
    after_walk: Option<VisitedIds>,
}

impl<D: DomTree> Default for MutationBuffer<D> {
    fn default() -> Self {
        MutationBuffer {
            added: Vec::new(),
            added_keys: IdSet::default(),
            removes: Vec::new(),
            removed_nodes: Vec::new(),
            removed_ids: IdSet::default(),
            texts: Vec::new(),
            text_keys: IdSet::default(),
            attributes: Vec::new(),
            attribute_slots: IdMap::default(),
            restyled: Vec::new(),
            restyled_keys: IdSet::default(),
            after_walk: None,
        }
    }
}

impl<D: DomTree> MutationBuffer<D> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether an emit would have nothing to do. A buffer taking in a
    /// walk's records is never empty: its emit also ends that mode.
    pub fn is_empty(&self) -> bool {
        self.after_walk.is_none()
            && self.added_keys.is_empty()
            && self.removes.is_empty()
            && self.texts.is_empty()
            && self.attributes.is_empty()
            && self.restyled.is_empty()
    }

    /// The records about to be taken in were made while a sliced snapshot
    /// was written, and `visited` holds the ids it wrote. The snapshot has
    /// each node where the walk found it, so until the next emit: a remove
    /// counts only for a node the walk wrote under that very parent, and an
    /// add of a node the walk wrote and no remove moved since is dropped
    /// (the walk found it where it is now).
    pub fn begin_after_walk(&mut self, visited: VisitedIds) {
        self.after_walk = Some(visited);
    }

    /// Takes in one record. Cheap: it reads no node state.
    pub fn process<S: IdStore<Node = D::Node>>(
        &mut self,
        dom: &D,
        mirror: &Mirror<S>,
        record: MutationRecord<D::Node>,
    ) {
        match record {
            MutationRecord::CharacterData { target } => {
                let is_style_text = mirror
                    .id_of(&target)
                    .is_some_and(|id| mirror.flags(id).contains(NodeFlags::STYLE));
                if is_style_text {
                    if let Some(parent) = dom.parent(&target) {
                        self.restyle(dom, parent.node);
                    }
                    return;
                }
                if self.text_keys.insert(dom.key(&target)) {
                    self.texts.push(target);
                }
            }
            MutationRecord::Attribute { target, name } => {
                let key = dom.key(&target);
                match self.attribute_slots.get(&key) {
                    Some(&slot) => {
                        let names = &mut self.attributes[slot].1;
                        if !names.contains(&name) {
                            names.push(name);
                        }
                    }
                    None => {
                        self.attribute_slots.insert(key, self.attributes.len());
                        self.attributes.push((target, vec![name]));
                    }
                }
            }
            MutationRecord::ChildList {
                target,
                in_shadow,
                added,
                removed,
            } => {
                let target_id = mirror.id_of(&target);
                if !in_shadow
                    && target_id.is_some_and(|id| mirror.flags(id).contains(NodeFlags::STYLE))
                {
                    self.restyle(dom, target.clone());
                }
                for node in removed {
                    let was_added = self.added_keys.remove(&dom.key(&node));
                    let id = mirror.id_of(&node);
                    if let Some(visited) = &self.after_walk {
                        // Whether added before or not, what counts is
                        // whether the snapshot has it under this parent.
                        let in_snapshot_here = id.is_some_and(|id| {
                            visited.contains(id)
                                && visited.in_shadow(id) == in_shadow
                                && mirror.replay_parent(id) == target_id
                        });
                        if !in_snapshot_here {
                            continue;
                        }
                    } else if was_added {
                        // Added earlier in this batch: it never reached the
                        // replay, so there is nothing to remove there.
                        continue;
                    }
                    let (Some(parent_id), Some(id)) = (target_id, id) else {
                        continue;
                    };
                    if self.removed_ids.insert(id) {
                        self.removed_nodes.push(node.clone());
                        self.removes.push(Remove {
                            parent_id,
                            id,
                            in_shadow,
                        });
                    }
                }
                for node in added {
                    if self.added_keys.insert(dom.key(&node)) {
                        self.added.push(node);
                    }
                }
            }
        }
    }

    fn restyle(&mut self, dom: &D, style: D::Node) {
        if self.restyled_keys.insert(dom.key(&style)) {
            self.restyled.push(style);
        }
    }
}

fn separate(out: &mut String, first: &mut bool) {
    if !std::mem::replace(first, false) {
        out.push(',');
    }
}

#[cfg(test)]
mod tests;
