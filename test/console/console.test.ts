/**
 * The administrators' web console, driven in headless Chromium as a person
 * would drive it (by the accessible names of fields, buttons and links),
 * against the real server on a real socket. Throughout: no token in web
 * storage, the session cookie out of the script's reach, no CSP violation,
 * no script error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { generate } from 'selfsigned';
import { firstStartMessage } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config.js';
import { CONSOLE_CSP } from '../../src/console/routes.js';
import { createUser } from '../../src/directory/users.js';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { ensureConsoleBuilt, launchBrowser, screenshot, watchedPage, type WatchedPage } from './browser.js';
import { makeIdp } from '../sso/idp.js';

let browser: Browser;

before(async () => {
  await ensureConsoleBuilt();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Tokens the browser received at sign-in, to look for in places they must not be. */
interface SeenTokens {
  csrf: string;
  bearer: string;
  sessionId: string;
}

function recordLogins(page: Page, seen: SeenTokens[]): void {
  page.on('response', async (response) => {
    if (!/\/login\?/.test(response.url()) || response.status() !== 200) return;
    const body = await response.json().catch(() => null);
    if (body?.bearer) seen.push({ csrf: body.csrf, bearer: body.bearer, sessionId: body.sessionId });
  });
}

async function assertNothingLeaked(watched: WatchedPage, seen: SeenTokens[]): Promise<void> {
  const state = await watched.scriptVisibleState();
  assert.deepEqual(state.localStorage, {}, 'nothing in localStorage');
  assert.deepEqual(state.sessionStorage, {}, 'nothing in sessionStorage');
  assert.doesNotMatch(state.cookie, /session_id/i, 'the session cookie is HttpOnly');
  for (const tokens of seen) {
    for (const value of Object.values(tokens)) assert.ok(!state.cookie.includes(value));
  }
  assert.deepEqual(watched.problems, []);
}

