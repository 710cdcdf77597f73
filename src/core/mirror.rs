//! The node-id mirror: which id each recorded node has.
//!
//! Ids are assigned by the core, in serialization order, from 1. Where the id
//! of a node is kept is the adapter's choice ([`IdStore`]): the web layer keeps
//! it in a per-recording `WeakMap` so removed nodes are freed by the browser
//! and a new recording starts from a clean slate.

use std::collections::HashMap;

use super::event::NodeId;

/// Storage of node -> id for one recording.
pub trait IdStore {
    type Node;
    fn get(&self, node: &Self::Node) -> Option<NodeId>;
    fn set(&mut self, node: &Self::Node, id: NodeId);
}

/// Assigns and looks up node ids for one recording.
#[derive(Debug)]
pub struct Mirror<S> {
    store: S,
    next_id: NodeId,
    /// What later mutations of a node need to know about where it was
    /// recorded; only nodes with some flag set are kept.
    flags: HashMap<NodeId, NodeFlags>,
    has_shadow_hosts: bool,
    /// Each id's parent as the replay last placed it (index = id, 0 = none):
    /// dense, since ids count from 1.
    parents: Vec<NodeId>,
}

/// Facts about a recorded node that decide how its later changes are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeFlags(u16);

impl NodeFlags {
    /// A blocked element: recorded as a placeholder, nothing below it read.
    pub const BLOCKED: NodeFlags = NodeFlags(1);
    /// Text at or below this node is masked.
    pub const MASK_TEXT: NodeFlags = NodeFlags(2);
    /// A form field whose input is not recorded.
    pub const IGNORED: NodeFlags = NodeFlags(4);
    /// Inside `<script>`.
    pub const SCRIPT: NodeFlags = NodeFlags(8);
    /// A `<style>` or inside one.
    pub const STYLE: NodeFlags = NodeFlags(16);
    /// A `<textarea>` or its text.
    pub const TEXTAREA: NodeFlags = NodeFlags(32);
    /// A `<select>`/`<optgroup>` or an option of one.
    pub const SELECT: NodeFlags = NodeFlags(64);
    /// The field (or the field the node belongs to) is masked.
    pub const FIELD_MASKED: NodeFlags = NodeFlags(128);
    /// A `<style>` whose parsed rules were recorded as `_cssText`.
    pub const CSS_CAPTURED: NodeFlags = NodeFlags(256);
    /// An element with an open shadow root.
    pub const SHADOW_HOST: NodeFlags = NodeFlags(512);

    pub const NONE: NodeFlags = NodeFlags(0);

    pub fn contains(self, other: NodeFlags) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    pub fn with(self, other: NodeFlags) -> NodeFlags {
        NodeFlags(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl<S: IdStore> Mirror<S> {
    /// A mirror with no node known yet; the first id it assigns is 1.
    pub fn new(store: S) -> Self {
        Mirror {
            store,
            next_id: 1,
            flags: HashMap::new(),
            has_shadow_hosts: false,
            parents: Vec::new(),
        }
    }

    /// The id `node` already has, or a fresh one. Ids are never taken back:
    /// a node removed and inserted again keeps its id, so every event that
    /// names it means the same node.
    pub fn id_or_assign(&mut self, node: &S::Node) -> NodeId {
        match self.store.get(node) {
            Some(id) => id,
            None => self.assign(node),
        }
    }

    pub fn flags(&self, id: NodeId) -> NodeFlags {
        self.flags.get(&id).copied().unwrap_or_default()
    }

    /// Records where the replay puts `id`: under `parent` (or at the top).
    pub fn set_parent(&mut self, id: NodeId, parent: Option<NodeId>) {
        let index = id as usize;
        if self.parents.len() <= index {
            self.parents.resize(index + 1, 0);
        }
        self.parents[index] = parent.unwrap_or(0);
    }

    /// The parent the replay has `id` under, as of the last event written.
    pub fn replay_parent(&self, id: NodeId) -> Option<NodeId> {
        self.parents
            .get(id as usize)
            .copied()
            .filter(|&parent| parent != 0)
    }

    /// How deep the replay has `id`, as of the last event written: the
    /// number of ancestors up to its document.
    pub fn replay_depth(&self, id: NodeId) -> usize {
        let mut depth = 0;
        let mut current = id;
        // Bounded: a chain longer than the ids there are would be a cycle.
        while let Some(&parent) = self.parents.get(current as usize) {
            if parent == 0 || depth > self.parents.len() {
                break;
            }
            depth += 1;
            current = parent;
        }
        depth
    }

    /// Whether any recorded element had an open shadow root.
    pub fn has_shadow_hosts(&self) -> bool {
        self.has_shadow_hosts
    }

    pub fn set_flags(&mut self, id: NodeId, flags: NodeFlags) {
        self.has_shadow_hosts |= flags.contains(NodeFlags::SHADOW_HOST);
        if flags.is_empty() {
            self.flags.remove(&id);
        } else {
            self.flags.insert(id, flags);
        }
    }

    /// Where the ids are kept.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The id of `node`, if it has been recorded.
    pub fn id_of(&self, node: &S::Node) -> Option<NodeId> {
        self.store.get(node)
    }

    /// Gives `node` a fresh id, replacing any it had.
    pub fn assign(&mut self, node: &S::Node) -> NodeId {
        let id = self.next_id;
        self.next_id += 1;
        self.store.set(node, id);
        id
    }

    /// How many ids have been handed out.
    pub fn assigned_count(&self) -> u32 {
        self.next_id - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[derive(Default)]
    struct MapStore(HashMap<&'static str, NodeId>);

    impl IdStore for MapStore {
        type Node = &'static str;
        fn get(&self, node: &Self::Node) -> Option<NodeId> {
            self.0.get(node).copied()
        }
        fn set(&mut self, node: &Self::Node, id: NodeId) {
            self.0.insert(node, id);
        }
    }

    #[test]
    fn ids_start_at_one_and_are_unique() {
        let mut mirror = Mirror::new(MapStore::default());
        assert_eq!(mirror.assign(&"html"), 1);
        assert_eq!(mirror.assign(&"body"), 2);
        assert_eq!(mirror.id_of(&"html"), Some(1));
        assert_eq!(mirror.id_of(&"head"), None);
        assert_eq!(mirror.assigned_count(), 2);
    }

    #[test]
    fn reassigning_a_node_gives_it_a_new_id() {
        let mut mirror = Mirror::new(MapStore::default());
        mirror.assign(&"div");
        assert_eq!(mirror.assign(&"div"), 2);
        assert_eq!(mirror.id_of(&"div"), Some(2));
    }
}
