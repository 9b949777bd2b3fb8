/**
 * The cost of a second factor: password-only logins against password + TOTP
 * logins (the 401 with an mfaToken, then the code), interleaved in the same
 * run on one server over a real socket, with real argon2id. Reports medians
 * and how many argon2 verifications each login cost.
 * Not a test: it prints figures for docs/BENCHMARKS.md.
 *
 *   node --import tsx bench/secondFactor.ts [rounds=40] [DATABASE_URL=sqlite:/tmp/…]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { buildApp } from '../src/app.js';
import { createAccount } from '../src/accounts/service.js';
import { ManualClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createUser } from '../src/directory/users.js';
import { PasswordHasher } from '../src/security/passwords.js';
import { openStores } from '../src/store/index.js';

const rounds = Number(process.argv[2] ?? 40);
const dir = mkdtempSync(join(tmpdir(), 'ls-mfa-bench-'));
const databaseUrl = process.argv[3] ?? `sqlite:${join(dir, 'bench.db')}`;
const config = loadConfig({
  DATABASE_URL: databaseUrl,
  LOG_LEVEL: 'silent',
  SWEEP_INTERVAL_MS: '0',
  PORT: '0',
  SERVER_TIME_ZONE: 'UTC',
  LOGIN_FAILURES_PER_MINUTE: '0',
  MFA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
});
const stores = await openStores({ databaseUrl });
const hasher = new PasswordHasher(undefined, config.hashConcurrency);
let verifications = 0;
const verify = hasher.verify.bind(hasher);
hasher.verify = async (...args: Parameters<typeof hasher.verify>) => {
  verifications++;
  return verify(...args);
};
// A clock the benchmark moves by one TOTP step per round: a code is accepted once per step.
const clock = new ManualClock(Date.now());
const accountId = String(Date.now()).slice(-9);
const password = 'correct horse battery staple';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

try {
  await createAccount(stores, clock, { accountId });
  await stores.accounts.updateAccount(accountId, { settings: { accessControl: { mfa: 'optional' } } });
  await createUser({ stores, clock, hasher }, { accountId, loginName: 'plain', password });
  const enrolled = await createUser({ stores, clock, hasher }, { accountId, loginName: 'enrolled', password });
  const { app, services } = await buildApp({ config, stores, clock, hasher });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/account/${accountId}`;
  const settings = (await stores.accounts.getAccount(accountId))!.settings as never;
  const { secret } = await services.factors.startTotp(enrolled, settings);
  const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
  clock.advance(30_000);
  await services.factors.confirmTotp(enrolled, settings, totp.generate({ timestamp: clock.now() }));

  const post = async (body: unknown) => {
    const res = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as any };
  };
  const plainMs: number[] = [];
  const mfaMs: number[] = [];
  let plainHashes = 0;
  let mfaHashes = 0;
  for (let i = 0; i < rounds + 3; i++) {
    clock.advance(30_000);
    let before = verifications;
    let t = performance.now();
    const plain = await post({ username: 'plain', password });
    const plainTime = performance.now() - t;
    if (plain.status !== 200) throw new Error(`password login: ${plain.status}`);
    const plainCost = verifications - before;

    before = verifications;
    t = performance.now();
    const first = await post({ username: 'enrolled', password });
    if (first.status !== 401 || !first.json.mfaToken) throw new Error(`first step: ${first.status}`);
    const second = await post({ mfaToken: first.json.mfaToken, otp: totp.generate({ timestamp: clock.now() }) });
    const mfaTime = performance.now() - t;
    if (second.status !== 200) throw new Error(`second step: ${second.status}`);
    // The first rounds warm up (connections, JIT, prepared statements) and are not counted.
    if (i < 3) continue;
    plainMs.push(plainTime);
    mfaMs.push(mfaTime);
    plainHashes += plainCost;
    mfaHashes += verifications - before;
  }
  await app.close();
  console.log(`${rounds} rounds, interleaved, ${stores.backend}, hash concurrency ${config.hashConcurrency}`);
  console.log(`password only:      median ${median(plainMs).toFixed(1)} ms, ${(plainHashes / rounds).toFixed(2)} argon2 verifications per login`);
  console.log(`password + TOTP:    median ${median(mfaMs).toFixed(1)} ms (two requests), ${(mfaHashes / rounds).toFixed(2)} argon2 verifications per login`);
  console.log(`second step costs:  ${(median(mfaMs) - median(plainMs)).toFixed(1)} ms more (median difference)`);
} finally {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
}
