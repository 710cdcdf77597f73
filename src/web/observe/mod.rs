//! Incremental capture, one observer to a file, the way rrweb's
//! `initXObserver` functions are: each attaches through one entry point
//! (`observe_*`) and what it attaches detaches on drop: listeners
//! (`EventListener`), timers (`Timer`), the MutationObserver
//! ([`ObserverHandle`]) and the prototype hooks ([`HookHandle`]).
//!
//! [`Observers`] is the set of them for one recording. It routes the
//! signals of capture to the observer they concern and carries what one
//! observer's work asks of another (an added shadow root to observe, a
//! frame to attach). It never looks inside a full snapshot: the recorder
//! tells it when a walk begins and ends.

pub mod console;
pub mod errors;
pub mod frames;
pub mod input;
pub mod media;
pub mod mutation;
pub mod pointer;
pub mod scroll;
pub mod selection;
pub mod sheets;

use web_sys::{Document, Element, Node};

use crate::core::incremental::{Incremental, MediaInteraction};
use crate::core::mutation::MutationEmit;
use crate::core::snapshot::VisitedIds;

use super::clock;
use super::context::Context;
use super::dom::{as_element, as_shadow_root, event_target, node_of};
use super::listener::EventListener;
use super::output::Output;
use super::signal::{HookCall, Signal, Signals};

/// The events the hooks report from inside shadow roots, by index (see
/// `ROOT_EVENTS` in `hooks.rs`): input, change, scroll, reset, then the
/// media events in `MediaInteraction` order.
const ROOT_MEDIA_EVENTS_AT: usize = 4;

/// Listens on `document` (the page's or a same-origin frame's) for what
/// users do.
pub fn observe_document(signals: &Signals, document: &Document) -> Vec<EventListener> {
    let target = document.as_ref();
    let mut listeners = Vec::new();
    pointer::observe_pointer(signals, target, &mut listeners);
    scroll::observe_scroll(signals, target, &mut listeners);
    input::observe_input(signals, target, &mut listeners);
    media::observe_media(signals, target, &mut listeners);
    selection::observe_selection(signals, target, &mut listeners);
    listeners
}

/// The observers of one recording; dropping it detaches all of them.
pub struct Observers {
    mutations: mutation::Mutations,
    pointer: pointer::Pointer,
    scroll: scroll::Scroll,
    input: input::Input,
    selection: selection::Selection,
    sheets: sheets::Sheets,
    frames: frames::Frames,
    /// The wrapped console, when `captureConsole` names any method.
    console: Option<console::Console>,
    /// Listeners on the page's document and window.
    _page_listeners: Vec<EventListener>,
}

impl Observers {
    /// Attaches the page's listeners; the DOM is observed once a full
    /// snapshot begins ([`Observers::watch_document`]).
    pub fn attach(ctx: &Context, document: &Document) -> Observers {
        let mut page_listeners = observe_document(&ctx.signals, document);
        let window = ctx.window.as_ref();
        scroll::observe_viewport(&ctx.signals, window, &mut page_listeners);
        errors::observe_errors(&ctx.signals, window, &mut page_listeners);
        let levels = &ctx.options.capture_console;
        let console = (!levels.is_empty())
            .then(|| console::Console::new(console::observe_console(&ctx.signals, window, levels)));
        Observers {
            mutations: mutation::Mutations::new(&ctx.signals),
            pointer: pointer::Pointer::default(),
            scroll: scroll::Scroll::default(),
            input: input::Input::default(),
            selection: selection::Selection::default(),
            sheets: sheets::Sheets::new(&ctx.signals),
            frames: frames::Frames::default(),
            console,
            _page_listeners: page_listeners,
        }
    }

    /// Acts on a signal of capture (lifecycle signals are the recorder's).
    pub fn on_signal(&mut self, ctx: &mut Context, out: &mut Output, signal: Signal) {
        match signal {
            Signal::Mutations(records) => self.on_records(ctx, out, &records),
            Signal::Hook(call) => self.on_hook(ctx, out, &call),
            Signal::PointerMove { event, touch } => self.pointer.on_move(ctx, out, &event, touch),
            Signal::Interaction(event) => self.pointer.on_interaction(ctx, out, &event),
            Signal::Scroll(event) => self.scroll.on_scroll(ctx, &event),
            Signal::Resize => self.scroll.on_resize(ctx),
            Signal::Input(event) => {
                if let Some(field) = event_target(&event) {
                    self.on_value(ctx, out, &field, event.is_trusted());
                }
            }
            Signal::FormReset(event) => self.input.on_form_reset(ctx, &event),
            Signal::Media(event) => {
                if let (Some(target), Some(kind)) =
                    (event_target(&event), media::interaction_of(&event))
                {
                    media::record_media(ctx, out, &target, kind);
                }
            }
            Signal::SelectionChange(event) => self.selection.on_change(ctx, out, &event),
            Signal::Error(event) | Signal::Rejection(event) => errors::on_uncaught(out, &event),
            Signal::Console(call) => {
                if let Some(console) = &mut self.console {
                    console.on_call(out, &call);
                }
            }
            Signal::SheetLoaded(event) => {
                if let Some(link) = event_target(&event) {
                    self.sheets.on_link_loaded(ctx, out, &link);
                }
            }
            Signal::FrameLoaded(event) => {
                if let Some(frame) = event_target(&event) {
                    self.attach_frame(ctx, out, &frame, true);
                }
            }
            Signal::FlushPointer => self.pointer.flush(out),
            Signal::FlushScrolls => self.scroll.flush(out),
            Signal::FlushResize => self.scroll.flush_resize(ctx, out),
            Signal::ReadResetForms => {
                for field in self.input.take_reset_fields() {
                    self.on_value(ctx, out, field.as_ref(), true);
                }
            }
            Signal::PageHidden
            | Signal::VisibilityChanged
            | Signal::UserActivity
            | Signal::FlushTick
            | Signal::DocumentParsed
            | Signal::SnapshotSlice => {}
        }
    }

