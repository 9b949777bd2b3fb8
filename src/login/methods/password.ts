/**
 * User Login: `{"username", "password"}`. The password is verified with
 * argon2id (security/passwords.ts); an unknown user, a bot or a user without
 * a password costs a dummy verification, so the answer's timing does not tell
 * which login names exist.
 */
import type { AuditLog } from '../../events/audit.js';
import { errors } from '../../errors.js';
import type { PasswordHasher } from '../../security/passwords.js';
import { ssoEnforced } from '../../sso/model.js';
import type { Stores } from '../../store/index.js';
import type { LoginBody, LoginMethod, VerifiedLogin } from '../model.js';
import type { Attempt } from '../runner.js';
import type { PasswordCredentials } from '@login-service/client/protocol';

export const usernameRequired = () => errors.badRequest('Bad request: username is required (or assertion, for SSO login)');

export class PasswordLogin implements LoginMethod<PasswordCredentials> {
  readonly name = 'password';
  readonly amr = ['pwd'];

  constructor(private readonly o: { stores: Stores; hasher: PasswordHasher; audit: AuditLog }) {}

  claims(body: LoginBody): boolean {
    return body.password !== undefined;
  }

  read(body: LoginBody): PasswordCredentials {
    if (body.username === undefined) throw usernameRequired();
    if ([body.appKey, body.secret, body.accessToken, body.accessTokenSecret].some((v) => v !== undefined)) {
      throw errors.badRequest('Bad request: send either password or appKey credentials, not both');
    }
    return { username: body.username, password: body.password! };
  }

  dummyWork(c: PasswordCredentials): Promise<unknown> {
    return this.o.hasher.verifyDummy(c.password);
  }

  async authenticate(attempt: Attempt, c: PasswordCredentials): Promise<VerifiedLogin> {
    const { stores, hasher } = this.o;
    const account = await attempt.knownAccount();
    const user = await stores.users.getUserByLoginName(account.accountId, c.username);
    const settings = attempt.settings();
    // Refused before hashing: an oversized password must not buy an attacker hashing time.
    const tooLong = Buffer.byteLength(c.password, 'utf8') > settings.passwordMaxBytes;
    if (user) await attempt.admit(user, settings, !tooLong);
    // Once an account enforces SSO, its people log in through their identity provider.
    if (ssoEnforced(settings)) return attempt.fail('sso_enforced', c.username, user, settings);
    if (tooLong) return attempt.fail('password_too_long', c.username, user, settings);

    const verified = !user || user.isBot || !user.passwordHash ? await hasher.verifyDummy(c.password) : await hasher.verify(user.passwordHash, c.password);
    if (!user) return attempt.fail('unknown_user', c.username, null, settings);
    if (!verified) return attempt.fail(user.isBot ? 'bot_password_login' : 'wrong_password', c.username, user, settings);
    if (!user.enabled) return attempt.fail('disabled', c.username, user, settings);

    const passwordExpired = settings.passwordMaxAgeMs > 0 && (user.passwordChangedAt ?? user.createdAt) + settings.passwordMaxAgeMs <= attempt.now;
    if (passwordExpired || user.changePwdNextLogin) {
      const { client } = attempt;
      await this.o.audit.record({ accountId: account.accountId, type: 'password_expired', userId: user.userId, loginName: user.loginName, clientIp: client.ip, userAgent: client.userAgent });
      throw errors.passwordExpired();
    }
    return { account, settings, user, appKey: null, amr: [...this.amr] };
  }
}
