//! Chunks: events gathered into gzip-compressed JSON documents, numbered
//! gaplessly per replay.
//!
//! A chunk is compressed as its events arrive (streamed into the gzip
//! encoder), so sealing it costs only the encoder's final block, not a
//! second pass over the data. Its JSON:
//! `{"replayId","deviceId","sessionId","sdk":{"name","version"},
//!   "events":[...],"startTimestamp","endTimestamp","seq"}` — the timestamps
//! come last because they are known only when the chunk is sealed, and the
//! seq after them, uncompressed in a final stored deflate block, so that a
//! sealed chunk can be numbered again without being compressed again:
//! buffer mode numbers its chunks only when it sends them.
//!
//! Or a chunk is written plain ([`Chunker::set_compress_later`]) and
//! compressed whole once sealed, with [`gzip`]: the page's courier does that
//! in a worker, which takes compression off the page's main thread. A large
//! plain chunk (a big page's full snapshot) is handed over in parts as it is
//! written ([`Chunker::take_plain_part`]), so the wasm memory never holds
//! megabytes of it.

use std::sync::atomic::{AtomicU32, Ordering};

use flate2::{Compress, Compression, FlushCompress};

use super::event::TimestampMs;
use super::json::{write_number, write_str};
use super::replay_id::ReplayId;

/// Default cap on a chunk's uncompressed size.
pub const DEFAULT_MAX_CHUNK_BYTES: usize = 1024 * 1024;

/// Room kept for the trailer (`],"startTimestamp":…,"endTimestamp":…,
/// "seq":…}`) so a sealed chunk stays within the cap: two timestamps of at
/// most 24 characters each, a seq of at most 16, plus the keys.
const TRAILER_RESERVE: usize = 128;

/// The SDK name and version written into every chunk.
pub const SDK_NAME: &str = "rewind";
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A sealed chunk, ready for the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct SealedChunk {
    pub replay_id: ReplayId,
    pub seq: u64,
    /// The gzip-compressed JSON document, or when `compressed` is false
    /// the JSON itself, for the courier to compress with [`gzip`].
    pub body: Vec<u8>,
    pub compressed: bool,
    /// Parts of a plain chunk's JSON were taken before it was sealed
    /// ([`Chunker::take_plain_part`]): `body` is only the rest.
    parts_taken: bool,
    /// Where the stored block carrying the seq starts in `body`, and the
    /// CRC-32 state of the JSON before it: what numbering again needs.
    tail_at: usize,
    crc_before_tail: Crc32,
    raw_len_before_tail: usize,
    /// Size of the JSON before compression.
    pub raw_len: usize,
    pub event_count: usize,
    pub start_timestamp: TimestampMs,
    pub end_timestamp: TimestampMs,
}

/// The gzip member header (RFC 1952): magic, deflate, no flags, no mtime,
/// no extra flags, OS unknown.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// CRC-32 (IEEE, as gzip uses) for byte-at-a-time updates. The table is
/// built on first use rather than at compile time: its 1 KiB of
/// pseudo-random words took about 1 KB of the wasm's gzip, where building
/// it takes a few dozen bytes of code and 2,048 steps once. (flate2's own
/// gzip writer would link crc32fast's 16 KiB slice-by-16 tables.)
///
/// Atomics rather than a `OnceLock` (whose `Once` took 86 B of gzip): an
/// entry past the first is never 0 once built, the last is stored last
/// (released, and acquired by the check), and threads that build it at
/// once (native tests) store the same words. On wasm32 without threads
/// these are plain loads and stores.
static CRC32_TABLE: [AtomicU32; 256] = [const { AtomicU32::new(0) }; 256];

fn crc32_table() -> &'static [AtomicU32; 256] {
    if CRC32_TABLE[255].load(Ordering::Acquire) == 0 {
        for (index, entry) in CRC32_TABLE.iter().enumerate() {
            let mut crc = index as u32;
            for _ in 0..8 {
                crc = (crc >> 1) ^ (0xedb8_8320 & (crc & 1).wrapping_neg());
            }
            entry.store(crc, Ordering::Release);
        }
    }
    &CRC32_TABLE
}

/// Running CRC-32 of the uncompressed data.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Crc32(u32);

impl Crc32 {
    fn new() -> Self {
        Crc32(0xffff_ffff)
    }

