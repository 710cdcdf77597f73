//! The options of `start()`, as typed Rust.
//!
//! `js/options.js` checks them before the wasm is even fetched (a bad one
//! costs the page no download) and hands over what passed, normalized; the
//! web layer turns that into `(place in the table, CheckedValue)` pairs,
//! and this module applies them. Its table lists the same options in the
//! same order as the JS one (a test reads `js/options.js` to hold them
//! together).

use super::chunk::DEFAULT_MAX_CHUNK_BYTES;
use super::console::{ConsoleLevel, DEFAULT_CAPTURED_LEVELS};
use super::outbox::OutboxLimits;
use super::privacy::PrivacyRules;
use super::replay_id::{DeviceId, SessionId};
use super::session::SessionPolicy;

/// A value `js/options.js` accepted, as the web layer read it.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckedValue {
    Flag(bool),
    /// A number within the option's bounds; for `captureConsole`, the bit
    /// set of [`ConsoleLevel::ALL`] indexes recorded.
    Number(f64),
    /// Text, trimmed; for ids, a valid id; for `mode`, its name.
    Text(String),
    Function,
}

/// Default time between flushes of the gathered events into a chunk.
pub const DEFAULT_FLUSH_INTERVAL_MS: f64 = 5_000.0;

/// Default time after which a request with no answer counts as failed.
pub const DEFAULT_REQUEST_TIMEOUT_MS: f64 = 30_000.0;

/// Default look-back of buffer mode: what a flush covers before its trigger.
pub const DEFAULT_BUFFER_MS: f64 = 60_000.0;

/// Default cap on buffer mode's memory: its compressed chunks.
pub const DEFAULT_MAX_BUFFER_BYTES: usize = 10 * 1024 * 1024;

/// How a recording sends what it records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordingMode {
    /// Chunks are sent as they are sealed.
    #[default]
    Normal,
    /// Chunks are kept in memory (the last `bufferMs` at least) and sent
    /// only once an error or `flush()` triggers; normal from then on.
    Buffer,
}

/// Which option: what [`RecorderOptions::apply`] matches on (a jump, not
/// a string comparison per option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    Endpoint,
    ApiKey,
    DeviceId,
    SessionId,
    UserIdAsDeviceId,
    SampleRate,
    Mode,
    BufferMs,
    MaxBufferBytes,
    ErrorSampleRate,
    CaptureConsole,
    MaskAllInputs,
    MaskAllText,
    MaskTextSelector,
    BlockSelector,
    IgnoreSelector,
    CheckoutEveryNms,
    CheckoutEveryNth,
    FlushIntervalMs,
    MaxChunkBytes,
    SessionIdleTimeoutMs,
    MaxSessionDurationMs,
    MaxOutboxBytes,
    MaxOutboxAgeMs,
    RequestTimeoutMs,
    Debug,
    Emit,
}

/// Every option `start()` accepts, in the order of `js/options.js`'s
/// `KNOWN_OPTIONS`, which checks their values and hands them over by
/// their place in it (`optionValues`): no names cross into the wasm.
const SETTINGS: [Setting; 27] = [
    Setting::Endpoint,
    Setting::ApiKey,
    Setting::DeviceId,
    Setting::SessionId,
    Setting::UserIdAsDeviceId,
    Setting::SampleRate,
    Setting::Mode,
    Setting::BufferMs,
    Setting::MaxBufferBytes,
    Setting::ErrorSampleRate,
    Setting::CaptureConsole,
    Setting::MaskAllInputs,
    Setting::MaskAllText,
    Setting::MaskTextSelector,
    Setting::BlockSelector,
    Setting::IgnoreSelector,
    Setting::CheckoutEveryNms,
    Setting::CheckoutEveryNth,
    Setting::FlushIntervalMs,
    Setting::MaxChunkBytes,
    Setting::SessionIdleTimeoutMs,
    Setting::MaxSessionDurationMs,
    Setting::MaxOutboxBytes,
    Setting::MaxOutboxAgeMs,
    Setting::RequestTimeoutMs,
    Setting::Debug,
    Setting::Emit,
];

/// The options' names, in the table's order (for the tests).
#[cfg(test)]
const NAMES: [&str; 27] = [
    "endpoint",
    "apiKey",
    "deviceId",
    "sessionId",
    "userIdAsDeviceId",
    "sampleRate",
    "mode",
    "bufferMs",
    "maxBufferBytes",
    "errorSampleRate",
    "captureConsole",
    "maskAllInputs",
    "maskAllText",
    "maskTextSelector",
    "blockSelector",
    "ignoreSelector",
    "checkoutEveryNms",
    "checkoutEveryNth",
    "flushIntervalMs",
    "maxChunkBytes",
    "sessionIdleTimeoutMs",
    "maxSessionDurationMs",
    "maxOutboxBytes",
    "maxOutboxAgeMs",
    "requestTimeoutMs",
    "debug",
    "emit",
];

