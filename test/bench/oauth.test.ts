/**
 * The OAuth benchmark's servers work: oidc-provider, the bare signing route
 * and our server with an installation each issue client-credentials tokens
 * to the load generator, and our tokens pass the client package's local
 * check. Runs a fraction of a second of load; asserts that tokens were
 * issued, never how fast.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJwtVerifier } from '@login-service/client';
import { throughput, type NextRequest } from '../../bench/lib/load.js';
import { benchFile, startChild, type BenchChild } from '../../bench/lib/processes.js';

const ACCOUNT = '123456';
const SCOPE = 'users.read';

const tokenRequest = (path: string, id: string, secret: string) => (): NextRequest => ({
  method: 'POST',
  path,
  headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
  body: `grant_type=client_credentials&scope=${SCOPE}`,
});

async function issue(port: number, next: NextRequest): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${next.path}`, { method: next.method, headers: next.headers, body: next.body });
  const body = (await res.json()) as { access_token?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.access_token!;
}

const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());

describe('OAuth benchmark servers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'login-service-oauth-bench-test-'));
  let provider: BenchChild;
  let ceiling: BenchChild;
  let ours: BenchChild;

  before(async () => {
    [provider, ceiling, ours] = await Promise.all([
      startChild('oidc-provider', benchFile('servers/oidc-provider.ts'), { alg: 'ES256', accountId: ACCOUNT, clientId: 'bench', clientSecret: 'secret', scope: SCOPE }),
      startChild('sign-ceiling', benchFile('servers/sign-ceiling.ts'), { alg: 'RS256', accountId: ACCOUNT, scope: SCOPE }),
      startChild('login-service', benchFile('servers/login-service.ts'), {
        dbPath: join(dir, 'store.db'), accountId: ACCOUNT, runSeed: randomBytes(8).toString('hex'), users: 1, password: 'correct horse battery staple', sessions: 0, oauth: { scope: SCOPE, alg: 'RS256' },
      }),
    ]);
  });
  after(async () => {
    await Promise.all([provider?.stop(), ceiling?.stop(), ours?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('oidc-provider and the bare route issue JWT access tokens of the configured algorithm to the load generator', async () => {
    for (const [server, alg] of [[provider, 'ES256'], [ceiling, 'RS256']] as const) {
      const next = tokenRequest('/token', 'bench', 'secret');
      const token = await issue(server.port, next());
      assert.equal(header(token).alg, alg);
      assert.equal(header(token).typ, 'at+jwt');
      assert.equal(claims(token).aud, ACCOUNT);
      assert.equal(claims(token).scope, SCOPE);
      const load = await throughput({ port: server.port, connections: 2, seconds: 0.3, next });
      assert.ok(load.ok > 0, `${server.name} answered`);
      assert.equal(load.failed, 0);
    }
  });

  test("our server's installation gets tokens that pass the client package's local check", async () => {
    const { clientId, clientSecret } = ours.ready.oauth as { clientId: string; clientSecret: string };
    const next = tokenRequest(`/sentinel/api/account/${ACCOUNT}/app/token?v=1.0`, clientId, clientSecret);
    const token = await issue(ours.port, next());
    const discovery = (await (await fetch(`http://127.0.0.1:${ours.port}/sentinel/api/account/${ACCOUNT}/.well-known/openid-configuration`)).json()) as { issuer: string };
    const verifier = createJwtVerifier({ issuer: discovery.issuer, jwksUrl: `http://127.0.0.1:${ours.port}/sentinel/api/account/${ACCOUNT}/jwks` });
    assert.equal((await verifier.verify(token))?.clientId, clientId);
    const load = await throughput({ port: ours.port, connections: 2, seconds: 0.3, next });
    assert.ok(load.ok > 0);
    assert.equal(load.failed, 0);
  });
});
