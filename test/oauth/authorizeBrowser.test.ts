/**
 * The sign-in page in headless Chromium, driven by the accessible names of
 * its fields and button: signing in ends at the application's loopback
 * redirect URI with a code; a second authorization with the session goes
 * straight back; a wrong password shows the API's generic message and counts
 * towards the account's lockout. Throughout: no CSP violation, no script
 * error, no server error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchBrowser, watchedPage, type WatchedPage } from '../console/browser.js';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { authorizeUrl, installApp, issuerOf, pkcePair, startCallbackServer, type CallbackServer, type Installed } from './authorizeHelpers.js';

let browser: Browser;

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe('the sign-in page in a browser', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let callback: CallbackServer;
  let app: Installed;

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
    callback = await startCallbackServer();
    app = await installApp(server, seeded.accountId, { clientName: 'reports', displayName: 'Quarterly Reports', redirectUris: [callback.redirectUri], scope: 'users.read' });
    await server.stores.accounts.updateAccount(seeded.accountId, { settings: { lockoutThreshold: 3 } });
  });
  after(async () => {
    await callback?.close();
    await server?.close();
  });

  const request = (state: string) => {
    const pkce = pkcePair();
    return authorizeUrl(server, seeded.accountId, { v: '1.0', response_type: 'code', client_id: app.clientId, redirect_uri: callback.redirectUri, state, scope: 'openid users.read', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
  };

  async function fillIn(watched: WatchedPage, username: string, password: string): Promise<void> {
    const { page } = watched;
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  test('signing in goes back to the application with a code; with the session, the next request goes straight back', async () => {
    const watched = await watchedPage(browser);
    try {
      const { page } = watched;
      await page.goto(request('first'));
      assert.equal(await page.getByRole('heading', { name: 'Sign in' }).count(), 1);
      assert.ok((await page.textContent('main'))!.includes('Quarterly Reports'));
      await fillIn(watched, seeded.human.loginName, seeded.human.password);
      await page.waitForURL((url) => url.href.startsWith(callback.redirectUri));
      const back = new URL(page.url()).searchParams;
      assert.match(back.get('code')!, /^[0-9a-f]{64}$/);
      assert.equal(back.get('state'), 'first');
      assert.equal(back.get('iss'), issuerOf(server, seeded.accountId));
      assert.equal(callback.received.at(-1)?.get('code'), back.get('code'));

      // The Session_id cookie is set and out of the script's reach.
      const cookies = await watched.context.cookies(server.baseUrl);
      const session = cookies.find((c) => c.name === 'Session_id');
      assert.ok(session?.httpOnly);
      assert.equal(session?.sameSite, 'Lax');

      const seen = callback.received.length;
      await page.goto(request('second'));
      await page.waitForURL((url) => url.href.startsWith(callback.redirectUri));
      const again = new URL(page.url()).searchParams;
      assert.equal(again.get('state'), 'second');
      assert.notEqual(again.get('code'), back.get('code'));
      assert.equal(callback.received.length, seen + 1, 'straight back: no sign-in page in between');
      assert.deepEqual(watched.problems, []);
    } finally {
      await watched.context.close();
    }
  });

  test('a wrong password shows the generic message, counts as a failed attempt, and locks the user at the account\'s limit', async () => {
    const watched = await watchedPage(browser);
    try {
      const { page } = watched;
      await page.goto(request('wrong'));
      for (let i = 1; i <= 3; i++) {
        await fillIn(watched, seeded.human.loginName, `wrong password ${i}`);
        await page.getByRole('alert').waitFor();
        assert.equal(await page.getByRole('alert').textContent(), 'Bad authentication: invalid account, user or credentials');
        assert.equal(await page.getByLabel('Username').inputValue(), seeded.human.loginName, 'the username is kept');
      }
      const failures = await server.stores.events.listEvents(seeded.accountId, { type: 'login_failure' });
      assert.equal(failures.filter((e) => e.detail.reason === 'wrong_password' && e.userId === seeded.human.user.userId).length, 3);

      // Locked now: the right password gets the same answer, and no code.
      const before = callback.received.length;
      await fillIn(watched, seeded.human.loginName, seeded.human.password);
      await page.getByRole('alert').waitFor();
      assert.equal(await page.getByRole('alert').textContent(), 'Bad authentication: invalid account, user or credentials');
      assert.ok(page.url().startsWith(server.baseUrl));
      assert.equal(callback.received.length, before);
      const locks = await server.stores.events.listEvents(seeded.accountId, { type: 'lockout' });
      assert.ok(locks.some((e) => e.userId === seeded.human.user.userId));

      // An unknown user gets the same words: no user enumeration.
      await fillIn(watched, 'Nobody.Here', 'whatever it is');
      await page.getByRole('alert').waitFor();
      assert.equal(await page.getByRole('alert').textContent(), 'Bad authentication: invalid account, user or credentials');
      assert.deepEqual(watched.problems, []);
    } finally {
      await watched.context.close();
    }
  });
});
