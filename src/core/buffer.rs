//! Buffer mode's memory: the sealed chunks of the last `bufferMs` at least,
//! kept until an error (or `flush()`) sends them.
//!
//! Chunks are grouped into segments, each opened by a checkout (a Meta and
//! a full snapshot), so whatever is dropped, what is left replays from a
//! snapshot. Unlike a buffer cleared at every checkout, which holds from 0
//! to a whole interval before an error, a segment is dropped only once the
//! segment after it began at least `bufferMs` ago: the look-back is never
//! shorter than `bufferMs` once the page has been open that long, and never
//! longer than `bufferMs` plus a checkout interval. Past `maxBufferBytes`
//! the oldest segments go first and the look-back shortens; the newest
//! segment, which starts with a snapshot, always stays.

use super::chunk::SealedChunk;
use super::event::TimestampMs;

/// A checkout starts a new segment at least this often, as a share of
/// `bufferMs`: the look-back then stays between `bufferMs` and 1.5 times
/// it, and memory holds at most about that much recording.
const CHECKOUT_SHARE_OF_BUFFER: f64 = 0.5;

/// A checkout also starts a new segment once the newest one's chunks after
/// its snapshot reach this share of `maxBufferBytes`, so that the cap is
/// met by dropping whole older segments.
const CHECKOUT_SHARE_OF_BYTES: usize = 4;

/// One checkout and the chunks recorded after it.
#[derive(Debug)]
struct Segment {
    /// When its checkout was taken.
    started_at_ms: TimestampMs,
    chunks: Vec<SealedChunk>,
    bytes: usize,
    /// Bytes of its chunks after the first (the snapshot's).
    bytes_after_snapshot: usize,
}

/// The chunks buffer mode keeps.
#[derive(Debug, Default)]
pub struct ChunkBuffer {
    segments: Vec<Segment>,
    bytes: usize,
}

impl ChunkBuffer {
    /// A checkout was taken at `at_ms`: the chunks from now on belong to a
    /// new segment. (The caller seals the open chunk first, so that a
    /// segment's first chunk starts with its Meta.)
    pub fn begin_segment(&mut self, at_ms: TimestampMs) {
        self.segments.push(Segment {
            started_at_ms: at_ms,
            chunks: Vec::new(),
            bytes: 0,
            bytes_after_snapshot: 0,
        });
    }

    /// Keeps a sealed chunk in the newest segment.
    pub fn push(&mut self, chunk: SealedChunk, now_ms: TimestampMs) {
        if self.segments.is_empty() {
            self.begin_segment(now_ms);
        }
        let Some(segment) = self.segments.last_mut() else {
            return;
        };
        let bytes = chunk.body.len();
        if !segment.chunks.is_empty() {
            segment.bytes_after_snapshot += bytes;
        }
        segment.bytes += bytes;
        segment.chunks.push(chunk);
        self.bytes += bytes;
    }

    /// Drops what a flush at `now_ms` no longer needs: the oldest segment
    /// once the next one began at least `buffer_ms` earlier, and, over
    /// `max_bytes`, the oldest segments while more than one is left.
    /// Returns how many segments went.
    pub fn trim(&mut self, now_ms: TimestampMs, buffer_ms: f64, max_bytes: usize) -> usize {
        let mut dropped = 0;
        while self.segments.len() > 1 {
            let next_is_old_enough = self.segments[1].started_at_ms <= now_ms - buffer_ms;
            if !next_is_old_enough && self.bytes <= max_bytes {
                break;
            }
            let oldest = self.segments.remove(0);
            self.bytes -= oldest.bytes;
            dropped += 1;
        }
        dropped
    }

    /// Whether a checkout should start a new segment now: the newest is
    /// older than half of `buffer_ms`, or has grown past a quarter of
    /// `max_bytes` since its snapshot.
    pub fn is_checkout_due(&self, now_ms: TimestampMs, buffer_ms: f64, max_bytes: usize) -> bool {
        self.segments.last().is_some_and(|newest| {
            now_ms - newest.started_at_ms >= buffer_ms * CHECKOUT_SHARE_OF_BUFFER
                || newest.bytes_after_snapshot >= max_bytes / CHECKOUT_SHARE_OF_BYTES
        })
    }

