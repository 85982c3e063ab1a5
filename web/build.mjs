// Builds the webmail into dist/ (doc/webmail.md): esbuild bundles
// src/main.js and src/style.css into assets/ with content hashes in their
// names (httpd caches assets/ for a year), the views besides mail as chunks
// the app imports when first shown (chunk-HASH.js), index.html names the
// entry points, and each text file gets a .gz beside it that httpd sends to
// clients taking gzip.
// The new tree is made in dist.tmp/ and renamed over dist/, so a running
// httpd serves either the old or the new version, never half of each.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const here = path.dirname(new URL(import.meta.url).pathname);
const out = path.join(here, 'dist.tmp');
const dist = path.join(here, 'dist');

fs.rmSync(out, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: { app: path.join(here, 'src/main.js'),
                 style: path.join(here, 'src/style.css') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  outdir: path.join(out, 'assets'),
  entryNames: '[name]-[hash]',
  splitting: true,
  chunkNames: 'chunk-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const names = {};
for (const file of Object.keys(result.metafile.outputs)) {
  const base = path.basename(file);
  if (base.startsWith('app-') && base.endsWith('.js')) names.js = base;
  if (base.startsWith('style-') && base.endsWith('.css')) names.css = base;
}
// the chunks the entry imports statically: preloaded with it, so that
// they do not wait for the entry to be parsed
const statics = new Set();
const walk = (file) => {
  for (const imp of result.metafile.outputs[file].imports)
    if (imp.kind === 'import-statement' && !statics.has(imp.path)) { statics.add(imp.path); walk(imp.path); }
};
walk(Object.keys(result.metafile.outputs).find((f) => path.basename(f) === names.js));
const preloads = [...statics].map((f) => `<link rel="modulepreload" href="/assets/${path.basename(f)}">\n`).join('');
const html = fs.readFileSync(path.join(here, 'src/index.html'), 'utf8')
  .replace('%APP_JS%', `/assets/${names.js}`)
  .replace('%APP_CSS%', `/assets/${names.css}`)
  .replace('</head>', `${preloads}</head>`);
fs.writeFileSync(path.join(out, 'index.html'), html);

// what the login page loads (the rest is gzipped the same way below)
const first = ['index.html', `assets/${names.js}`, `assets/${names.css}`,
  ...[...statics].map((f) => `assets/${path.basename(f)}`)];
let total = 0, totalGz = 0, chunks = 0;
for (const rel of [...first, ...fs.readdirSync(path.join(out, 'assets'))
  .filter((f) => f.startsWith('chunk-') && f.endsWith('.js')).map((f) => `assets/${f}`)]) {
  const data = fs.readFileSync(path.join(out, rel));
  const gz = zlib.gzipSync(data, { level: 9 });
  fs.writeFileSync(path.join(out, rel + '.gz'), gz);
  if (first.includes(rel)) { total += data.length; totalGz += gz.length; } else chunks += data.length;
}
for (const f of fs.readdirSync(path.join(out, 'assets')))
  if (f.endsWith('.LEGAL.txt')) {
    const data = fs.readFileSync(path.join(out, 'assets', f));
    fs.writeFileSync(path.join(out, 'assets', f + '.gz'), zlib.gzipSync(data));
  }

fs.rmSync(dist + '.old', { recursive: true, force: true });
if (fs.existsSync(dist)) fs.renameSync(dist, dist + '.old');
fs.renameSync(out, dist);
fs.rmSync(dist + '.old', { recursive: true, force: true });
console.log(`web: dist/ ${total} bytes, ${totalGz} gzipped ` +
            `(index.html, ${names.js}, ${names.css}); ${chunks} bytes of views loaded when shown`);
