// The script-tag bundle's module, packed (js/unpack.js says why), behind
// the decoder that unpacks it. scripts/bundle.mjs writes it after webpack.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

import { STREAM, STREAMS, joinCode, walkBody } from '../js/unpack.js';
import { lebBytes } from './wasm-sizes.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (file) => path.join(repoRoot, file);

/**
 * The image packed by unpack/'s packer (scripts/build.sh builds it into
 * target/unpack/release/pack): its length and checksum, then its code.
 * The packer runs the decoder's own model, natively.
 */
export function packImage(image) {
  try {
    return execFileSync(at('target/unpack/release/pack'), [String(STREAMS)], { input: image, maxBuffer: 1 << 28 });
  } catch (error) {
    throw new Error(`unpack/'s packer could not pack the module (${error.message}): scripts/build.sh builds it`);
  }
}

/**
 * The module `wasm` as the image js/unpack.js's joinCode reads (the
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
        throw new Error(`splitCode: function body ${body}, byte ${at - 1} (0x${wasm[at - 1].toString(16)}): ${error.message}; js/unpack.js's IMMEDIATE_KINDS must know each opcode the module uses`);
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
 * The packed file js/unpack.js's unpackModuleFile reads: the decoder's
 * wasm (scripts/build.sh builds it from unpack/ into
 * target/unpack/unpack.wasm), zlib-deflated, behind its length (u32,
 * little-endian), then `wasm`'s image, packed.
 */
export function packModuleFile(wasm, decoder = readFileSync(at('target/unpack/unpack.wasm'))) {
  const deflated = deflateSync(decoder, { level: 9 });
  const length = Buffer.alloc(4);
  length.writeUInt32LE(deflated.length);
  return Buffer.concat([length, deflated, packImage(splitCode(wasm))]);
}

/**
 * dist/rewind_bg.wasm.packed from dist/rewind_bg.wasm; the build fails
 * unless js/unpack.js, with the decoder in the file, unpacks it to the
 * same bytes.
 */
export async function writePackedWasm() {
  const wasm = readFileSync(at('dist/rewind_bg.wasm'));
  const packed = packModuleFile(wasm);
  const { unpackModuleFile } = await import('../js/unpack.js');
  const unpacked = await unpackModuleFile(new Uint8Array(packed));
  if (!Buffer.from(unpacked).equals(wasm)) {
    throw new Error('dist/rewind_bg.wasm.packed does not unpack to dist/rewind_bg.wasm with js/unpack.js');
  }
  writeFileSync(at('dist/rewind_bg.wasm.packed'), packed);
  return { raw: wasm.length, packed: packed.length };
}
