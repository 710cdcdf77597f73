//! An LZMA decoder, compiled to a wasm of its own (about 1.5 KB) that the
//! script-tag bundle carries and unpacks rewind's main wasm with
//! (`js/unlzma.js` says why the module ships as LZMA).
//!
//! No std, no allocator, no panics: the caller lays out the packed file,
//! the output and the probabilities in this module's memory, and `unpack`
//! answers 0 when the output is whole, or a reason it is not. A bad file
//! can only fail: every read is bounds-checked and every loop ends.
#![no_std]

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

const PROBABILITY_BITS: u32 = 11;
const HALF: u16 = 1 << (PROBABILITY_BITS - 1);
const MOVE_BITS: u32 = 5;
const TOP: u32 = 1 << 24;
const STATES: usize = 12;
const POSITION_STATES_MAX: usize = 16;
// Where each group of probabilities starts in one array.
const IS_MATCH: usize = 0;
const IS_REP: usize = IS_MATCH + STATES * POSITION_STATES_MAX;
const IS_REP_G0: usize = IS_REP + STATES;
const IS_REP_G1: usize = IS_REP_G0 + STATES;
const IS_REP_G2: usize = IS_REP_G1 + STATES;
const IS_REP0_LONG: usize = IS_REP_G2 + STATES;
const SLOT: usize = IS_REP0_LONG + STATES * POSITION_STATES_MAX;
// Slots 4 to 13 read a distance's low bits through these; 14 and up take
// the middle bits direct and the low 4 through ALIGN.
const SPECIAL: usize = SLOT + 4 * 64;
const ALIGN: usize = SPECIAL + 115;
// A length coder: choice, choice 2, low (16 x 8), mid (16 x 8), high (256).
const LENGTH_SIZE: usize = 2 + 2 * POSITION_STATES_MAX * 8 + 256;
const MATCH_LENGTH: usize = ALIGN + 16;
const REP_LENGTH: usize = MATCH_LENGTH + LENGTH_SIZE;
/// Where the literal coders start; `probabilities` tells the caller how
/// many there are in all.
const LITERAL: usize = REP_LENGTH + LENGTH_SIZE;
/// The .lzma header: properties, dictionary size, unpacked size.
const HEADER_BYTES: usize = 13;

/// Why `unpack` stopped short.
const DONE: u32 = 0;
const BAD_HEADER: u32 = 1;
const TRUNCATED: u32 = 2;
const CORRUPT: u32 = 3;

/// The number of probabilities a file with this properties byte needs
/// (the caller gives `unpack` that many u16s); 0 for a bad byte.
#[no_mangle]
pub extern "C" fn probabilities(properties: u32) -> u32 {
    if properties >= 9 * 5 * 5 {
        return 0;
    }
    let literal_bits = properties % 9 + (properties / 9) % 5;
    (LITERAL + (0x300 << literal_bits)) as u32
}

/// Unpacks `packed` (the .lzma format, with the unpacked size in its
/// header) into `output`, which is exactly that size, using
/// `probabilities` (as many as `probabilities()` said) as scratch.
///
/// # Safety
/// The three ranges lie in this module's memory and do not overlap.
#[no_mangle]
pub unsafe extern "C" fn unpack(
    packed: *const u8,
    packed_len: usize,
    output: *mut u8,
    output_len: usize,
    scratch: *mut u16,
    scratch_len: usize,
) -> u32 {
    let packed = core::slice::from_raw_parts(packed, packed_len);
    let output = core::slice::from_raw_parts_mut(output, output_len);
    let scratch = core::slice::from_raw_parts_mut(scratch, scratch_len);
    match decode(packed, output, scratch) {
        Ok(()) => DONE,
        Err(reason) => reason,
    }
}

struct RangeDecoder<'a> {
    packed: &'a [u8],
    at: usize,
    range: u32,
    code: u32,
}

impl RangeDecoder<'_> {
    /// The next byte; past the end, 0, and `at` says it overran.
    fn byte(&mut self) -> u32 {
        let byte = self.packed.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte as u32
    }

    fn normalize(&mut self) {
        if self.range < TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | self.byte();
        }
    }

    fn bit(&mut self, probabilities: &mut [u16], index: usize) -> usize {
        let probability = probabilities[index] as u32;
        let bound = (self.range >> PROBABILITY_BITS) * probability;
        let bit = if self.code < bound {
            self.range = bound;
            probabilities[index] =
                (probability + (((1 << PROBABILITY_BITS) - probability) >> MOVE_BITS)) as u16;
            0
        } else {
            self.range -= bound;
            self.code -= bound;
            probabilities[index] = (probability - (probability >> MOVE_BITS)) as u16;
            1
        };
        self.normalize();
        bit
    }

    /// `count` bits, most significant first, through the tree at `base`.
    fn tree(&mut self, probabilities: &mut [u16], base: usize, count: u32) -> usize {
        let mut node = 1;
        for _ in 0..count {
            node = (node << 1) | self.bit(probabilities, base + node);
        }
        node - (1 << count)
    }

    /// The same, least significant bit first.
    fn reverse_tree(&mut self, probabilities: &mut [u16], base: usize, count: u32) -> u32 {
        let mut node = 1;
        let mut value = 0;
        for i in 0..count {
            let bit = self.bit(probabilities, base + node);
            node = (node << 1) | bit;
            value |= (bit as u32) << i;
        }
        value
    }

    /// `count` bits at even odds.
    fn direct(&mut self, count: u32) -> u32 {
        let mut value = 0;
        for _ in 0..count {
            self.range >>= 1;
            let bit = (self.code >= self.range) as u32;
            if bit == 1 {
                self.code -= self.range;
            }
            value = (value << 1) | bit;
            self.normalize();
        }
        value
    }

    /// A match's length less 2.
    fn length(&mut self, probabilities: &mut [u16], base: usize, position_state: usize) -> usize {
        if self.bit(probabilities, base) == 0 {
            return self.tree(probabilities, base + 2 + position_state * 8, 3);
        }
        if self.bit(probabilities, base + 1) == 0 {
            return 8 + self.tree(
                probabilities,
                base + 2 + POSITION_STATES_MAX * 8 + position_state * 8,
                3,
            );
        }
        16 + self.tree(probabilities, base + 2 + 2 * POSITION_STATES_MAX * 8, 8)
    }
}

