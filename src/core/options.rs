//! The options of `start()`, validated once into typed Rust.
//!
//! The web layer turns the JS object into `(key, OptionValue)` pairs; this
//! module decides what they mean and rejects unknown keys and wrong types
//! with a message naming the key and what is allowed, so that a typo such as
//! `maskAllInput` is never silently ignored.

use std::fmt;

use super::privacy::PrivacyRules;

/// A JS value as far as option checking cares.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    Bool(bool),
    Number(f64),
    Text(String),
    Function,
    /// Any other JS value; the string is its kind for the error message
    /// ("object", "array", "null", ...).
    Other(&'static str),
}

impl OptionValue {
    fn kind(&self) -> &'static str {
        match self {
            OptionValue::Bool(_) => "boolean",
            OptionValue::Number(_) => "number",
            OptionValue::Text(_) => "string",
            OptionValue::Function => "function",
            OptionValue::Other(kind) => kind,
        }
    }
}

/// Every option `start()` accepts, with what it takes.
pub const KNOWN_OPTIONS: &[(&str, &str)] = &[
    ("maskAllInputs", "a boolean (default true)"),
    ("debug", "a boolean (default false)"),
    ("emit", "a function called with each event"),
];

/// The recorder's settings after validation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecorderOptions {
    pub privacy: PrivacyRules,
    /// Log what the recorder does to the console, prefixed `[rewind]`.
    pub debug: bool,
    /// Events go to a page-supplied `emit` callback.
    pub has_emit: bool,
}

/// Why options were rejected.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionsError {
    NotAnObject { got: &'static str },
    UnknownKey { key: String, suggestion: Option<&'static str> },
    WrongType { key: &'static str, expected: &'static str, got: &'static str },
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionsError::NotAnObject { got } => {
                write!(f, "rewind options must be an object or undefined, got {got}")
            }
            OptionsError::UnknownKey { key, suggestion } => {
                write!(f, "unknown rewind option '{key}'")?;
                if let Some(suggestion) = suggestion {
                    write!(f, " (did you mean '{suggestion}'?)")?;
                }
                let names: Vec<&str> = KNOWN_OPTIONS.iter().map(|(name, _)| *name).collect();
                write!(f, "; allowed options: {}", names.join(", "))
            }
            OptionsError::WrongType { key, expected, got } => {
                write!(f, "rewind option '{key}' must be {expected}, got {got}")
            }
        }
    }
}

impl std::error::Error for OptionsError {}

impl RecorderOptions {
    /// Validates the entries of an options object.
    ///
    /// # Errors
    /// The first unknown key or mistyped value, in the order given.
    pub fn from_entries(
        entries: impl IntoIterator<Item = (String, OptionValue)>,
    ) -> Result<Self, OptionsError> {
        let mut options = RecorderOptions::default();
        for (key, value) in entries {
            let Some(&(name, expected)) = KNOWN_OPTIONS.iter().find(|(name, _)| *name == key) else {
                return Err(OptionsError::UnknownKey {
                    suggestion: closest_option(&key),
                    key,
                });
            };
            let wrong_type = || OptionsError::WrongType {
                key: name,
                expected,
                got: value.kind(),
            };
            match (name, &value) {
                ("maskAllInputs", OptionValue::Bool(flag)) => options.privacy.mask_all_inputs = *flag,
                ("debug", OptionValue::Bool(flag)) => options.debug = *flag,
                ("emit", OptionValue::Function) => options.has_emit = true,
                _ => return Err(wrong_type()),
            }
        }
        Ok(options)
    }
}

/// The known option nearest to `key` by edit distance, if it is close
/// enough to be a typo (at most 2 edits, ignoring case).
fn closest_option(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    KNOWN_OPTIONS
        .iter()
        .map(|(name, _)| (*name, edit_distance(&key, &name.to_ascii_lowercase())))
        .filter(|(_, distance)| *distance <= 2)
        .min_by_key(|(_, distance)| *distance)
        .map(|(name, _)| name)
}

/// Levenshtein distance, with a transposition counting as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for j in 0..=b.len() {
        rows[0][j] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(entries: &[(&str, OptionValue)]) -> Result<RecorderOptions, OptionsError> {
        RecorderOptions::from_entries(entries.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    #[test]
    fn no_options_means_safe_defaults() {
        let options = parse(&[]).unwrap();
        assert!(options.privacy.mask_all_inputs);
        assert!(!options.debug);
        assert!(!options.has_emit);
    }

    #[test]
    fn known_options_are_applied() {
        let options = parse(&[
            ("maskAllInputs", OptionValue::Bool(false)),
            ("debug", OptionValue::Bool(true)),
            ("emit", OptionValue::Function),
        ])
        .unwrap();
        assert!(!options.privacy.mask_all_inputs);
        assert!(options.debug);
        assert!(options.has_emit);
    }

    #[test]
    fn typo_is_rejected_with_a_suggestion_and_the_allowed_list() {
        let error = parse(&[("maskAllInput", OptionValue::Bool(false))]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown rewind option 'maskAllInput' (did you mean 'maskAllInputs'?); \
             allowed options: maskAllInputs, debug, emit"
        );
    }

    #[test]
    fn far_off_key_gets_no_suggestion() {
        let error = parse(&[("endpointUrl", OptionValue::Text("x".into()))]).unwrap_err();
        assert!(matches!(error, OptionsError::UnknownKey { suggestion: None, .. }));
    }

    #[test]
    fn wrong_type_names_key_expected_and_actual() {
        let error = parse(&[("maskAllInputs", OptionValue::Text("no".into()))]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "rewind option 'maskAllInputs' must be a boolean (default true), got string"
        );
        let error = parse(&[("emit", OptionValue::Other("object"))]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "rewind option 'emit' must be a function called with each event, got object"
        );
    }

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance("debgu", "debug"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("emit", "emit"), 0);
    }
}
