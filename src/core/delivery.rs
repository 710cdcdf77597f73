//! Delivery policy: what to do after each attempt to send a chunk.
//!
//! Pure functions of the attempt's outcome, the failure count, a random
//! draw and the clock, so the web layer's send loop only executes verdicts.

use super::event::TimestampMs;

/// The outcome of one `POST` of a chunk.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// The endpoint answered with this status (and `Retry-After` header).
    Answered {
        status: u16,
        retry_after: Option<String>,
    },
    /// No answer: offline, DNS, CORS refusal, connection reset.
    NetworkError,
    /// No answer within the request timeout.
    TimedOut,
}

impl Attempt {
    /// A short description for the debug log.
    pub fn describe(&self) -> String {
        match self {
            Attempt::Answered { status, .. } => format!("HTTP {status}"),
            Attempt::NetworkError => "network error".into(),
            Attempt::TimedOut => "timed out".into(),
        }
    }
}

/// What the send loop does next with the chunk.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// 2xx: remove it from the outbox.
    Delivered,
    /// Try again after this many milliseconds.
    Retry { delay_ms: f64 },
    /// The endpoint refused it for good (4xx other than 408/429): drop it
    /// and report once.
    Rejected { status: u16 },
}

/// Exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base_ms: f64,
    pub max_ms: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base_ms: 1_000.0,
            max_ms: 60_000.0,
        }
    }
}

/// A `Retry-After` longer than this is capped: the page may close long
/// before, and the outbox keeps the chunk for the next load anyway.
pub const MAX_RETRY_AFTER_MS: f64 = 10.0 * 60.0 * 1000.0;

impl Backoff {
    /// The wait before retry number `failures` (1 after the first failure).
    /// "Equal jitter": half the exponential step plus a random half, so
    /// clients that failed together spread out but never retry at once.
    pub fn delay_ms(&self, failures: u32, random_unit: f64) -> f64 {
        let exponent = failures.saturating_sub(1).min(30);
        let step = (self.base_ms * f64::from(1u32 << exponent)).min(self.max_ms);
        step / 2.0 + random_unit.clamp(0.0, 1.0) * step / 2.0
    }
}

/// Decides what follows `attempt`, the `failures`-th failure in a row if it
/// failed. `random_unit` is a draw from [0, 1).
pub fn judge(
    attempt: &Attempt,
    failures: u32,
    backoff: &Backoff,
    random_unit: f64,
    now_ms: TimestampMs,
) -> Verdict {
    let retry = || Verdict::Retry {
        delay_ms: backoff.delay_ms(failures, random_unit),
    };
    match attempt {
        Attempt::Answered { status, .. } if (200..300).contains(status) => Verdict::Delivered,
        Attempt::Answered {
            status,
            retry_after,
        } if *status == 429 || *status == 503 || *status == 408 => {
            match retry_after
                .as_deref()
                .and_then(|value| parse_retry_after(value, now_ms))
            {
                Some(delay_ms) => Verdict::Retry {
                    delay_ms: delay_ms.min(MAX_RETRY_AFTER_MS),
                },
                None => retry(),
            }
        }
        Attempt::Answered { status, .. } if *status >= 500 => retry(),
        Attempt::Answered { status, .. } => Verdict::Rejected { status: *status },
        Attempt::NetworkError | Attempt::TimedOut => retry(),
    }
}

/// Reads a `Retry-After` value: delay seconds, or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`). The result is milliseconds from now,
/// never negative.
pub fn parse_retry_after(value: &str, now_ms: TimestampMs) -> Option<f64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds as f64 * 1000.0);
    }
    let at_ms = parse_http_date(value)?;
    Some((at_ms - now_ms).max(0.0))
}

/// Parses an IMF-fixdate, the one HTTP date format servers send.
fn parse_http_date(value: &str) -> Option<f64> {
    // "Wed, 21 Oct 2015 07:28:00 GMT"
    // (By a char and a prefix, not `split_once(", ")`: a string pattern
    // pulls core's two-way searcher into the module.)
    let rest = value.split_once(',')?.1.strip_prefix(' ')?;
    let mut parts = rest.split(' ');
    let day = parse_i64(parts.next()?)?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year = parse_i64(parts.next()?)?;
    let mut clock = parts.next()?.split(':');
    let hours = parse_i64(clock.next()?)?;
    let minutes = parse_i64(clock.next()?)?;
    let seconds = parse_i64(clock.next()?)?;
    if parts.next()? != "GMT"
        || !(1..=31).contains(&day)
        || hours > 23
        || minutes > 59
        || seconds > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400 + hours * 3_600 + minutes * 60 + seconds) * 1_000) as f64)
}

