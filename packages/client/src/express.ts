/**
 * Express (or Connect) middleware for services that accept Login Service
 * bearers: puts the session on `req.loginSession`, or answers 401 in the
 * contract's error shape (503 when the Login Service cannot be reached).
 */
import type { SessionInfo } from './protocol.js';
import { bearerAuthenticator, type BearerAuthOptions } from './verifier.js';

declare global {
  namespace Express {
    interface Request {
      /** The caller's session, set by bearerAuthMiddleware. */
      loginSession?: SessionInfo;
    }
  }
}

/** The parts of Node's IncomingMessage the middleware reads and writes. */
export interface BearerAuthRequest {
  headers: { authorization?: string | undefined };
  loginSession?: SessionInfo;
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
