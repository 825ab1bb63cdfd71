// Trunk's post_build hook (Trunk.toml): minifies the wasm-bindgen JavaScript
// of a release build with terser and updates its integrity hash in
// index.html. Development builds are left as they are.
//
// Why: Trunk's own minifier (minify-js) cannot parse wasm-bindgen's
// `export { initSync, __wbg_init as default }` and leaves the file whole
// ("Failed to minify JS" in the build log); minified, it is 1.7 KB gzip
// less of the first load (BENCHMARKS.md, "First load").

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

if (process.env.TRUNK_PROFILE !== 'release') {
  process.exit(0);
}
// Imported here, not above: a development build needs no terser.
const { minify } = await import('terser');

const dir = process.env.TRUNK_STAGING_DIR;
const htmlPath = join(dir, 'index.html');
let html = readFileSync(htmlPath, 'utf8');
const sri = (text) => `sha384-${createHash('sha384').update(text).digest('base64')}`;

for (const name of readdirSync(dir).filter((n) => n.endsWith('.js'))) {
  const path = join(dir, name);
  const code = readFileSync(path, 'utf8');
  // An ES module: its top-level names may be shortened, its exports stay.
  const { code: minified } = await minify(code, { module: true });
  const before = sri(code);
  // Trunk lists every module it preloads with its hash: a file missing
  // there would load without its integrity check, so stop instead.
  if (!html.includes(before)) {
    throw new Error(`${name}: no integrity hash ${before} in index.html`);
  }
  html = html.replaceAll(before, sri(minified));
  writeFileSync(path, minified);
}

writeFileSync(htmlPath, html);
