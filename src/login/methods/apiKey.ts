/**
 * Application Login: `{"username", "appKey", "secret"}` (+ `accessToken` and
 * `accessTokenSecret` for OAuth 1.0 keys). A bot proves it holds one of its
 * API keys' secrets; every value is compared in constant time.
 */
import type { AccountSettings } from '../../accounts/model.js';
import type { AuditLog } from '../../events/audit.js';
import { errors } from '../../errors.js';
import { addressAllowed } from '../../security/networks.js';
import { tokenMatches } from '../../security/tokens.js';
import type { Stores } from '../../store/index.js';
import type { ApiKey, User } from '../../directory/model.js';
import type { LoginBody, LoginMethod, VerifiedLogin } from '../model.js';
import type { Attempt } from '../runner.js';
import { usernameRequired } from './password.js';
import type { ApplicationCredentials } from '@login-service/client/protocol';

/** The window of the per-bot Application Login limit (AccountSettings.applicationLoginLimit), and the Retry-After beyond it. */
export const APPLICATION_LOGIN_WINDOW_MS = 5_000;

export class ApiKeyLogin implements LoginMethod<ApplicationCredentials> {
  readonly name = 'apikey';
  /** Bots' only way in: governed by each key's ipAllowlist, not by the account's allowed networks. */
  readonly forBots = true;
  /** RFC 8176 "swk": proof of a software-held key; here the API key's secret. */
  readonly amr = ['swk'];

  constructor(private readonly o: { stores: Stores; audit: AuditLog }) {}

  claims(body: LoginBody): boolean {
    return [body.appKey, body.secret, body.accessToken, body.accessTokenSecret].some((v) => v !== undefined);
  }

  read(body: LoginBody): ApplicationCredentials {
    if (body.username === undefined) throw usernameRequired();
    // Whether accessToken and accessTokenSecret are needed depends on the key's type (oauth2 keys ignore them).
    if (body.appKey === undefined || body.secret === undefined) {
      throw errors.badRequest('Bad request: Application Login needs appKey and secret (and, for OAuth 1.0 keys, accessToken and accessTokenSecret)');
    }
    const { username, appKey, secret, accessToken, accessTokenSecret } = body;
    return { username, appKey, secret, accessToken, accessTokenSecret };
  }

  async authenticate(attempt: Attempt, c: ApplicationCredentials): Promise<VerifiedLogin> {
    const account = await attempt.knownAccount();
    const user = await this.o.stores.users.getUserByLoginName(account.accountId, c.username);
    const settings = attempt.settings();
    if (user) await attempt.admit(user, settings);
    const key = await this.o.stores.apiKeys.getApiKey(account.accountId, c.appKey);
    const verified = this.credentialsValid(key, user, c);
    if (!user) return attempt.fail('unknown_user', c.username, null, settings);
    if (!verified) return attempt.fail(user.isBot ? 'wrong_api_key' : 'not_a_bot', c.username, user, settings);
    if (!user.enabled) return attempt.fail('disabled', c.username, user, settings);
    // Checked once the key is proven, so the refusal tells an outsider nothing of the key: the usual 401, audited with the
    // reason, and not counted against the bot (whoever holds its key from elsewhere must not lock it out).
    if (!addressAllowed(key!.ipAllowlist, attempt.client.ip ?? '')) return attempt.fail('address_not_allowed', c.username, user, null);
    await this.assertWithinLimit(attempt, user, settings);
    return { account, settings, user, appKey: c.appKey, amr: [...this.amr] };
  }

  /** The key is read even for an unknown user, so the store work does not tell which login names exist. */
  private credentialsValid(key: ApiKey | null, user: User | null, c: ApplicationCredentials): boolean {
    if (!key) return false;
    // Every comparison runs, in constant time, so the answer's timing says nothing about which value was wrong.
    const secretOk = tokenMatches(c.secret, key.secretHash);
    const tokenOk = tokenMatches(c.accessToken ?? '', key.accessTokenHash ?? '');
    const tokenSecretOk = tokenMatches(c.accessTokenSecret ?? '', key.accessTokenSecretHash ?? '');
    // An oauth2 key is client credentials: the access-token fields are placeholders.
    const tokensOk = key.type === 'oauth2' || (tokenOk && tokenSecretOk);
    return user !== null && secretOk && tokensOk && key.revokedAt === null && user.isBot && user.appKey !== null && user.appKey.split(',').includes(c.appKey);
  }

  /**
   * Successful Application Logins are counted per bot in windows of
   * APPLICATION_LOGIN_WINDOW_MS; beyond the account's limit, 429 with the
   * original's advice (retry after 5 s). Only verified logins count, so
   * nobody without the bot's key can hold it back.
   */
  private async assertWithinLimit(attempt: Attempt, user: User, settings: AccountSettings): Promise<void> {
    if (settings.applicationLoginLimit <= 0) return;
    const { accountId, client, now } = attempt;
    const counter = await this.o.stores.counters.incrementCounter(`applogin:${accountId}:${user.userId}`, APPLICATION_LOGIN_WINDOW_MS, now);
    if (counter.count <= settings.applicationLoginLimit) return;
    await this.o.audit.record({ accountId, type: 'login_rate_limited', userId: user.userId, loginName: user.loginName, clientIp: client.ip, userAgent: client.userAgent, detail: { reason: 'application_login_limit', method: 'apikey' } });
    throw errors.tooManyFailures('Too many Application Logins for this bot; retry after 5 seconds', APPLICATION_LOGIN_WINDOW_MS / 1000);
  }
}
