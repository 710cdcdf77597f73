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
// call and writes its event (`consoleCall` in `src/web/page.js`, through
// `src/web/observe/console.rs`) is handed these caps: it stops reading an
// argument at them, and holds each argument's JSON text and the event to
// the character caps (tests/e2e/console-arguments.test.mjs). The caps of a
// stack, and of an uncaught error's message, are its own.

/// Objects and arrays nested deeper than this inside an argument are
/// recorded as `"[Object]"` / `"[Array]"`.
pub const MAX_DEPTH: u32 = 4;
/// At most this many members of an object (own enumerable keys) or items
/// of an array (or Map, Set) are recorded; the rest become one
/// `"… N more"` member.
pub const MAX_MEMBERS: u32 = 50;
/// At most this many characters (UTF-16 units) of JSON text per argument:
/// a longer one is cut, ending in `…` (a string argument stays a string;
/// anything else becomes a string of its text's first characters).
pub const MAX_ARGUMENT_CHARS: usize = 4_000;
/// At most this many characters (UTF-16 units) of arguments per event
/// (at least the first argument is kept): the arguments past it become one
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

/// The data of the `warn` event that reports `dropped` calls over the
/// rate: rrweb's console plugin event, as `consoleCall` in
/// `src/web/page.js` writes one, with no trace and one argument, the note
/// as the JSON text of a string.
pub fn dropped_note(dropped: u32) -> String {
    // The note is quoted twice, as its JSON text and as an element of the
    // payload; it has nothing to escape but those quotes.
    crate::core::json::concat(&[
        "{\"plugin\":\"rrweb/console@1\",\"payload\":{\"level\":\"warn\",\"trace\":[],\"payload\":[\"\\\"[rewind] ",
        &super::json::decimal(u64::from(dropped)),
        " console calls not recorded (over ",
        &super::json::decimal(u64::from(MAX_EVENTS_PER_SECOND)),
        " a second)\\\"\"]}}",
    ])
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
        let data: serde_json::Value = serde_json::from_str(&dropped_note(3)).unwrap();
        assert_eq!(
            data,
            serde_json::json!({
                "plugin": "rrweb/console@1",
                "payload": { "level": "warn", "trace": [], "payload": [data["payload"]["payload"][0].clone()] }
            })
        );
        assert_eq!(
            json_string(data["payload"]["payload"][0].as_str().unwrap()),
            format!(
                "[rewind] 3 console calls not recorded (over {MAX_EVENTS_PER_SECOND} a second)"
            )
        );
    }
}
