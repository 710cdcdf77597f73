// The script-tag bundle's module as LZMA (js/unlzma.js says why), and the
// decoder that unpacks it carried in rewind.js. scripts/bundle.mjs runs
// both halves: the decoder's JS module before webpack, the packed file
// after it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (file) => path.join(repoRoot, file);

// xz's LZMA1 settings for the module, measured on December 5's (119 KB):
// literal context 3 bits, no position bits (wasm has no alignment LZMA
// could use), the largest preset, extreme: 43,992 B. lc 4 was 85 B more,
// lc 2 391 B more, a nice length of 128 12 B more.
export const LZMA_SETTINGS = 'preset=9e,lc=3,lp=0,pb=0';

/**
 * pkg/unlzma.js: the decoder's wasm (scripts/build.sh builds it from
 * unlzma/ into target/unlzma/unlzma.wasm), as base64, which js/unlzma.js
 * imports.
 */
export function writeDecoderModule() {
  const wasm = readFileSync(at('target/unlzma/unlzma.wasm'));
  writeFileSync(
    at('pkg/unlzma.js'),
    '// Written by scripts/pack-wasm.mjs from unlzma/ (the LZMA decoder js/unlzma.js runs).\n' +
      `export const UNLZMA_WASM = '${wasm.toString('base64')}';\n`,
  );
}

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
 * dist/rewind_bg.wasm.lzma from dist/rewind_bg.wasm; the build fails
 * unless the decoder shipped in the bundle unpacks it to the same bytes.
 */
export async function writePackedWasm() {
  const wasm = readFileSync(at('dist/rewind_bg.wasm'));
  const packed = packLzma(wasm);
  const { unpackLzma } = await import('../js/unlzma.js');
  const unpacked = unpackLzma(new Uint8Array(packed));
  if (!Buffer.from(unpacked).equals(wasm)) {
    throw new Error('dist/rewind_bg.wasm.lzma does not unpack to dist/rewind_bg.wasm with js/unlzma.js');
  }
  writeFileSync(at('dist/rewind_bg.wasm.lzma'), packed);
  return { raw: wasm.length, packed: packed.length };
}
