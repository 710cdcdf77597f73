//! Replay ids: `<deviceId>/<sessionId>`, the key every chunk is stored under.
//!
//! Both halves are restricted to characters that are safe in a URL path, an
//! object-store key and a file name, so the collector can map a replay id
//! one to one onto storage. `/` is excluded: it separates the halves.

use std::fmt;

use super::json::decimal;

/// The characters a device or session id may contain, as said in errors.
pub const ALLOWED_ID_CHARACTERS: &str = "a-z A-Z 0-9 _ - . | @ : =";

/// The longest id accepted, in characters.
pub const MAX_ID_LENGTH: usize = 128;

fn is_allowed_id_character(character: char) -> bool {
    character.is_ascii_alphanumeric()
        || matches!(character, '_' | '-' | '.' | '|' | '@' | ':' | '=')
}

/// Why an id was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    Empty {
        field: &'static str,
    },
    TooLong {
        field: &'static str,
        length: usize,
    },
    BadCharacter {
        field: &'static str,
        id: String,
        character: char,
        position: usize,
    },
    BadNumber {
        field: &'static str,
        value: String,
    },
}

impl IdError {
    /// What was wrong and what is allowed. (Built by hand, not through
    /// `Display`: the shipped wasm carries no formatting machinery.)
    pub fn message(&self) -> String {
        let max = decimal(MAX_ID_LENGTH as u64);
        match self {
            IdError::Empty { field } => [
                field,
                " is empty: it needs 1 to ",
                &max,
                " of ",
                ALLOWED_ID_CHARACTERS,
            ]
            .concat(),
            IdError::TooLong { field, length } => [
                field,
                " is ",
                &decimal(*length as u64),
                " characters long: at most ",
                &max,
                " are allowed",
            ]
            .concat(),
            IdError::BadCharacter {
                field,
                id,
                character,
                position,
            } => [
                field,
                " '",
                id,
                "' contains '",
                &escape_character(*character),
                "' at position ",
                &decimal(*position as u64),
                ": allowed are ",
                ALLOWED_ID_CHARACTERS,
            ]
            .concat(),
            IdError::BadNumber { field, value } => [
                field,
                " ",
                value,
                " is not a whole number from 0 to 2^53-1: pass a whole number or a string of ",
                ALLOWED_ID_CHARACTERS,
            ]
            .concat(),
        }
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// `character` as `char::escape_default` writes it: printable ASCII as
/// itself (quotes and backslash escaped), the rest as `\u{hex}`.
fn escape_character(character: char) -> String {
    let mut out = String::new();
    match character {
        '\\' | '\'' | '"' => {
            out.push('\\');
            out.push(character);
        }
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        ' '..='~' => out.push(character),
        _ => {
            out.push_str("\\u{");
            let code = u32::from(character);
            let mut started = false;
            for shift in (0..6).rev() {
                let nibble = (code >> (shift * 4)) & 0xf;
                if nibble != 0 || started || shift == 0 {
                    started = true;
                    out.push(char::from(b"0123456789abcdef"[nibble as usize]));
                }
            }
            out.push('}');
        }
    }
    out
}

impl std::error::Error for IdError {}

fn validate(field: &'static str, id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty { field });
    }
    if let Some((index, character)) = id
        .chars()
        .enumerate()
        .find(|(_, c)| !is_allowed_id_character(*c))
    {
        return Err(IdError::BadCharacter {
            field,
            id: id.to_owned(),
            character,
            position: index + 1,
        });
    }
    let length = super::json::char_count(id);
    if length > MAX_ID_LENGTH {
        return Err(IdError::TooLong { field, length });
    }
    Ok(())
}

/// Who is recorded: a browser (generated and kept in localStorage) or a
/// user id the page supplies.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    /// # Errors
    /// An empty or too long id, or one with a character outside
    /// [`ALLOWED_ID_CHARACTERS`]; the message names the character.
    pub fn parse(id: &str) -> Result<Self, IdError> {
        validate("deviceId", id)?;
        Ok(DeviceId(id.to_owned()))
    }

    /// An id `js/options.js` has checked by the same rules.
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
    /// # Errors
    /// As for [`DeviceId::parse`].
    pub fn parse(id: &str) -> Result<Self, IdError> {
        validate("sessionId", id)?;
        Ok(SessionId(id.to_owned()))
    }

