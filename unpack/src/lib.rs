//! The codec rewind's wasm travels in to script-tag pages: a context-mixing
//! model over the module's image (js/unpack.js's joinCode says what the
//! image is: the module with its code section moved into streams), and a
//! binary arithmetic coder driven by it. The decoder is compiled to a wasm
//! of its own that travels deflated at the head of the packed file; the
//! packer (`src/bin/pack.rs`) is the same model run natively at build time,
//! so the two cannot disagree.
//!
//! Why not LZMA, which the module travelled in until December 6: LZMA
//! predicts a byte from one model shared by all of the image's streams,
//! with at most a few bits of the byte before as context. This model
//! predicts each bit from what came before in the same stream (the last
//! 1, 2 and 4 bytes, and the stream itself), and from the last earlier
//! repeat of the last 5 bytes, and mixes the predictions with weights
//! learnt by the kind of stream, the repeat's length and the bit's place:
//! December 6's image packed to 38,857 B as xz's best LZMA and to 35,354
//! B here. Measured on December 6's images and not kept: orders 1 to 4 and
//! 6 (+80 B), 1 to 3 (+170 B), 1 to 4 (+40 B), tables of 2^18 or 2^19
//! counters (+370, +150 B), a second mixer by the stream's kind and the
//! byte so far (-270 B, but +200 B of decoder and a third more time), an
//! adaptive probability map after the mixer (-170 B, for a table and a
//! lookup per bit), a learnt rather than fixed confidence in repeats (+40
//! B).
//!
//! Cost: the decoder is 3.5 KB (2.1 KB deflated, where LZMA's was 1.2),
//! takes 7 MB while it runs, and unpacks the module in 120 to 160 ms on
//! its first run in Chromium on the project's machine (LZMA took 18 to 43):
//! in rewind's worker, off the page's main thread.
//!
//! No std on wasm, no allocator, no panics: `unpack` takes the memory it
//! needs by growing the module's own, answers where the output is or why
//! there is none, and a bad file can only fail: every read is
//! bounds-checked, every loop ends, and a checksum of the output is
//! compared at the end.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The context orders: each predicts from this many bytes before, in the
/// same stream. (Longer contexts are the match model's.)
const ORDERS: [u32; 3] = [1, 2, 4];
/// Each order's table of bit predictions: 2^20 u16s (2 MB), in buckets of
/// 16 for the bits of one nibble, so that a nibble's four lookups share a
/// cache line.
const TABLE_BITS: u32 = 20;
const TABLE: usize = 1 << TABLE_BITS;
/// The last positions of 5-byte strings, for the match model.
const MATCH_BITS: u32 = 18;
const MIN_MATCH: usize = 5;
/// The mixer's inputs: the orders, order 0 (the stream and the bits of
/// the byte so far), the match model.
const INPUTS: usize = ORDERS.len() + 2;
/// Weight sets: by the kind of stream (16), the match's length (16) and the
/// bit's place in its byte (8).
const WEIGHT_SETS: usize = 16 * 16 * 8;
/// A prediction counter adapts at 1/(n + 1.5) for its n-th bit, n up to
/// this: 15 packed 2% smaller than 127 on the image, and 11 51 B smaller
/// than 15 (7: 39 B).
const COUNT_LIMIT: u16 = 11;
/// The mixer's learning rate, per 2^16 (20 and 40 packed 15 to 20 B
/// larger, 82 some 200 B).
const LEARNING_RATE: i32 = 30;

/// The packed module's header: the image's length and its checksum.
pub const HEADER_BYTES: usize = 8;
/// Images larger than this are refused before any memory is asked for.
pub const MAX_SIZE: usize = 1 << 26;

/// Why `unpack` has no output (any other answer is where the output is).
pub const BAD_HEADER: usize = 1;
pub const TRUNCATED: usize = 2;
pub const CORRUPT: usize = 3;
pub const NO_MEMORY: usize = 4;

