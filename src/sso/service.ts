/**
 * SSO login: `{"jwt": "…", "assertion": "<base64 SAML>"}` on the login URL.
 * The assertion is checked against the account's identity provider
 * (saml.ts), used once, and names an enabled person of the account; then it
 * is a session like any other. Every refusal is the same 401; the audit event
 * says why.
 */
import { accountSettings, type Account } from '../accounts/model.js';
import type { LoginAttempt } from '../security/bruteForce.js';
import { errors } from '../errors.js';
import { hashToken } from '../security/tokens.js';
import type { ClientInfo, LoginResponse, SessionService, SessionServiceOptions } from '../sessions/service.js';
import { effectiveAudience } from './model.js';
import { CLOCK_SKEW_MS, verifySamlAssertion } from './saml.js';

/** Why an SSO login was refused besides the assertion itself (saml.ts has those). */
type LoginRefusal = 'unknown_account' | 'sso_not_configured' | 'replayed' | 'unknown_user' | 'bot' | 'disabled';

/**
 * The counter that marks an assertion used. Its window lasts until the
 * assertion expires (plus the skew), so the mark is kept exactly as long as
 * the assertion could be accepted, and the counters' atomic increment makes
 * "first use" hold across instances and backends.
 */
export const usedAssertionKey = (accountId: string, issuer: string, assertionId: string): string =>
  `sso-assertion:${hashToken(`${accountId}\n${issuer}\n${assertionId}`)}`;

export class SsoLogin {
  constructor(
    private readonly o: Pick<SessionServiceOptions, 'stores' | 'clock' | 'audit' | 'guard'>,
    private readonly sessions: Pick<SessionService, 'openSession'>,
  ) {}

  async login(accountId: string, assertion: string, client: ClientInfo): Promise<LoginResponse> {
    const { stores, clock, guard } = this.o;
    const now = clock.now();
    const account = await stores.accounts.getAccount(accountId);
    // Counted against the address before anything is checked, as password logins are (429 over the budget).
    const attempt = await guard.beginAttempt(accountId, account !== null, client, now);
    try {
      return await this.attemptLogin(accountId, account, assertion, client, now, attempt);
    } finally {
      await attempt.end();
    }
  }

  private async attemptLogin(accountId: string, account: Account | null, assertion: string, client: ClientInfo, now: number, attempt: LoginAttempt): Promise<LoginResponse> {
    const { stores, audit } = this.o;
    if (!account) {
      await attempt.failed(null, null);
      // Counted per address and minute, without the account id or text the client made up.
      await audit.recordPerMinute({ accountId, accountKnown: false, type: 'login_failure', clientIp: client.ip, detail: { reason: 'unknown_account' satisfies LoginRefusal, method: 'sso' } });
      throw errors.loginFailed();
    }
    const refuse = async (reason: string, loginName: string | null = null, userId: string | null = null): Promise<never> => {
      await attempt.failed(null, null);
      await audit.record({
        accountId,
        type: 'login_failure',
        userId,
        loginName: loginName?.slice(0, 256) ?? null,
        clientIp: client.ip,
        userAgent: client.userAgent,
        detail: { reason, method: 'sso' },
      });
      throw errors.loginFailed();
    };

    const settings = accountSettings(account);
    const sso = settings.sso;
    if (!sso) return refuse('sso_not_configured' satisfies LoginRefusal);

    const checked = verifySamlAssertion(assertion, sso, effectiveAudience(accountId, sso), now);
    if (!checked.ok) return refuse(checked.reason);
    const { id, issuer, loginName, notOnOrAfter } = checked.assertion;

    const windowMs = Math.max(1, notOnOrAfter + CLOCK_SKEW_MS - now);
    const use = await stores.counters.incrementCounter(usedAssertionKey(accountId, issuer, id), windowMs, now);
    if (use.count > 1) return refuse('replayed' satisfies LoginRefusal, loginName);

    const user = await stores.users.getUserByLoginName(accountId, loginName);
    if (!user) return refuse('unknown_user' satisfies LoginRefusal, loginName);
    if (user.isBot) return refuse('bot' satisfies LoginRefusal, user.loginName, user.userId);
    if (!user.enabled) return refuse('disabled' satisfies LoginRefusal, user.loginName, user.userId);
    await attempt.succeeded(user);
    return this.sessions.openSession(account, user, settings, client, now, { method: 'sso', appKey: null });
  }
}
