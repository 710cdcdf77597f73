//! An in-memory DOM for native tests of the core: an arena of nodes that
//! implements [`DomTree`], can be mutated like a page would (reporting the
//! records a MutationObserver would deliver), and an [`IdStore`] keyed by
//! arena index.

use std::collections::HashMap;

use super::dom::{DomTree, ElementView, FormState, Namespace, NodeView, Parent};
use super::event::NodeId;
use super::mirror::IdStore;
use super::mutation::MutationRecord;

/// A node handle: its index in the arena.
pub type MemoryNode = usize;

#[derive(Debug, Clone)]
struct Slot {
    view: NodeView,
    children: Vec<MemoryNode>,
    /// The children of its open shadow root, if it has one.
    shadow: Vec<MemoryNode>,
    parent: Option<MemoryNode>,
    /// In its parent's shadow root rather than among its children.
    in_shadow: bool,
}

#[derive(Debug, Default, Clone)]
pub struct MemoryDom {
    nodes: Vec<Slot>,
    /// Records of the changes made since the last `take_records`.
    records: Vec<MutationRecord<MemoryNode>>,
}

impl MemoryDom {
    /// A DOM holding only a standards-mode document, which is node 0.
    pub fn with_document() -> (Self, MemoryNode) {
        let mut dom = MemoryDom::default();
        dom.nodes.push(Slot {
            view: NodeView::Document {
                compat_mode: Some("CSS1Compat".into()),
            },
            children: Vec::new(),
            shadow: Vec::new(),
            parent: None,
            in_shadow: false,
        });
        (dom, 0)
    }

    /// A node not yet in the tree.
    pub fn create(&mut self, view: NodeView) -> MemoryNode {
        self.nodes.push(Slot {
            view,
            children: Vec::new(),
            shadow: Vec::new(),
            parent: None,
            in_shadow: false,
        });
        self.nodes.len() - 1
    }

    /// Appends a node described by `view` as the last child of `parent`
    /// (building a page: no record).
    pub fn append(&mut self, parent: MemoryNode, view: NodeView) -> MemoryNode {
        let index = self.create(view);
        self.nodes[parent].children.push(index);
        self.nodes[index].parent = Some(parent);
        index
    }

    /// Appends an HTML element with the given upper-case-free tag and attributes.
    pub fn element(
        &mut self,
        parent: MemoryNode,
        tag: &str,
        attributes: &[(&str, &str)],
    ) -> MemoryNode {
        self.append(parent, Self::element_view(tag, attributes))
    }

    pub fn element_view(tag: &str, attributes: &[(&str, &str)]) -> NodeView {
        NodeView::Element(ElementView {
            tag_name: tag.to_ascii_uppercase(),
            attributes: attributes
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        })
    }

    /// Appends an SVG element (tag name case kept, as the DOM does).
    pub fn svg_element(
        &mut self,
        parent: MemoryNode,
        tag: &str,
        attributes: &[(&str, &str)],
    ) -> MemoryNode {
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
        match &mut self.nodes[node].view {
            NodeView::Element(element) => element,
            other => panic!("node {node} is not an element: {other:?}"),
        }
    }

    /// Whether `ancestor` is `node` or one of its ancestors.
    pub fn is_inclusive_ancestor(&self, ancestor: MemoryNode, node: MemoryNode) -> bool {
        let mut current = Some(node);
        while let Some(at) = current {
            if at == ancestor {
                return true;
            }
            current = self.nodes[at].parent;
        }
        false
    }

    // --- Mutations, each reported as a MutationObserver would. ---

    /// `parent.insertBefore(node, before)`; moving a node reports its
    /// removal from the old parent first, as the DOM does.
    pub fn insert_before(
        &mut self,
        parent: MemoryNode,
        node: MemoryNode,
        before: Option<MemoryNode>,
    ) {
        self.insert(parent, false, node, before);
    }

    /// Gives an element an open shadow root (`attachShadow`: no record).
    pub fn attach_shadow(&mut self, host: MemoryNode) {
        self.element_mut(host).has_shadow_root = true;
    }

    pub fn has_shadow_root(&self, host: MemoryNode) -> bool {
        matches!(&self.nodes[host].view, NodeView::Element(element) if element.has_shadow_root)
    }

    /// Inserts into `parent`'s children, or into its shadow root.
    pub fn insert(
        &mut self,
        parent: MemoryNode,
        in_shadow: bool,
        node: MemoryNode,
        before: Option<MemoryNode>,
    ) {
        assert!(
            !self.is_inclusive_ancestor(node, parent),
            "a node cannot go inside itself"
        );
        self.detach(node);
        let list = self.list_mut(parent, in_shadow);
        let position = match before {
            Some(before) => list
                .iter()
                .position(|&child| child == before)
                .expect("`before` is a child of `parent`"),
            None => list.len(),
        };
        list.insert(position, node);
        self.nodes[node].parent = Some(parent);
        self.nodes[node].in_shadow = in_shadow;
        self.records.push(MutationRecord::ChildList {
            target: parent,
            in_shadow,
            added: vec![node],
            removed: vec![],
        });
    }

