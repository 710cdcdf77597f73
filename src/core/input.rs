//! What a form field's input records: the privacy rules applied to the
//! value the user sees, once per distinct value.
//!
//! The web layer reads the field ([`FieldRead`]) and the flags the snapshot
//! gave its node; [`InputTracker`] decides what the Input event
//! (`super::incremental::Incremental::Input`) carries, or that there is none.

use super::IdMap;

use super::event::NodeId;
use super::mirror::NodeFlags;
use super::privacy::mask_value;

/// What kind of field an input event came from, as far as recording goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A `<textarea>`, or an `<input>` of any type but checkbox and radio.
    Text,
    Checkbox,
    Radio,
    /// A `<select>`.
    Select,
}

impl FieldKind {
    /// The kind of an `<input>` of type `input_type` (any case, as
    /// `HTMLInputElement.type` or the attribute gives it).
    pub fn of_input_type(input_type: &str) -> FieldKind {
        if input_type.eq_ignore_ascii_case("checkbox") {
            FieldKind::Checkbox
        } else if input_type.eq_ignore_ascii_case("radio") {
            FieldKind::Radio
        } else {
            FieldKind::Text
        }
    }

    /// Whether the field is a checkbox or radio: its state is `checked`,
    /// and its value a fixed attribute, not text the user typed.
    pub fn is_toggle(self) -> bool {
        matches!(self, FieldKind::Checkbox | FieldKind::Radio)
    }
}

/// A field as the web layer read it when its value may have changed.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRead {
    /// The `value` property (a select's: its selected option's value).
    pub value: String,
    /// The `checked` property of an `<input>`; false for others.
    pub checked: bool,
    pub kind: FieldKind,
}

impl FieldRead {
    /// A field as the web layer packs it in one crossing (`readField` in
    /// `src/web/page.js`): `I`, `T` or `S` (input, textarea, select), `1` or
    /// `0` (checked), an input's type, U+0001, then the value. `None` for
    /// anything else.
    pub fn parse(packed: &str) -> Option<FieldRead> {
        let (head, value) = super::json::split_once_at(packed, 1)?;
        let (kind, checked, input_type) = match head.as_bytes() {
            [kind, checked, ..] => (*kind, *checked == b'1', head.get(2..)?),
            _ => return None,
        };
        let kind = match kind {
            b'I' => FieldKind::of_input_type(input_type),
            b'T' => FieldKind::Text,
            b'S' => FieldKind::Select,
            _ => return None,
        };
        Some(FieldRead {
            value: value.to_owned(),
            checked,
            kind,
        })
    }
}

/// What one Input event records of a field.
#[derive(Clone, Debug, PartialEq)]
pub struct InputValue {
    pub text: String,
    pub is_checked: bool,
}

/// The last value recorded per field: an input event is written once per distinct value.
#[derive(Default, Debug)]
pub struct InputTracker {
    /// The text (as recorded, so masked where masked) and checked state
    /// last recorded for each field.
    last: IdMap<NodeId, (String, bool)>,
}

impl InputTracker {
    /// What a field's input records, and remembers it as the field's last:
    /// `None` for an ignored field (`NodeFlags::IGNORED`), a masked select
    /// (asterisks would select nothing) or a value unchanged since the
    /// last one recorded; a masked text value as `privacy::mask_value`
    /// writes it.
    ///
    /// `flags` are the ones the snapshot gave the field's node: it sets
    /// `FIELD_MASKED` where the privacy rules mask the field (every field
    /// by default, secret ones such as passwords always, ignored ones too).
    /// A toggle's value is never masked: it is the page's `value`
    /// attribute (or "on"), which the snapshot records as written too;
    /// only its checked state is the user's, and that is what it records.
    pub fn change(
        &mut self,
        id: NodeId,
        flags: NodeFlags,
        field: &FieldRead,
    ) -> Option<InputValue> {
        if flags.contains(NodeFlags::IGNORED) {
            return None;
        }
        let masked = flags.contains(NodeFlags::FIELD_MASKED);
        if masked && field.kind == FieldKind::Select {
            // A masked select shows no choice in the replay; setting its
            // value to asterisks would select nothing instead.
            return None;
        }
        let text = if masked && !field.kind.is_toggle() {
            mask_value(&field.value)
        } else {
            field.value.clone()
        };
        self.remember(id, text, field.checked)
    }

