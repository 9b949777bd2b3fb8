#!/usr/bin/env node
// Entry for the `login-service` command. Sources are TypeScript run through tsx,
// so no build step stands between `npm install` and a running server.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