/// `text.parse::<i64>()`, through core's `u64` parser (which the module
/// has anyway) rather than a second copy of it for `i64`: the same texts
/// are accepted, with the same values.
fn parse_i64(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        // "-+1" is no i64, though "+1" is a u64.
        Some(digits) if digits.starts_with('+') => return None,
        Some(digits) => (true, digits),
        None => (false, text),
    };
    let magnitude: u64 = digits.parse().ok()?;
    if negative {
        0_i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// well-known algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_i64_accepts_what_str_parse_does() {
        for text in [
            "0",
            "7",
            "+7",
            "-7",
            "-0",
            "+0",
            "-+7",
            "+-7",
            "--7",
            "",
            "-",
            "+",
            " 7",
            "7 ",
            "007",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551616",
            "1e3",
            "١",
        ] {
            assert_eq!(parse_i64(text), text.parse::<i64>().ok(), "{text:?}");
        }
    }

    fn answered(status: u16) -> Attempt {
        Attempt::Answered {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn success_statuses_deliver() {
        for status in [200, 201, 202, 204] {
            assert_eq!(
                judge(&answered(status), 0, &Backoff::default(), 0.5, 0.0),
                Verdict::Delivered
            );
        }
    }

    #[test]
    fn network_errors_timeouts_and_server_errors_retry() {
        for attempt in [
            Attempt::NetworkError,
            Attempt::TimedOut,
            answered(500),
            answered(502),
            answered(429),
        ] {
            assert!(
                matches!(
                    judge(&attempt, 1, &Backoff::default(), 0.5, 0.0),
                    Verdict::Retry { .. }
                ),
                "{attempt:?}"
            );
        }
    }

    #[test]
    fn other_client_errors_are_rejected_for_good() {
        for status in [400, 401, 403, 404, 413, 422] {
            assert_eq!(
                judge(&answered(status), 1, &Backoff::default(), 0.5, 0.0),
                Verdict::Rejected { status }
            );
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let backoff = Backoff {
            base_ms: 1_000.0,
            max_ms: 8_000.0,
        };
        assert_eq!(backoff.delay_ms(1, 0.0), 500.0);
        assert_eq!(backoff.delay_ms(1, 1.0), 1_000.0);
        assert_eq!(backoff.delay_ms(2, 0.0), 1_000.0);
        assert_eq!(backoff.delay_ms(3, 0.5), 3_000.0);
        assert_eq!(backoff.delay_ms(10, 1.0), 8_000.0);
        assert_eq!(backoff.delay_ms(u32::MAX, 1.0), 8_000.0);
    }

    #[test]
    fn retry_after_seconds_and_dates_are_honoured() {
        let attempt = Attempt::Answered {
            status: 429,
            retry_after: Some("7".into()),
        };
        assert_eq!(
            judge(&attempt, 1, &Backoff::default(), 0.0, 0.0),
            Verdict::Retry { delay_ms: 7_000.0 }
        );
        // 2015-10-21T07:28:00Z is 1445412480 s after the epoch.
        let now_ms = 1_445_412_470_000.0;
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now_ms),
            Some(10_000.0)
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now_ms + 60_000.0),
            Some(0.0)
        );
        assert_eq!(parse_retry_after("soon", now_ms), None);
    }

    #[test]
    fn unreadable_retry_after_falls_back_to_backoff_and_huge_ones_are_capped() {
        let unreadable = Attempt::Answered {
            status: 503,
            retry_after: Some("later".into()),
        };
        assert_eq!(
            judge(&unreadable, 2, &Backoff::default(), 0.0, 0.0),
            Verdict::Retry { delay_ms: 1_000.0 }
        );
        let huge = Attempt::Answered {
            status: 429,
            retry_after: Some("86400".into()),
        };
        assert_eq!(
            judge(&huge, 1, &Backoff::default(), 0.0, 0.0),
            Verdict::Retry {
                delay_ms: MAX_RETRY_AFTER_MS
            }
        );
    }

    #[test]
    fn civil_dates_map_to_epoch_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 11, 21), 20_778);
    }
}