#[derive(Debug, Clone, PartialEq)]
pub struct RecorderOptions {
    pub privacy: PrivacyRules,
    /// Log what the recorder does to the console, prefixed `[rewind]`.
    pub debug: bool,
    /// Events go to a page-supplied `emit` callback.
    pub has_emit: bool,
    /// Where chunks are sent; `None` records for `emit` only.
    pub endpoint: Option<String>,
    pub api_key: Option<String>,
    pub device_id: Option<DeviceId>,
    pub session_id: Option<SessionId>,
    pub sample_rate: f64,
    pub flush_interval_ms: f64,
    pub max_chunk_bytes: usize,
    pub session_policy: SessionPolicy,
    pub outbox_limits: OutboxLimits,
    pub request_timeout_ms: f64,
    /// `identify(userId)` makes the user id the device id (a new replay).
    pub user_id_as_device_id: bool,
    /// Take a fresh full snapshot after this long (a checkout).
    pub checkout_every_ms: Option<f64>,
    /// Take a fresh full snapshot after this many incremental events.
    pub checkout_every_nth: Option<u32>,
    pub mode: RecordingMode,
    /// Buffer mode keeps at least this much before a trigger.
    pub buffer_ms: f64,
    /// Buffer mode's cap on its compressed chunks.
    pub max_buffer_bytes: usize,
    /// The share of sessions buffer mode records.
    pub error_sample_rate: f64,
    /// The console methods recorded.
    pub capture_console: Vec<ConsoleLevel>,
}

impl RecorderOptions {
    /// The share of sessions recorded: `sampleRate` in normal mode,
    /// `errorSampleRate` in buffer mode.
    pub fn session_sample_rate(&self) -> f64 {
        match self.mode {
            RecordingMode::Normal => self.sample_rate,
            RecordingMode::Buffer => self.error_sample_rate,
        }
    }
}

impl Default for RecorderOptions {
    fn default() -> Self {
        RecorderOptions {
            privacy: PrivacyRules::default(),
            debug: false,
            has_emit: false,
            endpoint: None,
            api_key: None,
            device_id: None,
            session_id: None,
            sample_rate: 1.0,
            flush_interval_ms: DEFAULT_FLUSH_INTERVAL_MS,
            max_chunk_bytes: DEFAULT_MAX_CHUNK_BYTES,
            session_policy: SessionPolicy::default(),
            outbox_limits: OutboxLimits::default(),
            request_timeout_ms: DEFAULT_REQUEST_TIMEOUT_MS,
            checkout_every_ms: None,
            checkout_every_nth: None,
            user_id_as_device_id: false,
            mode: RecordingMode::Normal,
            buffer_ms: DEFAULT_BUFFER_MS,
            max_buffer_bytes: DEFAULT_MAX_BUFFER_BYTES,
            error_sample_rate: 1.0,
            capture_console: DEFAULT_CAPTURED_LEVELS.to_vec(),
        }
    }
}

impl RecorderOptions {
    /// The options `js/options.js` checked, applied over the defaults:
    /// each value with its option's place in the table. A place past the
    /// table, or a value of another kind than its option takes, changes
    /// nothing (neither can come from the check).
    pub fn from_checked(entries: impl IntoIterator<Item = (usize, CheckedValue)>) -> Self {
        let mut options = RecorderOptions::default();
        for (place, value) in entries {
            if let Some(&setting) = SETTINGS.get(place) {
                options.apply(setting, value);
            }
        }
        options
    }

