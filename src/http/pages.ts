/**
 * The rules every HTML page of the service follows (the web console, the
 * OAuth sign-in page): a Content-Security-Policy that allows nothing inline
 * and nothing from elsewhere unless named, no framing, its own browsing
 * context group. The app's default policy, `default-src 'none'`, fits JSON
 * answers only.
 */

export const PAGE_CSP_DIRECTIVES: Readonly<Record<string, string>> = {
  'default-src': "'none'",
  'script-src': "'self'",
  'style-src': "'self'",
  'connect-src': "'self'",
  'img-src': "'self'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
  'base-uri': "'none'",
};

/** The page policy with some directives replaced (a hashed inline style, a form that redirects elsewhere). */
export function pageCsp(overrides: Readonly<Record<string, string>> = {}): string {
  return Object.entries({ ...PAGE_CSP_DIRECTIVES, ...overrides })
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
}

/** Headers of every page besides its policy. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};
