// The script-tag bundle's packed module (js/unpack.js): the decoder
// (unpack/, carried deflated in the packed file) against the packer in
// Node, the code section as streams, and in Chromium, Firefox and WebKit
// a page that records from the packed module alone, and falls back to the
// plain one, saying why, when the packed one is missing or damaged.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { repoRoot } from '../support/static-server.mjs';
import { useStaticSite, useBrowser, useFreshPages } from '../support/harness.mjs';
import { packImage, packModuleFile, splitCode } from '../../scripts/pack-wasm.mjs';
import { STREAM, STREAMS, joinCode, unpackImage, unpackModuleFile } from '../../js/unpack.js';

const BROWSERS = (process.env.REWIND_BROWSERS ?? 'chromium,firefox,webkit').split(',');
const PAGES = path.join(repoRoot, 'test-results/packed');
const dist = (file) => readFile(path.join(repoRoot, 'dist', file));
// The decoder as the build makes it (scripts/build.sh).
const DECODER = readFile(path.join(repoRoot, 'target/unpack/unpack.wasm'));
const unpack = async (packed) => unpackImage(new Uint8Array(packed), await DECODER);

describe('the decoder', () => {
  test('unpacks what the packer packs to the same bytes: the module image, the bundle, text, noise, runs, one byte', async () => {
    const wasm = await dist('rewind_bg.wasm');
    const inputs = {
      image: splitCode(wasm),
      // The packer reads any input's first bytes as the image's stream
      // lengths, which then add up to nothing: the round trip must hold.
      bundle: await dist('rewind.js'),
      noise: randomBytes(50000),
      runs: Buffer.concat([Buffer.alloc(70000, 7), Buffer.from('abcabcabcabd'.repeat(3000)), Buffer.alloc(1, 9)]),
      'one byte': Buffer.from([42]),
    };
    for (const [name, bytes] of Object.entries(inputs)) {
      const unpacked = await unpack(packImage(bytes));
      assert.ok(Buffer.from(unpacked).equals(bytes), `${name}: not the same bytes`);
    }
  });

  test('the shipped dist/rewind_bg.wasm.packed, the decoder in it, unpacks to dist/rewind_bg.wasm, smaller than its gzip and than the image as LZMA', async () => {
    const [wasm, packed] = await Promise.all([dist('rewind_bg.wasm'), dist('rewind_bg.wasm.packed')]);
    assert.ok(Buffer.from(await unpackModuleFile(new Uint8Array(packed))).equals(wasm));
    const { gzipSync } = await import('node:zlib');
    assert.ok(packed.length < gzipSync(wasm, { level: 9 }).length, `${packed.length} B packed`);
    // The reason for the model: xz's best LZMA of the same image, with the
    // settings it packed smallest with (December 6), is larger.
    const image = splitCode(wasm);
    const lzma = execFileSync('xz', ['--format=lzma', '--lzma1=preset=9e,lc=1,lp=0,pb=0,nice=64', '--stdout'], { input: image, maxBuffer: 1 << 28 });
    assert.ok(packImage(image).length < lzma.length, `${packImage(image).length} B packed, ${lzma.length} B as LZMA`);
  });

  test('bad input fails with the reason, and never loops or reads past its end', async () => {
    const bytes = (await dist('rewind.js')).subarray(0, 20000);
    const packed = packImage(bytes);
    const decoder = await DECODER;
    const fails = (input, reason) => assert.throws(() => unpackImage(new Uint8Array(input), decoder), reason);
    // Cut anywhere in its code.
    for (const keep of [9, 20, 60, Math.floor(packed.length / 2), packed.length - 1]) {
      fails(packed.subarray(0, keep), /^Error: the packed module is not valid: it is cut short$/);
    }
    fails(packed.subarray(0, 8), /not valid: its header is not one this decoder reads/);
    const sizeless = Buffer.from(packed);
    sizeless.writeUInt32LE(0, 0);
    fails(sizeless, /its header is not one this decoder reads/);
    // An image larger than the decoder takes (64 MB) is refused before
    // it asks for memory.
    const huge = Buffer.from(packed);
    huge.writeUInt32LE(2 ** 32 - 1, 0);
    fails(huge, /its header is not one this decoder reads/);
    const badChecksum = Buffer.from(packed);
    badChecksum[5] ^= 1;
    fails(badChecksum, /its data is corrupt/);
    // A changed byte of the code, and noise after a good header: the
    // checksum, or the code's running out, says so; never the input. (Not
    // the code's last 4 bytes: the coder's final interval is wide enough
    // that some changes there decode the same.)
    for (let round = 0; round < 20; round += 1) {
      const changed = Buffer.from(packed);
      changed[8 + Math.floor(Math.random() * (packed.length - 12))] ^= 1 << round % 8;
      fails(changed, /not valid: (its data is corrupt|it is cut short)$/);
      fails(Buffer.concat([packed.subarray(0, 8), randomBytes(packed.length - 8)]), /not valid: (its data is corrupt|it is cut short)$/);
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

/** A page in test-results/packed/`name`/ recording with the files `files` of dist/ beside it, `packed` as its packed module. */
async function pageWith(name, files, packed) {
  const folder = path.join(PAGES, name);
  await mkdir(folder, { recursive: true });
  for (const file of files) await copyFile(path.join(repoRoot, 'dist', file), path.join(folder, file));
  if (packed) await writeFile(path.join(folder, 'rewind_bg.wasm.packed'), packed);
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
const site = useStaticSite({ delayMs: (pathname) => (/-slow-download\/rewind_bg\.wasm\.packed$/.test(pathname) ? SLOW_PACKED_MS : 0) });
let packed;
before(async () => {
  packed = await dist('rewind_bg.wasm.packed');
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
      const seen = await record(await pageWith(`${browserName}-packed-only`, ['rewind.js', 'rewind_bg.wasm.packed']));
      assert.match(seen.snapshot, /Hello, packed module/);
      assert.deepEqual(seen.modules, ['rewind_bg.wasm.packed']);
      assert.deepEqual(seen.warnings, []);
      assert.deepEqual(seen.errors, []);
    });

    test('without the packed file (a deployment of rewind.js and rewind_bg.wasm only), records from the plain one and says why', async () => {
      const seen = await record(await pageWith(`${browserName}-plain-only`, ['rewind.js', 'rewind_bg.wasm']));
      assert.match(seen.snapshot, /Hello, packed module/);
      assert.deepEqual(seen.modules, ['rewind_bg.wasm.packed', 'rewind_bg.wasm']);
      assert.equal(seen.warnings.length, 1, seen.warnings.join('\n'));
      assert.match(seen.warnings[0], /the packed module was not used \(HTTP 404 for \S+rewind_bg\.wasm\.packed\): loading rewind_bg\.wasm/);
    });

    // The main-thread compile after a second is for an asynchronous compile
    // that never settles (WebKit's), not for a download: counted from the
    // start, it made a slow page fetch and compile the plain module too.
    test('a packed file that takes 1.5 s to arrive is waited for: the plain one is never fetched', async () => {
      const asked = Date.now();
      const seen = await record(await pageWith(`${browserName}-slow-download`, ['rewind.js', 'rewind_bg.wasm', 'rewind_bg.wasm.packed']));
      assert.ok(Date.now() - asked >= SLOW_PACKED_MS, 'the packed file was held back');
      assert.match(seen.snapshot, /Hello, packed module/);
      assert.deepEqual(seen.modules, ['rewind_bg.wasm.packed']);
      assert.deepEqual(seen.warnings, []);
      assert.deepEqual(seen.errors, []);
    });

    test('a packed file cut short falls back to the plain one, and says so', async () => {
      const cut = packed.subarray(0, Math.floor(packed.length / 2));
      const seen = await record(await pageWith(`${browserName}-cut-short`, ['rewind.js', 'rewind_bg.wasm'], cut));
      assert.match(seen.snapshot, /Hello, packed module/);
      assert.deepEqual(seen.modules, ['rewind_bg.wasm.packed', 'rewind_bg.wasm']);
      assert.match(seen.warnings.join('\n'), /the packed module was not used \(the packed module is not valid: (it is cut short|its data is corrupt)\)/);
    });
  });
}
