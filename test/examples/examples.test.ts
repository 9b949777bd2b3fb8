import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildProtectedService } from '../../examples/protected-service.js';
import { LoginServiceClient } from '@login-service/client';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';

const LIMIT = { timeout: 30_000 };

interface Script {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout has a line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
  exited: Promise<number | null>;
}

/** Runs an example as its own process, as a user would, with only the given environment (plus PATH). */
function runScript(file: string, env: Record<string, string>): Script {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stdout!.on('data', (chunk) => {
    out += chunk;
    for (const w of waiters.filter((w) => w.pattern.test(out))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  child.stderr!.on('data', (chunk) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(out)) return resolve();
        waiters.push({ pattern, resolve });
        void exited.then((code) => reject(new Error(`exited with ${code} before ${pattern}: ${out}${err}`)));
      }),
  };
}

describe('examples', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  const children: ChildProcess[] = [];

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server.close();
  });

  const script = (file: string, env: Record<string, string>) => {
    const s = runScript(file, env);
    children.push(s.child);
    return s;
  };
  const botSessions = () => server.stores.sessions.listSessions(seeded.accountId, server.clock.now(), seeded.bot.user.userId);
  const botEnv = () => ({
    ACCOUNT_ID: seeded.accountId,
    PROTOCOL: 'http',
    USERNAME: seeded.bot.loginName,
    APP_KEY: seeded.bot.key.appKey,
    SECRET: seeded.bot.key.secret,
    ACCESS_TOKEN: seeded.bot.key.accessToken,
    ACCESS_TOKEN_SECRET: seeded.bot.key.accessTokenSecret,
  });

  describe('user-login.ts', () => {
    test('prints csrf and the Session_id cookie, which refresh accepts', LIMIT, async () => {
      const run = script('examples/user-login.ts', {
        ACCOUNT_ID: seeded.accountId,
        DOMAIN: `127.0.0.1:${server.port}`,
        PROTOCOL: 'http',
        USERNAME: seeded.human.loginName,
        PASSWORD: seeded.human.password,
      });
      assert.equal(await run.exited, 0, run.stderr());
      const csrf = /^csrf=([0-9a-f]{64})$/m.exec(run.stdout())?.[1];
      const sessionId = /^Session ID cookie=\{'Session_id': '([0-9a-f]{64})'\}$/m.exec(run.stdout())?.[1];
      assert.ok(csrf && sessionId, run.stdout());
      const refresh = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/refresh?v=1.3`, { csrf }, { cookie: `Session_id=${sessionId}` });
      assert.equal(refresh.status, 200);
    });

    test('a wrong password exits 1 with the error code', LIMIT, async () => {
      const run = script('examples/user-login.ts', {
        ACCOUNT_ID: seeded.accountId,
        DOMAIN: `127.0.0.1:${server.port}`,
        PROTOCOL: 'http',
        USERNAME: seeded.human.loginName,
        PASSWORD: 'wrong password',
      });
      assert.equal(await run.exited, 1);
      assert.match(run.stderr(), /HTTP 401, internalCode 20/);
      assert.equal(run.stdout(), '');
    });

    test('missing settings exit 2 naming them', LIMIT, async () => {
      const run = script('examples/user-login.ts', { ACCOUNT_ID: seeded.accountId });
      assert.equal(await run.exited, 2);
      assert.match(run.stderr(), /DOMAIN is required/);
    });
  });

  describe('bot-keepalive.ts', () => {
    test('logs in, refreshes, and logs out on SIGINT', LIMIT, async () => {
      const run = script('examples/bot-keepalive.ts', { ...botEnv(), DOMAIN: `127.0.0.1:${server.port}`, KEEPALIVE_INTERVAL_MS: '20' });
      await run.waitFor(/logged in as bot-1/);
      await run.waitFor(/session refreshed/);
      assert.equal((await botSessions()).length, 1);
      run.child.kill('SIGINT');
      assert.equal(await run.exited, 0, run.stdout() + run.stderr());
      assert.match(run.stdout(), /stopping \(SIGINT\)/);
      assert.match(run.stdout(), /logged out/);
      assert.equal((await botSessions()).length, 0);
      assert.doesNotMatch(run.stdout(), new RegExp(seeded.bot.key.secret), 'no secret in the output');
    });

    test('finds the service through CSDS_DOMAIN and stops after DURATION_MS', LIMIT, async () => {
      await server.stores.accounts.setServiceBaseURI(seeded.accountId, 'agentVep', `127.0.0.1:${server.port}`);
      const run = script('examples/bot-keepalive.ts', { ...botEnv(), CSDS_DOMAIN: `127.0.0.1:${server.port}`, DURATION_MS: '1' });
      assert.equal(await run.exited, 0, run.stdout() + run.stderr());
      assert.match(run.stdout(), /logged in as bot-1/);
      assert.match(run.stdout(), /stopping \(ran 1 ms\)/);
      assert.match(run.stdout(), /logged out/);
      assert.equal((await botSessions()).length, 0);
    });

    test('refused credentials exit 1', LIMIT, async () => {
      const run = script('examples/bot-keepalive.ts', { ...botEnv(), DOMAIN: `127.0.0.1:${server.port}`, SECRET: 'wrong' });
      assert.equal(await run.exited, 1);
      assert.match(run.stdout(), /login failed: HTTP 401, internalCode 20/);
    });
  });

  describe('protected-service.ts', () => {
    let service: FastifyInstance;
    let url: string;
    before(async () => {
      service = await buildProtectedService({ loginServiceUrl: server.baseUrl, accountId: seeded.accountId });
      await service.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(service.server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await service.close();
    });

    test('/whoami answers the caller’s session for a live bearer', async () => {
      const client = new LoginServiceClient({ accountId: seeded.accountId, domain: `127.0.0.1:${server.port}`, protocol: 'http' });
      await client.login({ username: seeded.human.loginName, password: seeded.human.password });
      const res = await fetch(`${url}/whoami`, { headers: { authorization: `Bearer ${client.bearer}` } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        accountId: seeded.accountId,
        userId: seeded.human.user.userId,
        loginName: 'Agent.Smith',
        privileges: [100, 101, 1730],
        isAdmin: true,
        kind: 'agent',
      });
      await client.logout();
    });

    test('without a bearer: 401 in the error shape; /healthz stays open', async () => {
      const res = await fetch(`${url}/whoami`);
      assert.equal(res.status, 401);
      const body = (await res.json()) as any;
      assert.equal(body.error.internalCode, 23);
      assert.equal(body.error.responseStatus, 'UNAUTHORIZED');
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
    });
  });
});
