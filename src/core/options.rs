//! The options of `start()`, validated once into typed Rust.
//!
//! The web layer turns the JS object into `(key, OptionValue)` pairs; this
//! module decides what they mean and rejects unknown keys and wrong types
//! with a message naming the key and what is allowed, so that a typo such as
//! `maskAllInput` is never silently ignored.

use std::fmt;

use super::chunk::DEFAULT_MAX_CHUNK_BYTES;
use super::console::{ConsoleLevel, DEFAULT_CAPTURED_LEVELS};
use super::outbox::OutboxLimits;
use super::privacy::PrivacyRules;
use super::replay_id::{DeviceId, IdError, SessionId};
use super::session::SessionPolicy;

/// A JS value as far as option checking cares.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    Bool(bool),
    Number(f64),
    Text(String),
    Function,
    /// An array whose items are all strings.
    Texts(Vec<String>),
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
            OptionValue::Texts(_) => "array",
            OptionValue::Other(kind) => kind,
        }
    }

    fn describe(&self) -> String {
        match self {
            OptionValue::Number(number) => super::json::format_number(*number),
            OptionValue::Text(text) => ["'", text, "'"].concat(),
            OptionValue::Texts(texts) => {
                let mut out = String::from("[");
                for (index, text) in texts.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    out.push('\'');
                    out.push_str(text);
                    out.push('\'');
                }
                out.push(']');
                out
            }
            other => other.kind().to_owned(),
        }
    }
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

/// What an option takes; [`RecorderOptions::from_entries`] checks a value
/// against it once, for every option alike, before applying it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Takes {
    Flag,
    /// A string that is not blank; applied trimmed.
    Text,
    /// Printable ASCII without spaces: it is sent in a header.
    HeaderToken,
    /// A number from the first bound to the second.
    Number(f64, f64),
    /// A whole number from the first bound to the second.
    WholeNumber(f64, f64),
    DeviceId,
    /// A whole number or an id string.
    SessionId,
    Mode,
    ConsoleLevels,
    Function,
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

/// An option `start()` accepts: its name, how its value is checked, and
/// what it takes in words, for error messages.
pub struct KnownOption {
    pub name: &'static str,
    setting: Setting,
    takes: Takes,
    pub expected: &'static str,
}

const fn option(
    name: &'static str,
    setting: Setting,
    takes: Takes,
    expected: &'static str,
) -> KnownOption {
    KnownOption {
        name,
        setting,
        takes,
        expected,
    }
}

