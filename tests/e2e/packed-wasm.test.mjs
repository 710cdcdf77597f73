// The script-tag bundle's packed module (js/unlzma.js): the LZMA decoder
// (unlzma/, carried deflated in the packed file) checked against xz in Node, and in
// Chromium, Firefox and WebKit a page that records from the packed module
// alone, and falls back to the plain one, saying why, when the packed one is
// missing or damaged.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { repoRoot } from '../support/static-server.mjs';
import { useStaticSite, useBrowser, useFreshPages } from '../support/harness.mjs';
import { packLzma, packModuleFile, splitCode } from '../../scripts/pack-wasm.mjs';
import { STREAM, STREAMS, joinCode, unpackLzma, unpackModuleFile } from '../../js/unlzma.js';

const BROWSERS = (process.env.REWIND_BROWSERS ?? 'chromium,firefox,webkit').split(',');
const PAGES = path.join(repoRoot, 'test-results/packed');
const dist = (file) => readFile(path.join(repoRoot, 'dist', file));
// The decoder as the build makes it (scripts/build.sh).
const DECODER = readFile(path.join(repoRoot, 'target/unlzma/unlzma.wasm'));
const unpack = async (packed) => unpackLzma(new Uint8Array(packed), await DECODER);

describe('the LZMA decoder', () => {
  test('unpacks what xz packs to the same bytes: the module, the bundle, text, noise, runs, and other LZMA settings', async () => {
    const wasm = await dist('rewind_bg.wasm');
    const inputs = {
      module: wasm,
      bundle: await dist('rewind.js'),
      noise: randomBytes(50000),
      // Long matches, repeats of the last distances, and a single byte.
      runs: Buffer.concat([Buffer.alloc(70000, 7), Buffer.from('abcabcabcabd'.repeat(3000)), Buffer.alloc(1, 9)]),
      'one byte': Buffer.from([42]),
    };
    for (const [name, bytes] of Object.entries(inputs)) {
      for (const settings of [undefined, 'preset=6,lc=0,lp=2,pb=2', 'preset=1,lc=4,lp=0,pb=4']) {
        const unpacked = await unpack(packLzma(bytes, settings));
        assert.ok(Buffer.from(unpacked).equals(bytes), `${name}, ${settings ?? 'the build settings'}: not the same bytes`);
      }
    }
  });

  test('the shipped dist/rewind_bg.wasm.lzma, the decoder in it, unpacks to dist/rewind_bg.wasm, and is smaller than its gzip', async () => {
    const [wasm, packed] = await Promise.all([dist('rewind_bg.wasm'), dist('rewind_bg.wasm.lzma')]);
    assert.ok(Buffer.from(await unpackModuleFile(new Uint8Array(packed))).equals(wasm));
    const { gzipSync } = await import('node:zlib');
    assert.ok(packed.length < gzipSync(wasm, { level: 9 }).length, `${packed.length} B packed`);
  });

  test('bad input fails with the reason, and never loops or reads past its end', async () => {
    const bytes = (await dist('rewind.js')).subarray(0, 20000);
    const packed = packLzma(bytes);
    const decoder = await DECODER;
    const fails = (input, reason) => assert.throws(() => unpackLzma(new Uint8Array(input), decoder), reason);
    // Cut anywhere in its data. (Not in its last bytes: the decoder stops
    // at the header's size, before xz's end marker, which it needs not read.)
    for (const keep of [20, 60, Math.floor(packed.length / 2), Math.floor(packed.length * 0.9)]) {
      fails(packed.subarray(0, keep), /^Error: the packed module is not valid: (it is cut short|its data is corrupt)$/);
    }
    fails(packed.subarray(0, 10), /not valid: its header is not one this decoder reads/);
    // xz's own header, which says "size unknown".
    const unknownSize = Buffer.from(packed);
    unknownSize.fill(0xff, 5, 13);
    fails(unknownSize, /its header is not one this decoder reads/);
    const badProperties = Buffer.from(packed);
    badProperties[0] = 225;
    fails(badProperties, /its header is not one this decoder reads/);
    // A range coder must start with a zero byte.
    const badStart = Buffer.from(packed);
    badStart[13] = 1;
    fails(badStart, /its data is corrupt/);
    // Noise after a good header: it ends, thrown or with bytes that are
    // not the input (LZMA has no checksum; the module's own validation
    // in WebAssembly.compile is the check then).
    for (let round = 0; round < 20; round += 1) {
      const noise = Buffer.concat([packed.subarray(0, 14), randomBytes(packed.length)]);
      try {
        assert.ok(!Buffer.from(unpackLzma(new Uint8Array(noise), decoder)).equals(bytes));
      } catch (error) {
        assert.match(String(error), /the packed module is not valid/);
      }
    }
  });

  test('a packed file whose head is not the decoder fails with the reason', async () => {
    const wasm = await dist('rewind_bg.wasm');
    const file = packModuleFile(wasm, await DECODER);
    const rejects = (input, reason) => assert.rejects(unpackModuleFile(new Uint8Array(input)), reason);
    await rejects(file.subarray(0, 3), /its header is not one this decoder reads/);
    // A length past the file's end.
    const tooLong = Buffer.from(file);
    tooLong.writeUInt32LE(file.length, 0);
    await rejects(tooLong, /its header is not one this decoder reads/);
    // A damaged decoder: DecompressionStream or WebAssembly refuses it.
    const damaged = Buffer.from(file);
    damaged.fill(0xff, 6, 40);
    await rejects(damaged, /./);
    assert.ok(Buffer.from(await unpackModuleFile(new Uint8Array(file))).equals(wasm), 'and the good one unpacks');
  });
});

