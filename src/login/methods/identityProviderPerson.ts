/**
 * The person an identity provider names, whatever its protocol (a SAML
 * assertion, an OpenID Connect ID token): the login name it sends must name
 * an enabled person of the account (not a bot), compared as every login name
 * is (docs/SECURITY.md, "Login names"). SSO creates nobody.
 */
import type { User } from '../../directory/model.js';
import type { Stores } from '../../store/index.js';

/** Why the name an identity provider sent does not let anyone in. */
export type PersonRefusal = 'unknown_user' | 'bot' | 'disabled';

export type PersonCheck = { ok: true; user: User } | { ok: false; reason: PersonRefusal; user: User | null };

export async function personNamedByIdentityProvider(stores: Stores, accountId: string, loginName: string): Promise<PersonCheck> {
  const user = await stores.users.getUserByLoginName(accountId, loginName);
  if (!user) return { ok: false, reason: 'unknown_user', user: null };
  if (user.isBot) return { ok: false, reason: 'bot', user };
  if (!user.enabled) return { ok: false, reason: 'disabled', user };
  return { ok: true, user };
}
