/**
 * Express (or Connect) middleware for services that accept Login Service
 * bearers: puts the session on `req.loginSession`, or answers 401 in the
 * contract's error shape (503 when the Login Service cannot be reached).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerAuthenticator, type BearerAuthOptions, type SessionInfo } from './verifier.js';

declare global {
  namespace Express {
    interface Request {
      /** The caller's session, set by bearerAuthMiddleware. */
      loginSession?: SessionInfo;
    }
  }
}

export type BearerAuthRequest = IncomingMessage & { loginSession?: SessionInfo };

export function bearerAuthMiddleware(options: BearerAuthOptions) {
  const authenticate = bearerAuthenticator(options);
  return (req: BearerAuthRequest, res: ServerResponse, next: (error?: unknown) => void): void => {
    authenticate(req.headers.authorization).then(
      (outcome) => {
        if (outcome.session) {
          req.loginSession = outcome.session;
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
