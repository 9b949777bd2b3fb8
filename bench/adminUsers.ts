/**
 * The administration API with a large account: lists 10,000 users over HTTP
 * (a real socket, JSON serialized by the route's schema) and reports the time
 * of each listing; then creates users over HTTP, whose time is argon2's.
 * Not a test: it prints figures for docs/BENCHMARKS.md.
 *
 *   node --import tsx bench/adminUsers.ts [users=10000] [rounds=10] [DATABASE_URL=sqlite:/tmp/…]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { createAccount } from '../src/accounts/service.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { PasswordHasher } from '../src/security/passwords.js';
import { openStores } from '../src/store/index.js';
import { randomDigits, randomUuid } from '../src/security/tokens.js';
import { createUser } from '../src/directory/users.js';
import type { User } from '../src/directory/model.js';

const count = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'ls-admin-bench-'));
const databaseUrl = process.argv[4] ?? `sqlite:${join(dir, 'bench.db')}`;
const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', SWEEP_INTERVAL_MS: '0', PORT: '0', SERVER_TIME_ZONE: 'UTC' });
const stores = await openStores({ databaseUrl });
const hasher = new PasswordHasher(undefined, config.hashConcurrency);
const accountId = String(Date.now()).slice(-9);
const password = 'correct horse battery staple';

try {
  await createAccount(stores, systemClock, { accountId });
  const admin = await createUser({ stores, clock: systemClock, hasher }, { accountId, loginName: 'admin', password, isAdmin: true });
  // Seeded through the store in batches with one hash: argon2 would make seeding take minutes, and listing never hashes.
  const now = Date.now();
  for (let start = 0; start < count; start += 1000) {
    const batch: User[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      batch.push({
        ...admin, userId: randomDigits(12), userPid: randomUuid(), loginName: `agent.${String(i).padStart(6, '0')}`, fullName: `Agent ${i}`,
        email: `agent${i}@example.com`, profileIds: [2], skillIds: [1, 2, 3], memberOf: { agentGroupId: -1, assignmentDate: now }, createdAt: now, updatedAt: now,
      });
    }
    await stores.users.writeUsers(accountId, { create: batch });
  }

  const { app } = await buildApp({ config, stores, hasher });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/account/${accountId}`;
  try {
    const login = await (await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) })).json();
    const auth = { authorization: `Bearer ${login.bearer}` };
    const times: number[] = [];
    let bytes = 0;
    let items = 0;
    for (let round = 0; round <= rounds; round++) {
      const started = performance.now();
      const res = await fetch(`${base}/configuration/le-users/users`, { headers: auth });
      const body = await res.text();
      const ms = performance.now() - started;
      if (res.status !== 200) throw new Error(`listing answered ${res.status}: ${body.slice(0, 200)}`);
      if (round > 0) times.push(ms); // the first warms the JIT and the page cache
      bytes = body.length;
      items = (JSON.parse(body) as unknown[]).length;
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(`backend ${stores.backend}: GET users, ${items} users, ${(bytes / 1e6).toFixed(1)} MB: median ${median.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms, max ${times[times.length - 1]!.toFixed(0)} ms (${rounds} rounds)`);

    const selected = performance.now();
    await (await fetch(`${base}/configuration/le-users/users?select=loginName`, { headers: auth })).text();
    console.log(`GET users?select=loginName: ${(performance.now() - selected).toFixed(0)} ms`);

    const batch = Array.from({ length: 20 }, (_, i) => ({ loginName: `new.${i}`, password: `${password} ${i}` }));
    const created = performance.now();
    const res = await fetch(`${base}/configuration/le-users/users`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(batch) });
    if (res.status !== 201) throw new Error(`creating answered ${res.status}`);
    const createMs = performance.now() - created;
    const hashStarted = performance.now();
    await Promise.all(batch.map((u) => hasher.hash(u.password)));
    const hashMs = performance.now() - hashStarted;
    console.log(`POST 20 users: ${createMs.toFixed(0)} ms; hashing their 20 passwords alone: ${hashMs.toFixed(0)} ms`);
  } finally {
    await app.close();
  }
} finally {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
}
