//! The node-id mirror: which id each recorded node has.
//!
//! Ids are assigned by the core, in serialization order, from 1. Where the id
//! of a node is kept is the adapter's choice ([`IdStore`]): the web layer keeps
//! it in a per-recording `WeakMap` so removed nodes are freed by the browser
//! and a new recording starts from a clean slate.

use super::IdMap;

use super::event::NodeId;

/// Storage of node -> id for one recording.
pub trait IdStore {
    type Node;
    fn get(&self, node: &Self::Node) -> Option<NodeId>;
    fn set(&mut self, node: &Self::Node, id: NodeId);
    /// The id `node` has, or `fresh`, which it has from then on. (A store
    /// that reads across JS does both in one call: a snapshot asks this of
    /// every node.)
    fn get_or_set(&mut self, node: &Self::Node, fresh: NodeId) -> NodeId {
        match self.get(node) {
            Some(id) => id,
            None => {
                self.set(node, fresh);
                fresh
            }
        }
    }
}

/// Assigns and looks up node ids for one recording.
#[derive(Debug)]
pub struct Mirror<S> {
    store: S,
    next_id: NodeId,
    /// What the mirror knows of each node the replay has: where the replay
    /// last placed it, and the flags its later mutations need. A removed
    /// node's entry goes with its remove (`forget`), the entries below it at
    /// the next sweep (`sweep_if_grown`), so this follows the live tree, not
    /// every node ever recorded: ids are never reused, and a list indexed by
    /// id grew by 4 bytes of wasm memory per node a long-open page ever added.
    known: IdMap<NodeId, Known>,
    has_shadow_hosts: bool,
    /// How many entries the last sweep kept.
    swept_size: usize,
}

/// A node the replay has.
#[derive(Debug, Clone, Copy)]
struct Known {
    /// Its parent as the replay last placed it; 0: at the top.
    parent: NodeId,
    flags: NodeFlags,
}

