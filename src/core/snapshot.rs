//! The snapshot serializer: a DOM tree into rrweb's serialized nodes.
//!
//! It walks the tree in document order, gives every recorded node the next id
//! from the [`Mirror`] (parents before children, as rrweb does) and applies the
//! [`PrivacyRules`] to each value as it is read, so nothing unmasked is ever
//! held in the output.

use std::fmt::Write as _;

use super::dom::{DomTree, ElementView, FormState, Namespace, NodeView};
use super::event::NodeJson;
use super::json::write_str;
use super::mirror::{IdStore, Mirror};
use super::privacy::{mask_value, FormField, PrivacyRules};

/// How deep below the root the serializer descends. Deeper nodes are left out
/// (their element is kept, empty) because rrweb's Replayer rebuilds the tree
/// recursively and the browser's JS stack ends not far beyond this; the
/// recorder itself has no depth limit. The HTML parser stops nesting at 512,
/// so only script-built pages come near.
pub const MAX_TREE_DEPTH: usize = 1_000;

/// The result of serializing a tree.
#[derive(Debug, Clone, PartialEq)]
pub struct SerializedTree {
    /// The root and everything below it as rrweb JSON.
    pub node: NodeJson,
    /// How many nodes were given ids.
    pub node_count: u32,
    /// Elements at [`MAX_TREE_DEPTH`] whose children were left out.
    pub truncated_elements: usize,
}

/// Serializes `root` and everything below it, assigning ids as it goes.
///
/// Returns `None` when `root` itself is of a kind rrweb cannot represent.
pub fn serialize_tree<D, S>(
    dom: &D,
    mirror: &mut Mirror<S>,
    privacy: &PrivacyRules,
    root: &D::Node,
) -> Option<SerializedTree>
where
    D: DomTree,
    S: IdStore<Node = D::Node>,
{
    let ids_before = mirror.assigned_count();
    let mut serializer = TreeSerializer {
        dom,
        mirror,
        privacy,
        out: String::new(),
        truncated_elements: 0,
    };
    serializer.serialize(root)?;
    Some(SerializedTree {
        node: NodeJson(serializer.out),
        node_count: serializer.mirror.assigned_count() - ids_before,
        truncated_elements: serializer.truncated_elements,
    })
}

/// What a node's position means for how its children are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Normal,
    /// Inside `<style>`; `css_captured` when the element carries `_cssText`,
    /// which then replaces its text children.
    Style { css_captured: bool },
    /// Inside `<script>`: contents are never recorded.
    Script,
    /// Inside a `<textarea>`: its text is the field's default value.
    Textarea { masked: bool },
    /// Inside a `<select>` (directly or through `<optgroup>`).
    Select { masked: bool },
}

/// A document or element whose children are still being written.
struct OpenNode<N> {
    remaining_children: std::vec::IntoIter<N>,
    child_context: Context,
    has_written_child: bool,
}

/// What writing one node left open.
enum Written {
    /// The node is complete (text, comment, doctype...).
    Leaf,
    /// The node's `"childNodes":[` is open; its children follow in `Context`.
    Open(Context),
}

struct TreeSerializer<'a, D: DomTree, S> {
    dom: &'a D,
    mirror: &'a mut Mirror<S>,
    privacy: &'a PrivacyRules,
    out: String,
    truncated_elements: usize,
}

impl<D, S> TreeSerializer<'_, D, S>
where
    D: DomTree,
    S: IdStore<Node = D::Node>,
{
    // JSON is written as the DOM is walked, with an explicit stack: no node
    // tree is built, and neither the walk nor the writing recurses, so the
    // depth of the page never threatens the JS engine's stack.
    fn serialize(&mut self, root: &D::Node) -> Option<()> {
        let Written::Open(child_context) = self.write_node(root, Context::Normal)? else {
            return Some(());
        };
        let mut open = vec![OpenNode {
            remaining_children: self.dom.child_nodes(root).into_iter(),
            child_context,
            has_written_child: false,
        }];
        loop {
            let depth = open.len();
            let Some(top) = open.last_mut() else { break };
            let Some(child) = top.remaining_children.next() else {
                self.out.push_str("]}");
                open.pop();
                continue;
            };
            let context = top.child_context;
            let rollback = self.out.len();
            if top.has_written_child {
                self.out.push(',');
            }
            match self.write_node(&child, context) {
                // Not representable in rrweb: take back the comma.
                None => self.out.truncate(rollback),
                Some(Written::Leaf) => top.has_written_child = true,
                Some(Written::Open(_)) if depth >= MAX_TREE_DEPTH => {
                    top.has_written_child = true;
                    self.truncated_elements += 1;
                    self.out.push_str("]}");
                }
                Some(Written::Open(child_context)) => {
                    top.has_written_child = true;
                    open.push(OpenNode {
                        remaining_children: self.dom.child_nodes(&child).into_iter(),
                        child_context,
                        has_written_child: false,
                    });
                }
            }
        }
        Some(())
    }

    /// Assigns `node` its id and writes it, up to its open `childNodes` list
    /// for documents and elements. `None` for a node rrweb cannot represent,
    /// which gets no id and writes nothing.
    fn write_node(&mut self, node: &D::Node, context: Context) -> Option<Written> {
        let view = self.dom.read(node);
        if view == NodeView::Unsupported {
            return None;
        }
        let id = self.mirror.assign(node);
        let out = &mut self.out;
        out.push_str("{\"id\":");
        // Written in place: a `to_string` here would allocate once per node.
        let _ = write!(out, "{id}");
        let written = match view {
            NodeView::Unsupported => unreachable!("returned above"),
            NodeView::Document { compat_mode } => {
                out.push_str(",\"type\":0");
                if let Some(mode) = compat_mode {
                    out.push_str(",\"compatMode\":");
                    write_str(out, &mode);
                }
                out.push_str(",\"childNodes\":[");
                Written::Open(Context::Normal)
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
                Written::Leaf
            }
            NodeView::Element(view) => {
                let element = element_record(view, context, self.privacy);
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
                        AttributeValue::True => out.push_str("true"),
                    }
                }
                out.push('}');
                if element.is_svg {
                    out.push_str(",\"isSVG\":true");
                }
                if element.is_custom {
                    out.push_str(",\"isCustom\":true");
                }
                out.push_str(",\"childNodes\":[");
                Written::Open(element.child_context)
            }
            NodeView::Text(text) => {
                let (text, is_style) = text_in_context(text, context);
                out.push_str(",\"type\":3,\"textContent\":");
                write_str(out, &text);
                if is_style {
                    out.push_str(",\"isStyle\":true");
                }
                out.push('}');
                Written::Leaf
            }
            NodeView::CData => {
                out.push_str(",\"type\":4,\"textContent\":\"\"}");
                Written::Leaf
            }
            NodeView::Comment(text) => {
                out.push_str(",\"type\":5,\"textContent\":");
                write_str(out, &text);
                out.push('}');
                Written::Leaf
            }
        };
        Some(written)
    }
}