    fn update(&mut self, bytes: &[u8]) {
        let table = crc32_table();
        let mut crc = self.0;
        for &byte in bytes {
            crc = table[((crc ^ u32::from(byte)) & 0xff) as usize].load(Ordering::Relaxed)
                ^ (crc >> 8);
        }
        self.0 = crc;
    }

    fn finish(self) -> u32 {
        !self.0
    }
}

/// Raw deflate straight into a `Vec`: flate2's `Compress`, without its
/// `io::Write` wrapper (whose io::Error and boxed-error Debug code would
/// cost kilobytes of wasm, and whose own 32 KiB buffer a copy).
struct Deflater {
    compress: Compress,
    out: Vec<u8>,
}

impl Deflater {
    /// Compresses all of `input` into `out`; with `FlushCompress::Sync`,
    /// also everything before it, ending on a byte boundary.
    fn run(&mut self, mut input: &[u8], flush: FlushCompress) {
        loop {
            // compress_vec writes only into spare capacity.
            self.out.reserve(input.len() / 2 + 64);
            let before = self.compress.total_in();
            if self
                .compress
                .compress_vec(input, &mut self.out, flush)
                .is_err()
            {
                unreachable!("deflate into memory cannot fail");
            }
            let consumed = (self.compress.total_in() - before) as usize;
            input = input.get(consumed..).unwrap_or_default();
            // Done when all input is taken and output did not run out of
            // room (else the compressor may still hold some).
            if input.is_empty() && self.out.len() < self.out.capacity() {
                break;
            }
        }
    }
}

impl Deflater {
    fn new() -> Self {
        Deflater {
            // Level 6 (zlib's default): most of level 9's ratio on JSON at
            // a fraction of its CPU time.
            compress: Compress::new(Compression::new(6), false),
            out: GZIP_HEADER.to_vec(),
        }
    }
}

/// `json` as one gzip member: what the courier's worker (or, without one,
/// the main thread) makes of a chunk sealed plain.
pub fn gzip(json: &[u8]) -> Vec<u8> {
    let mut deflater = Deflater::new();
    deflater.run(json, FlushCompress::Finish);
    let mut crc = Crc32::new();
    crc.update(json);
    let mut body = deflater.out;
    body.extend_from_slice(&crc.finish().to_le_bytes());
    // ISIZE: the uncompressed length modulo 2^32.
    body.extend_from_slice(&(json.len() as u32).to_le_bytes());
    body
}

/// Where an open chunk's JSON goes as it is written.
enum Sink {
    /// Compressed as it arrives, with the CRC-32 gzip ends with.
    Deflate(Deflater, Crc32),
    /// Kept as it is, to be compressed whole once sealed.
    Plain(Vec<u8>),
}

/// One chunk being written: raw deflate framed as gzip by hand (header
/// now, CRC-32 and length at the end), or plain JSON.
struct OpenChunk {
    sink: Sink,
    parts_taken: bool,
    seq: u64,
    raw_len: usize,
    event_count: usize,
    start_timestamp: TimestampMs,
    end_timestamp: TimestampMs,
}

impl OpenChunk {
    fn new(replay_id: &ReplayId, seq: u64, compress_later: bool) -> Self {
        // The seq is written when the chunk is sealed (see the module doc).
        let mut header = String::with_capacity(160);
        header.push_str("{\"replayId\":");
        write_str(&mut header, &replay_id.to_key());
        header.push_str(",\"deviceId\":");
        write_str(&mut header, replay_id.device_id.as_str());
        header.push_str(",\"sessionId\":");
        write_str(&mut header, replay_id.session_id.as_str());
        header.push_str(",\"sdk\":{\"name\":");
        write_str(&mut header, SDK_NAME);
        header.push_str(",\"version\":");
        write_str(&mut header, SDK_VERSION);
        header.push_str("},\"events\":[");
        let mut chunk = OpenChunk {
            sink: if compress_later {
                Sink::Plain(Vec::with_capacity(4096))
            } else {
                Sink::Deflate(Deflater::new(), Crc32::new())
            },
            parts_taken: false,
            seq,
            raw_len: 0,
            event_count: 0,
            start_timestamp: f64::INFINITY,
            end_timestamp: f64::NEG_INFINITY,
        };
        chunk.write(header.as_bytes());
        chunk
    }

