//! The outbox's caps: which stored chunks to give up on when it grows too
//! large or too old. Oldest first, so what is kept is a contiguous recent
//! stretch of each replay.

use super::event::TimestampMs;

/// Default cap on the outbox's total size (compressed bytes).
pub const DEFAULT_MAX_OUTBOX_BYTES: usize = 20 * 1024 * 1024;

/// Default age after which an undelivered chunk is dropped: a week, enough
/// to outlast a weekend offline, not so long that stale data piles up.
pub const DEFAULT_MAX_OUTBOX_AGE_MS: f64 = 7.0 * 24.0 * 60.0 * 60.0 * 1000.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutboxLimits {
    pub max_bytes: usize,
    pub max_age_ms: f64,
}

impl Default for OutboxLimits {
    fn default() -> Self {
        OutboxLimits {
            max_bytes: DEFAULT_MAX_OUTBOX_BYTES,
            max_age_ms: DEFAULT_MAX_OUTBOX_AGE_MS,
        }
    }
}

/// What the cap check needs to know of a stored chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredChunkInfo {
    pub bytes: usize,
    pub created_at_ms: TimestampMs,
}

/// Indices into `entries` of the chunks to drop: all older than the age
/// cap, then the oldest until the rest fits the size cap.
pub fn chunks_to_evict(
    entries: &[StoredChunkInfo],
    now_ms: TimestampMs,
    limits: &OutboxLimits,
) -> Vec<usize> {
    let mut keys = Vec::with_capacity(entries.len());
    for entry in entries {
        keys.push(super::f64_order_key(entry.created_at_ms));
    }
    let order = super::stable_order(keys);
    let mut total: usize = entries.iter().map(|entry| entry.bytes).sum();
    let mut evicted = Vec::new();
    for index in order {
        let entry = &entries[index];
        let too_old = now_ms - entry.created_at_ms > limits.max_age_ms;
        if too_old || total > limits.max_bytes {
            total -= entry.bytes;
            evicted.push(index);
        }
    }
    evicted
}

/// A chunk parked in localStorage on pagehide: the one storage write that
/// completes synchronously, so the last chunk of a closing tab survives even
/// when its IndexedDB write does not finish. The next page load moves it
/// into the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct ParkedChunk {
    pub replay_id: String,
    pub seq: u64,
    pub endpoint: String,
    pub api_key: Option<String>,
    pub created_at: TimestampMs,
    /// The gzip body.
    pub body: Vec<u8>,
}

/// First line of a parked chunk's text, naming its format.
const PARKED_FORMAT: &str = "rewind-parked-1";

impl ParkedChunk {
    /// One field a line (none of them can hold a line break: ids are
    /// restricted, the endpoint is a resolved URL, the key printable ASCII),
    /// the body in base64 since localStorage holds strings only.
    pub fn to_text(&self) -> String {
        format!(
            "{PARKED_FORMAT}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.replay_id,
            self.seq,
            self.endpoint,
            self.api_key.as_deref().unwrap_or(""),
            self.created_at.max(0.0) as u64,
            base64_encode(&self.body)
        )
    }

    /// Reads [`ParkedChunk::to_text`] back; `None` for anything else.
    pub fn from_text(text: &str) -> Option<ParkedChunk> {
        let mut lines = text.split('\n');
        if lines.next()? != PARKED_FORMAT {
            return None;
        }
        let replay_id = lines.next()?.to_owned();
        let seq = lines.next()?.parse().ok()?;
        let endpoint = lines.next()?.to_owned();
        let api_key = Some(lines.next()?)
            .filter(|key| !key.is_empty())
            .map(str::to_owned);
        let created_at = lines.next()?.parse::<u64>().ok()? as f64;
        let body = base64_decode(lines.next()?)?;
        if lines.next().is_some() || replay_id.is_empty() || endpoint.is_empty() {
            return None;
        }
        Some(ParkedChunk {
            replay_id,
            seq,
            endpoint,
            api_key,
            created_at,
            body,
        })
    }
}

