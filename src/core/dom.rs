//! The small DOM interface the core serializes from.
//!
//! The core never touches web-sys: the web layer implements [`DomTree`] over
//! the live document, tests implement it over an in-memory tree. [`NodeView`]
//! gathers everything the serializer needs about one node so an adapter can
//! answer with as few JS<->wasm crossings as it manages.

/// Read access to a DOM tree.
///
/// Attribute values and stylesheet texts come with the relative URLs a
/// replay would fetch or follow made absolute, as rrweb records them (the
/// replay runs on another origin): `src`, `href` and the like, each
/// candidate of a `srcset`, and `url(…)` and `@import` in CSS. The web
/// layer has the browser's own URL parser do it (`src/web/page.js`), with
/// the document's base, or a linked sheet's own address.
pub trait DomTree {
    /// A handle to one node (a `web_sys::Node`, an arena index, ...).
    type Node: Clone;
    /// A small-integer identity of a node, stable while the node lives, for
    /// the mutation buffer's sets (a JS node cannot be hashed from Rust).
    type Key: Copy + Eq + super::IdKey;

    fn key(&self, node: &Self::Node) -> Self::Key;

    /// What the serializer needs to know about `node` itself (not its children).
    fn read(&self, node: &Self::Node) -> NodeView;

    /// The children of `node` in document order.
    fn child_nodes(&self, node: &Self::Node) -> Vec<Self::Node>;

    /// The children of an element's open shadow root; empty without one.
    fn shadow_children(&self, node: &Self::Node) -> Vec<Self::Node>;

    /// The parent as rrweb sees it: a shadow root's child has the host as
    /// parent (`in_shadow`). `None` for a document or a detached root.
    fn parent(&self, node: &Self::Node) -> Option<Parent<Self::Node>>;

    fn next_sibling(&self, node: &Self::Node) -> Option<Self::Node>;

    fn is_document(&self, node: &Self::Node) -> bool;

    /// An element's tag name in lower case; `None` for other nodes.
    fn read_tag_name(&self, node: &Self::Node) -> Option<String>;

    /// The current value of an attribute (URLs absolute), `None` when
    /// absent.
    fn attribute(&self, node: &Self::Node, name: &str) -> Option<String>;

    /// Whether an element matches a CSS selector (false for other nodes and
    /// for selectors the browser rejects).
    fn matches(&self, node: &Self::Node, selector: &str) -> bool;

    /// The laid-out width and height of an element in CSS pixels, for the
    /// placeholder of a blocked element.
    fn layout_size(&self, node: &Self::Node) -> (f64, f64);
}

/// A node's parent and whether the node sits in the parent's shadow root.
#[derive(Debug, Clone, PartialEq)]
pub struct Parent<N> {
    pub node: N,
    pub in_shadow: bool,
}

/// One node as the serializer sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeView {
    Document {
        compat_mode: Option<String>,
    },
    DocumentType {
        name: String,
        public_id: String,
        system_id: String,
    },
    Element(ElementView),
    Text(String),
    CData,
    Comment(String),
    /// Processing instructions, fragments and anything newer: not recorded.
    Unsupported,
}

/// An element's name, namespace, attributes and the live state the
/// attributes do not show.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ElementView {
    /// The tag name as the DOM reports it (upper case for HTML elements).
    pub tag_name: String,
    pub namespace: Namespace,
    /// Attributes in DOM order, as `(name, value)`.
    pub attributes: Vec<(String, String)>,
    /// Live state of `input`, `textarea`, `select` and `option`.
    pub form: Option<FormState>,
    /// The CSS text the browser parsed for a `<style>` or a
    /// `<link rel=stylesheet>`; `None` when there is none or it cannot be
    /// read (a cross-origin sheet).
    pub stylesheet: Option<String>,
    /// A custom element whose definition is registered.
    pub is_defined_custom_element: bool,
    /// An open shadow root is attached.
    pub has_shadow_root: bool,
    /// Scroll offsets (left, top) of a scrolled element; `None` at 0, 0.
    pub scroll: Option<(f64, f64)>,
    /// An open `<dialog>`: `Some(true)` when shown modal.
    pub dialog_modal: Option<bool>,
    /// Playback state of `<audio>` / `<video>`.
    pub media: Option<MediaState>,
    /// An `<iframe>` whose document this page cannot read.
    pub frame_is_cross_origin: bool,
}

/// What a media element is doing, so the replay shows the same frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MediaState {
    pub paused: bool,
    pub current_time: f64,
    pub volume: f64,
    pub muted: bool,
    pub looped: bool,
    pub playback_rate: f64,
}

/// The namespace of an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Namespace {
    #[default]
    Html,
    Svg,
    Other,
}

/// The state a user changes without touching attributes: a field's current
/// `value`, a checkbox's `checked`, an option's `selected`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormState {
    pub value: String,
    pub checked: bool,
    pub selected: bool,
}