    /// The compressed bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// When the oldest segment kept began: where a flush's replay starts.
    pub fn start_ms(&self) -> Option<TimestampMs> {
        self.segments.first().map(|segment| segment.started_at_ms)
    }

    /// Every chunk kept, in order, numbered from seq 0, and the buffer
    /// emptied.
    pub fn take_numbered(&mut self) -> Vec<SealedChunk> {
        self.bytes = 0;
        let mut chunks: Vec<SealedChunk> = Vec::new();
        for segment in std::mem::take(&mut self.segments) {
            chunks.extend(segment.chunks);
        }
        for (seq, chunk) in chunks.iter_mut().enumerate() {
            chunk.renumber(seq as u64);
        }
        chunks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::chunk::Chunker;
    use crate::core::replay_id::{DeviceId, ReplayId, SessionId};

    const SECOND: f64 = 1_000.0;
    const BUFFER_MS: f64 = 60.0 * SECOND;
    const NO_CAP: usize = usize::MAX;

    /// A chunk whose one event is `label` at `at_ms`, about `size` bytes
    /// compressed (random-ish text compresses poorly).
    fn chunk(chunker: &mut Chunker, label: &str, at_ms: f64, size: usize) -> SealedChunk {
        let mut noise = String::with_capacity(size);
        let mut state = at_ms as u64 + 1;
        while noise.len() < size {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            noise.push(char::from(b'a' + (state >> 59) as u8));
        }
        chunker.push(
            &format!(r#"{{"label":"{label}","noise":"{noise}","timestamp":{at_ms}}}"#),
            at_ms,
        );
        chunker.seal().expect("one event was pushed")
    }

    fn chunker() -> Chunker {
        let replay = ReplayId {
            device_id: DeviceId::checked("dev".into()),
            session_id: SessionId::checked("7".into()),
        };
        // Numbered from 40: the buffer numbers again from 0.
        Chunker::new(replay, 40, 1 << 20)
    }

    fn labels(chunks: &[SealedChunk]) -> Vec<String> {
        chunks
            .iter()
            .map(|chunk| {
                let mut text = String::new();
                std::io::Read::read_to_string(
                    &mut flate2::read::GzDecoder::new(chunk.body.as_slice()),
                    &mut text,
                )
                .unwrap();
                let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(value["seq"], chunk.seq);
                value["events"][0]["label"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    /// A page recording for `seconds`, a checkout whenever one is due and a
    /// chunk every second; what a flush at the end would send.
    fn record(seconds: u32, chunk_bytes: usize, max_bytes: usize) -> (ChunkBuffer, f64) {
        let mut chunker = chunker();
        let mut buffer = ChunkBuffer::default();
        let mut now = 0.0;
        buffer.begin_segment(now);
        buffer.push(chunk(&mut chunker, "snapshot@0", now, chunk_bytes), now);
        for second in 1..=seconds {
            now = f64::from(second) * SECOND;
            if buffer.is_checkout_due(now, BUFFER_MS, max_bytes) {
                buffer.begin_segment(now);
                buffer.push(
                    chunk(
                        &mut chunker,
                        &format!("snapshot@{second}"),
                        now,
                        chunk_bytes,
                    ),
                    now,
                );
            } else {
                buffer.push(
                    chunk(&mut chunker, &format!("event@{second}"), now, chunk_bytes),
                    now,
                );
            }
            buffer.trim(now, BUFFER_MS, max_bytes);
        }
        (buffer, now)
    }

    #[test]
    fn the_look_back_is_at_least_buffer_ms_and_at_most_half_as_much_again() {
        for seconds in [61, 75, 89, 90, 91, 200, 601] {
            let (buffer, now) = record(seconds, 64, NO_CAP);
            let look_back = now - buffer.start_ms().unwrap();
            assert!(
                (BUFFER_MS..BUFFER_MS * 1.5 + SECOND).contains(&look_back),
                "after {seconds} s the buffer reaches back {look_back} ms"
            );
        }
    }

    #[test]
    fn a_young_page_keeps_everything_from_its_start() {
        let (buffer, _) = record(45, 64, NO_CAP);
        assert_eq!(buffer.start_ms(), Some(0.0));
    }

    #[test]
    fn a_flush_sends_from_a_snapshot_numbered_from_zero_without_gaps() {
        let (mut buffer, _) = record(130, 64, NO_CAP);
        assert!(buffer.bytes() > 0);
        let chunks = buffer.take_numbered();
        let seqs: Vec<u64> = chunks.iter().map(|chunk| chunk.seq).collect();
        assert_eq!(seqs, (0..chunks.len() as u64).collect::<Vec<_>>());
        let labels = labels(&chunks);
        assert!(labels[0].starts_with("snapshot@"), "{labels:?}");
        assert_eq!(buffer.bytes(), 0);
        assert_eq!(buffer.start_ms(), None);
    }

    #[test]
    fn over_its_cap_the_buffer_keeps_a_shorter_look_back_never_a_broken_one() {
        let max_bytes = 40 * 1024;
        let mut peak = 0;
        let mut chunker = chunker();
        let mut buffer = ChunkBuffer::default();
        buffer.begin_segment(0.0);
        buffer.push(chunk(&mut chunker, "snapshot@0", 0.0, 2_000), 0.0);
        for second in 1..=600 {
            let now = f64::from(second) * SECOND;
            if buffer.is_checkout_due(now, BUFFER_MS, max_bytes) {
                buffer.begin_segment(now);
                buffer.push(
                    chunk(&mut chunker, &format!("snapshot@{second}"), now, 2_000),
                    now,
                );
            } else {
                buffer.push(
                    chunk(&mut chunker, &format!("event@{second}"), now, 2_000),
                    now,
                );
            }
            buffer.trim(now, BUFFER_MS, max_bytes);
            peak = peak.max(buffer.bytes());
        }
        // One chunk over the cap at most: it is trimmed once pushed.
        assert!(
            peak <= max_bytes + 2_100,
            "peak {peak} B over a {max_bytes} B cap"
        );
        assert!(buffer.bytes() <= max_bytes);
        let chunks = buffer.take_numbered();
        assert!(labels(&chunks)[0].starts_with("snapshot@"));
    }

    #[test]
    fn the_newest_segment_stays_even_alone_over_the_cap() {
        let mut chunker = chunker();
        let mut buffer = ChunkBuffer::default();
        buffer.begin_segment(0.0);
        buffer.push(chunk(&mut chunker, "huge snapshot", 0.0, 8_000), 0.0);
        assert_eq!(buffer.trim(1.0, BUFFER_MS, 1_000), 0);
        assert_eq!(labels(&buffer.take_numbered()), vec!["huge snapshot"]);
    }

    #[test]
    fn a_checkout_is_due_by_age_or_by_growth_since_the_snapshot() {
        let mut chunker = chunker();
        let mut buffer = ChunkBuffer::default();
        assert!(
            !buffer.is_checkout_due(1e9, BUFFER_MS, NO_CAP),
            "no segment yet"
        );
        buffer.begin_segment(0.0);
        buffer.push(chunk(&mut chunker, "snapshot", 0.0, 5_000), 0.0);
        assert!(
            !buffer.is_checkout_due(2.0, BUFFER_MS, 8_000),
            "only the snapshot so far"
        );
        assert!(!buffer.is_checkout_due(29.0 * SECOND, BUFFER_MS, 8_000));
        assert!(buffer.is_checkout_due(30.0 * SECOND, BUFFER_MS, 8_000));
        buffer.push(chunk(&mut chunker, "events", 1.0, 4_000), 1.0);
        assert!(
            buffer.is_checkout_due(2.0, BUFFER_MS, 8_000),
            "over 2 KB since the snapshot, a quarter of 8 KB"
        );
    }
}