/// 12-bit probabilities from the logistic domain, at 33 points 128 apart
/// (interpolated between).
const SQUASH_POINTS: [i16; 33] = [
    1, 2, 3, 6, 10, 16, 27, 45, 73, 120, 194, 310, 488, 747, 1101, 1546, 2047, 2549, 2994, 3348,
    3607, 3785, 3901, 3975, 4022, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094,
];

fn squash(x: i32) -> i32 {
    if x > 2047 {
        return 4095;
    }
    if x < -2047 {
        return 1;
    }
    let weight = x & 127;
    let index = ((x >> 7) + 16) as usize;
    (SQUASH_POINTS[index] as i32 * (128 - weight) + SQUASH_POINTS[index + 1] as i32 * weight + 64)
        >> 7
}

fn hash(a: u32, b: u32) -> u32 {
    a.wrapping_mul(0x2f0b_3c9d) ^ b.wrapping_add(1).wrapping_mul(0x5bd1_e995)
}

/// The memory the model works in, in its element types; all of it starts
/// zeroed (a counter of 0 is "p = 1/2, never seen").
pub struct Tables<'a> {
    /// Each order's table, then order 0's: (streams + 1) x 256.
    pub counters: &'a mut [u16],
    pub weights: &'a mut [i32],
    pub matches: &'a mut [u32],
    /// stretch(p) = ln(p / (1 - p)), the inverse of `squash`, by p.
    pub stretch: &'a mut [i16],
}

impl Tables<'_> {
    pub fn counter_count(streams: usize) -> usize {
        ORDERS.len() * TABLE + (streams + 1) * 256
    }
    pub const WEIGHTS: usize = WEIGHT_SETS * INPUTS;
    pub const MATCHES: usize = 1 << MATCH_BITS;
    pub const STRETCH: usize = 4096;
}

/// The model: given the image's bytes so far, the probability that the
/// next bit is 1; told each bit, it learns.
pub struct Model<'a> {
    tables: Tables<'a>,
    streams: usize,
    /// The stream of the byte being coded (`streams` while in the image's
    /// header of lengths, and past the last stream), and how many of its
    /// bytes are left after this one.
    stream: usize,
    left: u32,
    /// The last 8 bytes of the stream, the latest lowest.
    history: u64,
    /// Each order's bucket for the nibble being coded.
    buckets: [usize; ORDERS.len()],
    order_hashes: [u32; ORDERS.len()],
    /// The bits of the byte so far behind a 1, and of the nibble.
    partial: u32,
    nibble: u32,
    bits: u32,
    match_at: usize,
    match_len: usize,
    inputs: [i32; INPUTS],
    slots: [usize; INPUTS - 1],
    weight_set: usize,
    prediction: i32,
    /// 2^16 / (n + 1.5), a counter's rate at its n-th bit (a division
    /// each time took a third of the decoder's time).
    rates: [i32; 16],
}

impl<'a> Model<'a> {
    pub fn new(tables: Tables<'a>, streams: usize) -> Self {
        let mut model = Model {
            tables,
            streams,
            stream: streams,
            left: u32::MAX,
            history: 0,
            buckets: [0; ORDERS.len()],
            order_hashes: [0; ORDERS.len()],
            partial: 1,
            nibble: 1,
            bits: 0,
            match_at: 0,
            match_len: 0,
            inputs: [0; INPUTS],
            slots: [0; INPUTS - 1],
            weight_set: 0,
            prediction: 2048,
            rates: [0; 16],
        };
        for (n, rate) in model.rates.iter_mut().enumerate() {
            *rate = 131_072 / (2 * n as i32 + 3);
        }
        let mut next = 0usize;
        for x in -2047..=2047 {
            let p = squash(x) as usize;
            while next <= p {
                model.tables.stretch[next] = x as i16;
                next += 1;
            }
        }
        while next < 4096 {
            model.tables.stretch[next] = 2047;
            next += 1;
        }
        for weight in model.tables.weights.iter_mut() {
            *weight = 19660; // 0.3
        }
        model.start_byte();
        model
    }

