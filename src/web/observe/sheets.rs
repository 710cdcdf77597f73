//! Stylesheets the DOM reports through no event: CSSOM rule and
//! declaration edits, constructed and adopted sheets, and stylesheet links
//! that load after they were recorded. The prototype hooks are JS
//! (`hooks.rs`); here they are installed per document, held by a
//! [`HookHandle`] that puts the prototypes back on drop, and their reports
//! are turned into events.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Node};

use crate::core::dom::{DomTree, NodeView};
use crate::core::event::NodeId;
use crate::core::incremental::{Incremental, SheetTarget};
use crate::core::mirror::NodeFlags;

use super::super::clock;
use super::super::context::Context;
use super::super::dom::{as_element, node_of};
use super::super::guard::Callback;
use super::super::hooks::{install_hooks, Hooks};
use super::super::listener::EventListener;
use super::super::output::Output;
use super::super::signal::{listen, HookCall, Signal, Signals};

/// A window's installed hooks; uninstalled on drop.
#[must_use = "the hooks are uninstalled as soon as this handle is dropped"]
pub struct HookHandle {
    hooks: Hooks,
}

impl Drop for HookHandle {
    fn drop(&mut self) {
        self.hooks.uninstall();
    }
}

/// The functions the hooks call into: made once per recording.
struct HookCallbacks {
    notify: Callback,
}

/// The stylesheet state of a recording.
pub struct Sheets {
    callbacks: HookCallbacks,
    /// Hooks per document key.
    hooks: Vec<(u32, HookHandle)>,
    /// Hosts recorded without a shadow root that have one now: the replay
    /// has no root to adopt their sheets into until something is added to
    /// it, so their adoptions wait until then.
    rootless_hosts: Vec<(NodeId, Node)>,
    /// `load` listeners of stylesheet links not loaded when recorded.
    link_listeners: Vec<EventListener>,
}

impl Sheets {
    pub fn new(signals: &Signals) -> Self {
        let notify_signals = signals.clone();
        let notify = Callback::new(move |call: JsValue| {
            notify_signals(Signal::Hook(HookCall(call.unchecked_into())))
        });
        Sheets {
            callbacks: HookCallbacks { notify },
            hooks: Vec::new(),
            rootless_hosts: Vec::new(),
            link_listeners: Vec::new(),
        }
    }

    /// Hooks `document`'s window, once.
    pub fn install(&mut self, ctx: &Context, document: &Document) {
        let key = ctx.dom.key(document.as_ref());
        if self.hooks.iter().any(|(hooked, _)| *hooked == key) {
            return;
        }
        let notify = self.callbacks.notify.as_ref().unchecked_ref();
        let first = self.hooks.first().map(|(_, handle)| &handle.hooks);
        let Some(hooks) = install_hooks(document, notify, first) else {
            return;
        };
        self.hooks.push((key, HookHandle { hooks }));
    }

    fn first_hooks(&self) -> Option<&Hooks> {
        self.hooks.first().map(|(_, handle)| &handle.hooks)
    }

    /// A full snapshot of `document` begins: every host will be written
    /// with its root, and from now until it ends, its roots' adoptions name
    /// their sheets and the rules follow at the end.
    pub fn begin_walk(&mut self, document: &Document) {
        self.rootless_hosts.clear();
        if let Some(hooks) = self.first_hooks() {
            hooks.snapshot_sheets(document.as_ref(), false);
        }
    }

    /// Ends the snapshot's sheet walk with one event for `document`, at the
    /// snapshot's `timestamp`: the rules of every sheet its roots named,
    /// and its own adopted sheets. Recorded before the roots' events, it
    /// comes first in the replay.
    pub fn end_walk(
        &mut self,
        ctx: &Context,
        out: &mut Output,
        document: &Document,
        timestamp: f64,
    ) {
        let Some(members) = self
            .first_hooks()
            .and_then(|hooks| hooks.snapshot_sheets(document.as_ref(), true))
        else {
            return;
        };
        if let Some(id) = ctx.mirror.id_of(document.as_ref()) {
            out.record_incremental(
                &Incremental::AdoptedStyleSheet {
                    id,
                    members: &members,
                },
                timestamp,
            );
        }
    }

