//! The rules for what an element and a text record: attributes made
//! absolute or dropped, live form and media state, placeholders for blocked
//! elements, and the privacy context passed down to children and texts.

use crate::core::dom::{DomTree, ElementView, FormState, Namespace};
use crate::core::json::format_number;
use crate::core::mirror::NodeFlags;
use crate::core::privacy::{
    has_any_class, mask_text, mask_value, FormField, PrivacyRules, BLOCK_CLASSES, IGNORE_CLASSES,
    MASK_CLASSES,
};

/// An attribute value as rrweb records it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum AttributeValue {
    Text(String),
    /// Live state (`checked`, `selected`, `rr_mediaMuted`...).
    Bool(bool),
    Number(f64),
}

/// Attributes in DOM order.
#[derive(Debug, Default)]
pub(super) struct Attributes(pub(super) Vec<(String, AttributeValue)>);

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
pub(super) struct ElementRecord {
    pub(super) tag_name: String,
    pub(super) attributes: Attributes,
    pub(super) is_svg: bool,
    pub(super) is_custom: bool,
    /// Flags of the element itself (blocked, ignored, masked field).
    pub(super) own_flags: NodeFlags,
    /// Flags its children are recorded with.
    pub(super) child_context: NodeFlags,
    /// A stylesheet link whose rules could not be read (yet).
    pub(super) awaiting_sheet: bool,
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
pub(super) fn element_record<D: DomTree>(
    view: ElementView,
    context: NodeFlags,
    privacy: &PrivacyRules,
    dom: &D,
    node: &D::Node,
) -> ElementRecord {
    // Lower case like rrweb, whose rebuild restores SVG's mixed-case names.
    let tag_name = view.tag_name.to_ascii_lowercase();
    let mut attributes = Attributes(Vec::with_capacity(view.attributes.len()));
    for (name, value) in view.attributes {
        // Inline handlers (onclick=...) are script: never recorded, like
        // script contents, and a replay must not run or even compile them.
        // (URLs come absolute: the DOM tree resolves them, see `DomTree`.)
        if !is_event_handler_attribute(&name) {
            attributes.0.push((name, AttributeValue::Text(value)));
        }
    }
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
            AttributeValue::Text(format_number(width) + "px"),
        );
        placeholder.set(
            "rr_height",
            AttributeValue::Text(format_number(height) + "px"),
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
                attributes.set("_cssText", AttributeValue::Text(css));
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
                // the Replayer turns this link into a <style>. (Its URLs
                // come resolved against the sheet's own address.)
                attributes.remove("rel");
                attributes.remove("href");
                attributes.set("_cssText", AttributeValue::Text(css));
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
        .map(|t| t.trim_ascii().to_ascii_lowercase())
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
