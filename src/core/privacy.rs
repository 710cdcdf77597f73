//! Privacy rules, applied while serializing, before any value leaves the node.
//!
//! Defaults are the safe ones: every form field's value is masked unless the
//! site opts out, and secret fields (passwords, card data, one-time codes) are
//! masked whatever the options say.

/// What the recorder may keep of user-entered data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivacyRules {
    /// Mask the value of every `input`, `textarea` and `select`.
    pub mask_all_inputs: bool,
    /// Mask every text node of the page.
    pub mask_all_text: bool,
    /// Text inside elements matching this selector is masked.
    pub mask_text_selector: Option<String>,
    /// Elements matching this selector are recorded as empty placeholders.
    pub block_selector: Option<String>,
    /// Fields matching this selector have their input not recorded.
    pub ignore_selector: Option<String>,
}

impl Default for PrivacyRules {
    fn default() -> Self {
        PrivacyRules {
            mask_all_inputs: true,
            mask_all_text: false,
            mask_text_selector: None,
            block_selector: None,
            ignore_selector: None,
        }
    }
}

/// Classes that block an element (rrweb's own for drop-in compatibility).
pub const BLOCK_CLASSES: [&str; 2] = ["rw-block", "rr-block"];
/// Classes that mask the text inside an element.
pub const MASK_CLASSES: [&str; 2] = ["rw-mask", "rr-mask"];
/// Classes that keep a field's input out of the recording.
pub const IGNORE_CLASSES: [&str; 2] = ["rw-ignore", "rr-ignore"];

/// Whether a `class` attribute value lists one of `classes`.
pub fn has_any_class(class_attribute: &str, classes: &[&str]) -> bool {
    class_attribute
        .split_ascii_whitespace()
        // (Not `classes.contains`: its slice search is wasm of its own.)
        .any(|class| classes.iter().any(|wanted| *wanted == class))
}

/// Masks page text: every non-blank character becomes `*`, so line breaks
/// and word lengths survive (the layout stays) and the words do not.
pub fn mask_text(text: &str) -> String {
    // (A loop, not map/collect: less wasm.)
    let mut masked = String::with_capacity(text.len());
    for c in text.chars() {
        masked.push(if c.is_whitespace() { c } else { '*' });
    }
    masked
}

/// The facts about a form field that decide whether its value is masked.
#[derive(Debug, Clone, Copy)]
pub struct FormField<'a> {
    /// Lower-case tag name: `input`, `textarea` or `select`.
    pub tag_name: &'a str,
    /// The `type` attribute as written (any case); `None` when absent.
    pub input_type: Option<&'a str>,
    /// The `autocomplete` attribute as written; `None` when absent.
    pub autocomplete: Option<&'a str>,
}

impl PrivacyRules {
    /// Whether the value of `field` must be masked before it is recorded.
    pub fn should_mask_field(&self, field: &FormField<'_>) -> bool {
        self.mask_all_inputs || is_secret_field(field)
    }
}

/// Fields whose value is never recorded, whatever the options say.
pub fn is_secret_field(field: &FormField<'_>) -> bool {
    let is_password = field.tag_name == "input"
        && field
            .input_type
            // Browsers match `type` exactly (in any case): " password" is a
            // text field on screen. It is masked all the same, as any ASCII
            // whitespace around the word is taken off first.
            .is_some_and(|t| t.trim_ascii().eq_ignore_ascii_case("password"));
    // autocomplete is a space-separated token list ("billing cc-number"); card
    // fields, one-time codes and passwords are secrets even in a text input.
    let has_secret_autocomplete = field.autocomplete.is_some_and(|tokens| {
        tokens.split_ascii_whitespace().any(|token| {
            let token = token.to_ascii_lowercase();
            token.starts_with("cc-")
                || token == "one-time-code"
                || token == "current-password"
                || token == "new-password"
        })
    });
    is_password || has_secret_autocomplete
}

/// Replaces every character of `value` with `*`, as rrweb does, so a replay
/// shows that something was typed and how long it was, not what.
pub fn mask_value(value: &str) -> String {
    // (A loop: `str::repeat` is 0.1 KB of the wasm's gzip for this alone.)
    let count = super::json::char_count(value);
    let mut masked = String::with_capacity(count);
    for _ in 0..count {
        masked.push('*');
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(
        input_type: Option<&'static str>,
        autocomplete: Option<&'static str>,
    ) -> FormField<'static> {
        FormField {
            tag_name: "input",
            input_type,
            autocomplete,
        }
    }

    #[test]
    fn every_field_is_masked_by_default() {
        let rules = PrivacyRules::default();
        assert!(rules.should_mask_field(&input(Some("text"), None)));
        assert!(rules.should_mask_field(&FormField {
            tag_name: "textarea",
            input_type: None,
            autocomplete: None
        }));
    }

    #[test]
    fn password_is_masked_even_when_inputs_are_not() {
        let rules = PrivacyRules {
            mask_all_inputs: false,
            ..Default::default()
        };
        assert!(rules.should_mask_field(&input(Some("PassWord"), None)));
        assert!(rules.should_mask_field(&input(Some(" password\t\n"), None)));
        assert!(!rules.should_mask_field(&input(Some("email"), None)));
    }

    #[test]
    fn card_and_one_time_code_autocomplete_are_secret() {
        assert!(is_secret_field(&input(
            Some("text"),
            Some("billing cc-number")
        )));
        assert!(is_secret_field(&input(None, Some("one-time-code"))));
        assert!(is_secret_field(&input(Some("text"), Some("new-password"))));
        assert!(!is_secret_field(&input(Some("text"), Some("email"))));
    }

    #[test]
    fn masked_text_keeps_its_whitespace() {
        assert_eq!(mask_text("Ada Lovelace\n 1815"), "*** ********\n ****");
        assert!(has_any_class("card rr-mask big", &MASK_CLASSES));
        assert!(!has_any_class("rr-masked", &MASK_CLASSES));
    }

    #[test]
    fn masking_keeps_length_in_characters_not_bytes() {
        assert_eq!(mask_value("hunter2"), "*******");
        assert_eq!(mask_value("пароль"), "******");
        assert_eq!(mask_value(""), "");
    }
}