    fn write(&mut self, bytes: &[u8]) {
        match &mut self.sink {
            Sink::Deflate(deflater, crc) => {
                deflater.run(bytes, FlushCompress::None);
                crc.update(bytes);
            }
            Sink::Plain(json) => json.extend_from_slice(bytes),
        }
        self.raw_len += bytes.len();
    }

    fn push(&mut self, event_json: &str, timestamp: TimestampMs) {
        if self.event_count > 0 {
            self.write(b",");
        }
        self.write(event_json.as_bytes());
        self.event_count += 1;
        self.start_timestamp = self.start_timestamp.min(timestamp);
        self.end_timestamp = self.end_timestamp.max(timestamp);
    }

    fn seal(mut self, replay_id: ReplayId, user_json: Option<&str>) -> SealedChunk {
        let mut trailer = String::from("],\"startTimestamp\":");
        // (Its closing brace comes with the seq, in `write_seq`.)
        write_number(&mut trailer, self.start_timestamp);
        trailer.push_str(",\"endTimestamp\":");
        write_number(&mut trailer, self.end_timestamp);
        if let Some(user) = user_json {
            trailer.push_str(",\"user\":");
            trailer.push_str(user);
        }
        self.write(trailer.as_bytes());
        let (body, crc, compressed) = match self.sink {
            Sink::Deflate(mut deflater, crc) => {
                // A sync flush ends the compressed data on a byte boundary,
                // where the stored block with the seq can start.
                deflater.run(&[], FlushCompress::Sync);
                (deflater.out, crc, true)
            }
            Sink::Plain(json) => (json, Crc32::new(), false),
        };
        let mut sealed = SealedChunk {
            replay_id,
            seq: self.seq,
            tail_at: body.len(),
            body,
            compressed,
            parts_taken: self.parts_taken,
            crc_before_tail: crc,
            raw_len_before_tail: self.raw_len,
            raw_len: self.raw_len,
            event_count: self.event_count,
            start_timestamp: self.start_timestamp,
            end_timestamp: self.end_timestamp,
        };
        sealed.write_seq(self.seq);
        sealed
    }
}

impl SealedChunk {
    /// Numbers the chunk `seq` (buffer mode numbers its chunks only when it
    /// sends them); only its uncompressed tail and the gzip trailer change.
    pub fn renumber(&mut self, seq: u64) {
        self.seq = seq;
        self.write_seq(seq);
    }

    /// The chunk compressed, if it was sealed plain and whole: buffer mode
    /// keeps its chunks compressed. (Its chunks are never plain: buffer mode
    /// begins with no chunk open, and opens them compressed.)
    pub fn into_compressed(self) -> SealedChunk {
        if self.compressed || self.parts_taken {
            return self;
        }
        let json = self.body.get(..self.tail_at).unwrap_or_default();
        let mut deflater = Deflater::new();
        deflater.run(json, FlushCompress::Sync);
        let mut crc = Crc32::new();
        crc.update(json);
        let mut sealed = SealedChunk {
            tail_at: deflater.out.len(),
            body: deflater.out,
            compressed: true,
            crc_before_tail: crc,
            ..self
        };
        sealed.write_seq(sealed.seq);
        sealed
    }

    /// Ends the body with `,"seq":N}`: compressed, in a final stored
    /// deflate block and the gzip trailer.
    fn write_seq(&mut self, seq: u64) {
        let mut tail = String::from(",\"seq\":");
        write_number(&mut tail, seq as f64);
        tail.push('}');
        let tail = tail.as_bytes();
        self.body.truncate(self.tail_at);
        self.raw_len = self.raw_len_before_tail + tail.len();
        if !self.compressed {
            self.body.extend_from_slice(tail);
            return;
        }
        // BFINAL = 1, BTYPE = 00 (stored), then LEN and its complement.
        let len = tail.len() as u16;
        self.body.push(1);
        self.body.extend_from_slice(&len.to_le_bytes());
        self.body.extend_from_slice(&(!len).to_le_bytes());
        self.body.extend_from_slice(tail);
        let mut crc = self.crc_before_tail;
        crc.update(tail);
        self.body.extend_from_slice(&crc.finish().to_le_bytes());
        // ISIZE: the uncompressed length modulo 2^32.
        self.body
            .extend_from_slice(&(self.raw_len as u32).to_le_bytes());
    }
}