/// Every option `start()` accepts.
pub const KNOWN_OPTIONS: &[KnownOption] = &[
    option(
        "endpoint",
        Setting::Endpoint,
        Takes::Text,
        "a URL (http or https): where chunks are POSTed",
    ),
    option(
        "apiKey",
        Setting::ApiKey,
        Takes::HeaderToken,
        "a string of printable ASCII without spaces, sent as 'Authorization: Bearer <apiKey>'",
    ),
    option(
        "deviceId",
        Setting::DeviceId,
        Takes::DeviceId,
        "a string of 1 to 128 of a-z A-Z 0-9 _ - . | @ : =",
    ),
    option(
        "sessionId",
        Setting::SessionId,
        Takes::SessionId,
        "a whole number or a string of 1 to 128 of a-z A-Z 0-9 _ - . | @ : =",
    ),
    option(
        "userIdAsDeviceId",
        Setting::UserIdAsDeviceId,
        Takes::Flag,
        "a boolean (default false): identify(userId) makes the user id the device id",
    ),
    option(
        "sampleRate",
        Setting::SampleRate,
        Takes::Number(0.0, 1.0),
        "a number from 0 to 1 (default 1)",
    ),
    option(
        "mode",
        Setting::Mode,
        Takes::Mode,
        "'normal' (default: chunks are sent as recorded) or 'buffer' (kept in memory, sent once an error or flush() triggers)",
    ),
    option(
        "bufferMs",
        Setting::BufferMs,
        Takes::Number(5_000.0, 600_000.0),
        "a number of milliseconds from 5000 to 600000 (default 60000): what buffer mode keeps before a trigger",
    ),
    option(
        "maxBufferBytes",
        Setting::MaxBufferBytes,
        Takes::Number(262_144.0, 268_435_456.0),
        "a number of bytes from 262144 to 268435456 (default 10485760): buffer mode's memory cap, in compressed chunks",
    ),
    option(
        "errorSampleRate",
        Setting::ErrorSampleRate,
        Takes::Number(0.0, 1.0),
        "a number from 0 to 1 (default 1): the share of sessions buffered in buffer mode",
    ),
    option(
        "captureConsole",
        Setting::CaptureConsole,
        Takes::ConsoleLevels,
        "an array of console methods to record, of log info warn error debug assert trace (default ['error', 'warn']; [] records none)",
    ),
    option(
        "maskAllInputs",
        Setting::MaskAllInputs,
        Takes::Flag,
        "a boolean (default true)",
    ),
    option(
        "maskAllText",
        Setting::MaskAllText,
        Takes::Flag,
        "a boolean (default false)",
    ),
    option(
        "maskTextSelector",
        Setting::MaskTextSelector,
        Takes::Text,
        "a CSS selector: text inside matching elements is masked",
    ),
    option(
        "blockSelector",
        Setting::BlockSelector,
        Takes::Text,
        "a CSS selector: matching elements are recorded as empty placeholders",
    ),
    option(
        "ignoreSelector",
        Setting::IgnoreSelector,
        Takes::Text,
        "a CSS selector: input into matching fields is not recorded",
    ),
    option(
        "checkoutEveryNms",
        Setting::CheckoutEveryNms,
        Takes::Number(1_000.0, 86_400_000.0),
        "a number of milliseconds from 1000 to 86400000: a full snapshot that often",
    ),
    option(
        "checkoutEveryNth",
        Setting::CheckoutEveryNth,
        Takes::WholeNumber(1.0, 1_000_000.0),
        "a whole number from 1 to 1000000: a full snapshot after that many events",
    ),
    option(
        "flushIntervalMs",
        Setting::FlushIntervalMs,
        Takes::Number(100.0, 600_000.0),
        "a number of milliseconds from 100 to 600000 (default 5000)",
    ),
    option(
        "maxChunkBytes",
        Setting::MaxChunkBytes,
        Takes::Number(16_384.0, 16_777_216.0),
        "a number of bytes from 16384 to 16777216 (default 1048576)",
    ),
    option(
        "sessionIdleTimeoutMs",
        Setting::SessionIdleTimeoutMs,
        Takes::Number(1_000.0, 604_800_000.0),
        "a number of milliseconds from 1000 to 604800000 (default 1800000)",
    ),
    option(
        "maxSessionDurationMs",
        Setting::MaxSessionDurationMs,
        Takes::Number(60_000.0, 604_800_000.0),
        "a number of milliseconds from 60000 to 604800000 (default 14400000)",
    ),
    option(
        "maxOutboxBytes",
        Setting::MaxOutboxBytes,
        Takes::Number(65_536.0, 1_073_741_824.0),
        "a number of bytes from 65536 to 1073741824 (default 20971520)",
    ),
    option(
        "maxOutboxAgeMs",
        Setting::MaxOutboxAgeMs,
        Takes::Number(60_000.0, 2_592_000_000.0),
        "a number of milliseconds from 60000 to 2592000000 (default 604800000)",
    ),
    option(
        "requestTimeoutMs",
        Setting::RequestTimeoutMs,
        Takes::Number(100.0, 300_000.0),
        "a number of milliseconds from 100 to 300000 (default 30000)",
    ),
    option(
        "debug",
        Setting::Debug,
        Takes::Flag,
        "a boolean (default false)",
    ),
    option(
        "emit",
        Setting::Emit,
        Takes::Function,
        "a function called with each event",
    ),
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

/// Why options were rejected.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionsError {
    NotAnObject {
        got: &'static str,
    },
    UnknownKey {
        key: String,
        suggestion: Option<&'static str>,
    },
    /// The value has the wrong type or is out of range.
    BadValue {
        key: &'static str,
        expected: &'static str,
        got: String,
    },
    BadId(IdError),
    /// Neither `endpoint` nor `emit`: the events would go nowhere.
    NoDestination,
    /// A value the web layer found invalid (an endpoint that is no URL).
    Invalid {
        key: &'static str,
        reason: String,
    },
}

