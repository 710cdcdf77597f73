//! Replay ids: `<deviceId>/<sessionId>`, the key every chunk is stored under.
//!
//! Both halves are restricted to characters that are safe in a URL path, an
//! object-store key and a file name, so the collector can map a replay id
//! one to one onto storage. `/` is excluded: it separates the halves.

use std::fmt;

/// The longest id accepted, in characters.
pub const MAX_ID_LENGTH: usize = 128;

fn is_allowed_id_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.' | b'|' | b'@' | b':' | b'=')
}

/// Whether `id` is 1 to [`MAX_ID_LENGTH`] of `a-z A-Z 0-9 _ - . | @ : =`:
/// the rule `js/options.js` checks the page's ids by (with the words that
/// say what was wrong), and this one what the tab's storage gave back.
pub fn is_valid_id(id: &str) -> bool {
    // ASCII only, so bytes count characters, and a byte of a longer
    // character (0x80 and up) fails the test: no UTF-8 decoding is needed.
    !id.is_empty() && id.len() <= MAX_ID_LENGTH && id.bytes().all(is_allowed_id_byte)
}

/// Who is recorded: a browser (generated and kept in localStorage) or a
/// user id the page supplies.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    /// An id checked by the rule of [`is_valid_id`] (in `js/options.js`,
    /// or the tab's storage, which keeps only such ids).
    pub fn checked(id: String) -> Self {
        DeviceId(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One visit: generated (epoch ms of its start) or supplied by the page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// `id` when it is a valid id ([`is_valid_id`]).
    pub fn parse(id: &str) -> Option<Self> {
        is_valid_id(id).then(|| SessionId(id.to_owned()))
    }

    /// An id checked by the rule of [`is_valid_id`] (a number written as
    /// `String(number)` writes it).
    pub fn checked(id: String) -> Self {
        SessionId(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `<deviceId>/<sessionId>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReplayId {
    pub device_id: DeviceId,
    pub session_id: SessionId,
}

impl ReplayId {
    /// `<deviceId>/<sessionId>`, the key chunks are stored and sent under.
    pub fn to_key(&self) -> String {
        crate::core::json::concat(&[self.device_id.as_str(), "/", self.session_id.as_str()])
    }
}

impl fmt::Display for ReplayId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_one_to_128_of_the_allowed_characters() {
        // The words that say why are js/options.js's (tests/e2e/options.test.mjs).
        assert!(is_valid_id("user_42-eu.west|a@b:c=d"));
        assert!(is_valid_id(".."), "dots alone are allowed characters");
        assert!(is_valid_id(&"x".repeat(MAX_ID_LENGTH)));
        for bad in [
            "",
            "../x",
            "a b",
            "ünï",
            "a\nb",
            "a%2f",
            "a/b",
            &"x".repeat(MAX_ID_LENGTH + 1),
        ] {
            assert!(!is_valid_id(bad), "{bad:?} must be refused");
            assert_eq!(SessionId::parse(bad), None);
        }
        assert_eq!(
            SessionId::parse("1700000000000").unwrap().as_str(),
            "1700000000000"
        );
    }

    #[test]
    fn replay_id_joins_with_a_slash() {
        let replay = ReplayId {
            device_id: DeviceId::checked("dev".into()),
            session_id: SessionId::checked("42".into()),
        };
        assert_eq!(replay.to_string(), "dev/42");
    }
}