/** `image`'s streams (as splitCode writes them), by name (`i32`: all the i32 constants). */
function streamsOf(image) {
  const all = [];
  let at = 4 + 4 * STREAMS;
  for (let index = 0; index < STREAMS; index += 1) {
    const length = image.readUInt32LE(4 + 4 * index);
    all.push(image.subarray(at, at + length));
    at += length;
  }
  const streams = Object.fromEntries(Object.entries(STREAM).map(([name, index]) => [name, all[index]]));
  streams.i32 = Buffer.concat(all.slice(STREAM.i32, STREAM.i32 + 256));
  return streams;
}

describe('the code section as streams', () => {
  // tests/fixtures/every-immediate.wat, assembled by binaryen's wasm-as
  // (npm's binaryen, which the build uses).
  const everyImmediate = () => {
    const out = path.join(repoRoot, 'test-results/packed/every-immediate.wasm');
    execFileSync(path.join(repoRoot, 'node_modules/.bin/wasm-as'), [
      ...['reference-types', 'bulk-memory', 'multivalue', 'sign-ext', 'nontrapping-float-to-int'].map((feature) => `--enable-${feature}`),
      path.join(repoRoot, 'tests/fixtures/every-immediate.wat'),
      '-o',
      out,
    ]);
    return readFile(out);
  };

  before(() => mkdir(PAGES, { recursive: true }));

  // A block typed by a type index (multivalue), which binaryen's text
  // format turns into something else: type 0 is [] -> [i32 i32], and the
  // one function, of type 1, runs `block (type 0) i32.const 1 i32.const 2
  // end drop drop`.
  const TYPE_INDEX_BLOCK = Buffer.from('0061736d010000000109026000027f7f600000030201010a0d010b000200410141020b1a1a0b', 'hex');

  test('split and joined again, a module is the same bytes: the shipped one, and ones with every kind of immediate', async () => {
    const shipped = await dist('rewind_bg.wasm');
    const every = await everyImmediate();
    assert.ok(WebAssembly.validate(every), 'the fixture is a valid module');
    assert.ok(WebAssembly.validate(TYPE_INDEX_BLOCK), 'the block typed by an index is a valid module');
    assert.deepEqual([...streamsOf(splitCode(TYPE_INDEX_BLOCK)).blockType], [0], 'its block type, type 0, in the block types');
    // Its two i32 constants, each in the stream of the opcode after it: 1
    // before the second i32.const (0x41), 2 before the block's end (0x0b).
    const head = splitCode(TYPE_INDEX_BLOCK);
    const lengthOf = (stream) => head.readUInt32LE(4 + 4 * stream);
    assert.deepEqual([lengthOf(STREAM.i32 + 0x41), lengthOf(STREAM.i32 + 0x0b)], [1, 1]);
    assert.equal(streamsOf(head).i32.length, 2, 'and no other');
    for (const [name, wasm] of Object.entries({ shipped, 'every immediate': every, 'a block typed by an index': TYPE_INDEX_BLOCK })) {
      const image = splitCode(wasm);
      assert.ok(Buffer.from(joinCode(new Uint8Array(image))).equals(wasm), `${name}: not the same bytes`);
    }
    // The fixture has what it says: each opcode whose immediates differ.
    const { opcode, i32, i64, float, misc, label } = streamsOf(splitCode(every));
    const wanted = [0x02, 0x03, 0x04, 0x0b, 0x0c, 0x0d, 0x0e, 0x10, 0x11, 0x1c, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x2b, 0x32, 0x39, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0xc0, 0xd0, 0xd1, 0xd2, 0xfc];
    const seen = new Set(opcode);
    assert.deepEqual(wanted.filter((byte) => !seen.has(byte)), [], 'opcodes missing from the fixture');
    assert.ok(i32.length > 30 && i64.length >= 6 && float.length === 12 && misc.length > 20 && label.length >= 5, 'immediates in their streams');
  });

  test('a damaged image fails with the reason, and never loops', async () => {
    const wasm = await everyImmediate();
    const image = splitCode(wasm);
    const fails = (input, reason) => assert.throws(() => joinCode(new Uint8Array(input)), reason);
    fails(image.subarray(0, 20), /not valid: its header is not one this decoder reads/);
    // A stream's length that does not add up to the image.
    const longer = Buffer.from(image);
    longer.writeUInt32LE(longer.readUInt32LE(4 + 4 * STREAM.opcode) + 1, 4 + 4 * STREAM.opcode);
    fails(longer, /its header is not one this decoder reads/);
    // The opcodes one byte short (the last `end` handed to the suffix).
    const shorter = Buffer.from(image);
    shorter.writeUInt32LE(shorter.readUInt32LE(4 + 4 * STREAM.opcode) - 1, 4 + 4 * STREAM.opcode);
    shorter.writeUInt32LE(shorter.readUInt32LE(4 + 4 * STREAM.suffix) + 1, 4 + 4 * STREAM.suffix);
    fails(shorter, /it is cut short/);
    // A module length the streams do not make.
    const wrongSize = Buffer.from(image);
    wrongSize.writeUInt32LE(wasm.length + 3, 0);
    fails(wrongSize, /its data is corrupt/);
    // One no streams could make: refused before any memory is asked for.
    const hugeSize = Buffer.from(image);
    hugeSize.writeUInt32LE(2 ** 32 - 1, 0);
    fails(hugeSize, /its header is not one this decoder reads/);
    // An opcode walkBody does not know (0x06, try in the exception proposal).
    const unknown = Buffer.from(image);
    const firstOpcode = 4 + 4 * STREAMS + image.readUInt32LE(4);
    unknown[firstOpcode] = 0x06;
    fails(unknown, /its data is corrupt/);
    // Noise in the streams: it ends, thrown or with bytes that are not the
    // module (which WebAssembly.compile then refuses).
    for (let round = 0; round < 200; round += 1) {
      const noisy = Buffer.from(image);
      const at = 4 + 4 * STREAMS + Math.floor(Math.random() * (image.length - 4 - 4 * STREAMS));
      noisy[at] ^= 1 + Math.floor(Math.random() * 255);
      try {
        assert.ok(!Buffer.from(joinCode(new Uint8Array(noisy))).equals(wasm), `a changed byte at ${at} gave the module back`);
      } catch (error) {
        assert.match(String(error), /the packed module is not valid/);
      }
    }
  });

  test('splitCode refuses a module it cannot give back, saying why', async () => {
    assert.throws(() => splitCode(Buffer.from('0061736d01000000', 'hex')), /splitCode: the module has no code section/);
    // An opcode walkBody does not know (0xfd, SIMD) in place of the first
    // one (at byte 30 of TYPE_INDEX_BLOCK, after the body's size, its
    // locals and the block's two bytes: the first i32.const).
    const unknown = Buffer.from(TYPE_INDEX_BLOCK);
    assert.equal(unknown[30], 0x41);
    unknown[30] = 0xfd;
    assert.throws(() => splitCode(unknown), /splitCode: function body 0, byte 30 \(0xfd\): .*IMMEDIATE_KINDS must know each opcode/);
    // A body's size written in more bytes than it takes (valid wasm: 0x8b
    // 0x00 is 11), which the join, writing the fewest, would not give back.
    const padded = Buffer.concat([TYPE_INDEX_BLOCK.subarray(0, 24), Buffer.from([0x0e, 0x01, 0x8b, 0x00]), TYPE_INDEX_BLOCK.subarray(27)]);
    assert.ok(WebAssembly.validate(padded), 'the padded module is valid');
    assert.throws(() => splitCode(padded), /splitCode: the join does not give the module back byte for byte/);
  });
});

