/**
 * The console's shell: the sign-in form, then the navigation and the page the
 * address names (`#/dashboard`, `#/users`, …). Pages are plain functions that
 * build their part of the document from the administration API. On a narrow
 * screen the navigation folds behind a Menu button (the style sheet decides
 * when; the button only opens and closes it).
 */
import { AdminApi } from './api.js';
import { button, field, h, input, messageArea, replaceChildren } from './dom.js';
import { ConsoleSession, LoginServiceError, SecondFactorEnrolmentRequiredError, SecondFactorRequiredError, type SignedIn } from './session.js';
import { ownCall } from './api.js';
import { totpEnrolment, type TotpStart } from './totp.js';
import { accountPage } from './pages/account.js';
import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { Page, PageContext } from './pages/page.js';
import { dashboardPage } from './pages/dashboard.js';
import { usersPage } from './pages/users.js';
import { agentGroupsPage } from './pages/agentGroups.js';
import { profilesPage } from './pages/profiles.js';
import { apiKeysPage } from './pages/apiKeys.js';
import { applicationsPage } from './pages/applications.js';
import { sessionsPage } from './pages/sessions.js';
import { eventsPage } from './pages/events.js';
import { baseUrisPage } from './pages/baseUris.js';
import { settingsPage } from './pages/settings.js';
import { accessControlPage } from './pages/accessControl.js';

const PAGES: Array<{ path: string; title: string; page: Page }> = [
  { path: 'dashboard', title: 'Dashboard', page: dashboardPage },
  { path: 'users', title: 'Users', page: usersPage },
  { path: 'agent-groups', title: 'Agent groups', page: agentGroupsPage },
  { path: 'profiles', title: 'Profiles', page: profilesPage },
  { path: 'api-keys', title: 'API keys', page: apiKeysPage },
  { path: 'applications', title: 'Applications', page: applicationsPage },
  { path: 'sessions', title: 'Sessions', page: sessionsPage },
  { path: 'events', title: 'Events', page: eventsPage },
  { path: 'base-uris', title: 'Base URIs', page: baseUrisPage },
  { path: 'settings', title: 'Settings', page: settingsPage },
  { path: 'access-control', title: 'Access control', page: accessControlPage },
  { path: 'account', title: 'My account', page: accountPage },
];

const root = document.getElementById('app')!;
const session = new ConsoleSession();
const api = new AdminApi(session);
/** Bumped on every navigation, so a slow page that finishes late does not replace a newer one. */
let renderCount = 0;

session.onEnded((reason) => showSignIn(reason));
window.addEventListener('hashchange', () => {
  if (session.signedIn?.isAdmin) void showPage();
});

function showSignIn(notice?: string): void {
  document.title = 'Sign in · Login Service console';
  // Dialogs live beside the app, not in it: a form left open must not outlive the session.
  for (const dialog of document.querySelectorAll('dialog')) dialog.close();
  const messages = messageArea();
  if (notice) messages.error(notice);
  const account = input({ name: 'account', required: true, autocomplete: 'organization', inputMode: 'numeric', attrs: { pattern: '[0-9]+' } });
  const username = input({ name: 'username', required: true, autocomplete: 'username' });
  const password = input({ name: 'password', type: 'password', required: true, autocomplete: 'current-password' });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  // Shown once the account has an OpenID Connect provider: a link, since the browser goes to the provider and back.
  const sso = h('p', { class: 'sso-option', attrs: { hidden: '' } });
  let askedFor = '';
  const offerSso = () => {
    const accountId = account.value.trim();
    if (accountId === askedFor) return;
    askedFor = accountId;
    sso.hidden = true;
    if (!/^[0-9]+$/.test(accountId)) return;
    void fetch(`/sso/oidc/${accountId}/options`, { headers: { accept: 'application/json' } })
      .then((res) => (res.ok ? (res.json() as Promise<{ oidc: { label: string; startUrl: string } | null }>) : { oidc: null }))
      .then(({ oidc }) => {
        if (!oidc || askedFor !== accountId) return;
        replaceChildren(sso, h('a', { href: `${oidc.startUrl}?return_to=${encodeURIComponent('/console/')}`, class: 'button' }, oidc.label));
        sso.hidden = false;
      })
      .catch(() => {});
  };
  account.addEventListener('change', offerSso);
  account.addEventListener('blur', offerSso);
  const form = h(
    'form',
    {
      class: 'sign-in',
      on: {
        submit: (event) => {
          event.preventDefault();
          submit.disabled = true;
          messages.clear();
          session
            .signIn(account.value.trim(), username.value.trim(), password.value)
            .then(signedIn)
            .catch((error: unknown) => {
              password.value = '';
              if (error instanceof SecondFactorRequiredError) return showSecondStep(account.value.trim(), error.mfaToken, error.factors);
              if (error instanceof SecondFactorEnrolmentRequiredError) return showEnrolment(account.value.trim(), error.enrollToken);
              messages.error(signInProblem(error));
            })
            .finally(() => {
              submit.disabled = false;
            });
        },
      },
    },
    h('h1', null, 'Login Service console'),
    field('Account', account),
    field('Username', username),
    field('Password', password),
    submit,
    sso,
    messages.el,
  );
  replaceChildren(root, h('main', { class: 'sign-in-page' }, form));
  account.focus();
}