async function signIn(page: Page, accountId: string, username: string, password: string): Promise<void> {
  await page.getByLabel('Account').fill(accountId);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('console over HTTP', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let watched: WatchedPage;
  let page: Page;
  const seen: SeenTokens[] = [];

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
    watched = await watchedPage(browser);
    page = watched.page;
    recordLogins(page, seen);
  });
  after(async () => {
    await watched?.context.close();
    await server?.close();
  });

  test('the page, script and style come with a strict policy and the right cache lifetimes', async () => {
    const response = await fetch(`${server.baseUrl}/console/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-security-policy'), CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /default-src 'none'/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(html, /<style|\sstyle=/, 'no inline style');
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(assets.length, 2, 'one script and one style sheet');
    for (const asset of assets) {
      assert.match(asset, /-[A-Z0-9]{8}\.(js|css)$/, 'named by a hash of their content');
      const file = await fetch(`${server.baseUrl}${asset}`);
      assert.equal(file.status, 200);
      assert.equal(file.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(file.headers.get('content-security-policy'), CONSOLE_CSP);
      // Precompressed at build time, sent compressed to a client that takes it.
      assert.match(file.headers.get('content-encoding') ?? '', /^(br|gzip)$/);
      assert.match(file.headers.get('vary') ?? '', /accept-encoding/i);
    }
    const bare = await fetch(`${server.baseUrl}/console`, { redirect: 'manual' });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), '/console/');
    const missing = await fetch(`${server.baseUrl}/console/assets/missing.js`);
    assert.equal(missing.status, 404);
    // The API keeps its own policy.
    const api = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/service/baseURI.json?version=1.0`);
    assert.equal(api.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
  });

  test('a wrong password is refused with an alert, then the right one signs in', async () => {
    await page.goto(`${server.baseUrl}/console/`);
    await screenshot(page, 'sign-in');
    await signIn(page, seeded.accountId, seeded.human.loginName, 'not the password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /sign-in failed/i);
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);

    await signIn(page, seeded.accountId, seeded.human.loginName, seeded.human.password);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    for (const name of ['Dashboard', 'Users', 'Agent groups', 'Profiles', 'API keys', 'Sessions', 'Events', 'Settings']) {
      assert.equal(await page.getByRole('link', { name, exact: true }).count(), 1, `a link "${name}"`);
    }
    assert.equal(seen.length, 1);
    await assertNothingLeaked(watched, seen);
  });

  const newUser = { loginName: 'maria.lopez', fullName: 'Maria Lopez', password: 'a long enough passphrase 42' };
  let newUserTokens: { bearer: string } | null = null;

  test('creating a user shows them in the list', async () => {
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('cell', { name: seeded.human.loginName, exact: true }).waitFor();
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('Login name').fill(newUser.loginName);
    await dialog.getByLabel('Full name').fill(newUser.fullName);
    await dialog.getByLabel('Password', { exact: true }).fill(newUser.password);
    await screenshot(page, 'new-user');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: newUser.loginName, exact: true }).waitFor();
    assert.equal(await dialog.count(), 0, 'the form closed');
    assert.match(await page.getByRole('status').innerText(), /maria\.lopez is created/);

    // The search narrows the list to the users that match.
    await page.getByLabel('Search').fill('maria');
    await page.getByRole('cell', { name: seeded.human.loginName, exact: true }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('cell', { name: newUser.loginName, exact: true }).count(), 1);
    await assertNothingLeaked(watched, seen);
  });

  test('the new user logs in through the API', async () => {
    server.clock.advance(60_000);
    const login = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username: newUser.loginName, password: newUser.password });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.json.config.loginName, newUser.loginName);
    newUserTokens = { bearer: login.json.bearer };
    const check = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/session`, { headers: { authorization: `Bearer ${login.json.bearer}` } });
    assert.equal(check.status, 200);
  });

  test('the audit events show the login, newest first, and filter by user', async () => {
    server.clock.advance(60_000);
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    const rows = page.getByRole('row').filter({ hasText: 'login_success' });
    await rows.first().waitFor();
    // Newest first: the new user's login came after the administrator's.
    assert.match(await rows.first().innerText(), /maria\.lopez/);
    assert.match(await rows.last().innerText(), new RegExp(seeded.human.loginName.replace('.', '\\.')));

    await page.getByLabel('User').fill(newUser.loginName);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('cell', { name: seeded.human.loginName, exact: true }).waitFor({ state: 'detached' });
    const shown = await page.locator('tbody tr').allInnerTexts();
    assert.ok(shown.length >= 1);
    for (const row of shown) assert.match(row, /maria\.lopez/);
    // Events of a time after everything: none.
    await page.getByLabel('Since').fill('2099-01-01T00:00');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('No events match.').waitFor();
    await assertNothingLeaked(watched, seen);
  });

  test("revoking a user's sessions ends them", async () => {
    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    const revoke = page.getByRole('button', { name: `Revoke the sessions of ${newUser.loginName}` });
    await revoke.waitFor();
    await revoke.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('status').filter({ hasText: `The sessions of ${newUser.loginName} have ended` }).waitFor();
    assert.equal(await revoke.count(), 0, 'the session is gone from the list');
    const check = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/session`, { headers: { authorization: `Bearer ${newUserTokens!.bearer}` } });
    assert.equal(check.status, 401, 'the revoked bearer is refused');
    // The administrator's own session is untouched.
    assert.equal(await page.getByRole('button', { name: `Revoke the sessions of ${seeded.human.loginName}` }).count(), 1);
    await assertNothingLeaked(watched, seen);
  });

  test('an API key is created with its secrets shown once, then revoked', async () => {
    await watched.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    await page.getByRole('link', { name: 'API keys', exact: true }).click();
    await page.getByRole('button', { name: 'New API key' }).click();
    const form = page.getByRole('dialog', { name: 'New API key' });
    await form.getByLabel('Name').fill('chat bot');
    await form.getByRole('button', { name: 'Create' }).click();
    const shown = page.getByRole('dialog', { name: 'API key created' });
    await shown.waitFor();
    const values: Record<string, string> = {};
    for (const label of ['App key', 'Secret', 'Access token', 'Access token secret']) {
      values[label] = await shown.getByLabel(label, { exact: true }).innerText();
      assert.match(values[label]!, /^\S{8,}$/, label);
    }
    await shown.getByRole('button', { name: 'Copy secret', exact: true }).click();
    await shown.getByRole('status').filter({ hasText: 'Secret copied.' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), values.Secret);
    await screenshot(page, 'api-key-created');
    await shown.getByRole('button', { name: 'Done' }).click();

    const row = page.getByRole('row').filter({ hasText: 'chat bot' });
    await row.waitFor();
    assert.match(await row.innerText(), /active/);
    const list = await page.locator('main').innerText();
    for (const label of ['Secret', 'Access token', 'Access token secret']) assert.ok(!list.includes(values[label]!), `${label} is not shown again`);

    await page.getByRole('button', { name: 'Revoke chat bot' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('status').filter({ hasText: 'is revoked' }).waitFor();
    assert.match(await page.getByRole('row').filter({ hasText: 'chat bot' }).innerText(), /revoked/);
    const keys = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/configuration/app-keys?v=1.0`, { headers: { authorization: `Bearer ${seen.at(-1)!.bearer}` } });
    const key = ((await keys.json()) as Array<{ appKey: string; active: boolean }>).find((k) => k.appKey === values['App key']);
    assert.equal(key?.active, false, 'the server holds the key as revoked');
    await assertNothingLeaked(watched, seen);
  });

  test('a user is edited, disabled and enabled, given a new password, and deleted', async () => {
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    const row = () => page.getByRole('row').filter({ has: page.getByRole('cell', { name: newUser.loginName, exact: true }) });
    await row().waitFor();

    await page.getByRole('button', { name: `Edit ${newUser.loginName}` }).click();
    const edit = page.getByRole('dialog', { name: `Edit ${newUser.loginName}` });
    await edit.getByLabel('Full name').fill('Maria López');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: `${newUser.loginName} is saved` }).waitFor();
    assert.match(await row().innerText(), /Maria López/);

    await page.getByRole('button', { name: `Disable ${newUser.loginName}` }).click();
    await page.getByRole('dialog', { name: `Disable ${newUser.loginName}` }).getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('status').filter({ hasText: 'is now disabled' }).waitFor();
    assert.match(await row().innerText(), /disabled/);
    const refused = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username: newUser.loginName, password: newUser.password });
    assert.equal(refused.status, 401, 'a disabled user cannot log in');
    await page.getByRole('button', { name: `Enable ${newUser.loginName}` }).click();
    await page.getByRole('dialog', { name: `Enable ${newUser.loginName}` }).getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('status').filter({ hasText: 'is now enabled' }).waitFor();

    // Locked out by wrong guesses, then unlocked in the console: the right password works again.
    const loginAs = (password: string) => postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username: newUser.loginName, password });
    for (let i = 0; i < 5; i++) assert.equal((await loginAs('not the password at all')).status, 401);
    assert.equal((await loginAs(newUser.password)).status, 401, 'locked out');
    // The list shows the lockout once read again.
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('button', { name: `Unlock ${newUser.loginName}` }).click();
    await page.getByRole('status').filter({ hasText: `${newUser.loginName} is unlocked` }).waitFor();
    assert.equal((await loginAs(newUser.password)).status, 200, 'unlocked');

    const newPassword = 'another long passphrase 43';
    await page.getByRole('button', { name: `Reset the password of ${newUser.loginName}` }).click();
    const reset = page.getByRole('dialog', { name: `Reset the password of ${newUser.loginName}` });
    await reset.getByLabel('New password').fill(newPassword);
    await reset.getByRole('button', { name: 'Reset password' }).click();
    await page.getByRole('status').filter({ hasText: 'is changed' }).waitFor();
    const login = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username: newUser.loginName, password: newPassword });
    assert.equal(login.status, 200, 'the new password logs in');

    await page.getByRole('button', { name: `Delete ${newUser.loginName}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: `${newUser.loginName} is deleted` }).waitFor();
    assert.equal(await row().count(), 0);
    const gone = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/session`, { headers: { authorization: `Bearer ${login.json.bearer}` } });
    assert.equal(gone.status, 401, "a deleted user's sessions end");
    await assertNothingLeaked(watched, seen);
  });

  test('agent groups and profiles are created and deleted', async () => {
    await page.getByRole('link', { name: 'Agent groups', exact: true }).click();
    await page.getByRole('button', { name: 'New agent group' }).click();
    const group = page.getByRole('dialog', { name: 'New agent group' });
    await group.getByLabel('Name').fill('Night shift');
    await group.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: 'Night shift', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Delete Night shift' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('cell', { name: 'Night shift', exact: true }).waitFor({ state: 'detached' });

    await page.getByRole('link', { name: 'Profiles', exact: true }).click();
    await page.getByRole('button', { name: 'New profile' }).click();
    const profile = page.getByRole('dialog', { name: 'New profile' });
    await profile.getByLabel('Name').fill('Supervisors');
    await profile.getByLabel('Role').selectOption({ label: 'Agent Manager' });
    await profile.getByLabel('Permissions').fill('100, 101');
    await profile.getByRole('button', { name: 'Create' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Supervisors' });
    await row.waitFor();
    assert.match(await row.innerText(), /Agent Manager\s+100, 101/);
    await page.getByRole('button', { name: 'Delete Supervisors' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    await assertNothingLeaked(watched, seen);
  });

  test('the other pages load: agent groups, profiles, base URIs, settings', async () => {
    for (const [link, expected] of [
      ['Agent groups', 'Main Group'],
      ['Profiles', 'Administrator'],
      ['Base URIs', 'agentVep'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('cell', { name: expected, exact: true }).first().waitFor();
    }
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    const ttl = page.getByLabel('Session idle lifetime', { exact: true });
    await ttl.waitFor();
    await screenshot(page, 'settings');
    await ttl.fill('1');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    assert.equal(await page.getByLabel('Session idle lifetime', { exact: true }).inputValue(), '1');
    assert.equal((await server.stores.accounts.getAccount(seeded.accountId))!.settings.sessionTtlMs, 3_600_000);

    // Single sign-on: its own form (configuration/sso): an identity provider added, kept by a settings save, then removed.
    const idp = await makeIdp('https://idp.console.test/metadata');
    await page.getByLabel('Identity provider issuer').fill(idp.issuer);
    await page.getByLabel('Identity provider certificates (PEM)').fill(idp.cert);
    await page.getByRole('button', { name: 'Save single sign-on' }).click();
    await page.getByRole('status').filter({ hasText: 'Single sign-on saved.' }).waitFor();
    const configured = (await server.stores.accounts.getAccount(seeded.accountId))!.settings.sso;
    assert.equal(configured?.idpIssuer, idp.issuer);
    assert.equal(configured?.idpCerts.length, 1);
    assert.equal(configured?.loginNameAttribute, 'loginName');
    assert.equal(await page.getByLabel('Identity provider issuer').inputValue(), idp.issuer);
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    assert.deepEqual((await server.stores.accounts.getAccount(seeded.accountId))!.settings.sso, configured, 'saving the settings keeps single sign-on');
    await page.getByRole('button', { name: 'Remove single sign-on' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('status').filter({ hasText: 'Single sign-on removed.' }).waitFor();
    assert.equal((await server.stores.accounts.getAccount(seeded.accountId))!.settings.sso, undefined);
    assert.equal(await page.getByLabel('Identity provider issuer').inputValue(), '');
    assert.equal(await page.getByRole('button', { name: 'Remove single sign-on' }).count(), 0, 'nothing left to remove');
    await assertNothingLeaked(watched, seen);
  });

  test('signing out ends the session on the server', async () => {
    const tokens = seen.at(-1)!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const check = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/session`, { headers: { authorization: `Bearer ${tokens.bearer}` } });
    assert.equal(check.status, 401, 'the bearer is refused after sign-out');
    const refresh = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/refresh`, { csrf: tokens.csrf }, { cookie: `Session_id=${tokens.sessionId}` });
    assert.equal(refresh.status, 401);
    assert.equal((await page.context().cookies()).filter((c) => c.name === 'Session_id').length, 0, 'the cookie is cleared');
    await assertNothingLeaked(watched, seen);
  });
});

describe('console keep-alive', () => {
  let server: TestServer;
  let seeded: SeededAccount;

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
  });
  after(async () => {
    await server?.close();
  });

  test('refreshes the session while open, and says so when it has ended elsewhere', async () => {
    const watched = await watchedPage(browser);
    const seen: SeenTokens[] = [];
    recordLogins(watched.page, seen);
    const { page } = watched;
    try {
      await page.clock.install();
      await page.goto(`${server.baseUrl}/console/`);
      await signIn(page, seeded.accountId, seeded.human.loginName, seeded.human.password);
      await page.getByRole('button', { name: 'Sign out' }).waitFor();

      const refreshed = page.waitForResponse((r) => r.url().includes('/refresh'));
      await page.clock.fastForward('05:00');
      assert.equal((await refreshed).status(), 200, 'the keep-alive refreshed the session');

      // A form is open when the session ends elsewhere (here: a logout with its tokens); the next refresh is refused.
      await page.getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('button', { name: 'New user' }).click();
      await page.getByRole('dialog', { name: 'New user' }).waitFor();
      const tokens = seen.at(-1)!;
      const ended = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/logout`, { csrf: tokens.csrf }, { cookie: `Session_id=${tokens.sessionId}` });
      assert.equal(ended.status, 200);
      const refused = page.waitForResponse((r) => r.url().includes('/refresh'));
      await page.clock.fastForward('05:00');
      assert.equal((await refused).status(), 401);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match(await alert.innerText(), /session has ended/i);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      assert.equal(await page.getByRole('dialog').count(), 0, 'the open form closed with the session');
      assert.equal(seen.length, 1, 'the console did not sign in again on its own');
      await assertNothingLeaked(watched, seen);
    } finally {
      await watched.context.close();
    }
  });
});

