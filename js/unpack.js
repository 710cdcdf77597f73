// The script-tag bundle's module ships packed (dist/rewind_bg.wasm.packed),
// unpacked in rewind's worker (js/warm.js) by a decoder written in Rust
// (unpack/), whose 3.5 KB wasm travels deflated at the head of that file.
//
// Why: gzip reads the module's code as bytes, and a host's server may
// compress it worse or not at all (nginx's default gzip_types leaves
// application/wasm out: 119 KB). December 6's module was 51.0 KB as gzip
// -9, 45.2 KB as Brotli 11, 43.9 KB as LZMA; with its code section as
// streams (below), 38.9 KB as LZMA, and 35.4 KB with unpack/'s model,
// which predicts each bit from what came before in the same stream and
// from the last repeat (unpack/src/lib.rs says how). What a page
// downloads is that smallest size wherever rewind is hosted, for the
// decoder and its glue here.
//
// Unpacking takes 120 to 160 ms on its first run in Chromium (the decoder;
// the join below 10 to 40 more: bench/unpack-time.mjs), which is why the
// worker does it, never the page. The browser's DecompressionStream knows
// only gzip and deflate.
const REASONS = ['', 'its header is not one this decoder reads', 'it is cut short', 'its data is corrupt', 'the decoder could not get the memory it needs'];

const fail = (why) => {
  throw new Error(`the packed module is not valid: ${why}`);
};

/**
 * The module from the packed file `file` (a Uint8Array, as
 * scripts/pack-wasm.mjs writes dist/rewind_bg.wasm.packed): the decoder's
 * wasm, deflated, then the module's image, packed. The decoder travels in
 * the file, not in rewind.js: only the worker needs it, and deflated it
 * costs less than as base64 in rewind.js's gzip. The browser's
 * DecompressionStream inflates it (Chrome 80, Firefox 113, Safari 16.4;
 * elsewhere the page loads the plain module). Rejects, saying why, on
 * anything else.
 */
export async function unpackModuleFile(file) {
  // [decoder length, u32 little-endian][decoder, zlib-deflated][image, packed]
  const length = file.length > 4 ? file[0] + file[1] * 2 ** 8 + file[2] * 2 ** 16 + file[3] * 2 ** 24 : 0;
  if (!length || 4 + length >= file.length) fail(REASONS[1]);
  if (typeof DecompressionStream !== 'function') throw new Error('this browser has no DecompressionStream');
  const inflated = new Blob([file.subarray(4, 4 + length)]).stream().pipeThrough(new DecompressionStream('deflate'));
  const decoder = new Uint8Array(await new Response(inflated).arrayBuffer());
  return joinCode(unpackImage(file.subarray(4 + length), decoder));
}

/**
 * The module's image from `packed` (a Uint8Array: the image's length and
 * checksum, u32 LE each, then its code, as unpack/'s packer writes it),
 * unpacked by the decoder whose wasm is `decoderWasm`. Throws, saying why,
 * on anything else.
 */
export function unpackImage(packed, decoderWasm) {
  const size = packed.length > 8 ? packed[0] + packed[1] * 2 ** 8 + packed[2] * 2 ** 16 + packed[3] * 2 ** 24 : 0;
  if (!size) fail(REASONS[1]);
  const decoder = new WebAssembly.Instance(new WebAssembly.Module(decoderWasm)).exports;
  // The packed bytes go after the decoder's stack and data; it grows its
  // memory for the image and its tables itself.
  const { memory } = decoder;
  const input = decoder.__heap_base.value;
  const missing = input + packed.length - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
  new Uint8Array(memory.buffer, input, packed.length).set(packed);
  // The image's address, or (below 16) why there is none.
  const at = decoder.unpack(input, packed.length, STREAMS);
  if (at < 16) fail(REASONS[at] ?? `reason ${at}`);
  return new Uint8Array(memory.buffer, at, size);
}