    fn kind(&self) -> usize {
        // Streams 4 to 259 are the i32 constants, one kind; the header of
        // lengths is the last.
        match self.stream {
            s if s < 4 => s,
            s if s < 260 => 4,
            s if s < self.streams => (s - 255).min(14),
            _ => 15,
        }
    }

    fn start_byte(&mut self) {
        let stream = self.stream as u32;
        for (index, &order) in ORDERS.iter().enumerate() {
            let mut h = stream.wrapping_mul(0x9E37_79B1).wrapping_add(order * 77);
            for back in 0..order {
                h = hash(h, (self.history >> (8 * back)) as u32 & 255);
            }
            self.order_hashes[index] = h;
            self.buckets[index] = h as usize & (TABLE - 16);
        }
        self.partial = 1;
        self.nibble = 1;
        self.bits = 0;
    }

    /// The probability, in 4096ths, that the next bit is 1: from 1 to 4095.
    ///
    /// Not inlined (nor `learn`), and scripts/build.sh tells wasm-opt not
    /// to inline them either: V8 moves a wasm function from its baseline
    /// code to optimized code between calls, so a decoder that is one
    /// function runs baseline code throughout. 270 to 380 ms inlined, 120
    /// to 160 not.
    #[inline(never)]
    pub fn predict(&mut self, image: &[u8]) -> i32 {
        for index in 0..ORDERS.len() {
            self.slots[index] = index * TABLE + (self.buckets[index] | self.nibble as usize);
        }
        self.slots[ORDERS.len()] =
            ORDERS.len() * TABLE + self.stream.min(self.streams) * 256 + self.partial as usize;
        for (input, &slot) in self.inputs.iter_mut().zip(self.slots.iter()) {
            *input =
                self.tables.stretch[(self.tables.counters[slot] ^ 0x8000) as usize >> 4] as i32;
        }
        let mut repeat = 0;
        if self.match_len > 0 {
            let expected = image[self.match_at] as u32 | 256;
            if expected >> (8 - self.bits) == self.partial {
                let strength = self.match_len.min(32) as i32 * 64;
                repeat = if expected >> (7 - self.bits) & 1 == 1 {
                    strength
                } else {
                    -strength
                };
            }
        }
        self.inputs[INPUTS - 1] = repeat;
        self.weight_set =
            ((self.kind() * 16 + self.match_len.min(15)) * 8 + self.bits as usize) * INPUTS;
        let weights = &self.tables.weights[self.weight_set..self.weight_set + INPUTS];
        let dot: i64 = weights
            .iter()
            .zip(self.inputs.iter())
            .map(|(&w, &x)| w as i64 * x as i64)
            .sum();
        self.prediction = squash((dot >> 16).clamp(-2047, 2047) as i32).clamp(1, 4095);
        self.prediction
    }

    /// Learns the bit `predict` was asked about; `image` holds every byte
    /// before the one this bit is in (and, at its last bit, that one at
    /// `position`).
    #[inline(never)]
    pub fn learn(&mut self, bit: u32, image: &[u8], position: usize) {
        let error = ((bit as i32) << 12) - self.prediction;
        let weights = &mut self.tables.weights[self.weight_set..self.weight_set + INPUTS];
        for (weight, &input) in weights.iter_mut().zip(self.inputs.iter()) {
            *weight = weight.wrapping_add((input * error * LEARNING_RATE) >> 16);
        }
        for &slot in self.slots.iter() {
            let counter = self.tables.counters[slot] ^ 0x8000;
            let (p, n) = ((counter >> 4) as i32, counter & 15);
            let target = if bit == 1 { 4095 } else { 0 };
            let p = p + (((target - p) * self.rates[n as usize]) >> 16);
            let n = if n < COUNT_LIMIT { n + 1 } else { n };
            self.tables.counters[slot] = ((p as u16) << 4 | n) ^ 0x8000;
        }
        self.partial = self.partial << 1 | bit;
        self.nibble = self.nibble << 1 | bit;
        self.bits += 1;
        if self.bits == 4 {
            self.nibble = 1;
            for index in 0..ORDERS.len() {
                self.buckets[index] =
                    hash(self.order_hashes[index], self.partial) as usize & (TABLE - 16);
            }
        } else if self.bits == 8 {
            self.end_byte(image, position);
        }
    }