/// Gathers the events of one replay into chunks with gapless `seq`.
pub struct Chunker {
    replay_id: ReplayId,
    next_seq: u64,
    max_chunk_bytes: usize,
    /// Chunks opened from now on are written plain (see the module doc).
    compress_later: bool,
    open: Option<OpenChunk>,
    /// The identified user (`{"userId":…,"traits":…}`), carried by every
    /// chunk sealed after `identify()`.
    user_json: Option<String>,
}

impl Chunker {
    /// A chunker for `replay_id` whose next chunk gets `next_seq` (0 for a
    /// new replay, the stored value after a reload).
    pub fn new(replay_id: ReplayId, next_seq: u64, max_chunk_bytes: usize) -> Self {
        Chunker {
            replay_id,
            next_seq,
            max_chunk_bytes,
            compress_later: false,
            open: None,
            user_json: None,
        }
    }

    /// Names the user in the chunks sealed from now on; `user_json` is a
    /// JSON object.
    pub fn set_user(&mut self, user_json: String) {
        self.user_json = Some(user_json);
    }

    /// Whether chunks opened from now on are written plain, for the
    /// courier to compress once sealed.
    pub fn set_compress_later(&mut self, later: bool) {
        self.compress_later = later;
    }

    /// The seq the next chunk to be sealed will carry.
    pub fn next_seq(&self) -> u64 {
        self.open.as_ref().map_or(self.next_seq, |open| open.seq)
    }

    /// Numbers the chunks from `next_seq` on, once buffered chunks were
    /// numbered and sent before them. Only while no chunk is open.
    pub fn continue_at(&mut self, next_seq: u64) {
        if self.open.is_none() {
            self.next_seq = next_seq;
        }
    }

    /// Adds one event (its JSON). When it would push the open chunk past
    /// the size cap, that chunk is sealed first and returned; an event
    /// larger than the cap gets a chunk of its own.
    pub fn push(&mut self, event_json: &str, timestamp: TimestampMs) -> Option<SealedChunk> {
        let trailer = TRAILER_RESERVE + self.user_json.as_ref().map_or(0, |user| user.len() + 8);
        let would_overflow = self.open.as_ref().is_some_and(|open| {
            open.event_count > 0
                && open.raw_len + 1 + event_json.len() + trailer > self.max_chunk_bytes
        });
        let sealed = if would_overflow { self.seal() } else { None };
        let open = self.open.get_or_insert_with(|| {
            let seq = self.next_seq;
            self.next_seq += 1;
            OpenChunk::new(&self.replay_id, seq, self.compress_later)
        });
        open.push(event_json, timestamp);
        sealed
    }

    /// Starts an event whose JSON arrives in parts ([`Chunker::push_part`],
    /// then [`Chunker::end_streamed`]): a large full snapshot is compressed
    /// slice by slice as it is written, never held whole. Until the end,
    /// nothing else may be pushed and the chunk may not be sealed.
    pub fn begin_streamed(&mut self, timestamp: TimestampMs) -> Option<SealedChunk> {
        let trailer = TRAILER_RESERVE + self.user_json.as_ref().map_or(0, |user| user.len() + 8);
        // Its size is unknown: a chunk already at the cap is sealed first.
        let full = self.open.as_ref().is_some_and(|open| {
            open.event_count > 0 && open.raw_len + trailer >= self.max_chunk_bytes
        });
        let sealed = if full { self.seal() } else { None };
        let open = self.open.get_or_insert_with(|| {
            let seq = self.next_seq;
            self.next_seq += 1;
            OpenChunk::new(&self.replay_id, seq, self.compress_later)
        });
        open.push("", timestamp);
        sealed
    }

    /// Appends to the event begun by [`Chunker::begin_streamed`].
    pub fn push_part(&mut self, json_part: &str) {
        if let Some(open) = &mut self.open {
            open.write(json_part.as_bytes());
        }
    }

    /// Ends the streamed event; seals the chunk when the event took it past
    /// the cap (an event larger than the cap has a chunk of its own).
    pub fn end_streamed(&mut self) -> Option<SealedChunk> {
        let over = self
            .open
            .as_ref()
            .is_some_and(|open| open.raw_len + TRAILER_RESERVE > self.max_chunk_bytes);
        if over {
            self.seal()
        } else {
            None
        }
    }

