//! The snapshot serializer: a DOM tree into rrweb's serialized nodes.
//!
//! It walks the tree in document order, gives every recorded node the next id
//! from the [`Mirror`] (parents before children, as rrweb does) and applies the
//! [`PrivacyRules`] to each value as it is read, so nothing unmasked is ever
//! held in the output.
//!
//! This file owns the shared types and the whole-tree entry point; the
//! walk itself is in `walk`, the per-node JSON in `node`, the element and
//! text rules (attributes, privacy contexts) in `element`, and the flat
//! serialization for mutation adds in `flat`.

use super::dom::DomTree;
use super::event::{NodeId, NodeJson};
use super::mirror::{IdStore, Mirror, NodeFlags};
use super::privacy::PrivacyRules;

mod element;
mod flat;
mod node;
mod walk;

pub use element::{is_event_handler_attribute, text_in_context};
pub use flat::{serialize_flat, FlatNode, FlatTree};
pub use walk::SnapshotWalk;

/// How deep below the root the serializer descends. Deeper nodes are left out
/// (their element is kept, empty) because rrweb's Replayer rebuilds the tree
/// recursively and the browser's JS stack ends not far beyond this; the
/// recorder itself has no depth limit. The HTML parser stops nesting at 512,
/// so only script-built pages come near.
pub const MAX_TREE_DEPTH: usize = 1_000;

/// The result of serializing a tree.
#[derive(Debug, Clone, PartialEq)]
pub struct SerializedTree<N> {
    /// The root and everything below it as rrweb JSON.
    pub node: NodeJson,
    /// How many nodes were written.
    pub node_count: u32,
    /// Elements at [`MAX_TREE_DEPTH`] whose children were left out.
    pub truncated_elements: usize,
    /// `<iframe>` elements met: their documents are recorded separately.
    pub iframes: Vec<N>,
    /// Elements with an open shadow root, whose changes must be observed.
    pub shadow_hosts: Vec<N>,
    /// `<link rel=stylesheet>` elements whose sheet had not loaded yet.
    pub pending_links: Vec<N>,
}

/// Where a subtree goes: the flags its parent passes to its children (see
/// [`Mirror::flags`]) and whether it sits in the parent's shadow root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Placement {
    pub context: NodeFlags,
    pub in_shadow: bool,
    /// The id of the parent the subtree goes under (none for a document).
    pub parent_id: Option<NodeId>,
}

/// Serializes `root` and everything below it. Nodes recorded before keep
/// their ids, new ones get the next ids (parents before children).
///
/// Returns `None` when `root` itself is of a kind rrweb cannot represent.
pub fn serialize_tree<D, S>(
    dom: &D,
    mirror: &mut Mirror<S>,
    privacy: &PrivacyRules,
    root: &D::Node,
    placement: Placement,
) -> Option<SerializedTree<D::Node>>
where
    D: DomTree,
    S: IdStore<Node = D::Node>,
{
    let mut walk = SnapshotWalk::begin(dom, mirror, privacy, root, placement)?;
    walk.advance(dom, mirror, privacy, &mut || false);
    let state = walk.state;
    Some(SerializedTree {
        node: NodeJson(state.out),
        node_count: state.node_count,
        truncated_elements: state.truncated_elements,
        iframes: state.iframes,
        shadow_hosts: state.shadow_hosts,
        pending_links: state.pending_links,
    })
}

/// The ids one walk wrote, as bit sets (ids are dense from 1), with which
/// of them it wrote into a shadow root. Words of `usize`, whose vectors
/// the wasm already has code for (32 bits there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitedIds {
    written: Vec<usize>,
    in_shadow: Vec<usize>,
}

const WORD_BITS: u32 = usize::BITS;

impl VisitedIds {
    pub fn insert(&mut self, id: NodeId, in_shadow: bool) {
        set_bit(&mut self.written, id);
        if in_shadow {
            set_bit(&mut self.in_shadow, id);
        }
    }

    pub fn contains(&self, id: NodeId) -> bool {
        has_bit(&self.written, id)
    }

    /// Whether the walk wrote `id` as a child of a shadow root.
    pub fn in_shadow(&self, id: NodeId) -> bool {
        has_bit(&self.in_shadow, id)
    }
}

fn set_bit(bits: &mut Vec<usize>, id: NodeId) {
    let (word, bit) = ((id / WORD_BITS) as usize, id % WORD_BITS);
    if bits.len() <= word {
        bits.resize(word + 1, 0);
    }
    bits[word] |= 1 << bit;
}

fn has_bit(bits: &[usize], id: NodeId) -> bool {
    let (word, bit) = ((id / WORD_BITS) as usize, id % WORD_BITS);
    bits.get(word).is_some_and(|bits| bits & (1 << bit) != 0)
}

#[cfg(test)]
mod tests;
