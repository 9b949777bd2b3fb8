/**
 * OAuth access tokens where the service accepts bearers: the auth plugin's
 * resolver (administration API), and the bearer check (`GET /session`).
 * Whether a token is live is decided by AuthorizationServer.liveAccessToken,
 * the same rule as introspection, so the checks can never disagree.
 */
import { errors } from '../errors.js';
import { privilegesOf } from '../directory/profiles.js';
import type { Profile } from '../directory/model.js';
import type { BearerResolver, OAuthCaller, ScopeAllows } from '../http/auth.js';
import type { AuthorizationServer } from './grants.js';
import { adminResourceOf, scopeGrants } from './scopes.js';
import { looksLikeJwt } from './tokens.js';

/** How a client acting for itself is named where a person's login name would be (events' actor, `loginName`). */
export const clientActorName = (clientId: string) => `client:${clientId}`;

/** The resolver of OAuth access tokens: null for bearers that are not JWTs (session bearers), 401 for dead ones. */
export function oauthBearers(server: Pick<AuthorizationServer, 'liveAccessToken'>): BearerResolver {
  return {
    async resolve(accountId, bearer): Promise<OAuthCaller | null> {
      if (!looksLikeJwt(bearer)) return null;
      const live = await server.liveAccessToken(accountId, bearer);
      if (!live) throw errors.bearerInvalid();
      const { access, user } = live;
      return {
        kind: 'oauth',
        accountId,
        clientId: access.clientId,
        userId: access.userId,
        loginName: user ? user.loginName : clientActorName(access.clientId),
        scope: access.scope,
        appKey: null,
      };
    },
  };
}

/** The administration API's rule: `<resource>.read` for GET, `<resource>.write` for the rest. */
export const adminScopeAllows: ScopeAllows = (caller, request) => {
  const resource = adminResourceOf(request.routeOptions.url ?? '');
  return resource !== null && scopeGrants(caller.scope, resource, request.method);
};

/**
 * The bearer check's answer for an access token, or null when `token` is not
 * one (a session bearer). A person's token answers with the person's current
 * privileges; a client's with `userId` = the client id (the token's `sub`),
 * `loginName` `client:<client_id>` and `appKey` the client id.
 */
export async function accessTokenSessionInfo(
  server: Pick<AuthorizationServer, 'liveAccessToken'>,
  listProfiles: (accountId: string) => Promise<Profile[]>,
  accountId: string,
  token: string,
): Promise<Record<string, unknown> | null> {
  if (!looksLikeJwt(token)) return null;
  const live = await server.liveAccessToken(accountId, token);
  if (!live) throw errors.bearerInvalid();
  const { access, user } = live;
  const rights = user ? privilegesOf(user.profileIds, await listProfiles(accountId)) : { privileges: [], isAdmin: false };
  return {
    accountId,
    userId: user ? user.userId : access.clientId,
    loginName: user ? user.loginName : clientActorName(access.clientId),
    userPrivileges: rights.privileges,
    isAdmin: rights.isAdmin,
    isLPA: user ? user.isLPA : false,
    appKey: user ? null : access.clientId,
    amr: [],
    createdAt: access.issuedAt,
    expiresAt: access.expiresAt,
    clientId: access.clientId,
    scope: access.scope,
  };
}