    fn end_byte(&mut self, image: &[u8], position: usize) {
        let byte = image[position];
        if self.match_len > 0 {
            if image[self.match_at] == byte {
                self.match_len += 1;
                self.match_at += 1;
            } else {
                self.match_len = 0;
            }
        }
        if position + 1 >= MIN_MATCH {
            let mut h = 0;
            for back in 0..MIN_MATCH {
                h = hash(h, image[position - back] as u32);
            }
            let slot = h as usize & ((1 << MATCH_BITS) - 1);
            let candidate = self.tables.matches[slot] as usize;
            if self.match_len == 0 && candidate > 0 {
                let mut len = 0;
                while len < 64
                    && len < candidate
                    && image[candidate - 1 - len] == image[position - len]
                {
                    len += 1;
                }
                if len >= MIN_MATCH {
                    self.match_len = len;
                    self.match_at = candidate;
                }
            }
            self.tables.matches[slot] = position as u32 + 1;
        }
        // The stream of the next byte: after the header (4 bytes, then a
        // u32 length per stream), each stream's length in turn.
        let header = 4 + 4 * self.streams;
        let before = self.stream;
        if position + 1 == header && self.streams > 0 {
            self.stream = 0;
            self.left = length_at(image, 4);
        } else if position + 1 > header {
            self.left = self.left.wrapping_sub(1);
        }
        while self.left == 0 && self.stream < self.streams {
            self.stream += 1;
            self.left = if self.stream < self.streams {
                length_at(image, 4 + 4 * self.stream)
            } else {
                u32::MAX
            };
        }
        self.history = if self.stream == before {
            self.history << 8 | byte as u64
        } else {
            0
        };
        self.start_byte();
    }
}

fn length_at(image: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([image[at], image[at + 1], image[at + 2], image[at + 3]])
}

/// FNV-1a, the packed file's check of the image.
pub fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h, &b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    })
}

/// Decodes `code` into `output` (its whole length), or says why not.
pub fn decode(code: &[u8], output: &mut [u8], model: &mut Model) -> Result<(), usize> {
    let mut low: u32 = 0;
    let mut high: u32 = u32::MAX;
    let mut at = 4;
    if code.len() < 4 {
        return Err(TRUNCATED);
    }
    let mut x = u32::from_be_bytes([code[0], code[1], code[2], code[3]]);
    for position in 0..output.len() {
        for _ in 0..8 {
            let p = model.predict(output) as u32;
            let middle = low + ((high - low) >> 12) * p;
            let bit = (x <= middle) as u32;
            if bit == 1 {
                high = middle;
            } else {
                low = middle + 1;
            }
            output[position] = output[position] << 1 | bit as u8;
            model.learn(bit, output, position);
            while (low ^ high) & 0xff00_0000 == 0 {
                let Some(&next) = code.get(at) else {
                    return Err(TRUNCATED);
                };
                at += 1;
                low <<= 8;
                high = high << 8 | 255;
                x = x << 8 | next as u32;
            }
        }
    }
    Ok(())
}

/// Encodes `image` (the packer's side of `decode`).
#[cfg(not(target_arch = "wasm32"))]
pub fn encode(image: &[u8], model: &mut Model) -> Vec<u8> {
    let mut code = Vec::new();
    let mut low: u32 = 0;
    let mut high: u32 = u32::MAX;
    for (position, &byte) in image.iter().enumerate() {
        for shift in (0..8).rev() {
            let bit = (byte >> shift) as u32 & 1;
            let p = model.predict(image) as u32;
            let middle = low + ((high - low) >> 12) * p;
            if bit == 1 {
                high = middle;
            } else {
                low = middle + 1;
            }
            model.learn(bit, image, position);
            while (low ^ high) & 0xff00_0000 == 0 {
                code.push((high >> 24) as u8);
                low <<= 8;
                high = high << 8 | 255;
            }
        }
    }
    code.extend_from_slice(&low.to_be_bytes());
    code
}

