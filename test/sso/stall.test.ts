/**
 * A crafted SSO login must not stall the server: the checks of an assertion
 * run on the event loop, so each is bounded in size, depth and nodes before
 * any parse. While whitespace-padded and deeply nested or very wide
 * assertions are in flight, over a real socket, /healthz keeps answering.
 * (A behaviour bound, generous for a loaded machine: a stall is seconds.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { postJson, seedAccount, startTestServer } from '../helpers/server.js';
import { setSsoConfig } from '../../src/sso/admin.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { createTestDatabase } from '../store/postgresDatabase.js';
import { base64, makeIdp, SAML } from './idp.js';

const HEALTHZ_BOUND_MS = 300;

const open = `<saml:Assertion xmlns:saml="${SAML}" ID="_crafted">`;
const close = '</saml:Assertion>';
/** 65,000 spaces and one character that is not base64: quadratic for a pattern that backtracks over whitespace. */
const padded = `${' '.repeat(65_000)}!`;
/** About 46 KiB each, under the size limit. */
const deep = base64(open + '<a>'.repeat(6_000) + '</a>'.repeat(6_000) + close);
const wide = base64(open + '<a/>'.repeat(11_000) + close);

describe('crafted SSO assertions do not stall the server', () => {
  const backends: Array<{ name: string; open(): Promise<{ stores: Stores; cleanup(): Promise<void> }> }> = [
    {
      name: 'sqlite',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'sso-stall-'));
        const stores = await openStores({ databaseUrl: `sqlite:${join(dir, 'store.db')}` });
        return { stores, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
  ];
  if (process.env.TEST_DATABASE_URL) {
    backends.push({
      name: 'postgres',
      async open() {
        const db = await createTestDatabase(process.env.TEST_DATABASE_URL!);
        return { stores: await openStores({ databaseUrl: db.url }), cleanup: () => db.drop() };
      },
    });
  }

  for (const backend of backends) {
    test(`${backend.name}: /healthz answers within ${HEALTHZ_BOUND_MS} ms of its time beside ordinary logins while they are checked`, async (t) => {
      const { stores, cleanup } = await backend.open();
      // Enough failures per address for every crafted login to reach the assertion check.
      const server = await startTestServer({ stores, env: { LOGIN_FAILURES_PER_MINUTE: '1000' } });
      try {
        const idp = await makeIdp();
        const seeded = await seedAccount(server);
        await setSsoConfig(server.stores, seeded.accountId, { idpIssuer: idp.issuer, idpCerts: [idp.cert] });
        const loginUrl = `${server.baseUrl}/api/account/${seeded.accountId}/login`;
        const healthz = async () => {
          const started = performance.now();
          const res = await fetch(`${server.baseUrl}/healthz`);
          await res.arrayBuffer();
          assert.equal(res.status, 200);
          return performance.now() - started;
        };
        // Slowest /healthz while these logins are in flight.
        const slowestWhile = async (assertions: string[]) => {
          let settled = false;
          const logins = Promise.all(assertions.map((assertion) => postJson(loginUrl, { jwt: 'x', assertion })));
          void logins.finally(() => (settled = true)).catch(() => {});
          const latencies: number[] = [];
          do latencies.push(await healthz());
          while (!settled);
          return { slowest: Math.max(...latencies), answers: await logins };
        };
        // Ordinary refused logins: a first round warms the login path up (compiling, first writes),
        // a second measures what eight logins cost on this machine right now.
        await slowestWhile(Array(8).fill('AAAA'));
        const baseline = await slowestWhile(Array(8).fill('AAAA'));
        const crafted = await slowestWhile([padded, padded, deep, deep, deep, wide, wide, wide]);
        t.diagnostic(`slowest /healthz: ${crafted.slowest.toFixed(1)} ms with crafted assertions, ${baseline.slowest.toFixed(1)} ms with ordinary ones`);

        assert.deepEqual(crafted.answers.map((a) => a.status), Array(8).fill(401), 'every crafted login reached the check and was refused');
        const reasons = (await server.stores.events.listEvents(seeded.accountId, { limit: 8 })).map((e) => e.detail.reason).sort();
        assert.deepEqual(reasons, ['not_base64', 'not_base64', 'too_deep', 'too_deep', 'too_deep', 'too_many_nodes', 'too_many_nodes', 'too_many_nodes']);
        // What the crafted documents add: a stall was seconds. On a machine busy with other work the
        // ordinary logins themselves can take a few hundred ms, which is not what this test is about.
        assert.ok(crafted.slowest < HEALTHZ_BOUND_MS + baseline.slowest, `slowest /healthz took ${crafted.slowest.toFixed(0)} ms`);
      } finally {
        await server.close();
        await stores.close();
        await cleanup();
      }
    });
  }
});
