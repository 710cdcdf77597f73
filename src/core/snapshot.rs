//! The snapshot serializer: a DOM tree into rrweb's serialized nodes.
//!
//! It walks the tree in document order, gives every recorded node the next id
//! from the [`Mirror`] (parents before children, as rrweb does) and applies the
//! [`PrivacyRules`] to each value as it is read, so nothing unmasked is ever
//! held in the output.

use std::fmt::Write as _;

use super::dom::{DomTree, ElementView, FormState, Namespace, NodeView};
use super::event::{NodeId, NodeJson};
use super::json::{format_number, write_number, write_str};
use super::mirror::{IdStore, Mirror, NodeFlags};
use super::privacy::{
    has_any_class, mask_text, mask_value, FormField, PrivacyRules, BLOCK_CLASSES, IGNORE_CLASSES,
    MASK_CLASSES,
};
use super::url::{absolutize_css, is_url_attribute, resolve, resolve_srcset};

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
/// of them it wrote into a shadow root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitedIds {
    written: Vec<u64>,
    in_shadow: Vec<u64>,
}

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

fn set_bit(bits: &mut Vec<u64>, id: NodeId) {
    let (word, bit) = (id as usize / 64, id % 64);
    if bits.len() <= word {
        bits.resize(word + 1, 0);
    }
    bits[word] |= 1 << bit;
}

fn has_bit(bits: &[u64], id: NodeId) -> bool {
    let (word, bit) = (id as usize / 64, id % 64);
    bits.get(word).is_some_and(|bits| bits & (1 << bit) != 0)
}

