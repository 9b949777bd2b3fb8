/**
 * Signing in to the console with the account's OpenID Connect provider, in
 * the real Chromium against a real provider (`oidc-provider` in process):
 * the console offers `Sign in with <name>` once the account is typed, the
 * browser goes to the provider and back through the callback, and the
 * console is signed in with the session the callback opened.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { ManualClock } from '../../src/clock.js';
import { setOidcConfig } from '../../src/sso/admin.js';
import { oidcCallbackPath } from '../../src/sso/model.js';
import { ensureConsoleBuilt, launchBrowser, watchedPage, type WatchedPage } from './browser.js';
import { startOidcProvider, type TestOidcProvider } from '../sso/oidcProvider.js';

let browser: Browser;

before(async () => {
  await ensureConsoleBuilt();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe('console sign-in with an OpenID Connect provider', () => {
  let server: TestServer;
  let provider: TestOidcProvider;
  let seeded: SeededAccount;
  let watched: WatchedPage;

  before(async () => {
    // The provider stamps its tokens with the real time; so does this server's clock here.
    server = await startTestServer({ clock: new ManualClock(Date.now()) });
    seeded = await seedAccount(server);
    provider = await startOidcProvider([`${server.baseUrl}${oidcCallbackPath(seeded.accountId)}`]);
    await setOidcConfig(server.stores, seeded.accountId, {
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      displayName: 'Example SSO',
    });
    watched = await watchedPage(browser);
  });
  after(async () => {
    await watched?.context.close();
    await server?.close();
    await provider?.close();
  });

  test('from the console sign-in to the provider and back to a signed-in console', async () => {
    const { page } = watched;
    const missing: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 404) missing.push(response.url());
    });
    await page.goto(`${server.baseUrl}/console/`);
    await page.getByLabel('Account').fill(seeded.accountId);
    await page.getByLabel('Account').blur();
    const option = page.getByRole('link', { name: 'Sign in with Example SSO' });
    await option.waitFor();
    await option.click();

    // The provider's own sign-in pages.
    await page.waitForURL((url) => url.href.startsWith(provider.issuer));
    await page.locator('input[name="login"]').fill(seeded.human.loginName);
    await page.locator('input[name="password"]').fill('anything: the provider checks it, not us');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    // Back on the console, signed in as the person the provider named.
    await page.waitForURL((url) => url.href.startsWith(`${server.baseUrl}/console/`));
    await page.getByText(`${seeded.human.loginName} · account ${seeded.accountId}`).waitFor();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

    const state = await watched.scriptVisibleState();
    assert.doesNotMatch(state.cookie, /session_id|oidc_/i, 'the session and flow cookies are HttpOnly');
    assert.deepEqual(state.localStorage, {});
    assert.deepEqual(state.sessionStorage, {});
    // The provider's development pages ask for a favicon it does not have, and for web fonts: its own business.
    const ours = watched.problems.filter((p) => !/Failed to load resource/.test(p));
    assert.deepEqual(ours, []);
    assert.deepEqual(missing.filter((url) => url.startsWith(server.baseUrl)), [], 'nothing of ours is missing');

    // The hand-off was collected once: asking again gives nothing.
    const again = await page.evaluate(() => fetch('/sso/oidc/handoff', { method: 'POST' }).then((r) => r.json()));
    assert.deepEqual(again, { session: null });

    const [event] = await server.stores.events.listEvents(seeded.accountId, { type: 'login_success', limit: 1 });
    assert.equal(event?.loginName, seeded.human.loginName);
  });

  test('the Settings page edits the OpenID Connect provider beside SAML, never showing its client secret', async () => {
    const { page } = watched;
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    const issuer = page.getByLabel('Issuer', { exact: true });
    await issuer.waitFor();
    assert.equal(await issuer.inputValue(), provider.issuer);
    assert.equal(await page.getByLabel('Client secret').inputValue(), '');
    assert.ok(!(await page.content()).includes(provider.clientSecret), 'the secret is nowhere in the page');
    await page.getByLabel('Button name').fill('Company SSO');
    await page.getByRole('button', { name: 'Save OpenID Connect' }).click();
    await page.getByRole('status').filter({ hasText: 'OpenID Connect saved.' }).waitFor();
    const saved = (await server.stores.accounts.getAccount(seeded.accountId))!.settings.oidc;
    assert.equal(saved?.displayName, 'Company SSO');
    assert.equal(saved?.clientSecret, provider.clientSecret, 'left empty: the secret is kept');
    assert.equal((await server.stores.accounts.getAccount(seeded.accountId))!.settings.sso, undefined, 'SAML untouched');

    await page.getByRole('button', { name: 'Remove OpenID Connect' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('status').filter({ hasText: 'OpenID Connect removed.' }).waitFor();
    assert.equal((await server.stores.accounts.getAccount(seeded.accountId))!.settings.oidc, undefined);
    const options = await (await fetch(`${server.baseUrl}/sso/oidc/${seeded.accountId}/options`)).json();
    assert.deepEqual(options, { oidc: null }, 'the sign-in no longer offers it');
  });
});
