/**
 * SSO login with OpenID Connect: `{"jwt": "<ID token>"}` on the login URL.
 * The ID token is checked against the account's provider (sso/oidc.ts), used
 * once, and names an enabled person of the account by the same rule as a
 * SAML assertion; then it is a session like any other, whose `amr` is
 * `["oidc"]`. Every refusal is the same 401; the audit event says why. As
 * with SAML, the user's lockout is not counted: the provider verified the
 * person, and a refused token guesses no secret of theirs. The per-address
 * budget is.
 *
 * The browser flow (login/oidcRoutes.ts) ends here too: the ID token its
 * code exchange brings back is logged in through this method.
 */
import { errors } from '../../errors.js';
import { hashToken } from '../../security/tokens.js';
import { OIDC_CLOCK_SKEW_MS, loginNameOf, type OidcProviders } from '../../sso/oidc.js';
import type { Stores } from '../../store/index.js';
import type { User } from '../../directory/model.js';
import type { LoginBody, LoginMethod, VerifiedLogin } from '../model.js';
import type { Attempt } from '../runner.js';
import { personNamedByIdentityProvider } from './identityProviderPerson.js';

/** Why an OpenID Connect login was refused besides the token itself (oidc.ts has those) and the person. */
type Refusal = 'oidc_not_configured' | 'replayed';

/**
 * The counter that marks an ID token used: named by its signed header and
 * payload (which the signature fixes), kept until the token expires plus the
 * skew, so the counters' atomic increment makes "first use" hold across
 * instances and backends.
 */
export const usedIdTokenKey = (accountId: string, signedInput: string): string => `sso-oidc:${hashToken(`${accountId}\n${signedInput}`)}`;

export class OidcTokenLogin implements LoginMethod<string> {
  readonly name = 'sso';
  readonly amr = ['oidc'];

  constructor(private readonly o: { stores: Stores; providers: OidcProviders }) {}

  claims(body: LoginBody): boolean {
    return body.jwt !== undefined && body.assertion === undefined;
  }

  read(body: LoginBody): string {
    if ([body.username, body.password, body.appKey, body.secret, body.accessToken, body.accessTokenSecret].some((v) => v !== undefined)) {
      throw errors.badRequest('Bad request: OpenID Connect login sends jwt alone, without username, password or appKey');
    }
    if (body.jwt === '') throw errors.badRequest('Bad request: jwt must be an ID token');
    return body.jwt!;
  }

  async authenticate(attempt: Attempt, idToken: string): Promise<VerifiedLogin> {
    const account = await attempt.knownAccount();
    const accountId = account.accountId;
    const { now } = attempt;
    const refuse = (reason: string, loginName: string | null = null, user: User | null = null): Promise<never> =>
      attempt.fail(reason, loginName?.slice(0, 256) ?? null, user, null);

    const settings = attempt.settings();
    const oidc = settings.oidc;
    if (!oidc) return refuse('oidc_not_configured' satisfies Refusal);

    const checked = await this.o.providers.verifyIdToken(idToken, oidc, now);
    if (!checked.ok) return refuse(checked.reason);
    const { claims, signedInput, expiresAt } = checked.token;
    const loginName = loginNameOf(claims, oidc);

    const windowMs = Math.max(1, expiresAt + OIDC_CLOCK_SKEW_MS - now);
    const use = await this.o.stores.counters.incrementCounter(usedIdTokenKey(accountId, signedInput), windowMs, now);
    if (use.count > 1) return refuse('replayed' satisfies Refusal, loginName);
    if (loginName === null) return refuse('no_login_name');

    const person = await personNamedByIdentityProvider(this.o.stores, accountId, loginName);
    if (!person.ok) return refuse(person.reason, person.user?.loginName ?? loginName, person.user);
    return { account, settings, user: person.user, appKey: null, amr: [...this.amr] };
  }
}