/// Runs `work` with a fresh model over zeroed tables (native: the packer's
/// and the tests'; the browser's `unpack` lays its tables out in the
/// module's memory).
#[cfg(not(target_arch = "wasm32"))]
fn with_model<T>(streams: usize, work: impl FnOnce(&mut Model) -> T) -> T {
    let mut counters = vec![0u16; Tables::counter_count(streams)];
    let mut weights = vec![0i32; Tables::WEIGHTS];
    let mut matches = vec![0u32; Tables::MATCHES];
    let mut stretch = vec![0i16; Tables::STRETCH];
    let tables = Tables {
        counters: &mut counters,
        weights: &mut weights,
        matches: &mut matches,
        stretch: &mut stretch,
    };
    work(&mut Model::new(tables, streams))
}

/// The packed file's module part: the image's length, its checksum, the code.
#[cfg(not(target_arch = "wasm32"))]
pub fn pack(image: &[u8], streams: usize) -> Vec<u8> {
    let mut packed = Vec::with_capacity(image.len() / 3);
    packed.extend_from_slice(&(image.len() as u32).to_le_bytes());
    packed.extend_from_slice(&checksum(image).to_le_bytes());
    packed.extend_from_slice(&with_model(streams, |model| encode(image, model)));
    packed
}

/// `pack`'s inverse, natively (the tests'; the browser's is `unpack`).
#[cfg(not(target_arch = "wasm32"))]
pub fn unpack_native(packed: &[u8], streams: usize) -> Result<Vec<u8>, usize> {
    if packed.len() < HEADER_BYTES {
        return Err(BAD_HEADER);
    }
    let size = length_at(packed, 0) as usize;
    if size == 0 || size > MAX_SIZE {
        return Err(BAD_HEADER);
    }
    let mut output = vec![0u8; size];
    with_model(streams, |model| {
        decode(&packed[HEADER_BYTES..], &mut output, model)
    })?;
    if checksum(&output) != length_at(packed, 4) {
        return Err(CORRUPT);
    }
    Ok(output)
}

