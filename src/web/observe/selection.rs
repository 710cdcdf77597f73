//! The text selection, recorded when it changes.

use web_sys::{Event, EventTarget};

use crate::core::incremental::{Incremental, SelectionRange};

use super::super::clock;
use super::super::context::Context;
use super::super::dom::selection_ranges;
use super::super::listener::EventListener;
use super::super::output::Output;
use super::super::signal::{listen, Signal, Signals};

/// Listens on `document` for selection changes.
pub fn observe_selection(signals: &Signals, document: &EventTarget, into: &mut Vec<EventListener>) {
    into.push(listen(
        signals,
        document,
        "selectionchange",
        true,
        Signal::SelectionChange,
    ));
}

/// The last selection recorded.
#[derive(Default)]
pub struct Selection {
    last: Vec<SelectionRange>,
}

impl Selection {
    pub fn on_change(&mut self, ctx: &Context, out: &mut Output, event: &Event) {
        // One crossing: reading the ranges apart took seven. While what was
        // recorded last is a caret or nothing, a change fired at a text
        // field is not read at all (`SelectionRange::all_collapsed` says
        // why): typing in a field fires one per keystroke, and reading the
        // selection makes Chromium lay the page out.
        let caret_only = SelectionRange::all_collapsed(&self.last);
        let Some(ranges) = selection_ranges(&ctx.window, ctx.mirror.store(), event, caret_only)
        else {
            return;
        };
        if ranges == self.last {
            return;
        }
        out.record_incremental(&Incremental::Selection { ranges: &ranges }, clock::now());
        self.last = ranges;
    }
}
