// Minifies the script-tag snippet (js/snippet.js) into dist/snippet.min.js,
// the copy-paste form the README shows.
import { readFile, writeFile } from 'node:fs/promises';
import { minify } from 'terser';

const source = await readFile('js/snippet.js', 'utf8');
const { code } = await minify(source, {
  compress: { passes: 2 },
  mangle: true,
  format: { comments: false },
});
await writeFile('dist/snippet.min.js', code + '\n');
console.log(`dist/snippet.min.js: ${Buffer.byteLength(code)} bytes`);