// The module's code section travels as streams: its opcodes in one, the
// local indices they take in another, then the i32 constants, the memory
// offsets, the call targets, and so on (`STREAM`). A compressor predicts
// each byte from the bytes before it, and in the code as written an opcode
// follows an index, a constant follows an opcode: apart, each stream is
// far more regular (the opcodes as a language of their own, the indices
// mostly small). On December 6's module, as LZMA, the image was 5.1 KB
// smaller than the module (43,935 -> 38,857 B), for 0.7 KB of this
// file's gzip. (The join in the Rust decoder was 0.2 KB larger,
// deflated.) Nothing else changes: the build checks that the join gives
// the module back byte for byte, and the module's validation in
// WebAssembly.compile checks it again.
//
// One walk (`walkBody`) serves both ways: it knows which stream each byte
// of a function body belongs to, and `move` takes the byte from the
// module to its stream when packing (scripts/pack-wasm.mjs, `splitCode`)
// and from its stream to the module when joining (`joinCode`).

// The streams, in the order the image holds them. (Their numbers are
// written as numbers below: as names they cost the bundle 100 B.)
export const STREAM = {
  prefix: 0, // the module's sections before the code section
  opcode: 1, // opcodes, and the sub-opcodes after 0xfc
  locals: 2, // the function count, each body's local declarations
  local: 3, // local.get/set/tee indices
  // 4 to 259: i32 constants, by the opcode that follows each (4 + the
  // opcode): an i32.add's constant is a field's offset, a store's a
  // value, a call's an argument, a compare's a bound, and alike values
  // together pack smaller (686 B on December 6's module, where by the
  // opcode before them was 85 B, and local.set's and local.tee's indices
  // apart from local.get's 137 B larger).
  i32: 4,
  align: 260, // a load's or store's alignment, xor its natural one (mostly 0)
  offset: 261, // a load's or store's offset
  call: 262, // call and ref.func targets
  blockType: 263,
  global: 264,
  label: 265, // br, br_if and br_table depths
  misc: 266, // the rarer immediates (all one LEB each but select's)
  i64: 267,
  float: 268, // f32 and f64 constants
  suffix: 269, // the sections after the code section
};
export const STREAMS = 270;
// What follows each opcode from 0x00 to 0xd2, a letter each:
//   .  nothing          b  a block type (block, loop, if)   e  end
//   l  a label          t  br_table's labels                c  a function
//   i  call_indirect's type and table                       s  select's types
//   L  a local          g  a global                         m  one rarer number
//   M  a load's or store's alignment and offset             4, 8  i32, i64
//   f  an f32 or f64    x  unknown (and 0xfc: a sub-opcode, `PREFIXED_NUMBERS`)
// A byte that is always below 0x80 (a memory index, a heap type) is a LEB
// of one byte, and counts as one.
const IMMEDIATE_KINDS = `..bbb.xxxxxellt.cixxxxxxxx..sxxxLLLggmmx${'M'.repeat(23)}mm48ff${'.'.repeat(128)}${'x'.repeat(11)}m.c`;
// After 0xfc, how many numbers: the saturating truncations none, then
// memory.init 2, data.drop 1, memory.copy 2, memory.fill 1, table.init 2,
// elem.drop 1, table.copy 2, table.grow, table.size, table.fill 1.
const PREFIXED_NUMBERS = '000000002121212111';
// log2 of the natural alignment of loads and stores 0x28 to 0x3e.
const NATURAL_ALIGN = [2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 2, 3, 2, 3, 0, 1, 0, 1, 2];

/** One LEB128 number moved by `move` (bytes as written), and its value. */
function moveLeb(move, stream) {
  let value = 0;
  let scale = 1;
  let byte;
  do {
    byte = move(stream);
    value += (byte & 127) * scale;
    scale *= 128;
  } while (byte > 127);
  return value;
}

/**
 * Moves one function body, after its size: `move(stream, mask)` moves one
 * byte between the module and `stream` (xored with `mask` on the stream's
 * side) and answers the module's byte; `nextOpcode()`, called at an
 * i32.const, answers the opcode after its number (in the module when
 * packing, first in the opcode stream when joining). An opcode it does not
 * know fails as corrupt data. Every step moves a byte, so a move that
 * throws at a stream's end ends any walk. (A stream is a queue, read in
 * the order it was written: what goes where changes only how well it
 * packs.)
 */