    fn list_mut(&mut self, parent: MemoryNode, in_shadow: bool) -> &mut Vec<MemoryNode> {
        if in_shadow {
            &mut self.nodes[parent].shadow
        } else {
            &mut self.nodes[parent].children
        }
    }

    /// The list `node` is in, and its parent.
    pub fn siblings(&self, parent: MemoryNode, in_shadow: bool) -> &[MemoryNode] {
        if in_shadow {
            &self.nodes[parent].shadow
        } else {
            &self.nodes[parent].children
        }
    }

    /// `node.remove()`.
    pub fn detach(&mut self, node: MemoryNode) {
        let Some(parent) = self.nodes[node].parent.take() else {
            return;
        };
        let in_shadow = self.nodes[node].in_shadow;
        self.list_mut(parent, in_shadow)
            .retain(|&child| child != node);
        self.records.push(MutationRecord::ChildList {
            target: parent,
            in_shadow,
            added: vec![],
            removed: vec![node],
        });
    }

    pub fn set_text(&mut self, node: MemoryNode, text: &str) {
        match &mut self.nodes[node].view {
            NodeView::Text(value) | NodeView::Comment(value) => *value = text.to_owned(),
            other => panic!("node {node} has no text: {other:?}"),
        }
        self.records
            .push(MutationRecord::CharacterData { target: node });
    }

    /// Sets (`Some`) or removes (`None`) an attribute.
    pub fn set_attribute(&mut self, node: MemoryNode, name: &str, value: Option<&str>) {
        let element = self.element_mut(node);
        element.attributes.retain(|(n, _)| n != name);
        if let Some(value) = value {
            element.attributes.push((name.to_owned(), value.to_owned()));
        }
        self.records.push(MutationRecord::Attribute {
            target: node,
            name: name.to_owned(),
        });
    }

    /// The records gathered since the last call, as the observer's callback
    /// would receive them.
    pub fn take_records(&mut self) -> Vec<MutationRecord<MemoryNode>> {
        std::mem::take(&mut self.records)
    }
}

impl DomTree for MemoryDom {
    type Node = MemoryNode;
    type Key = MemoryNode;

    fn key(&self, node: &MemoryNode) -> MemoryNode {
        *node
    }

    fn read(&self, node: &MemoryNode) -> NodeView {
        self.nodes[*node].view.clone()
    }

    fn child_nodes(&self, node: &MemoryNode) -> Vec<MemoryNode> {
        self.nodes[*node].children.clone()
    }

    fn shadow_children(&self, node: &MemoryNode) -> Vec<MemoryNode> {
        if self.has_shadow_root(*node) {
            self.nodes[*node].shadow.clone()
        } else {
            Vec::new()
        }
    }

    fn parent(&self, node: &MemoryNode) -> Option<Parent<MemoryNode>> {
        let in_shadow = self.nodes[*node].in_shadow;
        self.nodes[*node]
            .parent
            .map(|node| Parent { node, in_shadow })
    }

    fn next_sibling(&self, node: &MemoryNode) -> Option<MemoryNode> {
        let parent = self.nodes[*node].parent?;
        let siblings = self.siblings(parent, self.nodes[*node].in_shadow);
        let position = siblings.iter().position(|child| child == node)?;
        siblings.get(position + 1).copied()
    }

    fn is_document(&self, node: &MemoryNode) -> bool {
        matches!(self.nodes[*node].view, NodeView::Document { .. })
    }

    fn read_tag_name(&self, node: &MemoryNode) -> Option<String> {
        match &self.nodes[*node].view {
            NodeView::Element(element) => Some(element.tag_name.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn attribute(&self, node: &MemoryNode, name: &str) -> Option<String> {
        match &self.nodes[*node].view {
            NodeView::Element(element) => element
                .attributes
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone()),
            _ => None,
        }
    }

    /// Supports the selectors the tests use: `.class` and `#id`.
    fn matches(&self, node: &MemoryNode, selector: &str) -> bool {
        let attribute = |name| self.attribute(node, name).unwrap_or_default();
        if let Some(class) = selector.strip_prefix('.') {
            attribute("class")
                .split_ascii_whitespace()
                .any(|c| c == class)
        } else if let Some(id) = selector.strip_prefix('#') {
            attribute("id") == id
        } else {
            false
        }
    }

    fn layout_size(&self, _node: &MemoryNode) -> (f64, f64) {
        (120.0, 40.5)
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
