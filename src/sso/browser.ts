/**
 * The OpenID Connect browser flow, apart from HTTP: an authorization-code
 * flow with PKCE, state and nonce against the account's provider, done with
 * `openid-client`, whose checks (state, nonce, PKCE, issuer, the code
 * exchange) are the ones used. The ID token it brings back is then logged in
 * through the JSON login path's method (login/methods/oidcToken.ts), so the
 * browser and the API check a token the same way.
 *
 * No server-side state: the pending sign-in (state, nonce, code verifier,
 * return_to, redirect URI) travels in a cookie sealed with `jose` (JWE, `dir`
 * + A256GCM: encrypted and authenticated) under a key derived from
 * SSO_STATE_SECRET, bound to the account, valid PENDING_TTL_MS and used once
 * (its id is marked in the counters store). The console's hand-off of a new
 * session's tokens uses the same seal (HANDOFF_TTL_MS, used once).
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { EncryptJWT, jwtDecrypt, type JWTPayload } from 'jose';
import type { Clock } from '../clock.js';
import { randomToken } from '../security/tokens.js';
import type { Stores } from '../store/index.js';
import type { OidcConfig } from './model.js';
import { limitedFetch, type OidcProviders, type ProviderMetadata } from './oidc.js';

/** How long a browser has at the provider, from start to callback. */
export const PENDING_TTL_MS = 10 * 60_000;
/** How long the console has to collect a new session's tokens after the callback. */
export const HANDOFF_TTL_MS = 60_000;

/** Why a callback was refused (the audit event's reason; the browser sees 401). */
export type CallbackRefusal = 'no_pending_sign_in' | 'pending_sign_in_invalid' | 'pending_sign_in_used' | 'provider_refused' | 'callback_invalid';

export class CallbackRefused extends Error {
  constructor(readonly reason: CallbackRefusal) {
    super(reason);
  }
}

export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  redirectUri: string;
}

/** The openid-client configuration of an account's provider, from the cached discovery document. */
function clientConfiguration(oidc: OidcConfig, metadata: ProviderMetadata): client.Configuration {
  const methods = Array.isArray(metadata.document.token_endpoint_auth_methods_supported) ? metadata.document.token_endpoint_auth_methods_supported : ['client_secret_basic'];
  const auth = oidc.clientSecret === undefined ? client.None() : methods.includes('client_secret_basic') ? client.ClientSecretBasic(oidc.clientSecret) : client.ClientSecretPost(oidc.clientSecret);
  const config = new client.Configuration(metadata.document as client.ServerMetadata, oidc.clientId, undefined, auth);
  config[client.customFetch] = (url, options) => limitedFetch(url, options as RequestInit);
  // The issuer was checked to be https: or loopback http: (model.ts); loopback providers serve tests.
  if (new URL(oidc.issuer).protocol === 'http:') client.allowInsecureRequests(config);
  return config;
}

export class OidcBrowserFlow {
  private readonly key: Uint8Array;

  constructor(private readonly o: { providers: OidcProviders; stores: Stores; clock: Clock; secret: string | null }) {
    this.key = o.secret === null ? randomBytes(32) : new Uint8Array(hkdfSync('sha256', o.secret, 'login-service', 'oidc browser flow cookies', 32));
  }

  private seal(payload: JWTPayload, audience: string, ttlMs: number): Promise<string> {
    const now = Math.floor(this.o.clock.now() / 1000);
    return new EncryptJWT(payload)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + Math.ceil(ttlMs / 1000))
      .setJti(randomToken())
      .encrypt(this.key);
  }

  /** The sealed payload, once: null when it is not one of ours, is for another audience, has expired or was opened before. */
  private async openOnce(sealed: string, audience: string, ttlMs: number): Promise<JWTPayload | 'used' | null> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtDecrypt(sealed, this.key, {
        audience,
        currentDate: new Date(this.o.clock.now()),
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
        requiredClaims: ['jti', 'exp'],
      }));
    } catch {
      return null;
    }
    const now = this.o.clock.now();
    const use = await this.o.stores.counters.incrementCounter(`sso-oidc-sealed:${payload.jti}`, ttlMs, now);
    return use.count > 1 ? 'used' : payload;
  }

  /** The provider's authorization URL for a new sign-in, and the sealed pending state to keep in a cookie. */
  async start(accountId: string, oidc: OidcConfig, redirectUri: string, returnTo: string): Promise<{ authorizationUrl: string; pending: string }> {
    const metadata = await this.o.providers.metadata(oidc.issuer);
    const config = clientConfiguration(oidc, metadata);
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const pending: PendingSignIn = { state, nonce, codeVerifier, returnTo, redirectUri };
    return { authorizationUrl: url.href, pending: await this.seal({ ...pending }, `pending:${accountId}`, PENDING_TTL_MS) };
  }

  /**
   * Completes a sign-in: opens the pending state (once), lets openid-client
   * check the callback and exchange the code, and returns the ID token with
   * where the browser goes next. Throws CallbackRefused.
   */
  async finish(accountId: string, oidc: OidcConfig, sealedPending: string | undefined, callbackQuery: string): Promise<{ idToken: string; returnTo: string }> {
    if (!sealedPending) throw new CallbackRefused('no_pending_sign_in');
    const opened = await this.openOnce(sealedPending, `pending:${accountId}`, PENDING_TTL_MS);
    if (opened === 'used') throw new CallbackRefused('pending_sign_in_used');
    if (opened === null) throw new CallbackRefused('pending_sign_in_invalid');
    const pending = opened as unknown as PendingSignIn;
    let config: client.Configuration;
    try {
      config = clientConfiguration(oidc, await this.o.providers.metadata(oidc.issuer));
    } catch {
      throw new CallbackRefused('provider_refused');
    }
    const currentUrl = new URL(pending.redirectUri);
    currentUrl.search = callbackQuery;
    try {
      const tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      if (!tokens.id_token) throw new CallbackRefused('provider_refused');
      return { idToken: tokens.id_token, returnTo: pending.returnTo };
    } catch (error) {
      if (error instanceof CallbackRefused) throw error;
      // An error answer from the provider (access_denied…) or a failed check of openid-client's.
      throw new CallbackRefused(error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError ? 'provider_refused' : 'callback_invalid');
    }
  }

  /** Seals a new session's tokens for the console to collect once. */
  sealHandoff(handoff: ConsoleHandoff): Promise<string> {
    return this.seal({ ...handoff }, 'console-handoff', HANDOFF_TTL_MS);
  }

  /** The tokens, once; null when the cookie is none of ours, expired or used. */
  async openHandoff(sealed: string): Promise<ConsoleHandoff | null> {
    const opened = await this.openOnce(sealed, 'console-handoff', HANDOFF_TTL_MS);
    return opened === null || opened === 'used' ? null : (opened as unknown as ConsoleHandoff);
  }
}

/** What the console needs to adopt a session opened by the browser flow. */
export interface ConsoleHandoff {
  accountId: string;
  sessionId: string;
  csrf: string;
  bearer: string;
  loginName: string;
  isAdmin: boolean;
}
