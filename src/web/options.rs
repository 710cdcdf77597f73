//! Reads the options of `start()` that `js/options.js` checked and
//! normalized (an absolute endpoint, ids as strings, the console methods as
//! a bit set) into the core's typed options.

use wasm_bindgen::JsCast;

use crate::core::options::{CheckedOptions, RecorderOptions, EMIT_PLACE};

/// The options plus the JS callback they carry.
pub struct StartOptions {
    pub recorder: RecorderOptions,
    pub emit: Option<js_sys::Function>,
}

/// What `optionValues` returned: each option's value in the order of
/// `KNOWN_OPTIONS`, undefined where it was not given, else of the kind its
/// option takes.
struct OptionValues<'a>(&'a js_sys::Array);

impl CheckedOptions for OptionValues<'_> {
    fn text(&self, place: usize) -> Option<String> {
        self.0.get(place as u32).as_string()
    }
    fn number(&self, place: usize) -> Option<f64> {
        self.0.get(place as u32).as_f64()
    }
    fn flag(&self, place: usize) -> Option<bool> {
        self.0.get(place as u32).as_bool()
    }
    fn is_function(&self, place: usize) -> bool {
        self.0.get(place as u32).is_function()
    }
}

/// The options `values` (from `optionValues`) hold.
pub fn read_start_options(values: &js_sys::Array) -> StartOptions {
    StartOptions {
        recorder: RecorderOptions::from_checked(&OptionValues(values)),
        emit: values.get(EMIT_PLACE as u32).dyn_into().ok(),
    }
}
