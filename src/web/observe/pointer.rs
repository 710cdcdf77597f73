//! Pointer moves (sampled, sent in batches) and interactions: clicks,
//! presses, focus, touches.

use web_sys::{Event, EventTarget, Node};

use crate::core::incremental::{Incremental, Interaction, PointerPosition};

use super::super::clock;
use super::super::context::Context;
use super::super::dom::{event_target, numbers_of, Numbers};
use super::super::guard::Timer;
use super::super::listener::EventListener;
use super::super::output::Output;
use super::super::signal::{later, listen, Signal, Signals};

/// Mouse positions are sampled at most this often...
const MOUSE_SAMPLE_MS: f64 = 50.0;
/// ...and sent in batches this long.
const MOUSE_BATCH_MS: u32 = 500;

/// The DOM events of each interaction.
const INTERACTIONS: [(&str, Interaction); 10] = [
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
];

/// Listens on `document` (the page's or a frame's) for moves and
/// interactions.
pub fn observe_pointer(signals: &Signals, document: &EventTarget, into: &mut Vec<EventListener>) {
    into.push(listen(signals, document, "mousemove", true, |event| {
        Signal::PointerMove {
            event,
            touch: false,
        }
    }));
    into.push(listen(signals, document, "touchmove", true, |event| {
        Signal::PointerMove { event, touch: true }
    }));
    for (event_type, _) in INTERACTIONS {
        into.push(listen(
            signals,
            document,
            event_type,
            true,
            Signal::Interaction,
        ));
    }
}

/// Pointer sampling: the positions themselves wait in the output (see
/// `Output::add_move`), which writes them before any other event.
#[derive(Default)]
pub struct Pointer {
    last_sample_ms: f64,
    batch_timer: Option<Timer>,
}

impl Pointer {
    pub fn on_move(&mut self, ctx: &Context, out: &mut Output, event: &Event, touch: bool) {
        let now = clock::now();
        if now - self.last_sample_ms < MOUSE_SAMPLE_MS {
            return;
        }
        let Some(id) = event_target(event).and_then(|node| ctx.mirror.id_of(&node)) else {
            return;
        };
        let Some((x, y)) = pointer_position(event) else {
            return;
        };
        self.last_sample_ms = now;
        out.add_move(PointerPosition { x, y, id, at: now }, touch);
        // A batch written early (before another event) leaves the timer
        // running: it then finds the next batch, or nothing.
        if self.batch_timer.is_none() {
            self.batch_timer = Some(later(&ctx.signals, MOUSE_BATCH_MS, Signal::FlushPointer));
        }
    }

    /// Writes the sampled positions now (the batch's time is up, or the
    /// recording writes everything pending).
    pub fn flush(&mut self, out: &mut Output) {
        self.batch_timer = None;
        out.write_moves();
    }

    pub fn on_interaction(&mut self, ctx: &Context, out: &mut Output, event: &Event) {
        let event_type = event.type_();
        let Some(kind) = INTERACTIONS
            .iter()
            .find_map(|(name, kind)| (*name == event_type).then_some(*kind))
        else {
            return;
        };
        let Some(target) = event_target(event) else {
            return;
        };
        if target.node_type() == Node::DOCUMENT_NODE && !kind.has_position() {
            return;
        }
        let Some(id) = ctx.mirror.id_of(&target) else {
            return;
        };
        let position = if kind.has_position() {
            pointer_position(event)
        } else {
            None
        };
        let touch = event_type.starts_with("touch");
        out.record_incremental(
            &Incremental::Interaction {
                kind,
                id,
                position,
                touch,
            },
            clock::now(),
        );
    }
}

fn pointer_position(event: &Event) -> Option<(f64, f64)> {
    // (`readNumbers` tells touches by the event's type, not instanceof: a
    // frame's events come from its own realm.) Whole pixels, as the i32
    // `clientX` of web-sys's MouseEvent had them.
    let [x, y, ..] = numbers_of(event, Numbers::Pointer);
    (!x.is_nan() && !y.is_nan()).then(|| (x.trunc(), y.trunc()))
}