function signedIn(who: SignedIn): void {
  // replaceState: no hashchange, so the shell's first page is the only one rendered.
  if (!location.hash) history.replaceState(null, '', '#/dashboard');
  void showShell(who.isAdmin ? undefined : 'This user is not an administrator of the account: the administration API refuses their calls. Sign out and sign in as an administrator.');
}

/** The second step of the sign-in: a code of the authenticator app, or a recovery code. */
function showSecondStep(accountId: string, mfaToken: string, factors: string[]): void {
  const messages = messageArea();
  let recovery = false;
  const code = input({ name: 'otp', required: true, autocomplete: 'one-time-code', inputMode: 'numeric' });
  const label = h('span', null, 'Code from the app');
  const codeField = h('label', { class: 'field' }, label, code);
  const submit = h('button', { type: 'submit' }, 'Verify');
  const toggle = button('Use a recovery code', () => {
    recovery = !recovery;
    label.textContent = recovery ? 'Recovery code' : 'Code from the app';
    toggle.textContent = recovery ? 'Use a code from the app' : 'Use a recovery code';
    code.inputMode = recovery ? 'text' : 'numeric';
    code.autocomplete = recovery ? 'off' : 'one-time-code';
    code.focus();
  });
  const usePasskey = factors.includes('passkey')
    ? button('Use a passkey', () => {
        messages.clear();
        ownCall<{ ticket: string; options: PublicKeyCredentialRequestOptionsJSON }>(accountId, 'POST', 'mfa/passkey/challenge', { mfaToken }, null)
          .then(async ({ ticket, options }) => session.completeSignIn(accountId, mfaToken, { passkey: { ticket, response: await startAuthentication({ optionsJSON: options }) } }))
          .then(signedIn)
          .catch(() => messages.error('The passkey did not work. Try again, or use a code.'));
      })
    : null;
  const form = h(
    'form',
    {
      class: 'sign-in',
      on: {
        submit: (event) => {
          event.preventDefault();
          submit.disabled = true;
          messages.clear();
          const value = code.value.trim();
          session
            .completeSignIn(accountId, mfaToken, recovery ? { recoveryCode: value } : { otp: value })
            .then(signedIn)
            .catch((error: unknown) => {
              code.value = '';
              if (error instanceof LoginServiceError && error.status === 401) messages.error('That code did not work. After five wrong codes, sign in again.');
              else messages.error(signInProblem(error));
            })
            .finally(() => {
              submit.disabled = false;
            });
        },
      },
    },
    h('h1', null, 'Two-step sign-in'),
    h('p', null, 'Enter the code your authenticator app shows.'),
    codeField,
    submit,
    usePasskey,
    toggle,
    button('Start again', () => showSignIn()),
    messages.el,
  );
  replaceChildren(root, h('main', { class: 'sign-in-page' }, form));
  code.focus();
}

/** The account requires a second factor the person has not set up: enrol now, then sign in again. */
function showEnrolment(accountId: string, enrollToken: string): void {
  const main = h('main', { class: 'sign-in-page' });
  const body = h('div', { class: 'sign-in' }, h('h1', null, 'Set up two-step sign-in'), h('p', null, 'This account requires a second factor. Set up an authenticator app to continue.'));
  replaceChildren(root, main);
  main.appendChild(body);
  totpEnrolment(
    () => ownCall<TotpStart>(accountId, 'POST', 'mfa/totp', { enrollToken }, null),
    (otp) => ownCall<{ recoveryCodes: string[] }>(accountId, 'POST', 'mfa/totp/confirm', { enrollToken, otp }, null),
    () => button('Sign in again', () => showSignIn(), { class: 'primary' }),
  ).then(
    (section) => body.appendChild(section),
    () => showSignIn('The set-up could not start; sign in again.'),
  );
}

