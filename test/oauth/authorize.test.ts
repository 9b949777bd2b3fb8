/**
 * The authorization endpoint over a real socket: which requests are refused
 * on a page here (never redirected), which go back to the client with
 * `error`, `state` and `iss`, a live session going straight back with a code
 * bound to everything the token endpoint checks, the sign-in form's
 * anti-forgery binding, and RP-initiated logout.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pageCsp } from '../../src/http/pages.js';
import { hashToken } from '../../src/security/tokens.js';
import { postJson, seedAccount, sessionCookie, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { authorizeUrl, getManual, installApp, issuerOf, pkcePair, startCallbackServer, type CallbackServer, type Installed } from './authorizeHelpers.js';

describe('OAuth authorization endpoint', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let callback: CallbackServer;
  let app: Installed;
  let publicApp: Installed;
  let accountId: string;
  const otherUri = 'https://app.example/other-callback';

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
    accountId = seeded.accountId;
    callback = await startCallbackServer();
    app = await installApp(server, accountId, { clientName: 'Reports', displayName: 'Reports <b>&</b> "Co"', redirectUris: [callback.redirectUri, otherUri], scope: 'users.read' });
    publicApp = await installApp(server, accountId, { clientName: 'Desk app', redirectUris: [callback.redirectUri], tokenEndpointAuthMethod: 'none' });
  });
  after(async () => {
    await callback?.close();
    await server?.close();
  });

  const baseParams = () => ({ v: '1.0', response_type: 'code', client_id: app.clientId, redirect_uri: callback.redirectUri, state: 'st-123', scope: 'openid users.read' });

  async function loginCookie(account = accountId, username = seeded.human.loginName, password = seeded.human.password): Promise<string> {
    const res = await postJson(`${server.baseUrl}/api/account/${account}/login?v=1.3`, { username, password });
    assert.equal(res.status, 200);
    return sessionCookie(res.headers)!;
  }

  /** A 302 back to the callback: its parameters. */
  function redirectedBack(res: Response): URLSearchParams {
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, callback.redirectUri);
    return location.searchParams;
  }

  async function assertRefusedHere(url: string, reason: RegExp): Promise<void> {
    const res = await getManual(url);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null, 'never a redirect');
    assert.match(res.headers.get('content-type')!, /^text\/html/);
    assert.match(res.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
    assert.match(await res.text(), reason);
  }

  describe('refused on a page of this service', () => {
    test('an unknown client_id', async () => {
      await assertRefusedHere(authorizeUrl(server, accountId, { ...baseParams(), client_id: 'no-such-client' }), /not known to this service/);
    });

    test('no client_id, or client_id sent twice', async () => {
      const { client_id: _omit, ...noClient } = baseParams();
      await assertRefusedHere(authorizeUrl(server, accountId, noClient), /names no valid client_id/);
      const twice = `${authorizeUrl(server, accountId, baseParams())}&client_id=${app.clientId}`;
      await assertRefusedHere(twice, /names no valid client_id/);
    });

    test('a redirect_uri that is not registered exactly: no open redirect', async () => {
      for (const uri of ['https://evil.example/callback', `${callback.redirectUri}/`, `${callback.redirectUri}?x=1`, callback.redirectUri.toUpperCase()]) {
        await assertRefusedHere(authorizeUrl(server, accountId, { ...baseParams(), redirect_uri: uri }), /not one it registered/);
      }
    });

    test('redirect_uri omitted: refused when two are registered, the one used when only one is', async () => {
      const { redirect_uri: _omit, ...params } = baseParams();
      await assertRefusedHere(authorizeUrl(server, accountId, params), /not one it registered/);
      const pkce = pkcePair();
      const res = await getManual(authorizeUrl(server, accountId, { ...params, client_id: publicApp.clientId, scope: 'openid', code_challenge: pkce.challenge, code_challenge_method: 'S256' }));
      assert.equal(res.status, 200, 'the sign-in page');
    });

    test('a client of another account, and an account that does not exist', async () => {
      await seedAccount(server, '777001');
      await assertRefusedHere(authorizeUrl(server, '777001', baseParams()), /not known/);
      await assertRefusedHere(authorizeUrl(server, '999999999', baseParams()), /not known/);
    });

    test('a disabled installation, and a deleted one', async () => {
      const disabled = await installApp(server, accountId, { clientName: 'Off', redirectUris: [callback.redirectUri], enabled: false });
      await assertRefusedHere(authorizeUrl(server, accountId, { ...baseParams(), client_id: disabled.clientId }), /not known/);
      const deleted = await installApp(server, accountId, { clientName: 'Gone', redirectUris: [callback.redirectUri] });
      await server.stores.apiKeys.revokeApiKey(accountId, deleted.clientId, server.clock.now());
      await assertRefusedHere(authorizeUrl(server, accountId, { ...baseParams(), client_id: deleted.clientId }), /not known/);
    });

    test('refusals are audited, one event per address, reason and minute', async () => {
      server.clock.advance(60_000);
      await getManual(authorizeUrl(server, accountId, { ...baseParams(), client_id: 'audited-client' }));
      await getManual(authorizeUrl(server, accountId, { ...baseParams(), client_id: 'another-client' }));
      await server.services.audit.flush();
      const items = await server.stores.events.listEvents(accountId, { type: 'oauth_authorize_refused' });
      const event = items.find((e) => e.detail.reason === 'unknown_client' && e.time === server.clock.now());
      assert.equal(event?.detail.clientId, 'audited-client');
      assert.equal(event?.detail.count, 2);
    });
  });

  describe('refused back to the client, with error, state and iss', () => {
    test('response_type other than code; the implicit ones say why', async () => {
      for (const [type, why] of [['token', /implicit/], ['id_token token', /implicit/], ['device', /only response_type=code/]] as const) {
        const back = redirectedBack(await getManual(authorizeUrl(server, accountId, { ...baseParams(), response_type: type })));
        assert.equal(back.get('error'), 'unsupported_response_type');
        assert.match(back.get('error_description')!, why);
        assert.equal(back.get('state'), 'st-123');
        assert.equal(back.get('iss'), issuerOf(server, accountId));
        assert.equal(back.get('code'), null);
      }
      const { response_type: _omit, ...noType } = baseParams();
      assert.equal(redirectedBack(await getManual(authorizeUrl(server, accountId, noType))).get('error'), 'invalid_request');
    });

    test('a scope the installation may not ask for', async () => {
      const back = redirectedBack(await getManual(authorizeUrl(server, accountId, { ...baseParams(), scope: 'openid users.write' })));
      assert.equal(back.get('error'), 'invalid_scope');
      assert.equal(back.get('state'), 'st-123');
      assert.equal(back.get('iss'), issuerOf(server, accountId));
    });

    test('PKCE: plain refused, a challenge without method refused (it would be plain), S256 accepted', async () => {
      const pkce = pkcePair();
      for (const extra of <Record<string, string>[]>[{ code_challenge: pkce.verifier, code_challenge_method: 'plain' }, { code_challenge: pkce.challenge }, { code_challenge_method: 'S256' }, { code_challenge: 'short', code_challenge_method: 'S256' }]) {
        const back = redirectedBack(await getManual(authorizeUrl(server, accountId, { ...baseParams(), ...extra })));
        assert.equal(back.get('error'), 'invalid_request', JSON.stringify(extra));
        assert.equal(back.get('state'), 'st-123');
      }
      const res = await getManual(authorizeUrl(server, accountId, { ...baseParams(), code_challenge: pkce.challenge, code_challenge_method: 'S256' }));
      assert.equal(res.status, 200);
    });

    test('a public client without PKCE', async () => {
      const back = redirectedBack(await getManual(authorizeUrl(server, accountId, { ...baseParams(), client_id: publicApp.clientId, scope: 'openid' })));
      assert.equal(back.get('error'), 'invalid_request');
      assert.match(back.get('error_description')!, /PKCE is required of public clients/);
      assert.equal(back.get('iss'), issuerOf(server, accountId));
    });

    test('the account setting oauthRequirePkce: a confidential client without PKCE refused too', async () => {
      await server.stores.accounts.updateAccount(accountId, { settings: { oauthRequirePkce: true } });
      try {
        const back = redirectedBack(await getManual(authorizeUrl(server, accountId, baseParams())));
        assert.equal(back.get('error'), 'invalid_request');
        assert.match(back.get('error_description')!, /this account requires PKCE/);
        const pkce = pkcePair();
        assert.equal((await getManual(authorizeUrl(server, accountId, { ...baseParams(), code_challenge: pkce.challenge, code_challenge_method: 'S256' }))).status, 200);
      } finally {
        await server.stores.accounts.updateAccount(accountId, { settings: { oauthRequirePkce: false } });
      }
      assert.equal((await getManual(authorizeUrl(server, accountId, baseParams()))).status, 200, 'off again: PKCE optional for confidential clients');
    });

    test('an installation without the authorization_code grant', async () => {
      const machine = await installApp(server, accountId, { clientName: 'Machine', grantTypes: ['client_credentials'], redirectUris: [callback.redirectUri] });
      const back = redirectedBack(await getManual(authorizeUrl(server, accountId, { ...baseParams(), client_id: machine.clientId })));
      assert.equal(back.get('error'), 'unauthorized_client');
    });

    test('a parameter sent twice', async () => {
      const back = redirectedBack(await getManual(`${authorizeUrl(server, accountId, baseParams())}&scope=openid`));
      assert.equal(back.get('error'), 'invalid_request');
      assert.match(back.get('error_description')!, /scope was sent more than once/);
    });

    test('a registered redirect URI keeps its own query', async () => {
      const withQuery = `${callback.redirectUri}?tenant=a`;
      const client = await installApp(server, accountId, { clientName: 'With query', redirectUris: [withQuery] });
      const res = await getManual(authorizeUrl(server, accountId, { ...baseParams(), client_id: client.clientId, redirect_uri: withQuery, response_type: 'token' }));
      const location = new URL(res.headers.get('location')!);
      assert.equal(location.searchParams.get('tenant'), 'a');
      assert.equal(location.searchParams.get('error'), 'unsupported_response_type');
    });

    test('prompt=none with nobody signed in: login_required', async () => {
      const back = redirectedBack(await getManual(authorizeUrl(server, accountId, { ...baseParams(), prompt: 'none' })));
      assert.equal(back.get('error'), 'login_required');
      assert.equal(back.get('state'), 'st-123');
    });
  });

  describe('a browser with a live session of the account', () => {
    test('goes straight back with a code bound to client, redirect URI, PKCE, nonce, user, scope, auth time and amr', async () => {
      const loginAt = server.clock.now();
      const cookie = await loginCookie();
      server.clock.advance(5_000);
      const pkce = pkcePair();
      const res = await getManual(authorizeUrl(server, accountId, { ...baseParams(), nonce: 'n-42', code_challenge: pkce.challenge, code_challenge_method: 'S256' }), { cookie: `Session_id=${cookie}` });
      const back = redirectedBack(res);
      const code = back.get('code')!;
      assert.match(code, /^[0-9a-f]{64}$/);
      assert.equal(back.get('state'), 'st-123');
      assert.equal(back.get('iss'), issuerOf(server, accountId));

      const taken = await server.stores.oauth.takeCode(hashToken(code), server.clock.now());
      assert.ok(taken?.firstUse, 'stored under its digest');
      const stored = taken!.code;
      assert.equal(stored.clientId, app.clientId);
      assert.equal(stored.accountId, accountId);
      assert.equal(stored.userId, seeded.human.user.userId);
      assert.equal(stored.redirectUri, callback.redirectUri);
      assert.equal(stored.codeChallenge, pkce.challenge);
      assert.equal(stored.nonce, 'n-42');
      assert.equal(stored.scope, 'openid users.read');
      assert.equal(stored.authTime, loginAt, 'when the session was opened, not now');
      assert.deepEqual(stored.amr, ['pwd']);
      assert.ok(stored.expiresAt - stored.createdAt <= 60_000);
      assert.equal((await server.stores.oauth.takeCode(hashToken(code), server.clock.now()))?.firstUse, false, 'single use');

      const items = await server.stores.events.listEvents(accountId, { type: 'oauth_code_issued' });
      assert.ok(items.some((e) => e.userId === seeded.human.user.userId && e.detail?.clientId === app.clientId));
    });

    test('a code expires after 60 s', async () => {
      const cookie = await loginCookie();
      const back = redirectedBack(await getManual(authorizeUrl(server, accountId, baseParams()), { cookie: `Session_id=${cookie}` }));
      server.clock.advance(60_001);
      assert.equal(await server.stores.oauth.takeCode(hashToken(back.get('code')!), server.clock.now()), null);
    });

    test('no scope asked: the installation\'s own', async () => {
      const cookie = await loginCookie();
      const { scope: _omit, ...params } = baseParams();
      const back = redirectedBack(await getManual(authorizeUrl(server, accountId, params), { cookie: `Session_id=${cookie}` }));
      const taken = await server.stores.oauth.takeCode(hashToken(back.get('code')!), server.clock.now());
      assert.equal(taken!.code.scope, 'users.read');
    });

    test('prompt=login asks again; an ended, expired or other account\'s session does not pass', async () => {
      const cookie = await loginCookie();
      assert.equal((await getManual(authorizeUrl(server, accountId, { ...baseParams(), prompt: 'login' }), { cookie: `Session_id=${cookie}` })).status, 200);

      const other = await loginCookie('777001');
      assert.equal((await getManual(authorizeUrl(server, accountId, baseParams()), { cookie: `Session_id=${other}` })).status, 200);
      assert.equal((await getManual(authorizeUrl(server, accountId, baseParams()), { cookie: 'Session_id=not-a-session' })).status, 200);

      server.clock.advance(9 * 3_600_000);
      assert.equal((await getManual(authorizeUrl(server, accountId, baseParams()), { cookie: `Session_id=${cookie}` })).status, 200, 'idle-expired');
    });
  });

  describe('the sign-in page', () => {
    test('a form labelled Username and Password, the escaped application name, the page policy', async () => {
      const res = await getManual(authorizeUrl(server, accountId, baseParams()));
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /^text\/html; charset=utf-8/);
      const csp = res.headers.get('content-security-policy')!;
      const style = /style-src ('sha256-[A-Za-z0-9+/=]+')/.exec(csp)![1]!;
      assert.equal(csp, pageCsp({ 'style-src': style, 'form-action': `'self' ${callback.origin}` }));
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const html = await res.text();
      assert.match(html, /<label for="username">Username<\/label>/);
      assert.match(html, /<label for="password">Password<\/label>/);
      assert.match(html, /<button type="submit">Sign in<\/button>/);
      assert.ok(html.includes('Reports &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&quot;'), 'escaped');
      assert.ok(!html.includes('<b>&</b>'));
      assert.doesNotMatch(html, /<script/);
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('oauth_sign_in='))!;
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.match(cookie, new RegExp(`Path=/sentinel/api/account/${accountId}/authorize`));
    });

    async function showPage(params = baseParams()): Promise<{ action: string; token: string; cookie: string }> {
      const res = await getManual(authorizeUrl(server, accountId, params));
      const html = await res.text();
      const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&');
      const token = /name="form_token" value="([^"]+)"/.exec(html)![1]!;
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('oauth_sign_in='))!.split(';')[0]!;
      return { action, token, cookie };
    }

    function post(action: string, fields: Record<string, string>, cookie: string | null, headers: Record<string, string> = {}): Promise<Response> {
      return fetch(`${server.baseUrl}${action}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}), ...headers },
        body: new URLSearchParams(fields).toString(),
      });
    }

    test('the form posts back to the same request and, signed in, answers 303 with a code and the Session_id cookie', async () => {
      const { action, token, cookie } = await showPage();
      assert.ok(action.startsWith(`/sentinel/api/account/${accountId}/authorize?`));
      const res = await post(action, { form_token: token, username: seeded.human.loginName, password: seeded.human.password }, cookie);
      assert.equal(res.status, 303);
      const location = new URL(res.headers.get('location')!);
      assert.equal(`${location.origin}${location.pathname}`, callback.redirectUri);
      assert.match(location.searchParams.get('code')!, /^[0-9a-f]{64}$/);
      assert.equal(location.searchParams.get('state'), 'st-123');
      const session = res.headers.getSetCookie().find((c) => c.startsWith('Session_id='))!;
      assert.match(session, /HttpOnly/);
      assert.match(session, /SameSite=Lax/);
      assert.match(session, /Path=\//);
    });

    test('without its anti-forgery cookie, with another request\'s token, or too old: the page again, nobody signed in', async () => {
      const first = await showPage();
      const second = await showPage({ ...baseParams(), state: 'another' });
      const creds = { username: seeded.human.loginName, password: seeded.human.password };
      for (const [fields, cookie] of [
        [{ ...creds, form_token: first.token }, null],
        [{ ...creds }, first.cookie],
        [{ ...creds, form_token: first.token }, second.cookie],
        [{ ...creds, form_token: second.token }, first.cookie],
      ] as const) {
        const res = await post(first.action, fields, cookie);
        assert.equal(res.status, 400);
        assert.match(await res.text(), /sign-in form has expired/);
        assert.equal(res.headers.getSetCookie().some((c) => c.startsWith('Session_id=')), false);
      }
      server.clock.advance(11 * 60_000);
      const stale = await post(first.action, { ...creds, form_token: first.token }, first.cookie);
      assert.equal(stale.status, 400);
    });

    test('a tampered redirect_uri in the posted URL is checked again: refused here', async () => {
      const { action, token, cookie } = await showPage();
      const tampered = action.replace(encodeURIComponent(callback.redirectUri), encodeURIComponent('https://evil.example/cb'));
      assert.notEqual(tampered, action);
      const res = await post(tampered, { form_token: token, username: seeded.human.loginName, password: seeded.human.password }, cookie);
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
    });

    test('a cross-site post is refused before anything runs', async () => {
      const { action, token, cookie } = await showPage();
      const res = await post(action, { form_token: token, username: seeded.human.loginName, password: seeded.human.password }, cookie, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' });
      assert.equal(res.status, 403);
    });

    test('missing fields: the page again with a message', async () => {
      const { action, token, cookie } = await showPage();
      const res = await post(action, { form_token: token, username: seeded.human.loginName }, cookie);
      assert.equal(res.status, 400);
      assert.match(await res.text(), /Enter your username and password/);
    });
  });

  describe('RP-initiated logout', () => {
    const logoutUrl = (params: Record<string, string>) => {
      const url = new URL(`${server.baseUrl}/sentinel/api/account/${accountId}/logout`);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      return url.href;
    };

    async function bearerLive(bearer: string): Promise<boolean> {
      const res = await fetch(`${server.baseUrl}/api/account/${accountId}/session`, { headers: { authorization: `Bearer ${bearer}` } });
      return res.status === 200;
    }

    test('ends the session, clears the cookie, and follows a registered post_logout_redirect_uri with state', async () => {
      const login = await postJson(`${server.baseUrl}/api/account/${accountId}/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password });
      const cookie = sessionCookie(login.headers)!;
      assert.ok(await bearerLive(login.json.bearer));
      const res = await getManual(logoutUrl({ client_id: app.clientId, post_logout_redirect_uri: otherUri, state: 'bye' }), { cookie: `Session_id=${cookie}` });
      assert.equal(res.status, 302);
      const location = new URL(res.headers.get('location')!);
      assert.equal(`${location.origin}${location.pathname}`, otherUri);
      assert.equal(location.searchParams.get('state'), 'bye');
      assert.ok(res.headers.getSetCookie().some((c) => /^Session_id=;/.test(c)), 'cookie cleared');
      assert.equal(await bearerLive(login.json.bearer), false, 'session ended');
      const again = await getManual(authorizeUrl(server, accountId, baseParams()), { cookie: `Session_id=${cookie}` });
      assert.equal(again.status, 200, 'no longer signed in');
    });

    test('an unregistered post_logout_redirect_uri is not followed: the signed-out page', async () => {
      const login = await postJson(`${server.baseUrl}/api/account/${accountId}/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password });
      const cookie = sessionCookie(login.headers)!;
      for (const params of <Record<string, string>[]>[
        { client_id: app.clientId, post_logout_redirect_uri: 'https://evil.example/' },
        { post_logout_redirect_uri: otherUri },
        { client_id: 'nobody', post_logout_redirect_uri: otherUri },
        { client_id: app.clientId, id_token_hint: 'not.a.jwt', post_logout_redirect_uri: otherUri },
      ]) {
        const res = await getManual(logoutUrl(params), { cookie: `Session_id=${cookie}` });
        assert.equal(res.status, 200, JSON.stringify(params));
        assert.equal(res.headers.get('location'), null);
        assert.match(await res.text(), /signed out/);
      }
      assert.equal(await bearerLive(login.json.bearer), false);
    });

    test('an id_token_hint names the client when client_id is absent', async () => {
      const payload = Buffer.from(JSON.stringify({ aud: app.clientId, sub: seeded.human.user.userId })).toString('base64url');
      const hint = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${payload}.c2ln`;
      const res = await getManual(logoutUrl({ id_token_hint: hint, post_logout_redirect_uri: otherUri }));
      assert.equal(res.status, 302);
      assert.equal(new URL(res.headers.get('location')!).origin, new URL(otherUri).origin);
    });
  });
});

