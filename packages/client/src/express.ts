/**
 * Express (or Connect) middleware for services that accept Login Service
 * bearers: puts the caller on `req.loginCaller`, its session on
 * `req.loginSession` (for an access token, a view of it) and an access
 * token's claims on `req.loginAccessToken`;
 * or answers 401 in the contract's error shape (503 when the Login Service or
 * its JWKS cannot be reached).
 */
import type { AccessTokenInfo } from './jwt.js';
import type { SessionInfo } from './protocol.js';
import { bearerAuthenticator, type BearerAuthOptions, type BearerCaller } from './verifier.js';

declare global {
  namespace Express {
    interface Request {
      /** The caller's session, set by bearerAuthMiddleware; for an access token a view of it (sub as userId, no privileges). */
      loginSession?: SessionInfo;
      /** The caller's access token (client id, sub, scopes), set by bearerAuthMiddleware for a JWT. */
      loginAccessToken?: AccessTokenInfo;
      /** The caller, whichever kind, set by bearerAuthMiddleware. */
      loginCaller?: BearerCaller;
    }
  }
}

/** The parts of Node's IncomingMessage the middleware reads and writes. */
export interface BearerAuthRequest {
  headers: { authorization?: string | undefined };
  loginSession?: SessionInfo;
  loginAccessToken?: AccessTokenInfo;
  loginCaller?: BearerCaller;
}

/** The parts of Node's ServerResponse the middleware uses. */
export interface BearerAuthResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

export function bearerAuthMiddleware(options: BearerAuthOptions) {
  const authenticate = bearerAuthenticator(options);
  return (req: BearerAuthRequest, res: BearerAuthResponse, next: (error?: unknown) => void): void => {
    authenticate(req.headers.authorization).then(
      (outcome) => {
        if (outcome.caller) {
          req.loginCaller = outcome.caller;
          req.loginSession = outcome.session;
          if (outcome.accessToken) req.loginAccessToken = outcome.accessToken;
          return next();
        }
        res.statusCode = outcome.status;
        for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.setHeader('cache-control', 'no-store');
        res.end(JSON.stringify(outcome.body));
      },
      next,
    );
  };
}
