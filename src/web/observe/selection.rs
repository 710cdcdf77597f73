//! The text selection, recorded when it changes.

use web_sys::EventTarget;

use crate::core::incremental::{Incremental, SelectionRange};

use super::super::clock;
use super::super::context::Context;
use super::super::dom::selection_ranges;
use super::super::listener::EventListener;
use super::super::output::Output;
use super::super::signal::{listen, Signal, Signals};

/// Listens on `document` for selection changes.
pub fn observe_selection(signals: &Signals, document: &EventTarget, into: &mut Vec<EventListener>) {
    into.push(listen(signals, document, "selectionchange", true, |_| {
        Signal::SelectionChange
    }));
}

/// The last selection recorded.
#[derive(Default)]
pub struct Selection {
    last: Vec<SelectionRange>,
}

impl Selection {
    pub fn on_change(&mut self, ctx: &Context, out: &mut Output) {
        // One crossing: reading the ranges apart took seven.
        let ranges = selection_ranges(&ctx.window, ctx.mirror.store());
        if ranges == self.last {
            return;
        }
        out.record_incremental(&Incremental::Selection { ranges: &ranges }, clock::now());
        self.last = ranges;
    }
}
