//! The live browser DOM as the core's [`DomTree`], and node ids kept in a
//! per-recording `WeakMap`.

use std::cell::Cell;

use wasm_bindgen::JsCast;
use web_sys::{
    CssStyleSheet, Document, DocumentType, Element, HtmlIFrameElement, HtmlInputElement,
    HtmlLinkElement, HtmlMediaElement, HtmlOptionElement, HtmlSelectElement, HtmlStyleElement,
    HtmlTextAreaElement, Node, ShadowRoot, Window,
};

use crate::core::dom::{DomTree, ElementView, FormState, MediaState, Namespace, NodeView, Parent};
use crate::core::event::NodeId;
use crate::core::mirror::IdStore;

const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";
const HTML_NAMESPACE: &str = "http://www.w3.org/1999/xhtml";

// Nodes of same-origin frames belong to another JS realm, where
// `instanceof` against this window's classes is false: these casts decide by
// the node type instead, which holds in every realm.

/// `value` as a node, if it is one (of any realm).
pub fn node_of(value: &wasm_bindgen::JsValue) -> Option<Node> {
    let node_type = js_sys::Reflect::get(value, &"nodeType".into())
        .ok()?
        .as_f64()?;
    (node_type > 0.0).then(|| value.clone().unchecked_into())
}

pub fn as_element(node: &Node) -> Option<&Element> {
    (node.node_type() == Node::ELEMENT_NODE).then(|| node.unchecked_ref())
}

/// An element with the given upper-case tag name (HTML elements only).
pub fn as_html<'a, T: JsCast>(node: &'a Node, tag_name: &str) -> Option<&'a T> {
    let element = as_element(node)?;
    (element.tag_name() == tag_name && element.namespace_uri().as_deref() == Some(HTML_NAMESPACE))
        .then(|| element.unchecked_ref())
}

pub fn as_document(node: &Node) -> Option<&Document> {
    (node.node_type() == Node::DOCUMENT_NODE).then(|| node.unchecked_ref())
}

pub fn as_shadow_root(node: &Node) -> Option<&ShadowRoot> {
    if node.node_type() != Node::DOCUMENT_FRAGMENT_NODE {
        return None;
    }
    let host = js_sys::Reflect::get(node, &"host".into()).ok()?;
    host.is_object().then(|| node.unchecked_ref())
}

/// The page's DOM, read through web-sys.
pub struct LiveDom {
    window: Window,
    /// Node -> a number standing for it in the core's hash sets.
    keys: js_sys::WeakMap,
    next_key: Cell<u32>,
}

impl LiveDom {
    pub fn new(window: Window) -> Self {
        LiveDom {
            window,
            keys: js_sys::WeakMap::new(),
            next_key: Cell::new(1),
        }
    }

    fn read_element(&self, element: &Element) -> ElementView {
        let tag_name = element.tag_name();
        let namespace = match element.namespace_uri().as_deref() {
            Some(HTML_NAMESPACE) => Namespace::Html,
            Some(SVG_NAMESPACE) => Namespace::Svg,
            _ => Namespace::Other,
        };
        let attribute_map = element.attributes();
        let attributes = (0..attribute_map.length())
            .filter_map(|index| attribute_map.item(index))
            .map(|attribute| (attribute.name(), attribute.value()))
            .collect();
        let mut view = ElementView {
            tag_name,
            namespace,
            attributes,
            ..Default::default()
        };
        if namespace == Namespace::Html {
            // In the HTML namespace the tag name fixes the interface, so the
            // unchecked casts below are sound and cost no `instanceof` call.
            match view.tag_name.as_str() {
                "INPUT" => {
                    let input: &HtmlInputElement = element.unchecked_ref();
                    view.form = Some(FormState {
                        value: input.value(),
                        checked: input.checked(),
                        selected: false,
                    });
                }
                "TEXTAREA" => {
                    let textarea: &HtmlTextAreaElement = element.unchecked_ref();
                    view.form = Some(FormState {
                        value: textarea.value(),
                        ..Default::default()
                    });
                }
                "SELECT" => {
                    let select: &HtmlSelectElement = element.unchecked_ref();
                    view.form = Some(FormState {
                        value: select.value(),
                        ..Default::default()
                    });
                }
                "OPTION" => {
                    let option: &HtmlOptionElement = element.unchecked_ref();
                    view.form = Some(FormState {
                        selected: option.selected(),
                        ..Default::default()
                    });
                }
                "STYLE" => {
                    let style: &HtmlStyleElement = element.unchecked_ref();
                    view.stylesheet = style
                        .sheet()
                        .map(|sheet| sheet.unchecked_into::<CssStyleSheet>())
                        .and_then(|sheet| stylesheet_text(&sheet));
                }
                "LINK" => {
                    let link: &HtmlLinkElement = element.unchecked_ref();
                    view.stylesheet = link
                        .sheet()
                        .map(|sheet| sheet.unchecked_into::<CssStyleSheet>())
                        .and_then(|sheet| stylesheet_text(&sheet));
                }
                "IFRAME" => {
                    let frame: &HtmlIFrameElement = element.unchecked_ref();
                    view.frame_is_cross_origin = frame.content_document().is_none();
                }
                "DIALOG" if element.has_attribute("open") => {
                    view.dialog_modal = Some(element.matches("dialog:modal").unwrap_or(false));
                }
                "VIDEO" | "AUDIO" => {
                    let media: &HtmlMediaElement = element.unchecked_ref();
                    view.media = Some(MediaState {
                        paused: media.paused(),
                        current_time: media.current_time(),
                        volume: media.volume(),
                        muted: media.muted(),
                        looped: media.loop_(),
                        playback_rate: media.playback_rate(),
                    });
                }
                _ => {}
            }
        }
        view.has_shadow_root = element.shadow_root().is_some();
        // Scrolled elements are rare; reading both offsets is two cheap
        // property reads (layout is already clean while serializing).
        let (left, top) = (element.scroll_left(), element.scroll_top());
        if left != 0 || top != 0 {
            view.scroll = Some((f64::from(left), f64::from(top)));
        }
        if view.tag_name.contains('-') {
            view.is_defined_custom_element = self
                .window
                .custom_elements()
                .get(&view.tag_name.to_ascii_lowercase())
                .is_function();
        }
        view
    }
}

