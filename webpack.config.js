// Two builds: the script-tag bundle, dist/rewind.js plus dist/rewind_bg.wasm,
// which the bundle fetches from its own folder (publicPath 'auto' resolves
// against the bundle's own <script src>).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

const scriptTag = {
  mode: 'production',
  target: 'web',
  entry: { rewind: path.join(root, 'js/bundle.js') },
  output: {
    path: path.join(root, 'dist'),
    filename: '[name].js',
    publicPath: 'auto',
    // A stable name, so a CSP or a CDN rule can name the wasm file.
    assetModuleFilename: '[name][ext]',
    // The Sentry chunk registers through this global; named
    // so no webpack build of the host page shares it.
    chunkLoadingGlobal: '__rewindChunks',
    clean: true,
  },
  module: {
    // Sentry's hooks and Segment's plugin run nothing on import: where only
    // the npm-only re-exports (sentryIntegration, createSegmentPlugin)
    // would pull them in, webpack may leave them to the chunks start()
    // loads on demand.
    rules: [{ test: /[\\/]js[\\/](sentry|segment)\.js$/, sideEffects: false }],
  },
  performance: { hints: false },
  devtool: false,
};

// www/'s example of the npm usage: `import … from 'rewind'`, bundled the
// way a web team's own webpack 5 build would bundle it.
const npmExample = {
  mode: 'production',
  target: 'web',
  entry: { 'npm-demo': path.join(root, 'www/npm/main.js') },
  resolve: { alias: { rewind: path.join(root, 'pkg') } },
  output: {
    path: path.join(root, 'www/dist'),
    filename: '[name].js',
    publicPath: 'auto',
    assetModuleFilename: '[name][ext]',
    clean: true,
  },
  performance: { hints: false },
  devtool: false,
};

export default [scriptTag, npmExample];
