import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { postJson, seedAccount, type SeededAccount } from '../helpers/server.js';
import type { FastifyInstance } from 'fastify';

/** A pino destination that keeps every line in memory. */
class CapturedLog {
  lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  get text(): string {
    return this.lines.join('');
  }
}

describe('secrets never reach the logs, even at debug level', () => {
  const log = new CapturedLog();
  let app: FastifyInstance;
  let stores: Stores;
  let baseUrl: string;
  let seeded: SeededAccount;
  /** Flipped by a test to make the store fail like a lost database connection. */
  let storeBroken = false;
  const secrets: string[] = [];

  before(async () => {
    const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'debug', SWEEP_INTERVAL_MS: '0', SERVER_TIME_ZONE: 'UTC' });
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
    stores = await openStores({ databaseUrl: config.databaseUrl });
    const sessions = new Proxy(stores.sessions, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (storeBroken) throw new Error('connection to the session store was lost');
          return value.apply(target, args);
        };
      },
    });
    const built = await buildApp({ config, stores: { ...stores, sessions }, clock, logger: createLogger('debug', log) });
    app = built.app;
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    seeded = await seedAccount({ stores, services: built.services });
  });
  after(async () => {
    await app.close();
    await stores.close();
  });

  test('login, refresh, password change, bearer check, logout, bad requests and a 500 leave no secret in the output', async () => {
    const base = `${baseUrl}/api/account/${seeded.accountId}`;
    const { human, bot } = seeded;
    const wrongPassword = 'Wrong-Password-7f3a9c';
    const newPassword = 'New-Passphrase-51d2e8';
    const malformedPassword = 'Malformed-Body-Password-0b44';
    const formPassword = 'Form-Body-Password-93ac';
    const queryPassword = 'Query-String-Password-2e71';
    secrets.push(human.password, wrongPassword, newPassword, malformedPassword, formPassword, queryPassword, bot.key.secret, bot.key.accessToken, bot.key.accessTokenSecret);

    const login = await postJson(`${base}/login`, { username: human.loginName, password: human.password });
    assert.equal(login.status, 200);
    const { csrf, bearer, sessionId } = login.json;
    secrets.push(csrf, bearer, sessionId);
    const cookie = { cookie: `Session_id=${sessionId}` };

    const botLogin = await postJson(`${base}/login`, { username: bot.loginName, ...bot.key });
    secrets.push(botLogin.json.csrf, botLogin.json.bearer, botLogin.json.sessionId);

    assert.equal((await postJson(`${base}/login`, { username: human.loginName, password: wrongPassword })).status, 401);
    assert.equal((await postJson(`${base}/login`, `{"username": "${human.loginName}", "password": "${malformedPassword}`)).status, 400);
    assert.equal((await postJson(`${base}/login`, `{"username": "${human.loginName}", "password": "${malformedPassword}"}}`)).status, 400);
    // Unquoted, the password is what the JSON parser quotes back in its error message.
    assert.equal((await postJson(`${base}/login`, `{"username": "${human.loginName}", "password": ${malformedPassword}}`)).status, 400);
    assert.equal((await fetch(`${base}/login`, { method: 'POST', body: `${malformedPassword}` })).status, 400);
    const form = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `username=${encodeURIComponent(human.loginName)}&password=${formPassword}`,
    });
    assert.equal(form.status, 401);
    assert.equal((await postJson(`${base}/login?v=9&password=${queryPassword}`, { username: human.loginName, password: human.password })).status, 400);
    assert.equal((await postJson(`${base}/refresh`, { csrf }, cookie)).status, 200);
    assert.equal((await postJson(`${base}/refresh`, { csrf: 'x' }, cookie)).status, 401);
    assert.equal((await postJson(`${base}/password`, { oldPassword: human.password, newPassword }, { ...cookie, 'x-csrf-token': csrf })).status, 200);
    const check = await fetch(`${base}/session`, { headers: { authorization: `Bearer ${bearer}` } });
    assert.equal(check.status, 200);
    const badCheck = await fetch(`${base}/session`, { headers: { authorization: `Bearer ${bearer.slice(0, 60)}zzzz` } });
    assert.equal(badCheck.status, 401);
    const notFound = await fetch(`${baseUrl}/api/account/${seeded.accountId}/nope?token=${bearer}`, { headers: { cookie: cookie.cookie } });
    assert.equal(notFound.status, 404);

    storeBroken = true;
    try {
      const broken = await fetch(`${base}/session`, { headers: { authorization: `Bearer ${bearer}`, cookie: cookie.cookie } });
      assert.equal(broken.status, 500);
      const body = (await broken.json()) as any;
      assert.equal(body.error.internalCode, 50);
      assert.equal(body.error.message, 'Internal server error', 'the cause stays in the log, not in the answer');
      const brokenRefresh = await postJson(`${base}/refresh`, { csrf }, cookie);
      assert.equal(brokenRefresh.status, 500);
    } finally {
      storeBroken = false;
    }
    assert.equal((await postJson(`${base}/logout`, { csrf }, cookie)).status, 200);

    const output = log.text;
    // The log did see these requests: redaction, not silence.
    assert.match(output, /request completed/);
    assert.match(output, /request failed/);
    assert.match(output, /connection to the session store was lost/);
    assert.match(output, /"level":20/);
    for (const secret of secrets) {
      assert.ok(!output.includes(secret), `the log holds a secret (${secret.slice(0, 6)}…)`);
    }
  });

  test('the logger redacts secrets whatever the caller passed it', () => {
    const direct = new CapturedLog();
    const logger = createLogger('trace', direct);
    logger.info(
      {
        password: 'p1-secret',
        body: { password: 'p2-secret', newPassword: 'p3-secret' },
        credentials: { secret: 's1-secret', accessToken: 't1-secret', accessTokenSecret: 't2-secret' },
        req: { headers: { authorization: 'Bearer b1-secret', cookie: 'Session_id=c1-secret', 'x-csrf-token': 'x1-secret' } },
        res: { headers: { 'set-cookie': 'Session_id=c2-secret' } },
        session: { csrf: 'x2-secret', bearer: 'b2-secret', sessionId: 'c3-secret' },
        mfaToken: 'm1-secret',
        secondStep: { mfaToken: 'm2-secret', otp: 'o1-secret', recoveryCode: 'r1-secret' },
        enrolment: { enrollToken: 'e1-secret', secret: 's2-secret', otpauthUri: 'otpauth://totp/u1-secret', recoveryCodes: ['r2-secret'] },
      },
      'everything at once',
    );
    let parseError: Error | undefined;
    try {
      JSON.parse('{"password": p4-secret}');
    } catch (e) {
      parseError = e as Error;
    }
    assert.match(parseError!.message, /p4-secret/, 'V8 quotes the input back');
    logger.debug({ err: parseError, message: parseError!.message }, 'bad body');
    logger.debug(parseError!.message);
    // What Node's HTTP parser attaches to a clientError: the raw bytes the client sent.
    const parserError = Object.assign(new Error('Parse Error: Invalid method encountered'), {
      code: 'HPE_INVALID_METHOD',
      rawPacket: Buffer.from('GET / HTTP/1.1\r\nAuthorization: Bearer b3-secret\r\n\r\n'),
    });
    logger.trace({ err: parserError }, 'client error');
    const output = direct.text;
    assert.match(output, /everything at once/);
    assert.match(output, /bad body/);
    assert.match(output, /HPE_INVALID_METHOD/);
    assert.match(output, /\[REDACTED\]/);
    assert.doesNotMatch(output, /-secret/);
  });
});