/** A page in test-results/packed/`name`/ recording with the files `files` of dist/ beside it, `lzma` as its packed module. */
async function pageWith(name, files, lzma) {
  const folder = path.join(PAGES, name);
  await mkdir(folder, { recursive: true });
  for (const file of files) await copyFile(path.join(repoRoot, 'dist', file), path.join(folder, file));
  if (lzma) await writeFile(path.join(folder, 'rewind_bg.wasm.lzma'), lzma);
  await writeFile(
    path.join(folder, 'index.html'),
    `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
<body><p id="hello">Hello, packed module</p>
<script>
  window.warnings = [];
  const warn = console.warn.bind(console);
  console.warn = (...args) => { window.warnings.push(args.join(' ')); warn(...args); };
</script>
<script src="rewind.js"></script>
<script>
  window.events = [];
  window.started = Rewind.start({ emit: (event) => window.events.push(event), debug: true });
</script>
</body></html>`,
  );
  return `/test-results/packed/${name}/index.html`;
}

// A slow network for one page's packed module: longer than the one second
// rewind gives an asynchronous compile before it compiles on the main thread.
const SLOW_PACKED_MS = 1500;
const site = useStaticSite({ delayMs: (pathname) => (/-slow-download\/rewind_bg\.wasm\.lzma$/.test(pathname) ? SLOW_PACKED_MS : 0) });
let packed;
before(async () => {
  packed = await dist('rewind_bg.wasm.lzma');
});

