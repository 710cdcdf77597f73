// Runs webpack with webpack.config.js through webpack's Node API (no CLI
// package needed).
import webpack from 'webpack';
import config from '../webpack.config.js';

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
});
