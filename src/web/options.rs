//! Reads the options of `start()` that `js/options.js` checked and
//! normalized (an absolute endpoint, ids as strings, the console methods as
//! a bit set) into the core's typed options.

use wasm_bindgen::JsCast;

use crate::core::options::{CheckedValue, RecorderOptions};

/// The options plus the JS callback they carry.
pub struct StartOptions {
    pub recorder: RecorderOptions,
    pub emit: Option<js_sys::Function>,
}

/// Reads what `optionValues` returned: each option's value in the order
/// of `KNOWN_OPTIONS`, undefined where it was not given, else of the kind
/// its option takes.
pub fn read_start_options(values: &js_sys::Array) -> StartOptions {
    let mut emit = None;
    let mut entries = Vec::new();
    for (place, value) in values.iter().enumerate() {
        let value = if let Some(flag) = value.as_bool() {
            CheckedValue::Flag(flag)
        } else if let Some(number) = value.as_f64() {
            CheckedValue::Number(number)
        } else if let Some(text) = value.as_string() {
            CheckedValue::Text(text)
        } else if value.is_function() {
            emit = Some(value.unchecked_into());
            CheckedValue::Function
        } else {
            continue;
        };
        entries.push((place, value));
    }
    StartOptions {
        recorder: RecorderOptions::from_checked(entries),
        emit,
    }
}