/// The largest body parked in localStorage (before base64): the origin's
/// localStorage is small (about 5 MiB) and shared with the site itself.
pub const MAX_PARKED_BODY_BYTES: usize = 256 * 1024;

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let value = (u32::from(group[0]) << 16)
            | (u32::from(*group.get(1).unwrap_or(&0)) << 8)
            | u32::from(*group.get(2).unwrap_or(&0));
        for index in 0..4 {
            if index <= group.len() {
                out.push(BASE64_ALPHABET[(value >> (18 - 6 * index) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64; `None` for anything else.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if text.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for group in text.chunks(4) {
        let padding = group.iter().rev().take_while(|&&byte| byte == b'=').count();
        if padding > 2 {
            return None;
        }
        let mut value = 0u32;
        for &byte in &group[..4 - padding] {
            let digit = BASE64_ALPHABET.iter().position(|&letter| letter == byte)? as u32;
            value = value << 6 | digit;
        }
        value <<= 6 * padding as u32;
        let decoded = [(value >> 16) as u8, (value >> 8) as u8, value as u8];
        out.extend_from_slice(&decoded[..3 - padding]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_vectors_and_round_trips() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
            assert_eq!(base64_decode(encoded).unwrap(), plain.as_bytes());
        }
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(base64_decode(&base64_encode(&bytes)).unwrap(), bytes);
        for bad in ["Zg=", "Z===", "Zm9v!A==", "===="] {
            assert_eq!(base64_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn parked_chunk_text_round_trips_and_garbage_is_refused() {
        let mut parked = ParkedChunk {
            replay_id: "d/1".into(),
            seq: 4,
            endpoint: "https://ingest.example/v1".into(),
            api_key: None,
            created_at: 1_700_000_000_000.0,
            body: vec![31, 139, 8, 0, 255],
        };
        assert_eq!(ParkedChunk::from_text(&parked.to_text()).unwrap(), parked);
        parked.api_key = Some("rk_live_1".into());
        assert_eq!(ParkedChunk::from_text(&parked.to_text()).unwrap(), parked);
        let text = parked.to_text();
        assert_eq!(
            ParkedChunk::from_text(&text.replace("rewind-parked-1", "other")),
            None
        );
        assert_eq!(ParkedChunk::from_text(&format!("{text}\nextra")), None);
        assert_eq!(
            ParkedChunk::from_text(&text.replace("\n4\n", "\nfour\n")),
            None
        );
        assert_eq!(ParkedChunk::from_text(""), None);
    }

    fn entry(bytes: usize, created_at_ms: f64) -> StoredChunkInfo {
        StoredChunkInfo {
            bytes,
            created_at_ms,
        }
    }

    #[test]
    fn nothing_is_dropped_within_the_caps() {
        let entries = [entry(10, 0.0), entry(10, 1.0)];
        assert!(chunks_to_evict(
            &entries,
            2.0,
            &OutboxLimits {
                max_bytes: 20,
                max_age_ms: 10.0
            }
        )
        .is_empty());
    }

    #[test]
    fn oldest_are_dropped_until_the_rest_fits() {
        let entries = [
            entry(10, 5.0),
            entry(10, 1.0),
            entry(10, 3.0),
            entry(10, 4.0),
        ];
        let evicted = chunks_to_evict(
            &entries,
            6.0,
            &OutboxLimits {
                max_bytes: 25,
                max_age_ms: 100.0,
            },
        );
        assert_eq!(evicted, vec![1, 2]);
    }

    #[test]
    fn chunks_past_the_age_cap_are_dropped_whatever_the_size() {
        let entries = [entry(1, 0.0), entry(1, 50.0), entry(1, 95.0)];
        let evicted = chunks_to_evict(
            &entries,
            100.0,
            &OutboxLimits {
                max_bytes: 1_000,
                max_age_ms: 10.0,
            },
        );
        assert_eq!(evicted, vec![0, 1]);
    }
}
