// Turns wasm-pack's pkg/ into rewind's npm package: our JS entry (js/index.js)
// and its types become the package's main module, wrapping wasm-pack's glue.
import { readFile, writeFile, copyFile } from 'node:fs/promises';

const entry = await readFile('js/index.js', 'utf8');
// In pkg/ the glue sits beside the entry.
await writeFile(
  'pkg/index.js',
  entry.replaceAll("'../pkg/rewind.js'", "'./rewind.js'").replaceAll("'../pkg/rewind_bg.wasm'", "'./rewind_bg.wasm'"),
);
await copyFile('js/index.d.ts', 'pkg/index.d.ts');
// The Segment plugin imports './index.js', which is beside it in pkg/ too.
await copyFile('js/segment.js', 'pkg/segment.js');
await copyFile('js/segment-start.js', 'pkg/segment-start.js');
// index.js's sampling decision, made before the wasm loads.
await copyFile('js/sampling.js', 'pkg/sampling.js');
// start()'s options, checked before the wasm loads.
await copyFile('js/options.js', 'pkg/options.js');
await copyFile('js/sentry.js', 'pkg/sentry.js');
// The courier, which delivers chunks without the wasm.
await copyFile('js/courier.js', 'pkg/courier.js');
// Its compression of chunks in a worker.
await copyFile('js/compressor.js', 'pkg/compressor.js');
// The warm-up in a worker, which only the script-tag bundle runs (a page's
// own bundler gives rewind no URL to load in a worker).
await copyFile('js/warm.js', 'pkg/warm.js');
const parts = await readFile('js/parts.js', 'utf8');
await writeFile('pkg/parts.js', parts.replaceAll("'../pkg/rewind_bg.wasm'", "'./rewind_bg.wasm'"));

const manifest = JSON.parse(await readFile('pkg/package.json', 'utf8'));
manifest.main = 'index.js';
manifest.module = 'index.js';
manifest.types = 'index.d.ts';
manifest.files = [...new Set([...(manifest.files ?? []), 'index.js', 'segment.js', 'segment-start.js', 'sampling.js', 'options.js', 'sentry.js', 'courier.js', 'compressor.js', 'warm.js', 'parts.js', 'index.d.ts'])];
manifest.sideEffects = ['./rewind.js', './snippets/*'];
await writeFile('pkg/package.json', JSON.stringify(manifest, null, 2) + '\n');
console.log(`pkg/package.json: ${manifest.name}@${manifest.version}, main ${manifest.main}`);
