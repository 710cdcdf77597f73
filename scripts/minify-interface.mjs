// Shortens the names the wasm and its JS glue know each other by, in pkg/
// after wasm-opt: wasm-bindgen names each import `__wbg_<name>_<16 hex
// digits>` and some exports after their Rust types, hundreds of characters
// long. Every name is written twice, in the wasm and in the glue, and the
// hashes do not compress. Here each import of the glue's module and each
// export but `memory` becomes a short name (a, b, ..., aa, ...) in both
// files, consistently. So does each module name: `./rewind_bg.js` is
// written before each of the glue's 100 imports, and the snippet's path
// (`./snippets/rewind-<hash>/src/web/page.js`) before each of its ten.
// (Shortening the module names once made the gzip 150 B larger; with the
// functions in gzip's order, scripts/order-functions.mjs, they took 124 B
// off it on December 5.)
//
// node scripts/minify-interface.mjs [pkg/rewind_bg.wasm pkg/rewind.js]
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

import { leb as readLeb, lebBytes as leb } from './wasm-sizes.mjs';

const [wasmPath = 'pkg/rewind_bg.wasm', gluePath = 'pkg/rewind.js'] = process.argv.slice(2);
// The glue's own module; the snippets' imports are named by their JS
// modules' exports and keep their names.
const GLUE_MODULE = './rewind_bg.js';
// index.js reads `memory` from the exports (memoryUsage()).
// js/compressor.js calls gzip_in, gzip_run and gzip_out in a worker, which
// has none of the glue.
const KEPT_EXPORTS = new Set(['memory', 'gzip_in', 'gzip_run', 'gzip_out']);


const encoder = new TextEncoder();
const decoder = new TextDecoder();
const name = (text) => {
  const bytes = encoder.encode(text);
  return [...leb(bytes.length), ...bytes];
};

// Short names in order; none is a word JS reserves, nor a name the glue or
// the kept exports use.
const RESERVED = new Set(['do', 'if', 'in']);
function* shortNames() {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (let length = 1; ; length += 1) {
    const total = letters.length ** length;
    for (let index = 0; index < total; index += 1) {
      let text = '';
      for (let rest = index, left = length; left > 0; left -= 1) {
        text = letters[rest % letters.length] + text;
        rest = Math.floor(rest / letters.length);
      }
      if (!RESERVED.has(text) && !KEPT_EXPORTS.has(text)) yield text;
    }
  }
}

const wasm = readFileSync(wasmPath);
const names = shortNames();
const renamedImports = new Map();
const renamedExports = new Map();
// The snippets' functions the wasm imports itself, by module.
const snippetImports = new Map();
// Each module's short name, in the order the imports first name them.
const moduleNames = new Map();
const shortModule = (module) => {
  if (!moduleNames.has(module)) moduleNames.set(module, String.fromCharCode(97 + moduleNames.size));
  return moduleNames.get(module);
};

// Sections as byte arrays, concatenated at the end.
const out = [wasm.subarray(0, 8)];
let offset = 8;
while (offset < wasm.length) {
  const id = wasm[offset++];
  let size;
  [size, offset] = readLeb(wasm, offset);
  const end = offset + size;
  if (id !== 2 && id !== 7) {
    out.push(Uint8Array.from([id, ...leb(size)]), wasm.subarray(offset, end));
    offset = end;
    continue;
  }
  let [count, at] = readLeb(wasm, offset);
  const body = [...leb(count)];
  for (let index = 0; index < count; index += 1) {
    let length;
    if (id === 2) {
      [length, at] = readLeb(wasm, at);
      const module = decoder.decode(wasm.subarray(at, at + length));
      at += length;
      [length, at] = readLeb(wasm, at);
      const field = decoder.decode(wasm.subarray(at, at + length));
      at += length;
      // What follows the names (kind and type) is copied as it is.
      const descriptionStart = at;
      const kind = wasm[at++];
      if (kind === 0) [, at] = readLeb(wasm, at);
      else if (kind === 1 || kind === 2) {
        if (kind === 1) at += 1;
        const flags = wasm[at++];
        [, at] = readLeb(wasm, at);
        if (flags & 1) [, at] = readLeb(wasm, at);
      } else if (kind === 3) at += 2;
      else if (kind === 4) at += 2;
      else throw new Error(`import kind ${kind} of ${module}.${field} is not known to this script`);
      let short = field;
      if (module === GLUE_MODULE) {
        short = renamedImports.get(field) ?? names.next().value;
        renamedImports.set(field, short);
      } else {
        if (!snippetImports.has(module)) snippetImports.set(module, new Set());
        snippetImports.get(module).add(field);
      }
      body.push(...name(shortModule(module)), ...name(short), ...wasm.subarray(descriptionStart, at));
    } else {
      [length, at] = readLeb(wasm, at);
      const field = decoder.decode(wasm.subarray(at, at + length));
      at += length;
      const kindAndIndexStart = at;
      at += 1;
      [, at] = readLeb(wasm, at);
      const short = KEPT_EXPORTS.has(field) ? field : names.next().value;
      if (short !== field) renamedExports.set(field, short);
      body.push(...name(short), ...wasm.subarray(kindAndIndexStart, at));
    }
  }
  if (at !== end) throw new Error(`section ${id} was not read to its end`);
  out.push(Uint8Array.from([id, ...leb(body.length), ...body]));
  offset = end;
}

