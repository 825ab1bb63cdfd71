// Trunk's post_build hook (Trunk.toml): the last bytes off a release build's
// first load, in dist/'s staging directory. Development builds are left as
// they are.
//
// 1. Short import names. wasm-bindgen names each function the wasm imports
//    from its JavaScript with a hash (`__wbg_setAttribute_f2a1…`), and
//    both files carry every name: a hundred hashes gzip cannot shrink.
//    Each becomes `w0`, `w1`, … in both (3.8 KB gzip of the first load).
// 2. The JavaScript minified with terser (1.7 KB gzip): Trunk's own
//    minifier cannot parse wasm-bindgen's
//    `export { initSync, __wbg_init as default }` and leaves the file whole
//    ("Failed to minify JS" in the build log).
// 3. The integrity hashes of both files updated in index.html.
//
// Measured in BENCHMARKS.md, "First load". A name found other than once in
// the JavaScript, or a file without its hash in index.html, stops the
// build rather than ship a bundle that might not start.

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
const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

/** Replaces `before`'s integrity hash in index.html by `after`'s. */
function rehash(name, before, after) {
  const old = sri(before);
  if (!html.includes(old)) {
    throw new Error(`${name}: no integrity hash ${old} in index.html`);
  }
  html = html.replaceAll(old, sri(after));
}

const files = readdirSync(dir);
const wasmName = one(files.filter((n) => n.endsWith('_bg.wasm')), 'wasm');
const jsName = one(files.filter((n) => n.endsWith('.js')), 'JavaScript');
const wasm = readFileSync(join(dir, wasmName));
const js = readFileSync(join(dir, jsName), 'utf8');

const renamed = shortenImports(wasm, js);
const { code: minified } = await minify(renamed.js, { module: true });

rehash(wasmName, wasm, renamed.wasm);
rehash(jsName, js, minified);
writeFileSync(join(dir, wasmName), renamed.wasm);
writeFileSync(join(dir, jsName), minified);
writeFileSync(htmlPath, html);

function one(list, what) {
  if (list.length !== 1) {
    throw new Error(`expected one ${what} file in ${dir}, found ${list.length}`);
  }
  return list[0];
}

/**
 * The wasm with every function import renamed `w0`, `w1`, …, and the
 * JavaScript with the same names as keys of its imports object, where
 * wasm-bindgen writes each one once: `__wbg_…: function(`.
 */
function shortenImports(wasm, js) {
  // The wasm binary format: a header, then sections of (id, size, bytes);
  // section 2 lists the imports as (module, name, kind, description).
  let at = 8;
  const uleb = () => {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      byte = wasm[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const encode = (value) => {
    const bytes = [];
    do {
      let byte = value & 0x7f;
      value = Math.floor(value / 128);
      if (value) byte |= 0x80;
      bytes.push(byte);
    } while (value);
    return Buffer.from(bytes);
  };
  const string = (text) => Buffer.concat([encode(Buffer.byteLength(text)), Buffer.from(text)]);
  const name = () => {
    const length = uleb();
    const text = wasm.subarray(at, at + length).toString();
    at += length;
    return text;
  };
  const limits = () => {
    const flags = uleb();
    uleb();
    if (flags & 1) uleb();
  };

  const out = [wasm.subarray(0, 8)];
  let count = 0;
  while (at < wasm.length) {
    const id = wasm[at++];
    const size = uleb();
    const end = at + size;
    if (id !== 2) {
      out.push(Buffer.from([id]), encode(size), wasm.subarray(at, end));
      at = end;
      continue;
    }
    const imports = uleb();
    const parts = [encode(imports)];
    for (let i = 0; i < imports; i++) {
      const module = name();
      let field = name();
      const description = at;
      const kind = wasm[at++];
      if (kind === 0) {
        uleb(); // function: its type
        const short = `w${(count++).toString(36)}`;
        const key = new RegExp(`(?<![\\w$])${field.replaceAll('$', '\\$')}(?=\\s*:)`, 'g');
        const found = js.match(key)?.length ?? 0;
        if (found !== 1) {
          throw new Error(`import ${module} ${field}: found ${found} times in ${jsName}`);
        }
        js = js.replace(key, short);
        field = short;
      } else if (kind === 1) {
        at++; // table: element type, then limits
        limits();
      } else if (kind === 2) {
        limits(); // memory
      } else if (kind === 3) {
        at += 2; // global: value type, mutability
      } else if (kind === 4) {
        at++; // tag: attribute, then type
        uleb();
      } else {
        throw new Error(`import ${module} ${field}: unknown kind ${kind}`);
      }
      parts.push(string(module), string(field), wasm.subarray(description, at));
    }
    if (at !== end) {
      throw new Error('the import section did not end where its size says');
    }
    const body = Buffer.concat(parts);
    out.push(Buffer.from([2]), encode(body.length), body);
  }
  return { wasm: Buffer.concat(out), js };
}
