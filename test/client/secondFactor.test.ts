/**
 * `@login-service/client` and the second factor, against the real server:
 * the typed errors carrying the mfaToken and the enrollToken, and
 * `completeLogin` finishing the login with a code or a recovery code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginServiceClient, LoginServiceError, SecondFactorEnrolmentRequiredError, SecondFactorRequiredError } from '@login-service/client';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { MFA_KEY, codeAt, newPerson, setMfa } from '../factors/support.js';

describe('client: second factor', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let base: string;
  const newClient = () => new LoginServiceClient({ accountId: seeded.accountId, domain: `127.0.0.1:${server.port}`, protocol: 'http' });

  before(async () => {
    server = await startTestServer({ env: { MFA_ENCRYPTION_KEY: MFA_KEY } });
    seeded = await seedAccount(server);
    base = `${server.baseUrl}/api/account/${seeded.accountId}`;
  });
  after(() => server.close());

  test('enrolment required: a typed error with the enrollToken; then a typed error with the mfaToken, and completeLogin finishes', async () => {
    await setMfa(server, seeded.accountId, 'required');
    const p = await newPerson(server, seeded.accountId);
    const client = newClient();
    const enrol = await client.login({ username: p.loginName, password: p.password }).then(
      () => assert.fail('logged in without a factor'),
      (e: unknown) => e,
    );
    assert.ok(enrol instanceof SecondFactorEnrolmentRequiredError);
    assert.ok(enrol instanceof LoginServiceError);
    assert.equal(enrol.status, 401);
    assert.equal(enrol.internalCode, 29);
    assert.equal(enrol.retryable, false);
    const started = await postJson(`${base}/mfa/totp?v=1.0`, { enrollToken: enrol.enrollToken });
    const confirmed = await postJson(`${base}/mfa/totp/confirm?v=1.0`, { enrollToken: enrol.enrollToken, otp: codeAt(started.json.secret, server.clock.now()) });
    assert.equal(confirmed.status, 200);
    server.clock.advance(30_000);

    const challenge = await client.login({ username: p.loginName, password: p.password }).then(
      () => assert.fail('logged in without the second step'),
      (e: unknown) => e,
    );
    assert.ok(challenge instanceof SecondFactorRequiredError);
    assert.equal(challenge.internalCode, 28);
    assert.deepEqual(challenge.factors, ['totp', 'recoveryCode']);
    assert.equal(client.bearer, null);

    const wrong = await client.completeLogin(challenge.mfaToken, { otp: '000000' === codeAt(started.json.secret, server.clock.now()) ? '111111' : '000000' }).catch((e: unknown) => e);
    assert.ok(wrong instanceof LoginServiceError);
    assert.equal(wrong.internalCode, 20);

    const response = await client.completeLogin(challenge.mfaToken, { otp: codeAt(started.json.secret, server.clock.now()) });
    assert.equal(response.config.loginName, p.loginName);
    assert.equal(client.bearer, response.bearer);
    const info = await fetch(`${base}/session`, { headers: { authorization: `Bearer ${client.bearer}` } }).then((r) => r.json());
    assert.deepEqual(info.amr, ['pwd', 'otp']);
    await client.logout();

    const again = await client.login({ username: p.loginName, password: p.password }).catch((e: unknown) => e);
    assert.ok(again instanceof SecondFactorRequiredError);
    await client.completeLogin(again.mfaToken, { recoveryCode: confirmed.json.recoveryCodes[0] });
    assert.ok(client.bearer);
    await setMfa(server, seeded.accountId, 'off');
  });
});