    /// An id `js/options.js` has checked by the same rules (a number
    /// written as `String(number)` writes it).
    pub fn checked(id: String) -> Self {
        SessionId(id)
    }

    /// A session id given as a JS number.
    ///
    /// # Errors
    /// A number that is not a whole number from 0 to 2^53-1.
    pub fn from_number(value: f64) -> Result<Self, IdError> {
        let is_whole = value.is_finite() && value.fract() == 0.0;
        if !is_whole || !(0.0..=super::json::MAX_SAFE_INTEGER).contains(&value) {
            return Err(IdError::BadNumber {
                field: "sessionId",
                value: super::json::format_number(value),
            });
        }
        Ok(SessionId(decimal(value as u64)))
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
        [self.device_id.as_str(), "/", self.session_id.as_str()].concat()
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
    fn escaped_character_is_written_as_std_escape_default_writes_it() {
        // Every ASCII character, the first non-ASCII ones, and characters
        // of one to six hex digits, against the standard library's own.
        let mut characters: Vec<char> = (0_u32..0x180).filter_map(char::from_u32).collect();
        characters.extend(['\u{0}', '\u{7f}', 'ü', '€', '\u{fffd}', '😀', '\u{10ffff}']);
        for character in characters {
            assert_eq!(
                escape_character(character),
                character.escape_default().to_string(),
                "{character:?}"
            );
        }
    }

    #[test]
    fn allowed_characters_pass() {
        let id = DeviceId::parse("user_42-eu.west|a@b:c=d").unwrap();
        assert_eq!(id.as_str(), "user_42-eu.west|a@b:c=d");
    }

    #[test]
    fn slash_is_rejected_naming_character_position_and_allowed_set() {
        let error = DeviceId::parse("a/b").unwrap_err();
        assert_eq!(
            error.to_string(),
            "deviceId 'a/b' contains '/' at position 2: allowed are a-z A-Z 0-9 _ - . | @ : ="
        );
    }

    #[test]
    fn traversal_and_spaces_and_unicode_are_rejected() {
        assert!(
            SessionId::parse("..").is_ok(),
            "dots alone are allowed characters"
        );
        for bad in ["../x", "a b", "ünï", "a\nb", "a%2f"] {
            assert!(DeviceId::parse(bad).is_err(), "{bad:?} must be rejected");
        }
        assert_eq!(
            SessionId::parse("a\nb").unwrap_err().to_string(),
            "sessionId 'a\nb' contains '\\n' at position 2: allowed are a-z A-Z 0-9 _ - . | @ : ="
        );
    }

    #[test]
    fn empty_and_overlong_ids_are_rejected() {
        assert_eq!(
            DeviceId::parse("").unwrap_err(),
            IdError::Empty { field: "deviceId" }
        );
        let long = "x".repeat(MAX_ID_LENGTH + 1);
        assert_eq!(
            DeviceId::parse(&long).unwrap_err(),
            IdError::TooLong {
                field: "deviceId",
                length: MAX_ID_LENGTH + 1
            }
        );
        assert!(DeviceId::parse(&"x".repeat(MAX_ID_LENGTH)).is_ok());
    }

    #[test]
    fn numeric_session_ids_are_whole_non_negative_numbers() {
        assert_eq!(
            SessionId::from_number(1_700_000_000_000.0)
                .unwrap()
                .as_str(),
            "1700000000000"
        );
        assert_eq!(
            SessionId::from_number(-2.5).unwrap_err().to_string(),
            "sessionId -2.5 is not a whole number from 0 to 2^53-1: pass a whole number or a string of a-z A-Z 0-9 _ - . | @ : ="
        );
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY, 1e300] {
            assert!(
                SessionId::from_number(bad).is_err(),
                "{bad} must be rejected"
            );
        }
    }

    #[test]
    fn replay_id_joins_with_a_slash() {
        let replay = ReplayId {
            device_id: DeviceId::parse("dev").unwrap(),
            session_id: SessionId::parse("42").unwrap(),
        };
        assert_eq!(replay.to_string(), "dev/42");
    }
}
