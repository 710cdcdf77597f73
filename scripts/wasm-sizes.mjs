// Where the wasm's bytes go: `npm run size` (and the end of `npm run bench`).
// Builds the release wasm once more with its function names kept (its own
// target dir, target/names/, so the shipped build is not rebuilt), runs the
// same wasm-opt -Oz as scripts/build.sh with the name section kept, and
// groups each function's code bytes by who owns it: rewind's web layer, its
// core, the export shims wasm-bindgen writes (with what got inlined into
// them), the JS bindings, flate2 + miniz_oxide, the allocator, and Rust's
// std/core/alloc as instantiated for rewind (drop glue, sorts, formatting).
//
// node scripts/wasm-sizes.mjs [--top N] [--json file]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareFixedDeflate } from './fixed-deflate.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** LEB128 (unsigned) at `offset`: [value, next offset]. */
export function leb(bytes, offset) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[offset++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, offset];
  }
}

/** `value` as unsigned LEB128 bytes (for the scripts that write wasm). */
export function lebBytes(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

/** The sections' sizes, and each defined function's body size and name. */
export function readWasm(bytes) {
  const sections = {};
  const bodies = [];
  const names = new Map();
  let imports = 0;
  const decoder = new TextDecoder();
  const SECTION = { 1: 'type', 2: 'import', 3: 'function', 4: 'table', 5: 'memory', 6: 'global', 7: 'export', 8: 'start', 9: 'element', 10: 'code', 11: 'data', 12: 'datacount' };
  let offset = 8;
  while (offset < bytes.length) {
    const id = bytes[offset++];
    let size;
    [size, offset] = leb(bytes, offset);
    const end = offset + size;
    let name = SECTION[id];
    if (id === 2) {
      let [count, at] = leb(bytes, offset);
      for (let i = 0; i < count; i += 1) {
        let length;
        [length, at] = leb(bytes, at);
        at += length;
        [length, at] = leb(bytes, at);
        at += length;
        const kind = bytes[at++];
        if (kind === 0) {
          imports += 1;
          [, at] = leb(bytes, at);
        } else if (kind === 1) {
          at += 1;
          let flags;
          [flags, at] = leb(bytes, at);
          [, at] = leb(bytes, at);
          if (flags & 1) [, at] = leb(bytes, at);
        } else if (kind === 2) {
          let flags;
          [flags, at] = leb(bytes, at);
          [, at] = leb(bytes, at);
          if (flags & 1) [, at] = leb(bytes, at);
        } else if (kind === 3) {
          at += 2;
        } else {
          throw new Error(`import kind ${kind} is not one this reader knows`);
        }
      }
    } else if (id === 10) {
      let [count, at] = leb(bytes, offset);
      for (let i = 0; i < count; i += 1) {
        const [length, body] = leb(bytes, at);
        bodies.push(bytes.subarray(at, body + length));
        at = body + length;
      }
    } else if (id === 0) {
      const [length, at] = leb(bytes, offset);
      name = `custom:${decoder.decode(bytes.subarray(at, at + length))}`;
      if (name === 'custom:name') {
        let sub = at + length;
        while (sub < end) {
          const kind = bytes[sub++];
          let subSize;
          [subSize, sub] = leb(bytes, sub);
          if (kind === 1) {
            let [count, entry] = leb(bytes, sub);
            for (let i = 0; i < count; i += 1) {
              let index;
              let nameLength;
              [index, entry] = leb(bytes, entry);
              [nameLength, entry] = leb(bytes, entry);
              names.set(index, decoder.decode(bytes.subarray(entry, entry + nameLength)));
              entry += nameLength;
            }
          }
          sub += subSize;
        }
      }
    }
    sections[name ?? `id${id}`] = (sections[name ?? `id${id}`] ?? 0) + size;
    offset = end;
  }
  const functions = bodies.map((body, index) => ({ size: body.length, body, name: names.get(index + imports) ?? `#${index + imports}` }));
  return { sections, imports, functions };
}

// Crate hashes ("core[c5930c85a12de822]") and symbol hashes ("::h0123…") are noise here.
const clean = (name) => name.replace(/\[[0-9a-f]{16}\]/g, '').replace(/::h[0-9a-f]{16}$/, '');

/** Who a function's code belongs to. */
export function ownerOf(rawName) {
  const name = clean(rawName);
  if (/ (externref|multivalue) shim$/.test(name) || /^[a-z]+_[a-zA-Z]+$/.test(name)) return 'export shims';
  if (/^<?(rewind::alloc|talc)::|dlmalloc|__rdl_|__rust_(alloc|dealloc|realloc)/.test(name)) return 'allocator';
  if (/miniz_oxide|flate2|crc32fast|adler/.test(name)) return 'flate2 + miniz_oxide';
  if (/^<?(wasm_bindgen|js_sys|web_sys|wasm_bindgen_futures|gloo_timers|console_error_panic_hook)\b|__wbg|__wbindgen|__externref/.test(name)) return 'JS bindings';
  // A std method or trait on a primitive or a generic T is std's, unless
  // the trait is the bindings' (`<T as wasm_bindgen::…>`).
  const primitive = /^<&?(T|u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|isize|f32|f64|char|str|bool|\[T\])( as ([a-z_]+)|>)/.exec(name);
  if (primitive) return /^(wasm_bindgen|js_sys|web_sys)$/.test(primitive[3] ?? '') ? 'JS bindings' : 'std/core/alloc';
  if (/^#\d+$/.test(name)) return 'unnamed';
  // The first path decides: `core::ptr::drop_in_place<rewind::web::…>` is
  // std's drop glue instantiated for rewind, `<rewind::web::X as core::…>` is rewind's.
  const bare = name.replace(/^[<&]+/, '');
  const first = bare.split(/::|<| as /)[0];
  // Slice methods (`<[u8]>::starts_with`) are core's.
  if (/^\[[\w&]+\]>?$/.test(first)) return 'std/core/alloc';
  if (first === 'rewind') return bare.startsWith('rewind::web') ? 'web layer (src/web)' : 'core (src/core)';
  if (['core', 'alloc', 'std', '__rustc', 'hashbrown', 'compiler_builtins', 'memchr'].includes(first) || /^(memcpy|memset|memmove|memcmp|bcmp)$/.test(name)) {
    return 'std/core/alloc';
  }
  return 'other';
}

/** A names-keeping build of the release wasm, optimised as scripts/build.sh does. */
export function buildNamedWasm() {
  const out = path.join(repoRoot, 'target/names');
  mkdirSync(out, { recursive: true });
  // std built as the shipped wasm's is (scripts/release-std.sh).
  const std = readFileSync(path.join(repoRoot, 'scripts/release-std.sh'), 'utf8');
  const setting = (name) => std.match(new RegExp(`^(?:export )?${name}="?([^"\n]*)"?$`, 'm'))[1];
  const env = {
    ...process.env,
    CARGO_TARGET_DIR: out,
    CARGO_PROFILE_RELEASE_STRIP: 'none',
    RUSTC_BOOTSTRAP: setting('RUSTC_BOOTSTRAP'),
    RUSTFLAGS: setting('RUSTFLAGS'),
    PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}`,
  };
  const run = (command, args) => execFileSync(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'inherit'] });
  // With flate2's backend fixed to rewind's configuration, as shipped; the
  // patch makes cargo rewrite Cargo.lock, which is put back after.
  const fixedDeflate = prepareFixedDeflate();
  const lockPath = path.join(repoRoot, 'Cargo.lock');
  const lock = readFileSync(lockPath);
  try {
    run('cargo', ['build', '--quiet', '--release', '--target', 'wasm32-unknown-unknown', ...setting('REWIND_STD_ARGS').split(' '), ...fixedDeflate]);
  } finally {
    writeFileSync(lockPath, lock);
  }
  run('wasm-bindgen', ['--target', 'web', '--out-dir', path.join(out, 'bindgen'), '--keep-debug', path.join(out, 'wasm32-unknown-unknown/release/rewind.wasm')]);
  const named = path.join(out, 'rewind_named.wasm');
  // The same -Oz steps and features as scripts/build.sh, read from it.
  const buildScript = readFileSync(path.join(repoRoot, 'scripts/build.sh'), 'utf8');
  const list = (name) => buildScript.match(new RegExp(`^${name}="([^"]*)"$`, 'm'))[1].split(' ');
  run(path.join(repoRoot, 'node_modules/.bin/wasm-opt'), [
    '-Oz', '--converge', ...list('WASM_OPT_GZIP_ARGS'), '--debuginfo', '--strip-dwarf', ...list('WASM_FEATURES'),
    path.join(out, 'bindgen/rewind_bg.wasm'), '-o', named,
  ]);
  return readFileSync(named);
}

