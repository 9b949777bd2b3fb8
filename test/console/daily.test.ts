/**
 * The console for daily work, in headless Chromium against the real server:
 * the password does not outlive the sign-in, the dashboard, confirmations,
 * key types, per-session revoke, event filters and paging, built-in profiles,
 * phone width, the dark colour scheme, and a non-administrator's view.
 *
 * Where a state is hard to reach in time (a lockout that holds, or one gone
 * between the list and the click), the browser's answers are amended in
 * flight (page.route); everything else goes to the real server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page, Route } from 'playwright-core';
import { ManualClock } from '../../src/clock.js';
import { createUser } from '../../src/directory/users.js';
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

async function signIn(page: Page, accountId: string, username: string, password: string): Promise<void> {
  await page.getByLabel('Account').fill(accountId);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Counts the login requests the page sends. */
function countLogins(page: Page): { count: number } {
  const seen = { count: 0 };
  page.on('request', (request) => {
    if (/\/login\?/.test(request.url())) seen.count += 1;
  });
  return seen;
}

/** The page's JavaScript heap, as text (a snapshot, after a full garbage collection). */
async function heapText(watched: WatchedPage): Promise<string> {
  const cdp = await watched.context.newCDPSession(watched.page);
  const chunks: string[] = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', (event) => chunks.push(event.chunk));
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  return chunks.join('');
}

/** Answers a GET of `pattern` with the server's answer changed by `amend`. */
async function amendAnswer(page: Page, pattern: RegExp, amend: (body: unknown) => unknown): Promise<void> {
  await page.route(pattern, async (route: Route) => {
    if (route.request().method() !== 'GET') return route.fallback();
    const response = await route.fetch();
    await route.fulfill({ response, json: amend(await response.json()) });
  });
}

const link = (page: Page, name: string) => page.getByRole('link', { name, exact: true });

describe('the password does not outlive the sign-in', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  const password = 'a passphrase seen once 7Q2';

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
    await createUser(
      { stores: server.stores, clock: server.services.clock, hasher: server.services.hasher },
      { accountId: seeded.accountId, loginName: 'ops.admin', password, privileges: [100], isAdmin: true },
    );
  });
  after(async () => {
    await server?.close();
  });

  test("once signed in, the page's memory holds no password", async () => {
    // Without a fake clock: its timers keep the stacks (and the objects) of the calls that set them.
    const watched = await watchedPage(browser);
    try {
      await watched.page.goto(`${server.baseUrl}/console/`);
      await signIn(watched.page, seeded.accountId, 'ops.admin', password);
      await watched.page.getByRole('region', { name: 'Logins', exact: true }).waitFor();
      const heap = await heapText(watched);
      assert.ok(heap.includes('ops.admin'), 'the snapshot holds what the page keeps');
      assert.ok(!heap.includes(password), 'the password is not kept in the page');
      assert.deepEqual(watched.problems, []);
    } finally {
      await watched.context.close();
    }
  });

  test('after a refresh outage the console asks to sign in, and never logs in again by itself', async () => {
    const watched = await watchedPage(browser);
    const { page } = watched;
    try {
      const logins = countLogins(page);
      await page.clock.install();
      await page.goto(`${server.baseUrl}/console/`);
      await signIn(page, seeded.accountId, 'ops.admin', password);
      assert.equal(logins.count, 1);

      // The server is down for refreshes: every one answers 503.
      let refreshes = 0;
      await page.route(/\/refresh\?/, async (route) => {
        refreshes += 1;
        await route.fulfill({ status: 503, json: { error: { message: 'Service unavailable', internalCode: 'overloaded' } } });
      });
      await page.clock.fastForward('04:00');
      // The refresh and its retries (1 s, 3 s), then well past the library's pause before logging in again (2 minutes).
      for (let i = 0; i < 12; i++) await page.clock.fastForward('00:30');
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      assert.match(await page.getByRole('alert').innerText(), /sign in again/i);
      assert.ok(refreshes >= 1, 'the keep-alive tried to refresh');
      await page.unroute(/\/refresh\?/);
      await page.clock.fastForward('30:00');
      assert.equal(logins.count, 1, 'no second login was sent');
      assert.deepEqual(
        watched.problems.filter((p) => !/503 .*\/refresh/.test(p) && !/status of 503/.test(p)),
        [],
      );
    } finally {
      await watched.context.close();
    }
  });

  test('a revoked session shows the sign-in form, and no login follows', async () => {
    const watched = await watchedPage(browser);
    const { page } = watched;
    try {
      const logins = countLogins(page);
      await page.clock.install();
      await page.goto(`${server.baseUrl}/console/`);
      await signIn(page, seeded.accountId, 'ops.admin', password);
      // Another administrator ends every session of ops.admin.
      const other = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password });
      const revoked = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/configuration/sessions?v=1.0&user=ops.admin`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${other.json.bearer}` },
      });
      assert.equal(revoked.status, 200);
      const refused = page.waitForResponse((r) => r.url().includes('/refresh'));
      await page.clock.fastForward('04:00');
      assert.equal((await refused).status(), 401);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      assert.match(await page.getByRole('alert').innerText(), /session has ended/i);
      await page.clock.fastForward('30:00');
      assert.equal(logins.count, 1, 'no second login was sent');
      assert.deepEqual(watched.problems, []);
    } finally {
      await watched.context.close();
    }
  });
});

