//! The walk over a whole tree: [`SnapshotWalk`], which can stop and
//! resume between slices, and the serializer state it keeps in between.

use super::node::{close_node, Written};
use super::{Placement, VisitedIds, MAX_TREE_DEPTH};
use crate::core::dom::DomTree;
use crate::core::event::NodeId;
use crate::core::mirror::{IdStore, Mirror, NodeFlags};
use crate::core::privacy::PrivacyRules;

/// A serialization of a whole tree that can stop and resume, so a large
/// document is recorded in slices that each leave the page a turn.
///
/// Between slices the page may change the DOM. The walk copies an
/// element's child list when it writes the element, so it keeps a
/// consistent order; once told of structural changes
/// ([`SnapshotWalk::mark_disturbed`]) it also skips every child that has
/// since left that parent, and every node it already wrote elsewhere. The
/// result is the tree as each part was when written; the mutation records
/// of the walk's time, run through [`crate::core::mutation::MutationBuffer`]
/// with [`SnapshotWalk::visited`], bring it to the present.
pub struct SnapshotWalk<N> {
    pub(super) state: WalkState<N>,
    open: Vec<OpenNode<N>>,
    disturbed: bool,
}

impl<N: Clone> SnapshotWalk<N> {
    /// Writes the root (and gives it its id); `None` when rrweb cannot
    /// represent it.
    pub fn begin<D, S>(
        dom: &D,
        mirror: &mut Mirror<S>,
        privacy: &PrivacyRules,
        root: &N,
        placement: Placement,
    ) -> Option<Self>
    where
        D: DomTree<Node = N>,
        S: IdStore<Node = N>,
    {
        let mut serializer = TreeSerializer::new(dom, mirror, privacy);
        let written = serializer.write_node(root, placement.context, placement.in_shadow)?;
        let root_id = serializer.state.last_id;
        serializer.mirror.set_parent(root_id, placement.parent_id);
        let mut open = Vec::new();
        if let Written::Open(child_context, has_shadow) = written {
            open.push(OpenNode {
                id: root_id,
                in_shadow: placement.in_shadow,
                remaining_children: serializer.children_of(root, has_shadow),
                child_context,
                has_written_child: false,
            });
        }
        Some(SnapshotWalk {
            state: serializer.state,
            open,
            disturbed: false,
        })
    }

    /// Writes nodes until the tree is done (true) or `should_yield` says
    /// to stop (false). It is asked before every node, so it should be
    /// cheap (a counter, and a clock read now and then).
    pub fn advance<D, S>(
        &mut self,
        dom: &D,
        mirror: &mut Mirror<S>,
        privacy: &PrivacyRules,
        should_yield: &mut dyn FnMut() -> bool,
    ) -> bool
    where
        D: DomTree<Node = N>,
        S: IdStore<Node = N>,
    {
        let mut serializer = TreeSerializer {
            dom,
            mirror,
            privacy,
            state: std::mem::take(&mut self.state),
        };
        let finished = serializer.walk(&mut self.open, self.disturbed, should_yield);
        self.state = serializer.state;
        finished
    }

    /// The page changed the DOM's structure since the walk began: from now
    /// on every child is checked before it is written.
    pub fn mark_disturbed(&mut self) {
        self.disturbed = true;
    }

    /// The JSON written since the last call.
    pub fn take_json(&mut self) -> String {
        std::mem::take(&mut self.state.out)
    }

    /// Shadow hosts and not yet loaded stylesheet links met since the last
    /// call: their changes must be watched from now on.
    pub fn take_watch_list(&mut self) -> (Vec<N>, Vec<N>) {
        (
            std::mem::take(&mut self.state.shadow_hosts),
            std::mem::take(&mut self.state.pending_links),
        )
    }

    /// The `<iframe>` elements met; their documents are recorded after.
    pub fn take_iframes(&mut self) -> Vec<N> {
        std::mem::take(&mut self.state.iframes)
    }

    pub fn node_count(&self) -> u32 {
        self.state.node_count
    }

    pub fn truncated_elements(&self) -> usize {
        self.state.truncated_elements
    }

    /// The ids this walk wrote, taken out of it (a copy would cost wasm).
    pub fn take_visited(&mut self) -> VisitedIds {
        std::mem::take(&mut self.state.visited)
    }
}

/// A document or element whose children are still being written; each
/// child comes with whether it is in the shadow root.
struct OpenNode<N> {
    id: NodeId,
    in_shadow: bool,
    remaining_children: std::vec::IntoIter<(N, bool)>,
    child_context: NodeFlags,
    has_written_child: bool,
}

