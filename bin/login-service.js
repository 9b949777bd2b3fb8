#!/usr/bin/env node
// Entry for the `login-service` command: runs the compiled server in dist/.
// In a clone, `npm install` (or `npm run build`) compiles it; `npm start` rebuilds when sources changed.
const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
