/**
 * `sso set | add-cert | show | clear`, `apikey create --type oauth2` and
 * `account set --application-login-limit`, through `main` on a real SQLite file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { openStores } from '../../src/store/index.js';
import { hashToken } from '../../src/security/tokens.js';
import { makeIdp, type TestIdp } from '../sso/idp.js';
import { assertFailed, assertSucceeded, runInProcess } from './cliRunner.js';

const ACCOUNT = '515151';

describe('sso and OAuth 2.0 key commands', () => {
  let dir: string;
  let db: string;
  let idp: TestIdp;
  let next: TestIdp;
  let certFile: string;
  let nextCertFile: string;
  const cli = (args: string[]) => runInProcess([...args, '--db', db]);
  const settings = async () => {
    const stores = await openStores({ databaseUrl: db });
    try {
      return (await stores.accounts.getAccount(ACCOUNT))!.settings;
    } finally {
      await stores.close();
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-service-sso-cli-'));
    db = `sqlite:${join(dir, 'store.db')}`;
    [idp, next] = await Promise.all([makeIdp(), makeIdp()]);
    certFile = join(dir, 'idp.pem');
    nextCertFile = join(dir, 'next.pem');
    writeFileSync(certFile, idp.cert);
    writeFileSync(nextCertFile, next.cert);
    assertSucceeded(await cli(['account', 'create', ACCOUNT, '--name', 'SSO']));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('sso show before any configuration', async () => {
    const res = await cli(['sso', 'show', ACCOUNT, '--json']);
    assertSucceeded(res);
    assert.deepEqual(res.json, { accountId: ACCOUNT, configured: false, oidc: { accountId: ACCOUNT, configured: false } });
  });

  test('sso oidc set | clear: the OpenID Connect provider beside SAML; the client secret from stdin, never shown', async () => {
    const secret = 'cli client secret 0123456789';
    const set = await runInProcess(['sso', 'oidc', 'set', ACCOUNT, '--issuer', 'https://idp.oidc.test/realms/x', '--client-id', 'login', '--client-secret-stdin', '--display-name', 'Keycloak', '--json', '--db', db], `${secret}\n`);
    assertSucceeded(set);
    assert.deepEqual(set.json, {
      accountId: ACCOUNT,
      configured: true,
      issuer: 'https://idp.oidc.test/realms/x',
      clientId: 'login',
      clientSecretSet: true,
      displayName: 'Keycloak',
      loginNameClaims: ['preferred_username', 'email'],
      enforce: false,
    });
    assert.equal((await settings()).oidc?.clientSecret, secret);
    const claim = await cli(['sso', 'oidc', 'set', ACCOUNT, '--login-name-claim', 'upn', '--enforce', 'true']);
    assertSucceeded(claim);
    assert.match(claim.stdout, /login name claim: +upn/);
    assert.match(claim.stdout, /refused \(SSO enforced\)/);
    const shown = await cli(['sso', 'show', ACCOUNT]);
    assertSucceeded(shown);
    assert.match(shown.stdout, /Sign in with Keycloak/);
    assert.ok(!shown.stdout.includes(secret));
    const account = await cli(['account', 'list', '--json']);
    assertSucceeded(account);
    assert.match(account.stdout, /Keycloak/);
    assert.ok(!account.stdout.includes(secret), 'account list hides the client secret too');
    assertFailed(await cli(['sso', 'oidc', 'set', ACCOUNT, '--issuer', 'http://idp.example.com']), 1, /https/);
    assert.equal((await settings()).oidc?.issuer, 'https://idp.oidc.test/realms/x', 'a refused issuer changes nothing');
    const cleared = await cli(['sso', 'oidc', 'clear', ACCOUNT]);
    assertSucceeded(cleared);
    assert.equal((await settings()).oidc, undefined);
    assert.match((await cli(['sso', 'oidc', 'clear', ACCOUNT])).stdout, /had no OpenID Connect provider/);
  });

  test('sso set stores the identity provider in the account settings; show lists certificates by fingerprint', async () => {
    const res = await cli(['sso', 'set', ACCOUNT, '--idp-issuer', idp.issuer, '--idp-cert', certFile, '--audience', 'https://sp.example.test', '--json']);
    assertSucceeded(res);
    const fingerprint = new X509Certificate(idp.cert).fingerprint256;
    assert.equal(res.json.idpCerts[0].fingerprint, fingerprint);
    assert.equal(res.json.audience, 'https://sp.example.test');
    assert.equal(res.json.loginNameAttribute, 'loginName');
    assert.equal(res.json.enforce, false);
    const stored = (await settings()).sso!;
    assert.equal(stored.idpIssuer, idp.issuer);
    assert.deepEqual(stored.idpCerts.map((c) => new X509Certificate(c).fingerprint256), [fingerprint]);
    const text = await cli(['sso', 'show', ACCOUNT]);
    assertSucceeded(text);
    assert.match(text.stdout, new RegExp(`certificate 1: ${fingerprint}`));
    assert.ok(!text.stdout.includes('BEGIN CERTIFICATE'));
  });

  test('a later sso set changes only what it names; --idp-cert may be repeated', async () => {
    assertSucceeded(await cli(['sso', 'set', ACCOUNT, '--enforce', 'true', '--login-name-attribute', 'email']));
    let stored = (await settings()).sso!;
    assert.equal(stored.enforce, true);
    assert.equal(stored.loginNameAttribute, 'email');
    assert.equal(stored.idpIssuer, idp.issuer);
    assert.equal(stored.audience, 'https://sp.example.test');
    assertSucceeded(await cli(['sso', 'set', ACCOUNT, '--idp-cert', certFile, '--idp-cert', nextCertFile]));
    stored = (await settings()).sso!;
    assert.equal(stored.idpCerts.length, 2);
  });

  test('sso add-cert adds one beside the others, once', async () => {
    assertSucceeded(await cli(['sso', 'set', ACCOUNT, '--idp-cert', certFile]));
    assertSucceeded(await cli(['sso', 'add-cert', ACCOUNT, '--idp-cert', nextCertFile]));
    assert.equal((await settings()).sso!.idpCerts.length, 2);
    assertSucceeded(await cli(['sso', 'add-cert', ACCOUNT, '--idp-cert', nextCertFile]));
    assert.equal((await settings()).sso!.idpCerts.length, 2, 'the same certificate is not added twice');
  });

  test('wrong input: exit 2 for the command line, 1 for a rejected value; nothing changes', async () => {
    const before = await settings();
    assertFailed(await cli(['sso', 'set', ACCOUNT, '--enforce', 'yes']), 2, /--enforce must be true or false/);
    assertFailed(await cli(['sso', 'set', ACCOUNT]), 2, /at least one flag/);
    assertFailed(await cli(['sso', 'set', ACCOUNT, '--idp-cert', join(dir, 'missing.pem')]), 2, /cannot read --idp-cert/);
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    assertFailed(await cli(['sso', 'set', ACCOUNT, '--idp-cert', notPem]), 1, /certificate must be a PEM file/);
    assertFailed(await cli(['sso', 'set', '999', '--idp-issuer', 'x', '--idp-cert', certFile]), 1, /account 999 does not exist/);
    assert.deepEqual(await settings(), before);
  });

  test('a first configuration needs the issuer and a certificate', async () => {
    assertSucceeded(await cli(['account', 'create', '616161']));
    assertFailed(await cli(['sso', 'set', '616161', '--enforce', 'true']), 1, /needs the identity provider's issuer and certificate/);
    assertFailed(await cli(['sso', 'add-cert', '616161', '--idp-cert', certFile]), 1, /no SSO configuration/);
  });

  test('export and import carry the SSO configuration and the key types', async () => {
    const file = join(dir, 'dump.json');
    assertSucceeded(await cli(['sso', 'set', ACCOUNT, '--idp-issuer', idp.issuer, '--idp-cert', certFile]));
    assertSucceeded(await cli(['apikey', 'create', ACCOUNT, '--type', 'oauth2', '--name', 'moved']));
    assertSucceeded(await cli(['export', '--file', file]));
    const target = `sqlite:${join(dir, 'target.db')}`;
    assertSucceeded(await runInProcess(['import', '--file', file, '--db', target]));
    const stores = await openStores({ databaseUrl: target });
    try {
      const account = await stores.accounts.getAccount(ACCOUNT);
      assert.deepEqual(account?.settings.sso, (await settings()).sso);
      const keys = await stores.apiKeys.listApiKeys(ACCOUNT);
      assert.equal(keys.find((k) => k.name === 'moved')?.type, 'oauth2');
    } finally {
      await stores.close();
    }
  });

  test('sso clear removes it, and says so once', async () => {
    const res = await cli(['sso', 'clear', ACCOUNT, '--json']);
    assertSucceeded(res);
    assert.deepEqual(res.json, { accountId: ACCOUNT, cleared: true });
    assert.equal((await settings()).sso, undefined);
    assert.equal((await cli(['sso', 'clear', ACCOUNT, '--json'])).json.cleared, false);
  });

  test('apikey create --type oauth2 issues appKey and secret only; --type is checked', async () => {
    const res = await cli(['apikey', 'create', ACCOUNT, '--type', 'oauth2', '--json']);
    assertSucceeded(res);
    assert.equal(res.json.type, 'oauth2');
    assert.equal(res.json.accessToken, undefined);
    assert.equal(res.json.accessTokenSecret, undefined);
    const text = await cli(['apikey', 'create', ACCOUNT, '--type', 'oauth2']);
    assert.match(text.stdout, /appKey: +\w+ \(client id\)/);
    assert.ok(!text.stdout.includes('accessToken'));
    const oauth1 = await cli(['apikey', 'create', ACCOUNT, '--json']);
    assert.equal(oauth1.json.type, 'oauth1');
    assert.match(oauth1.json.accessToken, /^[0-9a-f]{32}$/);
    const stores = await openStores({ databaseUrl: db });
    try {
      const key = await stores.apiKeys.getApiKey(ACCOUNT, oauth1.json.appKey);
      assert.equal(key?.accessTokenHash, hashToken(oauth1.json.accessToken));
    } finally {
      await stores.close();
    }
    assertFailed(await cli(['apikey', 'create', ACCOUNT, '--type', 'oauth3']), 2, /--type must be oauth1 or oauth2/);
    const list = await cli(['apikey', 'list', ACCOUNT, '--json']);
    const types = new Map(list.json.map((k: { appKey: string; type: string }) => [k.appKey, k.type]));
    assert.equal(types.get(res.json.appKey), 'oauth2');
    assert.equal(types.get(oauth1.json.appKey), 'oauth1');
  });

  test('account set --application-login-limit', async () => {
    const res = await cli(['account', 'set', ACCOUNT, '--application-login-limit', '3', '--json']);
    assertSucceeded(res);
    assert.equal(res.json.settings.applicationLoginLimit, 3);
    assert.match((await cli(['account', 'set', ACCOUNT, '--application-login-limit', '0'])).stdout, /Application Logins per bot in 5 seconds: +no limit/);
  });
});
