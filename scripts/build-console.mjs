// Builds the administrators' web console (console/) into dist/public/console/:
// one script and one style sheet, bundled and minified by esbuild, named by a
// hash of their content (so they can be cached for good), precompressed (gzip
// and brotli, served by @fastify/static), and the page that loads them.
// Run by `npm run build`; tests call buildConsole() when the output is missing.
import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CONSOLE_OUT = join(root, 'dist', 'public', 'console');

/** Builds the console; returns each served file with its raw and gzipped size in bytes. */
export async function buildConsole({ outDir = CONSOLE_OUT } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  const assets = join(outDir, 'assets');
  const result = await build({
    absWorkingDir: root,
    entryPoints: { console: 'console/src/main.ts', styles: 'console/styles.css' },
    outdir: assets,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'none',
    metafile: true,
    write: true,
    logLevel: 'warning',
    // Its paths resolve @login-service/client to the workspace's sources: no client build needed first.
    tsconfig: 'console/tsconfig.json',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => join(root, file));
  const script = outputs.find((f) => f.endsWith('.js'));
  const styles = outputs.find((f) => f.endsWith('.css'));
  if (!script || !styles) throw new Error('console build: esbuild produced no script or no style sheet');
  const url = (file) => `/console/${relative(outDir, file).split('\\').join('/')}`;
  const page = readFileSync(join(root, 'console', 'index.html'), 'utf8').replace('%SCRIPT%', url(script)).replace('%STYLES%', url(styles));
  writeFileSync(join(outDir, 'index.html'), page);
  copyFileSync(join(root, 'console', 'favicon.svg'), join(outDir, 'favicon.svg'));

  const files = [join(outDir, 'index.html'), script, styles, join(outDir, 'favicon.svg')];
  const sizes = [];
  for (const file of files) {
    const content = readFileSync(file);
    const gzipped = gzipSync(content, { level: 9 });
    writeFileSync(`${file}.gz`, gzipped);
    writeFileSync(`${file}.br`, brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
    sizes.push({ file: relative(outDir, file), bytes: content.length, gzipBytes: gzipped.length });
  }
  writeFileSync(`${outDir}.build.json`, JSON.stringify({ sources: sourcesDigest(), files: sizes }, null, 2) + '\n');
  return sizes;
}

/** A digest of the console's sources (and the client library it bundles), so a stale build can be told from a current one. */
export function sourcesDigest() {
  const hash = createHash('sha256');
  for (const file of sourceFiles()) hash.update(file).update(readFileSync(join(root, file)));
  return hash.digest('hex');
}

/** The server's modules the console bundles (the table of account settings and what it imports). */
const SHARED_SOURCES = [join('src', 'accounts', 'settings.ts'), join('src', 'errors.ts')];

function sourceFiles() {
  return ['console', join('packages', 'client', 'src')]
    .flatMap((dir) => readdirSync(join(root, dir), { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)))
    .concat(SHARED_SOURCES)
    .sort();
}

if (process.argv[1] && basename(process.argv[1]) === 'build-console.mjs') {
  const sizes = await buildConsole();
  for (const { file, bytes, gzipBytes } of sizes) console.log(`console: ${file.padEnd(36)} ${String(bytes).padStart(7)} B  ${String(gzipBytes).padStart(6)} B gzipped`);
}
