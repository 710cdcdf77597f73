// Runs webpack from the tests (an app's own bundle of rewind's npm package
// with Sentry or Segment), failing with webpack's own error text.
import webpack from 'webpack';

/** Options every test bundle shares: quick to build, readable, never downloaded by anyone. */
export const TEST_BUNDLE_OPTIONS = {
  mode: 'production',
  target: 'web',
  optimization: { minimize: false },
  performance: { hints: false },
  devtool: false,
};

/** Builds `configs` (one webpack configuration or a list); resolves when done. */
export function runWebpack(configs) {
  return new Promise((resolve, reject) => {
    webpack(configs, (error, stats) => {
      if (error) reject(error);
      else if (stats.hasErrors()) reject(new Error(stats.toString({ all: false, errors: true, colors: false })));
      else resolve();
    });
  });
}