    /// Writes everything gathered but not yet written: observer records,
    /// sampled pointer positions, throttled scrolls. What `flush()`,
    /// `stop()` and the end of a replay record before they seal.
    pub fn write_pending(&mut self, ctx: &mut Context, out: &mut Output) {
        self.emit_mutations(ctx, out, clock::now());
        self.pointer.flush(out);
        self.scroll.flush(out);
        if let Some(console) = &mut self.console {
            console.write_pending(out);
        }
    }

    /// Runs the observer's undelivered records through now.
    pub fn flush_records(&mut self, ctx: &mut Context, out: &mut Output) {
        if let Some(records) = self.mutations.take_records() {
            self.on_records(ctx, out, &records);
        }
    }

    fn on_records(&mut self, ctx: &mut Context, out: &mut Output, records: &js_sys::Array) {
        let followups = self.mutations.on_records(ctx, out, records);
        if followups.should_emit {
            self.emit_mutations(ctx, out, clock::now());
        }
        for field in followups.fields {
            self.on_value(ctx, out, &field, false);
        }
        for target in followups.media {
            // VolumeChange: the state event that starts nothing playing.
            media::record_media(ctx, out, &target, MediaInteraction::VolumeChange);
        }
    }

    /// Writes what the buffer gathered as one Mutation event at
    /// `timestamp`, and watches what it added.
    fn emit_mutations(&mut self, ctx: &mut Context, out: &mut Output, timestamp: f64) {
        let Some(emitted) = self.mutations.emit(ctx, out, timestamp) else {
            return;
        };
        let MutationEmit {
            iframes,
            shadow_hosts,
            pending_links,
            ..
        } = emitted;
        self.sheets.adopt_into_new_roots(ctx, out);
        self.observe_shadow_hosts(ctx, out, shadow_hosts);
        self.sheets.await_links(&ctx.signals, pending_links);
        for frame in iframes {
            self.attach_frame(ctx, out, &frame, false);
        }
    }

    /// Records a field's value if it changed, after the DOM changes that
    /// came before it.
    fn on_value(
        &mut self,
        ctx: &mut Context,
        out: &mut Output,
        field: &Node,
        user_triggered: bool,
    ) {
        let changes = self.input.changes(ctx, field);
        if changes.is_empty() {
            return;
        }
        self.flush_records(ctx, out);
        for change in changes {
            let data = Incremental::Input {
                id: change.id,
                text: &change.value.text,
                is_checked: change.value.is_checked,
                user_triggered,
            };
            out.record_incremental(&data, clock::now());
        }
    }

    fn on_hook(&mut self, ctx: &mut Context, out: &mut Output, call: &HookCall) {
        let kind = call.kind();
        match kind.as_str() {
            // Before a sheet changes, DOM changes not yet delivered.
            "flush" => self.flush_records(ctx, out),
            // An event that did not leave the shadow root it happened in,
            // which the document's listeners never see; its type's index
            // travels as the styleId.
            "event" => {
                let event: web_sys::Event = wasm_bindgen::JsCast::unchecked_into(call.node());
                self.on_shadow_root_event(ctx, out, event, call.style_id() as usize);
            }
            "adopted" => {
                // The document or shadow root that adopted.
                if let Some(root) = node_of(&call.node()) {
                    let owner =
                        as_shadow_root(&root).map_or_else(|| root.clone(), |r| r.host().into());
                    self.sheets.emit_adopted(ctx, out, &owner, &root, true);
                }
            }
            "shadow" => {
                if let Some(host) =
                    node_of(&call.node()).filter(|host| ctx.mirror.id_of(host).is_some())
                {
                    self.observe_shadow_hosts(ctx, out, vec![host]);
                }
            }
            "value" => {
                if let Some(field) = node_of(&call.node()) {
                    self.on_value(ctx, out, &field, false);
                }
            }
            _ => self.sheets.on_edit(ctx, out, &kind, call),
        }
    }

