// Runs `npm run build` when a compiled file is missing or older than a source:
// `npm start` in a clone then always serves the sources as they are.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Newest modification time of the files under `dir` whose names pass `keep`; 0 when there are none. */
function newest(dir, keep = () => true) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const name of readdirSync(dir, { recursive: true })) {
    const file = join(dir, String(name));
    if (!keep(file)) continue;
    const stat = statSync(file);
    if (stat.isFile()) latest = Math.max(latest, stat.mtimeMs);
  }
  return latest;
}

// Each output directory with the sources (and build settings) it is compiled from.
const builds = [
  { out: 'dist/main.js', sources: ['src', 'tsconfig.json', 'tsconfig.build.json', 'packages/client/src'] },
  { out: 'packages/client/dist/index.js', sources: ['packages/client/src', 'packages/client/tsconfig.json'] },
  { out: 'dist/public/console/index.html', sources: ['console', 'packages/client/src', 'scripts/build-console.mjs'] },
];
const sourceTime = (path) => (existsSync(path) && statSync(path).isFile() ? statSync(path).mtimeMs : newest(path));
const stale = builds.some(({ out, sources }) => !existsSync(out) || Math.max(...sources.map(sourceTime)) > statSync(out).mtimeMs);

if (stale) {
  console.error('build: compiled files are missing or older than the sources; running npm run build');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build'], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