/** The breakdown as printable lines and as data. */
export function sizeReport(namedBytes, shipped, top = 20) {
  const { sections, imports, functions } = readWasm(namedBytes);
  const code = functions.reduce((sum, fn) => sum + fn.size, 0);
  const owners = new Map();
  for (const fn of functions) {
    const owner = ownerOf(fn.name);
    const entry = owners.get(owner) ?? { owner, bytes: 0, functions: 0 };
    entry.bytes += fn.size;
    entry.functions += 1;
    owners.set(owner, entry);
  }
  const byOwner = [...owners.values()].sort((a, b) => b.bytes - a.bytes);
  // Raw bytes mislead: gzip takes code that repeats other code for almost
  // nothing (three export shims that differ in a call cost 1.4 KB raw and
  // 0 B of gzip together). An owner's gzip cost is what the code section's
  // gzip -9 loses without its functions' bodies.
  const gzipOf = (fns) => gzipSync(Buffer.concat(fns.map((fn) => fn.body)), { level: 9 }).length;
  const codeGzip = gzipOf(functions);
  for (const row of byOwner) row.gzipCost = codeGzip - gzipOf(functions.filter((fn) => ownerOf(fn.name) !== row.owner));
  const largest = [...functions].sort((a, b) => b.size - a.size).slice(0, top).map(({ size, name }) => ({ size, name: clean(name), owner: ownerOf(name) }));
  const kb = (bytes) => (bytes / 1024).toFixed(1);
  const lines = [
    `shipped: ${shipped.map(({ file, raw, gzip }) => `${file} ${raw} B (${gzip} B gzip)`).join('; ')}`,
    `wasm sections: code ${kb(code)} KB (${kb(codeGzip)} KB gzip) in ${functions.length} functions, data ${kb(sections.data ?? 0)} KB, ` +
      `imports ${kb(sections.import ?? 0)} KB (${imports} functions), exports ${kb(sections.export ?? 0)} KB`,
    '| owner | code KB | functions | share | gzip KB without it |',
    '| --- | --- | --- | --- | --- |',
    ...byOwner.map((row) => `| ${row.owner} | ${kb(row.bytes)} | ${row.functions} | ${((100 * row.bytes) / code).toFixed(0)}% | -${kb(row.gzipCost)} |`),
    `largest ${top} functions:`,
    ...largest.map((fn) => `  ${String(fn.size).padStart(6)}  ${fn.owner.padEnd(22)} ${fn.name.slice(0, 110)}`),
  ];
  return { lines, data: { code, codeGzip, functions: functions.length, sections, imports, byOwner, largest, shipped } };
}

/** dist/'s files as shipped: raw and gzip -9 bytes. */
export function shippedSizes() {
  return ['rewind.js', 'rewind_bg.wasm', 'rewind_bg.wasm.packed', 'rewind-sentry.js', 'rewind-segment.js', 'snippet.min.js'].map((file) => {
    const bytes = readFileSync(path.join(repoRoot, 'dist', file));
    return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const top = Number(args[args.indexOf('--top') + 1]) || 20;
  const report = sizeReport(buildNamedWasm(), shippedSizes(), args.includes('--top') ? top : 20);
  console.log(report.lines.join('\n'));
  const json = args.indexOf('--json');
  if (json >= 0) writeFileSync(args[json + 1], JSON.stringify(report.data, null, 2));
}
