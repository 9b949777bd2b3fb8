/**
 * The sign-in page's parts on their own: what it renders for each step and
 * for further sign-in options (escaped), and the anti-forgery binding of a
 * form to its authorization request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthorizationRequest } from '../../src/oauth/authorize.js';
import { FORM_LIFETIME_MS, formBindingValid, newFormBinding, renderSignInPage } from '../../src/oauth/signInPage.js';

const request: AuthorizationRequest = {
  accountId: '123456',
  clientId: 'client-1',
  redirectUri: 'https://app.example/cb',
  scope: 'openid',
  state: 's',
  nonce: null,
  codeChallenge: null,
  prompt: null,
};

test('further sign-in options are listed as links, escaped, below the form', () => {
  const html = renderSignInPage({
    applicationName: 'App',
    action: '/sentinel/api/account/123456/authorize?client_id=a&state=<x>',
    formToken: 't',
    step: { type: 'password' },
    options: [{ label: 'Sign in with <Corp>', href: '/sso/start?return_to=/a&b="c"' }],
  });
  assert.ok(html.includes('<a class="option" href="/sso/start?return_to=/a&amp;b=&quot;c&quot;">Sign in with &lt;Corp&gt;</a>'));
  assert.ok(html.includes('action="/sentinel/api/account/123456/authorize?client_id=a&amp;state=&lt;x&gt;"'));
  assert.ok(html.indexOf('<form') < html.indexOf('class="option"'));
});

test('a challenge step asks for a code and shows no password form', () => {
  const html = renderSignInPage({ applicationName: 'App', action: '/x', formToken: 't', step: { type: 'challenge', challenge: { kind: 'second_factor', token: 'pending', expiresAt: 0, factors: ['totp'] } } });
  assert.match(html, /<label for="code">Code<\/label>/);
  assert.match(html, /<button type="submit">Verify<\/button>/);
  assert.doesNotMatch(html, /type="password"/);
  assert.ok(!html.includes('pending'), 'the pending login\'s token is not put in this page');
});

test('a form binding holds for its request within its lifetime only', () => {
  const now = 1_800_000_000_000;
  const { field, cookie } = newFormBinding(request, now);
  assert.equal(formBindingValid(field, cookie, request, now + 1000), true);
  assert.equal(formBindingValid(field, cookie, request, now + FORM_LIFETIME_MS), false, 'expired');
  assert.equal(formBindingValid(field, cookie, request, now - 1), false, 'from the future');
  for (const change of [{ redirectUri: 'https://app.example/other' }, { state: 't' }, { scope: 'openid users.read' }, { codeChallenge: 'x'.repeat(43) }, { clientId: 'client-2' }]) {
    assert.equal(formBindingValid(field, cookie, { ...request, ...change }, now), false, JSON.stringify(change));
  }
  assert.equal(formBindingValid(`${now + 1}${field.slice(String(now).length)}`, cookie, request, now + 2), false, 'the time in the field is covered');
  assert.equal(formBindingValid(field, undefined, request, now), false);
  assert.equal(formBindingValid(['a'], cookie, request, now), false);
});
