//! Minimal JSON writing: serialized DOM nodes are written straight into a
//! string as the DOM is walked, with no intermediate tree, and the few other
//! documents rewind writes use the same two functions. Writing JSON by hand
//! keeps serde's and the float formatter's code out of the shipped wasm.

/// How many characters (code points) `text` has: its bytes that start one.
/// (`chars().count()` pulls in core's 0.8 KB word-at-a-time counter; the
/// texts counted here are short.)
pub fn char_count(text: &str) -> usize {
    text.bytes().filter(|&byte| (byte as i8) >= -0x40).count()
}

/// `text.parse()` for any unsigned integer type: decimal digits after an
/// optional `+`, the same texts core's parser accepts, in one small loop
/// (core's `u64` parser is 0.16 KB of the wasm's gzip).
pub fn parse_as<T: TryFrom<u64>>(text: &str) -> Option<T> {
    let digits = match text.as_bytes() {
        [b'+', rest @ ..] => rest,
        all => all,
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        // (Not `checked_mul`: its overflow test is a 128-bit multiply.)
        if value > u64::MAX / 10 {
            return None;
        }
        value = (value * 10).checked_add(u64::from(digit))?;
    }
    T::try_from(value).ok()
}

/// `text` split at its first `separator`, an ASCII byte: what
/// `str::split_once` with that character gives. Every separator rewind
/// splits its packed texts on is ASCII, and a character pattern brings in
/// std's memchr-based searcher and its split iterators (about 0.5 KB of
/// the wasm's gzip).
pub fn split_once_at(text: &str, separator: u8) -> Option<(&str, &str)> {
    let mut at = 0;
    for &byte in text.as_bytes() {
        if byte == separator {
            return Some((text.get(..at)?, text.get(at + 1..)?));
        }
        at += 1;
    }
    None
}

/// Whether `text` has any of `bytes` (ASCII). A loop: `[u8]::contains`
/// links core's memchr, and each `bytes().any(…)` closure is one more
/// copy of the iterator's search.
pub fn has_any_byte(text: &str, bytes: &[u8]) -> bool {
    for &byte in text.as_bytes() {
        for &wanted in bytes {
            if byte == wanted {
                return true;
            }
        }
    }
    false
}

/// `text` after its first byte if that is `byte` (ASCII), as
/// `strip_prefix` with that character gives it, without its char pattern.
pub fn after_byte(text: &str, byte: u8) -> Option<&str> {
    if text.as_bytes().first() == Some(&byte) {
        text.get(1..)
    } else {
        None
    }
}

/// The pieces of `text` between its `separator`s (an ASCII byte), as
/// `str::split` with that character gives them.
pub fn split_at_each(text: &str, separator: u8) -> SplitAt<'_> {
    SplitAt {
        rest: Some(text),
        separator,
    }
}

/// [`split_at_each`]'s iterator.
pub struct SplitAt<'a> {
    rest: Option<&'a str>,
    separator: u8,
}

impl<'a> Iterator for SplitAt<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match split_once_at(rest, self.separator) {
            Some((piece, after)) => {
                self.rest = Some(after);
                Some(piece)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// Appends `text` as a quoted JSON string.
pub fn write_str(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let bytes = text.as_bytes();
    let mut clean_from = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let escape: &str = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Copy the run of bytes that needed no escaping in one go.
        out.push_str(text.get(clean_from..index).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            push_hex_byte(out, byte);
        } else {
            out.push_str(escape);
        }
        clean_from = index + 1;
    }
    out.push_str(text.get(clean_from..).unwrap_or_default());
    out.push('"');
}

/// Appends `number` in decimal, as `write!(out, "{number}")` does, without
/// core's formatting machinery: rewind formats nothing with it, so the
/// shipped wasm carries none of it (`format!` and `Display` are for tests).
pub fn push_u32(out: &mut String, number: u32) {
    push_u64(out, u64::from(number));
}

