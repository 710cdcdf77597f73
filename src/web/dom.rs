//! The live browser DOM as the core's [`DomTree`], and node ids kept in a
//! per-recording `WeakMap`.

use std::cell::Cell;

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlOptionElement, Node, ShadowRoot, Window};

use wasm_bindgen::prelude::*;

use crate::core::dom::{DomTree, ElementView, FormState, MediaState, Namespace, NodeView, Parent};
use crate::core::event::NodeId;
use crate::core::incremental::SelectionRange;
use crate::core::input::FieldRead;
use crate::core::json::{has_any_byte, split_at_each};
use crate::core::mirror::IdStore;

// What the serializer reads of most nodes, in one call each: every
// property read through web-sys is a JS<->wasm crossing, and every string a
// conversion of its own, so an element read field by field costs a dozen
// crossings and as many conversions; packed, it costs one of each.
#[wasm_bindgen(module = "/src/web/page.js")]
extern "C" {
    #[wasm_bindgen(js_name = describeNode)]
    fn describe_node(node: &Node, scroll_epoch: u32) -> Option<String>;
    #[wasm_bindgen(js_name = childNodesOf)]
    fn child_nodes_of(node: &Node) -> Vec<JsValue>;
    /// The node `event` happened at, inside open shadow roots too.
    #[wasm_bindgen(js_name = eventTarget)]
    pub fn event_target(event: &web_sys::Event) -> Option<Node>;
    #[wasm_bindgen(js_name = numberFor)]
    fn number_for(map: &js_sys::WeakMap, node: &Node) -> f64;
    #[wasm_bindgen(js_name = idOrSet)]
    fn id_or_set(ids: &js_sys::WeakMap, node: &Node, fresh: u32) -> u32;
    /// Any JS value's string form (`String(value)`), never throwing.
    #[wasm_bindgen(js_name = stringOf)]
    pub fn string_of(value: &JsValue) -> String;
    #[wasm_bindgen(js_name = attributeOnlyBatch)]
    fn attribute_only_batch(records: &js_sys::Array, ids: &js_sys::WeakMap) -> Option<String>;
    #[wasm_bindgen(js_name = textOnlyBatch)]
    fn text_only_batch(records: &js_sys::Array, ids: &js_sys::WeakMap) -> Option<String>;
    /// Any batch of observer records: its layout (`core::mutation`'s
    /// `parse_record_layout`), then every node and attribute name the
    /// records hold, in order.
    #[wasm_bindgen(js_name = packRecords)]
    pub fn pack_records(records: &js_sys::Array) -> Vec<JsValue>;
    /// A form field's state packed as `FieldRead::parse` reads it.
    #[wasm_bindgen(js_name = readField)]
    fn pack_field(node: &Node) -> Option<String>;
    #[wasm_bindgen(js_name = selectionRanges)]
    fn pack_selection(
        window: &Window,
        ids: &js_sys::WeakMap,
        event: &web_sys::Event,
        skip_fields: bool,
    ) -> Option<String>;
    /// Observes a document or shadow root for all a recording records.
    #[wasm_bindgen(js_name = observeRoot)]
    pub fn observe_root(observer: &web_sys::MutationObserver, root: &Node);
    /// An uncaught error or rejection event as the data of rrweb's console
    /// plugin event; none for other events.
    #[wasm_bindgen(js_name = describeUncaught)]
    pub fn describe_uncaught(event: &web_sys::Event) -> Option<String>;
    /// A `<style>`'s or `<link>`'s parsed rules, joined, URLs absolute;
    /// none without a sheet, for a cross-origin one, or for one with no
    /// rules.
    #[wasm_bindgen(js_name = sheetText)]
    fn sheet_text(node: &Node) -> Option<String>;
    /// An element's tag name in lower case; none for other nodes.
    #[wasm_bindgen(js_name = lowerTagName)]
    fn lower_tag_name(node: &Node) -> Option<String>;
    /// Whether `tag_name` (as the element has it) is defined as a custom
    /// element in `window`.
    #[wasm_bindgen(js_name = isDefinedElement)]
    fn is_defined_element(window: &Window, tag_name: &str) -> bool;
    /// Whether `value` is a node (of any realm).
    #[wasm_bindgen(js_name = isNode)]
    fn is_node(value: &JsValue) -> bool;
    /// Whether `node` is a shadow root (of any realm).
    #[wasm_bindgen(js_name = isShadowRoot)]
    fn is_shadow_root(node: &Node) -> bool;
    /// Whether `node` is an HTML element of the upper-case `tag_name`
    /// (one crossing, in any realm).
    #[wasm_bindgen(js_name = isHtml)]
    fn is_html(node: &Node, tag_name: &str) -> bool;
    /// One attribute's value, URLs absolute; none when absent.
    #[wasm_bindgen(js_name = attributeOf)]
    pub fn attribute_of(element: &Element, name: &str) -> Option<String>;
    /// The elements matching `selector` in `node`'s own tree (its document,
    /// or the shadow root it is in); none for a selector the browser
    /// rejects.
    #[wasm_bindgen(js_name = inSameTree)]
    pub fn in_same_tree(node: &Node, selector: &str) -> Vec<JsValue>;
    /// A form's fields (`form.elements`).
    #[wasm_bindgen(js_name = formFields)]
    pub fn form_fields(form: &web_sys::HtmlFormElement) -> Vec<JsValue>;
    #[wasm_bindgen(js_name = readNumbers)]
    fn read_numbers(target: &JsValue, what: u32, out: &mut [f64]);
    /// The page's window; none in a worker.
    #[wasm_bindgen(js_name = pageWindow)]
    pub fn page_window() -> Option<Window>;
    /// Whether `document` is still being parsed (`readyState` "loading").
    #[wasm_bindgen(js_name = isLoading)]
    pub fn is_loading(document: &Document) -> bool;
    /// Whether `window`'s document is hidden (`visibilityState`).
    #[wasm_bindgen(js_name = isHidden)]
    pub fn is_hidden(window: &Window) -> bool;
    /// The document of a same-origin frame (none for a cross-origin one);
    /// with `whole`, only once it has its root element.
    #[wasm_bindgen(js_name = frameDocument)]
    pub fn frame_document(frame: &Node, whole: bool) -> Option<Document>;
    /// The page's address; none if it cannot be read.
    #[wasm_bindgen(js_name = pageHref)]
    pub fn page_href(window: &Window) -> Option<String>;
}

