//! The options of `start()`, as typed Rust.
//!
//! `js/options.js` checks them before the wasm is even fetched (a bad one
//! costs the page no download) and hands over what passed, normalized, by
//! each option's place in its table; the web layer reads them through
//! [`CheckedOptions`], and this module sets them over the defaults. Its
//! table lists the same options in the same order as the JS one (a test
//! reads `js/options.js` to hold them together).

use super::chunk::DEFAULT_MAX_CHUNK_BYTES;
use super::console::{ConsoleLevel, DEFAULT_CAPTURED_LEVELS};
use super::outbox::OutboxLimits;
use super::privacy::PrivacyRules;
use super::replay_id::{DeviceId, SessionId};
use super::session::SessionPolicy;

/// The values `js/options.js` accepted, by their option's place in the
/// table: each read as the kind its option takes. `None` (or false) where
/// the option was not given, or, which the check never hands over, holds
/// another kind.
pub trait CheckedOptions {
    /// Text, trimmed; for ids, a valid id; for `mode`, its name.
    fn text(&self, place: usize) -> Option<String>;
    /// A number within the option's bounds; for `captureConsole`, the bit
    /// set of [`ConsoleLevel::ALL`] indexes recorded.
    fn number(&self, place: usize) -> Option<f64>;
    fn flag(&self, place: usize) -> Option<bool>;
    fn is_function(&self, place: usize) -> bool;
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

/// Which option, by its place in the table.
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

/// The place of `emit`, the one option that is a function (the web layer
/// keeps the function).
pub const EMIT_PLACE: usize = Setting::Emit as usize;

/// Every option `start()` accepts, in the order of `js/options.js`'s
/// `KNOWN_OPTIONS`, which checks their values and hands them over by
/// their place in it (`optionValues`): no names cross into the wasm. A
/// setting's place is its discriminant (for the tests).
#[cfg(test)]
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
    /// The options `js/options.js` checked, over the defaults. A value of
    /// another kind than its option takes changes nothing (none can come
    /// from the check).
    pub fn from_checked(values: &impl CheckedOptions) -> Self {
        use Setting::*;
        let mut options = RecorderOptions::default();
        let text = |setting: Setting| values.text(setting as usize);
        let flag = |setting: Setting, into: &mut bool| {
            if let Some(value) = values.flag(setting as usize) {
                *into = value;
            }
        };
        let number = |setting: Setting, into: &mut f64| {
            if let Some(value) = values.number(setting as usize) {
                *into = value;
            }
        };
        options.endpoint = text(Endpoint);
        options.api_key = text(ApiKey);
        options.device_id = text(DeviceId).map(super::replay_id::DeviceId::checked);
        options.session_id = text(SessionId).map(super::replay_id::SessionId::checked);
        if text(Mode).is_some_and(|mode| mode == "buffer") {
            options.mode = RecordingMode::Buffer;
        }
        if let Some(bits) = values.number(CaptureConsole as usize) {
            let mut levels = Vec::new();
            for (bit, level) in ConsoleLevel::ALL.into_iter().enumerate() {
                if (bits as u32) & (1 << bit) != 0 {
                    levels.push(level);
                }
            }
            options.capture_console = levels;
        }
        let privacy = &mut options.privacy;
        privacy.mask_text_selector = text(MaskTextSelector);
        privacy.block_selector = text(BlockSelector);
        privacy.ignore_selector = text(IgnoreSelector);
        flag(MaskAllInputs, &mut privacy.mask_all_inputs);
        flag(MaskAllText, &mut privacy.mask_all_text);
        flag(UserIdAsDeviceId, &mut options.user_id_as_device_id);
        flag(Debug, &mut options.debug);
        options.has_emit = values.is_function(Emit as usize);
        number(SampleRate, &mut options.sample_rate);
        number(ErrorSampleRate, &mut options.error_sample_rate);
        number(BufferMs, &mut options.buffer_ms);
        number(FlushIntervalMs, &mut options.flush_interval_ms);
        number(
            SessionIdleTimeoutMs,
            &mut options.session_policy.idle_timeout_ms,
        );
        number(
            MaxSessionDurationMs,
            &mut options.session_policy.max_duration_ms,
        );
        number(MaxOutboxAgeMs, &mut options.outbox_limits.max_age_ms);
        number(RequestTimeoutMs, &mut options.request_timeout_ms);
        let whole = |setting: Setting| values.number(setting as usize).map(|n| n as usize);
        options.checkout_every_ms = values.number(CheckoutEveryNms as usize);
        options.checkout_every_nth = whole(CheckoutEveryNth).map(|n| n as u32);
        options.max_buffer_bytes = whole(MaxBufferBytes).unwrap_or(options.max_buffer_bytes);
        options.max_chunk_bytes = whole(MaxChunkBytes).unwrap_or(options.max_chunk_bytes);
        options.outbox_limits.max_bytes =
            whole(MaxOutboxBytes).unwrap_or(options.outbox_limits.max_bytes);
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value `js/options.js` accepted, of one of the kinds it hands over.
    #[derive(Debug, Clone, PartialEq)]
    enum CheckedValue {
        Flag(bool),
        Number(f64),
        Text(String),
        Function,
    }

    /// Values by place, as the web layer reads them from `optionValues`.
    struct Checked(Vec<(usize, CheckedValue)>);

    impl Checked {
        fn at(&self, place: usize) -> Option<&CheckedValue> {
            self.0
                .iter()
                .rev()
                .find(|(at, _)| *at == place)
                .map(|(_, value)| value)
        }
    }

    impl CheckedOptions for Checked {
        fn text(&self, place: usize) -> Option<String> {
            match self.at(place) {
                Some(CheckedValue::Text(text)) => Some(text.clone()),
                _ => None,
            }
        }
        fn number(&self, place: usize) -> Option<f64> {
            match self.at(place) {
                Some(CheckedValue::Number(number)) => Some(*number),
                _ => None,
            }
        }
        fn flag(&self, place: usize) -> Option<bool> {
            match self.at(place) {
                Some(CheckedValue::Flag(flag)) => Some(*flag),
                _ => None,
            }
        }
        fn is_function(&self, place: usize) -> bool {
            self.at(place) == Some(&CheckedValue::Function)
        }
    }

    /// The options named, as the web layer hands them over: by place (a
    /// name the table does not know, past its end).
    fn apply(entries: &[(&str, CheckedValue)]) -> RecorderOptions {
        RecorderOptions::from_checked(&Checked(
            entries
                .iter()
                .map(|(name, value)| {
                    let place = NAMES
                        .iter()
                        .position(|known| known == name)
                        .unwrap_or(NAMES.len());
                    (place, value.clone())
                })
                .collect(),
        ))
    }

    #[test]
    fn a_setting_is_read_from_its_place_in_the_table() {
        for (place, setting) in SETTINGS.into_iter().enumerate() {
            assert_eq!(setting as usize, place, "{setting:?}");
        }
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
                    assert_ne!(
                        applied,
                        apply(&[(other, sample(other_setting))]),
                        "{name} and {other}"
                    );
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
                    assert_eq!(
                        apply(&[(name, wrong.clone())]),
                        defaults,
                        "{name} took {wrong:?}"
                    );
                }
            }
        }
        assert_eq!(
            apply(&[("maskAllInput", CheckedValue::Flag(false))]),
            defaults
        );
    }

    #[test]
    fn applied_values_land_where_the_recorder_reads_them() {
        let options = apply(&[
            (
                "endpoint",
                CheckedValue::Text("https://ingest.example/v1".into()),
            ),
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
        assert_eq!(
            options.endpoint.as_deref(),
            Some("https://ingest.example/v1")
        );
        assert_eq!(options.api_key.as_deref(), Some("rk_live_123"));
        assert_eq!(
            options.device_id.as_ref().map(DeviceId::as_str),
            Some("user-42")
        );
        assert_eq!(
            options.session_id.as_ref().map(SessionId::as_str),
            Some("1700000000000")
        );
        assert_eq!(options.session_sample_rate(), 0.25);
        assert_eq!(options.max_chunk_bytes, 65_536);
        assert_eq!(options.checkout_every_nth, Some(200));
        assert_eq!(
            options.privacy.mask_text_selector.as_deref(),
            Some(".secret")
        );
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
        let levels =
            |bits: f64| apply(&[("captureConsole", CheckedValue::Number(bits))]).capture_console;
        assert_eq!(levels(0.0), Vec::new());
        assert_eq!(levels(1.0), vec![ConsoleLevel::Log]);
        assert_eq!(
            levels(f64::from(0b1100_u8)),
            vec![ConsoleLevel::Warn, ConsoleLevel::Error]
        );
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
            source
                .contains(&["export const CONSOLE_LEVELS = [", &levels.join(", "), "];"].concat()),
            "CONSOLE_LEVELS must list {levels:?}"
        );
    }
}