/// [`push_u32`] for a `u64`.
pub fn push_u64(out: &mut String, mut number: u64) {
    let mut digits = [0_u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (number % 10) as u8;
        number /= 10;
        if number == 0 {
            break;
        }
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

/// Appends `byte` as two lowercase hex digits (`{byte:02x}`, without the
/// formatting machinery).
pub fn push_hex_byte(out: &mut String, byte: u8) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(char::from(DIGITS[usize::from(byte >> 4)]));
    out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
}

/// Appends `true` or `false`.
pub fn push_bool(out: &mut String, flag: bool) {
    out.push_str(if flag { "true" } else { "false" });
}

/// Appends a number: whole numbers as integers, others rounded to three
/// decimals (a thousandth of a pixel or millisecond is below anything a
/// replay shows), `null` for NaN and infinities, which JSON cannot hold.
/// Rounding ourselves keeps core's float formatter (~15 KB) out of the wasm.
pub fn write_number(out: &mut String, value: f64) {
    if !value.is_finite() || value.abs() > MAX_SAFE_INTEGER {
        // Beyond 2^53 no value rewind records is meaningful.
        out.push_str("null");
        return;
    }
    if value.fract() == 0.0 {
        // As u64 after the sign: one integer formatter less than i64's.
        if value < 0.0 {
            out.push('-');
        }
        push_u64(out, value.abs() as u64);
        return;
    }
    let thousandths = thousandths_of(value);
    if value < 0.0 && thousandths > 0 {
        out.push('-');
    }
    push_u64(out, thousandths / 1000);
    let fraction = thousandths % 1000;
    if fraction > 0 {
        // Three digits with their trailing zeros dropped: 500 -> ".5".
        let digits = [fraction / 100, fraction / 10 % 10, fraction % 10];
        let mut length = 3;
        while digits[length - 1] == 0 {
            length -= 1;
        }
        out.push('.');
        for &digit in &digits[..length] {
            out.push(char::from(b'0' + digit as u8));
        }
    }
}

/// The texts one after another, as `parts.concat()` has them, without
/// std's generic joiner (185 B of gzip in the wasm on December 5).
pub fn concat(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        out.push_str(part);
    }
    out
}

/// `number` in decimal, as `number.to_string()` has it (see [`push_u64`]).
pub fn decimal(number: u64) -> String {
    let mut out = String::new();
    push_u64(&mut out, number);
    out
}

/// `(value.abs() * 1000.0).round() as u64`, halves away from zero, with
/// `trunc` (a wasm instruction) where `round` links compiler-builtins'
/// software rounding: `scaled - whole` is exact, so the half is too.
fn thousandths_of(value: f64) -> u64 {
    round_non_negative(value.abs() * 1000.0)
}

/// `scaled.round() as u64` for `scaled` at or above zero.
fn round_non_negative(scaled: f64) -> u64 {
    let whole = scaled.trunc();
    whole as u64 + u64::from(scaled - whole >= 0.5)
}

/// [`write_number`] into a new string.
pub fn format_number(value: f64) -> String {
    let mut out = String::new();
    write_number(&mut out, value);
    out
}

