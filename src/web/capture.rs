//! Incremental capture: DOM mutations, user interactions, CSSOM edits,
//! shadow roots, same-origin frames and page errors, each turned into the
//! rrweb event the Replayer applies.
//!
//! Listeners and observers only gather; JSON is written here, and node
//! state is read once per emit, not once per DOM event.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, Event, HtmlIFrameElement, MutationObserver, MutationObserverInit, Node,
};

use crate::core::dom::DomTree;
use crate::core::event::NodeId;
use crate::core::json::{write_number, write_str};
use crate::core::mirror::NodeFlags;
use crate::core::mutation::{
    attribute_batch_json, parse_attribute_batch, parse_text_batch, text_batch_json, MutationBuffer,
    MutationRecord,
};
use crate::core::privacy::mask_value;
use crate::core::snapshot::{serialize_tree, Placement};

use super::dom::{
    as_document, as_element, as_html, as_shadow_root, attribute_batch, event_target, node_of,
    text_batch, LiveDom,
};
use super::guard::{self, Timer};
use super::hooks::{install_hooks, Hooks};
use super::listener::EventListener;
use super::recorder::Recording;
use super::with_recording;

/// Mouse positions are sampled at most this often...
const MOUSE_SAMPLE_MS: f64 = 50.0;
/// ...and sent in batches this long.
const MOUSE_BATCH_MS: u32 = 500;
/// Scrolls and resizes are sent at most this often (the last position wins).
const SCROLL_THROTTLE_MS: u32 = 100;
/// Caps on what an error event records.
const MAX_ERROR_MESSAGE_CHARS: usize = 2_000;
const MAX_STACK_LINES: usize = 30;
/// The events that report rrweb's MediaInteraction types, in type order.
const MEDIA_EVENTS: [&str; 5] = ["play", "pause", "seeked", "volumechange", "ratechange"];
/// Where the media events start in the hooks' `ROOT_EVENTS`, the events
/// the hooks report from inside shadow roots by index: input, change,
/// scroll, reset, then the media events.
const ROOT_MEDIA_EVENTS_AT: u8 = 4;

/// rrweb's MouseInteraction types.
#[derive(Clone, Copy)]
pub enum Interaction {
    MouseUp = 0,
    MouseDown = 1,
    Click = 2,
    ContextMenu = 3,
    DblClick = 4,
    Focus = 5,
    Blur = 6,
    TouchStart = 7,
    TouchEnd = 9,
    TouchCancel = 10,
}

/// The capture state of one recording.
#[derive(Default)]
pub struct Capture {
    pub buffer: MutationBuffer<LiveDom>,
    /// The recording's MutationObserver (at most one, see `observe`).
    observers: Vec<MutationObserver>,
    /// The JS functions observers and hooks call; made once by the web
    /// layer's entry, kept alive there.
    pub mutation_callback: Option<js_sys::Function>,
    pub hook_callback: Option<js_sys::Function>,
    pub self_ref: Weak<RefCell<Recording>>,
    /// Hooks per document key, with the clean-up the guard also holds.
    hooks: Vec<(u32, Hooks, js_sys::Function)>,
    /// Listeners on frame documents and frame elements, dropped on stop.
    frame_listeners: Vec<EventListener>,
    frames_listened: Vec<u32>,
    documents_listened: Vec<u32>,
    /// Frame documents attached since the last full snapshot.
    attached_documents: Vec<u32>,
    /// Hosts recorded without a shadow root that have one now: the replay
    /// has no root to adopt their sheets into until something is added to
    /// it, so their adoptions wait until then.
    rootless_hosts: Vec<(NodeId, Node)>,
    mouse_positions: Vec<(f64, f64, NodeId, f64)>,
    mouse_source: u8,
    last_mouse_sample: f64,
    mouse_timer: Option<Timer>,
    scroll_pending: Vec<(NodeId, Node)>,
    scroll_timer: Option<Timer>,
    resize_timer: Option<Timer>,
    reset_timer: Option<Timer>,
    /// Forms reset since the timer was set: their fields are read then.
    reset_forms: Vec<web_sys::HtmlFormElement>,
    last_viewport: (u32, u32),
    last_inputs: HashMap<NodeId, (String, bool)>,
    last_selection: String,
    pub events_since_checkout: u32,
    pub last_checkout_ms: f64,
}

impl Capture {
    /// Detaches every observer, hook, listener and timer.
    pub fn detach(&mut self) {
        for observer in self.observers.drain(..) {
            guard::drop_observer(&observer);
        }
        for (_, hooks, cleanup) in self.hooks.drain(..) {
            hooks.uninstall();
            guard::remove_cleanup(&cleanup);
        }
        self.frame_listeners.clear();
        self.frames_listened.clear();
        self.documents_listened.clear();
        self.rootless_hosts.clear();
        self.mouse_timer = None;
        self.scroll_timer = None;
        self.resize_timer = None;
        self.reset_timer = None;
        self.reset_forms.clear();
    }

    /// Observes `root` (a document or shadow root) with the recording's one
    /// MutationObserver: one observer for every root keeps all records in
    /// one queue, in the order they happened, so a node moved between a
    /// shadow root and the document is one batch, not two that disagree.
    fn observe(&mut self, root: &Node) {
        if self.observers.is_empty() {
            let Some(callback) = &self.mutation_callback else {
                return;
            };
            self.observers.push(guard::new_observer(callback));
        }
        let init = MutationObserverInit::new();
        init.set_child_list(true);
        init.set_subtree(true);
        init.set_attributes(true);
        init.set_character_data(true);
        let _ = self.observers[0].observe_with_options(root, &init);
    }

