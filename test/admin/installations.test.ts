/**
 * Installations (`configuration/app-install/installations`) over a real
 * socket, on SQLite and on PostgreSQL: every route, each validation rule,
 * revisions, audit events, the secret shown once, tokens ended by disabling
 * and removing, and the two views of one store (oauth2 API keys ↔
 * installations).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashToken, randomToken } from '../../src/security/tokens.js';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../store/postgresDatabase.js';

const backends: Array<{ name: string; database?: () => Promise<TestDatabase> }> = [{ name: 'SQLite' }];
if (process.env.TEST_DATABASE_URL) backends.push({ name: 'PostgreSQL', database: () => createTestDatabase(process.env.TEST_DATABASE_URL!) });

const PATH = '/app-install/installations';
const valid = { client_name: 'Reporting', grant_types: ['client_credentials'], scope: 'users.read events.read' };
const webApp = {
  client_name: 'Web app',
  grant_types: ['authorization_code', 'refresh_token'],
  redirect_uris: ['https://app.example.com/callback', 'http://127.0.0.1:8765/cb'],
  scope: 'openid profile users.read',
  token_endpoint_auth_method: 'client_secret_post',
};

for (const backend of backends) {
  describe(`installations (${backend.name})`, () => {
    let db: TestDatabase | undefined;
    let server: TestServer;
    let seeded: SeededAccount;
    let api: string;
    let bearer: string;

    async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json: any;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {}
      return { status: res.status, json, text, headers: res.headers };
    }
    const revision = async () => Number((await call('GET', PATH)).headers.get('ac-revision'));
    const events = async (action: string) => (await server.stores.events.listEvents('123456', { limit: 500 })).filter((e) => e.detail.action === action);
    /** A refresh-token family of the installation, as the token endpoint would store it. */
    async function grantFor(clientId: string) {
      const token = randomToken();
      const now = server.clock.now();
      await server.stores.oauth.saveRefreshToken({
        tokenHash: hashToken(token),
        familyId: randomToken().slice(0, 16),
        accountId: '123456',
        clientId,
        userId: seeded.human.user.userId,
        scope: 'users.read',
        authTime: now,
        amr: ['pwd'],
        createdAt: now,
        expiresAt: now + 86_400_000,
      });
      return hashToken(token);
    }
    const grantLive = async (tokenHash: string) => (await server.stores.oauth.findRefreshToken(tokenHash, server.clock.now())) !== null;

    before(async () => {
      db = await backend.database?.();
      server = await startTestServer(db ? { env: { DATABASE_URL: db.url } } : {});
      seeded = await seedAccount(server, '123456');
      const login = await postJson(`${server.baseUrl}/api/account/123456/login`, { username: seeded.human.loginName, password: seeded.human.password });
      assert.equal(login.status, 200, login.text);
      bearer = login.json.bearer;
      api = `${server.baseUrl}/api/account/123456/configuration`;
    });
    after(async () => {
      await server?.close();
      await db?.drop();
    });

    test('install: 201 with the client id and secret, defaults filled in; only a digest is stored; never shown again', async () => {
      const created = await call('POST', PATH, valid);
      assert.equal(created.status, 201, created.text);
      const { client_id, client_secret } = created.json;
      assert.match(client_id, /^[A-Za-z0-9_-]{20,}$/);
      assert.ok(typeof client_secret === 'string' && client_secret.length >= 32);
      assert.deepEqual(
        { ...created.json, client_id: undefined, client_secret: undefined, created_at: undefined, updated_at: undefined },
        {
          client_id: undefined,
          client_secret: undefined,
          created_at: undefined,
          updated_at: undefined,
          client_name: 'Reporting',
          display_name: '',
          description: '',
          logo_uri: null,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: ['code'],
          scope: 'users.read events.read',
          token_endpoint_auth_method: 'client_secret_basic',
          enabled: true,
          ip_allowlist: [],
        },
      );
      const key = await server.stores.apiKeys.getApiKey('123456', client_id);
      assert.equal(key?.type, 'oauth2');
      assert.equal(key?.secretHash, hashToken(client_secret));
      assert.ok(!JSON.stringify(key).includes(client_secret));

      const read = await call('GET', `${PATH}/${client_id}`);
      assert.equal(read.status, 200);
      assert.equal(read.json.client_secret, undefined);
      const listed = await call('GET', PATH);
      assert.ok(listed.json.some((i: any) => i.client_id === client_id));
      for (const text of [read.text, listed.text, (await call('GET', '/app-keys')).text, (await call('GET', '/events')).text]) {
        assert.ok(!text.includes(client_secret), 'the secret is never shown again');
        assert.ok(!text.includes(hashToken(client_secret)), 'nor its digest');
      }
      const [event] = await events('installation_create');
      assert.equal(event?.detail.clientId, client_id);
      assert.equal(event?.detail.by, seeded.human.loginName);
    });

    test('Application Login accepts an installation\'s client id and secret; removing it ends the bot\'s sessions and its tokens', async () => {
      const created = await call('POST', PATH, { ...valid, client_name: 'Bot app' });
      const { client_id, client_secret } = created.json;
      const bot = await call('POST', '/le-users/users', { loginName: 'installed.bot', isApiUser: true, allowedAppKeys: client_id });
      assert.equal(bot.status, 201, bot.text);
      const botLogin = () => postJson(`${server.baseUrl}/api/account/123456/login`, { username: 'installed.bot', appKey: client_id, secret: client_secret });
      const session = await botLogin();
      assert.equal(session.status, 200, session.text);
      const grant = await grantFor(client_id);
      assert.equal(await grantLive(grant), true);

      const removed = await call('DELETE', `${PATH}/${client_id}`);
      assert.equal(removed.status, 200, removed.text);
      assert.deepEqual(removed.json, { client_id, deleted: true, sessions_ended: 1, grants_ended: 1 });
      assert.equal(await grantLive(grant), false, 'the refresh-token family ended');
      const check = await fetch(`${server.baseUrl}/api/account/123456/session`, { headers: { authorization: `Bearer ${session.json.bearer}` } });
      assert.equal(check.status, 401, 'the bot session ended');
      assert.equal((await botLogin()).status, 401);
      assert.equal((await call('GET', `${PATH}/${client_id}`)).status, 404);
      assert.equal((await call('DELETE', `${PATH}/${client_id}`)).status, 404);
      assert.ok(!(await call('GET', PATH)).json.some((i: any) => i.client_id === client_id));
      const key = (await call('GET', '/app-keys')).json.find((k: any) => k.appKey === client_id);
      assert.equal(key.active, false, 'its key stays listed, revoked');
      const [event] = await events('installation_delete');
      assert.deepEqual({ ...event?.detail, by: undefined, byUserId: undefined, via: undefined }, { action: 'installation_delete', clientId: client_id, clientName: 'Bot app', sessionsEnded: 1, grantsEnded: 1, by: undefined, byUserId: undefined, via: undefined });
    });

    test('PUT replaces the whole installation; left-out fields take their defaults; disabling ends its tokens', async () => {
      const created = await call('POST', PATH, { ...webApp, display_name: 'Web', description: 'The web app', logo_uri: 'https://app.example.com/logo.png', ip_allowlist: ['203.0.113.0/24'] });
      assert.equal(created.status, 201, created.text);
      const id = created.json.client_id;
      const grant = await grantFor(id);

      const replaced = await call('PUT', `${PATH}/${id}`, { ...created.json, client_secret: undefined, redirect_uris: ['https://app.example.com/new'], display_name: undefined, description: undefined, logo_uri: undefined, ip_allowlist: undefined });
      assert.equal(replaced.status, 200, replaced.text);
      assert.equal(replaced.json.client_secret, undefined, 'the secret stays and is not shown');
      assert.deepEqual(replaced.json.redirect_uris, ['https://app.example.com/new']);
      assert.equal(replaced.json.display_name, '');
      assert.equal(replaced.json.logo_uri, null);
      assert.deepEqual(replaced.json.ip_allowlist, []);
      assert.equal(replaced.json.created_at, created.json.created_at);
      assert.equal(await grantLive(grant), true, 'an edit that keeps it enabled keeps its tokens');

      const disabled = await call('PUT', `${PATH}/${id}`, { ...webApp, enabled: false });
      assert.equal(disabled.status, 200, disabled.text);
      assert.equal(disabled.json.enabled, false);
      assert.equal(await grantLive(grant), false, 'disabling ended its tokens');
      const updates = await events('installation_update');
      assert.deepEqual(
        updates.filter((e) => e.detail.clientId === id).map((e) => [e.detail.enabled, e.detail.grantsEnded]),
        [
          [false, 1],
          [true, undefined],
        ],
      );
      assert.equal((await server.stores.apiKeys.getApiKey('123456', id))?.secretHash, hashToken(created.json.client_secret), 'the secret is unchanged');
      assert.equal((await call('PUT', `${PATH}/nosuchclient`, valid)).status, 404);
    });

    test('rotation: a new secret, once; the old one stops working at once', async () => {
      const created = await call('POST', PATH, { ...valid, client_name: 'Rotating' });
      const id = created.json.client_id;
      await call('POST', '/le-users/users', { loginName: 'rotating.installed', isApiUser: true, allowedAppKeys: id });
      const botLogin = (secret: string) => postJson(`${server.baseUrl}/api/account/123456/login`, { username: 'rotating.installed', appKey: id, secret });
      assert.equal((await botLogin(created.json.client_secret)).status, 200);
      const rotated = await call('POST', `${PATH}/${id}/secret`);
      assert.equal(rotated.status, 200, rotated.text);
      assert.equal(rotated.json.client_id, id);
      assert.ok(rotated.json.client_secret && rotated.json.client_secret !== created.json.client_secret);
      assert.equal((await botLogin(created.json.client_secret)).status, 401);
      assert.equal((await botLogin(rotated.json.client_secret)).status, 200);
      assert.ok(!(await call('GET', `${PATH}/${id}`)).text.includes(rotated.json.client_secret));
      const [event] = await events('installation_secret_rotate');
      assert.equal(event?.detail.clientId, id);
      assert.ok(!JSON.stringify(event).includes(rotated.json.client_secret));
      assert.equal((await call('POST', `${PATH}/nosuchclient/secret`)).status, 404);
    });

    test('a public client has no secret, cannot rotate one, gets one when made confidential', async () => {
      const created = await call('POST', PATH, { ...webApp, client_name: 'SPA', grant_types: ['authorization_code'], token_endpoint_auth_method: 'none' });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json.client_secret, undefined);
      assert.equal((await server.stores.apiKeys.getApiKey('123456', created.json.client_id))?.secretHash, '');
      const rotate = await call('POST', `${PATH}/${created.json.client_id}/secret`);
      assert.equal(rotate.status, 400);
      assert.match(rotate.json.error.message, /public client/);
      const confidential = await call('PUT', `${PATH}/${created.json.client_id}`, { ...webApp, client_name: 'SPA' });
      assert.equal(confidential.status, 200, confidential.text);
      assert.equal(typeof confidential.json.client_secret, 'string');
      assert.equal((await server.stores.apiKeys.getApiKey('123456', created.json.client_id))?.secretHash, hashToken(confidential.json.client_secret));
    });

    test('validation: each rule of the table is a 400 that names it, and changes nothing', async () => {
      const before = await call('GET', PATH);
      const cases: Array<[string, Record<string, unknown>, RegExp]> = [
        ['client_name missing', { grant_types: ['client_credentials'] }, /client_name/],
        ['client_name blank', { client_name: '   ' }, /client_name is required/],
        ['client_name too long', { client_name: 'x'.repeat(129) }, /client_name/],
        ['client_name taken (case aside)', { client_name: 'REPORTING' }, /Reporting|REPORTING/i],
        ['display_name too long', { ...valid, client_name: 'a', display_name: 'x'.repeat(129) }, /display_name/],
        ['description too long', { ...valid, client_name: 'a', description: 'x'.repeat(257) }, /description/],
        ['logo_uri not https', { ...valid, client_name: 'a', logo_uri: 'http://example.com/logo.png' }, /logo_uri must be an https: URL/],
        ['logo_uri not a URL', { ...valid, client_name: 'a', logo_uri: 'logo.png' }, /logo_uri must be an absolute URL/],
        ['logo_uri too long', { ...valid, client_name: 'a', logo_uri: `https://example.com/${'x'.repeat(1020)}` }, /logo_uri/],
        ['unknown grant', { client_name: 'a', grant_types: ['device_code'] }, /grant_types "device_code" is not one of/],
        ['password grant', { client_name: 'a', grant_types: ['password'] }, /password grant/],
        ['no grant', { client_name: 'a', grant_types: [] }, /at least one/],
        ['authorization_code without redirect_uris', { client_name: 'a', grant_types: ['authorization_code'] }, /redirect_uris is required with the authorization_code grant/],
        ['redirect_uri relative', { ...webApp, client_name: 'a', redirect_uris: ['/callback'] }, /absolute URL/],
        ['redirect_uri http on a public host', { ...webApp, client_name: 'a', redirect_uris: ['http://app.example.com/cb'] }, /only loopback hosts/],
        ['redirect_uri with a fragment', { ...webApp, client_name: 'a', redirect_uris: ['https://app.example.com/cb#x'] }, /fragment/],
        ['redirect_uri of another scheme', { ...webApp, client_name: 'a', redirect_uris: ['javascript:alert(1)'] }, /https:/],
        ['implicit response type', { ...webApp, client_name: 'a', response_types: ['token'] }, /implicit flow/],
        ['implicit id_token', { ...webApp, client_name: 'a', response_types: ['code id_token'] }, /implicit flow/],
        ['unknown response type', { ...webApp, client_name: 'a', response_types: ['none'] }, /only be \["code"\]/],
        ['unknown scope', { ...valid, client_name: 'a', scope: 'users.read users.delete' }, /scope "users.delete" is not a scope/],
        ['openid without authorization_code', { ...valid, client_name: 'a', scope: 'openid' }, /authorization_code/],
        ['unknown auth method', { ...valid, client_name: 'a', token_endpoint_auth_method: 'private_key_jwt' }, /token_endpoint_auth_method must be one of/],
        ['public client with client credentials', { ...valid, client_name: 'a', token_endpoint_auth_method: 'none' }, /public client/],
        ['ip_allowlist too many', { ...valid, client_name: 'a', ip_allowlist: Array.from({ length: 51 }, (_, i) => `10.0.0.${i}`) }, /ip_allowlist|must NOT have more than 50 items/],
        ['ip_allowlist entry too long', { ...valid, client_name: 'a', ip_allowlist: ['1'.repeat(101)] }, /ip_allowlist|must NOT have more than 100 characters/],
        ['ip_allowlist entry empty', { ...valid, client_name: 'a', ip_allowlist: [' '] }, /ip_allowlist/],
        ['enabled not a boolean', { ...valid, client_name: 'a', enabled: 'yes' }, /enabled/],
        ['an unknown field', { ...valid, client_name: 'a', client_uri: 'https://x' }, /client_uri|additional/],
      ];
      for (const [name, body, message] of cases) {
        const res = await call('POST', PATH, body);
        assert.equal(res.status, name.includes('taken') ? 409 : 400, `${name}: ${res.text}`);
        assert.match(res.json.error.message, message, name);
      }
      const id = before.json[0].client_id;
      const put = await call('PUT', `${PATH}/${id}`, { ...valid, response_types: ['token'] });
      assert.equal(put.status, 400);
      const after = await call('GET', PATH);
      assert.deepEqual(after.json, before.json, 'nothing changed');
      assert.equal(after.headers.get('ac-revision'), before.headers.get('ac-revision'));
      assert.equal((await call('POST', PATH, 'not json at all')).status, 400);
      assert.equal((await call('GET', `${PATH}?v=2.0`)).status, 400);
      assert.equal((await call('GET', `${PATH}?select=client_name,secret`)).status, 400);
    });

    test('revisions: every write moves them; If-Match of an old one is 412 and changes nothing; If-None-Match 304; select', async () => {
      const r0 = await revision();
      const created = await call('POST', PATH, { ...valid, client_name: 'Conditional' }, { 'if-match': String(r0) });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.headers.get('ac-revision'), String(r0 + 1));
      assert.equal(created.headers.get('etag'), `"${r0 + 1}"`);
      const stale = await call('PUT', `${PATH}/${created.json.client_id}`, { ...valid, client_name: 'Renamed' }, { 'if-match': `"${r0}"` });
      assert.equal(stale.status, 412);
      assert.equal(stale.headers.get('ac-revision'), String(r0 + 1));
      assert.equal((await call('GET', `${PATH}/${created.json.client_id}`)).json.client_name, 'Conditional');
      assert.equal((await call('POST', PATH, { ...valid, client_name: 'Late' }, { 'if-match': String(r0) })).status, 412);
      assert.equal((await call('POST', `${PATH}/${created.json.client_id}/secret`, undefined, { 'if-match': String(r0) })).status, 412);
      assert.equal((await call('DELETE', `${PATH}/${created.json.client_id}`, undefined, { 'if-match': String(r0) })).status, 412);
      assert.equal((await call('GET', `${PATH}/${created.json.client_id}`)).status, 200, 'not removed');

      const fresh = await call('GET', PATH, undefined, { 'if-none-match': `"${r0 + 1}"` });
      assert.equal(fresh.status, 304);
      const renamed = await call('PUT', `${PATH}/${created.json.client_id}`, { ...valid, client_name: 'Renamed' }, { 'if-match': String(r0 + 1) });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(renamed.headers.get('ac-revision'), String(r0 + 2));
      assert.equal((await call('GET', PATH, undefined, { 'if-none-match': `"${r0 + 1}"` })).status, 200);

      const selected = await call('GET', `${PATH}/${created.json.client_id}?select=client_name,enabled`);
      assert.deepEqual(selected.json, { client_id: created.json.client_id, client_name: 'Renamed', enabled: true });
    });

    test('two views of one store: an oauth2 API key is an installation, an installation an oauth2 API key', async () => {
      const r0 = await revision();
      const key = await call('POST', '/app-keys', { name: 'CLI made', type: 'oauth2' });
      assert.equal(key.status, 201, key.text);
      assert.equal(await revision(), r0 + 1, 'an oauth2 key moves the installations\' revision');
      const seen = await call('GET', `${PATH}/${key.json.appKey}`);
      assert.equal(seen.status, 200, seen.text);
      assert.equal(seen.json.client_name, 'CLI made');
      assert.deepEqual(seen.json.grant_types, ['client_credentials']);
      assert.equal(seen.json.token_endpoint_auth_method, 'client_secret_basic');
      assert.equal(seen.json.enabled, true);
      assert.equal((await call('GET', `${PATH}/${(await call('POST', '/app-keys', { name: 'one' })).json.appKey}`)).status, 404, 'an oauth1 key is not an installation');

      const installed = await call('POST', PATH, { ...valid, client_name: 'Seen as a key' });
      const asKey = (await call('GET', '/app-keys')).json.find((k: any) => k.appKey === installed.json.client_id);
      assert.deepEqual({ type: asKey.type, name: asKey.name, active: asKey.active }, { type: 'oauth2', name: 'Seen as a key', active: true });

      // Editing the key's installation view gives it fields of its own; revoking the key removes the installation.
      const edited = await call('PUT', `${PATH}/${key.json.appKey}`, { client_name: 'CLI made', scope: 'sessions.read' });
      assert.equal(edited.status, 200, edited.text);
      assert.equal((await call('GET', `${PATH}/${key.json.appKey}`)).json.scope, 'sessions.read');
      const grant = await grantFor(installed.json.client_id);
      const r1 = await revision();
      assert.equal((await call('DELETE', `/app-keys/${installed.json.client_id}`)).status, 200);
      assert.equal((await call('GET', `${PATH}/${installed.json.client_id}`)).status, 404);
      assert.equal(await grantLive(grant), false, 'revoking the key ended the installation\'s tokens');
      assert.equal(await revision(), r1 + 1);
    });

    test('end to end: an installed application gets a token, uses it within its scope, and loses it when disabled or removed', async () => {
      const created = await call('POST', PATH, { ...valid, client_name: 'Token holder', scope: 'installations.read' });
      const { client_id, client_secret } = created.json;
      const issuer = `${server.baseUrl}/sentinel/api/account/123456`;
      const token = async (secret: string) => {
        const res = await fetch(`${issuer}/app/token?v=1.0`, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(`${client_id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        });
        return { status: res.status, json: (await res.json()) as any };
      };
      const asApp = (accessToken: string, method = 'GET', path = PATH) => fetch(`${api}${path}`, { method, headers: { authorization: `Bearer ${accessToken}` } });
      const issued = await token(client_secret);
      assert.equal(issued.status, 200, JSON.stringify(issued.json));
      assert.equal(issued.json.scope, 'installations.read');
      const first = issued.json.access_token as string;
      assert.equal((await asApp(first)).status, 200, 'installations.read lets it list');
      assert.equal((await asApp(first, 'GET', '/le-users/users')).status, 403, 'nothing beyond its scope');

      const rotated = await call('POST', `${PATH}/${client_id}/secret`);
      assert.equal((await token(client_secret)).status, 401, 'the old secret is refused at the token endpoint');
      assert.equal((await asApp(first)).status, 200, 'tokens issued before a rotation live on');
      const second = (await token(rotated.json.client_secret)).json.access_token as string;

      assert.equal((await call('PUT', `${PATH}/${client_id}`, { ...valid, client_name: 'Token holder', scope: 'installations.read', enabled: false })).status, 200);
      assert.equal((await asApp(second)).status, 401, 'disabled: its token is refused');
      assert.equal((await token(rotated.json.client_secret)).status, 401, 'and it gets no new one');
      assert.equal((await call('PUT', `${PATH}/${client_id}`, { ...valid, client_name: 'Token holder', scope: 'installations.read' })).status, 200);
      const third = (await token(rotated.json.client_secret)).json.access_token as string;
      assert.equal((await asApp(third)).status, 200);
      // iat counts seconds: a token of an earlier second than the disable stays dead once enabled again.
      const old = (await token(rotated.json.client_secret)).json.access_token as string;
      server.clock.advance(1_100);
      assert.equal((await call('PUT', `${PATH}/${client_id}`, { ...valid, client_name: 'Token holder', scope: 'installations.read', enabled: false })).status, 200);
      assert.equal((await call('PUT', `${PATH}/${client_id}`, { ...valid, client_name: 'Token holder', scope: 'installations.read' })).status, 200);
      assert.equal((await asApp(old)).status, 401, 'enabled again: a token issued before the disable stays refused');
      assert.equal((await asApp(third)).status, 401);
      const fourth = (await token(rotated.json.client_secret)).json.access_token as string;
      assert.equal((await asApp(fourth)).status, 200, 'new tokens work');
      assert.equal((await call('DELETE', `${PATH}/${client_id}`)).status, 200);
      assert.equal((await asApp(fourth)).status, 401, 'removed: its token is refused');
      assert.equal((await token(rotated.json.client_secret)).status, 401);
    });

    test('ip_allowlist: entries must parse; the token endpoint refuses the client from elsewhere', async () => {
      assert.equal((await call('POST', PATH, { ...valid, client_name: 'Bad list', ip_allowlist: ['10.0.0.0/33'] })).status, 400);
      assert.equal((await call('POST', PATH, { ...valid, client_name: 'Bad list', ip_allowlist: ['10.1'] })).status, 400);
      const created = await call('POST', PATH, { ...valid, client_name: 'Office only', ip_allowlist: ['10.0.0.0/8', '2001:db8::/32'] });
      assert.equal(created.status, 201, created.text);
      const { client_id, client_secret } = created.json;
      const token = () =>
        fetch(`${server.baseUrl}/sentinel/api/account/123456/app/token?v=1.0`, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        });
      const refused = await token();
      assert.equal(refused.status, 401, 'this test calls from the loopback address, outside the list');
      assert.equal(((await refused.json()) as { error: string }).error, 'invalid_client');
      assert.equal((await call('PUT', `${PATH}/${client_id}`, { ...valid, client_name: 'Office only', ip_allowlist: ['10.0.0.0/8', '127.0.0.0/8', '::1'] })).status, 200);
      assert.equal((await token()).status, 200, 'allowed once the loopback address is listed');
    });

    test('only administrators of the account', async () => {
      const other = await seedAccount(server, backend.name === 'SQLite' ? '777' : '778');
      const otherAdmin = await postJson(`${server.baseUrl}/api/account/${other.accountId}/login`, { username: other.human.loginName, password: other.human.password });
      const res = await fetch(`${api}${PATH}`, { headers: { authorization: `Bearer ${otherAdmin.json.bearer}` } });
      assert.equal(res.status, 403);
      assert.equal((await fetch(`${api}${PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(valid) })).status, 401);
    });
  });
}