function signedOut(notice?: string): void {
  history.replaceState(null, '', location.pathname);
  showSignIn(notice);
}

function signInProblem(error: unknown): string {
  if (error instanceof LoginServiceError) {
    if (error.status === 401) return 'Sign-in failed: check the account, username and password.';
    if (error.status === 429) return 'Too many failed sign-ins from here; wait a minute and try again.';
    if (error.status === 400) return 'Sign-in failed: the account is a number and every field is needed.';
    if (error.retryable) return 'The server could not be reached; try again in a moment.';
  }
  return 'Sign-in failed.';
}

function currentPath(): string {
  const path = location.hash.replace(/^#\/?/, '');
  return PAGES.some((p) => p.path === path) ? path : 'dashboard';
}

async function showShell(notice?: string): Promise<void> {
  const who = session.signedIn!;
  const nav = h(
    'nav',
    { id: 'sections', attrs: { 'aria-label': 'Sections' } },
    h('ul', null, PAGES.map((p) => h('li', null, h('a', { href: `#/${p.path}`, attrs: { 'data-path': p.path } }, p.title)))),
  );
  const menu = button('Menu', () => setMenuOpen(menu.getAttribute('aria-expanded') !== 'true'), { class: 'menu', attrs: { 'aria-expanded': 'false', 'aria-controls': 'sections' } });
  const setMenuOpen = (open: boolean) => {
    menu.setAttribute('aria-expanded', String(open));
    nav.classList.toggle('open', open);
  };
  // Choosing a page folds the menu again.
  nav.addEventListener('click', (event) => {
    if ((event.target as Element).closest('a')) setMenuOpen(false);
  });
  const signOut = button('Sign out', () => {
    signOut.disabled = true;
    session.signOut().then(
      () => signedOut(),
      () => signedOut('Signed out here, but the server could not be reached to end the session: it ends on its own when its time is up.'),
    );
  });
  const header = h(
    'header',
    null,
    who.isAdmin ? menu : null,
    h('span', { class: 'brand' }, 'Login Service console'),
    h('span', { class: 'who' }, `${who.loginName} · account ${who.accountId}`),
    signOut,
  );
  if (!who.isAdmin) {
    // Every page would be refused: the message alone, no navigation.
    document.title = 'Login Service console';
    const message = h('p', { class: 'error', attrs: { role: 'alert' } }, notice ?? 'This user is not an administrator of the account.');
    const main = h('main', { id: 'page' }, message);
    replaceChildren(root, header, h('div', { class: 'layout' }, main));
    // Their own second factors are theirs to manage all the same.
    const ctx: PageContext = { api, session, refresh: (text) => void showShell(text) };
    accountPage(ctx).then(
      (content) => {
        if (session.signedIn === who) main.append(h('h1', null, 'My account'), content);
      },
      () => {},
    );
    return;
  }
  const main = h('main', { id: 'page', attrs: { tabindex: '-1' } });
  replaceChildren(root, header, h('div', { class: 'layout' }, nav, main));
  await showPage(notice);
}

async function showPage(notice?: string): Promise<void> {
  const main = document.getElementById('page');
  if (!main || !session.signedIn) return;
  const path = currentPath();
  const entry = PAGES.find((p) => p.path === path)!;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (link.dataset.path === path) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${entry.title} · Login Service console`;
  const count = ++renderCount;
  const ctx: PageContext = {
    api,
    session,
    refresh: (message) => {
      if (count === renderCount) void showPage(message);
    },
  };
  replaceChildren(main, h('h1', null, entry.title), h('p', { class: 'loading', attrs: { role: 'status' } }, 'Loading…'));
  let content: Node;
  try {
    content = await entry.page(ctx);
  } catch (error) {
    if (!session.signedIn) return;
    content = h('p', { class: 'error', attrs: { role: 'alert' } }, error instanceof Error ? error.message : 'The page could not be loaded.');
  }
  if (count !== renderCount || !session.signedIn) return;
  const status = notice ? h('p', { class: 'info', attrs: { role: 'status' } }, notice) : null;
  replaceChildren(main, h('h1', null, entry.title), status, content);
}

// Back from the account's identity provider: the server hands over the session it opened, once.
session
  .adoptHandedOver()
  .catch(() => null)
  .then((who) => {
    if (!who) return showSignIn();
    if (!location.hash) history.replaceState(null, '', '#/dashboard');
    return showShell(who.isAdmin ? undefined : 'This user is not an administrator of the account: the administration API refuses their calls. Sign out and sign in as an administrator.');
  });
