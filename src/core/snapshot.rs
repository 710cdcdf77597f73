//! The snapshot serializer: a DOM tree into rrweb's serialized nodes.
//!
//! It walks the tree in document order, gives every recorded node the next id
//! from the [`Mirror`] (parents before children, as rrweb does) and applies the
//! [`PrivacyRules`] to each value as it is read, so nothing unmasked is ever
//! held in the output.

use super::dom::{DomTree, ElementView, FormState, Namespace, NodeView};
use super::event::{AttributeValue, Attributes, SerializedElement, SerializedKind, SerializedNode};
use super::mirror::{IdStore, Mirror};
use super::privacy::{mask_value, FormField, PrivacyRules};

/// How deep below the root the serializer descends. Deeper nodes are left out
/// (their element is kept, empty): serde's writer, `Drop` and rrweb's
/// Replayer all recurse per level, and must fit wasm's 1 MiB stack and the
/// browser's JS stack (a browser test records a tree this deep). The HTML
/// parser itself stops nesting at 512, so only script-built pages come near.
pub const MAX_TREE_DEPTH: usize = 1_000;

/// The result of serializing a tree.
#[derive(Debug, Clone, PartialEq)]
pub struct SerializedTree {
    pub root: SerializedNode,
    /// Elements deeper than [`MAX_TREE_DEPTH`] whose children were left out.
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
    let mut serializer = TreeSerializer {
        dom,
        mirror,
        privacy,
        truncated_elements: 0,
    };
    let root = serializer.serialize(root)?;
    Some(SerializedTree {
        root,
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

/// An element whose children are still being serialized.
struct OpenNode<N> {
    node: SerializedNode,
    remaining_children: std::vec::IntoIter<N>,
    child_context: Context,
}

struct TreeSerializer<'a, D: DomTree, S> {
    dom: &'a D,
    mirror: &'a mut Mirror<S>,
    privacy: &'a PrivacyRules,
    truncated_elements: usize,
}

impl<D, S> TreeSerializer<'_, D, S>
where
    D: DomTree,
    S: IdStore<Node = D::Node>,
{
    // An explicit stack rather than recursion keeps the serializer's own
    // stack use flat; the depth cap protects what runs after it.
    fn serialize(&mut self, root: &D::Node) -> Option<SerializedNode> {
        let (node, child_context) = self.serialize_node(root, Context::Normal)?;
        let Some(child_context) = child_context else {
            return Some(node);
        };
        let mut open = vec![OpenNode {
            node,
            remaining_children: self.dom.child_nodes(root).into_iter(),
            child_context,
        }];
        loop {
            let top = open.last_mut().expect("the root stays open until returned");
            match top.remaining_children.next() {
                Some(child) => {
                    let context = top.child_context;
                    let Some((node, grandchild_context)) = self.serialize_node(&child, context)
                    else {
                        continue;
                    };
                    match grandchild_context {
                        Some(_) if open.len() >= MAX_TREE_DEPTH => {
                            self.truncated_elements += 1;
                            push_child(&mut top_of(&mut open).node, node);
                        }
                        Some(child_context) => open.push(OpenNode {
                            node,
                            remaining_children: self.dom.child_nodes(&child).into_iter(),
                            child_context,
                        }),
                        None => push_child(&mut top_of(&mut open).node, node),
                    }
                }
                None => {
                    let finished = open.pop().expect("checked by last_mut above");
                    match open.last_mut() {
                        Some(parent) => push_child(&mut parent.node, finished.node),
                        None => return Some(finished.node),
                    }
                }
            }
        }
    }

    /// Serializes one node without its children. The second value is the
    /// context for its children, `None` for a node that has none.
    fn serialize_node(
        &mut self,
        node: &D::Node,
        context: Context,
    ) -> Option<(SerializedNode, Option<Context>)> {
        let (kind, child_context) = match self.dom.read(node) {
            NodeView::Unsupported => return None,
            NodeView::Document { compat_mode } => (
                SerializedKind::Document {
                    child_nodes: Vec::new(),
                    compat_mode,
                },
                Some(Context::Normal),
            ),
            NodeView::DocumentType {
                name,
                public_id,
                system_id,
            } => (
                SerializedKind::DocumentType {
                    name,
                    public_id,
                    system_id,
                },
                None,
            ),
            NodeView::Element(view) => {
                let (element, child_context) = self.serialize_element(view, context);
                (SerializedKind::Element(element), Some(child_context))
            }
            NodeView::Text(text) => (text_in_context(text, context), None),
            NodeView::CData => (SerializedKind::CData, None),
            NodeView::Comment(text) => (SerializedKind::Comment { text_content: text }, None),
        };
        let id = self.mirror.assign(node);
        Some((SerializedNode { id, kind }, child_context))
    }

    fn serialize_element(&self, view: ElementView, context: Context) -> (SerializedElement, Context) {
        let tag_name = view.tag_name.to_ascii_lowercase();
        let mut attributes = Attributes(
            view.attributes
                .into_iter()
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
                let masked = self.privacy.should_mask_field(&FormField {
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
                // Which option is selected is the select's value: hidden
                // when the select is masked, and the live state otherwise.
                attributes.remove("selected");
                let select_masked = match context {
                    Context::Select { masked } => masked,
                    _ => false,
                };
                if !select_masked && view.form.as_ref().is_some_and(|form| form.selected) {
                    attributes.set("selected", AttributeValue::Bool(true));
                }
            }
            "style" => {
                // The parsed sheet includes rules added through CSSOM, which
                // the text does not; rrweb's Replayer rebuilds the text from
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
                    // Inlined so the replay does not depend on the site's
                    // server; the Replayer turns this link into a <style>.
                    attributes.remove("rel");
                    attributes.remove("href");
                    attributes.set("_cssText", AttributeValue::Text(css));
                }
            }
            "script" => child_context = Context::Script,
            _ => {}
        }
        let element = SerializedElement {
            tag_name,
            attributes,
            child_nodes: Vec::new(),
            is_svg: view.namespace == Namespace::Svg,
            is_custom: view.is_defined_custom_element,
        };
        (element, child_context)
    }
}

/// The open node on top of the stack.
fn top_of<N>(open: &mut [OpenNode<N>]) -> &mut OpenNode<N> {
    open.last_mut().expect("the stack is never empty while serializing")
}

fn push_child(parent: &mut SerializedNode, child: SerializedNode) {
    match &mut parent.kind {
        SerializedKind::Document { child_nodes, .. } => child_nodes.push(child),
        SerializedKind::Element(element) => element.child_nodes.push(child),
        _ => debug_assert!(false, "only documents and elements have children"),
    }
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

fn text_in_context(text: String, context: Context) -> SerializedKind {
    let (text_content, is_style) = match context {
        Context::Style { css_captured: true } => (String::new(), true),
        Context::Style { css_captured: false } => (text, true),
        Context::Script => (String::new(), false),
        Context::Textarea { masked: true } => (mask_value(&text), false),
        _ => (text, false),
    };
    SerializedKind::Text {
        text_content,
        is_style,
    }
}

#[cfg(test)]
mod tests;
