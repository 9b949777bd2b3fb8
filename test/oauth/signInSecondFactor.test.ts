/**
 * The OAuth sign-in page's second step over a real socket: a person with an
 * authenticator app gets a code field after the password (the pending login's
 * token in an HttpOnly cookie, never in the page), a wrong code shows the step
 * again and counts, a right one goes back to the client with a code, and a
 * recovery code works there too. A person who must enrol is told where.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { MFA_KEY, codeAt, newPerson, setMfa } from '../factors/support.js';
import { authorizeUrl, getManual, installApp, pkcePair, type Installed } from './authorizeHelpers.js';

const REDIRECT_URI = 'https://app.example/callback';

describe('OAuth sign-in page: the second step', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let app: Installed;

  before(async () => {
    server = await startTestServer({ env: { MFA_ENCRYPTION_KEY: MFA_KEY } });
    seeded = await seedAccount(server);
    app = await installApp(server, seeded.accountId, { clientName: 'Reports', redirectUris: [REDIRECT_URI] });
  });
  after(() => server.close());

  const api = (path: string) => `${server.baseUrl}/api/account/${seeded.accountId}/${path}`;
  const nextStep = () => server.clock.advance(30_000);

  /** A person with a confirmed authenticator app: their secret and recovery codes. */
  async function enrolled() {
    const p = await newPerson(server, seeded.accountId);
    const first = await postJson(api('login?v=1.3'), { username: p.loginName, password: p.password });
    assert.equal(first.status, 200, first.text);
    const auth = { authorization: `Bearer ${first.json.bearer}`, 'content-type': 'application/json' };
    const started = (await (await fetch(api('mfa/totp?v=1.0'), { method: 'POST', headers: auth, body: '{}' })).json()) as { secret: string };
    nextStep();
    const confirm = await fetch(api('mfa/totp/confirm?v=1.0'), { method: 'POST', headers: auth, body: JSON.stringify({ otp: codeAt(started.secret, server.clock.now()) }) });
    assert.equal(confirm.status, 200);
    const { recoveryCodes } = (await confirm.json()) as { recoveryCodes: string[] };
    nextStep();
    return { ...p, secret: started.secret, recoveryCodes };
  }

  /** The page of a fresh authorization request: where it posts, its form token and cookies. */
  async function page() {
    const res = await getManual(authorizeUrl(server, seeded.accountId, { v: '1.0', response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, state: 'st', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    assert.equal(res.status, 200);
    return parsePage(res, new Map());
  }

  async function parsePage(res: Response, jar: Map<string, string>) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=');
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c) || value === '') jar.delete(name!);
      else jar.set(name!, value!);
    }
    const html = await res.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&') ?? null;
    const token = /name="form_token" value="([^"]+)"/.exec(html)?.[1] ?? null;
    return { status: res.status, html, action, token, jar };
  }

  async function post(p: { action: string | null; token: string | null; jar: Map<string, string> }, fields: Record<string, string>) {
    const res = await fetch(`${server.baseUrl}${p.action}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [...p.jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      body: new URLSearchParams({ form_token: p.token!, ...fields }).toString(),
    });
    return res;
  }

  test('a code after the password: the token stays in an HttpOnly cookie; a wrong code shows the step again; the right one goes back with a code', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const person = await enrolled();
    const shown = await page();
    const afterPassword = await post(shown, { username: person.loginName, password: person.password });
    const step = await parsePage(afterPassword, shown.jar);
    assert.equal(step.status, 200);
    assert.match(step.html, /<label for="code">Code<\/label>/);
    assert.doesNotMatch(step.html, /type="password"/);
    const mfaCookie = afterPassword.headers.getSetCookie().find((c) => c.startsWith('oauth_mfa='))!;
    assert.match(mfaCookie, /HttpOnly/);
    assert.match(mfaCookie, /SameSite=Strict/);
    assert.ok(!step.html.includes(step.jar.get('oauth_mfa')!), 'the mfaToken is not in the page');

    const wrongCode = codeAt(person.secret, server.clock.now()) === '000000' ? '111111' : '000000';
    const wrong = await parsePage(await post(step, { code: wrongCode }), step.jar);
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /not accepted/);
    assert.match(wrong.html, /<label for="code">/, 'the step again');

    const right = await post(wrong, { code: codeAt(person.secret, server.clock.now()) });
    assert.equal(right.status, 303);
    const location = new URL(right.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
    assert.ok(location.searchParams.get('code'));
    assert.equal(location.searchParams.get('state'), 'st');
    const session = right.headers.getSetCookie().find((c) => c.startsWith('Session_id='));
    assert.ok(session, 'signed in: the Session_id cookie is set');
    const sessions = await server.stores.sessions.listSessions(seeded.accountId, server.clock.now(), person.user.userId);
    assert.deepEqual(sessions.at(-1)!.amr, ['pwd', 'otp']);
  });

  test('a recovery code works on the page too, once', async () => {
    await setMfa(server, seeded.accountId, 'optional');
    const person = await enrolled();
    const signIn = async () => {
      const shown = await page();
      return parsePage(await post(shown, { username: person.loginName, password: person.password }), shown.jar);
    };
    const step = await signIn();
    const used = await post(step, { code: person.recoveryCodes[0]! });
    assert.equal(used.status, 303);
    const again = await signIn();
    const reused = await post(again, { code: person.recoveryCodes[0]! });
    assert.equal(reused.status, 401, 'a recovery code works once');
  });

  test('a person who must enrol first is told where; no code field, no mfa cookie', async () => {
    await setMfa(server, seeded.accountId, 'required');
    const person = await newPerson(server, seeded.accountId);
    const shown = await page();
    const res = await post(shown, { username: person.loginName, password: person.password });
    const html = await res.text();
    assert.equal(res.status, 200);
    assert.match(html, /requires a second factor/);
    assert.match(html, /href="\/console\/"/);
    assert.doesNotMatch(html, /<label for="code">/);
    assert.ok(!res.headers.getSetCookie().some((c) => c.startsWith('oauth_mfa=')));
    await setMfa(server, seeded.accountId, 'off');
  });
});
