/**
 * The login seam: methods picked by the body's shape, the amr a session
 * records per method (answered by the bearer check), and after-authenticate
 * hooks that turn a verified user into a challenge, with real stores, real
 * argon2id and real HTTP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createUser } from '../../src/directory/users.js';
import { clearSsoConfig, setSsoConfig } from '../../src/sso/admin.js';
import { LoginFlow } from '../../src/login/flow.js';
import { ApiKeyLogin } from '../../src/login/methods/apiKey.js';
import { PasswordLogin } from '../../src/login/methods/password.js';
import { SamlAssertionLogin } from '../../src/login/methods/samlAssertion.js';
import type { AfterAuthenticate, VerifiedLogin } from '../../src/login/model.js';
import { failureCount } from '../../src/security/bruteForce.js';
import { assertionXml, base64, makeIdp, sign } from '../sso/idp.js';
import { auditTrail } from '../security/support.js';

const AUDIENCE = 'https://login.example.test/sp';
const client = { ip: '198.51.100.20', userAgent: 'flow test' };

describe('login seam', () => {
  let server: TestServer;
  let seeded: SeededAccount;

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
  });
  after(() => server.close());

  const bearerCheck = async (bearer: string) => {
    const res = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/session`, { headers: { authorization: `Bearer ${bearer}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as { amr: string[]; loginName: string };
  };

  /** A flow like the app's, with the given hooks. */
  const flowWith = (afterAuthenticate: AfterAuthenticate[]) => {
    const { stores } = server;
    const { runner, sessions, hasher, audit } = server.services;
    const methods = [new SamlAssertionLogin({ stores }), new PasswordLogin({ stores, hasher, audit }), new ApiKeyLogin({ stores, audit })];
    return new LoginFlow({ stores, runner, sessions, methods, afterAuthenticate, publicHost: server.config.publicHost, serverTimeZone: 'UTC' });
  };

  test('each method records its amr, and the bearer check answers it', async () => {
    const { human, bot } = seeded;
    const url = `${server.baseUrl}/api/account/${seeded.accountId}/login`;
    const person = await postJson(url, { username: human.loginName, password: human.password });
    assert.equal(person.status, 200, person.text);
    assert.deepEqual((await bearerCheck(person.json.bearer)).amr, ['pwd']);

    const robot = await postJson(url, { username: bot.loginName, ...bot.key });
    assert.equal(robot.status, 200, robot.text);
    assert.deepEqual((await bearerCheck(robot.json.bearer)).amr, ['swk']);

    const idp = await makeIdp();
    await createUser({ stores: server.stores, clock: server.clock, hasher: server.services.hasher }, { accountId: seeded.accountId, loginName: 'alice@example.test', password: 'a long enough passphrase 1' });
    await setSsoConfig(server.stores, seeded.accountId, { idpIssuer: idp.issuer, idpCerts: [idp.cert], audience: AUDIENCE });
    const xml = assertionXml({ issuer: idp.issuer, audience: AUDIENCE, now: server.clock.now(), nameId: 'alice@example.test' });
    const sso = await postJson(url, { jwt: 'ignored', assertion: base64(sign(xml, idp)) });
    assert.equal(sso.status, 200, sso.text);
    const info = await bearerCheck(sso.json.bearer);
    assert.deepEqual(info.amr, ['saml']);
    assert.equal(info.loginName, 'alice@example.test');
    await clearSsoConfig(server.stores, seeded.accountId);
  });

  test('a hook may turn a verified user into a challenge: no session opens, the attempt counts nothing', async () => {
    const { human } = seeded;
    const seen: VerifiedLogin[] = [];
    const flow = flowWith([
      async (login) => {
        seen.push(login);
        return { type: 'challenge', challenge: { kind: 'second_factor', token: 'pending-login', expiresAt: server.clock.now() + 300_000, factors: ['totp'] } };
      },
    ]);
    const sessionsBefore = (await server.stores.sessions.listSessions(seeded.accountId, server.clock.now(), human.user.userId)).length;
    const eventsBefore = (await auditTrail(server, seeded.accountId)).length;

    const outcome = await flow.login(seeded.accountId, { username: human.loginName, password: human.password }, client);
    assert.equal(outcome.type, 'challenge');
    assert.deepEqual(outcome.type === 'challenge' && outcome.challenge.kind, 'second_factor');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.user.userId, human.user.userId);
    assert.deepEqual(seen[0]!.amr, ['pwd'], 'the hook sees what the first step proved');
    assert.equal((await server.stores.sessions.listSessions(seeded.accountId, server.clock.now(), human.user.userId)).length, sessionsBefore, 'no session opened');
    assert.equal((await auditTrail(server, seeded.accountId)).length, eventsBefore, 'neither a success nor a failure recorded');
    assert.equal(await failureCount(server.stores.counters, seeded.accountId, human.user.userId, server.clock.now()), 0, 'the user side was given back');
    assert.equal(await server.stores.counters.getCounter('fail:ip:198.51.100.20', server.clock.now()).then((c) => c?.count ?? 0), 0, 'the address was given back');
  });

  test('a hook that passes leaves the login as it was; a wrong password never reaches the hooks', async () => {
    const { human } = seeded;
    let calls = 0;
    const flow = flowWith([
      async (login) => {
        calls++;
        return { type: 'user', login: { ...login, amr: [...login.amr, 'otp'] } };
      },
    ]);
    const outcome = await flow.login(seeded.accountId, { username: human.loginName, password: human.password }, client);
    assert.equal(outcome.type, 'session');
    assert.deepEqual(outcome.type === 'session' && (await bearerCheck(outcome.response.bearer)).amr, ['pwd', 'otp']);
    await assert.rejects(flow.login(seeded.accountId, { username: human.loginName, password: 'not it at all' }, client), { kind: 'loginFailed' });
    assert.equal(calls, 1);
  });

  test('the method is picked by the body; bodies of two methods or none are refused as before', () => {
    const flow = flowWith([]);
    const pick = (body: Record<string, string>) => flow.methodFor(body).method.name;
    assert.equal(pick({ username: 'a', password: 'b' }), 'password');
    assert.equal(pick({ username: 'a', appKey: 'k', secret: 's' }), 'apikey');
    assert.equal(pick({ assertion: 'x', jwt: 'y' }), 'sso');
    assert.equal(pick({ assertion: 'x', secret: 's' }), 'sso', 'an SSO body keeps ignoring the fields it always ignored');
    const refused = (body: Record<string, string>, message: RegExp) => assert.throws(() => flow.methodFor(body), { kind: 'badRequest', message });
    refused({}, /username is required/);
    refused({ password: 'b', appKey: 'k' }, /username is required/);
    refused({ username: 'a', password: 'b', secret: 's' }, /not both/);
    refused({ username: 'a' }, /password or appKey/);
    refused({ username: 'a', accessToken: 't' }, /needs appKey and secret/);
    refused({ assertion: 'x', password: 'b' }, /SSO login sends assertion/);
  });
});
