/**
 * `app install | list | show | update | rotate-secret | remove` and
 * `keys list | rotate`, on a real SQLite file: through `main`, and once as
 * the real command in a child process.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStores } from '../../src/store/index.js';
import { hashToken, randomToken } from '../../src/security/tokens.js';
import { assertFailed, assertSucceeded, runCommand, runInProcess } from './cliRunner.js';

const ACCOUNT = '616161';

describe('app and keys commands', () => {
  let dir: string;
  let db: string;
  const cli = (args: string[]) => runInProcess([...args, '--db', db]);
  async function withStores<T>(fn: (stores: Awaited<ReturnType<typeof openStores>>) => Promise<T>): Promise<T> {
    const stores = await openStores({ databaseUrl: db });
    try {
      return await fn(stores);
    } finally {
      await stores.close();
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-service-apps-cli-'));
    db = `sqlite:${join(dir, 'store.db')}`;
    assertSucceeded(await cli(['account', 'create', ACCOUNT, '--name', 'Apps']));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('app install prints the client id and secret once; only the digest is stored; list and show never print it', async () => {
    const res = await cli(['app', 'install', ACCOUNT, '--name', 'Reporting', '--scope', 'users.read events.read', '--ip-allow', '203.0.113.0/24', '--ip-allow', '198.51.100.7', '--json']);
    assertSucceeded(res);
    const { client_id, client_secret } = res.json;
    assert.equal(res.json.client_name, 'Reporting');
    assert.deepEqual(res.json.grant_types, ['client_credentials']);
    assert.equal(res.json.scope, 'users.read events.read');
    assert.deepEqual(res.json.ip_allowlist, ['203.0.113.0/24', '198.51.100.7']);
    const key = await withStores((s) => s.apiKeys.getApiKey(ACCOUNT, client_id));
    assert.equal(key?.type, 'oauth2');
    assert.equal(key?.secretHash, hashToken(client_secret));

    const text = await cli(['app', 'install', ACCOUNT, '--name', 'Second']);
    assertSucceeded(text);
    assert.match(text.stdout, /client id: +\S+/);
    assert.match(text.stdout, /client secret: +\S+\nStore it now: the secret is shown only this once\./);

    const list = await cli(['app', 'list', ACCOUNT]);
    assertSucceeded(list);
    assert.match(list.stdout, /CLIENT ID +NAME +STATUS/);
    assert.match(list.stdout, new RegExp(`${client_id} +Reporting +enabled +client_credentials`));
    const show = await cli(['app', 'show', ACCOUNT, client_id]);
    assertSucceeded(show);
    assert.match(show.stdout, /scope: +users\.read events\.read/);
    for (const out of [list.stdout, show.stdout, (await cli(['app', 'list', ACCOUNT, '--json'])).stdout, (await cli(['app', 'show', ACCOUNT, client_id, '--json'])).stdout]) {
      assert.ok(!out.includes(client_secret));
    }
    const events = await withStores((s) => s.events.listEvents(ACCOUNT, {}));
    const created = events.find((e) => e.detail.action === 'installation_create' && e.detail.clientId === client_id);
    assert.equal(created?.detail.by, 'cli');
  });

  test('an authorization-code application with redirect URIs; a public one has no secret', async () => {
    const web = await cli(['app', 'install', ACCOUNT, '--name', 'Web', '--grant', 'authorization_code,refresh_token', '--redirect-uri', 'https://app.example.com/cb', '--redirect-uri', 'http://localhost:8080/cb', '--scope', 'openid profile users.read', '--auth-method', 'client_secret_post', '--json']);
    assertSucceeded(web);
    assert.deepEqual(web.json.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(web.json.redirect_uris, ['https://app.example.com/cb', 'http://localhost:8080/cb']);
    assert.equal(web.json.token_endpoint_auth_method, 'client_secret_post');

    const spa = await cli(['app', 'install', ACCOUNT, '--name', 'SPA', '--public', '--grant', 'authorization_code', '--redirect-uri', 'https://spa.example.com/', '--json']);
    assertSucceeded(spa);
    assert.equal(spa.json.client_secret, undefined);
    assert.equal(spa.json.token_endpoint_auth_method, 'none');
    assertFailed(await cli(['app', 'rotate-secret', ACCOUNT, spa.json.client_id]), 1, /public client/);
  });

  test('bad input: the rule in one line, nothing installed', async () => {
    const before = (await cli(['app', 'list', ACCOUNT, '--json'])).json.length;
    assertFailed(await cli(['app', 'install', ACCOUNT]), 2, /needs --name/);
    assertFailed(await cli(['app', 'install', ACCOUNT, '--name', 'x', '--grant', 'authorization_code']), 1, /redirect_uris is required/);
    assertFailed(await cli(['app', 'install', ACCOUNT, '--name', 'x', '--grant', 'authorization_code', '--redirect-uri', 'http://app.example.com/cb']), 1, /loopback/);
    assertFailed(await cli(['app', 'install', ACCOUNT, '--name', 'x', '--scope', 'users.delete']), 1, /not a scope/);
    assertFailed(await cli(['app', 'install', ACCOUNT, '--name', 'x', '--grant', 'password']), 1, /password grant/);
    assertFailed(await cli(['app', 'install', ACCOUNT, '--name', 'Reporting']), 1, /already exists/);
    assertFailed(await cli(['app', 'install', ACCOUNT, '--name', 'x', '--public', '--auth-method', 'client_secret_basic']), 2, /--public/);
    assertFailed(await cli(['app', 'install', '999999', '--name', 'x']), 1, /account 999999 does not exist/);
    assertFailed(await cli(['app', 'show', ACCOUNT, 'nosuchclient']), 1, /does not exist/);
    assert.equal((await cli(['app', 'list', ACCOUNT, '--json'])).json.length, before);
  });

  test('app update changes what its flags name and keeps the rest; --disable ends the tokens', async () => {
    const app = (await cli(['app', 'install', ACCOUNT, '--name', 'Updatable', '--scope', 'users.read', '--json'])).json;
    const grant = randomToken();
    await withStores(async (s) => {
      const now = Date.now();
      await s.oauth.saveRefreshToken({ tokenHash: hashToken(grant), familyId: randomToken().slice(0, 16), accountId: ACCOUNT, clientId: app.client_id, userId: 'u1', scope: 'users.read', authTime: now, amr: ['pwd'], createdAt: now, expiresAt: now + 3_600_000 });
    });
    assertFailed(await cli(['app', 'update', ACCOUNT, app.client_id]), 2, /needs at least one of/);
    const renamed = await cli(['app', 'update', ACCOUNT, app.client_id, '--name', 'Renamed', '--description', 'Weekly', '--json']);
    assertSucceeded(renamed);
    assert.equal(renamed.json.client_name, 'Renamed');
    assert.equal(renamed.json.description, 'Weekly');
    assert.equal(renamed.json.scope, 'users.read', 'kept');
    assert.equal(await withStores(async (s) => (await s.oauth.findRefreshToken(hashToken(grant), Date.now())) !== null), true);

    const disabled = await cli(['app', 'update', ACCOUNT, app.client_id, '--disable', '--json']);
    assertSucceeded(disabled);
    assert.equal(disabled.json.enabled, false);
    assert.equal(await withStores(async (s) => (await s.oauth.findRefreshToken(hashToken(grant), Date.now())) !== null), false, 'its tokens ended');
    const enabled = await cli(['app', 'update', ACCOUNT, app.client_id, '--enable']);
    assertSucceeded(enabled);
    assert.match(enabled.stdout, /Renamed \(enabled\)/);
    assertFailed(await cli(['app', 'update', ACCOUNT, app.client_id, '--enable', '--disable']), 2, /cannot both/);
  });

  test('rotate-secret prints a new secret; remove revokes the key', async () => {
    const app = (await cli(['app', 'install', ACCOUNT, '--name', 'Rotating', '--json'])).json;
    const rotated = await cli(['app', 'rotate-secret', ACCOUNT, app.client_id, '--json']);
    assertSucceeded(rotated);
    assert.equal(rotated.json.client_id, app.client_id);
    assert.notEqual(rotated.json.client_secret, app.client_secret);
    assert.equal((await withStores((s) => s.apiKeys.getApiKey(ACCOUNT, app.client_id)))?.secretHash, hashToken(rotated.json.client_secret));

    const removed = await cli(['app', 'remove', ACCOUNT, app.client_id]);
    assertSucceeded(removed);
    assert.match(removed.stdout, /removed application \S+; 0 bot sessions and 0 token families ended/);
    assert.notEqual((await withStores((s) => s.apiKeys.getApiKey(ACCOUNT, app.client_id)))?.revokedAt, null);
    assertFailed(await cli(['app', 'remove', ACCOUNT, app.client_id]), 1, /does not exist/);
    assert.ok(!(await cli(['app', 'list', ACCOUNT, '--json'])).json.some((a: any) => a.client_id === app.client_id));
  });

  test('an oauth2 API key is listed as an application', async () => {
    const key = await cli(['apikey', 'create', ACCOUNT, '--type', 'oauth2', '--name', 'From apikey', '--json']);
    assertSucceeded(key);
    const shown = await cli(['app', 'show', ACCOUNT, key.json.appKey, '--json']);
    assertSucceeded(shown);
    assert.equal(shown.json.client_name, 'From apikey');
    assert.deepEqual(shown.json.grant_types, ['client_credentials']);
  });

  test('keys rotate makes a new current key per alg and retires the previous; keys list shows them, never a private part', async () => {
    const first = await cli(['keys', 'rotate', '--json']);
    assertSucceeded(first);
    assert.deepEqual(first.json.map((k: any) => k.alg).sort(), ['ES256', 'RS256']);
    const rs = await cli(['keys', 'rotate', '--alg', 'RS256', '--json']);
    assertSucceeded(rs);
    assert.equal(rs.json.length, 1);
    const listed = await cli(['keys', 'list', '--json']);
    assertSucceeded(listed);
    const current = listed.json.filter((k: any) => k.current);
    assert.deepEqual(current.map((k: any) => k.kid).sort(), [rs.json[0].kid, first.json.find((k: any) => k.alg === 'ES256').kid].sort());
    const old = listed.json.find((k: any) => k.kid === first.json.find((f: any) => f.alg === 'RS256').kid);
    assert.equal(old.current, false);
    assert.ok(old.retiredAt);
    assert.ok(!/"d"|privateJwk/.test(listed.stdout));
    const text = await cli(['keys', 'list']);
    assert.match(text.stdout, new RegExp(`${rs.json[0].kid} +RS256 +current`));
    assertFailed(await cli(['keys', 'rotate', '--alg', 'HS256']), 2, /--alg must be RS256 or ES256/);
  });

  test('the real command: help, install and rotate in a child process', async () => {
    const help = await runCommand(['help', 'app']);
    assert.equal(help.code, 0, help.stderr);
    for (const action of ['install', 'list', 'show', 'update', 'rotate-secret', 'remove']) assert.match(help.stdout, new RegExp(`login-service app ${action} `));
    const installed = await runCommand(['app', 'install', ACCOUNT, '--name', 'Child process', '--scope', 'sessions.read', '--db', db, '--json']);
    assert.equal(installed.code, 0, installed.stderr);
    assert.equal(installed.json.client_name, 'Child process');
    assert.equal(typeof installed.json.client_secret, 'string');
    const keys = await runCommand(['keys', 'list', '--db', db, '--json']);
    assert.equal(keys.code, 0, keys.stderr);
    assert.ok(keys.json.length >= 3);
  });
});
