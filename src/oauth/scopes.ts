/**
 * The API scopes an installation may be granted and a token may carry: one
 * `<resource>.read` and one `<resource>.write` per administration resource
 * (oauth-applications.md). The installations service checks an
 * installation's `scope` against this list; the token side checks requests
 * against it; nothing else spells the list out.
 */

/** The administration resources a token's scope can grant, by their scope names. */
export const ADMIN_SCOPE_RESOURCES = ['users', 'agentGroups', 'profiles', 'appKeys', 'installations', 'baseUris', 'sessions', 'events', 'settings'] as const;
export type AdminScopeResource = (typeof ADMIN_SCOPE_RESOURCES)[number];

/** Every API scope: `users.read`, `users.write`, … */
export const API_SCOPES: readonly string[] = ADMIN_SCOPE_RESOURCES.flatMap((r) => [`${r}.read`, `${r}.write`]);

/** Allowed to every authorization-code installation without being listed in its `scope`. */
export const OPENID_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'offline_access'];

/** The tokens of a space-separated scope string, without repeats, in their order. */
export function scopeTokens(scope: string): string[] {
  return [...new Set(scope.split(' ').filter((s) => s !== ''))];
}

/** The scope needed to call an administration resource: `.read` for GET (and HEAD), `.write` for any other method. */
export function adminScope(resource: AdminScopeResource, method: string): string {
  return `${resource}.${method === 'GET' || method === 'HEAD' ? 'read' : 'write'}`;
}
