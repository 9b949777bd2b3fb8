/**
 * Second factor on the JSON API, end to end over real HTTP with real stores
 * and argon2id: enrolment (by bearer and by enrollToken), the challenge and
 * the second step, replay within a step, five wrong codes killing the
 * mfaToken, recovery codes working once, bots and SSO exempt, amr in the
 * bearer check, and one argon2 verification per login.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { failureCount } from '../../src/security/bruteForce.js';
import { clearSsoConfig, setSsoConfig } from '../../src/sso/admin.js';
import { createUser } from '../../src/directory/users.js';
import { assertionXml, base64, makeIdp, sign } from '../sso/idp.js';
import { auditTrail } from '../security/support.js';
import { MFA_KEY, codeAt, newPerson, setMfa } from './support.js';

const AUDIENCE = 'https://login.example.test/sp';

describe('second factor (JSON API)', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let base: string;

  before(async () => {
    server = await startTestServer({ env: { MFA_ENCRYPTION_KEY: MFA_KEY } });
    seeded = await seedAccount(server);
    base = `${server.baseUrl}/api/account/${seeded.accountId}`;
  });
  after(() => server.close());

  const login = (body: unknown) => postJson(`${base}/login?v=1.3`, body);
  const bearerCheck = async (bearer: string) => {
    const res = await fetch(`${base}/session`, { headers: { authorization: `Bearer ${bearer}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as { amr: string[] };
  };
  const call = async (method: string, path: string, body: unknown, bearer?: string) => {
    const res = await fetch(`${base}/${path}?v=1.0`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  /** Moves to the next TOTP step, so a code is new. */
  const nextStep = () => server.clock.advance(30_000);

  /** A person with an authenticator app enrolled through their bearer; returns the secret and recovery codes. */
  async function enrolled() {
    const p = await newPerson(server, seeded.accountId);
    const first = await login({ username: p.loginName, password: p.password });
    assert.equal(first.status, 200, first.text);
    const started = await call('POST', 'mfa/totp', {}, first.json.bearer);
    assert.equal(started.status, 200);
    const secret: string = started.json.secret;
    nextStep();
    const confirmed = await call('POST', 'mfa/totp/confirm', { otp: codeAt(secret, server.clock.now()) }, first.json.bearer);
    assert.equal(confirmed.status, 200);
    nextStep();
    return { ...p, secret, recoveryCodes: confirmed.json.recoveryCodes as string[] };
  }

  test('optional: enrolling by bearer gives a secret, a QR code and, once confirmed, ten recovery codes; the secret is sealed at rest', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const p = await newPerson(server, seeded.accountId);
    const first = await login({ username: p.loginName, password: p.password });
    assert.equal(first.status, 200, 'no factor yet: a plain login');
    const started = await call('POST', 'mfa/totp', {}, first.json.bearer);
    assert.equal(started.status, 200);
    assert.match(started.json.secret, /^[A-Z2-7]{32}$/);
    assert.match(started.json.otpauthUri, /^otpauth:\/\/totp\/.*secret=[A-Z2-7]+/);
    assert.match(started.json.qrCode, /^data:image\/svg\+xml;base64,/);
    assert.equal((await call('GET', 'mfa', undefined, first.json.bearer)).json.totp, 'pending');

    const stored = await server.stores.factors.getFactors(seeded.accountId, p.user.userId);
    assert.ok(stored.totp && !stored.totp.sealedSecret.includes(started.json.secret), 'not in the clear');

    const wrong = await call('POST', 'mfa/totp/confirm', { otp: '000000' === codeAt(started.json.secret, server.clock.now()) ? '111111' : '000000' }, first.json.bearer);
    assert.equal(wrong.status, 400);
    const confirmed = await call('POST', 'mfa/totp/confirm', { otp: codeAt(started.json.secret, server.clock.now()) }, first.json.bearer);
    assert.equal(confirmed.status, 200);
    assert.equal(confirmed.json.recoveryCodes.length, 10);
    assert.equal(new Set(confirmed.json.recoveryCodes).size, 10);
    const status = (await call('GET', 'mfa', undefined, first.json.bearer)).json;
    assert.deepEqual(status, { totp: 'active', recoveryCodesLeft: 10, passkeys: [], policy: 'optional' });
    const codes = (await server.stores.factors.getFactors(seeded.accountId, p.user.userId)).recoveryCodes;
    assert.ok(codes.every((c) => !confirmed.json.recoveryCodes.includes(c.codeHash)), 'recovery codes kept as digests');
    const events = await auditTrail(server, seeded.accountId, 'mfa_change');
    assert.ok(events.some((e) => e.userId === p.user.userId && e.detail.action === 'totp_enrolled'));
    assert.ok(!JSON.stringify(events).includes(started.json.secret));
  });

  test('a person with a factor gets 401 SECOND_FACTOR_REQUIRED with an mfaToken; the code finishes the login with amr pwd+otp', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const p = await enrolled();
    const first = await login({ username: p.loginName, password: p.password });
    assert.equal(first.status, 401);
    assert.equal(first.json.error.internalCode, 28);
    assert.equal(first.json.error.responseStatus, 'UNAUTHORIZED');
    assert.match(first.json.mfaToken, /^[0-9a-f]{64}$/);
    assert.deepEqual(first.json.factors, ['totp', 'recoveryCode']);
    assert.equal(first.json.bearer, undefined);
    const second = await login({ mfaToken: first.json.mfaToken, otp: codeAt(p.secret, server.clock.now()) });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.config.loginName, p.loginName);
    assert.deepEqual((await bearerCheck(second.json.bearer)).amr, ['pwd', 'otp']);
    // Single use: the token finished its login.
    nextStep();
    const again = await login({ mfaToken: first.json.mfaToken, otp: codeAt(p.secret, server.clock.now()) });
    assert.equal(again.status, 401);
    assert.equal(again.json.error.internalCode, 20);
  });

  test('a code is accepted once per step: a replay within its step is refused, the next step works', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const p = await enrolled();
    const code = codeAt(p.secret, server.clock.now());
    const one = await login({ username: p.loginName, password: p.password });
    assert.equal((await login({ mfaToken: one.json.mfaToken, otp: code })).status, 200);
    const two = await login({ username: p.loginName, password: p.password });
    const replay = await login({ mfaToken: two.json.mfaToken, otp: code });
    assert.equal(replay.status, 401);
    assert.equal(replay.json.error.internalCode, 20);
    nextStep();
    assert.equal((await login({ mfaToken: two.json.mfaToken, otp: codeAt(p.secret, server.clock.now()) })).status, 200);
  });

  test('five wrong codes kill the mfaToken, and each counts as a failed attempt of the user', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const p = await enrolled();
    const first = await login({ username: p.loginName, password: p.password });
    const good = codeAt(p.secret, server.clock.now());
    const wrong = good === '123456' ? '654321' : '123456';
    for (let i = 1; i <= 5; i++) {
      const r = await login({ mfaToken: first.json.mfaToken, otp: wrong });
      assert.equal(r.status, 401);
      assert.equal(r.json.error.internalCode, 20);
      assert.equal(await failureCount(server.stores.counters, seeded.accountId, p.user.userId, server.clock.now()), i);
    }
    const late = await login({ mfaToken: first.json.mfaToken, otp: good });
    assert.equal(late.status, 401, 'the token died with the fifth wrong code');
    const failures = await auditTrail(server, seeded.accountId, 'login_failure');
    assert.equal(failures.filter((e) => e.userId === p.user.userId && e.detail.reason === 'wrong_code').length, 5);
  });

  test('a recovery code works once, in any case and with or without its dash', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const p = await enrolled();
    const code = p.recoveryCodes[3]!;
    assert.match(code, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
    const one = await login({ username: p.loginName, password: p.password });
    const used = await login({ mfaToken: one.json.mfaToken, recoveryCode: code.replace('-', '').toUpperCase() });
    assert.equal(used.status, 200, used.text);
    assert.deepEqual((await bearerCheck(used.json.bearer)).amr, ['pwd', 'otp']);
    const two = await login({ username: p.loginName, password: p.password });
    const again = await login({ mfaToken: two.json.mfaToken, recoveryCode: code });
    assert.equal(again.status, 401);
    assert.equal((await login({ mfaToken: two.json.mfaToken, recoveryCode: p.recoveryCodes[4]! })).status, 200);
    assert.equal((await call('GET', 'mfa', undefined, used.json.bearer)).json.recoveryCodesLeft, 8);
  });

  test('required: a person without a factor gets 401 SECOND_FACTOR_ENROLMENT_REQUIRED with an enrollToken, enrols with it, then logs in with a code', async () => {
    await setMfa(server, seeded.accountId, 'required');
    const p = await newPerson(server, seeded.accountId);
    const first = await login({ username: p.loginName, password: p.password });
    assert.equal(first.status, 401);
    assert.equal(first.json.error.internalCode, 29);
    assert.match(first.json.enrollToken, /^[0-9a-f]{64}$/);
    assert.equal(first.json.mfaToken, undefined);
    // The enrollToken is not an mfaToken.
    assert.equal((await login({ mfaToken: first.json.enrollToken, otp: '123456' })).status, 401);
    const started = await call('POST', 'mfa/totp', { enrollToken: first.json.enrollToken });
    assert.equal(started.status, 200);
    const confirmed = await call('POST', 'mfa/totp/confirm', { enrollToken: first.json.enrollToken, otp: codeAt(started.json.secret, server.clock.now()) });
    assert.equal(confirmed.status, 200);
    assert.equal(confirmed.json.recoveryCodes.length, 10);
    // Spent by the confirmation.
    assert.equal((await call('POST', 'mfa/totp', { enrollToken: first.json.enrollToken })).status, 401);
    nextStep();
    const again = await login({ username: p.loginName, password: p.password });
    assert.equal(again.json.error.internalCode, 28);
    const done = await login({ mfaToken: again.json.mfaToken, otp: codeAt(started.json.secret, server.clock.now()) });
    assert.equal(done.status, 200);
    // Removing the only factor is refused while the account requires one.
    nextStep();
    const removal = await call('DELETE', 'mfa/totp', { otp: codeAt(started.json.secret, server.clock.now()) }, done.json.bearer);
    assert.equal(removal.status, 409);
  });

  test('bots are exempt, whatever the policy', async () => {
    await setMfa(server, seeded.accountId, 'required');
    const { bot } = seeded;
    const r = await login({ username: bot.loginName, appKey: bot.key.appKey, secret: bot.key.secret, accessToken: bot.key.accessToken, accessTokenSecret: bot.key.accessTokenSecret });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual((await bearerCheck(r.json.bearer)).amr, ['swk']);
    const enrol = await call('POST', 'mfa/totp', {}, r.json.bearer);
    assert.equal(enrol.status, 409);
  });

  test('SSO logins are exempt unless mfaForSso', async () => {
    const idp = await makeIdp();
    await createUser({ stores: server.stores, clock: server.clock, hasher: server.services.hasher }, { accountId: seeded.accountId, loginName: 'sso.person@example.test', password: 'a long enough passphrase 1' });
    await setSsoConfig(server.stores, seeded.accountId, { idpIssuer: idp.issuer, idpCerts: [idp.cert], audience: AUDIENCE });
    try {
      const assertion = () => base64(sign(assertionXml({ issuer: idp.issuer, audience: AUDIENCE, now: server.clock.now(), nameId: 'sso.person@example.test' }), idp));
      await setMfa(server, seeded.accountId, 'required', false);
      const exempt = await login({ assertion: assertion() });
      assert.equal(exempt.status, 200, exempt.text);
      assert.deepEqual((await bearerCheck(exempt.json.bearer)).amr, ['saml']);
      await setMfa(server, seeded.accountId, 'required', true);
      const asked = await login({ assertion: assertion() });
      assert.equal(asked.status, 401);
      assert.equal(asked.json.error.internalCode, 29);
    } finally {
      await clearSsoConfig(server.stores, seeded.accountId);
    }
  });

  test('off: nobody is asked, even a person with a factor; enrolment is refused', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const p = await enrolled();
    await setMfa(server, seeded.accountId, 'off');
    const r = await login({ username: p.loginName, password: p.password });
    assert.equal(r.status, 200);
    assert.deepEqual((await bearerCheck(r.json.bearer)).amr, ['pwd']);
    const other = await newPerson(server, seeded.accountId);
    const o = await login({ username: other.loginName, password: other.password });
    assert.equal((await call('POST', 'mfa/totp', {}, o.json.bearer)).status, 409);
  });

  test('optional: a person removes their app with a current code, and logs in with the password alone again', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const p = await enrolled();
    const first = await login({ username: p.loginName, password: p.password });
    const session = await login({ mfaToken: first.json.mfaToken, otp: codeAt(p.secret, server.clock.now()) });
    nextStep();
    const wrong = await call('DELETE', 'mfa/totp', { otp: '99' }, session.json.bearer);
    assert.equal(wrong.status, 400);
    const byToken = await call('DELETE', 'mfa/totp', { otp: codeAt(p.secret, server.clock.now()), enrollToken: 'x' }, session.json.bearer);
    assert.equal(byToken.status, 400, 'removal takes a bearer, not an enrollToken');
    const removed = await call('DELETE', 'mfa/totp', { otp: codeAt(p.secret, server.clock.now()) }, session.json.bearer);
    assert.equal(removed.status, 200);
    assert.equal((await login({ username: p.loginName, password: p.password })).status, 200);
  });

  test('regenerated recovery codes replace the old ones', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const p = await enrolled();
    const first = await login({ username: p.loginName, password: p.password });
    const session = await login({ mfaToken: first.json.mfaToken, otp: codeAt(p.secret, server.clock.now()) });
    nextStep();
    const fresh = await call('POST', 'mfa/recovery-codes', { otp: codeAt(p.secret, server.clock.now()) }, session.json.bearer);
    assert.equal(fresh.status, 200);
    assert.equal(fresh.json.recoveryCodes.length, 10);
    const two = await login({ username: p.loginName, password: p.password });
    assert.equal((await login({ mfaToken: two.json.mfaToken, recoveryCode: p.recoveryCodes[0]! })).status, 401, 'an old code');
    assert.equal((await login({ mfaToken: two.json.mfaToken, recoveryCode: fresh.json.recoveryCodes[0] })).status, 200);
  });

  test('a login with a second factor costs one argon2 verification', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const p = await enrolled();
    const hasher = server.services.hasher;
    const verify = hasher.verify.bind(hasher);
    let verifications = 0;
    hasher.verify = async (...args: Parameters<typeof hasher.verify>) => {
      verifications++;
      return verify(...args);
    };
    try {
      const first = await login({ username: p.loginName, password: p.password });
      const second = await login({ mfaToken: first.json.mfaToken, otp: codeAt(p.secret, server.clock.now()) });
      assert.equal(second.status, 200);
      assert.equal(verifications, 1);
    } finally {
      hasher.verify = verify;
    }
  });

  test('malformed second steps get 400 and change nothing; unknown tokens 401', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const p = await enrolled();
    const first = await login({ username: p.loginName, password: p.password });
    const both = await login({ mfaToken: first.json.mfaToken, otp: '123456', recoveryCode: 'abcde-fghij' });
    assert.equal(both.status, 400);
    const mixed = await login({ mfaToken: first.json.mfaToken, otp: '123456', username: p.loginName });
    assert.equal(mixed.status, 400);
    const bare = await login({ mfaToken: first.json.mfaToken });
    assert.equal(bare.status, 400);
    assert.equal((await login({ mfaToken: 'f'.repeat(64), otp: '123456' })).status, 401);
    assert.equal((await login({ mfaToken: 7, otp: '123456' })).status, 400);
    assert.equal(await failureCount(server.stores.counters, seeded.accountId, p.user.userId, server.clock.now()), 0);
    // The token still works: nothing above touched it.
    assert.equal((await login({ mfaToken: first.json.mfaToken, otp: codeAt(p.secret, server.clock.now()) })).status, 200);
    assert.equal((await call('POST', 'mfa/totp/confirm', { otp: 5 }, undefined)).status, 400);
    assert.equal((await call('POST', 'mfa/totp', { enrollToken: 'nope' })).status, 401);
    assert.equal((await call('GET', 'mfa', undefined)).status, 401);
  });

  test('passkey second step: unknown tickets and answers that do not verify are refused, never a 500', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const p = await enrolled();
    const first = await login({ username: p.loginName, password: p.password });
    assert.equal((await call('POST', 'mfa/passkey/challenge', { mfaToken: 'f'.repeat(64) })).status, 401);
    assert.equal((await call('POST', 'mfa/passkey/challenge', { mfaToken: first.json.mfaToken })).status, 409, 'no passkey registered');
    const forged = await login({ mfaToken: first.json.mfaToken, passkey: { ticket: 'nope', response: { id: 'x', type: 'public-key' } } });
    assert.equal(forged.status, 401);
    assert.equal((await login({ mfaToken: first.json.mfaToken, passkey: { ticket: 'nope' } })).status, 400);
    assert.equal((await login({ mfaToken: first.json.mfaToken, otp: '123456', passkey: { ticket: 'a', response: {} } })).status, 400);
    const session = await login({ mfaToken: first.json.mfaToken, otp: codeAt(p.secret, server.clock.now()) });
    assert.equal(session.status, 200, 'the token survived one wrong answer');
    const options = await call('POST', 'mfa/passkeys/options', {}, session.json.bearer);
    assert.equal(options.status, 200);
    assert.equal(options.json.options.rp.id, '127.0.0.1');
    assert.match(options.json.options.challenge, /^[A-Za-z0-9_-]+$/);
    const bogus = await call('POST', 'mfa/passkeys', { ticket: options.json.ticket, response: { id: 'x', rawId: 'x', type: 'public-key', response: {} } }, session.json.bearer);
    assert.equal(bogus.status, 400);
    assert.equal((await call('DELETE', 'mfa/passkeys/unknown', undefined, session.json.bearer)).status, 404);
  });
});

describe('second factor without MFA_ENCRYPTION_KEY', () => {
  test('enrolment is refused with a clear 409', async () => {
    const server = await startTestServer();
    try {
      const seeded = await seedAccount(server);
      await setMfa(server, seeded.accountId, 'optional');
      const base = `${server.baseUrl}/api/account/${seeded.accountId}`;
      const first = await postJson(`${base}/login`, { username: seeded.human.loginName, password: seeded.human.password });
      const r = await postJson(`${base}/mfa/totp?v=1.0`, {}, { authorization: `Bearer ${first.json.bearer}` });
      assert.equal(r.status, 409);
      assert.match(r.json.error.message, /MFA_ENCRYPTION_KEY/);
      assert.equal((await server.stores.factors.getFactors(seeded.accountId, seeded.human.user.userId)).totp, null);
    } finally {
      await server.close();
    }
  });
});
