//! Scroll positions of the page and its elements, and the viewport's size:
//! throttled, the last position wins.

use web_sys::{Event, EventTarget, Node};

use crate::core::event::NodeId;
use crate::core::incremental::Incremental;

use super::super::clock;
use super::super::context::Context;
use super::super::dom::{event_target, numbers_of, Numbers};
use super::super::guard::Timer;
use super::super::listener::EventListener;
use super::super::output::Output;
use super::super::signal::{later, listen, Signal, Signals};

/// Scrolls and resizes are sent at most this often.
const SCROLL_THROTTLE_MS: u32 = 100;

/// Listens on `document` for scrolls.
pub fn observe_scroll(signals: &Signals, document: &EventTarget, into: &mut Vec<EventListener>) {
    into.push(listen(signals, document, "scroll", true, Signal::Scroll));
}

/// Listens on the page's window for viewport resizes.
pub fn observe_viewport(signals: &Signals, window: &EventTarget, into: &mut Vec<EventListener>) {
    into.push(listen(signals, window, "resize", false, |_| Signal::Resize));
}

/// Throttled scroll and viewport state.
#[derive(Default)]
pub struct Scroll {
    pending: Vec<(NodeId, Node)>,
    scroll_timer: Option<Timer>,
    resize_timer: Option<Timer>,
    last_viewport: (u32, u32),
}

impl Scroll {
    pub fn on_scroll(&mut self, ctx: &Context, event: &Event) {
        let Some(target) = event_target(event) else {
            return;
        };
        let Some(id) = ctx.mirror.id_of(&target) else {
            return;
        };
        if !self.pending.iter().any(|(pending, _)| *pending == id) {
            self.pending.push((id, target));
        }
        if self.scroll_timer.is_none() {
            self.scroll_timer = Some(later(
                &ctx.signals,
                SCROLL_THROTTLE_MS,
                Signal::FlushScrolls,
            ));
        }
    }

    /// Sends the current position of everything that scrolled.
    pub fn flush(&mut self, out: &mut Output) {
        self.scroll_timer = None;
        for (id, target) in std::mem::take(&mut self.pending) {
            // A document's window's position, or an element's offsets.
            let [x, y, ..] = numbers_of(&target, Numbers::Scroll);
            if x.is_nan() || y.is_nan() {
                continue;
            }
            out.record_incremental(&Incremental::Scroll { id, x, y }, clock::now());
        }
    }

    pub fn on_resize(&mut self, ctx: &Context) {
        if self.resize_timer.is_none() {
            self.resize_timer = Some(later(&ctx.signals, SCROLL_THROTTLE_MS, Signal::FlushResize));
        }
    }

    pub fn flush_resize(&mut self, ctx: &Context, out: &mut Output) {
        self.resize_timer = None;
        let (width, height) = ctx.viewport_size();
        if (width, height) == self.last_viewport {
            return;
        }
        self.last_viewport = (width, height);
        out.record_incremental(&Incremental::ViewportResize { width, height }, clock::now());
    }

    /// The viewport size a Meta event just recorded.
    pub fn note_viewport(&mut self, size: (u32, u32)) {
        self.last_viewport = size;
    }
}
