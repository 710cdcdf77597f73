//! Console capture: which console methods are recorded, and the caps that
//! keep a chatty page from filling its replay (`captureConsole`).

/// A console method rewind can record, as rrweb's console plugin names
/// its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleLevel {
    Log,
    Info,
    Warn,
    Error,
    Debug,
    Assert,
    Trace,
}

impl ConsoleLevel {
    pub const ALL: [ConsoleLevel; 7] = [
        ConsoleLevel::Log,
        ConsoleLevel::Info,
        ConsoleLevel::Warn,
        ConsoleLevel::Error,
        ConsoleLevel::Debug,
        ConsoleLevel::Assert,
        ConsoleLevel::Trace,
    ];

    /// The console method's name, which is also the event's `level`.
    pub fn name(self) -> &'static str {
        match self {
            ConsoleLevel::Log => "log",
            ConsoleLevel::Info => "info",
            ConsoleLevel::Warn => "warn",
            ConsoleLevel::Error => "error",
            ConsoleLevel::Debug => "debug",
            ConsoleLevel::Assert => "assert",
            ConsoleLevel::Trace => "trace",
        }
    }
}

/// The console methods `captureConsole` records by default.
pub const DEFAULT_CAPTURED_LEVELS: [ConsoleLevel; 2] = [ConsoleLevel::Error, ConsoleLevel::Warn];

// What one console call may put into a replay. The JS side that reads the
// arguments (`src/web/observe/console.rs`) is handed the first four caps
// and stops reading an argument once they are reached; `fit_arguments`
// then holds every event to the character caps, whatever JS produced.

/// Objects and arrays nested deeper than this inside an argument are
/// recorded as `"[Object]"` / `"[Array]"`.
pub const MAX_DEPTH: u32 = 4;
/// At most this many members of an object (own enumerable keys) or items
/// of an array (or Map, Set) are recorded; the rest become one
/// `"… N more"` member.
pub const MAX_MEMBERS: u32 = 50;
/// At most this many characters of JSON text per argument: a longer one is
/// recorded as a JSON string holding its first characters and `…`.
pub const MAX_ARGUMENT_CHARS: usize = 4_000;
/// At most this many characters of arguments per event (at least the
/// first argument is kept): the arguments past it become one
/// `"… N more arguments"` argument.
pub const MAX_EVENT_CHARS: usize = 10_000;
/// At most this many console events are recorded per second (a window
/// that opens at the first call after the last one closed); calls past it
/// are counted and the count is recorded, as a `warn` event
/// ([`dropped_note`]), before the next call recorded (or when the
/// recording flushes or stops).
pub const MAX_EVENTS_PER_SECOND: u32 = 20;
const RATE_WINDOW_MS: f64 = 1_000.0;
/// Calls made before the recording's first full snapshot (a `start()` in
/// the page's `<head>` waits for DOMContentLoaded) are kept until it is
/// written, at most this many; the calls past them are counted as over
/// the rate.
pub const MAX_EARLY_EVENTS: usize = 100;

/// The rate rule: which console calls are recorded, with the clock passed
/// in.
#[derive(Debug, Default)]
pub struct ConsoleRate {
    window_start: f64,
    in_window: u32,
    dropped: u32,
}

impl ConsoleRate {
    /// Whether a call at `now` (ms) is recorded: `Some(dropped)` records
    /// it, after a note of the `dropped` calls not recorded before it when
    /// there were any; `None` drops it (and counts it).
    pub fn admit(&mut self, now: f64) -> Option<u32> {
        // A clock that went back (a changed system time) opens a window too.
        if self.in_window == 0
            || now - self.window_start >= RATE_WINDOW_MS
            || now < self.window_start
        {
            self.window_start = now;
            self.in_window = 0;
        }
        if self.in_window >= MAX_EVENTS_PER_SECOND {
            self.dropped += 1;
            return None;
        }
        self.in_window += 1;
        Some(self.take_dropped())
    }

    /// Counts a call dropped for another reason than the rate (see
    /// [`MAX_EARLY_EVENTS`]), to be noted with the others.
    pub fn count_dropped(&mut self) {
        self.dropped += 1;
    }

    /// The calls dropped since the last note, now noted.
    pub fn take_dropped(&mut self) -> u32 {
        std::mem::take(&mut self.dropped)
    }
}

/// The argument (as JSON text) of the `warn` event that reports `dropped`
/// calls over the rate.
pub fn dropped_note(dropped: u32) -> String {
    let mut note = String::new();
    crate::core::json::write_str(
        &mut note,
        &crate::core::json::concat(&[
            "[rewind] ",
            &super::json::decimal(u64::from(dropped)),
            " console calls not recorded (over ",
            &super::json::decimal(u64::from(MAX_EVENTS_PER_SECOND)),
            " a second)",
        ]),
    );
    note
}

