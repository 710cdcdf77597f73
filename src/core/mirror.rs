//! The node-id mirror: which id each recorded node has.
//!
//! Ids are assigned by the core, in serialization order, from 1. Where the id
//! of a node is kept is the adapter's choice ([`IdStore`]): the web layer keeps
//! it in a per-recording `WeakMap` so removed nodes are freed by the browser
//! and a new recording starts from a clean slate.

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
}

impl<S: IdStore> Mirror<S> {
    /// A mirror with no node known yet; the first id it assigns is 1.
    pub fn new(store: S) -> Self {
        Mirror { store, next_id: 1 }
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
