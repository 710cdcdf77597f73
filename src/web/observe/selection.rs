//! The text selection, recorded when it changes.

use web_sys::EventTarget;

use crate::core::incremental::{Incremental, SelectionRange};

use super::super::clock;
use super::super::context::Context;
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
        let Some(selection) = ctx.window.get_selection().ok().flatten() else {
            return;
        };
        let mut ranges = Vec::new();
        for index in 0..selection.range_count() {
            let Ok(range) = selection.get_range_at(index) else {
                continue;
            };
            let (Ok(start), Ok(end)) = (range.start_container(), range.end_container()) else {
                continue;
            };
            let (Some(start_id), Some(end_id)) = (ctx.mirror.id_of(&start), ctx.mirror.id_of(&end))
            else {
                continue;
            };
            ranges.push(SelectionRange {
                start: start_id,
                start_offset: range.start_offset().unwrap_or(0),
                end: end_id,
                end_offset: range.end_offset().unwrap_or(0),
            });
        }
        if ranges == self.last {
            return;
        }
        out.record_incremental(&Incremental::Selection { ranges: &ranges }, clock::now());
        self.last = ranges;
    }
}