describe('console for daily work', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let watched: WatchedPage;
  let page: Page;
  const deps = () => ({ stores: server.stores, clock: server.services.clock, hasher: server.services.hasher });
  const loginAs = (username: string, password: string) => postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username, password });
  const adminGet = async (path: string) => {
    const login = await loginAs(seeded.human.loginName, seeded.human.password);
    const response = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/configuration/${path}`, { headers: { authorization: `Bearer ${login.json.bearer}` } });
    return response.json();
  };

  before(async () => {
    // The server's clock reads the real time, so the dashboard's last 24 hours hold the events made here.
    server = await startTestServer({ clock: new ManualClock(Date.now()) });
    seeded = await seedAccount(server);
    await createUser(deps(), { accountId: seeded.accountId, loginName: 'nina.berg', password: 'nina has a long passphrase 1', privileges: [100] });
    await createUser(deps(), { accountId: seeded.accountId, loginName: 'omar.haddad', password: 'omar has a long passphrase 2', privileges: [100] });
    watched = await watchedPage(browser);
    page = watched.page;
  });
  after(async () => {
    await watched?.context.close();
    await server?.close();
  });

  test('the dashboard comes first and charts logins, failures and lockouts, with the live sessions', async () => {
    assert.equal((await loginAs('nina.berg', 'nina has a long passphrase 1')).status, 200);
    assert.equal((await loginAs('omar.haddad', 'omar has a long passphrase 2')).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await loginAs('omar.haddad', 'a wrong guess')).status, 401);
    await page.goto(`${server.baseUrl}/console/`);
    await signIn(page, seeded.accountId, seeded.human.loginName, seeded.human.password);
    const names = await page.getByRole('navigation').getByRole('link').allInnerTexts();
    assert.equal(names[0], 'Dashboard', 'the dashboard is first in the navigation');
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Dashboard');

    const tile = (label: string) => page.getByRole('region', { name: label, exact: true }).locator('.value');
    await tile('Logins').waitFor();
    assert.equal(await tile('Logins').innerText(), '3', 'two people and the administrator');
    assert.equal(await tile('Failed logins').innerText(), '5');
    assert.equal(await tile('Lockouts').innerText(), '1');
    assert.equal(await tile('Live sessions').innerText(), '3');
    const chart = page.getByRole('img', { name: /Logins, failed logins and lockouts per hour/ });
    assert.match((await chart.getAttribute('aria-label'))!, /Logins 3, Failed logins 5, Lockouts 1/);
    for (const series of ['logins', 'failures', 'lockouts']) {
      const points = (await page.locator(`polyline[data-series="${series}"]`).getAttribute('points'))!.split(' ');
      assert.equal(points.length, 24, `${series}: one point per hour`);
    }
    await screenshot(page, 'dashboard');
    assert.deepEqual(watched.problems, []);
  });

  test('disabling and enabling a user ask first; the users list has a status and a last login', async () => {
    await link(page, 'Users').click();
    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'nina.berg', exact: true }) });
    await row.waitFor();
    assert.match(await row.innerText(), /enabled/);
    // nina.berg logged in for the dashboard: the server's lastLoginAt, as a date; the bot never did: a dash.
    const headers = await page.getByRole('columnheader').allInnerTexts();
    const lastLogin = headers.indexOf('Last login');
    assert.ok(lastLogin >= 0, 'a Last login column');
    const ninaLogin = await row.getByRole('cell').nth(lastLogin).innerText();
    assert.ok(/2\d{3}/.test(ninaLogin) && !/T\d\d:/.test(ninaLogin), `a date: ${ninaLogin}`);
    const bot = page.getByRole('row').filter({ has: page.getByRole('cell', { name: seeded.bot.loginName, exact: true }) });
    assert.equal(await bot.getByRole('cell').nth(lastLogin).innerText(), '—');

    await page.getByRole('button', { name: 'Disable nina.berg' }).click();
    const ask = page.getByRole('dialog', { name: 'Disable nina.berg' });
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'detached' });
    assert.equal(((await adminGet('le-users/users?v=4.0')) as Array<{ loginName: string; isEnabled: boolean }>).find((u) => u.loginName === 'nina.berg')?.isEnabled, true, 'Cancel changes nothing');

    await page.getByRole('button', { name: 'Disable nina.berg' }).click();
    await screenshot(page, 'disable-user');
    await ask.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('status').filter({ hasText: 'nina.berg is now disabled' }).waitFor();
    assert.equal((await loginAs('nina.berg', 'nina has a long passphrase 1')).status, 401, 'a disabled user cannot log in');

    await page.getByRole('button', { name: 'Enable nina.berg' }).click();
    await page.getByRole('dialog', { name: 'Enable nina.berg' }).getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('status').filter({ hasText: 'nina.berg is now enabled' }).waitFor();
    assert.equal((await loginAs('nina.berg', 'nina has a long passphrase 1')).status, 200);
    assert.deepEqual(watched.problems, []);
  });

  test('with lock state from the server: locked until …, the last login, and Unlock only for the locked', async () => {
    const lockedUntil = new Date(Date.now() + 15 * 60_000).toISOString();
    const lastLoginAt = '2026-03-04T05:06:07.000Z';
    await amendAnswer(page, /\/configuration\/le-users\/users\?/, (users) =>
      (users as Array<Record<string, unknown>>).map((u) => ({ ...u, lockedUntil: u.loginName === 'omar.haddad' ? lockedUntil : null, lastLoginAt: u.loginName === 'omar.haddad' ? lastLoginAt : null })),
    );
    try {
      await link(page, 'Dashboard').click();
      await link(page, 'Users').click();
      const omar = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'omar.haddad', exact: true }) });
      await omar.waitFor();
      const text = await omar.innerText();
      assert.match(text, /locked until /);
      assert.ok(text.includes(new Date(lockedUntil).toLocaleString('en-US')) || /locked until \S/.test(text));
      assert.ok(!text.includes(lastLoginAt) && /2026/.test(text), 'the last login as a date');
      assert.equal(await page.getByRole('button', { name: 'Unlock omar.haddad' }).count(), 1);
      assert.equal(await page.getByRole('button', { name: 'Unlock nina.berg' }).count(), 0, 'no Unlock for a user who is not locked');
      await screenshot(page, 'users');
    } finally {
      await page.unroute(/\/configuration\/le-users\/users\?/);
    }
    assert.deepEqual(watched.problems, []);
  });

  test("Unlock of a user whose lock has already gone says so; disabling the last administrator shows the server's refusal", async () => {
    // The list was read while nina.berg was locked; by the click the lock is gone (the server has no lock for her).
    await amendAnswer(page, /\/configuration\/le-users\/users\?/, (users) =>
      (users as Array<Record<string, unknown>>).map((u) => (u.loginName === 'nina.berg' ? { ...u, lockedUntil: new Date(Date.now() + 600_000).toISOString() } : u)),
    );
    try {
      await link(page, 'Dashboard').click();
      await link(page, 'Users').click();
      await page.getByRole('button', { name: 'Unlock nina.berg' }).click();
      await page.getByRole('status').filter({ hasText: 'nina.berg was not locked.' }).waitFor();
    } finally {
      await page.unroute(/\/configuration\/le-users\/users\?/);
    }

    const admin = seeded.human.loginName;
    await link(page, 'Dashboard').click();
    await link(page, 'Users').click();
    await page.getByRole('button', { name: `Disable ${admin}` }).click();
    await page.getByRole('dialog', { name: `Disable ${admin}` }).getByRole('button', { name: 'Confirm' }).click();
    await page.getByText("the account's last enabled administrator cannot be disabled, deleted or demoted").waitFor();
    assert.match(await page.getByText(/last enabled administrator/).innerText(), /^Disabling failed: /);
    const users = (await adminGet('le-users/users?v=4.0')) as Array<{ loginName: string; isEnabled: boolean }>;
    assert.equal(users.find((u) => u.loginName === admin)?.isEnabled, true, 'nothing changed');
    assert.deepEqual(watched.problems, []);
  });

  test('a new API key is OAuth 1.0 or OAuth 2.0, and the list shows the type', async () => {
    await link(page, 'API keys').click();
    await page.getByRole('button', { name: 'New API key' }).click();
    const form = page.getByRole('dialog', { name: 'New API key' });
    await form.getByLabel('Name').fill('reporting job');
    const type = form.getByLabel('Type');
    assert.deepEqual(await type.locator('option').allInnerTexts(), ['OAuth 1.0', 'OAuth 2.0']);
    await type.selectOption({ label: 'OAuth 2.0' });
    await form.getByRole('button', { name: 'Create' }).click();
    const shown = page.getByRole('dialog', { name: 'API key created' });
    await shown.waitFor();
    const appKey = await shown.getByLabel('App key', { exact: true }).innerText();
    await shown.getByRole('button', { name: 'Done' }).click();
    const row = page.getByRole('row').filter({ hasText: 'reporting job' });
    await row.waitFor();
    const headers = await page.getByRole('columnheader').allInnerTexts();
    assert.equal(await row.getByRole('cell').nth(headers.indexOf('Type')).innerText(), 'OAuth 2.0');
    assert.equal(await page.getByRole('row').filter({ hasText: 'test bot key' }).getByRole('cell').nth(headers.indexOf('Type')).innerText(), 'OAuth 1.0');
    const keys = (await adminGet('app-keys?v=1.0')) as Array<{ appKey: string; type: string }>;
    assert.equal(keys.find((k) => k.appKey === appKey)?.type, 'oauth2', 'the server issued an OAuth 2.0 key');
    await screenshot(page, 'api-keys');
    assert.deepEqual(watched.problems, []);
  });

  test("sessions: each session has its own Revoke, the viewer's own is marked; a user's sessions can still go together", async () => {
    assert.equal((await loginAs('nina.berg', 'nina has a long passphrase 1')).status, 200);
    const ninaSessions = async () => ((await adminGet('sessions?v=1.0&user=nina.berg')) as Array<{ id: string }>).map((s) => s.id);
    const before = await ninaSessions();
    assert.ok(before.length >= 2, 'nina.berg has sessions to tell apart');
    await link(page, 'Dashboard').click();
    await link(page, 'Sessions').click();
    const rows = page.locator('tbody tr');
    await page.getByRole('button', { name: 'Revoke session', exact: true }).first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Revoke session', exact: true }).count(), await rows.count(), 'one per session');
    assert.equal(await page.getByText('This session', { exact: true }).count(), 1);
    assert.match(await rows.filter({ hasText: 'This session' }).innerText(), new RegExp(seeded.human.loginName.replace('.', '\\.')));
    assert.ok((await page.getByRole('button', { name: 'Revoke the sessions of nina.berg' }).count()) >= 1, "a user's sessions can still be revoked together");
    await screenshot(page, 'sessions');
    const nina = rows.filter({ hasText: 'nina.berg' }).first();
    await nina.getByRole('button', { name: 'Revoke session', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke session' }).click();
    await page.getByRole('status').filter({ hasText: 'A session of nina.berg has ended' }).waitFor();
    const after = await ninaSessions();
    assert.equal(after.length, before.length - 1, 'exactly one session ended');
    assert.ok(after.every((id) => before.includes(id)));
    assert.deepEqual(watched.problems, []);
  });

  test('events: a type filter, dates, reasons in words, and paging', async () => {
    // Enough events for three pages of 50, a minute apart, older than everything else.
    const start = server.clock.now() - 3 * 3_600_000;
    for (let i = 0; i < 120; i++) {
      await server.stores.events.appendEvent({
        time: start + i * 60_000,
        accountId: seeded.accountId,
        type: 'logout',
        userId: null,
        loginName: `filler.${String(i).padStart(3, '0')}`,
        clientIp: '192.0.2.1',
        userAgent: null,
        detail: {},
      });
    }
    const eventQueries: URLSearchParams[] = [];
    const seeRequest = (request: { url(): string }) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('/configuration/events')) eventQueries.push(url.searchParams);
    };
    page.on('request', seeRequest);
    await link(page, 'Events').click();
    await page.locator('tbody tr').first().waitFor();
    for (const time of await page.locator('tbody tr td:first-child').allInnerTexts()) {
      assert.doesNotMatch(time, /^\d{9,}$/, 'not an epoch number');
      assert.ok(Number.isFinite(Date.parse(time)) || /\d{1,2}[/.:]\d{1,2}/.test(time), `a date: ${time}`);
    }

    await page.getByLabel('Type').selectOption({ label: 'Failed login' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('The password was wrong.').first().waitFor();
    const failed = await page.locator('tbody tr').allInnerTexts();
    assert.equal(failed.length, 6, `five wrong guesses and a disabled user: ${JSON.stringify(failed)}`);
    for (const row of failed) assert.match(row, /Failed login/);
    assert.equal(failed.filter((row) => row.includes('The password was wrong.')).length, 5);
    assert.equal(failed.filter((row) => row.includes('The user is disabled.')).length, 1);
    await screenshot(page, 'events');

    await page.getByLabel('Type').selectOption({ label: 'Logout' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('cell', { name: 'filler.119', exact: true }).waitFor();
    const newer = page.getByRole('button', { name: 'Newer' });
    const older = page.getByRole('button', { name: 'Older' });
    assert.equal(await newer.isDisabled(), true);
    assert.equal(await page.locator('tbody tr').count(), 50);
    await older.click();
    await page.getByRole('cell', { name: 'filler.069', exact: true }).waitFor();
    assert.equal(await page.getByRole('cell', { name: 'filler.119', exact: true }).count(), 0);
    await older.click();
    await page.getByRole('cell', { name: 'filler.019', exact: true }).waitFor();
    assert.equal(await page.locator('tbody tr').count(), 20);
    assert.equal(await page.getByRole('cell', { name: 'filler.000', exact: true }).count(), 1, 'the oldest is on the last page');
    assert.equal(await older.isDisabled(), true, 'nothing older');
    // The server filters and pages: pages of 50 of one type, each older page after the previous one's cursor.
    const logoutPages = eventQueries.filter((q) => q.get('type') === 'logout');
    assert.deepEqual(logoutPages.map((q) => q.get('limit')), ['50', '50', '50']);
    assert.equal(logoutPages[0]!.get('after'), null);
    assert.match(logoutPages[1]!.get('after') ?? '', /\S/);
    assert.notEqual(logoutPages[2]!.get('after'), logoutPages[1]!.get('after'));
    page.off('request', seeRequest);
    await newer.click();
    await page.getByRole('cell', { name: 'filler.069', exact: true }).waitFor();
    await page.getByLabel('Type').selectOption({ label: 'All types' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('The password was wrong.').first().waitFor();
    assert.equal(await newer.isDisabled(), true, 'a new filter starts at the newest page');
    assert.deepEqual(watched.problems, []);
  });

  test('built-in profiles offer no Delete', async () => {
    await link(page, 'Profiles').click();
    await page.getByRole('cell', { name: 'Administrator', exact: true }).first().waitFor();
    for (const name of ['Administrator', 'Agent', 'Agent Manager', 'Campaign Manager']) {
      assert.equal(await page.getByRole('button', { name: `Delete ${name}`, exact: true }).count(), 0, name);
      assert.equal(await page.getByRole('button', { name: `Edit ${name}`, exact: true }).count(), 1, name);
    }
    await page.getByRole('button', { name: 'New profile' }).click();
    const form = page.getByRole('dialog', { name: 'New profile' });
    await form.getByLabel('Name').fill('Night shift leads');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('button', { name: 'Delete Night shift leads' }).waitFor();
    assert.deepEqual(watched.problems, []);
  });

  test('at phone width the navigation folds behind Menu and no page is wider than the screen', async () => {
    const phone = await watchedPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      const p = phone.page;
      await p.goto(`${server.baseUrl}/console/`);
      assert.ok((await p.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'the sign-in page fits');
      await signIn(p, seeded.accountId, seeded.human.loginName, seeded.human.password);
      const menu = p.getByRole('button', { name: 'Menu' });
      await menu.waitFor();
      assert.equal(await link(p, 'Users').isVisible(), false, 'the navigation is folded');
      await screenshot(p, 'phone-dashboard');
      for (const name of ['Dashboard', 'Users', 'Agent groups', 'Profiles', 'API keys', 'Sessions', 'Events', 'Base URIs', 'Settings', 'Access control']) {
        await menu.click();
        assert.equal(await menu.getAttribute('aria-expanded'), 'true');
        if (name === 'Users') await screenshot(p, 'phone-menu');
        await link(p, name).click();
        await p.getByRole('heading', { level: 1, name }).waitFor();
        await p.locator('.loading').waitFor({ state: 'detached' });
        assert.equal(await link(p, name).isVisible(), false, 'choosing a page folds the menu');
        const width = await p.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 390, `${name} is ${width} px wide`);
        if (name === 'Users') await screenshot(p, 'phone-users');
      }
      assert.deepEqual(phone.problems, []);
    } finally {
      await phone.context.close();
    }
    // At desktop width there is no Menu button: the navigation shows.
    assert.equal(await page.getByRole('button', { name: 'Menu' }).isVisible(), false);
    assert.equal(await link(page, 'Users').isVisible(), true);
  });

  test('the dark colour scheme is honoured', async () => {
    const dark = await watchedPage(browser, { colorScheme: 'dark' });
    try {
      const p = dark.page;
      await p.goto(`${server.baseUrl}/console/`);
      await signIn(p, seeded.accountId, seeded.human.loginName, seeded.human.password);
      await p.getByRole('region', { name: 'Logins', exact: true }).waitFor();
      const luminance = (color: string) => {
        const [r, g, b] = color.match(/\d+(\.\d+)?/g)!.map(Number) as [number, number, number];
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      };
      const background = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const text = await p.evaluate(() => getComputedStyle(document.body).color);
      assert.ok(luminance(background) < 0.2, `the background is dark: ${background}`);
      assert.ok(luminance(text) > 0.7, `the text is light: ${text}`);
      await screenshot(p, 'dark-dashboard');
      await link(p, 'Users').click();
      await p.getByRole('cell', { name: 'nina.berg', exact: true }).waitFor();
      await screenshot(p, 'dark-users');
      assert.deepEqual(dark.problems, []);
    } finally {
      await dark.context.close();
    }
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(light, 'rgba(0, 0, 0, 0)');
  });

  test('a user who is not an administrator sees the message, not the navigation', async () => {
    const agent = await watchedPage(browser);
    try {
      const p = agent.page;
      await p.goto(`${server.baseUrl}/console/`);
      await signIn(p, seeded.accountId, 'nina.berg', 'nina has a long passphrase 1');
      const alert = p.getByRole('alert');
      await alert.waitFor();
      assert.match(await alert.innerText(), /not an administrator/);
      assert.equal(await p.getByRole('navigation').count(), 0);
      assert.equal(await p.getByRole('link').count(), 0);
      assert.equal(await p.getByRole('button', { name: 'Menu' }).count(), 0);
      // The address of a page shows nothing more.
      await p.evaluate(() => {
        location.hash = '#/users';
      });
      assert.equal(await p.getByRole('table').count(), 0);
      assert.deepEqual(agent.problems, []);
    } finally {
      await agent.context.close();
    }
  });
});
