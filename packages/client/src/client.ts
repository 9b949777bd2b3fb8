/**
 * LoginServiceClient: login (password or API key), refresh, logout, and a
 * keep-alive that refreshes every 5 minutes and logs in again when the session
 * is lost, following the retry guidance of the original documentation.
 */
import { LoginServiceError, errorFromResponse, networkError } from './errors.js';
import { Emitter } from './emitter.js';
import type { LoginCredentials, LoginResponse, SecondFactorCode, SecondFactorCredentials } from './protocol.js';
import { DEFAULT_RETRY_POLICY, reloginBackoff, sleep, systemTimers, withRetries, type RetryNotice, type RetryPolicy, type Timers } from './retry.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface LoginServiceClientOptions {
  accountId: string;
  /** host[:port] of the Login Service. Give this or `csdsDomain`. */
  domain?: string;
  /** host[:port] of the Domain API; the Login Service's address (`agentVep`) is looked up there once. */
  csdsDomain?: string;
  /** Default `https`. */
  protocol?: 'https' | 'http';
  /** Replaces the global fetch (proxies, custom agents, tests). */
  fetch?: FetchLike;
  /** Replaces setTimeout/clearTimeout for every pause the client makes (tests pass fake timers). */
  timers?: Timers;
  /** Overrides parts of the retry policy; see RetryPolicy. */
  retry?: Partial<RetryPolicy>;
  /** Default pause between keep-alive refreshes. Default 5 minutes. */
  keepAliveIntervalMs?: number;
  /** A call with no answer after this long counts as a network error. Default 30 seconds. */
  requestTimeoutMs?: number;
}

/** The tokens of a session: `Session_id` and `csrf` for refresh and logout, `bearer` for other APIs. */
export interface SessionTokens {
  sessionId: string;
  csrf: string;
  bearer: string | null;
}

export type LoginServiceClientEvents = {
  /** A refresh succeeded: the session's expiry moved forward. */
  refreshed: [];
  /** Refresh answered 401: the session expired, ended or is not ours. */
  sessionExpired: [error: LoginServiceError];
  /** The keep-alive logged in again with the stored credentials. */
  relogin: [response: LoginResponse];
  /** A call failed with 5xx or a network error and will be retried after `delayMs`. */
  retrying: [notice: RetryNotice];
  /** The keep-alive gave up (e.g. the credentials were refused) and stopped. */
  keepAliveFailed: [error: Error];
};

const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

export class LoginServiceClient extends Emitter<LoginServiceClientEvents> {
  readonly accountId: string;
  private readonly protocol: 'https' | 'http';
  private readonly fetchFn: FetchLike;
  private readonly timers: Timers;
  private readonly policy: RetryPolicy;
  private readonly keepAliveIntervalMs: number;
  private readonly requestTimeoutMs: number;
  private readonly domain: string | null;
  private readonly csdsDomain: string | null;
  private resolvedBaseUrl: string | null = null;

  private session: SessionTokens | null = null;
  private lastResponse: LoginResponse | null = null;
  /** Kept in memory only, so the keep-alive can log in again after the session is lost. */
  private credentials: LoginCredentials | null = null;
  private keepAlive: AbortController | null = null;