/// A console call's arguments as recorded: `described` is the JSON text
/// of each argument JS read, one to a line (JSON text has no raw line
/// break), of the call's `total` arguments. Each is cut to
/// [`MAX_ARGUMENT_CHARS`] (into a JSON string of its first characters,
/// so that every argument stays JSON) and they are kept while they fit in
/// [`MAX_EVENT_CHARS`]; the rest become one `"… N more arguments"`.
pub fn fit_arguments(described: &str, total: usize) -> Vec<String> {
    let mut fitted: Vec<String> = Vec::new();
    let mut used = 0;
    for text in super::json::split_at_each(described, b'\n') {
        if text.is_empty() {
            continue;
        }
        let text = match super::json::nth_char_start(text, MAX_ARGUMENT_CHARS) {
            // A string (escapes made it longer than JS's cap) stays the
            // same string, cut.
            Some(cut) if text.starts_with('"') => {
                cut_json_string(text.get(..cut).unwrap_or_default())
            }
            Some(cut) => {
                let mut quoted = String::new();
                crate::core::json::write_str(
                    &mut quoted,
                    &crate::core::json::concat(&[text.get(..cut).unwrap_or_default(), "…"]),
                );
                quoted
            }
            None => text.to_owned(),
        };
        used += super::json::char_count(&text);
        if used > MAX_EVENT_CHARS && !fitted.is_empty() {
            break;
        }
        fitted.push(text);
    }
    let omitted = total.saturating_sub(fitted.len());
    if omitted > 0 {
        let mut note = String::new();
        crate::core::json::write_str(
            &mut note,
            &crate::core::json::concat(&[
                "… ",
                &super::json::decimal(omitted as u64),
                " more arguments",
            ]),
        );
        fitted.push(note);
    }
    fitted
}

/// `prefix`, the start of a JSON string's text (from its opening quote),
/// closed again after an ellipsis, without an escape cut in half.
fn cut_json_string(prefix: &str) -> String {
    let mut end = prefix.len();
    if let Some(last) = prefix.bytes().rposition(|byte| byte == b'\\') {
        let (before, after) = prefix.split_at_checked(last + 1).unwrap_or((prefix, ""));
        // The backslashes it ends with (a loop: less wasm than an
        // iterator chain or `trim_end_matches`).
        let mut run = 0;
        for &byte in before.as_bytes().iter().rev() {
            if byte != b'\\' {
                break;
            }
            run += 1;
        }
        let is_whole = match after.chars().next() {
            None => false,
            Some('u') => after.len() >= 5,
            Some(_) => true,
        };
        if run % 2 == 1 && !is_whole {
            end = last;
        }
    }
    crate::core::json::concat(&[prefix.get(..end).unwrap_or_default(), "…\""])
}