fn decode(packed: &[u8], output: &mut [u8], probabilities: &mut [u16]) -> Result<(), u32> {
    if packed.len() < HEADER_BYTES + 5 {
        return Err(TRUNCATED);
    }
    let properties = packed[0] as usize;
    if properties >= 9 * 5 * 5 {
        return Err(BAD_HEADER);
    }
    let literal_context_bits = properties % 9;
    let literal_position_bits = (properties / 9) % 5;
    let position_bits = properties / 45;
    if probabilities.len() != LITERAL + (0x300 << (literal_context_bits + literal_position_bits)) {
        return Err(BAD_HEADER);
    }
    probabilities.fill(HALF);

    let mut rc = RangeDecoder {
        packed,
        at: HEADER_BYTES + 1,
        range: u32::MAX,
        code: 0,
    };
    if packed[HEADER_BYTES] != 0 {
        return Err(CORRUPT);
    }
    for _ in 0..4 {
        rc.code = (rc.code << 8) | rc.byte();
    }
    if rc.code == u32::MAX {
        return Err(CORRUPT);
    }

    let position_mask = (1 << position_bits) - 1;
    let literal_position_mask = (1 << literal_position_bits) - 1;
    let mut state = 0usize;
    let (mut rep0, mut rep1, mut rep2, mut rep3) = (0usize, 0usize, 0usize, 0usize);
    let mut written = 0usize;
    while written < output.len() {
        // Each symbol reads a bounded number of bytes, so an overrun is
        // caught before it grows.
        if rc.at > packed.len() {
            return Err(TRUNCATED);
        }
        let position_state = written & position_mask;
        if rc.bit(
            probabilities,
            IS_MATCH + state * POSITION_STATES_MAX + position_state,
        ) == 0
        {
            let previous = if written > 0 {
                output[written - 1] as usize
            } else {
                0
            };
            let base = LITERAL
                + 0x300
                    * (((written & literal_position_mask) << literal_context_bits)
                        + (previous >> (8 - literal_context_bits)));
            let mut symbol = 1usize;
            if state >= 7 {
                // After a match, the byte the match would have continued
                // with guides the literal until the two differ.
                let mut match_byte = output[written - rep0 - 1] as usize;
                while symbol < 0x100 {
                    let match_bit = (match_byte >> 7) & 1;
                    match_byte <<= 1;
                    let bit = rc.bit(probabilities, base + ((1 + match_bit) << 8) + symbol);
                    symbol = (symbol << 1) | bit;
                    if bit != match_bit {
                        break;
                    }
                }
            }
            while symbol < 0x100 {
                symbol = (symbol << 1) | rc.bit(probabilities, base + symbol);
            }
            output[written] = symbol as u8;
            written += 1;
            state = if state < 4 {
                0
            } else if state < 10 {
                state - 3
            } else {
                state - 6
            };
            continue;
        }
        let mut count;
        if rc.bit(probabilities, IS_REP + state) == 1 {
            if written == 0 {
                return Err(CORRUPT);
            }
            if rc.bit(probabilities, IS_REP_G0 + state) == 0 {
                if rc.bit(
                    probabilities,
                    IS_REP0_LONG + state * POSITION_STATES_MAX + position_state,
                ) == 0
                {
                    // One byte from the last distance.
                    state = if state < 7 { 9 } else { 11 };
                    output[written] = output[written - rep0 - 1];
                    written += 1;
                    continue;
                }
            } else {
                let distance;
                if rc.bit(probabilities, IS_REP_G1 + state) == 0 {
                    distance = rep1;
                } else {
                    if rc.bit(probabilities, IS_REP_G2 + state) == 0 {
                        distance = rep2;
                    } else {
                        distance = rep3;
                        rep3 = rep2;
                    }
                    rep2 = rep1;
                }
                rep1 = rep0;
                rep0 = distance;
            }
            count = rc.length(probabilities, REP_LENGTH, position_state);
            state = if state < 7 { 8 } else { 11 };
        } else {
            rep3 = rep2;
            rep2 = rep1;
            rep1 = rep0;
            count = rc.length(probabilities, MATCH_LENGTH, position_state);
            state = if state < 7 { 7 } else { 10 };
            let slot = rc.tree(probabilities, SLOT + count.min(3) * 64, 6) as u32;
            rep0 = if slot < 4 {
                slot as usize
            } else {
                let bits = (slot >> 1) - 1;
                let high = (2 | (slot & 1)) << bits;
                let low = if slot < 14 {
                    rc.reverse_tree(probabilities, SPECIAL + high as usize - slot as usize, bits)
                } else {
                    (rc.direct(bits - 4) << 4) + rc.reverse_tree(probabilities, ALIGN, 4)
                };
                // The end marker (u32::MAX) is past any output, so it
                // fails below like any distance too far back: the header's
                // size says where the output ends.
                high.wrapping_add(low) as usize
            };
        }
        count += 2;
        if rep0 >= written || count > output.len() - written {
            return Err(CORRUPT);
        }
        for _ in 0..count {
            output[written] = output[written - rep0 - 1];
            written += 1;
        }
    }
    if rc.at > packed.len() {
        return Err(TRUNCATED);
    }
    Ok(())
}
