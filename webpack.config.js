// Three builds: the script-tag bundle, dist/rewind.js, which fetches
// dist/rewind_bg.wasm (scripts/bundle.mjs copies it there) from its own
// folder; the integrations it loads from there too, dist/rewind-sentry.js
// and dist/rewind-segment.js; and www/'s example of the npm package.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';

const root = path.dirname(fileURLToPath(import.meta.url));

// Sentry's hooks and Segment's plugin run nothing on import: where only
// the npm-only re-exports (sentryIntegration, createSegmentPlugin) would
// pull them into rewind.js, webpack leaves them out.
const integrationsAreSideEffectFree = {
  rules: [{ test: /[\\/]js[\\/](sentry|segment)\.js$/, sideEffects: false }],
};

// terser's settings for rewind.js (webpack's default is `compress: {
// passes: 2 }`). Measured on December 5's bundle, gzip -9, 142 B in all:
// - ES2020 output, with function expressions that use neither `this` nor
//   `arguments` written as arrows and object members as methods (-58 B).
//   Neither can be called with `new`: no function of rewind's is a
//   constructor but its classes, and its patches of page methods use
//   `this`, so they stay functions.
// - No joining of statements into comma sequences, and inlining only
//   functions without variables (-62 B): both leave the text more regular
//   for gzip.
// - A third pass (-22 B).
// The integrations' small files come out no smaller (+8 and -7 B), so
// they keep webpack's default.
const MINIFY = {
  javascript: {
    ecma: 2020,
    compress: { ecma: 2020, passes: 3, sequences: false, inline: 1, unsafe_arrows: true, unsafe_methods: true },
    format: { ecma: 2020 },
  },
};

const scriptTag = {
  name: 'rewind',
  mode: 'production',
  target: 'web',
  entry: { rewind: path.join(root, 'js/bundle.js') },
  output: {
    path: path.join(root, 'dist'),
    filename: '[name].js',
    clean: true,
  },
  module: integrationsAreSideEffectFree,
  plugins: [
    // The wasm and the integrations are files beside rewind.js
    // (js/parts-script.js), not webpack assets and chunks: so the bundle has
    // no chunk-loading runtime, and one scope.
    new webpack.NormalModuleReplacementPlugin(/^\.\/parts\.js$/, './parts-script.js'),
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
  optimization: { minimizeOptions: MINIFY },
  performance: { hints: false },
  devtool: false,
};

// rewind-sentry.js and rewind-segment.js: each is sentry.js or segment.js
// made into a function of `host` (js/parts-script.js's), the part of
// rewind.js it imports, registered in self.__rewindChunks for rewind.js to
// call (js/parts-script.js). They may import nothing else of rewind's
// (scripts/bundle.mjs checks): a module of rewind.js built into an
// integration too would be a second copy, with a state of its own. Built
// after rewind.js, whose build empties dist/.
const INTEGRATION_WRAPPER = ['(self.__rewindChunks=self.__rewindChunks||[]).push([', ',function(host){', '\nreturn integration}]);'];
const integrations = {
  name: 'integrations',
  dependencies: ['rewind'],
  mode: 'production',
  target: 'web',
  entry: {
    'rewind-sentry': path.join(root, 'js/sentry.js'),
    'rewind-segment': path.join(root, 'js/segment.js'),
  },
  externalsType: 'var',
  externals: { './index.js': 'host', './segment-start.js': 'host' },
  output: {
    path: path.join(root, 'dist'),
    filename: '[name].js',
    library: { type: 'var', name: 'integration' },
  },
  module: integrationsAreSideEffectFree,
  plugins: [
    // Before the minifier (the default stage), which then sees one function.
    new webpack.BannerPlugin({
      banner: ({ chunk }) => `${INTEGRATION_WRAPPER[0]}${JSON.stringify(chunk.name.replace('rewind-', ''))}${INTEGRATION_WRAPPER[1]}`,
      raw: true,
      entryOnly: true,
    }),
    new webpack.BannerPlugin({ banner: INTEGRATION_WRAPPER[2], raw: true, entryOnly: true, footer: true }),
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

export default [scriptTag, integrations, npmExample];
