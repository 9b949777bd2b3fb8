/**
 * The client library of the Login Service: what `import … from 'login-service'` gives.
 * docs/CLIENT.md describes each export.
 */
export {
  LoginServiceClient,
  type ApplicationCredentials,
  type FetchLike,
  type LoginCredentials,
  type LoginResponse,
  type LoginServiceClientEvents,
  type LoginServiceClientOptions,
  type PasswordCredentials,
  type SessionTokens,
} from './client.js';
export { LoginServiceError, type LoginServiceErrorInit } from './errors.js';
export { DEFAULT_RETRY_POLICY, systemTimers, type RetryNotice, type RetryPolicy, type Timers } from './retry.js';
export {
  bearerAuthenticator,
  createBearerVerifier,
  type BearerAuthOptions,
  type BearerAuthOutcome,
  type BearerVerifier,
  type BearerVerifierOptions,
  type SessionInfo,
} from './verifier.js';
export { bearerAuthPlugin } from './fastify.js';
export { bearerAuthMiddleware, type BearerAuthRequest } from './express.js';
