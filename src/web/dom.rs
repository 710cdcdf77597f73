//! The live browser DOM as the core's [`DomTree`], and node ids kept in a
//! per-recording `WeakMap`.

use wasm_bindgen::JsCast;
use web_sys::{
    CssStyleSheet, Document, DocumentType, Element, HtmlInputElement, HtmlLinkElement,
    HtmlOptionElement, HtmlSelectElement, HtmlStyleElement, HtmlTextAreaElement, Node, Window,
};

use crate::core::dom::{DomTree, ElementView, FormState, Namespace, NodeView};
use crate::core::event::NodeId;
use crate::core::mirror::IdStore;

const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";
const HTML_NAMESPACE: &str = "http://www.w3.org/1999/xhtml";

/// The page's DOM, read through web-sys.
pub struct LiveDom {
    window: Window,
}

impl LiveDom {
    pub fn new(window: Window) -> Self {
        LiveDom { window }
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
                        .and_then(|sheet| sheet.dyn_into::<CssStyleSheet>().ok())
                        .and_then(|sheet| stylesheet_text(&sheet));
                }
                "LINK" => {
                    let link: &HtmlLinkElement = element.unchecked_ref();
                    view.stylesheet = link
                        .sheet()
                        .and_then(|sheet| sheet.dyn_into::<CssStyleSheet>().ok())
                        .and_then(|sheet| stylesheet_text(&sheet));
                }
                _ => {}
            }
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
        self.0.get(node.unchecked_ref()).as_f64().map(|id| id as NodeId)
    }

    fn set(&mut self, node: &Node, id: NodeId) {
        self.0.set(node.unchecked_ref(), &id.into());
    }
}