  constructor(options: LoginServiceClientOptions) {
    super();
    if (typeof options.accountId !== 'string' || !/^\d{1,64}$/.test(options.accountId)) throw new TypeError('accountId must be a string of digits');
    if ((options.domain === undefined) === (options.csdsDomain === undefined)) throw new TypeError('give exactly one of domain and csdsDomain');
    const host = options.domain ?? options.csdsDomain!;
    if (!HOST.test(host)) throw new TypeError(`domain must be host[:port], got "${host}"`);
    const protocol = options.protocol ?? 'https';
    if (protocol !== 'https' && protocol !== 'http') throw new TypeError('protocol must be https or http');

    this.accountId = options.accountId;
    this.protocol = protocol;
    this.domain = options.domain ?? null;
    this.csdsDomain = options.csdsDomain ?? null;
    this.fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
    this.timers = options.timers ?? systemTimers;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.keepAliveIntervalMs = options.keepAliveIntervalMs ?? DEFAULT_KEEP_ALIVE_MS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The bearer of the current session, for `Authorization: Bearer …`; null when logged out. */
  get bearer(): string | null {
    return this.session?.bearer ?? null;
  }

  get csrf(): string | null {
    return this.session?.csrf ?? null;
  }

  get sessionId(): string | null {
    return this.session?.sessionId ?? null;
  }

  /** The body of the last successful login, or null. */
  get loginResponse(): LoginResponse | null {
    return this.lastResponse;
  }

  get keepAliveRunning(): boolean {
    return this.keepAlive !== null;
  }

  /**
   * User Login ({username, password}) or Application Login ({username, appKey,
   * secret, accessToken, accessTokenSecret}). 5xx and network errors are retried
   * (5, 10, 15 s by default); anything else throws a LoginServiceError at once.
   */
  async login(credentials: LoginCredentials): Promise<LoginResponse> {
    const body = credentialsBody(credentials);
    return withRetries('login', () => this.loginOnce(body), this.policy.retryDelaysMs[Symbol.iterator](), this.timers, this.onRetry);
  }

  /**
   * The second step of a login that answered with a SecondFactorRequiredError:
   * its `mfaToken` with a current code of the authenticator app (`{ otp }`) or
   * a recovery code (`{ recoveryCode }`), or a passkey's WebAuthn answer
   * (`{ passkey: { ticket, response } }`, docs/API.md). A wrong code throws a
   * LoginServiceError (401); the token survives four of them. Not retried:
   * the token is single use. The keep-alive cannot log in again by itself
   * after a second factor (a new code is needed): `sessionExpired` tells.
   */
  async completeLogin(mfaToken: string, code: SecondFactorCode): Promise<LoginResponse> {
    const body: SecondFactorCredentials = 'otp' in code ? { mfaToken, otp: code.otp } : 'recoveryCode' in code ? { mfaToken, recoveryCode: code.recoveryCode } : { mfaToken, passkey: code.passkey };
    const response = await this.loginOnce(body);
    this.credentials = null;
    return response;
  }

  /** Adopts a session opened elsewhere (e.g. by another process) so refresh and logout can use it. */
  resumeSession(tokens: SessionTokens): void {
    this.session = { ...tokens };
    this.lastResponse = null;
  }

  /** Moves the session's expiry forward. A 401 emits `sessionExpired` and forgets the session. */
  async refresh(): Promise<void> {
    await this.refreshSession();
  }

  /** Ends the session on the server and forgets it (and the stored credentials); stops the keep-alive. */
  async logout(): Promise<void> {
    this.stopKeepAlive();
    const session = this.requireSession('logout');
    try {
      await withRetries(
        'logout',
        () => this.post('logout', '/logout?v=1.3', { csrf: session.csrf }, session.sessionId),
        this.policy.retryDelaysMs[Symbol.iterator](),
        this.timers,
        this.onRetry,
      );
    } catch (error) {
      // A 4xx means the server holds no such session any more: nothing left to end.
      if (error instanceof LoginServiceError && !error.retryable) this.forget();
      throw error;
    }
    this.forget();
  }

  /**
   * Refreshes every `intervalMs` (default 5 minutes, as the original recommends).
   * When the session is lost (401) it logs in again at once with the stored
   * credentials; when the service stays down past the retries it logs in again
   * with exponential backoff. Restarts if already running.
   */
  startKeepAlive(options: { intervalMs?: number } = {}): void {
    this.requireSession('startKeepAlive');
    this.stopKeepAlive();
    const controller = new AbortController();
    this.keepAlive = controller;
    void this.keepAliveLoop(options.intervalMs ?? this.keepAliveIntervalMs, controller);
  }

  /** Stops the keep-alive, cancelling any pause or call it has pending. */
  stopKeepAlive(): void {
    this.keepAlive?.abort(new Error('keep-alive stopped'));
    this.keepAlive = null;
  }

  private readonly onRetry = (notice: RetryNotice): void => {
    this.emit('retrying', notice);
  };

  private async keepAliveLoop(intervalMs: number, controller: AbortController): Promise<void> {
    const { signal } = controller;
    try {
      for (;;) {
        await sleep(this.timers, intervalMs, signal);
        await this.keepSessionAlive(signal);
      }
    } catch (error) {
      if (signal.aborted) return;
      if (this.keepAlive === controller) this.keepAlive = null;
      this.emit('keepAliveFailed', error instanceof Error ? error : new Error(String(error)));
    }
  }

  private async keepSessionAlive(signal: AbortSignal): Promise<void> {
    let lost: LoginServiceError = notLoggedIn('keep-alive');
    if (this.session) {
      try {
        await this.refreshSession(signal);
        return;
      } catch (error) {
        if (!(error instanceof LoginServiceError) || signal.aborted) throw error;
        if (error.status !== 401 && !error.retryable) throw error;
        lost = error;
      }
    }
    if (!this.credentials) throw lost;
    const backoff = reloginBackoff(this.policy);
    if (lost.retryable) {
      // The refresh retries are spent: the outage is long, so wait before logging in again.
      await sleep(this.timers, backoff.next().value, signal);
      await this.relogin(backoff, signal);
    } else {
      await this.relogin(chain(this.policy.retryDelaysMs, backoff), signal);
    }
  }

  private async relogin(delays: Iterator<number>, signal: AbortSignal): Promise<void> {
    const body = credentialsBody(this.credentials!);
    const response = await withRetries('login', () => this.loginOnce(body, signal), delays, this.timers, this.onRetry, signal);
    this.emit('relogin', response);
  }

  private async refreshSession(signal?: AbortSignal): Promise<void> {
    const session = this.requireSession('refresh');
    try {
      await withRetries(
        'refresh',
        () => this.post('refresh', '/refresh?v=1.3', { csrf: session.csrf }, session.sessionId, signal),
        this.policy.retryDelaysMs[Symbol.iterator](),
        this.timers,
        this.onRetry,
        signal,
      );
    } catch (error) {
      if (error instanceof LoginServiceError && error.status === 401) {
        if (this.session === session) this.session = null;
        this.emit('sessionExpired', error);
      }
      throw error;
    }
    this.emit('refreshed');
  }

  private async loginOnce(credentials: LoginCredentials | SecondFactorCredentials, signal?: AbortSignal): Promise<LoginResponse> {
    const response = await this.post('login', '/login?v=1.3', credentials, null, signal);
    let body: LoginResponse;
    try {
      body = JSON.parse(response.text) as LoginResponse;
    } catch (cause) {
      throw new LoginServiceError({ status: response.status, internalCode: null, message: 'login failed: the answer is not JSON', cause });
    }
    const sessionId = typeof body?.sessionId === 'string' ? body.sessionId : sessionIdCookie(response.headers);
    if (typeof body?.csrf !== 'string' || typeof body.bearer !== 'string' || !sessionId) {
      throw new LoginServiceError({ status: response.status, internalCode: null, message: 'login failed: the answer lacks csrf, bearer or Session_id' });
    }
    this.session = { sessionId, csrf: body.csrf, bearer: body.bearer };
    this.lastResponse = body;
    this.credentials = 'mfaToken' in credentials ? null : credentials;
    return body;
  }

  private async post(
    operation: string,
    path: string,
    body: unknown,
    sessionId: string | null,
    signal?: AbortSignal,
  ): Promise<{ status: number; headers: Headers; text: string }> {
    const baseUrl = await this.baseUrl(signal);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (sessionId !== null) headers.cookie = `Session_id=${sessionId}`;
    const response = await this.send(operation, `${baseUrl}/api/account/${this.accountId}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }, signal);
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  /** The Login Service's base URL: from `domain`, or looked up once in the Domain API. */
  private async baseUrl(signal?: AbortSignal): Promise<string> {
    if (this.domain !== null) return `${this.protocol}://${this.domain}`;
    if (this.resolvedBaseUrl !== null) return this.resolvedBaseUrl;
    const url = `${this.protocol}://${this.csdsDomain}/api/account/${this.accountId}/service/agentVep/baseURI.json?version=1.0`;
    const response = await this.send('domain lookup', url, { method: 'GET', headers: { accept: 'application/json' } }, signal);
    const found = (await response.json().catch(() => null)) as { baseURI?: unknown } | null;
    if (typeof found?.baseURI !== 'string' || !HOST.test(found.baseURI)) {
      throw new LoginServiceError({ status: response.status, internalCode: null, message: 'domain lookup failed: the answer has no valid baseURI' });
    }
    this.resolvedBaseUrl = `${this.protocol}://${found.baseURI}`;
    return this.resolvedBaseUrl;
  }

  /** One HTTP call: non-2xx answers and network failures become LoginServiceErrors. */
  private async send(operation: string, url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    let response: Response;
    try {
      response = await this.fetchFn(url, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      throw networkError(operation, cause);
    }
    if (!response.ok) throw await errorFromResponse(response, operation);
    return response;
  }

  private requireSession(operation: string): SessionTokens {
    if (!this.session) throw notLoggedIn(operation);
    return this.session;
  }

  private forget(): void {
    this.session = null;
    this.lastResponse = null;
    this.credentials = null;
  }
}

/** Only the fields of the chosen login kind: nothing else of the caller's object is sent. */
function credentialsBody(c: LoginCredentials): LoginCredentials {
  if ('appKey' in c) {
    // An OAuth 2.0 key needs only appKey and secret; placeholders keep the body's shape, as the original expects.
    const { username, appKey, secret, accessToken = 'dummy', accessTokenSecret = 'dummy' } = c;
    return { username, appKey, secret, accessToken, accessTokenSecret };
  }
  return { username: c.username, password: c.password };
}

function notLoggedIn(operation: string): LoginServiceError {
  return new LoginServiceError({ status: null, internalCode: null, retryable: false, message: `${operation}: not logged in` });
}

function sessionIdCookie(headers: Headers): string | null {
  const cookie = headers.getSetCookie().find((c) => c.startsWith('Session_id='));
  return cookie ? cookie.split(';')[0]!.slice('Session_id='.length) || null : null;
}

function* chain(first: Iterable<number>, then: Iterator<number>): Generator<number> {
  yield* first;
  for (let next = then.next(); !next.done; next = then.next()) yield next.value;
}