/// Unpacks the packed module at `packed` (`packed_len` bytes, as `pack`
/// wrote it; the image's header has `streams` lengths) into memory this
/// function grows the module's by, after `packed`. Answers where the image
/// is (its length is the packed header's), or why not: `BAD_HEADER`,
/// `TRUNCATED`, `CORRUPT`, `NO_MEMORY`.
///
/// # Safety
/// `packed` lies in this module's memory, and the memory after it is
/// unused and zeroed, as a fresh instance's is (js/unpack.js makes one for
/// each file): the model's tables start from zero.
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub unsafe extern "C" fn unpack(packed: *const u8, packed_len: usize, streams: usize) -> usize {
    use core::slice::from_raw_parts_mut;
    if packed_len < HEADER_BYTES || streams > 1024 {
        return BAD_HEADER;
    }
    let packed = core::slice::from_raw_parts(packed, packed_len);
    let size = length_at(packed, 0) as usize;
    if size == 0 || size > MAX_SIZE {
        return BAD_HEADER;
    }
    // The output, then the tables, each aligned to 8.
    let align = |at: usize| (at + 7) & !7;
    let output = align(packed.as_ptr() as usize + packed_len);
    let counters = align(output + size);
    let counter_count = Tables::counter_count(streams);
    let weights = align(counters + 2 * counter_count);
    let matches = weights + 4 * Tables::WEIGHTS;
    let stretch = matches + 4 * Tables::MATCHES;
    let end = stretch + 2 * Tables::STRETCH;
    let have = core::arch::wasm32::memory_size(0) << 16;
    if end > have && core::arch::wasm32::memory_grow(0, (end - have + 0xffff) >> 16) == usize::MAX {
        return NO_MEMORY;
    }
    let tables = Tables {
        counters: from_raw_parts_mut(counters as *mut u16, counter_count),
        weights: from_raw_parts_mut(weights as *mut i32, Tables::WEIGHTS),
        matches: from_raw_parts_mut(matches as *mut u32, Tables::MATCHES),
        stretch: from_raw_parts_mut(stretch as *mut i16, Tables::STRETCH),
    };
    let mut model = Model::new(tables, streams);
    let image = from_raw_parts_mut(output as *mut u8, size);
    if let Err(reason) = decode(&packed[HEADER_BYTES..], image, &mut model) {
        return reason;
    }
    if checksum(image) != length_at(packed, 4) {
        return CORRUPT;
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(len: usize, mut seed: u32) -> Vec<u8> {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            })
            .collect()
    }

    /// An image as the packer's: a 4-byte length, `lengths.len()` u32
    /// lengths, then the streams.
    fn image(streams: &[Vec<u8>]) -> Vec<u8> {
        let mut image = vec![0, 0, 0, 0];
        for stream in streams {
            image.extend_from_slice(&(stream.len() as u32).to_le_bytes());
        }
        for stream in streams {
            image.extend_from_slice(stream);
        }
        image
    }

    #[test]
    fn round_trips() {
        let text: Vec<u8> = b"the quick brown fox jumps over the lazy dog; ".repeat(400);
        let cases: Vec<(Vec<u8>, usize)> = vec![
            (vec![42], 0),
            (noise(30_000, 7), 0),
            (vec![7; 70_000], 0),
            (text.clone(), 0),
            (
                image(&[text.clone(), vec![], noise(5000, 3), vec![1, 2, 3], vec![]]),
                5,
            ),
            // Lengths that do not add up to the image: still a round trip.
            (image(&[noise(100, 1), noise(100, 2)])[..150].to_vec(), 2),
            (image(&[]), 0),
        ];
        for (input, streams) in cases {
            let packed = pack(&input, streams);
            assert_eq!(
                unpack_native(&packed, streams).as_deref(),
                Ok(&input[..]),
                "{} bytes, {streams} streams",
                input.len()
            );
        }
    }

    #[test]
    fn compresses_what_repeats() {
        let text: Vec<u8> = b"the quick brown fox jumps over the lazy dog; ".repeat(400);
        assert!(pack(&text, 0).len() < 200);
        assert!(pack(&noise(30_000, 7), 0).len() < 30_300);
    }

    #[test]
    fn bad_input_fails_with_the_reason() {
        let input = image(&[noise(3000, 5), b"abcabcabd".repeat(200)]);
        let packed = pack(&input, 2);
        assert_eq!(unpack_native(&packed[..7], 2), Err(BAD_HEADER));
        let mut empty = packed.clone();
        empty[..4].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(unpack_native(&empty, 2), Err(BAD_HEADER));
        let mut huge = packed.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(unpack_native(&huge, 2), Err(BAD_HEADER));
        for keep in [8, 9, 12, packed.len() / 2, packed.len() - 1] {
            assert_eq!(
                unpack_native(&packed[..keep], 2),
                Err(TRUNCATED),
                "cut to {keep}"
            );
        }
        let mut changed = packed.clone();
        changed[5] ^= 1;
        assert_eq!(unpack_native(&changed, 2), Err(CORRUPT));
        // A changed byte of the code: an error, never the input. (Not the
        // last 4: the final interval is wide enough that some changes there
        // decode the same.)
        for at in (HEADER_BYTES..packed.len() - 4).step_by(97) {
            let mut changed = packed.clone();
            changed[at] ^= 0x40;
            let result = unpack_native(&changed, 2);
            assert!(
                matches!(result, Err(TRUNCATED | CORRUPT)),
                "byte {at}: {result:?}"
            );
        }
    }
}
