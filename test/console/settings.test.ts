/**
 * The console's settings page in a real browser: durations shown and typed
 * with their units (never raw milliseconds), labels from the table of
 * settings, the time zone chosen from a list of IANA zones.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { ensureConsoleBuilt, launchBrowser, watchedPage, type WatchedPage } from './browser.js';

describe('console settings page', { timeout: 120_000 }, () => {
  let browser: Browser;
  let server: TestServer;
  let seeded: SeededAccount;
  let watched: WatchedPage;
  let page: Page;

  before(async () => {
    await ensureConsoleBuilt();
    browser = await launchBrowser();
    server = await startTestServer();
    seeded = await seedAccount(server);
    watched = await watchedPage(browser);
    page = watched.page;
    await page.goto(`${server.baseUrl}/console/`);
    await page.getByLabel('Account').fill(seeded.accountId);
    await page.getByLabel('Username').fill(seeded.human.loginName);
    await page.getByLabel('Password').fill(seeded.human.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
  });
  after(async () => {
    await watched?.context.close();
    await browser?.close();
    await server?.close();
  });

  const storedSettings = async () => (await server.stores.accounts.getAccount(seeded.accountId))!.settings;
  const save = async () => {
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
  };

  test('durations are shown in their units: hours, minutes, days', async () => {
    const ttl = page.getByLabel('Session idle lifetime', { exact: true });
    await ttl.waitFor();
    assert.equal(await ttl.inputValue(), '8', 'the default 8 hours, not 28800000');
    assert.equal(await page.getByLabel('Unit of session idle lifetime').inputValue(), 'hours');
    assert.equal(await page.getByLabel('Longest session life', { exact: true }).inputValue(), '24');
    assert.equal(await page.getByLabel('First lock lasts', { exact: true }).inputValue(), '1');
    assert.equal(await page.getByLabel('Unit of first lock lasts').inputValue(), 'minutes');
    assert.equal(await page.getByLabel('Unit of password expires after').inputValue(), 'days');
    assert.equal(await page.getByLabel('Sessions per user', { exact: true }).inputValue(), '10');
  });

  test('saving "2 hours" stores 7200000 ms; "90 days" of password age likewise', async () => {
    await page.getByLabel('Session idle lifetime', { exact: true }).fill('2');
    await page.getByLabel('Password expires after', { exact: true }).fill('90');
    await save();
    const settings = await storedSettings();
    assert.equal(settings.sessionTtlMs, 7_200_000);
    assert.equal(settings.passwordMaxAgeMs, 90 * 86_400_000);
    assert.equal(await page.getByLabel('Session idle lifetime', { exact: true }).inputValue(), '2');

    await page.getByLabel('Session idle lifetime', { exact: true }).fill('90');
    await page.getByLabel('Unit of session idle lifetime').selectOption('minutes');
    await save();
    assert.equal((await storedSettings()).sessionTtlMs, 90 * 60_000);
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    assert.equal(await page.getByLabel('Session idle lifetime', { exact: true }).inputValue(), '90', 'not a whole number of hours: shown in minutes');
    assert.equal(await page.getByLabel('Unit of session idle lifetime').inputValue(), 'minutes');
  });

  test('the time zone is chosen from the IANA zones', async () => {
    const zone = page.getByLabel('Time zone', { exact: true });
    assert.equal(await zone.evaluate((el) => el.tagName), 'SELECT');
    assert.equal(await zone.inputValue(), 'Europe/Athens');
    const options = await zone.locator('option').allTextContents();
    assert.ok(options.includes('America/New_York') && options.includes('Asia/Tokyo') && options.includes('UTC'), 'a list of IANA zones');
    await zone.selectOption('Asia/Tokyo');
    await save();
    assert.equal((await server.stores.accounts.getAccount(seeded.accountId))!.timeZone, 'Asia/Tokyo');
    assert.deepEqual(watched.problems, []);
  });
});
