/**
 * The OpenID Connect browser flow's routes over real HTTP, short of a browser
 * (test/console/oidcSignIn.test.ts walks the whole flow in Chromium): what
 * the public options endpoint reveals, the strict `return_to`, the sealed
 * pending sign-in (bound to its account, tamper-evident, used once) and the
 * console hand-off that gives nothing without its cookie.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { setOidcConfig } from '../../src/sso/admin.js';
import { oidcSignInOption, sameOriginPath } from '../../src/sso/model.js';
import { startJwksProvider, type JwksProvider } from './oidcKeys.js';
import { authorizeUrl, installApp, pkcePair } from '../oauth/authorizeHelpers.js';

describe('OpenID Connect browser flow routes', () => {
  let server: TestServer;
  let provider: JwksProvider;
  let seeded: SeededAccount;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.baseUrl}${path}`, { redirect: 'manual', headers });
  const pendingCookieOf = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith('oidc_pending='))!.split(';')[0]!;

  async function lastFailureReason(accountId: string): Promise<unknown> {
    const [event] = await server.stores.events.listEvents(accountId, { limit: 1 });
    assert.equal(event?.type, 'login_failure');
    return event?.detail.reason;
  }

  before(async () => {
    provider = await startJwksProvider();
    server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '1000' } });
    seeded = await seedAccount(server);
    await seedAccount(server, '222222');
    await setOidcConfig(server.stores, seeded.accountId, { issuer: provider.issuer, clientId: 'browser-client', displayName: 'Example' });
  });
  after(async () => {
    await server.close();
    await provider.close();
  });

  test('options: the label and start for an account with a provider; null alike for one without and for no account', async () => {
    const withOne = await (await get(`/sso/oidc/${seeded.accountId}/options`)).json();
    assert.deepEqual(withOne, { oidc: { label: 'Sign in with Example', startUrl: `/sso/oidc/${seeded.accountId}/start` } });
    assert.deepEqual(await (await get('/sso/oidc/222222/options')).json(), { oidc: null });
    assert.deepEqual(await (await get('/sso/oidc/999999/options')).json(), { oidc: null });
  });

  test('oidcSignInOption: for the OAuth sign-in page, the same start with a checked return_to', () => {
    const option = oidcSignInOption('123', { oidc: { issuer: 'https://idp.test', clientId: 'c', displayName: 'Okta', enforce: false } })!;
    assert.equal(option.label, 'Sign in with Okta');
    assert.equal(option.startUrl('/oauth/authorize?client_id=a&state=b'), '/sso/oidc/123/start?return_to=%2Foauth%2Fauthorize%3Fclient_id%3Da%26state%3Db');
    assert.throws(() => option.startUrl('https://evil.test/'));
    assert.equal(oidcSignInOption('123', {}), null);
  });

  test('the OAuth sign-in page offers the provider, and its start comes back to the same authorization request', async () => {
    const app = await installApp(server, seeded.accountId, { clientName: 'Reports', redirectUris: ['https://app.example/callback'] });
    const url = authorizeUrl(server, seeded.accountId, { v: '1.0', response_type: 'code', client_id: app.clientId, redirect_uri: 'https://app.example/callback', state: 's1', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
    const page = await get(new URL(url).pathname + new URL(url).search);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /Sign in with Example/);
    const href = /href="(\/sso\/oidc\/[^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(href, 'a link to the provider');
    const returnTo = new URL(href, server.baseUrl).searchParams.get('return_to')!;
    assert.equal(returnTo, new URL(url).pathname + new URL(url).search, 'return_to is the authorization request');
    const start = await get(href);
    assert.equal(start.status, 302, 'the start accepts it and goes to the provider');
    assert.equal(new URL(start.headers.get('location')!).origin, new URL(provider.issuer).origin);

    const without = await seedAccount(server, '333333');
    const other = await installApp(server, without.accountId, { clientName: 'Reports', redirectUris: ['https://app.example/callback'] });
    const plainUrl = new URL(authorizeUrl(server, without.accountId, { v: '1.0', response_type: 'code', client_id: other.clientId, redirect_uri: 'https://app.example/callback', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    const plain = await get(plainUrl.pathname + plainUrl.search);
    assert.equal(plain.status, 200);
    assert.doesNotMatch(await plain.text(), /Sign in with/, 'no provider, no button');
  });

  test('return_to must be a path on this server', () => {
    for (const ok of ['/console/', '/oauth/authorize?client_id=x&redirect_uri=https%3A%2F%2Fapp.test%2Fcb', '/a#b']) assert.equal(sameOriginPath(ok), ok, ok);
    for (const bad of ['//evil.test/', '/\\evil.test/', '\\\\evil.test', 'https://evil.test/', 'javascript:alert(1)', 'console/', '', '/\t/evil.test', '/a\nb', `/${'a'.repeat(2048)}`]) {
      assert.equal(sameOriginPath(bad), null, JSON.stringify(bad));
    }
  });

  test('start: a bad return_to is a 400; an account without a provider a 404; otherwise a redirect to the provider with PKCE, state and nonce', async () => {
    for (const bad of ['//evil.test/', 'https://evil.test/', '/\\evil.test']) {
      const res = await get(`/sso/oidc/${seeded.accountId}/start?return_to=${encodeURIComponent(bad)}`);
      assert.equal(res.status, 400, bad);
      assert.equal(res.headers.getSetCookie().length, 0);
    }
    assert.equal((await get('/sso/oidc/222222/start')).status, 404);
    const res = await get(`/sso/oidc/${seeded.accountId}/start?return_to=${encodeURIComponent('/console/')}`);
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get('location')!);
    assert.equal(location.origin + location.pathname, `${provider.issuer}/auth`);
    assert.equal(location.searchParams.get('client_id'), 'browser-client');
    assert.equal(location.searchParams.get('response_type'), 'code');
    assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(location.searchParams.get('code_challenge'));
    assert.ok(location.searchParams.get('state'));
    assert.ok(location.searchParams.get('nonce'));
    assert.equal(location.searchParams.get('redirect_uri'), `${server.baseUrl}/sso/oidc/${seeded.accountId}/callback`);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('oidc_pending='))!;
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /Path=\/sso\/oidc\//);
    assert.ok(!cookie.includes(location.searchParams.get('state')!), 'the pending state is sealed, not readable');
  });

  test('callback: without the pending cookie, with a tampered one, with another account\'s, or a second time: the same 401, audited', async () => {
    const start = await get(`/sso/oidc/${seeded.accountId}/start`);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const cookie = pendingCookieOf(start);
    const callback = (accountId: string, cookieHeader?: string) =>
      get(`/sso/oidc/${accountId}/callback?code=abc&state=${state}`, cookieHeader ? { cookie: cookieHeader } : {});

    const none = await callback(seeded.accountId);
    assert.equal(none.status, 401);
    assert.equal(await lastFailureReason(seeded.accountId), 'no_pending_sign_in');

    const tampered = cookie.slice(0, -3) + (cookie.endsWith('AAA') ? 'BBB' : 'AAA');
    assert.equal((await callback(seeded.accountId, tampered)).status, 401);
    assert.equal(await lastFailureReason(seeded.accountId), 'pending_sign_in_invalid');

    // The seal names its account: another account's callback cannot use it.
    await setOidcConfig(server.stores, '222222', { issuer: provider.issuer, clientId: 'browser-client' });
    assert.equal((await callback('222222', cookie)).status, 401);
    assert.equal(await lastFailureReason('222222'), 'pending_sign_in_invalid');

    // The provider has no token endpoint here: the exchange fails, and the pending sign-in is spent.
    assert.equal((await callback(seeded.accountId, cookie)).status, 401);
    assert.notEqual(await lastFailureReason(seeded.accountId), 'pending_sign_in_used');
    assert.equal((await callback(seeded.accountId, cookie)).status, 401);
    assert.equal(await lastFailureReason(seeded.accountId), 'pending_sign_in_used');
  });

  test('callback with another state than the one sealed is refused by openid-client', async () => {
    const start = await get(`/sso/oidc/${seeded.accountId}/start`);
    const res = await get(`/sso/oidc/${seeded.accountId}/callback?code=abc&state=not-the-one`, { cookie: pendingCookieOf(start) });
    assert.equal(res.status, 401);
    assert.equal(await lastFailureReason(seeded.accountId), 'callback_invalid');
  });

  test('hand-off: nothing without its cookie, nothing with a forged one, and never a 500', async () => {
    const post = (cookie?: string) => fetch(`${server.baseUrl}/sso/oidc/handoff`, { method: 'POST', headers: cookie ? { cookie } : {} });
    assert.deepEqual(await (await post()).json(), { session: null });
    const forged = await post('oidc_handoff=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAA.BBBB.CCCC');
    assert.equal(forged.status, 200);
    assert.deepEqual(await forged.json(), { session: null });
  });
});