let glue = readFileSync(gluePath, 'utf8');

// Each string or array an import hands back is written as a pointer and a
// length into the wasm's return slot: two DataView writes, each with its
// own memory check, repeated in each such import (28 of them). One helper
// writes both after one check, and three more pass the value the three ways
// the imports do, so an import's shim is one call. The build fails if the
// glue has none of them: a wasm-bindgen that writes them otherwise.
const POINTER_AND_LENGTH = /^(\s*)(?:var|const) len(\d+) = WASM_VECTOR_LEN;\n\s*getDataViewMemory0\(\)\.setInt32\(\(arg0 >>> 0\) \+ 4 \* 1, len\2, true\);\n\s*getDataViewMemory0\(\)\.setInt32\(\(arg0 >>> 0\) \+ 4 \* 0, ptr\2, true\);$/gm;
const pairs = glue.match(POINTER_AND_LENGTH)?.length ?? 0;
if (pairs === 0) throw new Error('the glue writes no pointer and length the way this script knows');
glue = glue.replace(POINTER_AND_LENGTH, '$1writePointerAndLength(arg0, ptr$2);');
// And the value behind that pointer is passed the same few ways.
const PASSED = /^(\s*)(?:var|const) ptr(\d+) = (isLikeNone\((\w+)\) \? 0 : )?(passStringToWasm0|passArrayJsValueToWasm0)\((\w+), wasm\.[\w$]+(?:, wasm\.[\w$]+)?\);\n\s*writePointerAndLength\(arg0, ptr\2\);$/gm;
const HELPERS = { passStringToWasm0: 'returnString', passArrayJsValueToWasm0: 'returnValues' };
glue = glue.replace(PASSED, (whole, indent, _, optional, tested, pass, value) => {
  if (optional && tested !== value) return whole;
  return `${indent}${optional ? 'returnOptionalString' : HELPERS[pass]}(arg0, ${value});`;
});
glue = glue.replace('function getDataViewMemory0() {', `function returnString(slot, text) {
    writePointerAndLength(slot, passStringToWasm0(text, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc));
}
function returnOptionalString(slot, text) {
    writePointerAndLength(slot, isLikeNone(text) ? 0 : passStringToWasm0(text, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc));
}
function returnValues(slot, values) {
    writePointerAndLength(slot, passArrayJsValueToWasm0(values, wasm.__wbindgen_malloc));
}
function writePointerAndLength(slot, pointer) {
    const view = getDataViewMemory0();
    view.setInt32((slot >>> 0) + 4, WASM_VECTOR_LEN, true);
    view.setInt32(slot >>> 0, pointer, true);
}
function getDataViewMemory0() {`);

// The glue hands the wasm a snippet's functions as the snippet's module
// namespace (`import * as import1 from "./snippets/…"`, one per function).
// A namespace makes the bundler keep every export of the snippet, with a
// getter each, and keeps the minifier from inlining or dropping any of them.
// An object of just the functions the wasm imports does the same job.
const literally = (text) => text.replace(/[.*+?^${}()|[\]\\/$]/g, '\\$&');
for (const [module, fields] of snippetImports) {
  const quoted = JSON.stringify(module);
  const namespaces = new RegExp(`^import \\* as (import\\d+) from ${literally(quoted)};?\\n`, 'gm');
  if (!namespaces.test(glue)) throw new Error(`the glue does not import ${module} as a namespace, as this script knows`);
  glue = glue.replace(namespaces, '');
  const entries = new RegExp(`^(\\s*)${literally(quoted)}: import\\d+,\\n`, 'gm');
  let first = true;
  glue = glue.replace(entries, (_, indent) => {
    const entry = first ? `${indent}${JSON.stringify(moduleNames.get(module))}: { ${[...fields].join(', ')} },\n` : '';
    first = false;
    return entry;
  });
  if (first) throw new Error(`the glue's imports object has no ${module} entry`);
  const named = new RegExp(`^import \\{([^}]*)\\} from '${literally(module)}';$`, 'm');
  const listed = named.exec(glue);
  if (listed) {
    const all = new Set([...listed[1].split(',').map((item) => item.trim()).filter(Boolean), ...fields]);
    glue = glue.replace(named, `import { ${[...all].join(', ')} } from '${module}';`);
  } else {
    glue = `import { ${[...fields].join(', ')} } from '${module}';\n${glue}`;
  }
}
if (/\bimport(?:[1-9]\d*)\b/.test(glue)) throw new Error('the glue still uses a snippet namespace');
// The glue's own module, by its short name too.
const glueEntry = new RegExp(`^(\\s*)${literally(JSON.stringify(GLUE_MODULE))}: import0,$`, 'm');
if (!glueEntry.test(glue)) throw new Error(`the glue's imports object has no ${GLUE_MODULE} entry`);
glue = glue.replace(glueEntry, `$1${JSON.stringify(moduleNames.get(GLUE_MODULE))}: import0,`);