    /// Drops what observers gathered but did not deliver: a full snapshot
    /// is about to record the DOM as it is, so those records are stale.
    pub fn forget_pending_mutations(&mut self) {
        for observer in &self.observers {
            let _ = observer.take_records();
        }
        self.buffer = MutationBuffer::new();
    }
}

/// Schedules `action` on the recording after `ms`. (A plain function: a
/// closure of a kind of its own would be one more copy, in the wasm, of the
/// code that runs it.)
pub(super) fn later(
    recording: &Weak<RefCell<Recording>>,
    ms: u32,
    action: fn(&mut Recording),
) -> Timer {
    let weak = recording.clone();
    Timer::once(ms, move || {
        if let Some(recording) = weak.upgrade() {
            with_recording(&recording, action);
        }
    })
}

/// What a DOM event does to the recording.
type Handler = Box<dyn Fn(&mut Recording, &Event)>;

/// A listener callback that passes the event to `action` on the recording.
/// Every listener's is of this one kind: each kind of closure would be one
/// more copy, in the wasm, of the code that runs it.
pub fn on_event(
    recording: &Weak<RefCell<Recording>>,
    action: Handler,
) -> impl FnMut(Event) + 'static {
    let weak = recording.clone();
    move |event| {
        if let Some(recording) = weak.upgrade() {
            with_recording(&recording, |recording| action(recording, &event));
        }
    }
}

/// Listens on `document` for what users do; used for the page and for each
/// same-origin frame.
pub fn listen_to_document(
    recording: &Weak<RefCell<Recording>>,
    document: &Document,
) -> Vec<EventListener> {
    let target: &web_sys::EventTarget = document.as_ref();
    let mut listeners = Vec::new();
    let mut add = |event_type: &'static str, action: Handler| {
        if let Ok(listener) =
            EventListener::new(target, event_type, true, on_event(recording, action))
        {
            listeners.push(listener);
        }
    };
    add("mousemove", Box::new(|r, e| r.on_pointer_move(e, 1)));
    add("touchmove", Box::new(|r, e| r.on_pointer_move(e, 6)));
    for (event_type, kind) in [
        ("mouseup", Interaction::MouseUp),
        ("mousedown", Interaction::MouseDown),
        ("click", Interaction::Click),
        ("contextmenu", Interaction::ContextMenu),
        ("dblclick", Interaction::DblClick),
        ("focus", Interaction::Focus),
        ("blur", Interaction::Blur),
        ("touchstart", Interaction::TouchStart),
        ("touchend", Interaction::TouchEnd),
        ("touchcancel", Interaction::TouchCancel),
    ] {
        add(event_type, Box::new(move |r, e| r.on_interaction(e, kind)));
    }
    add("scroll", Box::new(|r, e| r.on_scroll(e)));
    add("input", Box::new(|r, e| r.on_input_event(e)));
    add("change", Box::new(|r, e| r.on_input_event(e)));
    for (kind, event_type) in (0u8..).zip(MEDIA_EVENTS) {
        add(event_type, Box::new(move |r, e| r.on_media(e, kind)));
    }
    add("selectionchange", Box::new(|r, _| r.on_selection()));
    add("reset", Box::new(|r, e| r.on_form_reset(e)));
    listeners
}

