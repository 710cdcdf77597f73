// Runs webpack with webpack.config.js through webpack's Node API (no CLI
// package needed), and puts the wasm beside dist/rewind.js, which fetches
// it from there (js/parts-script.js).
import { copyFileSync, readFileSync } from 'node:fs';
import webpack from 'webpack';
import config from '../webpack.config.js';
import { writePackedWasm } from './pack-wasm.mjs';

// rewind-sentry.js and rewind-segment.js get what they import from
// './index.js' and './segment-start.js' from js/parts-script.js's `host`
// at run time: a name missing there would fail only when a page uses the
// integration, so the build fails instead.
const importedNames = (file) => {
  const names = [];
  for (const [, list] of readFileSync(file, 'utf8').matchAll(/^import \{([^}]*)\} from '\.\/(?:index|segment-start)\.js';/gm)) {
    names.push(...list.split(',').map((name) => name.trim()).filter(Boolean));
  }
  return names;
};
const hostSource = /export const host = \(\) => \(\{([^}]*)\}\);/.exec(readFileSync('js/parts-script.js', 'utf8'));
const hostNames = new Set(hostSource ? hostSource[1].split(',').map((name) => name.trim()).filter(Boolean) : []);
for (const file of ['js/sentry.js', 'js/segment.js']) {
  // Any other module would be a second copy, with state of its own, in
  // the integration's file.
  const others = [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^;]*? from '([^']+)';/gm)]
    .map((match) => match[1])
    .filter((from) => from !== './index.js' && from !== './segment-start.js');
  if (others.length > 0) {
    console.error(`${file} imports ${others.join(', ')}: an integration may import only './index.js' and './segment-start.js' (webpack.config.js says why)`);
    process.exit(1);
  }
  const missing = importedNames(file).filter((name) => !hostNames.has(name));
  if (missing.length > 0) {
    console.error(`${file} imports ${missing.join(', ')}, which js/parts-script.js's host() does not give: add them there`);
    process.exit(1);
  }
}

webpack(config, (error, stats) => {
  if (error) {
    console.error('webpack failed:', error);
    process.exit(1);
  }
  if (stats.hasErrors()) {
    console.error(stats.toString({ all: false, errors: true, colors: false }));
    process.exit(1);
  }
  console.log(stats.toString({ all: false, assets: true, colors: false }));
  copyFileSync('pkg/rewind_bg.wasm', 'dist/rewind_bg.wasm');
  writePackedWasm().then(
    ({ raw, packed }) => console.log(`dist/rewind_bg.wasm.packed: ${raw} -> ${packed} bytes`),
    (failure) => {
      console.error(`packing the module failed: ${failure.message}`);
      process.exit(1);
    },
  );
});