/// A serialization of a whole tree that can stop and resume, so a large
/// document is recorded in slices that each leave the page a turn.
///
/// Between slices the page may change the DOM. The walk copies an
/// element's child list when it writes the element, so it keeps a
/// consistent order; once told of structural changes
/// ([`SnapshotWalk::mark_disturbed`]) it also skips every child that has
/// since left that parent, and every node it already wrote elsewhere. The
/// result is the tree as each part was when written; the mutation records
/// of the walk's time, run through [`super::mutation::MutationBuffer`]
/// with [`SnapshotWalk::visited`], bring it to the present.
pub struct SnapshotWalk<N> {
    state: WalkState<N>,
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
        let mut serializer = TreeSerializer::new(dom, mirror, privacy, root);
        let written = serializer.write_node(root, placement.context, placement.in_shadow)?;
        let root_id = serializer.state.last_id;
        serializer.mirror.set_parent(root_id, placement.parent_id);
        let mut open = Vec::new();
        if let Written::Open(child_context, has_shadow) = written {
            open.push(OpenNode {
                id: root_id,
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

    /// The ids this walk wrote.
    pub fn visited(&self) -> &VisitedIds {
        &self.state.visited
    }
}

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
/// like [`serialize_tree`].
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
    let mut serializer = TreeSerializer::new(dom, mirror, privacy, root);
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

/// A document or element whose children are still being written; each
/// child comes with whether it is in the shadow root.
struct OpenNode<N> {
    id: NodeId,
    remaining_children: std::vec::IntoIter<(N, bool)>,
    child_context: NodeFlags,
    has_written_child: bool,
}

/// What writing one node left open.
enum Written {
    /// The node is complete (text, comment, doctype, blocked element...).
    Leaf,
    /// The node's `"childNodes":[` is open; its children follow with these
    /// flags, and after them those of its open shadow root if it has one.
    Open(NodeFlags, bool),
}

/// What a serializer owns, kept between the slices of a [`SnapshotWalk`].
struct WalkState<N> {
    base_url: String,
    out: String,
    /// The id `write_node` gave the node it wrote last.
    last_id: NodeId,
    node_count: u32,
    truncated_elements: usize,
    iframes: Vec<N>,
    shadow_hosts: Vec<N>,
    pending_links: Vec<N>,
    visited: VisitedIds,
}

impl<N> Default for WalkState<N> {
    fn default() -> Self {
        WalkState {
            base_url: String::new(),
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

struct TreeSerializer<'a, D: DomTree, S> {
    dom: &'a D,
    mirror: &'a mut Mirror<S>,
    privacy: &'a PrivacyRules,
    state: WalkState<D::Node>,
}

impl<'a, D, S> TreeSerializer<'a, D, S>
where
    D: DomTree,
    S: IdStore<Node = D::Node>,
{
    fn new(
        dom: &'a D,
        mirror: &'a mut Mirror<S>,
        privacy: &'a PrivacyRules,
        root: &D::Node,
    ) -> Self {
        TreeSerializer {
            state: WalkState {
                base_url: dom.base_url(root),
                ..WalkState::default()
            },
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
                self.state.out.push_str("]}");
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
                    self.state.out.push_str("]}");
                }
                Some(Written::Open(child_context, has_shadow)) => {
                    top.has_written_child = true;
                    let remaining_children = self.children_of(&child, has_shadow);
                    open.push(OpenNode {
                        id: self.state.last_id,
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
        if json.ends_with("\"childNodes\":[") {
            json.push_str("]}");
        }
        let id = self.state.last_id;
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

    /// Light children, then the open shadow root's children (as rrweb
    /// lists them), flagged as such.
    fn children_of(&self, node: &D::Node, has_shadow: bool) -> std::vec::IntoIter<(D::Node, bool)> {
        let mut children: Vec<(D::Node, bool)> = self
            .dom
            .child_nodes(node)
            .into_iter()
            .map(|child| (child, false))
            .collect();
        if has_shadow {
            children.extend(
                self.dom
                    .shadow_children(node)
                    .into_iter()
                    .map(|child| (child, true)),
            );
        }
        children.into_iter()
    }

    /// Gives `node` its id and writes it, up to its open `childNodes` list
    /// for documents and elements. `None` for a node rrweb cannot represent,
    /// which gets no id and writes nothing.
    fn write_node(
        &mut self,
        node: &D::Node,
        context: NodeFlags,
        in_shadow: bool,
    ) -> Option<Written> {
        let view = self.dom.read(node);
        if view == NodeView::Unsupported {
            return None;
        }
        let id = self.mirror.id_or_assign(node);
        self.state.last_id = id;
        self.state.visited.insert(id, in_shadow);
        self.state.node_count += 1;
        let out = &mut self.state.out;
        out.push_str("{\"id\":");
        // Written in place: a `to_string` here would allocate once per node.
        let _ = write!(out, "{id}");
        if in_shadow {
            out.push_str(",\"isShadow\":true");
        }
        let (written, flags) = match view {
            NodeView::Unsupported => unreachable!("returned above"),
            NodeView::Document { compat_mode } => {
                out.push_str(",\"type\":0");
                if let Some(mode) = compat_mode {
                    out.push_str(",\"compatMode\":");
                    write_str(out, &mode);
                }
                out.push_str(",\"childNodes\":[");
                (Written::Open(NodeFlags::NONE, false), NodeFlags::NONE)
            }
            NodeView::DocumentType {
                name,
                public_id,
                system_id,
            } => {
                out.push_str(",\"type\":1,\"name\":");
                write_str(out, &name);
                out.push_str(",\"publicId\":");
                write_str(out, &public_id);
                out.push_str(",\"systemId\":");
                write_str(out, &system_id);
                out.push('}');
                (Written::Leaf, NodeFlags::NONE)
            }
            NodeView::Element(view) => {
                let has_shadow_root = view.has_shadow_root;
                let is_iframe = view.tag_name.eq_ignore_ascii_case("iframe");
                let element = element_record(
                    view,
                    context,
                    self.privacy,
                    self.dom,
                    node,
                    &self.state.base_url,
                );
                let out = &mut self.state.out;
                out.push_str(",\"type\":2,\"tagName\":");
                write_str(out, &element.tag_name);
                out.push_str(",\"attributes\":{");
                for (index, (name, value)) in element.attributes.0.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    write_str(out, name);
                    out.push(':');
                    match value {
                        AttributeValue::Text(text) => write_str(out, text),
                        AttributeValue::Bool(flag) => {
                            out.push_str(if *flag { "true" } else { "false" })
                        }
                        AttributeValue::Number(number) => write_number(out, *number),
                    }
                }
                out.push('}');
                if element.is_svg {
                    out.push_str(",\"isSVG\":true");
                }
                if element.is_custom {
                    out.push_str(",\"isCustom\":true");
                }
                let blocked = element.own_flags.contains(NodeFlags::BLOCKED);
                let has_shadow_root = has_shadow_root && !blocked;
                if has_shadow_root {
                    out.push_str(",\"isShadowHost\":true");
                    self.state.shadow_hosts.push(node.clone());
                }
                if is_iframe && !blocked {
                    self.state.iframes.push(node.clone());
                }
                if element.awaiting_sheet {
                    self.state.pending_links.push(node.clone());
                }
                let mut flags = element.own_flags.with(element.child_context);
                if has_shadow_root {
                    flags = flags.with(NodeFlags::SHADOW_HOST);
                }
                if blocked {
                    out.push_str(",\"childNodes\":[]}");
                    (Written::Leaf, flags)
                } else {
                    out.push_str(",\"childNodes\":[");
                    (Written::Open(element.child_context, has_shadow_root), flags)
                }
            }
            NodeView::Text(text) => {
                let (text, is_style) = text_in_context(text, context, self.privacy);
                out.push_str(",\"type\":3,\"textContent\":");
                write_str(out, &text);
                if is_style {
                    out.push_str(",\"isStyle\":true");
                }
                out.push('}');
                (Written::Leaf, context)
            }
            NodeView::CData => {
                out.push_str(",\"type\":4,\"textContent\":\"\"}");
                (Written::Leaf, context)
            }
            NodeView::Comment(text) => {
                out.push_str(",\"type\":5,\"textContent\":");
                write_str(out, &text);
                out.push('}');
                (Written::Leaf, context)
            }
        };
        self.mirror.set_flags(id, flags);
        Some(written)
    }
}

/// An attribute value as rrweb records it.
#[derive(Debug, Clone, PartialEq)]
enum AttributeValue {
    Text(String),
    /// Live state (`checked`, `selected`, `rr_mediaMuted`...).
    Bool(bool),
    Number(f64),
}

/// Attributes in DOM order.
#[derive(Debug, Default)]
struct Attributes(Vec<(String, AttributeValue)>);

impl Attributes {
    fn get(&self, name: &str) -> Option<&AttributeValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Sets `name`, in place if present so the DOM order is kept.
    fn set(&mut self, name: &str, value: AttributeValue) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }

    fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| n != name);
    }
}

/// An element as it will be written.
struct ElementRecord {
    tag_name: String,
    attributes: Attributes,
    is_svg: bool,
    is_custom: bool,
    /// Flags of the element itself (blocked, ignored, masked field).
    own_flags: NodeFlags,
    /// Flags its children are recorded with.
    child_context: NodeFlags,
    /// A stylesheet link whose rules could not be read (yet).
    awaiting_sheet: bool,
}

/// The privacy decisions for one element, from its classes and the
/// configured selectors (a selector costs a `matches` call, so only
/// configured ones are asked).
fn element_privacy<D: DomTree>(
    attributes: &Attributes,
    privacy: &PrivacyRules,
    dom: &D,
    node: &D::Node,
) -> NodeFlags {
    let class = text_attribute(attributes, "class").unwrap_or("");
    let matches =
        |selector: &Option<String>| selector.as_deref().is_some_and(|s| dom.matches(node, s));
    let mut flags = NodeFlags::NONE;
    if has_any_class(class, &BLOCK_CLASSES) || matches(&privacy.block_selector) {
        flags = flags.with(NodeFlags::BLOCKED);
    }
    if has_any_class(class, &MASK_CLASSES) || matches(&privacy.mask_text_selector) {
        flags = flags.with(NodeFlags::MASK_TEXT);
    }
    if has_any_class(class, &IGNORE_CLASSES) || matches(&privacy.ignore_selector) {
        flags = flags.with(NodeFlags::IGNORED);
    }
    flags
}

/// Applies rrweb's recording rules and the privacy rules to an element.
fn element_record<D: DomTree>(
    view: ElementView,
    context: NodeFlags,
    privacy: &PrivacyRules,
    dom: &D,
    node: &D::Node,
    base_url: &str,
) -> ElementRecord {
    // Lower case like rrweb, whose rebuild restores SVG's mixed-case names.
    let tag_name = view.tag_name.to_ascii_lowercase();
    let mut attributes = Attributes(
        view.attributes
            .into_iter()
            // Inline handlers (onclick=...) are script: never recorded, like
            // script contents, and a replay must not run or even compile them.
            .filter(|(name, _)| !is_event_handler_attribute(name))
            .map(|(name, value)| {
                let value = absolute_attribute(&tag_name, &name, value, base_url);
                (name, AttributeValue::Text(value))
            })
            .collect(),
    );
    let privacy_flags = element_privacy(&attributes, privacy, dom, node);
    let is_svg = view.namespace == Namespace::Svg;
    let is_custom = view.is_defined_custom_element;
    if privacy_flags.contains(NodeFlags::BLOCKED) {
        // A placeholder of the same size: the replay keeps its layout and
        // shows nothing of the content, which is never read.
        let (width, height) = dom.layout_size(node);
        let mut placeholder = Attributes::default();
        if let Some(class) = text_attribute(&attributes, "class") {
            placeholder.set("class", AttributeValue::Text(class.to_owned()));
        }
        placeholder.set(
            "rr_width",
            AttributeValue::Text(format!("{}px", format_number(width))),
        );
        placeholder.set(
            "rr_height",
            AttributeValue::Text(format!("{}px", format_number(height))),
        );
        return ElementRecord {
            tag_name,
            attributes: placeholder,
            is_svg,
            is_custom,
            own_flags: NodeFlags::BLOCKED,
            child_context: NodeFlags::NONE,
            awaiting_sheet: false,
        };
    }
    // Text masking passes down the tree; the rest applies to direct children.
    let inherited = NodeFlags::NONE
        .with(if context.contains(NodeFlags::MASK_TEXT) {
            NodeFlags::MASK_TEXT
        } else {
            NodeFlags::NONE
        })
        .with(if privacy_flags.contains(NodeFlags::MASK_TEXT) {
            NodeFlags::MASK_TEXT
        } else {
            NodeFlags::NONE
        });
    let mut own_flags = if privacy_flags.contains(NodeFlags::IGNORED) {
        NodeFlags::IGNORED
    } else {
        NodeFlags::NONE
    };
    let mut child_context = inherited;
    let mut awaiting_sheet = false;
    match tag_name.as_str() {
        "input" | "textarea" | "select" => {
            let masked = privacy_flags.contains(NodeFlags::IGNORED)
                || privacy.should_mask_field(&FormField {
                    tag_name: &tag_name,
                    input_type: text_attribute(&attributes, "type"),
                    autocomplete: text_attribute(&attributes, "autocomplete"),
                });
            if let Some(form) = &view.form {
                record_field_state(&tag_name, &mut attributes, form, masked);
            }
            let masked_flag = if masked {
                NodeFlags::FIELD_MASKED
            } else {
                NodeFlags::NONE
            };
            own_flags = own_flags.with(masked_flag);
            child_context = match tag_name.as_str() {
                "textarea" => inherited.with(NodeFlags::TEXTAREA).with(masked_flag),
                "select" => inherited.with(NodeFlags::SELECT).with(masked_flag),
                _ => inherited,
            };
        }
        "optgroup" if context.contains(NodeFlags::SELECT) => {
            // <optgroup> passes its <select>'s masking on to its options.
            let masked = if context.contains(NodeFlags::FIELD_MASKED) {
                NodeFlags::FIELD_MASKED
            } else {
                NodeFlags::NONE
            };
            child_context = inherited.with(NodeFlags::SELECT).with(masked);
        }
        "option" => {
            // Which option is selected is the select's value: hidden when
            // the select is masked, and the live state otherwise.
            attributes.remove("selected");
            let select_masked =
                context.contains(NodeFlags::SELECT) && context.contains(NodeFlags::FIELD_MASKED);
            if !select_masked && view.form.as_ref().is_some_and(|form| form.selected) {
                attributes.set("selected", AttributeValue::Bool(true));
            }
        }
        "style" if !is_svg => {
            // The parsed sheet includes rules added through CSSOM, which the
            // text does not; rrweb's Replayer rebuilds the text from
            // `_cssText` and the blanked text children.
            child_context = inherited.with(NodeFlags::STYLE);
            if let Some(css) = view.stylesheet {
                attributes.set(
                    "_cssText",
                    AttributeValue::Text(absolutize_css(&css, base_url)),
                );
                child_context = child_context.with(NodeFlags::CSS_CAPTURED);
            }
        }
        "link" => {
            let is_stylesheet = text_attribute(&attributes, "rel").is_some_and(|rel| {
                rel.split_ascii_whitespace()
                    .any(|token| token.eq_ignore_ascii_case("stylesheet"))
            });
            awaiting_sheet = is_stylesheet && view.stylesheet.is_none() && !is_svg;
            if let (true, Some(css)) = (is_stylesheet, view.stylesheet) {
                // Inlined so the replay does not depend on the site's server;
                // the Replayer turns this link into a <style>. URLs in it are
                // relative to the sheet, whose address `href` holds.
                let sheet_url = match text_attribute(&attributes, "href") {
                    Some(href) => href.to_owned(),
                    None => base_url.to_owned(),
                };
                attributes.remove("rel");
                attributes.remove("href");
                attributes.set(
                    "_cssText",
                    AttributeValue::Text(absolutize_css(&css, &sheet_url)),
                );
            }
        }
        "script" => child_context = inherited.with(NodeFlags::SCRIPT),
        "iframe" => {
            // The frame's document is recorded as its own tree; a src the
            // replay cannot use is kept as rr_src for reference.
            if let Some(AttributeValue::Text(src)) = attributes.get("src").cloned() {
                attributes.remove("src");
                if view.frame_is_cross_origin {
                    attributes.set("rr_src", AttributeValue::Text(src));
                }
            }
        }
        "dialog" => {
            if let Some(modal) = view.dialog_modal {
                let mode = if modal { "modal" } else { "non-modal" };
                attributes.set("rr_open_mode", AttributeValue::Text(mode.to_owned()));
            }
        }
        _ => {}
    }
    if let Some(media) = &view.media {
        let state = if media.paused { "paused" } else { "played" };
        attributes.set("rr_mediaState", AttributeValue::Text(state.to_owned()));
        attributes.set(
            "rr_mediaCurrentTime",
            AttributeValue::Number(media.current_time),
        );
        attributes.set(
            "rr_mediaPlaybackRate",
            AttributeValue::Number(media.playback_rate),
        );
        attributes.set("rr_mediaMuted", AttributeValue::Bool(media.muted));
        attributes.set("rr_mediaLoop", AttributeValue::Bool(media.looped));
        attributes.set("rr_mediaVolume", AttributeValue::Number(media.volume));
    }
    if let Some((left, top)) = view.scroll {
        if left != 0.0 {
            attributes.set("rr_scrollLeft", AttributeValue::Number(left));
        }
        if top != 0.0 {
            attributes.set("rr_scrollTop", AttributeValue::Number(top));
        }
    }
    ElementRecord {
        tag_name,
        attributes,
        is_svg,
        is_custom,
        own_flags,
        child_context,
        awaiting_sheet,
    }
}

/// An attribute's value with relative URLs made absolute where the replay
/// would fetch them.
pub fn absolute_attribute(tag_name: &str, name: &str, value: String, base_url: &str) -> String {
    if is_url_attribute(tag_name, name) {
        resolve(base_url, &value)
    } else if name == "srcset" {
        resolve_srcset(base_url, &value)
    } else if name == "style" && value.contains("url(") {
        absolutize_css(&value, base_url)
    } else {
        value
    }
}

pub fn is_event_handler_attribute(name: &str) -> bool {
    name.len() > 2 && name.as_bytes()[..2].eq_ignore_ascii_case(b"on")
}

fn text_attribute<'a>(attributes: &'a Attributes, name: &str) -> Option<&'a str> {
    match attributes.get(name) {
        Some(AttributeValue::Text(text)) => Some(text),
        _ => None,
    }
}

/// Writes a field's live state over its attributes: the property is what the
/// user sees, the attribute only the page's initial markup.
fn record_field_state(tag_name: &str, attributes: &mut Attributes, form: &FormState, masked: bool) {
    let input_type = text_attribute(attributes, "type")
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let is_input = tag_name == "input";
    if is_input && matches!(input_type.as_str(), "checkbox" | "radio") {
        if form.checked {
            attributes.set("checked", AttributeValue::Bool(true));
        } else {
            attributes.remove("checked");
        }
        return;
    }
    if is_input && matches!(input_type.as_str(), "submit" | "button" | "reset" | "image") {
        // Their value is the button's label, written by the page.
        return;
    }
    if form.value.is_empty() {
        // Also drops a `value` attribute the user has since cleared, which
        // would otherwise show (and leak) the markup's default.
        attributes.remove("value");
    } else if masked {
        attributes.set("value", AttributeValue::Text(mask_value(&form.value)));
    } else {
        attributes.set("value", AttributeValue::Text(form.value.clone()));
    }
}

/// The text to record for a text node given the flags of where it is, and
/// whether it is a style's text.
pub fn text_in_context(text: String, context: NodeFlags, privacy: &PrivacyRules) -> (String, bool) {
    if context.contains(NodeFlags::STYLE) {
        if context.contains(NodeFlags::CSS_CAPTURED) {
            return (String::new(), true);
        }
        return (text, true);
    }
    if context.contains(NodeFlags::SCRIPT) {
        return (String::new(), false);
    }
    if context.contains(NodeFlags::TEXTAREA) && context.contains(NodeFlags::FIELD_MASKED) {
        return (mask_value(&text), false);
    }
    if privacy.mask_all_text || context.contains(NodeFlags::MASK_TEXT) {
        return (mask_text(&text), false);
    }
    (text, false)
}

#[cfg(test)]
mod tests;
