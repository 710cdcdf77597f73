//! The debug log: silent unless `debug: true`, one `[rewind]` prefix.
//!
//! The wasm names each line by a [`Note`] and hands over its values; the
//! words are `debugLine`'s in page.js. Writing them here (the texts, the
//! numbers as decimals, the joins) took about 0.9 KB of the shipped gzip
//! for a log that is off on every page but a developer's.

use std::cell::Cell;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/page.js")]
extern "C" {
    /// Writes line `note` of the debug log to the console, with its texts
    /// and numbers (NaN where a line has fewer).
    #[wasm_bindgen(js_name = debugLine)]
    fn debug_line(note: u32, first: &str, second: &str, a: f64, b: f64, c: f64, d: f64);
}

/// The lines of the debug log, by the place of their words in page.js's
/// `DEBUG_LINES`; each says which texts and numbers it takes.
#[derive(Clone, Copy)]
pub enum Note {
    /// The replay `first` starts, sampled.
    Started = 0,
    /// The replay `first` starts, outside `sampleRate`.
    StartedUnsampled,
    /// The replay `first` continues as `second`, outside `sampleRate`.
    ContinuesUnsampled,
    /// `first` (why) released the buffer: `a` chunks reaching back `b` ms.
    BufferSent,
    /// The snapshot that opens a recording failed: `first` says why.
    FirstSnapshotFailed,
    /// A checkout failed: `first` says why.
    CheckoutFailed,
    /// The snapshot that opens replay `first` failed: `second` says why.
    ReplaySnapshotFailed,
    /// A full snapshot of `a` nodes, written in `b` slices.
    SnapshotTaken,
    /// `a` elements nest deeper than `b` levels.
    TooDeep,
    /// The session ended: replay `first` continues as `second`.
    SessionEnded,
    /// identify() changed the device: replay `first` continues as `second`.
    Identified,
    /// Buffer mode dropped its `a` oldest segments, keeping `b` bytes.
    BufferTrimmed,
    /// Replay `first`'s chunk `a` sealed: `b` events, `c` bytes raw, `d`
    /// bytes of gzip.
    Sealed,
    /// As `Sealed`, sealed plain for the courier's worker to compress.
    SealedPlain,
    /// setSessionId() or setDeviceId(): replay `first` continues as
    /// `second`.
    Continues,
}

#[derive(Default)]
pub struct DebugLog {
    enabled: Cell<bool>,
    warned_once: Cell<bool>,
}

impl DebugLog {
    pub fn new(enabled: bool) -> Self {
        DebugLog {
            enabled: Cell::new(enabled),
            warned_once: Cell::new(false),
        }
    }

    /// Whether lines are shown: a caller whose values cost something to
    /// read asks first.
    pub fn is_on(&self) -> bool {
        self.enabled.get()
    }

    /// Line `note`, with its texts and numbers (see [`Note`]).
    pub fn note(&self, note: Note, texts: [&str; 2], numbers: [f64; 4]) {
        if self.enabled.get() {
            let [first, second] = texts;
            let [a, b, c, d] = numbers;
            debug_line(note as u32, first, second, a, b, c, d);
        }
    }

    /// Line `note` with one text.
    pub fn note_text(&self, note: Note, text: &str) {
        self.note(note, [text, ""], [f64::NAN; 4]);
    }

    /// Warns about `error` the first time only, so a failing callback does
    /// not flood the console.
    pub fn warn_once_js(&self, message: &str, error: &JsValue) {
        if self.enabled.get() && !self.warned_once.replace(true) {
            web_sys::console::warn_2(&["[rewind] ", message, ":"].concat().into(), error);
        }
    }
}