impl OptionsError {
    /// The message `start()` rejects with: the key, what was wrong and what
    /// is allowed. (Built by hand, not through `Display`: the shipped wasm
    /// carries no formatting machinery.)
    pub fn message(&self) -> String {
        match self {
            OptionsError::NotAnObject { got } => {
                ["rewind options must be an object or undefined, got ", got].concat()
            }
            OptionsError::UnknownKey { key, suggestion } => {
                let mut out = ["unknown rewind option '", key, "'"].concat();
                if let Some(suggestion) = suggestion {
                    out.push_str(&[" (did you mean '", suggestion, "'?)"].concat());
                }
                out.push_str("; allowed options: ");
                for (index, KnownOption { name, .. }) in KNOWN_OPTIONS.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(name);
                }
                out
            }
            OptionsError::BadValue { key, expected, got } => {
                ["rewind option '", key, "' must be ", expected, ", got ", got].concat()
            }
            OptionsError::BadId(error) => ["rewind option ", &error.message()].concat(),
            OptionsError::NoDestination => "rewind needs somewhere to send events: pass 'endpoint' (a URL chunks are POSTed to) or 'emit' (a function called with each event)".to_owned(),
            OptionsError::Invalid { key, reason } => {
                ["rewind option '", key, "' ", reason].concat()
            }
        }
    }
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for OptionsError {}

/// A value that passed its option's check, as the option takes it.
enum Accepted {
    Flag(bool),
    Number(f64),
    Text(String),
    Device(DeviceId),
    Session(SessionId),
    Mode(RecordingMode),
    Levels(Vec<ConsoleLevel>),
    Function,
}

impl Takes {
    /// `value` as this option takes it: `Err(None)` when it is not what the
    /// option takes, `Err(Some(_))` when it is an id that is not valid.
    fn accept(self, value: &OptionValue) -> Result<Accepted, Option<IdError>> {
        Ok(match (self, value) {
            (Takes::Flag, OptionValue::Bool(flag)) => Accepted::Flag(*flag),
            (Takes::Text, OptionValue::Text(text)) if !text.trim().is_empty() => {
                Accepted::Text(text.trim().to_owned())
            }
            (Takes::HeaderToken, OptionValue::Text(text)) if is_header_token(text) => {
                Accepted::Text(text.clone())
            }
            (Takes::Number(min, max), OptionValue::Number(number))
                if (min..=max).contains(number) =>
            {
                Accepted::Number(*number)
            }
            (Takes::WholeNumber(min, max), OptionValue::Number(number))
                if (min..=max).contains(number) && number.fract() == 0.0 =>
            {
                Accepted::Number(*number)
            }
            (Takes::DeviceId, OptionValue::Text(id)) => Accepted::Device(DeviceId::parse(id)?),
            (Takes::SessionId, OptionValue::Text(id)) => Accepted::Session(SessionId::parse(id)?),
            (Takes::SessionId, OptionValue::Number(number)) => {
                Accepted::Session(SessionId::from_number(*number)?)
            }
            (Takes::Mode, OptionValue::Text(mode)) if mode == "normal" => {
                Accepted::Mode(RecordingMode::Normal)
            }
            (Takes::Mode, OptionValue::Text(mode)) if mode == "buffer" => {
                Accepted::Mode(RecordingMode::Buffer)
            }
            (Takes::ConsoleLevels, OptionValue::Texts(names)) => {
                let mut levels = Vec::with_capacity(names.len());
                for name in names {
                    let level = ConsoleLevel::parse(name).ok_or(None)?;
                    if !levels.contains(&level) {
                        levels.push(level);
                    }
                }
                Accepted::Levels(levels)
            }
            (Takes::Function, OptionValue::Function) => Accepted::Function,
            _ => return Err(None),
        })
    }
}

