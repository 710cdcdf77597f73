//! Same-origin frames: each frame's document is recorded as an
//! `isAttachIframe` mutation of its frame element, observed like the page's
//! and recorded again whenever the frame loads.

use web_sys::{Document, Node};

use crate::core::dom::DomTree;
use crate::core::event::NodeId;
use crate::core::incremental::Incremental;
use crate::core::snapshot::{serialize_tree, Placement, SerializedTree};

use super::super::clock;
use super::super::context::Context;
use super::super::dom::{as_html, frame_document};
use super::super::listener::EventListener;
use super::super::output::Output;
use super::super::signal::{listen, Signal};

/// A frame document to record.
pub struct FrameDocument {
    pub frame_id: NodeId,
    pub document: Document,
    /// Its document was not attached since the last full snapshot.
    pub is_new: bool,
    /// The recording does not listen to its document yet.
    pub needs_listeners: bool,
}

/// The frames of a recording.
#[derive(Default)]
pub struct Frames {
    /// Frame elements with a `load` listener (by DOM key).
    frames_listened: Vec<u32>,
    /// Documents listened to (by DOM key).
    documents_listened: Vec<u32>,
    /// Frame documents attached since the last full snapshot.
    attached_documents: Vec<u32>,
    listeners: Vec<EventListener>,
}

impl Frames {
    /// A full snapshot begins: every frame document is attached afresh.
    pub fn restart(&mut self) {
        self.attached_documents.clear();
    }

    /// The document of `frame` if it is to be recorded now: listens for
    /// the frame's loads, once; `reload` when it fired `load`, so even a
    /// document attached before is recorded again (its stylesheets and
    /// images have arrived).
    pub fn document_to_attach(
        &mut self,
        ctx: &Context,
        frame: &Node,
        reload: bool,
    ) -> Option<FrameDocument> {
        let frame_id = ctx.mirror.id_of(frame)?;
        let frame_key = ctx.dom.key(frame);
        if !self.frames_listened.iter().any(|&key| key == frame_key) {
            self.frames_listened.push(frame_key);
            self.listeners.push(listen(
                &ctx.signals,
                frame.as_ref(),
                "load",
                false,
                Signal::FrameLoaded,
            ));
        }
        let document =
            as_html::<Node>(frame, "IFRAME").and_then(|frame| frame_document(frame, true))?;
        let document_key = ctx.dom.key(document.as_ref());
        let seen = self
            .attached_documents
            .iter()
            .any(|&key| key == document_key);
        if seen && !reload {
            return None;
        }
        if !seen {
            self.attached_documents.push(document_key);
        }
        let needs_listeners = !self
            .documents_listened
            .iter()
            .any(|&key| key == document_key);
        if needs_listeners {
            self.documents_listened.push(document_key);
        }
        Some(FrameDocument {
            frame_id,
            document,
            is_new: !seen,
            needs_listeners,
        })
    }

    /// Keeps listeners on a frame's document for as long as it records.
    pub fn keep(&mut self, listeners: Vec<EventListener>) {
        self.listeners.extend(listeners);
    }
}

/// Serializes `frame`'s document and records it; what it holds that needs
/// watching comes back.
pub fn record_frame_document(
    ctx: &mut Context,
    out: &mut Output,
    frame: &FrameDocument,
) -> Option<SerializedTree<Node>> {
    let tree = serialize_tree(
        &ctx.dom,
        &mut ctx.mirror,
        &ctx.options.privacy,
        frame.document.as_ref(),
        Placement {
            parent_id: Some(frame.frame_id),
            ..Placement::default()
        },
    )?;
    out.record_incremental(
        &Incremental::AttachIframe {
            frame_id: frame.frame_id,
            node_json: &tree.node.0,
        },
        clock::now(),
    );
    Some(tree)
}
