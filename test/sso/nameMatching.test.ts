/**
 * How the login name of a SAML assertion (NameID or attribute) is matched to a
 * user: as every login name is compared (docs/SSO.md, docs/SECURITY.md): case,
 * width and Unicode form aside, and nothing more. A name that only looks like
 * a user's (another alphabet's letters) is another name: the identity
 * provider's word is not folded into someone else's account.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createUser } from '../../src/directory/users.js';
import { setSsoConfig } from '../../src/sso/admin.js';
import { assertionXml, base64, makeIdp, sign, type TestIdp } from './idp.js';

const AUDIENCE = 'https://login.example.test/sp';

describe('SSO: matching the identity provider\'s name to a user', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let idp: TestIdp;
  let loginUrl: string;

  before(async () => {
    idp = await makeIdp();
    server = await startTestServer();
    seeded = await seedAccount(server);
    const deps = { stores: server.stores, clock: server.clock, hasher: server.services.hasher };
    await createUser(deps, { accountId: seeded.accountId, loginName: 'alice@example.test', password: 'a long enough passphrase 1', privileges: [100] });
    await setSsoConfig(server.stores, seeded.accountId, { idpIssuer: idp.issuer, idpCerts: [idp.cert], audience: AUDIENCE });
    loginUrl = `${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`;
  });
  after(() => server.close());

  const ssoLogin = (o: { nameId?: string; attributes?: Record<string, string> }) =>
    postJson(loginUrl, { assertion: base64(sign(assertionXml({ issuer: idp.issuer, audience: AUDIENCE, now: server.clock.now(), ...o }), idp)) });

  async function lastEvent() {
    const [event] = await server.stores.events.listEvents(seeded.accountId, { limit: 1 });
    return event!;
  }

  test('case and fullwidth variants of the NameID name the user, as for a password login', async () => {
    for (const nameId of ['alice@example.test', 'ALICE@EXAMPLE.TEST', 'Alice@Example.Test', 'ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｔｅｓｔ', 'ＡＬＩＣＥ@example.test']) {
      const res = await ssoLogin({ nameId });
      assert.equal(res.status, 200, `${nameId}: ${res.text}`);
      assert.equal(res.json.config.loginName, 'alice@example.test', 'the user as named in the account');
      assert.equal((await lastEvent()).type, 'login_success');
    }
  });

  test('the same variants in the login name attribute name the user too', async () => {
    for (const loginName of ['ALICE@example.test', 'ａｌｉｃｅ@example.test']) {
      const res = await ssoLogin({ nameId: 'someone-else', attributes: { loginName } });
      assert.equal(res.status, 200, `${loginName}: ${res.text}`);
      assert.equal(res.json.config.loginName, 'alice@example.test');
    }
  });

  test('a look-alike from another alphabet, or with an invisible character, is not folded into the user: unknown user', async () => {
    for (const nameId of ['\u0430lice@example.test', 'alic\u0435@example.test', '\u0391LICE@example.test', 'alice@example.test\u200b', 'a\u00adlice@example.test']) {
      const res = await ssoLogin({ nameId });
      assert.equal(res.status, 401, JSON.stringify(nameId));
      assert.equal(res.json.error.internalCode, 20);
      const event = await lastEvent();
      assert.equal(event.type, 'login_failure');
      assert.equal(event.detail.reason, 'unknown_user', JSON.stringify(nameId));
      assert.equal(event.userId, null);
    }
  });
});
