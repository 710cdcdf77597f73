//! Form fields: values typed, chosen or set by script, and forms reset.
//! The rules (masking, once per value, radio groups) are the core's
//! (`core::input`); this reads the fields.

use wasm_bindgen::JsCast;
use web_sys::{Element, Event, EventTarget, HtmlFormElement, Node};

use crate::core::event::NodeId;
use crate::core::input::{radio_group_selector, FieldKind, InputTracker, InputValue};

use super::super::context::Context;
use super::super::dom::{
    as_html, attribute_of, event_target, form_fields, in_same_tree, read_field,
};
use super::super::guard::Timer;
use super::super::listener::EventListener;
use super::super::signal::{later, listen, Signal, Signals};

/// Listens on `document` for input, change and form resets.
pub fn observe_input(signals: &Signals, document: &EventTarget, into: &mut Vec<EventListener>) {
    into.push(listen(signals, document, "input", true, Signal::Input));
    into.push(listen(signals, document, "change", true, Signal::Input));
    into.push(listen(signals, document, "reset", true, Signal::FormReset));
}

/// An input event to record.
pub struct InputChange {
    pub id: NodeId,
    pub value: InputValue,
}

/// Field state of a recording.
#[derive(Default)]
pub struct Input {
    tracker: InputTracker,
    /// Forms reset since the timer was set: their fields are read then.
    reset_forms: Vec<HtmlFormElement>,
    reset_timer: Option<Timer>,
}

impl Input {
    /// What a field's current value records: nothing for an ignored field
    /// or an unchanged value; for a radio just checked, also the radios
    /// of its group it unchecked (they fire no event).
    pub fn changes(&mut self, ctx: &Context, node: &Node) -> Vec<InputChange> {
        // (Any node: `read_field` tells the fields from the rest, in the
        // one crossing it makes.)
        let Some(field) = read_field(node) else {
            return Vec::new();
        };
        let Some(id) = ctx.mirror.id_of(node) else {
            return Vec::new();
        };
        let Some(value) = self.tracker.change(id, ctx.mirror.flags(id), &field) else {
            return Vec::new();
        };
        let mut changes = vec![InputChange { id, value }];
        if field.kind == FieldKind::Radio && field.checked {
            // A radio: `read_field` found an `<input>`.
            self.unchecked_radios(ctx, node.unchecked_ref(), id, &mut changes);
        }
        changes
    }

    fn unchecked_radios(
        &mut self,
        ctx: &Context,
        element: &Element,
        id: NodeId,
        changes: &mut Vec<InputChange>,
    ) {
        let name = attribute_of(element, "name").unwrap_or_default();
        let Some(selector) = radio_group_selector(&name) else {
            return;
        };
        // The group is in the field's own tree: its document, or the
        // shadow root it is in.
        for other in in_same_tree(element.as_ref(), &selector) {
            let other: Node = other.unchecked_into();
            let Some(other_id) = ctx.mirror.id_of(&other).filter(|other_id| *other_id != id) else {
                continue;
            };
            let other_value = read_field(&other)
                .map(|field| field.value)
                .unwrap_or_default();
            let flags = ctx.mirror.flags(other_id);
            if let Some(value) = self.tracker.unchecked_radio(other_id, flags, &other_value) {
                changes.push(InputChange {
                    id: other_id,
                    value,
                });
            }
        }
    }

    /// A form reset puts every field back to its default without an input
    /// event; the fields are read once the reset is done.
    pub fn on_form_reset(&mut self, ctx: &Context, event: &Event) {
        let Some(form) =
            event_target(event).and_then(|node| as_html::<HtmlFormElement>(&node, "FORM").cloned())
        else {
            return;
        };
        self.reset_forms.push(form);
        if self.reset_timer.is_none() {
            self.reset_timer = Some(later(&ctx.signals, 0, Signal::ReadResetForms));
        }
    }

    /// The fields of the forms reset since the last call.
    pub fn take_reset_fields(&mut self) -> Vec<Element> {
        self.reset_timer = None;
        let mut fields = Vec::new();
        for form in std::mem::take(&mut self.reset_forms) {
            for field in form_fields(&form) {
                fields.push(field.unchecked_into());
            }
        }
        fields
    }
}