    /// Sets the option `setting` names to `value`, of the kind it takes.
    fn apply(&mut self, setting: Setting, value: CheckedValue) {
        use CheckedValue::{Flag, Function, Number, Text};
        match (setting, value) {
            (Setting::Endpoint, Text(url)) => self.endpoint = Some(url),
            (Setting::ApiKey, Text(token)) => self.api_key = Some(token),
            (Setting::DeviceId, Text(id)) => self.device_id = Some(DeviceId::checked(id)),
            (Setting::SessionId, Text(id)) => self.session_id = Some(SessionId::checked(id)),
            (Setting::Mode, Text(mode)) => {
                self.mode = if mode == "buffer" {
                    RecordingMode::Buffer
                } else {
                    RecordingMode::Normal
                };
            }
            (Setting::CaptureConsole, Number(bits)) => {
                let mut levels = Vec::new();
                for (bit, level) in ConsoleLevel::ALL.into_iter().enumerate() {
                    if (bits as u32) & (1 << bit) != 0 {
                        levels.push(level);
                    }
                }
                self.capture_console = levels;
            }
            (Setting::MaskTextSelector, Text(selector)) => {
                self.privacy.mask_text_selector = Some(selector);
            }
            (Setting::BlockSelector, Text(selector)) => {
                self.privacy.block_selector = Some(selector);
            }
            (Setting::IgnoreSelector, Text(selector)) => {
                self.privacy.ignore_selector = Some(selector);
            }
            (Setting::UserIdAsDeviceId, Flag(flag)) => self.user_id_as_device_id = flag,
            (Setting::MaskAllInputs, Flag(flag)) => self.privacy.mask_all_inputs = flag,
            (Setting::MaskAllText, Flag(flag)) => self.privacy.mask_all_text = flag,
            (Setting::Debug, Flag(flag)) => self.debug = flag,
            (Setting::Emit, Function) => self.has_emit = true,
            (setting, Number(number)) => self.apply_number(setting, number),
            _ => {}
        }
    }