    /// A radio of the same group as a newly checked one was unchecked
    /// without an event of its own: its unchecked state to record, unless
    /// that is already the last recorded or the radio is ignored.
    ///
    /// `value` is recorded as given, never masked, as [`InputTracker::change`]
    /// records every toggle's value: a radio's value is its `value`
    /// attribute (or "on"), which the snapshot already shows unmasked, so
    /// a masked radio's value leaks nothing new here.
    pub fn unchecked_radio(
        &mut self,
        id: NodeId,
        flags: NodeFlags,
        value: &str,
    ) -> Option<InputValue> {
        if flags.contains(NodeFlags::IGNORED) {
            return None;
        }
        self.remember(id, value.to_owned(), false)
    }

    /// Records `text`/`checked` as the field's last value; `None` when it
    /// already was.
    fn remember(&mut self, id: NodeId, text: String, is_checked: bool) -> Option<InputValue> {
        if self.last.get(&id).is_some_and(|(last_text, last_checked)| {
            *last_text == text && *last_checked == is_checked
        }) {
            return None;
        }
        self.last.insert(id, (text.clone(), is_checked));
        Some(InputValue { text, is_checked })
    }
}

/// The selector for the other radios of `name`'s group
/// (`input[type=radio][name="…"]`); `None` for an empty name or one with
/// `"` or `\\`, which cannot be quoted safely.
///
/// A line break (`\n`, `\r`, form feed) cannot stand in a CSS string
/// either: such a name gives `None` too, where the browser would have
/// rejected the selector.
pub fn radio_group_selector(name: &str) -> Option<String> {
    if name.is_empty() || super::json::has_any_byte(name, b"\"\\\n\r\x0c") {
        return None;
    }
    Some(crate::core::json::concat(&[
        "input[type=radio][name=\"",
        name,
        "\"]",
    ]))
}

