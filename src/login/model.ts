/**
 * The shapes of the login flow: a body as the login URL takes it, a login
 * method, what a method answers, and the hooks that run after one.
 */
import type { Account, AccountSettings } from '../accounts/model.js';
import type { User } from '../directory/model.js';
import type { SessionOrigin } from '../sessions/core.js';
import type { Attempt } from './runner.js';

/** The login URL's body: every method's fields, as the schema lets them through (routes.ts). */
export interface LoginBody {
  username?: string;
  password?: string;
  appKey?: string;
  secret?: string;
  accessToken?: string;
  accessTokenSecret?: string;
  /** SSO login: the base64 SAML assertion or response; `jwt` is sent beside it by the original's clients and ignored. */
  assertion?: string;
  jwt?: string;
  /** Second step of a login: the token of the first step's answer, with one of `otp` and `recoveryCode`. */
  mfaToken?: string;
  otp?: string;
  recoveryCode?: string;
  /** Second step by passkey: the ceremony's ticket and the browser's WebAuthn answer. */
  passkey?: { ticket: string; response: Record<string, unknown> };
}

/** A user whose credentials a method verified, with what the session will record. */
export interface VerifiedLogin {
  account: Account;
  settings: AccountSettings;
  user: User;
  /** For bots: the API key they logged in with. */
  appKey: string | null;
  /** The methods used so far (RFC 8176 values where one fits); a second step appends its own. */
  amr: string[];
  /** How the session names its origin when it differs from the method that finished the login (a second step finishes a password login). */
  origin?: SessionOrigin['method'];
}

/**
 * A second step the user must take before a session opens (say, a one-time
 * code). `kind` names it for the client; `token` identifies the pending
 * login, single use and short-lived.
 */
export interface LoginChallenge {
  /** `second_factor` (answer with a code) or `enrolment` (enrol a factor first). */
  kind: 'second_factor' | 'enrolment';
  token: string;
  expiresAt: number;
  /** What the second step accepts: `totp`, `recoveryCode`, `passkey`. */
  factors: string[];
}

export type LoginResult = { type: 'user'; login: VerifiedLogin } | { type: 'challenge'; challenge: LoginChallenge };

/**
 * Runs after a method verified a user and before the session opens; may turn
 * the result into a challenge (a second factor due), or refuse by throwing
 * (through `attempt.fail`, so the failure is counted and audited like any).
 * The first challenge ends the list.
 */
export type AfterAuthenticate = (login: VerifiedLogin, attempt: Attempt) => Promise<LoginResult>;

/**
 * One way to log in. The flow asks each registered method, in order, whether
 * a body is its own (`claims`); the first that claims it reads it (`read`,
 * refusing a malformed body with 400) and verifies it (`authenticate`, within
 * an attempt of the runner: counted, limited, audited).
 */
export interface LoginMethod<Credentials = unknown> {
  /** As audit events name it (detail.method). */
  readonly name: SessionOrigin['method'];
  /**
   * True for a method only bots use (Application Login): the account's
   * allowed networks do not govern it; the API key's own allowlist does.
   * Every other method is a person's, and is refused from outside them.
   */
  readonly forBots?: boolean;
  /** What a session opened by this method records (amr). */
  readonly amr: readonly string[];
  claims(body: LoginBody): boolean;
  read(body: LoginBody): Credentials;
  authenticate(attempt: Attempt, credentials: Credentials): Promise<VerifiedLogin>;
  /** Work as long as a verification, for refusals that skip it (unknown account, locked user): the answer's timing tells nothing. */
  dummyWork?(credentials: Credentials): Promise<unknown>;
}