/// The largest integer a JavaScript number holds exactly (2^53 - 1).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_byte_answers_as_strip_prefix_does() {
        for text in ["", "n", "n1", "x", "é", "nn", " n", "\u{2003}n"] {
            for byte in [b'n', b'x', b' '] {
                assert_eq!(
                    after_byte(text, byte),
                    text.strip_prefix(char::from(byte)),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn concat_joins_as_std_does() {
        for parts in [
            &[][..],
            &[""],
            &["a"],
            &["", "b", ""],
            &["é", "/", "ü…", " x"],
        ] {
            assert_eq!(concat(parts), parts.concat());
        }
    }

    #[test]
    fn decimal_writes_what_to_string_writes() {
        let mut numbers = vec![0, 1, 9, 10, 99, 100, 4_294_967_295, 4_294_967_296, u64::MAX];
        numbers.extend((0..64).map(|shift| 1_u64 << shift));
        numbers.extend((1..20).map(|power| 10_u64.pow(power) - 1));
        for number in numbers {
            assert_eq!(decimal(number), number.to_string());
            let mut small = String::new();
            if let Ok(number) = u32::try_from(number) {
                push_u32(&mut small, number);
                assert_eq!(small, number.to_string());
            }
        }
    }

    fn quoted(text: &str) -> String {
        let mut out = String::new();
        write_str(&mut out, text);
        out
    }

    #[test]
    fn char_count_counts_code_points_as_chars_does() {
        for text in [
            "",
            "ascii",
            "Zoë Smith",
            "日本語",
            "emoji 🎉 and 👩‍💻",
            "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}",
        ] {
            assert_eq!(char_count(text), text.chars().count(), "{text:?}");
        }
    }

    #[test]
    fn strings_round_trip_through_a_standard_json_parser() {
        for text in [
            "plain",
            "quote \" and \\ slash",
            "line\nbreak\ttab\r",
            "\u{1}\u{1f}",
            "ünï€😀",
            "",
        ] {
            let parsed: String = serde_json::from_str(&quoted(text)).unwrap();
            assert_eq!(parsed, text);
        }
    }

    #[test]
    fn parse_as_accepts_what_parse_accepts() {
        for text in [
            "0",
            "7",
            "+7",
            "4294967295",
            "4294967296",
            "",
            "-1",
            " 1",
            "1x",
            "٣",
            "+",
            "++1",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
            "007",
        ] {
            assert_eq!(parse_as::<u64>(text), text.parse::<u64>().ok(), "{text:?}");
            assert_eq!(parse_as::<u32>(text), text.parse::<u32>().ok(), "{text:?}");
            assert_eq!(
                parse_as::<usize>(text),
                text.parse::<usize>().ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn has_any_byte_finds_any_of_them() {
        assert!(has_any_byte("my-widget", b"-"));
        assert!(!has_any_byte("widget", b"-"));
        assert!(has_any_byte("a\"b", b"\"\\"));
        assert!(has_any_byte("a\\", b"\"\\"));
        assert!(!has_any_byte("ünï", b"\"\\"));
        assert!(!has_any_byte("", b"-"));
    }

    #[test]
    fn splitting_at_a_byte_matches_splitting_at_the_character() {
        let texts = [
            "",
            ":",
            "::",
            "a",
            "a:",
            ":a",
            "a:b",
            "a::b",
            "é:ü:😀",
            "1:2:3:",
            "\u{1}:x\u{1}",
            "a\nb\n",
            "\n",
            "a\r\nb",
        ];
        for text in texts {
            for (separator, character) in [(b':', ':'), (b'1', '1'), (b'\n', '\n'), (1, '\u{1}')] {
                assert_eq!(
                    split_once_at(text, separator),
                    text.split_once(character),
                    "{text:?}"
                );
                assert_eq!(
                    split_at_each(text, separator).collect::<Vec<_>>(),
                    text.split(character).collect::<Vec<_>>(),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn push_u32_writes_decimal() {
        let mut out = String::new();
        for number in [0, 7, 10, 99, 1000, u32::MAX] {
            push_u32(&mut out, number);
            out.push(' ');
        }
        assert_eq!(out, "0 7 10 99 1000 4294967295 ");
    }

    #[test]
    fn push_hex_byte_is_two_lowercase_digits() {
        let mut out = String::new();
        for byte in [0x00, 0x0f, 0x10, 0xab, 0xff] {
            push_hex_byte(&mut out, byte);
        }
        assert_eq!(out, "000f10abff");
    }

    #[test]
    fn control_characters_use_unicode_escapes() {
        assert_eq!(quoted("a\u{0}b"), r#""a\u0000b""#);
        assert_eq!(quoted("\u{1f}\u{b}\u{10}"), r#""\u001f\u000b\u0010""#);
    }

    #[test]
    fn numbers_are_written_like_javascript() {
        let mut out = String::new();
        for value in [
            12.0,
            -3.0,
            0.5,
            f64::NAN,
            f64::INFINITY,
            1_700_000_000_123.0,
            120.25,
            -0.125,
            2.0004,
            -0.0001,
            1e300,
            0.0,
            -0.0,
            10.05,
            0.001,
            -7.1,
            100.1,
            MAX_SAFE_INTEGER,
            -MAX_SAFE_INTEGER,
        ] {
            write_number(&mut out, value);
            out.push(' ');
        }
        // Rounding by hand gives what `round` gives, halves included.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        // Where adding a half first would round wrong: just under a half,
        // and odd integers past 2^52.
        for scaled in [
            0.499_999_999_999_999_94,
            4_503_599_627_370_497.0,
            0.5,
            1.5,
            2.5,
            0.0,
        ] {
            assert_eq!(
                round_non_negative(scaled),
                scaled.round() as u64,
                "{scaled}"
            );
        }
        let mut values = vec![0.0005, 0.0015, 1.0005, 2.5e-4, 4.5e12, 123.4565];
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let unit = (seed >> 11) as f64 / (1u64 << 53) as f64;
            values.push(unit * 10f64.powi((seed % 16) as i32 - 4));
            // Exact halves of a thousandth.
            values.push(((seed % 1_000_000) as f64 + 0.5) / 1000.0);
        }
        for value in values {
            assert_eq!(
                thousandths_of(value),
                (value.abs() * 1000.0).round() as u64,
                "{value}"
            );
            assert_eq!(
                thousandths_of(-value),
                (value.abs() * 1000.0).round() as u64,
                "{value}"
            );
        }
        assert_eq!(
            out,
            "12 -3 0.5 null null 1700000000123 120.25 -0.125 2 0 null 0 0 10.05 0.001 -7.1 100.1 \
             9007199254740991 -9007199254740991 "
        );
    }
}
