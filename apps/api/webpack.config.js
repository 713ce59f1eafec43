// Builds the service into dist/apps/api/main.js (with its publisher thread, publisher.js) and the rebuild tool into rebuild.js: ts-loader (keeps decorator metadata, unlike
// esbuild), the @sroi/* libraries bundled from source, every package of node_modules left to
// require() at run time (Node >= 20.19 loads the ESM-only NestJS 12 packages that way).
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const tsconfig = path.join(__dirname, 'tsconfig.build.json');
const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));

/** The tsconfig path aliases (@sroi/domain, @sroi/event-store), bundled from source. */
const alias = Object.fromEntries(Object.entries(compilerOptions.paths).map(([name, [target]]) => [`${name}$`, path.join(root, target)]));

/** A bare specifier that is not one of our path aliases is a package: leave it to Node. */
function externals({ request }, callback) {
  if (request && !request.startsWith('.') && !path.isAbsolute(request) && !request.startsWith('@sroi/')) {
    return callback(null, `commonjs ${request}`);
  }
  return callback();
}

module.exports = {
  mode: 'production',
  target: 'node20',
  context: root,
  // rebuild.js: `npm run rebuild`; publisher.js: the integration publisher's worker thread.
  entry: {
    main: path.join(__dirname, 'src/main.ts'),
    rebuild: path.join(__dirname, 'src/projections/rebuild.main.ts'),
    publisher: path.join(__dirname, 'src/integration/publisher/publisher-thread.main.ts'),
  },
  output: { path: path.join(root, 'dist/apps/api'), filename: '[name].js', clean: true },
  devtool: 'source-map',
  externalsPresets: { node: true },
  externals: [externals],
  optimization: { minimize: false },
  resolve: {
    extensions: ['.ts', '.js'],
    alias,
  },
  module: {
    rules: [{ test: /\.ts$/, loader: 'ts-loader', exclude: /node_modules/, options: { configFile: tsconfig, transpileOnly: true } }],
  },
  node: { __dirname: false, __filename: false },
  performance: { hints: false },
  stats: 'errors-warnings',
};
