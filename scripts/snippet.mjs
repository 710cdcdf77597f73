// Minifies the script-tag snippet (js/snippet.js) into dist/snippet.min.js,
// the copy-paste form the README shows. The snippet cannot import: its
// list of functions and what they resolve to when the bundle cannot load
// are written in from js/api.js here, so the API's list is kept in one place.
// tests/e2e/api-surface.test.mjs builds it through buildSnippet().
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { minify } from 'terser';
import { METHODS, UNLOADED } from '../js/api.js';
import { PLUGIN_IDENTITY, PLUGIN_METHODS } from '../js/segment-start.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The minified snippet (no trailing newline), from js/snippet.js and js/api.js. */
export async function buildSnippet() {
  let source = await readFile(path.join(root, 'js/snippet.js'), 'utf8');
  const values = {
    REWIND_METHODS: JSON.stringify(METHODS.join(' ')),
    REWIND_UNLOADED: JSON.stringify(JSON.stringify(UNLOADED)),
    // An object literal, which the snippet fills in with its methods.
    REWIND_SEGMENT_PLUGIN: JSON.stringify(PLUGIN_IDENTITY),
    REWIND_SEGMENT_METHODS: JSON.stringify(PLUGIN_METHODS.join(' ')),
  };
  for (const [placeholder, value] of Object.entries(values)) {
    if (!source.includes(placeholder)) throw new Error(`js/snippet.js no longer uses ${placeholder}: scripts/snippet.mjs cannot write js/api.js's list into it`);
    source = source.replaceAll(placeholder, value);
  }
  const { code } = await minify(source, {
    compress: { passes: 2 },
    mangle: true,
    format: { comments: false },
  });
  return code;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await buildSnippet();
  await writeFile(path.join(root, 'dist/snippet.min.js'), code + '\n');
  console.log(`dist/snippet.min.js: ${Buffer.byteLength(code)} bytes`);
}
