/**
 * The console's Applications page in real Chromium: install (the secret shown
 * once, copied), rotate (the new secret once, the old one refused), edit
 * redirect URIs and scopes, disable, remove with a confirmation; under the
 * console's CSP with no script error and nothing kept in storage.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { hashToken } from '../../src/security/tokens.js';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { ensureConsoleBuilt, launchBrowser, screenshot, watchedPage, type WatchedPage } from './browser.js';

describe('console applications page', { timeout: 180_000 }, () => {
  let browser: Browser;
  let server: TestServer;
  let seeded: SeededAccount;
  let watched: WatchedPage;
  let page: Page;
  let clientId = '';
  let firstSecret = '';

  const stored = () => server.stores.apiKeys.getApiKey(seeded.accountId, clientId);
  const row = () => page.getByRole('row').filter({ hasText: 'Weekly report' });

  before(async () => {
    await ensureConsoleBuilt();
    browser = await launchBrowser();
    server = await startTestServer();
    seeded = await seedAccount(server);
    watched = await watchedPage(browser);
    page = watched.page;
    await watched.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    await page.goto(`${server.baseUrl}/console/`);
    await page.getByLabel('Account').fill(seeded.accountId);
    await page.getByLabel('Username').fill(seeded.human.loginName);
    await page.getByLabel('Password').fill(seeded.human.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Applications', exact: true }).click();
  });
  after(async () => {
    await watched?.context.close();
    await browser?.close();
    await server?.close();
  });

  test('install: the client id and secret are shown once, with copy buttons; the list never shows the secret', async () => {
    await page.getByText('No applications installed yet.').waitFor();
    await page.getByRole('button', { name: 'Install application' }).click();
    const form = page.getByRole('dialog', { name: 'Install an application' });
    await form.getByLabel('Name').fill('Weekly report');
    await form.getByLabel('Kind').selectOption('person');
    await form.getByLabel('Redirect URIs').fill('https://reports.example.com/callback');
    await form.getByLabel('Scope').fill('openid users.read');
    await form.getByRole('button', { name: 'Install' }).click();

    const shown = page.getByRole('dialog', { name: 'Application installed' });
    await shown.waitFor();
    clientId = await shown.getByLabel('Client ID', { exact: true }).innerText();
    firstSecret = await shown.getByLabel('Client secret', { exact: true }).innerText();
    assert.match(firstSecret, /^\S{32,}$/);
    assert.equal((await stored())?.secretHash, hashToken(firstSecret), 'the secret shown is the one the server holds the digest of');
    await shown.getByRole('button', { name: 'Copy client secret' }).click();
    await shown.getByRole('status').filter({ hasText: 'Client secret copied.' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), firstSecret);
    await screenshot(page, 'application-installed');
    await shown.getByRole('button', { name: 'Done' }).click();

    await row().waitFor();
    const text = await row().innerText();
    assert.match(text, /authorization_code, refresh_token/);
    assert.match(text, /openid users\.read/);
    assert.match(text, /enabled/);
    assert.ok(!(await page.locator('main').innerText()).includes(firstSecret), 'not shown again');
    const installation = (await stored())?.installation;
    assert.deepEqual(installation?.redirectUris, ['https://reports.example.com/callback']);
  });

  test('edit redirect URIs and scopes: saved as a whole replacement, the rest kept', async () => {
    await page.getByRole('button', { name: 'Edit Weekly report' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit Weekly report' });
    await dialog.getByLabel('Redirect URIs').fill('https://reports.example.com/callback\nhttp://127.0.0.1:7000/cb');
    await dialog.getByLabel('Scope').fill('openid users.read events.read');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Weekly report is saved.' }).waitFor();
    const installation = (await stored())!.installation!;
    assert.deepEqual(installation.redirectUris, ['https://reports.example.com/callback', 'http://127.0.0.1:7000/cb']);
    assert.equal(installation.scope, 'openid users.read events.read');
    assert.deepEqual(installation.grantTypes, ['authorization_code', 'refresh_token'], 'kept');
    assert.match(await row().innerText(), /http:\/\/127\.0\.0\.1:7000\/cb/);

    // A refused edit shows the server's reason and changes nothing.
    await page.getByRole('button', { name: 'Edit Weekly report' }).click();
    const bad = page.getByRole('dialog', { name: 'Edit Weekly report' });
    await bad.getByLabel('Redirect URIs').fill('http://reports.example.com/cb');
    await bad.getByRole('button', { name: 'Save' }).click();
    await bad.getByRole('alert').filter({ hasText: 'only loopback hosts' }).waitFor();
    await bad.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await stored())!.installation!.redirectUris.length, 2);
  });

  test('rotate: the new secret is shown once; the previous one no longer matches', async () => {
    await page.getByRole('button', { name: 'Rotate secret Weekly report' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
    const shown = page.getByRole('dialog', { name: 'New client secret' });
    await shown.waitFor();
    const secret = await shown.getByLabel('Client secret', { exact: true }).innerText();
    assert.notEqual(secret, firstSecret);
    assert.equal((await stored())?.secretHash, hashToken(secret));
    await shown.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('status').filter({ hasText: 'has a new client secret' }).waitFor();
    assert.ok(!(await page.locator('main').innerText()).includes(secret));
  });

  test('disable (confirmed) and enable again', async () => {
    await page.getByRole('button', { name: 'Disable Weekly report' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('status').filter({ hasText: 'Weekly report is disabled.' }).waitFor();
    assert.equal((await stored())!.installation!.enabled, false);
    await page.getByRole('button', { name: 'Enable Weekly report' }).click();
    await page.getByRole('status').filter({ hasText: 'Weekly report is enabled.' }).waitFor();
    assert.equal((await stored())!.installation!.enabled, true);
  });

  test('remove asks first; Cancel keeps it, Remove revokes it', async () => {
    await page.getByRole('button', { name: 'Remove Weekly report' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await stored())?.revokedAt, null);
    await page.getByRole('button', { name: 'Remove Weekly report' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('status').filter({ hasText: 'Weekly report is removed.' }).waitFor();
    assert.notEqual((await stored())?.revokedAt, null);
    await page.getByText('No applications installed yet.').waitFor();

    const state = await watched.scriptVisibleState();
    assert.deepEqual(state.localStorage, {});
    assert.deepEqual(state.sessionStorage, {});
    assert.deepEqual(watched.problems, []);
  });
});
