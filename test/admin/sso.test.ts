/**
 * `configuration/sso`, the account's identity provider as a resource of its
 * own, over a real socket: read, replaced, removed, bad input refused with
 * nothing changed, administrators only, audited; and a write of the settings
 * never touches it.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser } from '../../src/directory/users.js';
import { setSsoConfig } from '../../src/sso/admin.js';
import { certificateFingerprint } from '../../src/sso/model.js';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { makeIdp, type TestIdp } from '../sso/idp.js';

let server: TestServer;
let seeded: SeededAccount;
let adminBearer: string;
let personBearer: string;
let idp: TestIdp;
const ACCOUNT = '123456';

async function call(method: string, path: string, body?: unknown, as = adminBearer) {
  const res = await fetch(`${server.baseUrl}/api/account/${ACCOUNT}/configuration${path}`, {
    method,
    headers: { authorization: `Bearer ${as}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
}

const stored = async () => (await server.stores.accounts.getAccount(ACCOUNT))!.settings.sso;
const ssoEvents = async () =>
  (await server.stores.events.listEvents(ACCOUNT, { type: 'admin_change' })).filter((e) => String(e.detail.action).startsWith('sso_'));

before(async () => {
  server = await startTestServer();
  seeded = await seedAccount(server, ACCOUNT);
  const deps = { stores: server.stores, clock: server.clock, hasher: server.services.hasher };
  await createUser(deps, { accountId: ACCOUNT, loginName: 'plain.agent', password: 'a long enough passphrase', privileges: [100] });
  adminBearer = (await postJson(`${server.baseUrl}/api/account/${ACCOUNT}/login`, { username: seeded.human.loginName, password: seeded.human.password })).json.bearer;
  personBearer = (await postJson(`${server.baseUrl}/api/account/${ACCOUNT}/login`, { username: 'plain.agent', password: 'a long enough passphrase' })).json.bearer;
  assert.ok(adminBearer && personBearer);
  idp = await makeIdp('https://idp.sso-resource.test/metadata');
});
after(async () => {
  await server?.close();
});

describe('configuration/sso', () => {
  beforeEach(async () => {
    await call('DELETE', '/sso');
  });

  test('none: saml is null; replaced whole with defaults filled in; read back; removed by DELETE, then 404', async () => {
    assert.deepEqual((await call('GET', '/sso')).json, { saml: null, oidc: null });

    const put = await call('PUT', '/sso', { saml: { idpIssuer: idp.issuer, idpCerts: [idp.cert] } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.saml.idpIssuer, idp.issuer);
    assert.equal(put.json.saml.loginNameAttribute, 'loginName');
    assert.equal(put.json.saml.enforce, false);
    assert.equal(put.json.saml.audience, undefined, 'no audience set: the default is in effect');
    assert.deepEqual((await call('GET', '/sso')).json, put.json);
    assert.equal((await stored())?.idpIssuer, idp.issuer);

    // Replaced whole: what a second PUT leaves out goes back to its default.
    const enforced = await call('PUT', '/sso', { saml: { idpIssuer: idp.issuer, idpCerts: [idp.cert], audience: 'urn:test:sp', enforce: true, loginNameAttribute: 'uid' } });
    assert.equal(enforced.status, 200, enforced.text);
    assert.deepEqual({ ...enforced.json.saml, idpCerts: undefined }, { idpIssuer: idp.issuer, idpCerts: undefined, audience: 'urn:test:sp', loginNameAttribute: 'uid', enforce: true });
    const replaced = await call('PUT', '/sso', { saml: { idpIssuer: idp.issuer, idpCerts: [idp.cert] } });
    assert.equal(replaced.json.saml.audience, undefined);
    assert.equal(replaced.json.saml.enforce, false);

    const deleted = await call('DELETE', '/sso');
    assert.deepEqual([deleted.status, deleted.json], [200, { deleted: true }]);
    assert.equal(await stored(), undefined);
    assert.deepEqual((await call('GET', '/sso')).json, { saml: null, oidc: null });
    assert.equal((await call('DELETE', '/sso')).status, 404);
  });

  test('"saml": null removes it too, and a GET body sent back changes nothing', async () => {
    const put = await call('PUT', '/sso', { saml: { idpIssuer: idp.issuer, idpCerts: [idp.cert] } });
    const again = await call('PUT', '/sso', (await call('GET', '/sso')).json);
    assert.deepEqual(again.json, put.json);
    const removed = await call('PUT', '/sso', { saml: null });
    assert.deepEqual([removed.status, removed.json], [200, { saml: null, oidc: null }]);
    assert.equal(await stored(), undefined);
  });

  test('bad input: 400 and nothing changed', async () => {
    const good = await call('PUT', '/sso', { saml: { idpIssuer: idp.issuer, idpCerts: [idp.cert], audience: 'urn:test:kept' } });
    assert.equal(good.status, 200, good.text);
    const before = await stored();
    const bodies: Array<[string, unknown]> = [
      ['not a certificate', { saml: { idpIssuer: idp.issuer, idpCerts: ['not a certificate'] } }],
      ['a good and a bad certificate', { saml: { idpIssuer: 'https://other.test', idpCerts: [idp.cert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'] } }],
      ['no certificate', { saml: { idpIssuer: idp.issuer, idpCerts: [] } }],
      ['six certificates', { saml: { idpIssuer: idp.issuer, idpCerts: Array(6).fill(idp.cert) } }],
      ['a blank issuer', { saml: { idpIssuer: '  ', idpCerts: [idp.cert] } }],
      ['no issuer', { saml: { idpCerts: [idp.cert] } }],
      ['a blank login name attribute', { saml: { idpIssuer: idp.issuer, idpCerts: [idp.cert], loginNameAttribute: '' } }],
      ['an unknown field', { saml: { idpIssuer: idp.issuer, idpCerts: [idp.cert], colour: 'red' } }],
      ['an unknown protocol', { saml: null, kerberos: {} }],
      ['an http: issuer that is not loopback', { oidc: { issuer: 'http://idp.example.com', clientId: 'c' } }],
      ['an issuer that is no URL', { oidc: { issuer: 'idp.example.com', clientId: 'c' } }],
      ['no client id', { oidc: { issuer: 'https://idp.example.com' } }],
      ['a good saml beside a bad oidc', { saml: { idpIssuer: 'https://changed.test', idpCerts: [idp.cert] }, oidc: { issuer: 'ftp://x', clientId: 'c' } }],
      ['a string', 'saml'],
    ];
    for (const [what, body] of bodies) {
      const res = await call('PUT', '/sso', body);
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.ok(res.json.error.message, `${what}: says why`);
    }
    const bad = await call('PUT', '/sso', bodies[0]![1]);
    assert.match(bad.json.error.message, /certificate/);
    assert.deepEqual(await stored(), before);
    assert.equal((await call('PUT', '/sso?v=2.0', { saml: null })).status, 400, 'an unknown version');
    assert.deepEqual(await stored(), before);
  });

  test('administrators only: a person who is not one gets 403 and changes nothing', async () => {
    await call('PUT', '/sso', { saml: { idpIssuer: idp.issuer, idpCerts: [idp.cert] } });
    const before = await stored();
    for (const [method, body] of [['GET'], ['PUT', { saml: null }], ['DELETE']] as const) {
      const res = await call(method, '/sso', body, personBearer);
      assert.equal(res.status, 403, `${method}: ${res.text}`);
      assert.ok(!res.text.includes('BEGIN CERTIFICATE'));
    }
    assert.equal((await call('GET', '/sso', undefined, '')).status, 401);
    assert.deepEqual(await stored(), before);
  });

  test('oidc: set beside saml, the client secret never shown nor audited, kept when a GET body is sent back, removed by DELETE', async () => {
    const storedOidc = async () => (await server.stores.accounts.getAccount(ACCOUNT))!.settings.oidc;
    await call('PUT', '/sso', { saml: { idpIssuer: idp.issuer, idpCerts: [idp.cert] } });
    const secret = 'a client secret 0123456789';
    const put = await call('PUT', '/sso', { oidc: { issuer: 'https://idp.oidc.test', clientId: 'client-1', clientSecret: secret, displayName: 'Example' } });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.json.oidc, { issuer: 'https://idp.oidc.test', clientId: 'client-1', clientSecretSet: true, displayName: 'Example', enforce: false });
    assert.equal(put.json.saml.idpIssuer, idp.issuer, 'saml left out: unchanged');
    const got = await call('GET', '/sso');
    assert.ok(!got.text.includes(secret));
    assert.equal((await storedOidc())?.clientSecret, secret);
    const again = await call('PUT', '/sso', got.json);
    assert.equal(again.status, 200, again.text);
    assert.equal((await storedOidc())?.clientSecret, secret, 'sent back without the secret: kept');
    const events = await ssoEvents();
    assert.ok(events.some((e) => e.detail.action === 'sso_oidc_set'));
    assert.ok(!JSON.stringify(events).includes(secret));
    // Loopback http: issuers are for tests and same-host providers.
    const loopback = await call('PUT', '/sso', { oidc: { issuer: 'http://127.0.0.1:9999', clientId: 'client-1', clientSecret: null } });
    assert.equal(loopback.status, 200, loopback.text);
    assert.equal(loopback.json.oidc.clientSecretSet, false);
    const deleted = await call('DELETE', '/sso');
    assert.equal(deleted.status, 200);
    assert.equal(await storedOidc(), undefined);
    assert.equal(await stored(), undefined);
  });

  test('each write is audited with its actor, certificates by fingerprint only', async () => {
    const before = (await ssoEvents()).length;
    await call('PUT', '/sso', { saml: { idpIssuer: idp.issuer, idpCerts: [idp.cert], audience: 'urn:test:audited' } });
    await call('DELETE', '/sso');
    const all = await ssoEvents();
    const events = all.slice(0, all.length - before);
    assert.deepEqual(events.map((e) => e.detail.action), ['sso_clear', 'sso_set'], 'newest first');
    const set = events[1]!;
    assert.equal(set.detail.by, seeded.human.loginName);
    assert.deepEqual(set.detail.certificates, [certificateFingerprint(idp.cert)]);
    assert.equal(set.detail.audience, 'urn:test:audited');
    assert.ok(!JSON.stringify(set.detail).includes('BEGIN CERTIFICATE'));
  });

  test('the documented example is accepted as it stands', async () => {
    const spec = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
    const operation = spec.paths['/api/account/{accountId}/configuration/sso'];
    assert.ok(operation.get && operation.put && operation.delete);
    const res = await call('PUT', '/sso', operation.put.requestBody.content['application/json'].example);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.saml.idpIssuer, 'https://idp.example.com/metadata');
  });
});

describe('configuration/settings leaves single sign-on alone', () => {
  /** The settings fields docs/ADMIN-API.md lists: name, timeZone and the rows of its table of account settings. */
  function documentedSettingsFields(): string[] {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'ADMIN-API.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Account settings'), doc.indexOf('## Examples'));
    const rows = [...section.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]!);
    assert.ok(rows.length >= 10, `the table lists ${rows.length} settings`);
    return ['name', 'timeZone', ...rows];
  }

  test('a settings PUT with the documented fields keeps the identity provider', async () => {
    // Configured as the CLI does (`sso set`), so the test reads the same on a server without configuration/sso.
    await setSsoConfig(server.stores, ACCOUNT, { idpIssuer: idp.issuer, idpCerts: [idp.cert], enforce: true });
    const configured = await stored();
    assert.equal(configured?.enforce, true);
    const current = (await call('GET', '/settings')).json;
    const body = Object.fromEntries(documentedSettingsFields().map((field) => [field, current[field]]));
    const put = await call('PUT', '/settings', { ...body, name: 'Renamed for SSO', applicationLoginLimit: 7 });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.applicationLoginLimit, 7);
    assert.deepEqual(await stored(), configured, 'the identity provider is as it was');
    assert.equal(current.sso, undefined, 'the settings no longer carry it');
    assert.equal(put.json.sso, undefined);
    // Only name and time zone: the policy back to its defaults, the identity provider still kept.
    const minimal = await call('PUT', '/settings', { name: 'Renamed again', timeZone: 'UTC' });
    assert.equal(minimal.status, 200, minimal.text);
    assert.deepEqual(await stored(), configured);
    assert.equal((await call('GET', '/sso')).json.saml.idpIssuer, idp.issuer);
  });

  test('a settings PUT that names sso is refused, pointing to configuration/sso, and changes nothing', async () => {
    await call('PUT', '/sso', { saml: { idpIssuer: idp.issuer, idpCerts: [idp.cert] } });
    const before = await server.stores.accounts.getAccount(ACCOUNT);
    const current = (await call('GET', '/settings')).json;
    for (const sso of [null, { idpIssuer: 'https://elsewhere.test', idpCerts: [idp.cert] }]) {
      const res = await call('PUT', '/settings', { ...current, name: 'Not applied', sso });
      assert.equal(res.status, 400, res.text);
      assert.match(res.json.error.message, /configuration\/sso/);
    }
    assert.deepEqual(await server.stores.accounts.getAccount(ACCOUNT), before);
  });
});
