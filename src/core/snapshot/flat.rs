//! Flat serialization: a subtree as single nodes, one add each, for the
//! mutation buffer.

use super::node::{close_node, Written};
use super::walk::TreeSerializer;
use super::{Placement, MAX_TREE_DEPTH};
use crate::core::dom::DomTree;
use crate::core::event::NodeId;
use crate::core::mirror::{IdStore, Mirror, NodeFlags};
use crate::core::privacy::PrivacyRules;

/// One node of a subtree serialized flat: its JSON with `"childNodes":[]`
/// and the index of its parent in the list (`None` for the subtree root).
#[derive(Debug, Clone, PartialEq)]
pub struct FlatNode {
    pub id: NodeId,
    pub parent: Option<usize>,
    /// In its parent's shadow root: a sibling list of its own.
    pub in_shadow: bool,
    pub json: String,
}

/// A subtree as a list of single nodes in document order, for mutation
/// adds: rrweb's Replayer builds an added node without its children, so
/// each node of an added subtree is an add of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatTree<N> {
    pub nodes: Vec<FlatNode>,
    pub iframes: Vec<N>,
    pub shadow_hosts: Vec<N>,
    pub pending_links: Vec<N>,
}

/// Serializes `root` and everything below it as single nodes, assigning ids
/// like [`serialize_tree`](super::serialize_tree).
pub fn serialize_flat<D, S>(
    dom: &D,
    mirror: &mut Mirror<S>,
    privacy: &PrivacyRules,
    root: &D::Node,
    placement: Placement,
) -> Option<FlatTree<D::Node>>
where
    D: DomTree,
    S: IdStore<Node = D::Node>,
{
    let mut serializer = TreeSerializer::new(dom, mirror, privacy);
    let nodes = serializer.serialize_flat(root, placement)?;
    Some(FlatTree {
        nodes,
        iframes: serializer.state.iframes,
        shadow_hosts: serializer.state.shadow_hosts,
        pending_links: serializer.state.pending_links,
    })
}

/// While serializing flat: an element's children left to write (each with
/// whether it is in the shadow root), their flags, the element's index.
type OpenFlat<N> = (std::vec::IntoIter<(N, bool)>, NodeFlags, usize);

impl<D, S> TreeSerializer<'_, D, S>
where
    D: DomTree,
    S: IdStore<Node = D::Node>,
{
    fn serialize_flat(&mut self, root: &D::Node, placement: Placement) -> Option<Vec<FlatNode>> {
        let mut nodes = Vec::new();
        let written = self.write_node(root, placement.context, placement.in_shadow)?;
        // Each entry: children left to write, their flags, the parent's index.
        let mut open: Vec<OpenFlat<D::Node>> = Vec::new();
        self.finish_flat(
            &mut nodes,
            root,
            written,
            None,
            placement.in_shadow,
            &mut open,
        );
        self.mirror
            .set_parent(self.state.last_id, placement.parent_id);
        while let Some((children, context, parent)) = open.last_mut() {
            let Some((child, in_shadow)) = children.next() else {
                open.pop();
                continue;
            };
            let (context, parent) = (*context, *parent);
            let Some(written) = self.write_node(&child, context, in_shadow) else {
                continue;
            };
            if open.len() >= MAX_TREE_DEPTH {
                if let Written::Open(..) = written {
                    self.state.truncated_elements += 1;
                }
                self.finish_flat(
                    &mut nodes,
                    &child,
                    Written::Leaf,
                    Some(parent),
                    in_shadow,
                    &mut Vec::new(),
                );
                continue;
            }
            self.finish_flat(
                &mut nodes,
                &child,
                written,
                Some(parent),
                in_shadow,
                &mut open,
            );
        }
        Some(nodes)
    }

    /// Closes the node just written as a childless node and queues its
    /// children.
    fn finish_flat(
        &mut self,
        nodes: &mut Vec<FlatNode>,
        node: &D::Node,
        written: Written,
        parent: Option<usize>,
        in_shadow: bool,
        open: &mut Vec<OpenFlat<D::Node>>,
    ) {
        let mut json = std::mem::take(&mut self.state.out);
        let id = self.state.last_id;
        if json.ends_with("\"childNodes\":[") {
            json.push(']');
            close_node(&mut json, id, in_shadow);
        }
        if let Some(index) = parent {
            self.mirror.set_parent(id, Some(nodes[index].id));
        }
        nodes.push(FlatNode {
            id,
            parent,
            in_shadow,
            json,
        });
        if let Written::Open(context, has_shadow) = written {
            open.push((self.children_of(node, has_shadow), context, nodes.len() - 1));
        }
    }
}