for (const browserName of BROWSERS) {
  describe(`the packed module in ${browserName}`, () => {
    const freshPage = useFreshPages(useBrowser(browserName));

    /** Opens the page at `folder`: what it recorded and warned, and which modules it asked for. */
    async function record(folder) {
      const since = site.requests.length;
      const { page, errors } = await freshPage();
      await page.goto(`${site.origin}${folder}`);
      const seen = await page.evaluate(async () => {
        await window.started;
        for (let i = 0; i < 100 && !window.events.some((event) => event.type === 2); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
        return {
          snapshot: JSON.stringify(window.events.find((event) => event.type === 2) ?? null),
          warnings: window.warnings.filter((line) => /packed module|rewind_bg/.test(line)),
        };
      });
      const modules = site.requests.slice(since).filter((pathname) => pathname.includes('rewind_bg')).map((pathname) => path.posix.basename(pathname));
      return { ...seen, modules, errors };
    }

    test('records from the packed module alone, and never asks for the plain one', async () => {
      const seen = await record(await pageWith(`${browserName}-packed-only`, ['rewind.js', 'rewind_bg.wasm.lzma']));
      assert.match(seen.snapshot, /Hello, packed module/);
      assert.deepEqual(seen.modules, ['rewind_bg.wasm.lzma']);
      assert.deepEqual(seen.warnings, []);
      assert.deepEqual(seen.errors, []);
    });

    test('without the packed file (a deployment of rewind.js and rewind_bg.wasm only), records from the plain one and says why', async () => {
      const seen = await record(await pageWith(`${browserName}-plain-only`, ['rewind.js', 'rewind_bg.wasm']));
      assert.match(seen.snapshot, /Hello, packed module/);
      assert.deepEqual(seen.modules, ['rewind_bg.wasm.lzma', 'rewind_bg.wasm']);
      assert.equal(seen.warnings.length, 1, seen.warnings.join('\n'));
      assert.match(seen.warnings[0], /the packed module was not used \(HTTP 404 for \S+rewind_bg\.wasm\.lzma\): loading rewind_bg\.wasm/);
    });

    // The main-thread compile after a second is for an asynchronous compile
    // that never settles (WebKit's), not for a download: counted from the
    // start, it made a slow page fetch and compile the plain module too.
    test('a packed file that takes 1.5 s to arrive is waited for: the plain one is never fetched', async () => {
      const asked = Date.now();
      const seen = await record(await pageWith(`${browserName}-slow-download`, ['rewind.js', 'rewind_bg.wasm', 'rewind_bg.wasm.lzma']));
      assert.ok(Date.now() - asked >= SLOW_PACKED_MS, 'the packed file was held back');
      assert.match(seen.snapshot, /Hello, packed module/);
      assert.deepEqual(seen.modules, ['rewind_bg.wasm.lzma']);
      assert.deepEqual(seen.warnings, []);
      assert.deepEqual(seen.errors, []);
    });

    test('a packed file cut short falls back to the plain one, and says so', async () => {
      const cut = packed.subarray(0, Math.floor(packed.length / 2));
      const seen = await record(await pageWith(`${browserName}-cut-short`, ['rewind.js', 'rewind_bg.wasm'], cut));
      assert.match(seen.snapshot, /Hello, packed module/);
      assert.deepEqual(seen.modules, ['rewind_bg.wasm.lzma', 'rewind_bg.wasm']);
      assert.match(seen.warnings.join('\n'), /the packed module was not used \(the packed module is not valid: (it is cut short|its data is corrupt)\)/);
    });
  });
}
