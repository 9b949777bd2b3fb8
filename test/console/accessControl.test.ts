/**
 * The console's access-control page in a real browser: the four settings,
 * the ranges editor, and the 409 (the administrator's own address would be
 * shut out) shown with a "save anyway" confirmation that resends with force.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { accessControlOf } from '../../src/accounts/accessControl.js';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { ensureConsoleBuilt, launchBrowser, watchedPage, type WatchedPage } from './browser.js';

describe('console access-control page', { timeout: 120_000 }, () => {
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
    await page.getByRole('link', { name: 'Access control', exact: true }).click();
  });
  after(async () => {
    await watched?.context.close();
    await browser?.close();
    await server?.close();
  });

  const stored = async () => accessControlOf((await server.stores.accounts.getAccount(seeded.accountId))!.settings);
  const saved = () => page.getByRole('status').filter({ hasText: 'Access control saved.' }).waitFor();
  /**
   * Retries `check` for up to 5 s, for what the page saved: the status of an
   * earlier save may still be on the page when the next one is sent, so
   * `saved()` alone can return before the request lands (the same for its
   * audit event, written after the settings).
   */
  async function eventually(check: () => Promise<void>): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        return await check();
      } catch (error) {
        if (tries >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  const storedRestrictionsBecome = (expected: unknown) => eventually(async () => assert.deepEqual((await stored()).ipRestrictions, expected));

  test('the defaults are shown; the second factor and the days are saved', async () => {
    await page.getByRole('combobox', { name: 'Second factor' }).waitFor();
    assert.equal(await page.getByRole('combobox', { name: 'Second factor' }).inputValue(), 'off');
    assert.equal(await page.getByLabel('Only from the allowed networks').isChecked(), false);
    assert.equal(await page.getByLabel('Disable after days without a login').inputValue(), '0');

    await page.getByRole('combobox', { name: 'Second factor' }).selectOption('optional');
    await page.getByLabel('Also for single sign-on logins').check();
    await page.getByLabel('Disable after days without a login').fill('60');
    await page.getByRole('button', { name: 'Save access control' }).click();
    await saved();
    const after = await stored();
    assert.equal(after.mfa, 'optional');
    assert.equal(after.mfaForSso, true);
    assert.equal(after.deactivateAfterDays, 60);
  });

  test("ranges that leave out the administrator's address: the 409 is shown, Cancel saves nothing", async () => {
    await page.getByLabel('Only from the allowed networks').check();
    await page.getByRole('button', { name: 'Add range' }).click();
    await page.getByLabel('Range 1', { exact: true }).fill('10.0.0.0-10.0.0.255');
    await page.getByLabel('Description of range 1').fill('HQ');
    await page.getByRole('button', { name: 'Save access control' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.textContent() ?? '', /127\.0\.0\.1.*outside every allowed network/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('alert').filter({ hasText: '127.0.0.1' }).waitFor();
    assert.equal((await stored()).ipRestrictions.enabled, false);
  });

  test('a range holding the address saves without asking; removing it again is saved only after "Save anyway"', async () => {
    await page.getByRole('button', { name: 'Add range' }).click();
    await page.getByLabel('Range 2', { exact: true }).fill('127.0.0.0/8');
    await page.getByRole('button', { name: 'Save access control' }).click();
    await saved();
    await storedRestrictionsBecome({ enabled: true, ranges: [{ from: '10.0.0.0', to: '10.0.0.255', description: 'HQ' }, { cidr: '127.0.0.0/8' }] });
    assert.equal(await page.getByLabel('Range 1', { exact: true }).inputValue(), '10.0.0.0-10.0.0.255', 'shown again as typed');

    await page.getByRole('button', { name: 'Remove range 2' }).click();
    await page.getByRole('button', { name: 'Save access control' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Save anyway' }).click();
    await saved();
    await storedRestrictionsBecome({ enabled: true, ranges: [{ from: '10.0.0.0', to: '10.0.0.255', description: 'HQ' }] });
    await eventually(async () => {
      const events = await server.stores.events.listEvents(seeded.accountId, { type: 'admin_change' });
      const forced = events.filter((e) => e.detail.action === 'access_control_set' && e.detail.forced === true);
      assert.equal(forced.length, 1);
    });
  });

  test('a range that does not parse is refused with the server\'s message, nothing saved', async () => {
    await page.getByRole('button', { name: 'Add range' }).click();
    await page.getByLabel('Range 2', { exact: true }).fill('10.0.0.9-10.0.0.1');
    await page.getByRole('button', { name: 'Save access control' }).click();
    await page.getByRole('alert').filter({ hasText: 'from must not come after to' }).waitFor();
    assert.equal((await stored()).ipRestrictions.ranges.length, 1);
    assert.deepEqual(watched.problems, []);
  });
});

describe('console API keys page: an address allowlist', { timeout: 120_000 }, () => {
  let browser: Browser;
  let server: TestServer;
  let watched: WatchedPage;

  before(async () => {
    await ensureConsoleBuilt();
    browser = await launchBrowser();
    server = await startTestServer();
    const seeded = await seedAccount(server);
    watched = await watchedPage(browser);
    const page = watched.page;
    await page.goto(`${server.baseUrl}/console/`);
    await page.getByLabel('Account').fill(seeded.accountId);
    await page.getByLabel('Username').fill(seeded.human.loginName);
    await page.getByLabel('Password').fill(seeded.human.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'API keys', exact: true }).click();
  });
  after(async () => {
    await watched?.context.close();
    await browser?.close();
    await server?.close();
  });

  test('a key made with "Usable from" carries the list, shown in the table; a bad entry is refused in the form', async () => {
    const page = watched.page;
    await page.getByRole('button', { name: 'New API key' }).click();
    let form = page.getByRole('dialog', { name: 'New API key' });
    await form.getByLabel('Name').fill('office bot');
    await form.getByLabel('Usable from').fill('10.0.0.9-10.0.0.1');
    await form.getByRole('button', { name: 'Create' }).click();
    await form.getByRole('alert').filter({ hasText: 'from must not come after to' }).waitFor();
    await form.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'New API key' }).click();
    form = page.getByRole('dialog', { name: 'New API key' });
    await form.getByLabel('Name').fill('office bot');
    await form.getByLabel('Usable from').fill('203.0.113.10, 10.1.0.0/24');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('dialog', { name: 'API key created' }).getByRole('button', { name: 'Done' }).click();
    await page.getByRole('cell', { name: '203.0.113.10, 10.1.0.0/24' }).waitFor();
    const keys = await server.stores.apiKeys.listApiKeys('123456');
    assert.deepEqual(keys.find((k) => k.name === 'office bot')?.ipAllowlist, ['203.0.113.10', '10.1.0.0/24']);
    assert.equal(keys.filter((k) => k.name === 'office bot').length, 1, 'the refused form made no key');
    assert.deepEqual(watched.problems, []);
  });
});
