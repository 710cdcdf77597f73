// The script-tag bundle's module ships as LZMA (dist/rewind_bg.wasm.lzma),
// unpacked in rewind's worker (js/warm.js) by a decoder written in Rust
// (unlzma/), whose 2 KB wasm travels deflated at the head of that file.
//
// Why: gzip reads the module's code as bytes, while LZMA's literal contexts
// and repeated distances fit wasm's instruction stream better. December
// 5's module was 51.0 KB as gzip -9, 45.2 KB as Brotli 11, 44.0 KB as
// LZMA; and a host's server may compress it worse or not at all (nginx's
// default gzip_types leaves application/wasm out: 119 KB). As LZMA, what a
// page downloads is that smallest size wherever rewind is hosted, for
// the decoder (1.2 KB) and its glue in rewind.js.
//
// Unpacking takes 8 to 20 ms (119 KB in Chromium on the project's
// machine), which is why the worker does it, never the page. The
// browser's DecompressionStream knows only gzip and deflate, and an LZMA
// decoder in JS took 50 to 70 ms there.
const REASONS = ['', 'its header is not one this decoder reads', 'it is cut short', 'its data is corrupt'];

const fail = (why) => {
  throw new Error(`the packed module is not valid: ${why}`);
};

/**
 * The module from the packed file `file` (a Uint8Array, as
 * scripts/pack-wasm.mjs writes dist/rewind_bg.wasm.lzma): the decoder's
 * wasm, deflated, then the module as LZMA. The decoder travels in the file,
 * not in rewind.js: deflated it adds 1.2 KB to the file where as base64 it
 * added 1.7 KB to rewind.js's gzip, and only the worker needs it. The
 * browser's DecompressionStream inflates it (Chrome 80, Firefox 113,
 * Safari 16.4; elsewhere the page loads the plain module). Rejects, saying
 * why, on anything else.
 */
export async function unpackModuleFile(file) {
  // [decoder length, u32 little-endian][decoder, zlib-deflated][LZMA]
  const length = file.length > 4 ? file[0] + file[1] * 2 ** 8 + file[2] * 2 ** 16 + file[3] * 2 ** 24 : 0;
  if (!length || 4 + length >= file.length) fail(REASONS[1]);
  if (typeof DecompressionStream !== 'function') throw new Error('this browser has no DecompressionStream');
  const inflated = new Blob([file.subarray(4, 4 + length)]).stream().pipeThrough(new DecompressionStream('deflate'));
  const decoder = new Uint8Array(await new Response(inflated).arrayBuffer());
  return unpackLzma(file.subarray(4 + length), decoder);
}

/**
 * `packed` (a Uint8Array in the .lzma format, its unpacked size in the
 * header, as scripts/pack-wasm.mjs writes it), unpacked by the decoder
 * whose wasm is `decoderWasm`. Throws, saying why, on anything else.
 */
export function unpackLzma(packed, decoderWasm) {
  // The unpacked size: 32 bits are plenty (the module is 119 KB).
  const size = packed.length > 13 ? packed[5] + packed[6] * 2 ** 8 + packed[7] * 2 ** 16 + packed[8] * 2 ** 24 : 0;
  if (!size || packed[9] | packed[10] | packed[11] | packed[12]) fail(REASONS[1]);
  const decoder = new WebAssembly.Instance(new WebAssembly.Module(decoderWasm)).exports;
  const probabilities = decoder.probabilities(packed[0]);
  if (!probabilities) fail(REASONS[1]);
  // The decoder's memory: its stack, then the packed file, the output and
  // the probabilities (u16, aligned).
  const { memory } = decoder;
  const input = decoder.__heap_base.value;
  const output = input + packed.length;
  const scratch = (output + size + 1) & ~1;
  const missing = scratch + 2 * probabilities - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
  new Uint8Array(memory.buffer, input, packed.length).set(packed);
  const reason = decoder.unpack(input, packed.length, output, size, scratch, probabilities);
  if (reason) fail(REASONS[reason] ?? `reason ${reason}`);
  return new Uint8Array(memory.buffer, output, size);
}