    fn apply_number(&mut self, setting: Setting, number: f64) {
        match setting {
            Setting::SampleRate => self.sample_rate = number,
            Setting::ErrorSampleRate => self.error_sample_rate = number,
            Setting::BufferMs => self.buffer_ms = number,
            Setting::MaxBufferBytes => self.max_buffer_bytes = number as usize,
            Setting::CheckoutEveryNms => self.checkout_every_ms = Some(number),
            Setting::CheckoutEveryNth => self.checkout_every_nth = Some(number as u32),
            Setting::FlushIntervalMs => self.flush_interval_ms = number,
            Setting::MaxChunkBytes => self.max_chunk_bytes = number as usize,
            Setting::SessionIdleTimeoutMs => self.session_policy.idle_timeout_ms = number,
            Setting::MaxSessionDurationMs => self.session_policy.max_duration_ms = number,
            Setting::MaxOutboxBytes => self.outbox_limits.max_bytes = number as usize,
            Setting::MaxOutboxAgeMs => self.outbox_limits.max_age_ms = number,
            Setting::RequestTimeoutMs => self.request_timeout_ms = number,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options named, as the web layer hands them over: by place (a
    /// name the table does not know, past its end).
    fn apply(entries: &[(&str, CheckedValue)]) -> RecorderOptions {
        RecorderOptions::from_checked(entries.iter().map(|(name, value)| {
            let place = NAMES.iter().position(|known| known == name).unwrap_or(NAMES.len());
            (place, value.clone())
        }))
    }

    /// Each option's name with its setting.
    fn settings() -> impl Iterator<Item = (&'static str, Setting)> {
        NAMES.into_iter().zip(SETTINGS)
    }

    /// A value of the kind `setting` takes, unlike its default.
    fn sample(setting: Setting) -> CheckedValue {
        match setting {
            Setting::Endpoint
            | Setting::ApiKey
            | Setting::MaskTextSelector
            | Setting::BlockSelector
            | Setting::IgnoreSelector => CheckedValue::Text("x".into()),
            Setting::DeviceId | Setting::SessionId => CheckedValue::Text("id-1".into()),
            Setting::Mode => CheckedValue::Text("buffer".into()),
            Setting::UserIdAsDeviceId | Setting::MaskAllText | Setting::Debug => {
                CheckedValue::Flag(true)
            }
            Setting::MaskAllInputs => CheckedValue::Flag(false),
            Setting::Emit => CheckedValue::Function,
            Setting::CaptureConsole => CheckedValue::Number(1.0),
            _ => CheckedValue::Number(12_345.0),
        }
    }

    #[test]
    fn defaults_are_safe() {
        let options = apply(&[]);
        assert!(options.privacy.mask_all_inputs);
        assert!(!options.privacy.mask_all_text);
        assert!(!options.debug);
        assert_eq!(options.sample_rate, 1.0);
        assert_eq!(options.flush_interval_ms, 5_000.0);
        assert_eq!(options.max_chunk_bytes, 1_048_576);
        assert_eq!(options.mode, RecordingMode::Normal);
        assert_eq!(options.capture_console, DEFAULT_CAPTURED_LEVELS.to_vec());
    }

    #[test]
    fn every_option_is_applied_and_only_with_its_kind() {
        let defaults = apply(&[]);
        for (name, setting) in settings() {
            let applied = apply(&[(name, sample(setting))]);
            assert_ne!(applied, defaults, "{name} changed nothing");
            // Each option changes something no other option changes.
            for (other, other_setting) in settings() {
                if other != name {
                    assert_ne!(applied, apply(&[(other, sample(other_setting))]), "{name} and {other}");
                }
            }
            // A value of another kind changes nothing.
            for wrong in [
                CheckedValue::Flag(true),
                CheckedValue::Number(7.0),
                CheckedValue::Text("y".into()),
                CheckedValue::Function,
            ] {
                if std::mem::discriminant(&wrong) != std::mem::discriminant(&sample(setting)) {
                    assert_eq!(apply(&[(name, wrong.clone())]), defaults, "{name} took {wrong:?}");
                }
            }
        }
        assert_eq!(apply(&[("maskAllInput", CheckedValue::Flag(false))]), defaults);
    }

    #[test]
    fn applied_values_land_where_the_recorder_reads_them() {
        let options = apply(&[
            ("endpoint", CheckedValue::Text("https://ingest.example/v1".into())),
            ("apiKey", CheckedValue::Text("rk_live_123".into())),
            ("deviceId", CheckedValue::Text("user-42".into())),
            ("sessionId", CheckedValue::Text("1700000000000".into())),
            ("sampleRate", CheckedValue::Number(0.25)),
            ("errorSampleRate", CheckedValue::Number(0.5)),
            ("maxChunkBytes", CheckedValue::Number(65_536.0)),
            ("checkoutEveryNth", CheckedValue::Number(200.0)),
            ("maskTextSelector", CheckedValue::Text(".secret".into())),
            ("emit", CheckedValue::Function),
        ]);
        assert_eq!(options.endpoint.as_deref(), Some("https://ingest.example/v1"));
        assert_eq!(options.api_key.as_deref(), Some("rk_live_123"));
        assert_eq!(options.device_id.as_ref().map(DeviceId::as_str), Some("user-42"));
        assert_eq!(options.session_id.as_ref().map(SessionId::as_str), Some("1700000000000"));
        assert_eq!(options.session_sample_rate(), 0.25);
        assert_eq!(options.max_chunk_bytes, 65_536);
        assert_eq!(options.checkout_every_nth, Some(200));
        assert_eq!(options.privacy.mask_text_selector.as_deref(), Some(".secret"));
        assert!(options.has_emit);
        let buffered = apply(&[
            ("mode", CheckedValue::Text("buffer".into())),
            ("errorSampleRate", CheckedValue::Number(0.5)),
        ]);
        assert_eq!(buffered.mode, RecordingMode::Buffer);
        assert_eq!(buffered.session_sample_rate(), 0.5);
    }

    #[test]
    fn console_methods_are_read_from_their_bits() {
        // js/options.js: bit i is CONSOLE_LEVELS[i], ConsoleLevel::ALL's order.
        let levels = |bits: f64| apply(&[("captureConsole", CheckedValue::Number(bits))]).capture_console;
        assert_eq!(levels(0.0), Vec::new());
        assert_eq!(levels(1.0), vec![ConsoleLevel::Log]);
        assert_eq!(levels(f64::from(0b1100_u8)), vec![ConsoleLevel::Warn, ConsoleLevel::Error]);
        assert_eq!(levels(127.0), ConsoleLevel::ALL.to_vec());
    }

    #[test]
    fn the_table_names_the_options_js_checks_in_the_same_order() {
        // js/options.js's KNOWN_OPTIONS: one `['name', ...]` row a line,
        // and its CONSOLE_LEVELS, whose bits `captureConsole` carries.
        let source = include_str!("../../js/options.js");
        let table = &source[source.find("export const KNOWN_OPTIONS = [").unwrap()..];
        let table = &table[..table.find("\n];").unwrap()];
        let names: Vec<&str> = table
            .lines()
            .filter_map(|line| line.trim().strip_prefix("['"))
            .map(|row| &row[..row.find('\'').unwrap()])
            .collect();
        assert_eq!(names, NAMES);
        let levels: Vec<String> = ConsoleLevel::ALL
            .iter()
            .map(|level| ["'", level.name(), "'"].concat())
            .collect();
        assert!(
            source.contains(&["export const CONSOLE_LEVELS = [", &levels.join(", "), "];"].concat()),
            "CONSOLE_LEVELS must list {levels:?}"
        );
    }
}