    /// Records the AdoptedStyleSheet event of `root` (a document or shadow
    /// root) under the id of `owner` (the document or the host), once the
    /// replay has the root; the hooks listen on the root from then on (a
    /// root attached while recording, from the start). Nothing when it
    /// adopts no sheet, unless `always` (the page just set its sheets).
    pub fn emit_adopted(
        &mut self,
        ctx: &Context,
        out: &mut Output,
        owner: &Node,
        root: &Node,
        always: bool,
    ) {
        let Some(id) = ctx.mirror.id_of(owner) else {
            return;
        };
        // The replay has the root of a document always; of a host once it
        // was written with its root, or something was added into the root
        // (the Replayer attaches a root for that).
        let replay_has_root = ctx.mirror.flags(id).contains(NodeFlags::SHADOW_HOST)
            || owner.node_type() != Node::ELEMENT_NODE;
        if !replay_has_root {
            if !self
                .rootless_hosts
                .iter()
                .any(|(waiting, _)| *waiting == id)
            {
                self.rootless_hosts.push((id, owner.clone()));
            }
            return;
        }
        let Some(members) = self
            .first_hooks()
            .and_then(|hooks| hooks.meet(root, always))
        else {
            return;
        };
        out.record_incremental(
            &Incremental::AdoptedStyleSheet {
                id,
                members: &members,
            },
            clock::now(),
        );
    }

    /// Records the adoptions deferred for hosts whose root the replay now
    /// has (a Mutation just added into it), and lets go of the hosts the
    /// replay no longer has at all (removed: the mirror forgot them).
    pub fn adopt_into_new_roots(&mut self, ctx: &Context, out: &mut Output) {
        while let Some(at) = self.rootless_hosts.iter().position(|(id, _)| {
            ctx.mirror.flags(*id).contains(NodeFlags::SHADOW_HOST)
                || ctx.mirror.replay_parent(*id).is_none()
        }) {
            let (id, host) = self.rootless_hosts.swap_remove(at);
            if !ctx.mirror.flags(id).contains(NodeFlags::SHADOW_HOST) {
                continue;
            }
            if let Some(root) = as_element(&host).and_then(Element::shadow_root) {
                self.emit_adopted(ctx, out, &host, root.as_ref(), false);
            }
        }
    }

    /// A stylesheet link recorded before its sheet loaded gets its rules
    /// sent as `_cssText` once it loads (the replay turns it into a style).
    pub fn await_links(&mut self, signals: &Signals, links: Vec<Node>) {
        for link in links {
            self.link_listeners.push(listen(
                signals,
                link.as_ref(),
                "load",
                false,
                Signal::SheetLoaded,
            ));
        }
    }

    pub fn on_link_loaded(&mut self, ctx: &Context, out: &mut Output, link: &Node) {
        let Some(id) = ctx.mirror.id_of(link) else {
            return;
        };
        let NodeView::Element(view) = ctx.dom.read(link) else {
            return;
        };
        // (Its URLs made absolute against the sheet's address by the read.)
        let Some(css_text) = view.stylesheet else {
            return;
        };
        out.record_incremental(
            &Incremental::StyleLoaded {
                id,
                css_text: &css_text,
            },
            clock::now(),
        );
    }

    /// A rule or declaration edit the hooks reported (`kind` "rule" or
    /// "declaration"), about the sheet of the call's node or the
    /// constructed sheet of its style id; its payload is the event's other
    /// JSON members.
    pub fn on_edit(&mut self, ctx: &Context, out: &mut Output, kind: &str, call: &HookCall) {
        let target = match (node_of(&call.node()), call.style_id()) {
            (Some(node), _) => match ctx.mirror.id_of(&node) {
                Some(id) => SheetTarget::Node(id),
                None => return,
            },
            (None, id) if id > 0.0 => SheetTarget::StyleId(id as u32),
            _ => return,
        };
        let members = call.payload();
        let members = members.as_str();
        let data = match kind {
            "rule" => Incremental::StyleSheetRule { target, members },
            "declaration" => Incremental::StyleDeclaration { target, members },
            _ => return,
        };
        out.record_incremental(&data, clock::now());
    }
}
