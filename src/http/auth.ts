/**
 * Who calls: the one place where a request's bearer becomes a caller and
 * where a route's requirement on that caller is checked. Handlers read
 * `request.caller` and never authenticate themselves.
 *
 * A bearer is offered to a list of resolvers in order (the session bearer,
 * then OAuth access tokens): the first that knows it says who calls, or
 * refuses it. Three pre-handlers use the result:
 *
 * - `requireBearer`: any live caller of the path's account (else 401/403);
 * - `requireAdministrator`: a user of the account whose CURRENT profiles make
 *   them an administrator. Rights are read from the directory at each request,
 *   never from what the session copied at login: an administrator demoted,
 *   disabled or deleted loses the rights with their next request. An OAuth
 *   access token gets through when its scope grants the route's resource and
 *   method (`scopeAllows`); a person's token also needs the person's rights;
 * - `requireClient`: an API client (a bot's session, or an OAuth client's token).
 *
 * They run as pre-handlers, after the schema checks, so a malformed request is
 * answered 400 whoever sends it, as before.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../errors.js';
import { ApiError, InternalCode } from './errors.js';
import { bearerToken } from './request.js';

/** What the session core's bearer check answers, as far as authorization needs it. */
export interface BearerSession {
  accountId: string;
  userId: string;
  loginName: string;
  appKey: string | null;
}

/** A user acting through a live session (a person, or a bot logged in with its API key). */
export interface SessionCaller {
  kind: 'session';
  accountId: string;
  userId: string;
  loginName: string;
  /** The app key a bot's session was opened with; null for a person. */
  appKey: string | null;
  session: BearerSession;
}

/**
 * An OAuth access token's holder: an installation acting for itself (client
 * credentials: `userId` null, `loginName` `client:<client_id>`) or for a
 * person (`userId` and `loginName` theirs), within `scope`.
 */
export interface OAuthCaller {
  kind: 'oauth';
  accountId: string;
  clientId: string;
  userId: string | null;
  loginName: string;
  scope: string;
  appKey: null;
}

/** Who calls. */
export type Caller = SessionCaller | OAuthCaller;

/** One kind of bearer. */
export interface BearerResolver {
  /**
   * The caller `bearer` stands for on `accountId`; null when the bearer is not
   * of this kind (the next resolver tries). Throws a refusal (401, or 403 for
   * a live bearer of another account) when it is of this kind but not good here.
   */
  resolve(accountId: string, bearer: string): Promise<Caller | null>;
}

/** What the directory says of a user right now: null when unknown, deleted or disabled. */
export type CurrentRights = (accountId: string, userId: string) => Promise<{ isAdmin: boolean } | null>;

/** Whether an OAuth caller's scope covers this request (its route and method). */
export type ScopeAllows = (caller: OAuthCaller, request: FastifyRequest) => boolean;

export interface Auth {
  requireBearer(request: FastifyRequest): Promise<void>;
  requireAdministrator(request: FastifyRequest): Promise<void>;
  requireClient(request: FastifyRequest): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth pre-handlers; null on routes that require no caller. */
    caller: Caller | null;
  }
}

export const forbidden = (message: string) => new ApiError(403, InternalCode.ADMIN_REQUIRED, `Forbidden: ${message}`);

/**
 * The session bearer, through the session core's own check. A live bearer of
 * another account is told apart (403) from one that is not live at all (401).
 */
export function sessionBearers(
  sessions: { checkBearer(accountId: string, bearer: string): Promise<BearerSession> },
  /** The account a bearer's session belongs to, live or not; null when unknown. */
  accountOfBearer: (bearer: string) => Promise<string | null>,
): BearerResolver {
  const callerOf = (session: BearerSession): SessionCaller => ({
    kind: 'session',
    accountId: session.accountId,
    userId: session.userId,
    loginName: session.loginName,
    appKey: session.appKey,
    session,
  });
  return {
    async resolve(accountId, bearer) {
      try {
        return callerOf(await sessions.checkBearer(accountId, bearer));
      } catch (error) {
        const elsewhere = await accountOfBearer(bearer);
        if (elsewhere !== null && elsewhere !== accountId && (await sessions.checkBearer(elsewhere, bearer).then(() => true, () => false))) {
          throw forbidden('the bearer belongs to another account');
        }
        throw error;
      }
    },
  };
}

/** Decorates requests with `caller` and returns the pre-handlers. */
export function installAuth(app: FastifyInstance, options: { resolvers: BearerResolver[]; currentRights: CurrentRights; scopeAllows?: ScopeAllows }): Auth {
  app.decorateRequest('caller', null);

  async function authenticate(request: FastifyRequest): Promise<Caller> {
    const { accountId } = request.params as { accountId: string };
    const header = request.headers.authorization;
    const bearer = bearerToken(typeof header === 'string' ? header : undefined);
    if (!bearer) throw errors.bearerInvalid();
    for (const resolver of options.resolvers) {
      const caller = await resolver.resolve(accountId, bearer);
      if (caller) return (request.caller = caller);
    }
    throw errors.bearerInvalid();
  }

  return {
    async requireBearer(request) {
      await authenticate(request);
    },
    async requireAdministrator(request) {
      const caller = await authenticate(request);
      if (caller.kind === 'oauth') {
        if (!options.scopeAllows?.(caller, request)) throw forbidden('the access token\'s scope does not cover this request');
        // A client acting for itself has the rights its installation's scope gives it.
        if (caller.userId === null) return;
      }
      const rights = await options.currentRights(caller.accountId, caller.userId!);
      // A user disabled or deleted behind the session's back has no session left to act with.
      if (!rights) throw errors.bearerInvalid();
      if (!rights.isAdmin) throw forbidden('only an administrator of the account may do this');
    },
    async requireClient(request) {
      const caller = await authenticate(request);
      if (caller.kind === 'oauth' ? caller.userId !== null : caller.appKey === null) throw forbidden('only an API client may do this');
    },
  };
}

/** The OpenAPI security requirement of a route that needs a bearer. */
export const BEARER_SECURITY = [{ bearer: [] }];