describe('the sign-in page\'s answers', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let callback: CallbackServer;
  let app: Installed;

  before(async () => {
    server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '3' } });
    seeded = await seedAccount(server);
    callback = await startCallbackServer();
    app = await installApp(server, seeded.accountId, { clientName: 'Reports', redirectUris: [callback.redirectUri] });
  });
  after(async () => {
    await callback?.close();
    await server?.close();
  });

  async function signIn(username: string, password: string): Promise<Response> {
    const page = await getManual(authorizeUrl(server, seeded.accountId, { response_type: 'code', client_id: app.clientId, state: 's' }));
    const html = await page.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&');
    const token = /name="form_token" value="([^"]+)"/.exec(html)![1]!;
    const cookie = page.headers.getSetCookie().find((c) => c.startsWith('oauth_sign_in='))!.split(';')[0]!;
    return fetch(`${server.baseUrl}${action}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ form_token: token, username, password }).toString(),
    });
  }

  test('an expired password: a message saying to change it, no code', async () => {
    await server.stores.accounts.updateAccount(seeded.accountId, { settings: { passwordMaxAgeMs: 24 * 3_600_000 } });
    server.clock.advance(2 * 24 * 3_600_000);
    try {
      const res = await signIn(seeded.human.loginName, seeded.human.password);
      assert.equal(res.status, 401);
      assert.match(await res.text(), /Your password has expired\. Change it/);
      assert.equal(res.headers.getSetCookie().some((c) => c.startsWith('Session_id=')), false);
      const expired = await server.stores.events.listEvents(seeded.accountId, { type: 'password_expired' });
      assert.equal(expired.length, 1);
    } finally {
      await server.stores.accounts.updateAccount(seeded.accountId, { settings: { passwordMaxAgeMs: 0 } });
    }
  });

  test('past the per-address budget: "too many attempts" with Retry-After, as the JSON login', async () => {
    const statuses: number[] = [];
    let last: Response | null = null;
    for (let i = 0; i < 5; i++) {
      last = await signIn(`Nobody.${i}`, 'wrong password');
      statuses.push(last.status);
      if (last.status === 429) break;
    }
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    assert.match(await last!.text(), /Too many attempts/);
    assert.ok(Number(last!.headers.get('retry-after')) > 0);
    const json = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username: seeded.human.loginName, password: 'wrong' });
    assert.equal(json.status, 429, 'one budget for the page and the JSON login');
  });
});
