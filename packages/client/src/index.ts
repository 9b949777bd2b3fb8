/**
 * `@login-service/client`: the client library of the Login Service.
 * docs/CLIENT.md describes each export. The Fastify and Express adapters are
 * the subpaths `@login-service/client/fastify` and `@login-service/client/express`;
 * the wire types alone are `@login-service/client/protocol`.
 */
export {
  LoginServiceClient,
  type FetchLike,
  type LoginServiceClientEvents,
  type LoginServiceClientOptions,
  type SessionTokens,
} from './client.js';
export { LoginServiceError, SecondFactorEnrolmentRequiredError, SecondFactorRequiredError, type LoginServiceErrorInit } from './errors.js';
export { DEFAULT_RETRY_POLICY, systemTimers, type RetryNotice, type RetryPolicy, type Timers } from './retry.js';
export {
  bearerAuthenticator,
  createBearerVerifier,
  sessionOfAccessToken,
  type BearerAuthOptions,
  type BearerAuthOutcome,
  type BearerCaller,
  type BearerVerifier,
  type BearerVerifierOptions,
} from './verifier.js';
export {
  createJwtVerifier,
  issuerOf,
  looksLikeJwt,
  type AccessTokenAlgorithm,
  type AccessTokenInfo,
  type JwtVerifier,
  type JwtVerifierOptions,
} from './jwt.js';
export {
  clientCredentials,
  OAuthError,
  type ClientCredentials,
  type ClientCredentialsOptions,
  type ClientCredentialsToken,
} from './clientCredentials.js';
export {
  InternalCode,
  type ApplicationCredentials,
  type ErrorBody,
  type InternalCodeValue,
  type LoginCredentials,
  type LoginResponse,
  type PasswordCredentials,
  type SecondFactorCode,
  type SecondFactorCredentials,
  type SessionInfo,
} from './protocol.js';
