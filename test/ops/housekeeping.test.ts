import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { WORKER_INDEX_ENV, startHousekeeping, sweep, sweepsInThisProcess, type SweepResult } from '../../src/housekeeping.js';
import { hashToken } from '../../src/security/tokens.js';
import { RETIRED_SIGNING_KEY_RETENTION_MS } from '../../src/oauth/model.js';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function login(server: TestServer, seed: SeededAccount, password = seed.human.password) {
  return postJson(`${server.baseUrl}/api/account/${seed.accountId}/login`, { username: seed.human.loginName, password });
}

describe('housekeeping sweep', () => {
  test('removes expired sessions, ended counters and old events, and nothing live', async () => {
    const server = await startTestServer();
    try {
      const seed = await seedAccount(server);
      const { clock, stores } = server;
      const early = await login(server, seed);
      assert.equal(early.status, 200);
      // Failed logins leave a per-address counter (1 minute window) and a per-user counter (1 day window).
      assert.equal((await login(server, seed, 'wrong password 1')).status, 401);
      const t0 = clock.now();

      // Nothing has ended yet.
      assert.deepEqual(await sweep(stores, clock.now(), 90), { sessions: 0, counters: 0, oauthGrants: 0, signingKeys: 0, events: 0, factorTickets: 0 });

      clock.advance(2 * 60_000);
      const afterMinutes = await sweep(stores, clock.now(), 90);
      assert.equal(afterMinutes.sessions, 0);
      assert.equal(afterMinutes.counters, 1, 'the per-address counter ended with its minute');

      clock.advance(7 * HOUR);
      // The bot's login: a success of the human would reset the human's failure counter.
      const late = await postJson(`${server.baseUrl}/api/account/${seed.accountId}/login`, { username: seed.bot.loginName, ...seed.bot.key });
      assert.equal(late.status, 200);
      // 8 hours after the first login: it expired (default TTL 8 h, never refreshed); the second did not.
      clock.set(t0 + 8 * HOUR + 1);
      const afterTtl = await sweep(stores, clock.now(), 90);
      assert.equal(afterTtl.sessions, 1);
      assert.equal(await stores.sessions.findSessionById(hashToken(early.json.sessionId)), null);
      assert.ok(await stores.sessions.findSessionById(hashToken(late.json.sessionId)));

      clock.set(t0 + DAY + 1);
      const afterDay = await sweep(stores, clock.now(), 90);
      assert.equal(afterDay.counters, 1, 'the per-user failure counter ended with its day');
      assert.equal(afterDay.sessions, 1, 'the second session expired 8 hours after its login');

      const events = (await stores.events.listEvents(seed.accountId)).length;
      assert.ok(events >= 3);
      clock.set(t0 + 90 * DAY - HOUR);
      assert.equal((await sweep(stores, clock.now(), 90)).events, 0, 'events younger than the retention stay');
      clock.set(t0 + 7 * HOUR + 2 * 60_000 + 90 * DAY + 1);
      const afterRetention = await sweep(stores, clock.now(), 90);
      assert.equal(afterRetention.events, events, 'every event is past its retention');
      assert.equal(await stores.sessions.countLiveSessions(clock.now()), 0);
      assert.deepEqual(await sweep(stores, clock.now(), 90), { sessions: 0, counters: 0, oauthGrants: 0, signingKeys: 0, events: 0, factorTickets: 0 }, 'a second sweep finds nothing');
    } finally {
      await server.close();
    }
  });

  test('sweeping twice at once is harmless (several workers or instances)', async () => {
    const server = await startTestServer();
    try {
      const seed = await seedAccount(server);
      for (let i = 0; i < 3; i++) assert.equal((await login(server, seed)).status, 200);
      server.clock.advance(9 * HOUR);
      const live = await login(server, seed);
      const results = await Promise.all([sweep(server.stores, server.clock.now(), 90), sweep(server.stores, server.clock.now(), 90)]);
      assert.equal(results[0]!.sessions + results[1]!.sessions, 3);
      assert.ok(await server.stores.sessions.findSessionById(hashToken(live.json.sessionId)));
    } finally {
      await server.close();
    }
  });

  test('the timer sweeps with the injected clock, and stop() waits for a sweep in progress', async () => {
    const server = await startTestServer();
    try {
      const seed = await seedAccount(server);
      assert.equal((await login(server, seed)).status, 200);
      server.clock.advance(9 * HOUR);
      const sweeps: SweepResult[] = [];
      let firstSweep: () => void = () => {};
      const swept = new Promise<void>((resolve) => (firstSweep = resolve));
      const housekeeping = startHousekeeping(server.stores, server.clock, { sweepIntervalMs: 20, eventRetentionDays: 90 }, pino({ level: 'silent' }), {
        random: () => 0.5,
        onSweep: (result) => {
          sweeps.push(result);
          firstSweep();
        },
      });
      await swept;
      await housekeeping.stop();
      const count = sweeps.length;
      assert.equal(sweeps[0]!.sessions, 1);
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal(sweeps.length, count, 'no sweep after stop()');
    } finally {
      await server.close();
    }
  });

  test('sweeps expired OAuth grants, and signing keys retired more than 25 hours ago (every token they signed has expired)', async () => {
    const server = await startTestServer();
    try {
      const { clock, stores } = server;
      const t0 = clock.now();
      const key = (kid: string, createdAt: number) => ({ kid, alg: 'RS256' as const, privateJwk: '{}', publicJwk: '{}', createdAt, retiredAt: null });
      await stores.signingKeys.addSigningKey(key('first', t0));
      await stores.signingKeys.addSigningKey(key('second', t0 + HOUR));
      await stores.signingKeys.addSigningKey(key('third', t0 + 2 * HOUR));
      await stores.oauth.revokeAccessToken('jti-1', t0 + HOUR);

      clock.set(t0 + HOUR + RETIRED_SIGNING_KEY_RETENTION_MS);
      const first = await sweep(stores, clock.now(), 90);
      assert.equal(first.signingKeys, 0, 'retired exactly 25 hours ago: kept');
      clock.advance(1);
      const second = await sweep(stores, clock.now(), 90);
      assert.equal(second.signingKeys, 1);
      assert.deepEqual((await stores.signingKeys.listSigningKeys()).map((k) => k.kid), ['third', 'second']);
      assert.equal(first.oauthGrants + second.oauthGrants, stores.backend.includes('redis') ? 0 : 1, 'the revocation mark ended');
      assert.equal(await stores.oauth.accessTokenRevoked('jti-1', clock.now()), false);
    } finally {
      await server.close();
    }
  });

  test('an interval of 0 never sweeps', async () => {
    let called = false;
    const housekeeping = startHousekeeping({} as never, { now: () => 0 }, { sweepIntervalMs: 0, eventRetentionDays: 90 }, pino({ level: 'silent' }), {
      onSweep: () => (called = true),
    });
    await housekeeping.stop();
    assert.equal(called, false);
  });

  test('in a cluster only worker 0 sweeps; a single process always does', () => {
    assert.equal(sweepsInThisProcess({}), true);
    assert.equal(sweepsInThisProcess({ [WORKER_INDEX_ENV]: '0' }), true);
    assert.equal(sweepsInThisProcess({ [WORKER_INDEX_ENV]: '1' }), false);
    assert.equal(sweepsInThisProcess({ [WORKER_INDEX_ENV]: '7' }), false);
  });
});
