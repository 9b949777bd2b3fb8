#!/usr/bin/env node
// Entry for the `login-service` command: runs the compiled server in dist/.
// A published package ships dist/. In a clone, `npm install` builds it (the `prepare` script);
// when it is still missing (e.g. installed with --ignore-scripts), it is built here, once.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
if (!existsSync(new URL('../dist/main.js', import.meta.url)) && existsSync(new URL('../scripts/build-if-stale.mjs', import.meta.url))) {
  // The build's output goes to standard error: standard output belongs to the command (--json).
  const build = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) {
    process.stderr.write(`login-service: dist/ is missing and building it failed; run \`npm install\` in ${root}\n`);
    process.exit(1);
  }
}
const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
