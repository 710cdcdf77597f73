//! The small DOM interface the core serializes from.
//!
//! The core never touches web-sys: the web layer implements [`DomTree`] over
//! the live document, tests implement it over an in-memory tree. [`NodeView`]
//! gathers everything the serializer needs about one node so an adapter can
//! answer with as few JS<->wasm crossings as it manages.

/// Read access to a DOM tree.
pub trait DomTree {
    /// A handle to one node (a `web_sys::Node`, an arena index, ...).
    type Node: Clone;

    /// What the serializer needs to know about `node` itself (not its children).
    fn read(&self, node: &Self::Node) -> NodeView;

    /// The children of `node` in document order.
    fn child_nodes(&self, node: &Self::Node) -> Vec<Self::Node>;
}

/// One node as the serializer sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeView {
    Document { compat_mode: Option<String> },
    DocumentType { name: String, public_id: String, system_id: String },
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