/// Listens on the page's window: viewport size and uncaught errors.
pub fn listen_to_window(
    recording: &Weak<RefCell<Recording>>,
    window: &web_sys::Window,
) -> Vec<EventListener> {
    let target: &web_sys::EventTarget = window.as_ref();
    let mut listeners = Vec::new();
    let entries: [(&'static str, Handler); 3] = [
        ("resize", Box::new(|r, _| r.on_resize())),
        ("error", Box::new(|r, e| r.on_error(e))),
        ("unhandledrejection", Box::new(|r, e| r.on_rejection(e))),
    ];
    for (event_type, action) in entries {
        // Not capture: `error` in the capture phase also fires for every
        // failed <img>/<script> load, which is not an uncaught error.
        if let Ok(listener) =
            EventListener::new(target, event_type, false, on_event(recording, action))
        {
            listeners.push(listener);
        }
    }
    listeners
}

/// The mutation observers' callback.
pub fn mutation_callback(
    recording: &Weak<RefCell<Recording>>,
) -> Closure<dyn FnMut(js_sys::Array)> {
    let weak = recording.clone();
    Closure::new(move |records: js_sys::Array| {
        if let Some(recording) = weak.upgrade() {
            with_recording(&recording, |recording| recording.on_mutations(&records));
        }
    })
}

/// The hooks' callback: `(kind, node, styleId, payload)`.
pub fn hook_callback(
    recording: &Weak<RefCell<Recording>>,
) -> Closure<dyn FnMut(String, JsValue, f64, String)> {
    let weak = recording.clone();
    Closure::new(
        move |kind: String, node: JsValue, style_id: f64, payload: String| {
            if let Some(recording) = weak.upgrade() {
                with_recording(&recording, |recording| {
                    recording.on_hook(&kind, &node, style_id, &payload)
                });
            }
        },
    )
}

fn element_target(event: &Event) -> Option<Element> {
    event_target(event).and_then(|node| as_element(&node).cloned())
}

impl Recording {
    fn capture_mut(&mut self) -> &mut Capture {
        &mut self.capture
    }

    /// Observes `document` afresh and hooks it, as a full snapshot of it
    /// begins; shadow roots and frames are added as the snapshot meets them.
    pub(super) fn watch_document(&mut self, document: &Document) {
        let capture = self.capture_mut();
        for observer in capture.observers.drain(..) {
            guard::drop_observer(&observer);
        }
        capture.attached_documents.clear();
        // A full snapshot writes every host with its root.
        capture.rootless_hosts.clear();
        capture.observe(document.as_ref());
        self.install_hooks_for(document);
    }

    /// The snapshot of `document` has begun: from now until it ends (see
    /// [`Recording::emit_sheet_definitions`]), its roots' adoptions name
    /// their sheets and the rules follow at the end.
    pub(super) fn begin_sheet_walk(&mut self, document: &Document) {
        if let Some((_, hooks, _)) = self.capture.hooks.first() {
            hooks.snapshot_sheets(document.as_ref(), false);
        }
    }

    /// A stylesheet link recorded before its sheet loaded gets its rules
    /// sent as `_cssText` once it loads (the replay turns it into a style).
    pub(super) fn await_sheets(&mut self, links: Vec<Node>) {
        for link in links {
            let loaded = link.clone();
            let on_load = on_event(
                &self.capture.self_ref,
                Box::new(move |recording, _| recording.on_sheet_loaded(&loaded)),
            );
            if let Ok(listener) = EventListener::new(link.as_ref(), "load", false, on_load) {
                self.capture.frame_listeners.push(listener);
            }
        }
    }

    fn on_sheet_loaded(&mut self, link: &Node) {
        if !self.is_capturing() {
            return;
        }
        let Some(id) = self.mirror.id_of(link) else {
            return;
        };
        let crate::core::dom::NodeView::Element(view) = self.dom.read(link) else {
            return;
        };
        let Some(css) = view.stylesheet else { return };
        let href = as_element(link)
            .and_then(|element| element.get_attribute("href"))
            .map(|href| crate::core::url::resolve(&self.dom.base_url(link), &href))
            .unwrap_or_else(|| self.dom.base_url(link));
        let mut data = format!("{{\"source\":0,\"texts\":[],\"attributes\":[{{\"id\":{id},\"attributes\":{{\"_cssText\":");
        write_str(&mut data, &crate::core::url::absolutize_css(&css, &href));
        data.push_str("}}],\"removes\":[],\"adds\":[]}");
        self.record_incremental(data);
    }

    fn install_hooks_for(&mut self, document: &Document) {
        let key = self.dom.key(document.as_ref());
        let capture = &mut self.capture;
        if capture.hooks.iter().any(|(hooked, _, _)| *hooked == key) {
            return;
        }
        let (Some(callback), Some(window)) = (&capture.hook_callback, document.default_view())
        else {
            return;
        };
        // Guarded: an error on rewind's side of a hook poisons rewind, never
        // the page's CSSOM call or value assignment.
        let first = capture.hooks.first().map(|(_, hooks, _)| hooks);
        let hooks = install_hooks(window.as_ref(), &guard::guard(callback), first);
        let Ok(cleanup) = js_sys::Reflect::get(&hooks, &"uninstall".into())
            .and_then(|uninstall| uninstall.dyn_into::<js_sys::Function>())
        else {
            return;
        };
        let cleanup = cleanup.bind0(&hooks);
        guard::add_cleanup(&cleanup);
        capture.hooks.push((key, hooks, cleanup));
    }

    /// Observes the shadow roots of `hosts`, listens there for what does
    /// not leave them, and records their adopted sheets.
    pub(super) fn observe_shadow_hosts(&mut self, hosts: Vec<Node>) {
        for host in hosts {
            let Some(root) = as_element(&host).and_then(Element::shadow_root) else {
                continue;
            };
            self.capture.observe(root.as_ref());
            self.emit_adopted(&host, root.as_ref(), false);
        }
    }

    /// An event that did not leave the shadow root it happened in (the
    /// hooks listen there), which the document's listeners never see;
    /// `index` is its type's in the hooks' `ROOT_EVENTS`.
    fn on_shadow_root_event(&mut self, event: &Event, index: u8) {
        match index {
            0 | 1 => self.on_input_event(event),
            2 => self.on_scroll(event),
            3 => self.on_form_reset(event),
            4..=8 => self.on_media(event, index - ROOT_MEDIA_EVENTS_AT),
            _ => {}
        }
    }

    /// Records the AdoptedStyleSheet event of `root` (a document or shadow
    /// root) under the id of `owner` (the document or the host), once the
    /// replay has the root; the hooks listen on the root from then on (a
    /// root attached while recording, from the start). Nothing when it
    /// adopts no sheet, unless `always` (the page just set its sheets).
    fn emit_adopted(&mut self, owner: &Node, root: &Node, always: bool) {
        let Some(id) = self.mirror.id_of(owner) else {
            return;
        };
        if !self.replay_has_root(owner, id) {
            self.defer_adoption(owner, id);
            return;
        }
        let Some(payload) = self
            .capture
            .hooks
            .first()
            .and_then(|(_, hooks, _)| hooks.meet(root, always))
        else {
            return;
        };
        self.record_adopted(id, &payload, js_sys::Date::now());
    }

    fn record_adopted(&mut self, id: NodeId, payload: &str, timestamp: f64) {
        self.record_incremental_at(
            format!("{{\"source\":15,\"id\":{id},{payload}}}"),
            timestamp,
        );
    }

    /// Whether the replay has the root `owner` adopts into: a document
    /// always; a host once it was written with its root, or something was
    /// added into the root (the Replayer attaches a root for that).
    fn replay_has_root(&self, owner: &Node, id: NodeId) -> bool {
        self.mirror.flags(id).contains(NodeFlags::SHADOW_HOST)
            || owner.node_type() != Node::ELEMENT_NODE
    }

    fn defer_adoption(&mut self, host: &Node, id: NodeId) {
        let waiting = &mut self.capture.rootless_hosts;
        if !waiting.iter().any(|(waiting_id, _)| *waiting_id == id) {
            waiting.push((id, host.clone()));
        }
    }

    /// Records the adoptions deferred for hosts whose root the replay now
    /// has (a Mutation just added into it), and lets go of the hosts the
    /// replay no longer has at all (removed: the mirror forgot them).
    fn adopt_into_new_roots(&mut self) {
        while let Some(at) = self.capture.rootless_hosts.iter().position(|(id, _)| {
            self.mirror.flags(*id).contains(NodeFlags::SHADOW_HOST)
                || self.mirror.replay_parent(*id).is_none()
        }) {
            let (id, host) = self.capture.rootless_hosts.swap_remove(at);
            if !self.mirror.flags(id).contains(NodeFlags::SHADOW_HOST) {
                continue;
            }
            if let Some(root) = as_element(&host).and_then(Element::shadow_root) {
                self.emit_adopted(&host, root.as_ref(), false);
            }
        }
    }

    /// Ends the snapshot's sheet walk (see [`Recording::begin_sheet_walk`])
    /// with one event for `document`, at the snapshot's `timestamp`: the
    /// rules of every sheet its roots named, and its own adopted sheets.
    /// Recorded before the roots' events, it comes first in the replay.
    pub(super) fn emit_sheet_definitions(&mut self, document: &Document, timestamp: f64) {
        let Some(payload) = self
            .capture
            .hooks
            .first()
            .and_then(|(_, hooks, _)| hooks.snapshot_sheets(document.as_ref(), true))
        else {
            return;
        };
        if let Some(id) = self.mirror.id_of(document.as_ref()) {
            self.record_adopted(id, &payload, timestamp);
        }
    }

    /// Records a same-origin frame's document as an `isAttachIframe`
    /// mutation, observes it, and re-attaches it whenever the frame loads.
    pub(super) fn attach_frame(&mut self, frame: &Node) {
        self.attach_frame_document(frame, false);
    }

    /// `reload`: the frame fired `load`, so even a document attached before
    /// is recorded again (its stylesheets and images have arrived).
    fn attach_frame_document(&mut self, frame: &Node, reload: bool) {
        let Some(frame_id) = self.mirror.id_of(frame) else {
            return;
        };
        let frame_key = self.dom.key(frame);
        if !self.capture.frames_listened.contains(&frame_key) {
            self.capture.frames_listened.push(frame_key);
            let weak = self.capture.self_ref.clone();
            let loaded = frame.clone();
            let on_load = on_event(
                &weak,
                Box::new(move |recording, _| recording.attach_frame_document(&loaded, true)),
            );
            if let Ok(listener) = EventListener::new(frame.as_ref(), "load", false, on_load) {
                self.capture.frame_listeners.push(listener);
            }
        }
        let Some(document) = as_html::<HtmlIFrameElement>(frame, "IFRAME")
            .and_then(HtmlIFrameElement::content_document)
        else {
            return;
        };
        if document.document_element().is_none() {
            return;
        }
        let document_key = self.dom.key(document.as_ref());
        let seen = self.capture.attached_documents.contains(&document_key);
        if seen && !reload {
            return;
        }
        if !seen {
            self.capture.attached_documents.push(document_key);
        }
        // Records about the frame's old state are stale once it is re-read.
        self.flush_mutation_records();
        let Some(tree) = serialize_tree(
            &self.dom,
            &mut self.mirror,
            &self.options.privacy,
            document.as_ref(),
            Placement {
                parent_id: Some(frame_id),
                ..Placement::default()
            },
        ) else {
            return;
        };
        self.record_incremental(format!(
            "{{\"source\":0,\"adds\":[{{\"parentId\":{frame_id},\"nextId\":null,\"node\":{}}}],\"removes\":[],\"texts\":[],\"attributes\":[],\"isAttachIframe\":true}}",
            tree.node.0
        ));
        if !seen {
            self.capture.observe(document.as_ref());
        }
        if !self.capture.documents_listened.contains(&document_key) {
            self.capture.documents_listened.push(document_key);
            let listeners = listen_to_document(&self.capture.self_ref, &document);
            self.capture.frame_listeners.extend(listeners);
        }
        self.install_hooks_for(&document);
        self.emit_adopted(document.as_ref(), document.as_ref(), false);
        self.observe_shadow_hosts(tree.shadow_hosts);
        self.await_sheets(tree.pending_links);
        for inner in tree.iframes {
            self.attach_frame(&inner);
        }
    }

    pub fn on_mutations(&mut self, records: &js_sys::Array) {
        if !self.is_capturing() {
            return;
        }
        if self.snapshot.is_none()
            && self.capture.buffer.is_empty()
            && (self.record_text_batch(records) || self.record_attribute_batch(records))
        {
            return;
        }
        let mut media_changed: Vec<Node> = Vec::new();
        let mut fields_changed: Vec<Node> = Vec::new();
        let mut converted_records = Vec::with_capacity(records.length() as usize);
        for record in records.iter() {
            let record: web_sys::MutationRecord = record.unchecked_into();
            let Some(target) = record.target() else {
                continue;
            };
            let converted = match record.type_().as_str() {
                "childList" => {
                    let (target, in_shadow) = match as_shadow_root(&target) {
                        Some(root) => (root.host().into(), true),
                        None => (target, false),
                    };
                    MutationRecord::ChildList {
                        target,
                        in_shadow,
                        added: node_list(&record.added_nodes()),
                        removed: node_list(&record.removed_nodes()),
                    }
                }
                "characterData" => MutationRecord::CharacterData { target },
                "attributes" => match record.attribute_name() {
                    Some(name)
                        if matches!(name.as_str(), "loop" | "muted")
                            && self
                                .dom
                                .read_tag_name(&target)
                                .is_some_and(|tag| tag == "video" || tag == "audio") =>
                    {
                        media_changed.push(target.clone());
                        MutationRecord::Attribute { target, name }
                    }
                    // Frameworks that set a field's value through a setter
                    // captured before rewind loaded (React's value tracker)
                    // bypass the hook, but they also sync the attribute.
                    Some(name) if name == "value" => {
                        fields_changed.push(target.clone());
                        MutationRecord::Attribute { target, name }
                    }
                    // The record names a namespaced attribute by its local
                    // name; the page wrote (and the replay sets) `xlink:href`.
                    Some(name) => MutationRecord::Attribute {
                        target,
                        name: qualified_name(record.attribute_namespace().as_deref(), name),
                    },
                    None => continue,
                },
                _ => continue,
            };
            converted_records.push(converted);
        }
        if let Some(pending) = &mut self.snapshot {
            // A snapshot is under way: its finish brings these in.
            pending.keep_records(converted_records);
        } else {
            for converted in converted_records {
                self.capture
                    .buffer
                    .process(&self.dom, &self.mirror, converted);
            }
            self.emit_mutations();
        }
        for field in fields_changed {
            if let Some(element) = as_element(&field) {
                self.on_value(element, false);
            }
        }
        for target in media_changed {
            let media = as_html::<web_sys::HtmlMediaElement>(&target, "VIDEO")
                .or_else(|| as_html::<web_sys::HtmlMediaElement>(&target, "AUDIO"))
                .cloned();
            if let Some(media) = media {
                // VolumeChange: the state event that starts nothing playing.
                self.record_media_state(&target, &media, 3);
            }
        }
    }

    /// The common case of a page updating texts (prices, counters,
    /// timers): a batch of text changes only is read in one crossing and
    /// written straight away. False when the batch is not of that kind.
    fn record_text_batch(&mut self, records: &js_sys::Array) -> bool {
        let Some(packed) = text_batch(records, self.mirror.store()) else {
            return false;
        };
        let Some(changes) = parse_text_batch(&packed) else {
            return false;
        };
        if changes.is_empty() {
            // Only detached or unrecorded nodes changed.
            return true;
        }
        match text_batch_json(&changes, &self.mirror, &self.options.privacy) {
            Some(json) => {
                self.record_incremental(json);
                true
            }
            None => false,
        }
    }

    /// Likewise for a batch of attribute changes only (classes, styles,
    /// data attributes), the other common case.
    fn record_attribute_batch(&mut self, records: &js_sys::Array) -> bool {
        let Some(packed) = attribute_batch(records, self.mirror.store()) else {
            return false;
        };
        let Some(changes) = parse_attribute_batch(&packed) else {
            return false;
        };
        if let Some(json) = attribute_batch_json(&changes, &self.mirror) {
            self.record_incremental(json);
        }
        true
    }

    /// Writes what the buffer gathered as one Mutation event.
    pub fn emit_mutations(&mut self) {
        self.emit_mutations_at(js_sys::Date::now());
    }

    /// Like [`Recording::emit_mutations`], with the event at `timestamp`.
    pub(super) fn emit_mutations_at(&mut self, timestamp: f64) {
        if self.capture.buffer.is_empty() {
            return;
        }
        let Some(emitted) =
            self.capture
                .buffer
                .emit(&self.dom, &mut self.mirror, &self.options.privacy)
        else {
            return;
        };
        self.record_incremental_at(emitted.data_json, timestamp);
        self.adopt_into_new_roots();
        self.observe_shadow_hosts(emitted.shadow_hosts);
        self.await_sheets(emitted.pending_links);
        for frame in emitted.iframes {
            self.attach_frame(&frame);
        }
    }

    pub fn on_hook(&mut self, kind: &str, node: &JsValue, style_id: f64, payload: &str) {
        if !self.is_capturing() {
            return;
        }
        if kind == "flush" {
            self.flush_mutation_records();
            return;
        }
        if kind == "event" {
            // The index travels as the styleId argument.
            self.on_shadow_root_event(node.unchecked_ref(), style_id as u8);
            return;
        }
        let node: Option<Node> = node_of(node);
        if kind == "adopted" {
            // `node` is the document or shadow root that adopted.
            if let Some(root) = node {
                let owner = as_shadow_root(&root).map_or_else(|| root.clone(), |r| r.host().into());
                self.emit_adopted(&owner, &root, true);
            }
            return;
        }
        let target = match (&node, style_id) {
            (Some(node), _) => match self.mirror.id_of(node) {
                Some(id) => format!("\"id\":{id}"),
                None => return,
            },
            (None, id) if id > 0.0 => format!("\"styleId\":{}", id as u32),
            _ => return,
        };
        match kind {
            "rule" => self.record_incremental(format!("{{\"source\":8,{target},{payload}}}")),
            "declaration" => {
                self.record_incremental(format!("{{\"source\":13,{target},{payload}}}"))
            }
            "shadow" => {
                if let Some(host) = node.filter(|host| self.mirror.id_of(host).is_some()) {
                    self.observe_shadow_hosts(vec![host]);
                }
            }
            "value" => {
                if let Some(element) = node.as_ref().and_then(as_element) {
                    self.on_value(element, false);
                }
            }
            _ => {}
        }
    }

    /// Runs the observers' pending records through the buffer now.
    pub(super) fn flush_mutation_records(&mut self) {
        let pending: Vec<js_sys::Array> = self
            .capture
            .observers
            .iter()
            .map(MutationObserver::take_records)
            .collect();
        for records in pending {
            if records.length() > 0 {
                self.on_mutations(&records);
            }
        }
    }

    pub fn on_pointer_move(&mut self, event: &Event, source: u8) {
        if !self.is_capturing() {
            return;
        }
        let now = js_sys::Date::now();
        if now - self.capture.last_mouse_sample < MOUSE_SAMPLE_MS {
            return;
        }
        let Some(id) = event_target(event).and_then(|node| self.mirror.id_of(&node)) else {
            return;
        };
        let Some((x, y)) = pointer_position(event) else {
            return;
        };
        if self.capture.mouse_source != source && !self.capture.mouse_positions.is_empty() {
            self.flush_mouse();
        }
        self.capture.last_mouse_sample = now;
        self.capture.mouse_source = source;
        self.capture.mouse_positions.push((x, y, id, now));
        if self.capture.mouse_timer.is_none() {
            self.capture.mouse_timer = Some(later(
                &self.capture.self_ref,
                MOUSE_BATCH_MS,
                Recording::flush_mouse,
            ));
        }
    }

    /// Sends the sampled positions as one event, each with its (negative)
    /// offset from the event's timestamp.
    pub fn flush_mouse(&mut self) {
        self.capture.mouse_timer = None;
        let positions = std::mem::take(&mut self.capture.mouse_positions);
        if positions.is_empty() {
            return;
        }
        let now = js_sys::Date::now();
        let mut data = format!("{{\"source\":{},\"positions\":[", self.capture.mouse_source);
        for (index, (x, y, id, at)) in positions.iter().enumerate() {
            if index > 0 {
                data.push(',');
            }
            data.push_str("{\"x\":");
            write_number(&mut data, *x);
            data.push_str(",\"y\":");
            write_number(&mut data, *y);
            let _ = write!(data, ",\"id\":{id},\"timeOffset\":");
            write_number(&mut data, (at - now).min(0.0));
            data.push('}');
        }
        data.push_str("]}");
        self.record_incremental_at(data, now);
    }

    pub fn on_interaction(&mut self, event: &Event, kind: Interaction) {
        if !self.is_capturing() {
            return;
        }
        let Some(target) = event_target(event) else {
            return;
        };
        if target.node_type() == Node::DOCUMENT_NODE
            && matches!(kind, Interaction::Focus | Interaction::Blur)
        {
            return;
        }
        let Some(id) = self.mirror.id_of(&target) else {
            return;
        };
        let mut data = format!("{{\"source\":2,\"type\":{},\"id\":{id}", kind as u8);
        if !matches!(kind, Interaction::Focus | Interaction::Blur) {
            if let Some((x, y)) = pointer_position(event) {
                data.push_str(",\"x\":");
                write_number(&mut data, x);
                data.push_str(",\"y\":");
                write_number(&mut data, y);
            }
            let pointer_type = if event.type_().starts_with("touch") {
                2
            } else {
                0
            };
            let _ = write!(data, ",\"pointerType\":{pointer_type}");
        }
        data.push('}');
        self.flush_mouse();
        self.record_incremental(data);
    }

    pub fn on_scroll(&mut self, event: &Event) {
        if !self.is_capturing() {
            return;
        }
        let Some(target) = event_target(event) else {
            return;
        };
        let Some(id) = self.mirror.id_of(&target) else {
            return;
        };
        if !self
            .capture
            .scroll_pending
            .iter()
            .any(|(pending, _)| *pending == id)
        {
            self.capture.scroll_pending.push((id, target));
        }
        if self.capture.scroll_timer.is_none() {
            self.capture.scroll_timer = Some(later(
                &self.capture.self_ref,
                SCROLL_THROTTLE_MS,
                Recording::flush_scrolls,
            ));
        }
    }

    /// Sends the current position of everything that scrolled.
    pub fn flush_scrolls(&mut self) {
        self.capture.scroll_timer = None;
        for (id, target) in std::mem::take(&mut self.capture.scroll_pending) {
            let (x, y) = match as_document(&target) {
                Some(document) => match document.default_view() {
                    Some(view) => (
                        view.scroll_x().unwrap_or(0.0),
                        view.scroll_y().unwrap_or(0.0),
                    ),
                    None => continue,
                },
                None => match as_element(&target) {
                    Some(element) => (
                        f64::from(element.scroll_left()),
                        f64::from(element.scroll_top()),
                    ),
                    None => continue,
                },
            };
            let mut data = format!("{{\"source\":3,\"id\":{id},\"x\":");
            write_number(&mut data, x);
            data.push_str(",\"y\":");
            write_number(&mut data, y);
            data.push('}');
            self.record_incremental(data);
        }
    }

    pub fn on_resize(&mut self) {
        if self.is_capturing() && self.capture.resize_timer.is_none() {
            self.capture.resize_timer = Some(later(
                &self.capture.self_ref,
                SCROLL_THROTTLE_MS,
                Recording::flush_resize,
            ));
        }
    }

    fn flush_resize(&mut self) {
        self.capture.resize_timer = None;
        let size = self.viewport_size();
        if size == self.capture.last_viewport {
            return;
        }
        self.capture.last_viewport = size;
        self.record_incremental(format!(
            "{{\"source\":4,\"width\":{},\"height\":{}}}",
            size.0, size.1
        ));
    }

    pub fn note_viewport(&mut self, size: (u32, u32)) {
        self.capture.last_viewport = size;
    }

    pub fn on_input_event(&mut self, event: &Event) {
        if let Some(element) = element_target(event) {
            self.on_value(&element, event.is_trusted());
        }
    }

    /// Records a field's value: masked per the privacy rules, never for
    /// ignored fields, once per distinct value.
    fn on_value(&mut self, element: &Element, user_triggered: bool) {
        if !self.is_capturing() {
            return;
        }
        let tag = element.tag_name();
        let (value, checked, kind) = match tag.as_str() {
            "INPUT" => {
                let input: &web_sys::HtmlInputElement = element.unchecked_ref();
                (
                    input.value(),
                    input.checked(),
                    input.type_().to_ascii_lowercase(),
                )
            }
            "TEXTAREA" => (
                element
                    .unchecked_ref::<web_sys::HtmlTextAreaElement>()
                    .value(),
                false,
                String::new(),
            ),
            "SELECT" => (
                element
                    .unchecked_ref::<web_sys::HtmlSelectElement>()
                    .value(),
                false,
                "select".to_owned(),
            ),
            _ => return,
        };
        let node: &Node = element.as_ref();
        let Some(id) = self.mirror.id_of(node) else {
            return;
        };
        let flags = self.mirror.flags(id);
        if flags.contains(NodeFlags::IGNORED) {
            return;
        }
        let is_toggle = kind == "checkbox" || kind == "radio";
        let masked = flags.contains(NodeFlags::FIELD_MASKED);
        if masked && kind == "select" {
            // A masked select shows no choice in the replay; setting its
            // value to asterisks would select nothing instead.
            return;
        }
        let text = if masked && !is_toggle {
            mask_value(&value)
        } else {
            value
        };
        if self.capture.last_inputs.get(&id) == Some(&(text.clone(), checked)) {
            return;
        }
        self.capture.last_inputs.insert(id, (text.clone(), checked));
        self.flush_mutation_records();
        self.record_incremental(input_event_json(id, &text, checked, user_triggered));
        if kind == "radio" && checked {
            // The radios of the same group were unchecked without an event.
            let name = element.get_attribute("name").unwrap_or_default();
            if name.is_empty() || name.contains(['"', '\\']) {
                return;
            }
            // The group is in the field's own tree: its document, or the
            // shadow root it is in (typed as a document here: both have
            // the querySelectorAll called).
            let mut tree = node.clone();
            while let Some(parent) = tree.parent_node() {
                tree = parent;
            }
            let tree: Document = tree.unchecked_into();
            let Ok(group) = tree.query_selector_all(&format!("input[type=radio][name=\"{name}\"]"))
            else {
                return;
            };
            for index in 0..group.length() {
                let Some(other) = group.item(index) else {
                    continue;
                };
                if other == *node {
                    continue;
                }
                let Some(other_id) = self.mirror.id_of(&other) else {
                    continue;
                };
                let other_value = other.unchecked_ref::<web_sys::HtmlInputElement>().value();
                if self.capture.last_inputs.get(&other_id) == Some(&(other_value.clone(), false)) {
                    continue;
                }
                self.capture
                    .last_inputs
                    .insert(other_id, (other_value.clone(), false));
                self.record_incremental(input_event_json(
                    other_id,
                    &other_value,
                    false,
                    user_triggered,
                ));
            }
        }
    }

    /// A form reset puts every field back to its default without an input
    /// event; the fields are read once the reset is done.
    pub fn on_form_reset(&mut self, event: &Event) {
        let Some(form) = event_target(event)
            .and_then(|node| as_html::<web_sys::HtmlFormElement>(&node, "FORM").cloned())
        else {
            return;
        };
        self.capture.reset_forms.push(form);
        if self.capture.reset_timer.is_none() {
            self.capture.reset_timer = Some(later(
                &self.capture.self_ref,
                0,
                Recording::read_reset_forms,
            ));
        }
    }

    fn read_reset_forms(&mut self) {
        self.capture.reset_timer = None;
        for form in std::mem::take(&mut self.capture.reset_forms) {
            let fields = form.elements();
            for index in 0..fields.length() {
                if let Some(field) = fields.item(index) {
                    self.on_value(&field, true);
                }
            }
        }
    }

    pub fn on_media(&mut self, event: &Event, kind: u8) {
        if !self.is_capturing() {
            return;
        }
        let Some(target) = event_target(event) else {
            return;
        };
        let Some(media) = as_html::<web_sys::HtmlMediaElement>(&target, "VIDEO")
            .or_else(|| as_html::<web_sys::HtmlMediaElement>(&target, "AUDIO"))
        else {
            return;
        };
        self.record_media_state(&target, media, kind);
    }

    /// A MediaInteraction with the element's whole state: the Replayer
    /// sets muted and loop from the last one it saw.
    fn record_media_state(&mut self, target: &Node, media: &web_sys::HtmlMediaElement, kind: u8) {
        let Some(id) = self.mirror.id_of(target) else {
            return;
        };
        let mut data = format!("{{\"source\":7,\"type\":{kind},\"id\":{id},\"currentTime\":");
        write_number(&mut data, media.current_time());
        data.push_str(",\"volume\":");
        write_number(&mut data, media.volume());
        let _ = write!(
            data,
            ",\"muted\":{},\"loop\":{},\"playbackRate\":",
            media.muted(),
            media.loop_()
        );
        write_number(&mut data, media.playback_rate());
        data.push('}');
        self.record_incremental(data);
    }

    pub fn on_selection(&mut self) {
        if !self.is_capturing() {
            return;
        }
        let Some(selection) = self.window.get_selection().ok().flatten() else {
            return;
        };
        let mut ranges = String::new();
        for index in 0..selection.range_count() {
            let Ok(range) = selection.get_range_at(index) else {
                continue;
            };
            let (Ok(start), Ok(end)) = (range.start_container(), range.end_container()) else {
                continue;
            };
            let (Some(start_id), Some(end_id)) =
                (self.mirror.id_of(&start), self.mirror.id_of(&end))
            else {
                continue;
            };
            if !ranges.is_empty() {
                ranges.push(',');
            }
            let _ = write!(
                ranges,
                "{{\"start\":{start_id},\"startOffset\":{},\"end\":{end_id},\"endOffset\":{}}}",
                range.start_offset().unwrap_or(0),
                range.end_offset().unwrap_or(0)
            );
        }
        if ranges == self.capture.last_selection {
            return;
        }
        self.capture.last_selection = ranges.clone();
        self.record_incremental(format!("{{\"source\":14,\"ranges\":[{ranges}]}}"));
    }

    pub fn on_error(&mut self, event: &Event) {
        let Some(error_event) = event.dyn_ref::<web_sys::ErrorEvent>() else {
            return;
        };
        let message = error_event.message();
        let stack = stack_of(&error_event.error());
        self.record_error(&message, stack.as_deref());
    }

    pub fn on_rejection(&mut self, event: &Event) {
        let Some(rejection) = event.dyn_ref::<web_sys::PromiseRejectionEvent>() else {
            return;
        };
        let reason = rejection.reason();
        let message = match reason.dyn_ref::<js_sys::Error>() {
            Some(error) => format!(
                "Uncaught (in promise) {}: {}",
                String::from(error.name()),
                String::from(error.message())
            ),
            None => format!("Uncaught (in promise) {}", super::dom::string_of(&reason)),
        };
        self.record_error(&message, stack_of(&reason).as_deref());
    }

    /// An `rrweb/console@1` event at level error: shown in the replay's
    /// console panel, size-capped.
    fn record_error(&mut self, message: &str, stack: Option<&str>) {
        if !self.is_capturing() {
            return;
        }
        let message: String = message.chars().take(MAX_ERROR_MESSAGE_CHARS).collect();
        let mut data = String::from(
            "{\"plugin\":\"rrweb/console@1\",\"payload\":{\"level\":\"error\",\"trace\":[",
        );
        let lines = stack
            .unwrap_or("")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && *line != message)
            .take(MAX_STACK_LINES);
        for (index, line) in lines.enumerate() {
            if index > 0 {
                data.push(',');
            }
            let line: String = line.chars().take(500).collect();
            write_str(&mut data, &line);
        }
        data.push_str("],\"payload\":[");
        // rrweb's console plugin stores each argument as its JSON text.
        let mut quoted = String::new();
        write_str(&mut quoted, &message);
        write_str(&mut data, &quoted);
        data.push_str("]}}");
        self.record_plugin(data);
    }
}

