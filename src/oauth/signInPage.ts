/**
 * The service's sign-in page for OAuth 2.0 authorization requests, rendered
 * on the server: a plain HTML form that posts back to the authorization
 * endpoint, so it works without script. Everything shown is escaped; the one
 * inline style is allowed by its hash, and nothing else inline runs (the
 * page policy of http/pages.ts, which the console follows too).
 *
 * Extension points:
 * - `options`: further ways to sign in, shown as buttons under the form (say
 *   "Sign in with <provider>", linking to a URL whose `return_to` resumes
 *   the authorization request);
 * - `step`: what the form asks for. `password` is the first step; a login
 *   that answered with a challenge (a second factor due) shows `challenge`.
 *
 * The anti-forgery token binds a form to its authorization request (see
 * `newFormBinding`).
 */
import { createHash } from 'node:crypto';
import { pageCsp } from '../http/pages.js';
import { hashToken, randomToken, tokenMatches } from '../security/tokens.js';
import type { LoginChallenge } from '../login/model.js';
import type { AuthorizationRequest } from './authorize.js';

/** Another way to sign in, shown as a button below the form. */
export interface SignInOption {
  label: string;
  href: string;
}

export type SignInStep = { type: 'password' } | { type: 'challenge'; challenge: LoginChallenge };

export interface SignInPageInput {
  /** The application's display name (its client name when it has none). */
  applicationName: string;
  /** Where the form posts: the authorization endpoint with the request's query. */
  action: string;
  /** The anti-forgery token of this form. */
  formToken: string;
  step: SignInStep;
  /** What went wrong with the last try, shown above the form. */
  message?: string;
  /** The username typed last time, so a failed try need not retype it. */
  username?: string;
  options?: SignInOption[];
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2330}
main{max-width:24rem;margin:8vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{margin:0 0 .25rem;font-size:1.5rem}
p{margin:.5rem 0 1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{width:100%;padding:.5rem;border:1px solid #9aa3b2;border-radius:4px;font:inherit}
button,.option{display:block;width:100%;margin-top:1.25rem;padding:.6rem;border:0;border-radius:4px;background:#1f5fbf;color:#fff;font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}
.option{background:#fff;color:#1f5fbf;border:1px solid #1f5fbf;margin-top:.75rem}
.error{padding:.5rem .75rem;border-radius:4px;background:#fdecea;color:#8a1c12}
ul{list-style:none;margin:1rem 0 0;padding:0}
`.trim();

const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/**
 * The page's policy: the page rules with this page's inline style allowed by
 * its hash, and its form allowed to end at the client's redirect URI (browsers
 * apply `form-action` to the redirect that answers the post).
 */
export function signInPageCsp(redirectUri: string | null): string {
  const origin = redirectUri === null ? null : new URL(redirectUri).origin;
  return pageCsp({
    'style-src': STYLE_HASH,
    'form-action': origin && origin !== 'null' ? `'self' ${origin}` : "'self'",
  });
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export function renderSignInPage(input: SignInPageInput): string {
  const e = escapeHtml;
  const message = input.message ? `<p class="error" role="alert">${e(input.message)}</p>\n` : '';
  let form: string;
  if (input.step.type === 'challenge' && input.step.challenge.kind === 'enrolment') {
    form = `<p class="error" role="alert">Your account requires a second factor, and you have not set one up yet. Sign in to the <a href="/console/">console</a> once to set up an authenticator app, then come back.</p>`;
  } else if (input.step.type === 'challenge') {
    // The pending login's token stays in an HttpOnly cookie: only the code is typed here.
    form = `<form method="post" action="${e(input.action)}">
<input type="hidden" name="form_token" value="${e(input.formToken)}">
<p>Enter the 6-digit code of your authenticator app, or one of your recovery codes.</p>
<label for="code">Code</label>
<input id="code" name="code" autocomplete="one-time-code" inputmode="text" required maxlength="64" autofocus>
<button type="submit">Verify</button>
</form>
<p><a href="${e(input.action)}">Start again</a></p>`;
  } else {
    form = `<form method="post" action="${e(input.action)}">
<input type="hidden" name="form_token" value="${e(input.formToken)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required maxlength="256" value="${e(input.username ?? '')}"${input.username ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="4096"${input.username ? ' autofocus' : ''}>
<button type="submit">Sign in</button>
</form>`;
  }
  const options = (input.options ?? []).map((o) => `<li><a class="option" href="${e(o.href)}">${e(o.label)}</a></li>`).join('\n');
  return page(
    `Sign in – ${input.applicationName}`,
    `<h1>Sign in</h1>
<p>to continue to <strong>${e(input.applicationName)}</strong></p>
${message}${form}${options ? `\n<ul class="options">\n${options}\n</ul>` : ''}`,
  );
}

/** A page that only says something: an authorization request refused here, or signed out. */
export function renderMessagePage(title: string, text: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(text)}</p>`);
}

/** How long a sign-in form may be posted after it was shown. */
export const FORM_LIFETIME_MS = 10 * 60_000;

/** The canonical text of a request, what a form binding covers. */
function requestText(r: AuthorizationRequest): string {
  return JSON.stringify([r.accountId, r.clientId, r.redirectUri, r.scope, r.state, r.nonce, r.codeChallenge, r.prompt]);
}

/**
 * The anti-forgery pair of a sign-in form: `field` goes in the form, `cookie`
 * in an HttpOnly, SameSite=Strict cookie. The cookie is the digest of the
 * field and the request, so a posted form is accepted only together with the
 * cookie of the same browser, for the same request, within FORM_LIFETIME_MS
 * of being shown. Any instance can check it: no state and no shared secret.
 */
export function newFormBinding(request: AuthorizationRequest, now: number): { field: string; cookie: string } {
  const field = `${now}.${randomToken()}`;
  return { field, cookie: hashToken(`${field}\n${requestText(request)}`) };
}

export function formBindingValid(field: unknown, cookie: string | undefined, request: AuthorizationRequest, now: number): boolean {
  if (typeof field !== 'string' || !cookie || !/^\d{1,15}\.[0-9a-f]{64}$/.test(field) || !/^[0-9a-f]{64}$/.test(cookie)) return false;
  const shownAt = Number(field.slice(0, field.indexOf('.')));
  if (!(shownAt <= now && now - shownAt < FORM_LIFETIME_MS)) return false;
  return tokenMatches(`${field}\n${requestText(request)}`, cookie);
}
