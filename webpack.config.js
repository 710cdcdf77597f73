// Two builds: the script-tag bundle, dist/rewind.js plus dist/rewind_bg.wasm,
// which the bundle fetches from its own folder (publicPath 'auto' resolves
// against the bundle's own <script src>).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';

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
  plugins: [
    // V8's explicit compile hint (Chrome 136 and later; to other engines it is
    // a comment): compile every function of the bundle while the script
    // streams in, on a background thread, instead of each on its first
    // call on the main thread. Nearly all of rewind.js runs in the first
    // seconds (the loader, the bindings, the courier), so little is
    // compiled for nothing. Measured cold on bench/page.html, 12 fresh
    // profiles each: the load phase 57 -> 45 ms of main-thread task time,
    // load + start + 1k snapshot + stop 218 -> 162 ms. It must be the
    // file's first line, so it is added after the minifier has run.
    new webpack.BannerPlugin({
      banner: '//# allFunctionsCalledOnLoad',
      raw: true,
      entryOnly: true,
      stage: webpack.Compilation.PROCESS_ASSETS_STAGE_REPORT,
    }),
  ],
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
