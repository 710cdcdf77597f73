//! An in-memory DOM for native tests of the core: an arena of nodes that
//! implements [`DomTree`] and an [`IdStore`] keyed by arena index.

use std::collections::HashMap;

use super::dom::{DomTree, ElementView, FormState, Namespace, NodeView};
use super::event::NodeId;
use super::mirror::IdStore;

/// A node handle: its index in the arena.
pub type MemoryNode = usize;

#[derive(Debug, Default)]
pub struct MemoryDom {
    nodes: Vec<(NodeView, Vec<MemoryNode>)>,
}

impl MemoryDom {
    /// A DOM holding only a standards-mode document, which is node 0.
    pub fn with_document() -> (Self, MemoryNode) {
        let mut dom = MemoryDom::default();
        dom.nodes.push((
            NodeView::Document {
                compat_mode: Some("CSS1Compat".into()),
            },
            Vec::new(),
        ));
        (dom, 0)
    }

    /// Appends a node described by `view` as the last child of `parent`.
    pub fn append(&mut self, parent: MemoryNode, view: NodeView) -> MemoryNode {
        let index = self.nodes.len();
        self.nodes.push((view, Vec::new()));
        self.nodes[parent].1.push(index);
        index
    }

    /// Appends an HTML element with the given upper-case-free tag and attributes.
    pub fn element(&mut self, parent: MemoryNode, tag: &str, attributes: &[(&str, &str)]) -> MemoryNode {
        self.append(
            parent,
            NodeView::Element(ElementView {
                tag_name: tag.to_ascii_uppercase(),
                attributes: attributes
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                ..Default::default()
            }),
        )
    }

    /// Appends an SVG element (tag name case kept, as the DOM does).
    pub fn svg_element(&mut self, parent: MemoryNode, tag: &str, attributes: &[(&str, &str)]) -> MemoryNode {
        let node = self.element(parent, tag, attributes);
        let element = self.element_mut(node);
        element.tag_name = tag.to_owned();
        element.namespace = Namespace::Svg;
        node
    }

    pub fn text(&mut self, parent: MemoryNode, text: &str) -> MemoryNode {
        self.append(parent, NodeView::Text(text.to_owned()))
    }

    /// Sets the live form state (what the user typed or picked) of an element.
    pub fn set_form(&mut self, node: MemoryNode, form: FormState) {
        self.element_mut(node).form = Some(form);
    }

    /// Sets the CSS text the browser would report for a style or link element.
    pub fn set_stylesheet(&mut self, node: MemoryNode, css: &str) {
        self.element_mut(node).stylesheet = Some(css.to_owned());
    }

    pub fn element_mut(&mut self, node: MemoryNode) -> &mut ElementView {
        match &mut self.nodes[node].0 {
            NodeView::Element(element) => element,
            other => panic!("node {node} is not an element: {other:?}"),
        }
    }
}

impl DomTree for MemoryDom {
    type Node = MemoryNode;

    fn read(&self, node: &MemoryNode) -> NodeView {
        self.nodes[*node].0.clone()
    }

    fn child_nodes(&self, node: &MemoryNode) -> Vec<MemoryNode> {
        self.nodes[*node].1.clone()
    }
}

/// Node ids of a [`MemoryDom`], keyed by arena index.
#[derive(Debug, Default)]
pub struct MemoryIds(HashMap<MemoryNode, NodeId>);

impl IdStore for MemoryIds {
    type Node = MemoryNode;

    fn get(&self, node: &MemoryNode) -> Option<NodeId> {
        self.0.get(node).copied()
    }

    fn set(&mut self, node: &MemoryNode, id: NodeId) {
        self.0.insert(*node, id);
    }
}