/// The rules of a sheet as the browser parsed them, or `None` when the sheet
/// is cross-origin (reading `cssRules` throws) or has no rules.
fn stylesheet_text(sheet: &CssStyleSheet) -> Option<String> {
    let rules = sheet.css_rules().ok()?;
    let count = rules.length();
    if count == 0 {
        return None;
    }
    let mut text = String::new();
    for rule in (0..count).filter_map(|index| rules.item(index)) {
        text.push_str(&rule.css_text());
    }
    Some(text)
}

impl DomTree for LiveDom {
    type Node = Node;
    type Key = u32;

    fn key(&self, node: &Node) -> u32 {
        if let Some(key) = self.keys.get(node.unchecked_ref()).as_f64() {
            return key as u32;
        }
        let key = self.next_key.get();
        self.next_key.set(key + 1);
        self.keys.set(node.unchecked_ref(), &key.into());
        key
    }

    fn read(&self, node: &Node) -> NodeView {
        match node.node_type() {
            Node::ELEMENT_NODE => NodeView::Element(self.read_element(node.unchecked_ref())),
            Node::TEXT_NODE => NodeView::Text(node.node_value().unwrap_or_default()),
            Node::CDATA_SECTION_NODE => NodeView::CData,
            Node::COMMENT_NODE => NodeView::Comment(node.node_value().unwrap_or_default()),
            Node::DOCUMENT_NODE => {
                let document: &Document = node.unchecked_ref();
                NodeView::Document {
                    compat_mode: Some(document.compat_mode()),
                }
            }
            Node::DOCUMENT_TYPE_NODE => {
                let doctype: &DocumentType = node.unchecked_ref();
                NodeView::DocumentType {
                    name: doctype.name(),
                    public_id: doctype.public_id(),
                    system_id: doctype.system_id(),
                }
            }
            _ => NodeView::Unsupported,
        }
    }

    fn child_nodes(&self, node: &Node) -> Vec<Node> {
        let mut children = Vec::new();
        let mut next = node.first_child();
        while let Some(child) = next {
            next = child.next_sibling();
            children.push(child);
        }
        children
    }

    fn shadow_children(&self, node: &Node) -> Vec<Node> {
        match as_element(node).and_then(Element::shadow_root) {
            Some(root) => self.child_nodes(root.as_ref()),
            None => Vec::new(),
        }
    }

    fn parent(&self, node: &Node) -> Option<Parent<Node>> {
        let parent = node.parent_node()?;
        if parent.node_type() == Node::DOCUMENT_FRAGMENT_NODE {
            // A shadow root stands for its host; other fragments are detached.
            let root = as_shadow_root(&parent)?;
            return Some(Parent {
                node: root.host().into(),
                in_shadow: true,
            });
        }
        Some(Parent {
            node: parent,
            in_shadow: false,
        })
    }

    fn next_sibling(&self, node: &Node) -> Option<Node> {
        node.next_sibling()
    }

    fn is_document(&self, node: &Node) -> bool {
        node.node_type() == Node::DOCUMENT_NODE
    }

    fn read_tag_name(&self, node: &Node) -> Option<String> {
        as_element(node).map(|element| element.tag_name().to_ascii_lowercase())
    }

    fn attribute(&self, node: &Node, name: &str) -> Option<String> {
        as_element(node)?.get_attribute(name)
    }

    fn matches(&self, node: &Node, selector: &str) -> bool {
        as_element(node).is_some_and(|element| element.matches(selector).unwrap_or(false))
    }

    fn layout_size(&self, node: &Node) -> (f64, f64) {
        match as_element(node) {
            Some(element) => {
                let rect = element.get_bounding_client_rect();
                (rect.width(), rect.height())
            }
            None => (0.0, 0.0),
        }
    }

    fn base_url(&self, node: &Node) -> String {
        node.base_uri().ok().flatten().unwrap_or_default()
    }
}

/// Node ids of one recording, kept in a JS `WeakMap` so that the browser
/// frees removed nodes and a new recording never sees an old one's ids.
pub struct WeakMapIds(js_sys::WeakMap);

impl WeakMapIds {
    pub fn new() -> Self {
        WeakMapIds(js_sys::WeakMap::new())
    }
}

impl IdStore for WeakMapIds {
    type Node = Node;

    fn get(&self, node: &Node) -> Option<NodeId> {
        self.0
            .get(node.unchecked_ref())
            .as_f64()
            .map(|id| id as NodeId)
    }

    fn set(&mut self, node: &Node, id: NodeId) {
        self.0.set(node.unchecked_ref(), &id.into());
    }
}