describe('console for a user who is not an administrator', () => {
  test('signs in, and the pages say the administration API refuses them', async () => {
    const server = await startTestServer();
    const watched = await watchedPage(browser);
    try {
      const seeded = await seedAccount(server);
      const password = 'an agent passphrase 44';
      await createUser({ stores: server.stores, clock: server.services.clock, hasher: server.services.hasher }, { accountId: seeded.accountId, loginName: 'agent.only', password, privileges: [100] });
      const { page } = watched;
      await page.goto(`${server.baseUrl}/console/`);
      await signIn(page, seeded.accountId, 'agent.only', password);
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      const refused = page.getByRole('alert');
      await refused.waitFor();
      assert.match(await refused.innerText(), /not an administrator/i);
      assert.equal(await page.getByRole('table').count(), 0, 'no users are shown');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      assert.deepEqual(watched.problems, []);
    } finally {
      await watched.context.close();
      await server.close();
    }
  });
});

describe('console settings', () => {
  test('CONSOLE=false and --console false turn the console off', async () => {
    assert.equal(loadConfig({}).console, true);
    assert.equal(loadConfig({ CONSOLE: 'false' }).console, false);
    assert.equal(loadConfig({ CONSOLE: 'true' }, { console: 'false' }).console, false);
    assert.throws(() => loadConfig({ CONSOLE: 'maybe' }), /CONSOLE/);
    const first = { accountId: '123456', loginName: 'admin', password: 'x' };
    assert.match(firstStartMessage(first, loadConfig({ PUBLIC_HOST: 'example.com' })), /web console: http:\/\/example\.com\/console\//);
    assert.doesNotMatch(firstStartMessage(first, loadConfig({ CONSOLE: 'false' })), /console/);
    const server = await startTestServer({ env: { CONSOLE: 'false' } });
    try {
      for (const path of ['/console/', '/console', '/console/index.html']) {
        const response = await fetch(`${server.baseUrl}${path}`, { redirect: 'manual' });
        assert.equal(response.status, 404, path);
      }
    } finally {
      await server.close();
    }
  });
});

describe('console over HTTPS', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let dir: string;

  before(async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }],
    } as Parameters<typeof generate>[1]);
    dir = mkdtempSync(join(tmpdir(), 'login-service-console-tls-'));
    writeFileSync(join(dir, 'cert.pem'), pems.cert);
    writeFileSync(join(dir, 'key.pem'), pems.private, { mode: 0o600 });
    server = await startTestServer({ env: { TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') } });
    seeded = await seedAccount(server);
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('signs in and out over TLS with a Secure, HttpOnly session cookie', async () => {
    const watched = await watchedPage(browser, { ignoreHTTPSErrors: true });
    const seen: SeenTokens[] = [];
    recordLogins(watched.page, seen);
    try {
      const { page } = watched;
      assert.match(server.baseUrl, /^https:/);
      await page.goto(`${server.baseUrl}/console/`);
      await signIn(page, seeded.accountId, seeded.human.loginName, seeded.human.password);
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      const cookie = (await watched.context.cookies()).find((c) => c.name === 'Session_id');
      assert.ok(cookie, 'the session cookie is set');
      assert.equal(cookie.secure, true);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Lax');
      await assertNothingLeaked(watched, seen);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      assert.equal((await watched.context.cookies()).filter((c) => c.name === 'Session_id').length, 0);
      assert.deepEqual(watched.problems, []);
    } finally {
      await watched.context.close();
    }
  });
});