/// Numbers read together in one crossing (`readNumbers` in page.js):
/// what each kind reads, in order, is said there.
#[derive(Clone, Copy)]
pub enum Numbers {
    /// Of a media element: paused, currentTime, volume, muted, loop,
    /// playbackRate (booleans as 1.0 or 0.0).
    Media = 0,
    /// Of a mouse or touch event: clientX, clientY (NaN: no touch).
    Pointer = 1,
    /// Of a window or document: scrollX, scrollY (NaN: no window); of an
    /// element: scrollLeft, scrollTop.
    Scroll = 2,
    /// Of a window: innerWidth, innerHeight.
    Viewport = 3,
    /// Of an element: its layout box's width and height.
    LayoutSize = 4,
}

/// The numbers `what` reads of `target`; those it does not read are NaN.
pub fn numbers_of(target: &JsValue, what: Numbers) -> [f64; 6] {
    let mut out = [f64::NAN; 6];
    read_numbers(target, what as u32, &mut out);
    out
}

/// The window's text selection after `event` (a `selectionchange`), its
/// ends as the ids `ids` gave them; ranges with an end never recorded left
/// out. `None`, without reading the selection, for an event fired at a text
/// field when `skip_fields` is set.
pub fn selection_ranges(
    window: &Window,
    ids: &WeakMapIds,
    event: &web_sys::Event,
    skip_fields: bool,
) -> Option<Vec<SelectionRange>> {
    Some(SelectionRange::parse_all(&pack_selection(
        window,
        &ids.0,
        event,
        skip_fields,
    )?))
}

/// The fields of a [`describe_node`] packing from its separator on: its
/// first byte is the separator (U+0001 unless a field holds it), and each
/// field follows one.
fn fields_after_separator(packed: &str) -> Option<crate::core::json::SplitAt<'_>> {
    let separator = *packed.as_bytes().first()?;
    Some(split_at_each(packed.get(1..)?, separator))
}

/// A batch of observer records that only changed attributes the buffer
/// writes plainly, packed by `attributeOnlyBatch` in one crossing (see
/// `core::mutation::parse_attribute_batch`); `None` for other batches.
pub fn attribute_batch(records: &js_sys::Array, ids: &WeakMapIds) -> Option<String> {
    attribute_only_batch(records, &ids.0)
}