// The glue: each import is a key of its imports object; each export is
// read as `wasm.<name>`. Every renamed import must be found as a key, so a
// glue of another shape fails the build rather than a page.
const token = (text) => text.replace(/[$]/g, '\\$');
for (const [field, short] of renamedImports) {
  const key = new RegExp(`(^|[\\s{,])${token(field)}(\\s*:\\s*function)`, 'm');
  if (!key.test(glue)) throw new Error(`import ${field} is not a key of the glue's imports object`);
  glue = glue.replace(new RegExp(`(?<![\\w$])${token(field)}(?![\\w$])`, 'g'), short);
}
// (Only `wasm.<name>`: the glue's JS functions of the same names, such as
// the exported guardApi(), keep theirs.)
let readExports = 0;
for (const [field, short] of renamedExports) {
  const uses = new RegExp(`\\bwasm\\.${token(field)}(?![\\w$])`, 'g');
  if (uses.test(glue)) readExports += 1;
  glue = glue.replace(uses, `wasm.${short}`);
}
if (readExports === 0) throw new Error('the glue reads no export as `wasm.<name>`: not the glue this script knows');

// The glue writes each string an import hands back (a pointer and a length)
// through a DataView of the wasm's memory, which it checks first for a
// memory grown since: `.buffer.detached` twice per write, two getters V8
// does not inline. That check was 8.5 ms of a 100k-node snapshot (2.7 ms of
// a 1k one) in Chromium's profiler. The byte view the glue also keeps
// knows it more cheaply: its length is 0 once its buffer is detached. The
// DataView is made again only when that view is.
const DATA_VIEW_CHECK = `function getDataViewMemory0() {
    if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)) {
        cachedDataViewMemory0 = new DataView(wasm.memory.buffer);
    }
    return cachedDataViewMemory0;
}`;
if (!glue.includes(DATA_VIEW_CHECK)) throw new Error("the glue's getDataViewMemory0 is not the one this script knows");
glue = glue.replace(DATA_VIEW_CHECK, `let dataViewOfBytes = null;
function getDataViewMemory0() {
    const bytes = getUint8ArrayMemory0();
    if (dataViewOfBytes !== bytes) {
        cachedDataViewMemory0 = new DataView(bytes.buffer);
        dataViewOfBytes = bytes;
    }
    return cachedDataViewMemory0;
}`);
// Glue no caller of rewind's reaches, each piece found exactly once (the
// build fails otherwise: a wasm-bindgen that writes its glue differently):
// - a stand-in for TextEncoder.encodeInto, which every browser that runs
//   the wasm has (Safari 14.1, Chrome 74, Firefox 66);
// - passStringToWasm0's branch for a caller that passes no realloc (every
//   call passes one);
// - initSync's warning for a module passed alone (js/index.js and the
//   warm-up worker pass `{ module }`);
// - Recorder's `Symbol.dispose` (js/index.js frees it).
const UNREACHED = [
  `if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}
`,
  `    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }
`,
  [`    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for \`initSync()\`; pass a single object instead')
        }
    }
`, `    ({module} = module);
`],
  `if (Symbol.dispose) Recorder.prototype[Symbol.dispose] = Recorder.prototype.free;
`,
];
for (const piece of UNREACHED) {
  const [text, replacement] = Array.isArray(piece) ? piece : [piece, ''];
  if (glue.split(text).length !== 2) throw new Error(`the glue does not hold this once:\n${text}`);
  glue = glue.replace(text, replacement);
}
const minified = Buffer.concat(out);
writeFileSync(wasmPath, minified);
writeFileSync(gluePath, glue);
// The exports' types, for bundlers that read them.
const typesPath = wasmPath.replace(/\.wasm$/, '.wasm.d.ts');
if (existsSync(typesPath)) {
  let types = readFileSync(typesPath, 'utf8');
  for (const [field, short] of renamedExports) types = types.replace(new RegExp(`(?<![\\w$])${token(field)}(?![\\w$])`, 'g'), short);
  writeFileSync(typesPath, types);
}
console.log(`  ${renamedImports.size} imports and ${renamedExports.size} exports renamed; wasm ${wasm.length} -> ${minified.length} bytes`);
