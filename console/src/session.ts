/**
 * The administrator's session, and the one place the console imports the
 * client library.
 *
 * Held the way the Login Service defines a session for browsers: the
 * `Session_id` cookie is `HttpOnly` and set by the server, so this script
 * never sees it; the csrf and bearer live in this object's memory only and
 * nothing goes to localStorage or sessionStorage. Reloading the page therefore
 * means signing in again: a token kept in web storage would be readable by any
 * script that ever runs on the origin.
 *
 * While the page is open the client's keep-alive refreshes the session. When
 * the session ends elsewhere (expired, revoked, logged out in another tab) or
 * cannot be refreshed (the server is unreachable past the retries), the console
 * says so instead of signing in again on its own.
 *
 * The password does not outlive the sign-in request. The client library keeps
 * the credentials of its login so that its keep-alive can log in again; the
 * console therefore logs in with a client it drops at once, and keeps the
 * session in a second client that only adopts the session's tokens and never
 * held a password: its keep-alive has nothing to log in again with.
 */
import {
  LoginServiceClient,
  LoginServiceError,
  SecondFactorEnrolmentRequiredError,
  SecondFactorRequiredError,
  type LoginServiceClientOptions,
  type SecondFactorCode,
} from '@login-service/client';

export { LoginServiceError, SecondFactorEnrolmentRequiredError, SecondFactorRequiredError };

export interface SignedIn {
  accountId: string;
  loginName: string;
  isAdmin: boolean;
}

export type EndedListener = (reason: string) => void;

/** How often the keep-alive refreshes: the original's recommendation, well inside any session TTL. */
const KEEP_ALIVE_MS = 4 * 60_000;

export class ConsoleSession {
  private client: LoginServiceClient | null = null;
  private who: SignedIn | null = null;
  private readonly endedListeners: EndedListener[] = [];

  get signedIn(): SignedIn | null {
    return this.who;
  }

  /** For `Authorization: Bearer …` on administration calls; null when signed out. */
  get bearer(): string | null {
    return this.client?.bearer ?? null;
  }

  onEnded(listener: EndedListener): void {
    this.endedListeners.push(listener);
  }

  /**
   * The first step; throws SecondFactorRequiredError (a code is due: then
   * `completeSignIn`) or SecondFactorEnrolmentRequiredError (enrol first).
   */
  async signIn(accountId: string, username: string, password: string): Promise<SignedIn> {
    const options = this.clientOptions(accountId);
    const signingIn = new LoginServiceClient(options);
    const response = await signingIn.login({ username, password });
    return this.keep(options, { sessionId: signingIn.sessionId!, csrf: signingIn.csrf!, bearer: signingIn.bearer }, { accountId, loginName: response.config.loginName, isAdmin: response.config.isAdmin });
  }

  /** The second step: the first step's mfaToken with a code of the app or a recovery code. */
  async completeSignIn(accountId: string, mfaToken: string, code: SecondFactorCode): Promise<SignedIn> {
    const options = this.clientOptions(accountId);
    const signingIn = new LoginServiceClient(options);
    const response = await signingIn.completeLogin(mfaToken, code);
    return this.keep(options, { sessionId: signingIn.sessionId!, csrf: signingIn.csrf!, bearer: signingIn.bearer }, { accountId, loginName: response.config.loginName, isAdmin: response.config.isAdmin });
  }

  /**
   * Adopts the session a sign-in with the account's identity provider just
   * opened: the server hands its tokens over once (POST /sso/oidc/handoff)
   * after the browser came back from the provider. False when none waits.
   */
  async adoptHandedOver(): Promise<SignedIn | null> {
    const res = await fetch('/sso/oidc/handoff', { method: 'POST', credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (!res.ok) return null;
    const { session } = (await res.json()) as { session: (SignedIn & { sessionId: string; csrf: string; bearer: string }) | null };
    if (!session) return null;
    return this.keep(this.clientOptions(session.accountId), session, { accountId: session.accountId, loginName: session.loginName, isAdmin: session.isAdmin });
  }

  private clientOptions(accountId: string): LoginServiceClientOptions {
    return {
      accountId,
      domain: location.host,
      protocol: location.protocol === 'https:' ? 'https' : 'http',
      // Short pauses: a person is waiting, and can press the button again.
      retry: { retryDelaysMs: [1_000, 3_000] },
      keepAliveIntervalMs: KEEP_ALIVE_MS,
    };
  }

  private keep(options: LoginServiceClientOptions, tokens: { sessionId: string; csrf: string; bearer: string | null }, who: SignedIn): SignedIn {
    const client = new LoginServiceClient(options);
    client.resumeSession({ sessionId: tokens.sessionId, csrf: tokens.csrf, bearer: tokens.bearer });
    client.on('sessionExpired', () => this.end('Your session has ended. Sign in again to continue.'));
    client.on('keepAliveFailed', () => this.end('The session could not be kept alive. Sign in again to continue.'));
    client.startKeepAlive();
    this.client = client;
    this.who = who;
    return this.who;
  }

  /** Ends the session on the server (logout) and forgets it here. */
  async signOut(): Promise<void> {
    const client = this.client;
    this.forget();
    if (!client) return;
    try {
      await client.logout();
    } catch (error) {
      // Already ended on the server (4xx): nothing left to end.
      if (!(error instanceof LoginServiceError) || error.retryable) throw error;
    }
  }

  /** The server refused the session (an administration call got 401, or a refresh did). */
  end(reason: string): void {
    if (!this.client) return;
    this.forget();
    for (const listener of this.endedListeners) listener(reason);
  }

  private forget(): void {
    this.client?.stopKeepAlive();
    this.client = null;
    this.who = null;
  }
}