impl RecorderOptions {
    /// Validates the entries of an options object.
    ///
    /// # Errors
    /// The first unknown key or bad value, in the order given, or no
    /// destination for the events.
    pub fn from_entries(
        entries: impl IntoIterator<Item = (String, OptionValue)>,
    ) -> Result<Self, OptionsError> {
        let mut options = RecorderOptions::default();
        for (key, value) in entries {
            let Some(known) = KNOWN_OPTIONS.iter().find(|known| known.name == key) else {
                return Err(OptionsError::UnknownKey {
                    suggestion: closest_option(&key),
                    key,
                });
            };
            match known.takes.accept(&value) {
                Ok(accepted) => options.apply(known.setting, accepted),
                Err(Some(id_error)) => return Err(OptionsError::BadId(id_error)),
                Err(None) => {
                    return Err(OptionsError::BadValue {
                        key: known.name,
                        expected: known.expected,
                        got: value.describe(),
                    })
                }
            }
        }
        if options.endpoint.is_none() && !options.has_emit {
            return Err(OptionsError::NoDestination);
        }
        Ok(options)
    }

    /// Sets the option `setting` names to a value its check accepted, which is of the
    /// kind its `Takes` gives (the table's test applies every option, so a
    /// pairing left unmatched below would fail it).
    fn apply(&mut self, setting: Setting, value: Accepted) {
        let number = match value {
            Accepted::Number(number) => number,
            _ => 0.0,
        };
        match (setting, value) {
            (Setting::Endpoint, Accepted::Text(url)) => self.endpoint = Some(url),
            (Setting::ApiKey, Accepted::Text(token)) => self.api_key = Some(token),
            (Setting::DeviceId, Accepted::Device(id)) => self.device_id = Some(id),
            (Setting::SessionId, Accepted::Session(id)) => self.session_id = Some(id),
            (Setting::Mode, Accepted::Mode(mode)) => self.mode = mode,
            (Setting::CaptureConsole, Accepted::Levels(levels)) => self.capture_console = levels,
            (Setting::MaskTextSelector, Accepted::Text(selector)) => {
                self.privacy.mask_text_selector = Some(selector);
            }
            (Setting::BlockSelector, Accepted::Text(selector)) => {
                self.privacy.block_selector = Some(selector);
            }
            (Setting::IgnoreSelector, Accepted::Text(selector)) => {
                self.privacy.ignore_selector = Some(selector);
            }
            (Setting::UserIdAsDeviceId, Accepted::Flag(flag)) => self.user_id_as_device_id = flag,
            (Setting::MaskAllInputs, Accepted::Flag(flag)) => self.privacy.mask_all_inputs = flag,
            (Setting::MaskAllText, Accepted::Flag(flag)) => self.privacy.mask_all_text = flag,
            (Setting::Debug, Accepted::Flag(flag)) => self.debug = flag,
            (Setting::Emit, Accepted::Function) => self.has_emit = true,
            (Setting::SampleRate, _) => self.sample_rate = number,
            (Setting::ErrorSampleRate, _) => self.error_sample_rate = number,
            (Setting::BufferMs, _) => self.buffer_ms = number,
            (Setting::MaxBufferBytes, _) => self.max_buffer_bytes = number as usize,
            (Setting::CheckoutEveryNms, _) => self.checkout_every_ms = Some(number),
            (Setting::CheckoutEveryNth, _) => self.checkout_every_nth = Some(number as u32),
            (Setting::FlushIntervalMs, _) => self.flush_interval_ms = number,
            (Setting::MaxChunkBytes, _) => self.max_chunk_bytes = number as usize,
            (Setting::SessionIdleTimeoutMs, _) => self.session_policy.idle_timeout_ms = number,
            (Setting::MaxSessionDurationMs, _) => self.session_policy.max_duration_ms = number,
            (Setting::MaxOutboxBytes, _) => self.outbox_limits.max_bytes = number as usize,
            (Setting::MaxOutboxAgeMs, _) => self.outbox_limits.max_age_ms = number,
            (Setting::RequestTimeoutMs, _) => self.request_timeout_ms = number,
            _ => {}
        }
    }
}