/// What a serializer owns, kept between the slices of a [`SnapshotWalk`].
pub(super) struct WalkState<N> {
    pub(super) out: String,
    /// The id `write_node` gave the node it wrote last.
    pub(super) last_id: NodeId,
    pub(super) node_count: u32,
    pub(super) truncated_elements: usize,
    pub(super) iframes: Vec<N>,
    pub(super) shadow_hosts: Vec<N>,
    pub(super) pending_links: Vec<N>,
    pub(super) visited: VisitedIds,
}

impl<N> Default for WalkState<N> {
    fn default() -> Self {
        WalkState {
            out: String::new(),
            last_id: 0,
            node_count: 0,
            truncated_elements: 0,
            iframes: Vec::new(),
            shadow_hosts: Vec::new(),
            pending_links: Vec::new(),
            visited: VisitedIds::default(),
        }
    }
}

pub(super) struct TreeSerializer<'a, D: DomTree, S> {
    pub(super) dom: &'a D,
    pub(super) mirror: &'a mut Mirror<S>,
    pub(super) privacy: &'a PrivacyRules,
    pub(super) state: WalkState<D::Node>,
}

impl<'a, D, S> TreeSerializer<'a, D, S>
where
    D: DomTree,
    S: IdStore<Node = D::Node>,
{
    pub(super) fn new(dom: &'a D, mirror: &'a mut Mirror<S>, privacy: &'a PrivacyRules) -> Self {
        TreeSerializer {
            state: WalkState::default(),
            dom,
            mirror,
            privacy,
        }
    }

    // JSON is written as the DOM is walked, with an explicit stack: no node
    // tree is built, and neither the walk nor the writing recurses, so the
    // depth of the page never threatens the JS engine's stack.
    fn walk(
        &mut self,
        open: &mut Vec<OpenNode<D::Node>>,
        disturbed: bool,
        should_yield: &mut dyn FnMut() -> bool,
    ) -> bool {
        loop {
            if should_yield() {
                return open.is_empty();
            }
            let depth = open.len();
            let Some(top) = open.last_mut() else { break };
            let Some((child, in_shadow)) = top.remaining_children.next() else {
                self.state.out.push(']');
                close_node(&mut self.state.out, top.id, top.in_shadow);
                open.pop();
                continue;
            };
            let context = top.child_context;
            let parent_id = top.id;
            if disturbed && !self.still_in_place(&child, parent_id, in_shadow) {
                continue;
            }
            let rollback = self.state.out.len();
            if top.has_written_child {
                self.state.out.push(',');
            }
            let written = self.write_node(&child, context, in_shadow);
            if written.is_some() {
                self.mirror.set_parent(self.state.last_id, Some(parent_id));
            }
            match written {
                // Not representable in rrweb: take back the comma.
                None => self.state.out.truncate(rollback),
                Some(Written::Leaf) => top.has_written_child = true,
                Some(Written::Open(..)) if depth >= MAX_TREE_DEPTH => {
                    top.has_written_child = true;
                    self.state.truncated_elements += 1;
                    self.state.out.push(']');
                    close_node(&mut self.state.out, self.state.last_id, in_shadow);
                }
                Some(Written::Open(child_context, has_shadow)) => {
                    top.has_written_child = true;
                    let remaining_children = self.children_of(&child, has_shadow);
                    open.push(OpenNode {
                        id: self.state.last_id,
                        in_shadow,
                        remaining_children,
                        child_context,
                        has_written_child: false,
                    });
                }
            }
        }
        true
    }

    /// Whether a child listed when its parent was written is still that
    /// parent's child and not yet written elsewhere by this walk.
    fn still_in_place(&self, child: &D::Node, parent_id: NodeId, in_shadow: bool) -> bool {
        let parent_now = self.dom.parent(child).is_some_and(|parent| {
            parent.in_shadow == in_shadow && self.mirror.id_of(&parent.node) == Some(parent_id)
        });
        let written_elsewhere = self
            .mirror
            .id_of(child)
            .is_some_and(|id| self.state.visited.contains(id));
        parent_now && !written_elsewhere
    }

    /// Light children, then the open shadow root's children (as rrweb
    /// lists them), flagged as such.
    pub(super) fn children_of(
        &self,
        node: &D::Node,
        has_shadow: bool,
    ) -> std::vec::IntoIter<(D::Node, bool)> {
        // (Loops, not map/collect: less wasm.)
        let mut children: Vec<(D::Node, bool)> = Vec::new();
        for child in self.dom.child_nodes(node) {
            children.push((child, false));
        }
        if has_shadow {
            for child in self.dom.shadow_children(node) {
                children.push((child, true));
            }
        }
        children.into_iter()
    }
}
