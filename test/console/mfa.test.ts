/**
 * The second factor in the console, in headless Chromium against the real
 * server: enrolling an authenticator app on "My account" (the secret read from
 * the page, the code computed here as an app would), signing in with a code,
 * enrolling during sign-in where the account requires it, and an
 * administrator's Reset MFA. The QR code loads under the console's CSP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { MFA_KEY, codeAt, newPerson, setMfa } from '../factors/support.js';
import { ensureConsoleBuilt, launchBrowser, watchedPage, type WatchedPage } from './browser.js';

let browser: Browser;

before(async () => {
  await ensureConsoleBuilt();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function firstStep(page: Page, accountId: string, username: string, password: string): Promise<void> {
  await page.getByLabel('Account').fill(accountId);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('console: second factor', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let watched: WatchedPage;

  before(async () => {
    server = await startTestServer({ env: { MFA_ENCRYPTION_KEY: MFA_KEY } });
    seeded = await seedAccount(server);
    await setMfa(server, seeded.accountId, 'optional');
  });
  after(async () => {
    await watched?.context.close();
    await server.close();
  });

  test('an administrator sets up an authenticator app on My account, then signs in with a code', async () => {
    watched = await watchedPage(browser);
    const { page } = watched;
    await page.goto(`${server.baseUrl}/console/`);
    await firstStep(page, seeded.accountId, seeded.human.loginName, seeded.human.password);
    await page.getByRole('link', { name: 'My account', exact: true }).click();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.locator('.totp-secret').textContent())!.trim();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const qr = page.getByRole('img', { name: 'QR code of the authenticator app secret' });
    await qr.waitFor();
    assert.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the QR code loads');
    await page.getByLabel('Code from the app').fill(codeAt(secret, server.clock.now()));
    await page.getByRole('button', { name: 'Confirm' }).click();
    const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await codes.first().waitFor();
    assert.equal(await codes.count(), 10);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByText('The authenticator app is set up.').waitFor();
    assert.equal(await page.getByTestId('totp-state').textContent(), 'set up');
    const stored = await server.stores.factors.getFactors(seeded.accountId, seeded.human.user.userId);
    assert.equal(stored.totp?.confirmed, true);

    await page.getByRole('button', { name: 'Sign out' }).click();
    server.clock.advance(30_000);
    await firstStep(page, seeded.accountId, seeded.human.loginName, seeded.human.password);
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
    await page.getByLabel('Code from the app').fill(codeAt(secret, server.clock.now()) === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('That code did not work').waitFor();
    await page.getByLabel('Code from the app').fill(codeAt(secret, server.clock.now()));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.deepEqual(watched.problems, []);
  });

  test('where the account requires a factor, a person without one sets it up during sign-in, then signs in with a code', async () => {
    await setMfa(server, seeded.accountId, 'required');
    try {
      const p = await newPerson(server, seeded.accountId);
      const w = await watchedPage(browser);
      const { page } = w;
      await page.goto(`${server.baseUrl}/console/`);
      await firstStep(page, seeded.accountId, p.loginName, p.password);
      await page.getByRole('heading', { name: 'Set up two-step sign-in' }).waitFor();
      const secret = (await page.locator('.totp-secret').textContent())!.trim();
      await page.getByLabel('Code from the app').fill(codeAt(secret, server.clock.now()));
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.getByRole('list', { name: 'Recovery codes' }).waitFor();
      await page.getByRole('button', { name: 'Sign in again' }).click();
      server.clock.advance(30_000);
      await firstStep(page, seeded.accountId, p.loginName, p.password);
      await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
      await page.getByLabel('Code from the app').fill(codeAt(secret, server.clock.now()));
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      // Not an administrator: their own account is what they see.
      await page.getByTestId('totp-state').waitFor();
      assert.equal(await page.getByTestId('totp-state').textContent(), 'set up');
      assert.deepEqual(w.problems, []);
      await w.context.close();
    } finally {
      await setMfa(server, seeded.accountId, 'optional');
    }
  });

  test("an administrator resets a person's second factors from the users page", async () => {
    const p = await newPerson(server, seeded.accountId);
    const base = `${server.baseUrl}/api/account/${seeded.accountId}`;
    const own = await postJson(`${base}/login`, { username: p.loginName, password: p.password });
    const started = await postJson(`${base}/mfa/totp?v=1.0`, {}, { authorization: `Bearer ${own.json.bearer}` });
    server.clock.advance(30_000);
    assert.equal((await postJson(`${base}/mfa/totp/confirm?v=1.0`, { otp: codeAt(started.json.secret, server.clock.now()) }, { authorization: `Bearer ${own.json.bearer}` })).status, 200);

    const { page } = watched;
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('button', { name: `Reset MFA of ${p.loginName}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reset MFA', exact: true }).click();
    await page.getByText(`The second factors of ${p.loginName} are removed.`).waitFor();
    assert.equal((await server.stores.factors.getFactors(seeded.accountId, p.user.userId)).totp, null);
    server.clock.advance(30_000);
    assert.equal((await postJson(`${base}/login`, { username: p.loginName, password: p.password })).status, 200, 'optional: the password alone again');
    assert.deepEqual(watched.problems, []);
  });
});

describe('console: passkeys', () => {
  let server: TestServer;
  let seeded: SeededAccount;

  before(async () => {
    server = await startTestServer({ env: { MFA_ENCRYPTION_KEY: MFA_KEY } });
    seeded = await seedAccount(server);
    await setMfa(server, seeded.accountId, 'optional');
  });
  after(() => server.close());

  test("a person adds a passkey on My account and signs in with it (Chromium's virtual authenticator)", async () => {
    const w = await watchedPage(browser);
    try {
      const { page, context } = w;
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      });
      // WebAuthn needs a secure context and a host name: localhost is both.
      await page.goto(`http://localhost:${server.port}/console/`);
      await firstStep(page, seeded.accountId, seeded.human.loginName, seeded.human.password);
      await page.getByRole('link', { name: 'My account', exact: true }).click();
      await page.getByLabel('Name of the new passkey').fill('Laptop');
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await page.getByText('The passkey is added.').waitFor();
      await page.getByRole('cell', { name: 'Laptop', exact: true }).waitFor();
      const stored = await server.stores.factors.getFactors(seeded.accountId, seeded.human.user.userId);
      assert.equal(stored.passkeys.length, 1);
      assert.equal(stored.passkeys[0]!.name, 'Laptop');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await firstStep(page, seeded.accountId, seeded.human.loginName, seeded.human.password);
      await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
      await page.getByRole('button', { name: 'Use a passkey' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      const sessions = await server.stores.sessions.listSessions(seeded.accountId, server.clock.now(), seeded.human.user.userId);
      assert.deepEqual(sessions.at(-1)!.amr, ['pwd', 'hwk']);
      assert.ok((await server.stores.factors.findPasskey(seeded.accountId, stored.passkeys[0]!.credentialId))!.lastUsedAt !== null);
      assert.deepEqual(w.problems, []);
    } finally {
      await w.context.close();
    }
  });
});