/// Printable ASCII without spaces: what fits an HTTP header value safely.
fn is_header_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| (0x21..=0x7e).contains(&byte))
}

/// The known option nearest to `key` by edit distance, if it is close
/// enough to be a typo (at most 2 edits, ignoring case).
fn closest_option(key: &str) -> Option<&'static str> {
    // The first of the nearest (a loop, not an iterator chain: less wasm).
    let mut closest: Option<(&'static str, usize)> = None;
    for &KnownOption { name, .. } in KNOWN_OPTIONS {
        let distance = edit_distance(key, name);
        let nearer = match closest {
            Some((_, best)) => distance < best,
            None => distance <= 2,
        };
        if nearer {
            closest = Some((name, distance));
        }
    }
    closest.map(|(name, _)| name)
}

/// Levenshtein distance over bytes, ignoring ASCII case, with a
/// transposition counting as one edit. (Bytes, not chars: option names are
/// ASCII, so a key with other characters is no nearer to one either way.)
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let same = |i: usize, j: usize| a[i].eq_ignore_ascii_case(&b[j]);
    // Row i of the table is cells[i * width..][..width].
    let width = b.len() + 1;
    let mut cells = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            cells[i * width + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let mut best = (cells[(i - 1) * width + j] + 1)
                    .min(cells[i * width + j - 1] + 1)
                    .min(cells[(i - 1) * width + j - 1] + usize::from(!same(i - 1, j - 1)));
                if i > 1 && j > 1 && same(i - 1, j - 2) && same(i - 2, j - 1) {
                    best = best.min(cells[(i - 2) * width + j - 2] + 1);
                }
                best
            };
        }
    }
    cells[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(entries: &[(&str, OptionValue)]) -> Result<RecorderOptions, OptionsError> {
        RecorderOptions::from_entries(entries.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    #[test]
    fn defaults_are_safe() {
        let options = parse(&[("emit", OptionValue::Function)]).unwrap();
        assert!(options.privacy.mask_all_inputs);
        assert!(!options.debug);
        assert_eq!(options.sample_rate, 1.0);
        assert_eq!(options.flush_interval_ms, 5_000.0);
        assert_eq!(options.max_chunk_bytes, 1_048_576);
    }

    #[test]
    fn events_need_a_destination() {
        assert_eq!(parse(&[]).unwrap_err(), OptionsError::NoDestination);
        assert!(parse(&[("endpoint", OptionValue::Text("/ingest".into()))]).is_ok());
    }

    #[test]
    fn wire_options_are_applied() {
        let options = parse(&[
            (
                "endpoint",
                OptionValue::Text(" https://ingest.example/v1 ".into()),
            ),
            ("apiKey", OptionValue::Text("rk_live_123".into())),
            ("deviceId", OptionValue::Text("user-42".into())),
            ("sessionId", OptionValue::Number(1_700_000_000_000.0)),
            ("sampleRate", OptionValue::Number(0.25)),
            ("flushIntervalMs", OptionValue::Number(1_000.0)),
            ("maxChunkBytes", OptionValue::Number(65_536.0)),
            ("sessionIdleTimeoutMs", OptionValue::Number(60_000.0)),
            ("maxSessionDurationMs", OptionValue::Number(600_000.0)),
            ("maxOutboxBytes", OptionValue::Number(1_048_576.0)),
            ("maxOutboxAgeMs", OptionValue::Number(86_400_000.0)),
            ("requestTimeoutMs", OptionValue::Number(500.0)),
        ])
        .unwrap();
        assert_eq!(
            options.endpoint.as_deref(),
            Some("https://ingest.example/v1")
        );
        assert_eq!(options.api_key.as_deref(), Some("rk_live_123"));
        assert_eq!(options.device_id.unwrap().as_str(), "user-42");
        assert_eq!(options.session_id.unwrap().as_str(), "1700000000000");
        assert_eq!(options.sample_rate, 0.25);
        assert_eq!(options.max_chunk_bytes, 65_536);
        assert_eq!(options.session_policy.idle_timeout_ms, 60_000.0);
        assert_eq!(options.outbox_limits.max_bytes, 1_048_576);
        assert_eq!(options.request_timeout_ms, 500.0);
    }

    #[test]
    fn buffer_mode_options_are_applied_and_checked() {
        let destination = ("emit", OptionValue::Function);
        let defaults = parse(std::slice::from_ref(&destination)).unwrap();
        assert_eq!(defaults.mode, RecordingMode::Normal);
        assert_eq!(defaults.buffer_ms, 60_000.0);
        assert_eq!(defaults.max_buffer_bytes, 10 * 1024 * 1024);
        assert_eq!(defaults.session_sample_rate(), 1.0);
        let options = parse(&[
            destination.clone(),
            ("mode", OptionValue::Text("buffer".into())),
            ("bufferMs", OptionValue::Number(5_000.0)),
            ("maxBufferBytes", OptionValue::Number(262_144.0)),
            ("sampleRate", OptionValue::Number(0.1)),
            ("errorSampleRate", OptionValue::Number(0.5)),
        ])
        .unwrap();
        assert_eq!(options.mode, RecordingMode::Buffer);
        assert_eq!(options.buffer_ms, 5_000.0);
        assert_eq!(options.max_buffer_bytes, 262_144);
        assert_eq!(
            options.session_sample_rate(),
            0.5,
            "buffer mode samples by errorSampleRate"
        );
        let error = parse(&[
            destination.clone(),
            ("mode", OptionValue::Text("lazy".into())),
        ])
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("rewind option 'mode' must be 'normal'"),
            "{error}"
        );
        assert!(error.to_string().ends_with("got 'lazy'"), "{error}");
        let error = parse(&[destination, ("bufferMs", OptionValue::Number(1_000.0))]).unwrap_err();
        assert!(error.to_string().contains("from 5000 to 600000"), "{error}");
    }

    #[test]
    fn capture_console_takes_a_list_of_methods() {
        let destination = ("emit", OptionValue::Function);
        let defaults = parse(std::slice::from_ref(&destination)).unwrap();
        assert_eq!(
            defaults.capture_console,
            vec![ConsoleLevel::Error, ConsoleLevel::Warn]
        );
        let none = parse(&[
            destination.clone(),
            ("captureConsole", OptionValue::Texts(vec![])),
        ])
        .unwrap();
        assert!(none.capture_console.is_empty());
        let some = parse(&[
            destination.clone(),
            (
                "captureConsole",
                OptionValue::Texts(vec!["log".into(), "assert".into(), "log".into()]),
            ),
        ])
        .unwrap();
        assert_eq!(
            some.capture_console,
            vec![ConsoleLevel::Log, ConsoleLevel::Assert]
        );
        let error = parse(&[
            destination.clone(),
            (
                "captureConsole",
                OptionValue::Texts(vec!["warn".into(), "table".into()]),
            ),
        ])
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("log info warn error debug assert trace"),
            "{error}"
        );
        assert!(
            error.to_string().ends_with("got ['warn', 'table']"),
            "{error}"
        );
        let error = parse(&[destination, ("captureConsole", OptionValue::Bool(true))]).unwrap_err();
        assert!(error.to_string().ends_with("got boolean"), "{error}");
    }

    #[test]
    fn out_of_range_numbers_name_the_range() {
        let error = parse(&[("sampleRate", OptionValue::Number(1.5))]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "rewind option 'sampleRate' must be a number from 0 to 1 (default 1), got 1.5"
        );
        let error = parse(&[("flushIntervalMs", OptionValue::Text("5s".into()))]).unwrap_err();
        assert!(error.to_string().ends_with("got '5s'"), "{error}");
    }

    #[test]
    fn bad_ids_and_keys_are_rejected_with_the_reason() {
        let error = parse(&[("deviceId", OptionValue::Text("a/b".into()))]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "rewind option deviceId 'a/b' contains '/' at position 2: allowed are a-z A-Z 0-9 _ - . | @ : ="
        );
        let error = parse(&[("apiKey", OptionValue::Text("two words".into()))]).unwrap_err();
        assert!(error
            .to_string()
            .starts_with("rewind option 'apiKey' must be a string of printable ASCII"));
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
             allowed options: endpoint, apiKey, deviceId, sessionId, userIdAsDeviceId, sampleRate, mode, bufferMs, maxBufferBytes, errorSampleRate, captureConsole, maskAllInputs, \
             maskAllText, maskTextSelector, blockSelector, ignoreSelector, checkoutEveryNms, checkoutEveryNth, \
             flushIntervalMs, maxChunkBytes, sessionIdleTimeoutMs, maxSessionDurationMs, maxOutboxBytes, \
             maxOutboxAgeMs, requestTimeoutMs, debug, emit"
        );
    }

    /// Values each kind of option accepts; at least one of them must move
    /// the options away from their defaults.
    fn accepted_samples(takes: Takes) -> Vec<OptionValue> {
        match takes {
            Takes::Flag => vec![OptionValue::Bool(true), OptionValue::Bool(false)],
            Takes::Text => vec![OptionValue::Text(" .chosen ".into())],
            Takes::HeaderToken => vec![OptionValue::Text("token-1".into())],
            Takes::Number(min, max) | Takes::WholeNumber(min, max) => {
                vec![OptionValue::Number(min), OptionValue::Number(max)]
            }
            Takes::DeviceId => vec![OptionValue::Text("device-1".into())],
            Takes::SessionId => vec![
                OptionValue::Text("session-1".into()),
                OptionValue::Number(1_700_000_000_000.0),
            ],
            Takes::Mode => vec![OptionValue::Text("buffer".into())],
            Takes::ConsoleLevels => vec![OptionValue::Texts(vec!["log".into()])],
            Takes::Function => vec![OptionValue::Function],
        }
    }

    #[test]
    fn every_known_option_is_applied_and_checked() {
        for known in KNOWN_OPTIONS {
            // The other destination, so that `emit` and `endpoint` show too.
            let base = if known.name == "emit" {
                ("endpoint", OptionValue::Text("https://in.example".into()))
            } else {
                ("emit", OptionValue::Function)
            };
            let defaults = parse(std::slice::from_ref(&base)).unwrap();
            for sample in accepted_samples(known.takes) {
                let applied = parse(&[base.clone(), (known.name, sample.clone())]);
                assert!(applied.is_ok(), "{} rejected {sample:?}", known.name);
            }
            assert!(
                accepted_samples(known.takes)
                    .into_iter()
                    .any(
                        |sample| parse(&[base.clone(), (known.name, sample)]).unwrap() != defaults
                    ),
                "{} changed nothing",
                known.name
            );
            // The words name the bounds the table checks.
            if let Takes::Number(min, max) | Takes::WholeNumber(min, max) = known.takes {
                let bounds = [
                    " from ",
                    &crate::core::json::format_number(min),
                    " to ",
                    &crate::core::json::format_number(max),
                ]
                .concat();
                assert!(
                    known.expected.contains(&bounds),
                    "{}: {}",
                    known.name,
                    known.expected
                );
            }
            // Every option refuses what it does not take, naming its rule.
            let error =
                parse(&[base.clone(), (known.name, OptionValue::Other("object"))]).unwrap_err();
            assert_eq!(
                error,
                OptionsError::BadValue {
                    key: known.name,
                    expected: known.expected,
                    got: "object".into()
                }
            );
        }
    }

    #[test]
    fn whole_numbers_and_blank_text_are_checked() {
        let destination = ("emit", OptionValue::Function);
        let error = parse(&[
            destination.clone(),
            ("checkoutEveryNth", OptionValue::Number(2.5)),
        ])
        .unwrap_err();
        assert!(matches!(
            error,
            OptionsError::BadValue {
                key: "checkoutEveryNth",
                ..
            }
        ));
        let options = parse(&[
            destination.clone(),
            ("checkoutEveryNth", OptionValue::Number(3.0)),
        ])
        .unwrap();
        assert_eq!(options.checkout_every_nth, Some(3));
        for key in [
            "endpoint",
            "maskTextSelector",
            "blockSelector",
            "ignoreSelector",
        ] {
            let error =
                parse(&[destination.clone(), (key, OptionValue::Text("  ".into()))]).unwrap_err();
            assert!(
                matches!(error, OptionsError::BadValue { got, .. } if got == "'  '"),
                "{key}"
            );
        }
        let options = parse(&[
            destination,
            ("blockSelector", OptionValue::Text(" .ad ".into())),
        ])
        .unwrap();
        assert_eq!(options.privacy.block_selector.as_deref(), Some(".ad"));
    }

    #[test]
    fn far_off_key_gets_no_suggestion() {
        let error = parse(&[("endpointUrl", OptionValue::Text("x".into()))]).unwrap_err();
        assert!(matches!(
            error,
            OptionsError::UnknownKey {
                suggestion: None,
                ..
            }
        ));
    }

    #[test]
    fn wrong_type_names_key_expected_and_actual() {
        let error = parse(&[("maskAllInputs", OptionValue::Text("no".into()))]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "rewind option 'maskAllInputs' must be a boolean (default true), got 'no'"
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
        assert_eq!(edit_distance("MASKALLINPUT", "maskAllInputs"), 1);
        assert_eq!(edit_distance("abc", ""), 3);
    }

    /// The textbook table (rows of rows, lower-cased copies) as the oracle.
    fn reference_distance(a: &str, b: &str) -> usize {
        let a: Vec<u8> = a.to_ascii_lowercase().into_bytes();
        let b: Vec<u8> = b.to_ascii_lowercase().into_bytes();
        let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in 0..=a.len() {
            for j in 0..=b.len() {
                rows[i][j] = if i == 0 || j == 0 {
                    i + j
                } else {
                    let mut best = (rows[i - 1][j] + 1)
                        .min(rows[i][j - 1] + 1)
                        .min(rows[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]));
                    if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                        best = best.min(rows[i - 2][j - 2] + 1);
                    }
                    best
                };
            }
        }
        rows[a.len()][b.len()]
    }

    #[test]
    fn edit_distance_matches_the_textbook_table() {
        // Every option name against mangled copies of every other: cut,
        // doubled, swapped, upper-cased.
        let mut keys: Vec<String> = Vec::new();
        for known in KNOWN_OPTIONS {
            let name = known.name;
            keys.push(name.to_owned());
            keys.push(name[1..].to_owned());
            keys.push(name.to_ascii_uppercase());
            keys.push([name, name].concat());
            let mut swapped = name.as_bytes().to_vec();
            swapped.swap(1, 2);
            keys.push(String::from_utf8(swapped).unwrap());
        }
        for key in &keys {
            for known in KNOWN_OPTIONS {
                assert_eq!(
                    edit_distance(key, known.name),
                    reference_distance(key, known.name),
                    "{key} / {}",
                    known.name
                );
            }
        }
    }
}
