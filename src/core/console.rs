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

    /// The level named `name`, if rewind records it.
    pub fn parse(name: &str) -> Option<ConsoleLevel> {
        ConsoleLevel::ALL
            .into_iter()
            .find(|level| level.name() == name)
    }
}

/// The console methods `captureConsole` records by default.
pub const DEFAULT_CAPTURED_LEVELS: [ConsoleLevel; 2] = [ConsoleLevel::Error, ConsoleLevel::Warn];