/// A batch of observer records that only changed texts, packed by
/// `textOnlyBatch` in one crossing (see `core::mutation::parse_text_batch`);
/// `None` when the batch holds other records.
pub fn text_batch(records: &js_sys::Array, ids: &WeakMapIds) -> Option<String> {
    text_only_batch(records, &ids.0)
}

// Nodes of same-origin frames belong to another JS realm, where
// `instanceof` against this window's classes is false: these casts decide by
// the node type instead, which holds in every realm.

/// `value` as a node, if it is one (of any realm).
pub fn node_of(value: &wasm_bindgen::JsValue) -> Option<Node> {
    is_node(value).then(|| value.clone().unchecked_into())
}

pub fn as_element(node: &Node) -> Option<&Element> {
    (node.node_type() == Node::ELEMENT_NODE).then(|| node.unchecked_ref())
}

/// An element with the given upper-case tag name (HTML elements only).
pub fn as_html<'a, T: JsCast>(node: &'a Node, tag_name: &str) -> Option<&'a T> {
    is_html(node, tag_name).then(|| node.unchecked_ref())
}

pub fn as_shadow_root(node: &Node) -> Option<&ShadowRoot> {
    is_shadow_root(node).then(|| node.unchecked_ref())
}

/// The page's DOM, read through web-sys.
pub struct LiveDom {
    window: Window,
    /// Node -> a number standing for it in the core's hash sets.
    keys: js_sys::WeakMap,
    next_key: Cell<u32>,
    /// Whether reads include an element's scroll offsets: 0 while added
    /// nodes are serialized (see [`LiveDom::reading_added_nodes`]); else
    /// a number new for each full snapshot, which tells `describeNode`
    /// when to match the stylesheets' overflow rules again.
    scroll_epoch: Cell<u32>,
}

impl LiveDom {
    pub fn new(window: Window) -> Self {
        LiveDom {
            window,
            keys: js_sys::WeakMap::new(),
            next_key: Cell::new(1),
            scroll_epoch: Cell::new(1),
        }
    }

    /// Runs `serialize` with reads that leave out scroll offsets, for
    /// nodes just added to the page. Reading an offset makes the browser
    /// lay out at once whatever the page changed since its last frame,
    /// which on a page that renders in many small batches (React) costs
    /// more than all else rewind does; and a node just added has not been
    /// scrolled by a user, while a script that scrolls it right away
    /// makes it fire `scroll`, which the scroll observer records. (rrweb
    /// leaves them out of added nodes too.)
    pub fn reading_added_nodes<R>(&self, serialize: impl FnOnce() -> R) -> R {
        let epoch = self.scroll_epoch.replace(0);
        let result = serialize();
        self.scroll_epoch.set(epoch);
        result
    }

    /// A full snapshot begins: the page's stylesheets may have changed
    /// since the last one, so the elements whose offsets are read (the
    /// ones some rule could make scroll containers) are found again.
    pub fn begin_snapshot(&self) {
        self.scroll_epoch
            .set(self.scroll_epoch.get().wrapping_add(1).max(1));
    }

    /// An element from [`describe_node`]'s packing; `None` if malformed.
    fn unpack_element(&self, element: &Element, packed: &str) -> Option<ElementView> {
        let head = packed.as_bytes();
        let namespace = match head.first()? {
            b'h' => Namespace::Html,
            b's' => Namespace::Svg,
            _ => Namespace::Other,
        };
        let has_shadow_root = *head.get(1)? == b'1';
        let is_scrolled = *head.get(2)? == b'1';
        let mut fields = fields_after_separator(packed.get(3..)?)?;
        let tag_name = fields.next()?.to_owned();
        let mut attributes = Vec::new();
        while let Some(name) = fields.next() {
            attributes.push((name.to_owned(), fields.next()?.to_owned()));
        }
        let mut view = ElementView {
            tag_name,
            namespace,
            attributes,
            has_shadow_root,
            scroll: is_scrolled.then(|| {
                let [left, top, ..] = numbers_of(element, Numbers::Scroll);
                (left, top)
            }),
            ..Default::default()
        };
        self.read_live_state(element, &mut view);
        Some(view)
    }

