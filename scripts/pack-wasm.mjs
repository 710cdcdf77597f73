// The script-tag bundle's module as LZMA (js/unlzma.js says why), behind
// the decoder that unpacks it. scripts/bundle.mjs writes it after webpack.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

import { STREAM, STREAMS, joinCode, walkBody } from '../js/unlzma.js';
import { lebBytes } from './wasm-sizes.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (file) => path.join(repoRoot, file);

// xz's LZMA1 settings for the module's image (splitCode, below), measured
// on December 6's: literal context 1 bit, no position bits (wasm has no
// alignment LZMA could use), the largest preset, extreme, matches of up to
// 64 bytes sought: 38,857 B. The plain module packed best with lc 3
// (43,935 B on December 5), but each stream's bytes are alike, and one bit
// of the byte before is enough context for them: lc 3 made the image 420 B
// larger, lc 2 291 B, lc 0 599 B; pb 1 197 B; the default nice length 68
// B, 96 20 B.
export const LZMA_SETTINGS = 'preset=9e,lc=1,lp=0,pb=0,nice=64';

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
 * The module `wasm` as the image js/unlzma.js's joinCode reads (the
 * streams are there, with why): the module's length and each stream's (u32
 * LE), then the streams: the sections before the code section, the code
 * section's bytes, each moved to its stream by walkBody, and the sections
 * after it. The code section's length and each body's are left out: the
 * join writes them. Throws unless the join gives back `wasm` byte for byte
 * (a length not written in as few bytes as it takes, an opcode walkBody
 * does not know).
 */
export function splitCode(wasm) {
  const streams = Array.from({ length: STREAMS }, () => []);
  let at = 8;
  const leb = () => {
    let value = 0;
    for (let scale = 1; ; scale *= 128) {
      const byte = wasm[at++];
      value += (byte & 127) * scale;
      if (byte < 128) return value;
    }
  };
  streams[STREAM.prefix].push(...wasm.subarray(0, 8));
  let code = false;
  while (at < wasm.length) {
    const start = at;
    const id = wasm[at++];
    const end = leb() + at;
    if (id !== 10) {
      streams[code ? STREAM.suffix : STREAM.prefix].push(...wasm.subarray(start, end));
      at = end;
      continue;
    }
    code = true;
    const move = (stream, mask = 0) => {
      if (at >= end) throw new Error(`splitCode: the code section ends inside a body, at byte ${at}`);
      streams[stream].push(wasm[at] ^ mask);
      return wasm[at++];
    };
    const count = leb();
    // The count goes in the locals stream, where the join reads it.
    streams[STREAM.locals].push(...lebBytes(count));
    for (let body = 0; body < count; body += 1) {
      const bodyEnd = leb() + at;
      try {
        // The opcode after the i32.const's number, past its LEB's last byte.
        walkBody(move, () => {
          let last = at;
          while (wasm[last] & 128) last += 1;
          return wasm[last + 1];
        });
      } catch (error) {
        throw new Error(`splitCode: function body ${body}, byte ${at - 1} (0x${wasm[at - 1].toString(16)}): ${error.message}; js/unlzma.js's IMMEDIATE_KINDS must know each opcode the module uses`);
      }
      if (at !== bodyEnd) throw new Error(`splitCode: function body ${body} ends at byte ${at}, its size says ${bodyEnd}`);
    }
    if (at !== end) throw new Error(`splitCode: the code section has bytes after its last body`);
  }
  if (!code) throw new Error('splitCode: the module has no code section');
  const head = Buffer.alloc(4 + 4 * STREAMS);
  [wasm.length, ...streams.map((stream) => stream.length)].forEach((length, index) => head.writeUInt32LE(length, 4 * index));
  const image = Buffer.concat([head, ...streams.map((stream) => Buffer.from(stream))]);
  let joined = null;
  try {
    joined = Buffer.from(joinCode(image));
  } catch (error) {
    joined = error;
  }
  if (!(joined instanceof Buffer && joined.equals(wasm))) {
    throw new Error(`splitCode: the join does not give the module back byte for byte (${joined instanceof Error ? joined.message : 'other bytes'}: a length written in more bytes than it takes?)`);
  }
  return image;
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
  return Buffer.concat([length, deflated, packLzma(splitCode(wasm))]);
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