/// An attribute value as rrweb records it: text, or `true` for the live
/// `checked` / `selected` state.
#[derive(Debug, Clone, PartialEq)]
enum AttributeValue {
    Text(String),
    True,
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
    child_context: Context,
}

/// Applies rrweb's recording rules and the privacy rules to an element.
fn element_record(view: ElementView, context: Context, privacy: &PrivacyRules) -> ElementRecord {
    let tag_name = view.tag_name.to_ascii_lowercase();
    let mut attributes = Attributes(
        view.attributes
            .into_iter()
            // Inline handlers (onclick=...) are script: never recorded, like
            // script contents, and a replay must not run or even compile them.
            .filter(|(name, _)| !is_event_handler_attribute(name))
            .map(|(name, value)| (name, AttributeValue::Text(value)))
            .collect(),
    );
    let mut child_context = match context {
        // <optgroup> passes its <select>'s masking on to its options.
        Context::Select { .. } if tag_name == "optgroup" => context,
        _ => Context::Normal,
    };
    match tag_name.as_str() {
        "input" | "textarea" | "select" => {
            let masked = privacy.should_mask_field(&FormField {
                tag_name: &tag_name,
                input_type: text_attribute(&attributes, "type"),
                autocomplete: text_attribute(&attributes, "autocomplete"),
            });
            if let Some(form) = &view.form {
                record_field_state(&tag_name, &mut attributes, form, masked);
            }
            child_context = match tag_name.as_str() {
                "textarea" => Context::Textarea { masked },
                "select" => Context::Select { masked },
                _ => Context::Normal,
            };
        }
        "option" => {
            // Which option is selected is the select's value: hidden when
            // the select is masked, and the live state otherwise.
            attributes.remove("selected");
            let select_masked = match context {
                Context::Select { masked } => masked,
                _ => false,
            };
            if !select_masked && view.form.as_ref().is_some_and(|form| form.selected) {
                attributes.set("selected", AttributeValue::True);
            }
        }
        "style" => {
            // The parsed sheet includes rules added through CSSOM, which the
            // text does not; rrweb's Replayer rebuilds the text from
            // `_cssText` and the blanked text children.
            let css_captured = view.stylesheet.is_some();
            if let Some(css) = view.stylesheet {
                attributes.set("_cssText", AttributeValue::Text(css));
            }
            child_context = Context::Style { css_captured };
        }
        "link" => {
            let is_stylesheet = text_attribute(&attributes, "rel").is_some_and(|rel| {
                rel.split_ascii_whitespace()
                    .any(|token| token.eq_ignore_ascii_case("stylesheet"))
            });
            if let (true, Some(css)) = (is_stylesheet, view.stylesheet) {
                // Inlined so the replay does not depend on the site's server;
                // the Replayer turns this link into a <style>.
                attributes.remove("rel");
                attributes.remove("href");
                attributes.set("_cssText", AttributeValue::Text(css));
            }
        }
        "script" => child_context = Context::Script,
        _ => {}
    }
    ElementRecord {
        tag_name,
        attributes,
        is_svg: view.namespace == Namespace::Svg,
        is_custom: view.is_defined_custom_element,
        child_context,
    }
}

fn is_event_handler_attribute(name: &str) -> bool {
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
            attributes.set("checked", AttributeValue::True);
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

/// The text to record for a text node, and whether it is a style's text.
fn text_in_context(text: String, context: Context) -> (String, bool) {
    match context {
        Context::Style { css_captured: true } => (String::new(), true),
        Context::Style { css_captured: false } => (text, true),
        Context::Script => (String::new(), false),
        Context::Textarea { masked: true } => (mask_value(&text), false),
        _ => (text, false),
    }
}

#[cfg(test)]
mod tests;
