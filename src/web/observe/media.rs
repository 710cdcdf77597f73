//! Media playback: play, pause, seek, volume and rate changes of video and
//! audio elements, each with the element's whole state.

use web_sys::{EventTarget, HtmlMediaElement, Node};

use crate::core::incremental::{Incremental, MediaInteraction, MediaSnapshot};

use super::super::clock;
use super::super::context::Context;
use super::super::dom::{as_html, numbers_of, Numbers};
use super::super::listener::EventListener;
use super::super::output::Output;
use super::super::signal::{listen, Signal, Signals};

/// Listens on `document` for media events (they do not bubble: captured).
pub fn observe_media(signals: &Signals, document: &EventTarget, into: &mut Vec<EventListener>) {
    for kind in MediaInteraction::ALL {
        into.push(listen(
            signals,
            document,
            kind.event_type(),
            true,
            Signal::Media,
        ));
    }
}

/// The element as a media element, if it is a video or audio.
pub fn as_media(node: &Node) -> Option<&HtmlMediaElement> {
    as_html::<HtmlMediaElement>(node, "VIDEO")
        .or_else(|| as_html::<HtmlMediaElement>(node, "AUDIO"))
}

/// The interaction a media event reports, by its type.
pub fn interaction_of(event: &web_sys::Event) -> Option<MediaInteraction> {
    let event_type = event.type_();
    MediaInteraction::ALL
        .into_iter()
        .find(|kind| kind.event_type() == event_type)
}

/// Records a MediaInteraction with the element's whole state: the
/// Replayer sets muted and loop from the last one it saw.
pub fn record_media(ctx: &Context, out: &mut Output, target: &Node, kind: MediaInteraction) {
    let Some(media) = as_media(target) else {
        return;
    };
    let Some(id) = ctx.mirror.id_of(target) else {
        return;
    };
    let [_, current_time, volume, muted, looped, playback_rate] = numbers_of(media, Numbers::Media);
    let state = MediaSnapshot {
        current_time,
        volume,
        muted: muted == 1.0,
        looped: looped == 1.0,
        playback_rate,
    };
    out.record_incremental(&Incremental::Media { kind, id, state }, clock::now());
}