    /// What attributes do not show: field values, parsed sheets, media
    /// and dialog state, custom element definitions. Only the tags that
    /// have such state cost a crossing.
    fn read_live_state(&self, element: &Element, view: &mut ElementView) {
        if view.namespace == Namespace::Html {
            // In the HTML namespace the tag name fixes the interface, so the
            // unchecked casts below are sound and cost no `instanceof` call.
            match view.tag_name.as_str() {
                "INPUT" | "TEXTAREA" | "SELECT" => {
                    view.form = read_field(element.as_ref()).map(|field| FormState {
                        value: field.value,
                        checked: field.checked,
                        selected: false,
                    });
                }
                "OPTION" => {
                    let option: &HtmlOptionElement = element.unchecked_ref();
                    view.form = Some(FormState {
                        selected: option.selected(),
                        ..Default::default()
                    });
                }
                "STYLE" | "LINK" => view.stylesheet = sheet_text(element.as_ref()),
                "IFRAME" => {
                    view.frame_is_cross_origin = frame_document(element, false).is_none();
                }
                "DIALOG" if attribute_of(element, "open").is_some() => {
                    view.dialog_modal = Some(element.matches("dialog:modal").unwrap_or(false));
                }
                "VIDEO" | "AUDIO" => {
                    let [paused, current_time, volume, muted, looped, playback_rate] =
                        numbers_of(element, Numbers::Media);
                    view.media = Some(MediaState {
                        paused: paused == 1.0,
                        current_time,
                        volume,
                        muted: muted == 1.0,
                        looped: looped == 1.0,
                        playback_rate,
                    });
                }
                _ => {}
            }
        }
        if has_any_byte(&view.tag_name, b"-") {
            view.is_defined_custom_element = is_defined_element(&self.window, &view.tag_name);
        }
    }
}

/// A form field's value as the user sees it, for the snapshot and for
/// input events alike, in one crossing; `None` for nodes that are not
/// fields.
pub fn read_field(node: &Node) -> Option<FieldRead> {
    FieldRead::parse(&pack_field(node)?)
}

impl DomTree for LiveDom {
    type Node = Node;
    type Key = u32;

    fn key(&self, node: &Node) -> u32 {
        let known = number_for(&self.keys, node);
        if known > 0.0 {
            return known as u32;
        }
        let key = self.next_key.get();
        self.next_key.set(key + 1);
        self.keys.set(node.unchecked_ref(), &key.into());
        key
    }

    fn read(&self, node: &Node) -> NodeView {
        // Every kind of node rewind records is read in the one crossing.
        let Some(packed) = describe_node(node, self.scroll_epoch.get()) else {
            return NodeView::Unsupported;
        };
        let rest = packed.get(1..).unwrap_or_default();
        let view = match packed.as_bytes().first() {
            Some(b'T') => Some(NodeView::Text(rest.to_owned())),
            Some(b'C') => Some(NodeView::Comment(rest.to_owned())),
            Some(b'D') => Some(NodeView::CData),
            Some(b'd') => Some(NodeView::Document {
                compat_mode: Some(rest.to_owned()),
            }),
            Some(b'y') => fields_after_separator(rest).map(|mut parts| {
                let mut part = || parts.next().unwrap_or_default().to_owned();
                NodeView::DocumentType {
                    name: part(),
                    public_id: part(),
                    system_id: part(),
                }
            }),
            _ => self
                .unpack_element(node.unchecked_ref(), &packed)
                .map(NodeView::Element),
        };
        view.unwrap_or(NodeView::Unsupported)
    }

    fn child_nodes(&self, node: &Node) -> Vec<Node> {
        // (A loop, not map/collect: less wasm.)
        let mut children = Vec::new();
        for child in child_nodes_of(node) {
            children.push(child.unchecked_into());
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
        lower_tag_name(node)
    }

    fn attribute(&self, node: &Node, name: &str) -> Option<String> {
        attribute_of(as_element(node)?, name)
    }

    fn matches(&self, node: &Node, selector: &str) -> bool {
        as_element(node).is_some_and(|element| element.matches(selector).unwrap_or(false))
    }

    fn layout_size(&self, node: &Node) -> (f64, f64) {
        match as_element(node) {
            Some(element) => {
                let [width, height, ..] = numbers_of(element, Numbers::LayoutSize);
                (width, height)
            }
            None => (0.0, 0.0),
        }
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
        // Ids count from 1: 0 means none.
        let id = number_for(&self.0, node);
        (id > 0.0).then_some(id as NodeId)
    }

    fn set(&mut self, node: &Node, id: NodeId) {
        self.0.set(node.unchecked_ref(), &id.into());
    }

    fn get_or_set(&mut self, node: &Node, fresh: NodeId) -> NodeId {
        id_or_set(&self.0, node, fresh)
    }
}
