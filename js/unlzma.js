// The script-tag bundle's module ships as LZMA (dist/rewind_bg.wasm.lzma),
// unpacked in rewind's worker (js/warm.js) by a decoder written in Rust
// (unlzma/), whose 2 KB wasm rewind.js carries.
//
// Why: gzip reads the module's code as bytes, while LZMA's literal contexts
// and repeated distances fit wasm's instruction stream better. December
// 5's module was 51.0 KB as gzip -9, 45.2 KB as Brotli 11, 44.0 KB as
// LZMA; and a host's server may compress it worse or not at all (nginx's
// default gzip_types leaves application/wasm out: 119 KB). As LZMA, what a
// page downloads is that smallest size wherever rewind is hosted, for
// 2.4 KB more of rewind.js's gzip (the decoder and its glue).
//
// Unpacking takes 8 to 20 ms (119 KB in Chromium on the project's
// machine), which is why the worker does it, never the page. The
// browser's DecompressionStream knows only gzip and deflate, and an LZMA
// decoder in JS took 50 to 70 ms there.
import { UNLZMA_WASM } from '../pkg/unlzma.js';

const REASONS = ['', 'its header is not one this decoder reads', 'it is cut short', 'its data is corrupt'];

/**
 * `packed` (a Uint8Array in the .lzma format, its unpacked size in the
 * header, as scripts/pack-wasm.mjs writes it), unpacked. Throws, saying
 * why, on anything else.
 */
export function unpackLzma(packed) {
  const fail = (why) => {
    throw new Error(`the packed module is not valid: ${why}`);
  };
  // The unpacked size: 32 bits are plenty (the module is 119 KB).
  const size = packed.length > 13 ? packed[5] + packed[6] * 2 ** 8 + packed[7] * 2 ** 16 + packed[8] * 2 ** 24 : 0;
  if (!size || packed[9] | packed[10] | packed[11] | packed[12]) fail(REASONS[1]);
  const decoder = new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from(atob(UNLZMA_WASM), (c) => c.charCodeAt(0)))).exports;
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
