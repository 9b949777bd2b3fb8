import { after, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { storeContract } from './contract.js';

storeContract('SQLite in memory', async () => openSqliteStores(':memory:'));

let dir = '';
let files = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'login-service-store-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

storeContract('SQLite file', async () => openSqliteStores(join(dir, `stores-${++files}.db`)));
