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
import { loadConfig } from '../../src/config.js';
import { CONSOLE_CSP } from '../../src/console/routes.js';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { ensureConsoleBuilt, launchBrowser, screenshot, watchedPage, type WatchedPage } from './browser.js';

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
    for (const name of ['Users', 'Agent groups', 'Profiles', 'API keys', 'Sessions', 'Events', 'Settings']) {
      assert.equal(await page.getByRole('link', { name, exact: true }).count(), 1, `a link "${name}"`);
    }
    assert.equal(seen.length, 1);
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

      // The session ends elsewhere (here: a logout with its tokens); the next refresh is refused.
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
      assert.equal(seen.length, 1, 'the console did not sign in again on its own');
      await assertNothingLeaked(watched, seen);
    } finally {
      await watched.context.close();
    }
  });
});

describe('console settings', () => {
  test('CONSOLE=false and --console false turn the console off', async () => {
    assert.equal(loadConfig({}).console, true);
    assert.equal(loadConfig({ CONSOLE: 'false' }).console, false);
    assert.equal(loadConfig({ CONSOLE: 'true' }, { console: 'false' }).console, false);
    assert.throws(() => loadConfig({ CONSOLE: 'maybe' }), /CONSOLE/);
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
