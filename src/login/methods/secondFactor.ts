/**
 * The second step of a login: `{"mfaToken", "otp"}` or `{"mfaToken",
 * "recoveryCode"}` on the login URL. The token names a login whose first
 * step passed (login/secondFactor.ts issues it); a good code finishes that
 * login with the first step's amr and `otp`. No password is hashed again:
 * a login with a second factor costs one argon2 verification.
 *
 * A wrong code counts as a failed attempt of the user (the runner's
 * lockout) and against the token, which dies after five.
 */
import { errors } from '../../errors.js';
import type { Passkeys } from '../../factors/passkeys.js';
import type { SecondFactors } from '../../factors/service.js';
import type { SessionOrigin } from '../../sessions/core.js';
import type { Stores } from '../../store/index.js';
import type { LoginBody, LoginMethod, VerifiedLogin } from '../model.js';
import type { Attempt } from '../runner.js';

export interface SecondFactorCredentials {
  mfaToken: string;
  code: { otp: string } | { recoveryCode: string } | { passkey: { ticket: string; response: Record<string, unknown> } };
}

export class SecondFactorLogin implements LoginMethod<SecondFactorCredentials> {
  readonly name = 'mfa';
  readonly amr = ['otp'];

  constructor(private readonly o: { stores: Stores; factors: SecondFactors; passkeys: Passkeys }) {}

  claims(body: LoginBody): boolean {
    return body.mfaToken !== undefined && (body.otp !== undefined || body.recoveryCode !== undefined || body.passkey !== undefined);
  }

  read(body: LoginBody): SecondFactorCredentials {
    if ([body.otp, body.recoveryCode, body.passkey].filter((v) => v !== undefined).length > 1) throw errors.badRequest('Bad request: send one of otp, recoveryCode and passkey');
    const others = [body.username, body.password, body.appKey, body.secret, body.accessToken, body.accessTokenSecret, body.assertion];
    if (others.some((v) => v !== undefined)) throw errors.badRequest('Bad request: the second step takes mfaToken with otp or recoveryCode only');
    if (body.passkey !== undefined) return { mfaToken: body.mfaToken!, code: { passkey: body.passkey } };
    return { mfaToken: body.mfaToken!, code: body.otp !== undefined ? { otp: body.otp } : { recoveryCode: body.recoveryCode! } };
  }

  async authenticate(attempt: Attempt, c: SecondFactorCredentials): Promise<VerifiedLogin> {
    const { stores, factors } = this.o;
    const account = await attempt.knownAccount();
    const settings = attempt.settings();
    const ticket = await factors.ticket('login', account.accountId, c.mfaToken);
    if (!ticket) return attempt.fail('mfa_token_invalid', null, null, null);
    const user = await stores.users.getUserById(account.accountId, ticket.userId);
    if (!user || user.deleted || !user.enabled) {
      await factors.takeTicket(ticket);
      return attempt.fail('disabled', user?.loginName ?? null, user, settings);
    }
    await attempt.admit(user, settings, false);
    const verified = 'passkey' in c.code
      ? { ok: await this.o.passkeys.verify(ticket, c.code.passkey.ticket, c.code.passkey.response), amr: 'hwk' }
      : await factors.verifyCode(user, c.code);
    if (!verified.ok) {
      await factors.wrongCode(ticket);
      return attempt.fail('wrong_code', user.loginName, user, settings);
    }
    // Single use: of two requests racing with good codes, one finishes the login.
    if (!(await factors.takeTicket(ticket))) return attempt.fail('mfa_token_invalid', user.loginName, user, settings);
    const first = ticket.data as { method?: SessionOrigin['method']; amr?: string[] };
    return {
      account,
      settings,
      user,
      appKey: null,
      amr: [...(first.amr ?? []), verified.amr],
      origin: first.method ?? 'password',
    };
  }
}