fn qualified_name(namespace: Option<&str>, local_name: String) -> String {
    let prefix = match namespace {
        Some("http://www.w3.org/1999/xlink") => "xlink:",
        Some("http://www.w3.org/XML/1998/namespace") => "xml:",
        Some("http://www.w3.org/2000/xmlns/") if local_name != "xmlns" => "xmlns:",
        _ => "",
    };
    format!("{prefix}{local_name}")
}

fn input_event_json(id: NodeId, text: &str, checked: bool, user_triggered: bool) -> String {
    let mut data = String::from("{\"source\":5,\"text\":");
    write_str(&mut data, text);
    let _ = write!(
        data,
        ",\"isChecked\":{checked},\"userTriggered\":{user_triggered},\"id\":{id}}}"
    );
    data
}

fn node_list(list: &web_sys::NodeList) -> Vec<Node> {
    (0..list.length())
        .filter_map(|index| list.item(index))
        .collect()
}

fn pointer_position(event: &Event) -> Option<(f64, f64)> {
    // By type, not instanceof: a frame's events come from its own realm.
    let event_type = event.type_();
    if !event_type.starts_with("touch") {
        let mouse: &web_sys::MouseEvent = event.unchecked_ref();
        return Some((f64::from(mouse.client_x()), f64::from(mouse.client_y())));
    }
    let touch = event
        .unchecked_ref::<web_sys::TouchEvent>()
        .changed_touches()
        .get(0)?;
    Some((f64::from(touch.client_x()), f64::from(touch.client_y())))
}

fn stack_of(error: &JsValue) -> Option<String> {
    js_sys::Reflect::get(error, &"stack".into())
        .ok()?
        .as_string()
}

/// Keeps a recording's closures alive for as long as it records.
pub struct CaptureCallbacks {
    pub _mutations: Closure<dyn FnMut(js_sys::Array)>,
    pub _hooks: Closure<dyn FnMut(String, JsValue, f64, String)>,
}

/// Makes the callbacks and hands their functions to the recording.
pub fn connect(recording: &Rc<RefCell<Recording>>) -> CaptureCallbacks {
    let weak = Rc::downgrade(recording);
    let mutations = mutation_callback(&weak);
    let hooks = hook_callback(&weak);
    if let Ok(mut borrowed) = recording.try_borrow_mut() {
        borrowed.capture.self_ref = weak;
        borrowed.capture.mutation_callback = Some(
            mutations
                .as_ref()
                .unchecked_ref::<js_sys::Function>()
                .clone(),
        );
        borrowed.capture.hook_callback =
            Some(hooks.as_ref().unchecked_ref::<js_sys::Function>().clone());
    }
    CaptureCallbacks {
        _mutations: mutations,
        _hooks: hooks,
    }
}