/// Below this many entries the mirror never sweeps: small pages pay nothing.
const SWEEP_MIN_SIZE: usize = 4096;

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
    /// A sweep's marks (see `Mirror::sweep_if_grown`), cleared before it
    /// returns: the node's verdict is known, and it is kept.
    const SWEPT: NodeFlags = NodeFlags(1 << 14);
    const KEPT: NodeFlags = NodeFlags(1 << 15);

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
            known: IdMap::default(),
            has_shadow_hosts: false,
            swept_size: 0,
        }
    }

    /// The id `node` already has, or a fresh one. Ids are never taken back:
    /// a node removed and inserted again keeps its id, so every event that
    /// names it means the same node.
    pub fn id_or_assign(&mut self, node: &S::Node) -> NodeId {
        let fresh = self.next_id;
        let id = self.store.get_or_set(node, fresh);
        // (Every id the store holds is below `next_id`.)
        if id == fresh {
            self.next_id += 1;
        }
        id
    }

    pub fn flags(&self, id: NodeId) -> NodeFlags {
        self.known
            .get(&id)
            .map_or(NodeFlags::NONE, |known| known.flags)
    }

    /// Records where the replay puts `id`: under `parent` (or at the top).
    pub fn set_parent(&mut self, id: NodeId, parent: Option<NodeId>) {
        self.known
            .get_or_insert(
                id,
                Known {
                    parent: 0,
                    flags: NodeFlags::NONE,
                },
            )
            .parent = parent.unwrap_or(0);
    }

    /// The parent the replay has `id` under, as of the last event written.
    pub fn replay_parent(&self, id: NodeId) -> Option<NodeId> {
        self.known
            .get(&id)
            .map(|known| known.parent)
            .filter(|&parent| parent != 0)
    }

    /// The replay no longer has `id` (its remove was written): what the
    /// mirror knew of it goes. The nodes below it go at the next sweep; a
    /// node added again is placed and flagged again as it is written.
    pub fn forget(&mut self, id: NodeId) {
        self.known.remove(&id);
    }

    /// Once the entries have doubled since the last sweep, drops those whose
    /// chain of parents no longer reaches the top (a forgotten node is above
    /// them). Each sweep is linear in the entries (a verdict is marked on
    /// every node of a chain, so no chain is walked twice) and comes after
    /// as many inserts, so its cost is amortized.
    pub fn sweep_if_grown(&mut self) {
        if self.known.len() < (2 * self.swept_size).max(SWEEP_MIN_SIZE) {
            return;
        }
        let mut ids: Vec<NodeId> = Vec::with_capacity(self.known.len());
        ids.extend(self.known.keys());
        let mut chain = Vec::new();
        for start in ids {
            let mut current = start;
            let is_kept = loop {
                let Some(known) = self.known.get(&current) else {
                    break false;
                };
                if known.flags.contains(NodeFlags::SWEPT) {
                    break known.flags.contains(NodeFlags::KEPT);
                }
                chain.push(current);
                // Bounded: a chain longer than the entries would be a cycle.
                if known.parent == 0 || chain.len() > self.known.len() {
                    break known.parent == 0;
                }
                current = known.parent;
            };
            let mark = if is_kept {
                NodeFlags::SWEPT.with(NodeFlags::KEPT)
            } else {
                NodeFlags::SWEPT
            };
            // (A loop and clear(), not drain(): its guard is wasm of its own.)
            for id in &chain {
                if let Some(known) = self.known.get_mut(id) {
                    known.flags = known.flags.with(mark);
                }
            }
            chain.clear();
        }
        self.known.retain(|_, known| {
            let is_kept = known.flags.contains(NodeFlags::KEPT);
            known.flags = NodeFlags(known.flags.0 & !(NodeFlags::SWEPT.0 | NodeFlags::KEPT.0));
            is_kept
        });
        self.swept_size = self.known.len();
    }

    /// How many nodes the mirror knows (the replay's live tree, plus at most
    /// as many again between sweeps).
    pub fn known_count(&self) -> usize {
        self.known.len()
    }

    /// How deep the replay has `id`, as of the last event written: the
    /// number of ancestors up to its document.
    pub fn replay_depth(&self, id: NodeId) -> usize {
        let mut depth = 0;
        let mut current = id;
        // Bounded: a chain longer than the ids there are would be a cycle.
        while let Some(&Known { parent, .. }) = self.known.get(&current) {
            if parent == 0 || depth > self.known.len() {
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
        match self.known.get_mut(&id) {
            Some(known) => known.flags = flags,
            // Placed right after: a node is flagged as it is written.
            None if !flags.is_empty() => {
                self.known.insert(id, Known { parent: 0, flags });
            }
            None => {}
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
    fn id_or_assign_keeps_a_node_its_id_and_spends_a_fresh_one_only_on_a_new_node() {
        let mut mirror = Mirror::new(MapStore::default());
        assert_eq!(mirror.id_or_assign(&"html"), 1);
        assert_eq!(mirror.id_or_assign(&"body"), 2);
        assert_eq!(mirror.id_or_assign(&"html"), 1, "a known node keeps its id");
        assert_eq!(mirror.assigned_count(), 2, "no id spent on a known node");
        assert_eq!(mirror.id_or_assign(&"head"), 3);
        mirror.assign(&"body");
        assert_eq!(mirror.id_or_assign(&"body"), 4, "the id assign gave it");
        assert_eq!(mirror.id_or_assign(&"p"), 5);
    }

    #[test]
    fn what_the_mirror_knows_follows_the_live_tree_not_every_node_ever_placed() {
        let mut mirror = Mirror::new(MapStore::default());
        mirror.set_parent(1, None);
        mirror.set_parent(2, Some(1));
        // A page that adds a subtree of three nodes and removes it again,
        // over and over: ids keep counting, the replay keeps two nodes.
        let mut next = 3;
        for _ in 0..10_000 {
            let (root, child, grandchild) = (next, next + 1, next + 2);
            next += 3;
            mirror.set_parent(root, Some(2));
            mirror.set_parent(child, Some(root));
            mirror.set_parent(grandchild, Some(child));
            mirror.set_flags(grandchild, NodeFlags::MASK_TEXT);
            mirror.forget(root);
            mirror.sweep_if_grown();
        }
        assert!(
            mirror.known_count() <= 2 * SWEEP_MIN_SIZE,
            "{} placements kept for a tree of 2 nodes",
            mirror.known_count()
        );
        assert_eq!(mirror.replay_depth(2), 1);
        assert_eq!(mirror.replay_parent(2), Some(1));
    }

    #[test]
    fn a_sweep_keeps_every_node_still_placed() {
        let mut mirror = Mirror::new(MapStore::default());
        mirror.set_parent(1, None);
        // A deep chain and a wide fan, all under the top: nothing goes.
        for id in 2..3000 {
            mirror.set_parent(id, Some(id - 1));
        }
        for id in 3000..6000 {
            mirror.set_parent(id, Some(1));
        }
        mirror.set_flags(5000, NodeFlags::STYLE);
        mirror.sweep_if_grown();
        assert_eq!(mirror.known_count(), 5999);
        assert_eq!(mirror.replay_depth(2999), 2998);
        assert!(mirror.flags(5000).contains(NodeFlags::STYLE));
        // The chain cut in the middle: what hung below the cut goes.
        mirror.forget(1500);
        for id in 6000..12_000 {
            mirror.set_parent(id, Some(1));
        }
        mirror.sweep_if_grown();
        assert_eq!(mirror.replay_parent(1499), Some(1498));
        assert_eq!(mirror.replay_parent(1501), None);
        assert_eq!(mirror.known_count(), 5999 - 1500 + 6000);
    }

    #[test]
    fn reassigning_a_node_gives_it_a_new_id() {
        let mut mirror = Mirror::new(MapStore::default());
        mirror.assign(&"div");
        assert_eq!(mirror.assign(&"div"), 2);
        assert_eq!(mirror.id_of(&"div"), Some(2));
    }
}