export function walkBody(move, nextOpcode) {
  const numbers = (stream, count) => {
    for (; count > 0; count -= 1) moveLeb(move, stream);
  };
  for (let count = moveLeb(move, 2); count > 0; count -= 1) {
    moveLeb(move, 2);
    move(2);
  }
  for (let depth = 0; ; ) {
    const opcode = move(1);
    switch (opcode === 0xfc ? 'p' : IMMEDIATE_KINDS[opcode]) {
      case '.':
        break;
      case 'b':
        depth += 1;
        moveLeb(move, 263);
        break;
      case 'e':
        if (depth === 0) return;
        depth -= 1;
        break;
      case 'l':
        moveLeb(move, 265);
        break;
      case 't':
        numbers(265, moveLeb(move, 265) + 1);
        break;
      case 'c':
        moveLeb(move, 262);
        break;
      case 'i':
        numbers(266, 2);
        break;
      case 's':
        for (let count = moveLeb(move, 266); count > 0; count -= 1) move(266);
        break;
      case 'L':
        moveLeb(move, 3);
        break;
      case 'g':
        moveLeb(move, 264);
        break;
      case 'm':
        moveLeb(move, 266);
        break;
      case 'M':
        move(260, NATURAL_ALIGN[opcode - 0x28]);
        moveLeb(move, 261);
        break;
      case '4':
        moveLeb(move, 4 + nextOpcode());
        break;
      case '8':
        moveLeb(move, 267);
        break;
      case 'f':
        for (let count = opcode === 0x43 ? 4 : 8; count > 0; count -= 1) move(268);
        break;
      case 'p':
        numbers(266, +(PREFIXED_NUMBERS[moveLeb(move, 1)] ?? fail(REASONS[3])));
        break;
      default:
        fail(REASONS[3]);
    }
  }
}

/**
 * The module from `image`, as `splitCode` (scripts/pack-wasm.mjs) writes
 * it: the module's length and each stream's (u32 LE), then the streams.
 * Throws, saying why, unless the streams make a module of that length and
 * are used up.
 */
export function joinCode(image) {
  const word = (at) => image[at] + image[at + 1] * 2 ** 8 + image[at + 2] * 2 ** 16 + image[at + 3] * 2 ** 24;
  if (image.length < 4 + 4 * STREAMS) fail(REASONS[1]);
  const size = word(0);
  const next = [];
  const end = [];
  let at = 4 + 4 * STREAMS;
  for (let stream = 0; stream < STREAMS; stream += 1) {
    next.push(at);
    end.push((at += word(4 + 4 * stream)));
  }
  // Each body adds at most its length's 5 bytes to the streams' bytes, and
  // takes at least one (its end): a larger module is a bad header, not
  // memory to ask for.
  if (at !== image.length || size > 6 * at) fail(REASONS[1]);
  // A length is written where its room was kept, at its widest (5 bytes),
  // once what it measures is written, and what it measures moves up behind
  // it: at most two lengths (the section's, a body's) are open at once.
  // (A write past its end is dropped, and the count of bytes written then
  // says the module is not whole.)
  const module = new Uint8Array(size + 10);
  let written = 0;
  const move = (stream, mask) => {
    const at = next[stream]++;
    if (at >= end[stream]) fail(REASONS[2]);
    return (module[written++] = image[at] ^ mask);
  };
  const measured = (walk) => {
    written += 5;
    const start = written;
    walk();
    let length = written - start;
    let at = start - 5;
    do {
      module[at++] = (length & 127) | (length > 127 ? 128 : 0);
      length = Math.floor(length / 128);
    } while (length > 0);
    module.copyWithin(at, start, written);
    written -= start - at;
  };
  while (next[0] < end[0]) move(0);
  module[written++] = 10; // the code section
  measured(() => {
    for (let count = moveLeb(move, 2); count > 0; count -= 1) measured(() => walkBody(move, () => (next[1] < end[1] ? image[next[1]] : fail(REASONS[2]))));
  });
  while (next[269] < end[269]) move(269);
  if (written !== size || next.some((at, stream) => at !== end[stream])) fail(REASONS[3]);
  return module.subarray(0, size);
}
