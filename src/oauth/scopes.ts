/**
 * Scopes: what an installation may ask for and what a token grants.
 *
 * API scopes are `<resource>.read` (GET) and `<resource>.write` (every other
 * method) for the administration API's resources. `openid`, `profile`,
 * `email` and `offline_access` are OpenID Connect's, always allowed to
 * authorization-code applications.
 */

export const ADMIN_RESOURCES = ['users', 'agentGroups', 'profiles', 'appKeys', 'installations', 'baseUris', 'sessions', 'events', 'settings'] as const;
export type AdminResource = (typeof ADMIN_RESOURCES)[number];

export const API_SCOPES: readonly string[] = ADMIN_RESOURCES.flatMap((r) => [`${r}.read`, `${r}.write`]);
export const OIDC_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'offline_access'];

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

/**
 * The scopes of a `scope` parameter (RFC 6749 §3.3: space-separated, each
 * of printable ASCII but `"` and `\`), without repeats; null when malformed.
 */
export function parseScope(scope: string): string[] | null {
  if (scope.length > 4096) return null;
  const parts = scope.split(' ').filter((s) => s !== '');
  if (!parts.every((s) => SCOPE_TOKEN.test(s))) return null;
  return [...new Set(parts)];
}

export const formatScope = (scopes: readonly string[]): string => scopes.join(' ');

/** The resource of an administration route path (`/api/account/:accountId/configuration/...`), or null. */
export function adminResourceOf(routeUrl: string): AdminResource | null {
  const m = /^\/api\/account\/:accountId\/configuration\/(?:le-users\/)?([\w-]+)/.exec(routeUrl);
  if (!m) return null;
  const segment = m[1]!;
  const byPath: Record<string, AdminResource> = {
    users: 'users',
    agentGroups: 'agentGroups',
    profiles: 'profiles',
    'app-keys': 'appKeys',
    'app-install': 'installations',
    'base-uris': 'baseUris',
    sessions: 'sessions',
    events: 'events',
    settings: 'settings',
    // Single sign-on is part of the account's settings.
    sso: 'settings',
  };
  return byPath[segment] ?? null;
}

/** Whether `scope` (a token's) grants `method` on `resource`. */
export function scopeGrants(scope: string, resource: AdminResource, method: string): boolean {
  const wanted = method === 'GET' || method === 'HEAD' ? `${resource}.read` : `${resource}.write`;
  return scope.split(' ').includes(wanted);
}