/// Whether a field's radio group must be re-read: a radio just checked.
///
/// Checking a radio unchecks the others of its group without an event of
/// theirs; the recorder reads them (see [`radio_group_selector`] and
/// [`InputTracker::unchecked_radio`]) after recording the checked one's
/// change, and only when that change was recorded.
pub fn should_read_radio_group(field: &FieldRead) -> bool {
    field.kind == FieldKind::Radio && field.checked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::privacy::{FormField, PrivacyRules};

    #[test]
    fn packed_fields_parse_to_their_kind_state_and_whole_value() {
        let field = |value: &str, checked, kind| FieldRead {
            value: value.to_owned(),
            checked,
            kind,
        };
        let cases = [
            (
                "I0text\u{1}hello",
                Some(field("hello", false, FieldKind::Text)),
            ),
            (
                "I1checkbox\u{1}on",
                Some(field("on", true, FieldKind::Checkbox)),
            ),
            ("I1RADIO\u{1}a", Some(field("a", true, FieldKind::Radio))),
            ("I0password\u{1}", Some(field("", false, FieldKind::Text))),
            // The value is everything after the first separator.
            (
                "T0\u{1}line\u{1}two\nthree",
                Some(field("line\u{1}two\nthree", false, FieldKind::Text)),
            ),
            ("S0\u{1}ü", Some(field("ü", false, FieldKind::Select))),
            ("X0\u{1}v", None),
            ("I\u{1}v", None),
            ("I0text", None),
            ("", None),
        ];
        for (packed, expected) in cases {
            assert_eq!(FieldRead::parse(packed), expected, "{packed:?}");
        }
    }

    fn text(value: &str) -> FieldRead {
        FieldRead {
            value: value.to_owned(),
            checked: false,
            kind: FieldKind::Text,
        }
    }

    fn toggle(kind: FieldKind, value: &str, checked: bool) -> FieldRead {
        FieldRead {
            value: value.to_owned(),
            checked,
            kind,
        }
    }

    fn recorded(text: &str, is_checked: bool) -> Option<InputValue> {
        Some(InputValue {
            text: text.to_owned(),
            is_checked,
        })
    }

    /// The flags the snapshot gives an `<input>` of `input_type` under `rules`.
    fn snapshot_flags(rules: &PrivacyRules, input_type: &str) -> NodeFlags {
        let field = FormField {
            tag_name: "input",
            input_type: Some(input_type),
            autocomplete: None,
        };
        if rules.should_mask_field(&field) {
            NodeFlags::FIELD_MASKED
        } else {
            NodeFlags::NONE
        }
    }

    #[test]
    fn input_types_are_matched_in_any_case() {
        assert_eq!(FieldKind::of_input_type("checkbox"), FieldKind::Checkbox);
        assert_eq!(FieldKind::of_input_type("CheckBox"), FieldKind::Checkbox);
        assert_eq!(FieldKind::of_input_type("RADIO"), FieldKind::Radio);
        assert_eq!(FieldKind::of_input_type("text"), FieldKind::Text);
        assert_eq!(FieldKind::of_input_type("password"), FieldKind::Text);
        assert_eq!(FieldKind::of_input_type(""), FieldKind::Text);
        // Not an input type: a <select> is named by the caller.
        assert_eq!(FieldKind::of_input_type("select"), FieldKind::Text);
        assert!(FieldKind::Checkbox.is_toggle() && FieldKind::Radio.is_toggle());
        assert!(!FieldKind::Text.is_toggle() && !FieldKind::Select.is_toggle());
    }

    #[test]
    fn masked_text_is_recorded_as_asterisks_of_its_length() {
        let mut tracker = InputTracker::default();
        assert_eq!(
            tracker.change(1, NodeFlags::FIELD_MASKED, &text("Ada Lövelace")),
            recorded("************", false)
        );
    }

    #[test]
    fn unmasked_text_is_recorded_as_typed() {
        let mut tracker = InputTracker::default();
        assert_eq!(
            tracker.change(1, NodeFlags::NONE, &text("blue \"shoes\"")),
            recorded("blue \"shoes\"", false)
        );
    }

    #[test]
    fn password_is_masked_even_when_inputs_are_not() {
        let rules = PrivacyRules {
            mask_all_inputs: false,
            ..PrivacyRules::default()
        };
        let mut tracker = InputTracker::default();
        let password = snapshot_flags(&rules, "password");
        assert_eq!(
            tracker.change(1, password, &text("hunter2")),
            recorded("*******", false)
        );
        let email = snapshot_flags(&rules, "email");
        assert_eq!(
            tracker.change(2, email, &text("ada@example.com")),
            recorded("ada@example.com", false)
        );
    }

    #[test]
    fn ignored_field_records_nothing_masked_or_not() {
        let mut tracker = InputTracker::default();
        for flags in [
            NodeFlags::IGNORED,
            NodeFlags::IGNORED.with(NodeFlags::FIELD_MASKED),
        ] {
            assert_eq!(tracker.change(1, flags, &text("secret")), None);
            assert_eq!(
                tracker.change(2, flags, &toggle(FieldKind::Checkbox, "on", true)),
                None
            );
        }
    }

    #[test]
    fn same_value_twice_records_once() {
        let mut tracker = InputTracker::default();
        assert!(tracker.change(1, NodeFlags::NONE, &text("a")).is_some());
        assert_eq!(tracker.change(1, NodeFlags::NONE, &text("a")), None);
        assert_eq!(
            tracker.change(1, NodeFlags::NONE, &text("ab")),
            recorded("ab", false)
        );
        // Another field with the same value is its own.
        assert!(tracker.change(2, NodeFlags::NONE, &text("ab")).is_some());
    }

    #[test]
    fn masked_values_of_equal_length_record_once() {
        // Dedupe compares what was recorded: "abc" then "xyz" both show ***.
        let mut tracker = InputTracker::default();
        assert!(tracker
            .change(1, NodeFlags::FIELD_MASKED, &text("abc"))
            .is_some());
        assert_eq!(
            tracker.change(1, NodeFlags::FIELD_MASKED, &text("xyz")),
            None
        );
    }

    #[test]
    fn checked_state_change_alone_is_recorded() {
        let mut tracker = InputTracker::default();
        let flags = NodeFlags::NONE;
        assert_eq!(
            tracker.change(1, flags, &toggle(FieldKind::Checkbox, "on", true)),
            recorded("on", true)
        );
        assert_eq!(
            tracker.change(1, flags, &toggle(FieldKind::Checkbox, "on", false)),
            recorded("on", false)
        );
    }

    #[test]
    fn masked_toggle_keeps_its_value_and_records_its_state() {
        let mut tracker = InputTracker::default();
        assert_eq!(
            tracker.change(
                1,
                NodeFlags::FIELD_MASKED,
                &toggle(FieldKind::Radio, "express", true)
            ),
            recorded("express", true)
        );
    }

    #[test]
    fn masked_select_records_nothing() {
        let mut tracker = InputTracker::default();
        let select = FieldRead {
            value: "de".to_owned(),
            checked: false,
            kind: FieldKind::Select,
        };
        assert_eq!(tracker.change(1, NodeFlags::FIELD_MASKED, &select), None);
        assert_eq!(
            tracker.change(1, NodeFlags::NONE, &select),
            recorded("de", false)
        );
    }

    #[test]
    fn an_ignored_radio_of_the_group_records_nothing() {
        let mut tracker = InputTracker::default();
        let ignored = NodeFlags::IGNORED.with(NodeFlags::FIELD_MASKED);
        assert_eq!(tracker.unchecked_radio(7, ignored, "secret-plan"), None);
        // Not remembered either: it stays out of the recording.
        assert_eq!(
            tracker.unchecked_radio(7, NodeFlags::FIELD_MASKED, "secret-plan"),
            recorded("secret-plan", false)
        );
    }

    #[test]
    fn checking_a_radio_unchecks_the_rest_of_its_group_once() {
        let mut tracker = InputTracker::default();
        let flags = NodeFlags::FIELD_MASKED;
        let standard = toggle(FieldKind::Radio, "standard", true);
        assert!(should_read_radio_group(&standard));
        assert_eq!(
            tracker.change(1, flags, &standard),
            recorded("standard", true)
        );
        // The group's others, never recorded yet: each gets its unchecked state.
        assert_eq!(
            tracker.unchecked_radio(2, flags, "express"),
            recorded("express", false)
        );
        assert_eq!(
            tracker.unchecked_radio(3, flags, "pickup"),
            recorded("pickup", false)
        );
        // Reading the group again changes nothing.
        assert_eq!(tracker.unchecked_radio(2, flags, "express"), None);
        // Checking another radio records it, and unchecks the first.
        let express = toggle(FieldKind::Radio, "express", true);
        assert_eq!(
            tracker.change(2, flags, &express),
            recorded("express", true)
        );
        assert_eq!(
            tracker.unchecked_radio(1, flags, "standard"),
            recorded("standard", false)
        );
        assert_eq!(tracker.unchecked_radio(3, flags, "pickup"), None);
    }

    #[test]
    fn only_a_checked_radio_reads_its_group() {
        assert!(!should_read_radio_group(&toggle(
            FieldKind::Radio,
            "a",
            false
        )));
        assert!(!should_read_radio_group(&toggle(
            FieldKind::Checkbox,
            "a",
            true
        )));
        assert!(!should_read_radio_group(&text("a")));
    }

    #[test]
    fn radio_group_selector_quotes_the_name() {
        assert_eq!(
            radio_group_selector("shipping").as_deref(),
            Some("input[type=radio][name=\"shipping\"]")
        );
        assert_eq!(
            radio_group_selector("order[items][0] 'x'").as_deref(),
            Some("input[type=radio][name=\"order[items][0] 'x'\"]")
        );
        assert_eq!(
            radio_group_selector("ünï").as_deref(),
            Some("input[type=radio][name=\"ünï\"]")
        );
    }

    #[test]
    fn radio_group_selector_refuses_names_it_cannot_quote() {
        for name in ["", "a\"b", "a\\b", "a\nb", "a\rb", "a\u{c}b"] {
            assert_eq!(radio_group_selector(name), None, "{name:?}");
        }
    }
}