    /// The JSON a plain open chunk holds, once it is `min_bytes` or more,
    /// with the chunk's seq: the caller keeps the parts, in order, to put
    /// before the body the chunk is sealed with.
    pub fn take_plain_part(&mut self, min_bytes: usize) -> Option<(u64, Vec<u8>)> {
        let open = self.open.as_mut()?;
        let Sink::Plain(json) = &mut open.sink else {
            return None;
        };
        if json.len() < min_bytes {
            return None;
        }
        open.parts_taken = true;
        Some((open.seq, std::mem::take(json)))
    }

    /// The replay the chunks belong to.
    pub fn replay_id(&self) -> &ReplayId {
        &self.replay_id
    }

    /// Seals the open chunk, if it holds any event.
    pub fn seal(&mut self) -> Option<SealedChunk> {
        let open = self.open.take()?;
        Some(open.seal(self.replay_id.clone(), self.user_json.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::replay_id::{DeviceId, SessionId};
    use flate2::read::GzDecoder;
    use serde_json::{json, Value};
    use std::io::{Read, Write};

    fn replay(device: &str, session: &str) -> ReplayId {
        ReplayId {
            device_id: DeviceId::checked(device.to_owned()),
            session_id: SessionId::checked(session.to_owned()),
        }
    }

    fn gunzip(body: &[u8]) -> Value {
        let mut text = String::new();
        GzDecoder::new(body).read_to_string(&mut text).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn event(n: u32, timestamp: f64) -> String {
        format!(
            r#"{{"type":5,"data":{{"tag":"log","payload":{{"n":{n}}}}},"timestamp":{timestamp}}}"#
        )
    }

    #[test]
    fn a_streamed_event_is_written_as_if_pushed_whole() {
        let whole = event(2, 1500.0);
        let (head, tail) = whole.split_at(17);
        let mut pushed = Chunker::new(replay("dev-1", "1700000000000"), 0, DEFAULT_MAX_CHUNK_BYTES);
        let mut streamed =
            Chunker::new(replay("dev-1", "1700000000000"), 0, DEFAULT_MAX_CHUNK_BYTES);
        for chunker in [&mut pushed, &mut streamed] {
            assert!(chunker.push(&event(1, 1000.0), 1000.0).is_none());
        }
        pushed.push(&whole, 1500.0);
        assert!(streamed.begin_streamed(1500.0).is_none());
        streamed.push_part(head);
        streamed.push_part(tail);
        assert!(streamed.end_streamed().is_none());
        assert!(streamed.push(&event(3, 1600.0), 1600.0).is_none());
        pushed.push(&event(3, 1600.0), 1600.0);
        let (pushed, streamed) = (pushed.seal().unwrap(), streamed.seal().unwrap());
        assert_eq!(gunzip(&streamed.body), gunzip(&pushed.body));
        assert_eq!(streamed.event_count, 3);
        assert_eq!(streamed.start_timestamp, 1000.0);
        assert_eq!(streamed.end_timestamp, 1600.0);
    }

    #[test]
    fn incompressible_parts_of_any_size_come_back_whole() {
        // Output that outgrows the room reserved for it, in parts from one
        // byte to hundreds of KB: the deflater's loop must lose nothing.
        let mut state = 0x2545_f491_u32;
        let mut noise = String::new();
        while noise.len() < 300_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            noise.push(char::from(b'!' + (state % 90) as u8).to_ascii_lowercase());
        }
        let noise = noise.replace(['"', '\\'], "x");
        let mut chunker =
            Chunker::new(replay("dev-1", "1700000000000"), 0, DEFAULT_MAX_CHUNK_BYTES);
        assert!(chunker.begin_streamed(1000.0).is_none());
        chunker.push_part("{\"type\":5,\"data\":{\"tag\":\"big\",\"payload\":\"");
        let mut at = 0;
        for size in [1, 7, 100, 5000, 70_000, 1, 200_000] {
            let end = (at + size).min(noise.len());
            chunker.push_part(&noise[at..end]);
            at = end;
        }
        chunker.push_part(&noise[at..]);
        chunker.push_part("\"},\"timestamp\":1000}");
        assert!(chunker.end_streamed().is_none());
        let sealed = chunker.seal().unwrap();
        let events = gunzip(&sealed.body)["events"].clone();
        assert_eq!(events[0]["data"]["payload"].as_str(), Some(noise.as_str()));
    }

    #[test]
    fn a_streamed_event_past_the_cap_gets_its_own_chunk() {
        let mut chunker = Chunker::new(replay("dev-1", "1700000000000"), 0, 1024);
        assert!(chunker.push(&event(1, 1000.0), 1000.0).is_none());
        assert!(chunker.begin_streamed(1100.0).is_none());
        let payload = format!(
            "{{\"type\":5,\"data\":{{\"tag\":\"big\",\"payload\":\"{}\"}},",
            "x".repeat(4000)
        );
        chunker.push_part(&payload);
        chunker.push_part("\"timestamp\":1100}");
        let sealed = chunker.end_streamed().expect("sealed past the cap");
        assert_eq!(sealed.seq, 0);
        assert_eq!(gunzip(&sealed.body)["events"].as_array().unwrap().len(), 2);
        assert!(chunker.push(&event(2, 1200.0), 1200.0).is_none());
        assert_eq!(chunker.seal().unwrap().seq, 1);
    }

    #[test]
    fn chunk_is_the_documented_json_after_gunzip() {
        let mut chunker =
            Chunker::new(replay("dev-1", "1700000000000"), 0, DEFAULT_MAX_CHUNK_BYTES);
        assert!(chunker.push(&event(1, 1000.0), 1000.0).is_none());
        assert!(chunker.push(&event(2, 1500.0), 1500.0).is_none());
        let chunk = chunker.seal().unwrap();
        assert_eq!(chunk.seq, 0);
        assert_eq!(chunk.event_count, 2);
        assert_eq!(
            gunzip(&chunk.body),
            json!({
                "replayId": "dev-1/1700000000000",
                "deviceId": "dev-1",
                "sessionId": "1700000000000",
                "seq": 0,
                "sdk": {"name": "rewind", "version": SDK_VERSION},
                "events": [
                    {"type": 5, "data": {"tag": "log", "payload": {"n": 1}}, "timestamp": 1000},
                    {"type": 5, "data": {"tag": "log", "payload": {"n": 2}}, "timestamp": 1500}
                ],
                "startTimestamp": 1000,
                "endTimestamp": 1500
            })
        );
    }

    #[test]
    fn standard_gunzip_reads_the_body() {
        let Ok(mut child) = std::process::Command::new("gzip")
            .arg("-dc")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
        else {
            eprintln!("no gzip on this machine; flate2's decoder checks the format above");
            return;
        };
        let mut chunker = Chunker::new(replay("d", "s"), 0, DEFAULT_MAX_CHUNK_BYTES);
        chunker.push(&event(1, 1.0), 1.0);
        let body = chunker.seal().unwrap().body;
        child.stdin.take().unwrap().write_all(&body).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success());
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(value["replayId"], "d/s");
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        let mut crc = Crc32::new();
        crc.update(b"123456789");
        assert_eq!(crc.finish(), 0xcbf4_3926);
    }

    #[test]
    fn seq_is_gapless_and_continues_from_the_given_start() {
        let mut chunker = Chunker::new(replay("d", "s"), 5, DEFAULT_MAX_CHUNK_BYTES);
        let mut seqs = Vec::new();
        for n in 0..4 {
            chunker.push(&event(n, f64::from(n)), f64::from(n));
            seqs.push(chunker.seal().unwrap().seq);
        }
        assert_eq!(seqs, vec![5, 6, 7, 8]);
        assert_eq!(chunker.next_seq(), 9);
    }

    #[test]
    fn chunks_sealed_after_identify_name_the_user() {
        let mut chunker = Chunker::new(replay("d", "s"), 0, DEFAULT_MAX_CHUNK_BYTES);
        chunker.push(&event(1, 10.0), 10.0);
        let before = gunzip(&chunker.seal().unwrap().body);
        assert!(before.get("user").is_none());
        chunker.set_user(r#"{"userId":"u-42","traits":{"plan":"pro"}}"#.into());
        chunker.push(&event(2, 20.0), 20.0);
        let after = gunzip(&chunker.seal().unwrap().body);
        assert_eq!(
            after["user"],
            json!({"userId": "u-42", "traits": {"plan": "pro"}})
        );
        assert_eq!(after["events"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn sealing_an_empty_chunker_yields_nothing_and_uses_no_seq() {
        let mut chunker = Chunker::new(replay("d", "s"), 0, DEFAULT_MAX_CHUNK_BYTES);
        assert!(chunker.seal().is_none());
        assert_eq!(chunker.next_seq(), 0);
    }

    #[test]
    fn size_cap_seals_before_overflowing_and_keeps_every_event() {
        let cap = 1_000;
        let mut chunker = Chunker::new(replay("d", "s"), 0, cap);
        let mut chunks = Vec::new();
        for n in 0..100 {
            chunks.extend(chunker.push(&event(n, f64::from(n)), f64::from(n)));
        }
        chunks.extend(chunker.seal());
        assert!(chunks.len() > 5);
        let mut seen = Vec::new();
        for (index, chunk) in chunks.iter().enumerate() {
            assert_eq!(chunk.seq, index as u64);
            assert!(
                chunk.raw_len <= cap,
                "chunk {index} is {} bytes",
                chunk.raw_len
            );
            let value = gunzip(&chunk.body);
            assert_eq!(value["events"].as_array().unwrap().len(), chunk.event_count);
            for event in value["events"].as_array().unwrap() {
                seen.push(event["data"]["payload"]["n"].as_u64().unwrap());
            }
            assert_eq!(
                value["startTimestamp"].as_f64().unwrap(),
                chunk.start_timestamp
            );
        }
        assert_eq!(seen, (0..100).collect::<Vec<u64>>());
    }

    #[test]
    fn event_larger_than_the_cap_gets_a_chunk_of_its_own() {
        let mut chunker = Chunker::new(replay("d", "s"), 0, 100);
        chunker.push(&event(1, 1.0), 1.0);
        let big = format!(
            r#"{{"type":5,"data":{{"tag":"big","payload":"{}"}},"timestamp":2}}"#,
            "x".repeat(500)
        );
        let first = chunker
            .push(&big, 2.0)
            .expect("the small chunk is sealed first");
        assert_eq!(first.event_count, 1);
        let second = chunker.seal().unwrap();
        assert_eq!(second.event_count, 1);
        assert_eq!(gunzip(&second.body)["events"][0]["data"]["tag"], "big");
    }

    #[test]
    fn compression_shrinks_repetitive_events() {
        let mut chunker = Chunker::new(replay("d", "s"), 0, DEFAULT_MAX_CHUNK_BYTES);
        for n in 0..500 {
            chunker.push(&event(n, f64::from(n)), f64::from(n));
        }
        let chunk = chunker.seal().unwrap();
        assert!(
            chunk.body.len() * 5 < chunk.raw_len,
            "{} of {}",
            chunk.body.len(),
            chunk.raw_len
        );
    }

    #[test]
    fn a_renumbered_chunk_is_the_same_document_with_its_new_seq() {
        let mut chunker = Chunker::new(replay("dev", "42"), 7, 1 << 20);
        chunker.set_user(r#"{"userId":"ada"}"#.into());
        chunker.push(r#"{"type":4,"data":{},"timestamp":1}"#, 1.0);
        chunker.push(r#"{"type":3,"data":{"source":2},"timestamp":9}"#, 9.0);
        let mut chunk = chunker.seal().unwrap();
        let original = gunzip(&chunk.body);
        assert_eq!(original["seq"], 7);
        for seq in [0, 12_345_678_901, 3] {
            chunk.renumber(seq);
            assert_eq!(chunk.seq, seq);
            // GzDecoder checks the CRC-32 and the length of the new tail.
            let renumbered = gunzip(&chunk.body);
            assert_eq!(renumbered["seq"], seq);
            let mut expected = original.clone();
            expected["seq"] = json!(seq);
            assert_eq!(renumbered, expected);
        }
        chunker.continue_at(4);
        chunker.push(r#"{"type":5,"data":{},"timestamp":10}"#, 10.0);
        assert_eq!(chunker.seal().unwrap().seq, 4);
    }

    /// The same events written to a chunker that compresses as it goes
    /// and to one that writes plain, for the tests below.
    fn both_ways(plain_first: bool) -> (SealedChunk, SealedChunk) {
        let mut chunks = Vec::new();
        for compress_later in [plain_first, !plain_first] {
            let mut chunker = Chunker::new(replay("dev-1", "1700000000000"), 3, 1 << 20);
            chunker.set_compress_later(compress_later);
            chunker.set_user(r#"{"userId":"ada"}"#.into());
            chunker.push(&event(1, 1000.0), 1000.0);
            chunker.begin_streamed(1200.0);
            chunker.push_part(r#"{"type":2,"data":{"node":"#);
            chunker.push_part(r#""\u00e9\u0001 é"},"timestamp":1200}"#);
            chunker.end_streamed();
            chunker.push(&event(2, 1500.0), 1500.0);
            chunks.push(chunker.seal().unwrap());
        }
        (chunks.remove(0), chunks.remove(0))
    }

    #[test]
    fn a_chunk_written_plain_is_the_same_document_once_gzipped() {
        let (plain, compressed) = both_ways(true);
        assert!(!plain.compressed && compressed.compressed);
        assert_eq!(plain.raw_len, plain.body.len());
        assert_eq!(plain.raw_len, compressed.raw_len);
        let json: Value = serde_json::from_slice(&plain.body).unwrap();
        assert_eq!(json, gunzip(&compressed.body));
        assert_eq!(json["seq"], 3);
        // What the courier's worker does with it.
        assert_eq!(gunzip(&gzip(&plain.body)), json);
    }

    #[test]
    fn a_plain_chunk_renumbers_and_compresses_later_into_the_same_document() {
        let (mut plain, compressed) = both_ways(true);
        plain.renumber(12_345);
        let mut expected = gunzip(&compressed.body);
        expected["seq"] = json!(12_345);
        assert_eq!(
            serde_json::from_slice::<Value>(&plain.body).unwrap(),
            expected
        );
        // Compressed afterwards (buffer mode, a closing tab): the document
        // stays, and it can still be numbered again.
        let mut later = plain.into_compressed();
        assert!(later.compressed);
        assert_eq!(gunzip(&later.body), expected);
        later.renumber(0);
        expected["seq"] = json!(0);
        assert_eq!(gunzip(&later.body), expected);
        let mut text = Vec::new();
        GzDecoder::new(later.body.as_slice())
            .read_to_end(&mut text)
            .unwrap();
        assert_eq!(later.raw_len, text.len());
        // A compressed chunk is left as it is.
        let again = compressed.clone().into_compressed();
        assert_eq!(again, compressed);
    }

    #[test]
    fn gzip_round_trips_empty_and_incompressible_input() {
        assert_eq!(gzip(b"").len(), 10 + 2 + 8);
        let mut decoded = Vec::new();
        GzDecoder::new(gzip(b"").as_slice())
            .read_to_end(&mut decoded)
            .unwrap();
        assert!(decoded.is_empty());
        // A xorshift stream: nothing for deflate to find.
        let mut state = 0x2545_f491_u32;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        let body = gzip(&noise);
        let mut decoded = Vec::new();
        GzDecoder::new(body.as_slice())
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, noise);
    }

    #[test]
    fn a_plain_chunk_handed_over_in_parts_is_the_same_document() {
        let (whole, _) = both_ways(true);
        let mut chunker = Chunker::new(replay("dev-1", "1700000000000"), 3, 1 << 20);
        chunker.set_compress_later(true);
        chunker.set_user(r#"{"userId":"ada"}"#.into());
        let mut parts = Vec::new();
        let mut take = |chunker: &mut Chunker| {
            if let Some((seq, part)) = chunker.take_plain_part(40) {
                assert_eq!(seq, 3);
                assert!(part.len() >= 40);
                parts.extend(part);
            }
        };
        assert!(chunker.take_plain_part(40).is_none(), "no chunk open");
        chunker.push(&event(1, 1000.0), 1000.0);
        take(&mut chunker);
        chunker.begin_streamed(1200.0);
        chunker.push_part(r#"{"type":2,"data":{"node":"#);
        take(&mut chunker);
        chunker.push_part(r#""\u00e9\u0001 é"},"timestamp":1200}"#);
        take(&mut chunker);
        chunker.end_streamed();
        chunker.push(&event(2, 1500.0), 1500.0);
        take(&mut chunker);
        let mut sealed = chunker.seal().unwrap();
        assert!(!parts.is_empty() && sealed.body.len() < whole.body.len());
        assert_eq!(sealed.raw_len, whole.raw_len);
        sealed.renumber(3);
        parts.extend_from_slice(&sealed.body);
        assert_eq!(parts, whole.body);
        // Not compressed in the wasm without the parts it no longer has.
        assert!(!sealed.into_compressed().compressed);
        // A compressing chunker has no plain parts.
        let mut compressing = Chunker::new(replay("dev-1", "1700000000000"), 0, 1 << 20);
        compressing.push(&event(1, 1000.0), 1000.0);
        assert!(compressing.take_plain_part(0).is_none());
    }
}