/// The caller's part of a stack taken inside rewind's console wrapper: the
/// message line V8 puts first (`Error`) and the wrapper's own frame left
/// out. (Firefox and Safari have no message line.)
pub fn caller_frames(stack: &str) -> &str {
    let mut rest = stack;
    loop {
        let (line, after) = super::json::split_once_at(rest, b'\n').unwrap_or((rest, ""));
        rest = after;
        if line.trim_ascii() != "Error" {
            return rest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_string(text: &str) -> String {
        serde_json::from_str(text).unwrap_or_else(|error| panic!("{error}: {text}"))
    }

    #[test]
    fn rate_records_a_second_s_worth_then_counts_until_the_window_ends() {
        let mut rate = ConsoleRate::default();
        let limit = MAX_EVENTS_PER_SECOND as usize;
        let verdicts: Vec<Option<u32>> = (0..limit + 5)
            .map(|call| rate.admit(1_000.0 + call as f64))
            .collect();
        assert!(verdicts[..limit].iter().all(|v| *v == Some(0)));
        assert!(verdicts[limit..].iter().all(Option::is_none));
        // Still inside the window that opened at 1000.
        assert_eq!(rate.admit(1_999.0), None);
        // The next window's first call carries the count.
        assert_eq!(rate.admit(2_000.0), Some(6));
        assert_eq!(rate.admit(2_001.0), Some(0), "the count is reported once");
    }

    #[test]
    fn rate_windows_open_at_the_first_call_after_the_last_closed() {
        let mut rate = ConsoleRate::default();
        for _ in 0..MAX_EVENTS_PER_SECOND {
            assert_eq!(rate.admit(0.0), Some(0));
        }
        assert_eq!(rate.admit(999.0), None);
        // A quiet page, then a burst: a full second's worth again.
        for at in 0..MAX_EVENTS_PER_SECOND {
            let expected = if at == 0 { 1 } else { 0 };
            assert_eq!(rate.admit(60_000.0 + f64::from(at)), Some(expected));
        }
        assert_eq!(rate.admit(60_500.0), None);
    }

    #[test]
    fn rate_opens_a_window_when_the_clock_goes_back() {
        let mut rate = ConsoleRate::default();
        for _ in 0..=MAX_EVENTS_PER_SECOND {
            rate.admit(50_000.0);
        }
        assert_eq!(rate.admit(10_000.0), Some(1));
    }

    #[test]
    fn dropped_calls_can_be_taken_for_a_note_without_a_later_call() {
        let mut rate = ConsoleRate::default();
        for _ in 0..MAX_EVENTS_PER_SECOND + 3 {
            rate.admit(0.0);
        }
        rate.count_dropped();
        assert_eq!(
            rate.take_dropped(),
            4,
            "over the rate, and counted by the caller"
        );
        assert_eq!(rate.take_dropped(), 0);
        assert_eq!(
            json_string(&dropped_note(3)),
            format!(
                "[rewind] 3 console calls not recorded (over {MAX_EVENTS_PER_SECOND} a second)"
            )
        );
    }

    #[test]
    fn arguments_that_fit_are_kept_as_they_are() {
        let fitted = fit_arguments("\"a\"\n{\"b\":[1,2]}\nnull", 3);
        assert_eq!(fitted, ["\"a\"", "{\"b\":[1,2]}", "null"]);
        assert!(fit_arguments("", 0).is_empty(), "console.log()");
    }

    #[test]
    fn a_long_argument_becomes_a_json_string_of_its_first_characters() {
        let long = format!("[\"{}\"]", "é".repeat(MAX_ARGUMENT_CHARS));
        let fitted = fit_arguments(&format!("{long}\n1"), 2);
        assert_eq!(fitted.len(), 2);
        let cut = json_string(&fitted[0]);
        assert_eq!(cut.chars().count(), MAX_ARGUMENT_CHARS + 1);
        assert!(cut.starts_with("[\"éé") && cut.ends_with('…'));
        assert_eq!(fitted[1], "1");
    }

    #[test]
    fn arguments_past_the_event_cap_are_counted_not_kept() {
        let item = format!("\"{}\"", "x".repeat(MAX_ARGUMENT_CHARS - 2));
        let described = [item.as_str(); 4].join("\n");
        // Seven arguments, of which JS read four before the event was full.
        let fitted = fit_arguments(&described, 7);
        let kept = MAX_EVENT_CHARS / MAX_ARGUMENT_CHARS;
        assert_eq!(fitted.len(), kept + 1);
        assert!(fitted[..kept].iter().all(|text| *text == item));
        assert_eq!(
            json_string(&fitted[kept]),
            format!("… {} more arguments", 7 - kept)
        );
        let total: usize = fitted.iter().map(|text| text.chars().count()).sum();
        assert!(total <= MAX_EVENT_CHARS + 40);
    }

    #[test]
    fn caller_frames_leave_out_the_message_line_and_the_wrapper() {
        let v8 = "Error\n    at console.warn (https://cdn.example/rewind.js:1:200)\n    at save (https://app.example/app.js:10:5)\n    at https://app.example/app.js:20:1";
        assert_eq!(
            caller_frames(v8),
            "    at save (https://app.example/app.js:10:5)\n    at https://app.example/app.js:20:1"
        );
        let firefox =
            "warn@https://cdn.example/rewind.js:1:200\nsave@https://app.example/app.js:10:5\n";
        assert_eq!(
            caller_frames(firefox),
            "save@https://app.example/app.js:10:5\n"
        );
        assert_eq!(caller_frames("Error"), "");
        assert_eq!(caller_frames(""), "");
    }

    #[test]
    fn a_long_string_argument_is_cut_into_the_same_string() {
        let line = "TypeError: cart is empty\n    at checkout (shop.js:1:1)".repeat(200);
        let mut text = String::new();
        crate::core::json::write_str(&mut text, &line);
        let fitted = fit_arguments(&text, 1);
        let value: String = serde_json::from_str(&fitted[0]).expect("still a JSON string");
        assert!(
            value.starts_with("TypeError: cart is empty\n"),
            "{value:.60}"
        );
        assert!(value.ends_with('…'));
        // An escape is never cut in half, wherever the cut falls.
        for shift in 0..8 {
            let padded = format!("{}{}", "x".repeat(shift), "\u{1}\n\\\"".repeat(2_000));
            let mut text = String::new();
            crate::core::json::write_str(&mut text, &padded);
            let fitted = fit_arguments(&text, 1);
            let value: String = serde_json::from_str(&fitted[0]).expect("valid at every cut");
            assert!(padded.starts_with(value.trim_end_matches('…')));
        }
    }
}
