// The script-tag bundle's module as LZMA (js/unlzma.js says why), behind
// the decoder that unpacks it. scripts/bundle.mjs writes it after webpack.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (file) => path.join(repoRoot, file);

// xz's LZMA1 settings for the module, measured on December 5's (119 KB):
// literal context 3 bits, no position bits (wasm has no alignment LZMA
// could use), the largest preset, extreme: 43,992 B. lc 4 was 85 B more,
// lc 2 391 B more, a nice length of 128 12 B more.
export const LZMA_SETTINGS = 'preset=9e,lc=3,lp=0,pb=0';

/**
 * `bytes` packed by xz as the .lzma format (LZMA1 `settings` as xz's
 * --lzma1 takes them), its unpacked size in the header.
 */
export function packLzma(bytes, settings = LZMA_SETTINGS) {
  let packed;
  try {
    packed = execFileSync('xz', ['--format=lzma', `--lzma1=${settings}`, '--stdout'], { input: bytes, maxBuffer: 1 << 28 });
  } catch (error) {
    throw new Error(`xz could not pack the module (${error.message}): scripts/setup.sh installs xz-utils`);
  }
  // xz writes "size unknown" and ends the stream with a marker; the
  // decoder needs the size to size its output, and stops there.
  packed.writeUInt32LE(bytes.length, 5);
  packed.writeUInt32LE(0, 9);
  return packed;
}

/**
 * The packed file js/unlzma.js's unpackModuleFile reads: the decoder's
 * wasm (scripts/build.sh builds it from unlzma/ into
 * target/unlzma/unlzma.wasm), zlib-deflated, behind its length (u32,
 * little-endian), then `wasm` as LZMA.
 */
export function packModuleFile(wasm, decoder = readFileSync(at('target/unlzma/unlzma.wasm'))) {
  const deflated = deflateSync(decoder, { level: 9 });
  const length = Buffer.alloc(4);
  length.writeUInt32LE(deflated.length);
  return Buffer.concat([length, deflated, packLzma(wasm)]);
}

/**
 * dist/rewind_bg.wasm.lzma from dist/rewind_bg.wasm; the build fails
 * unless js/unlzma.js, with the decoder in the file, unpacks it to the
 * same bytes.
 */
export async function writePackedWasm() {
  const wasm = readFileSync(at('dist/rewind_bg.wasm'));
  const packed = packModuleFile(wasm);
  const { unpackModuleFile } = await import('../js/unlzma.js');
  const unpacked = await unpackModuleFile(new Uint8Array(packed));
  if (!Buffer.from(unpacked).equals(wasm)) {
    throw new Error('dist/rewind_bg.wasm.lzma does not unpack to dist/rewind_bg.wasm with js/unlzma.js');
  }
  writeFileSync(at('dist/rewind_bg.wasm.lzma'), packed);
  return { raw: wasm.length, packed: packed.length };
}