    fn on_shadow_root_event(
        &mut self,
        ctx: &mut Context,
        out: &mut Output,
        event: web_sys::Event,
        index: usize,
    ) {
        let signal = match index {
            0 | 1 => Signal::Input(event),
            2 => Signal::Scroll(event),
            3 => Signal::FormReset(event),
            _ if index - ROOT_MEDIA_EVENTS_AT < MediaInteraction::ALL.len() => Signal::Media(event),
            _ => return,
        };
        self.on_signal(ctx, out, signal);
    }

    /// Observes the shadow roots of `hosts` and records their adopted
    /// sheets.
    fn observe_shadow_hosts(&mut self, ctx: &mut Context, out: &mut Output, hosts: Vec<Node>) {
        for host in hosts {
            let Some(root) = as_element(&host).and_then(Element::shadow_root) else {
                continue;
            };
            self.mutations.observe(root.as_ref());
            self.sheets
                .emit_adopted(ctx, out, &host, root.as_ref(), false);
        }
    }

    /// Records a same-origin frame's document and watches it as the page's.
    fn attach_frame(&mut self, ctx: &mut Context, out: &mut Output, frame: &Node, reload: bool) {
        let Some(frame) = self.frames.document_to_attach(ctx, frame, reload) else {
            return;
        };
        // Records about the frame's old state are stale once it is re-read.
        self.flush_records(ctx, out);
        let Some(tree) = frames::record_frame_document(ctx, out, &frame) else {
            return;
        };
        let document = &frame.document;
        if frame.is_new {
            self.mutations.observe(document.as_ref());
        }
        if frame.needs_listeners {
            self.frames.keep(observe_document(&ctx.signals, document));
        }
        self.sheets.install(ctx, document);
        self.sheets
            .emit_adopted(ctx, out, document.as_ref(), document.as_ref(), false);
        self.observe_shadow_hosts(ctx, out, tree.shadow_hosts);
        self.sheets.await_links(&ctx.signals, tree.pending_links);
        for inner in tree.iframes {
            self.attach_frame(ctx, out, &inner, false);
        }
    }

    // What the recorder tells of a full snapshot.

    /// A full snapshot is about to be taken: pointer positions sampled so
    /// far belong before it; pending observer records are stale (already
    /// in the DOM it reads).
    pub fn before_snapshot(&mut self, out: &mut Output) {
        self.pointer.flush(out);
        self.mutations.forget_pending();
    }

    /// Observes `document` afresh and hooks it, as a full snapshot of it
    /// begins (so nothing the page does during the walk is missed); shadow
    /// roots and frames are added as the snapshot meets them.
    pub fn watch_document(&mut self, ctx: &Context, document: &Document, viewport: (u32, u32)) {
        self.scroll.note_viewport(viewport);
        self.mutations.disconnect();
        self.frames.restart();
        self.mutations.observe(document.as_ref());
        self.sheets.install(ctx, document);
        if let Some(console) = &mut self.console {
            console.snapshot_begins();
        }
    }

    /// The snapshot's walk of `document` began.
    pub fn begin_walk(&mut self, document: &Document) {
        self.sheets.begin_walk(document);
        self.mutations.begin_walk();
    }

    /// Whether the page changed the DOM's structure since the last call,
    /// during the walk.
    pub fn take_walk_disturbed(&mut self) -> bool {
        self.mutations.take_walk_disturbed()
    }

    /// A slice of the walk met `shadow_hosts` and stylesheet `links` not
    /// yet loaded: their changes from now on are recorded.
    pub fn after_slice(
        &mut self,
        ctx: &mut Context,
        out: &mut Output,
        shadow_hosts: Vec<Node>,
        links: Vec<Node>,
    ) {
        self.observe_shadow_hosts(ctx, out, shadow_hosts);
        self.sheets.await_links(&ctx.signals, links);
    }

    /// The walk ended at `visited`; with the snapshot at `timestamp`: the
    /// sheets its roots named, then what the page changed during the walk
    /// as one Mutation event (the two together are the page as it is now).
    pub fn end_walk(
        &mut self,
        ctx: &mut Context,
        out: &mut Output,
        document: &Document,
        visited: VisitedIds,
        timestamp: f64,
    ) {
        self.mutations.end_walk(ctx, visited);
        // The sheets first: every adoption event the walk made only names
        // them, and those events follow.
        self.sheets.end_walk(ctx, out, document, timestamp);
        self.emit_mutations(ctx, out, timestamp);
        if let Some(console) = &mut self.console {
            console.snapshot_written(out, timestamp);
        }
    }

    /// Attaches the same-origin frames a snapshot met.
    pub fn attach_frames(&mut self, ctx: &mut Context, out: &mut Output, frames: Vec<Node>) {
        for frame in frames {
            self.attach_frame(ctx, out, &frame, false);
        }
    }
}
