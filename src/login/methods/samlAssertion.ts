/**
 * SSO login: `{"jwt": "…", "assertion": "<base64 SAML>"}` on the login URL.
 * The assertion is checked against the account's identity provider
 * (sso/saml.ts), used once, and names an enabled person of the account; then
 * it is a session like any other. Every refusal is the same 401; the audit
 * event says why. An SSO login never counts against the user's lockout: the
 * identity provider has verified the person, and a refused assertion guesses
 * no secret of theirs.
 */
import { errors } from '../../errors.js';
import { hashToken } from '../../security/tokens.js';
import { effectiveAudience } from '../../sso/model.js';
import { CLOCK_SKEW_MS, verifySamlAssertion } from '../../sso/saml.js';
import type { Stores } from '../../store/index.js';
import type { User } from '../../directory/model.js';
import type { LoginBody, LoginMethod, VerifiedLogin } from '../model.js';
import { personNamedByIdentityProvider } from './identityProviderPerson.js';
import type { Attempt } from '../runner.js';

/** Why an SSO login was refused besides the assertion itself (saml.ts has those) and the person it names (identityProviderPerson.ts). */
type Refusal = 'sso_not_configured' | 'replayed';

/**
 * The counter that marks an assertion used. Its window lasts until the
 * assertion expires (plus the skew), so the mark is kept exactly as long as
 * the assertion could be accepted, and the counters' atomic increment makes
 * "first use" hold across instances and backends.
 */
export const usedAssertionKey = (accountId: string, issuer: string, assertionId: string): string =>
  `sso-assertion:${hashToken(`${accountId}\n${issuer}\n${assertionId}`)}`;

export class SamlAssertionLogin implements LoginMethod<string> {
  readonly name = 'sso';
  readonly amr = ['saml'];

  constructor(private readonly o: { stores: Stores }) {}

  claims(body: LoginBody): boolean {
    return body.assertion !== undefined;
  }

  read(body: LoginBody): string {
    if (body.username !== undefined || body.password !== undefined || body.appKey !== undefined) {
      throw errors.badRequest('Bad request: SSO login sends assertion (and jwt) without username, password or appKey');
    }
    return body.assertion!;
  }

  async authenticate(attempt: Attempt, assertion: string): Promise<VerifiedLogin> {
    const account = await attempt.knownAccount();
    const accountId = account.accountId;
    const { now } = attempt;
    // Refusals name the person the assertion names, if any; the user's lockout is not counted (see above).
    const refuse = (reason: string, loginName: string | null = null, user: User | null = null): Promise<never> =>
      attempt.fail(reason, loginName?.slice(0, 256) ?? null, user, null);

    const settings = attempt.settings();
    const sso = settings.sso;
    if (!sso) return refuse('sso_not_configured' satisfies Refusal);

    const checked = verifySamlAssertion(assertion, sso, effectiveAudience(accountId, sso), now);
    if (!checked.ok) return refuse(checked.reason);
    const { id, issuer, loginName, notOnOrAfter } = checked.assertion;

    const windowMs = Math.max(1, notOnOrAfter + CLOCK_SKEW_MS - now);
    const use = await this.o.stores.counters.incrementCounter(usedAssertionKey(accountId, issuer, id), windowMs, now);
    if (use.count > 1) return refuse('replayed' satisfies Refusal, loginName);

    const person = await personNamedByIdentityProvider(this.o.stores, accountId, loginName);
    if (!person.ok) return refuse(person.reason, person.user?.loginName ?? loginName, person.user);
    return { account, settings, user: person.user, appKey: null, amr: [...this.amr] };
  }
}
