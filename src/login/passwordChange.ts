/**
 * Self-service password change: `POST /api/account/{accountId}/password`.
 *
 * The caller proves both possession of a live session (Session_id cookie and
 * its csrf, in the body like refresh and logout, or in an X-CSRF-Token header)
 * and knowledge of the current password. The current password is verified as
 * one attempt of the runner (lockout and per-address limit), so a stolen
 * session is no better a password-guessing oracle than the login itself. On
 * success the new hash is stored and every other session of the user ends;
 * the one that made the change lives on.
 *
 * A user whose password has expired cannot log in and so cannot use this: an
 * administrator resets it (`login-service user set-password`).
 */
import type { AccountSettings } from '../accounts/model.js';
import { LONGEST_ACCESS_TOKEN_MS } from '../accounts/settings.js';
import type { AuditInput, AuditLog } from '../events/audit.js';
import { errors } from '../errors.js';
import type { PasswordHasher } from '../security/passwords.js';
import type { ClientInfo, SessionCore } from '../sessions/core.js';
import type { SessionRecord } from '../sessions/model.js';
import type { Stores } from '../store/index.js';
import type { User } from '../directory/model.js';
import { assertPasswordAcceptable } from '../directory/passwordPolicy.js';
import type { AttemptRunner } from './runner.js';

export interface PasswordChangeDeps {
  stores: Stores;
  hasher: PasswordHasher;
  audit: AuditLog;
  runner: AttemptRunner;
  sessions: SessionCore;
}

export interface PasswordChange {
  sessionId: string | undefined;
  csrf: string;
  oldPassword: string;
  newPassword: string;
}

/** Changes the session user's own password; returns how many other sessions were ended. */
export function changeOwnPassword(deps: PasswordChangeDeps, accountId: string, change: PasswordChange, client: ClientInfo): Promise<number> {
  const { stores, hasher, runner, sessions } = deps;
  const dummyWork = () => hasher.verifyDummy(change.oldPassword);
  return runner.run(
    accountId,
    client,
    'password_change',
    async (attempt) => {
      const session = await sessions.sessionForCookie(accountId, change.sessionId, change.csrf, client, 'password_change');
      const user = attempt.account ? await stores.users.getUserById(accountId, session.userId) : null;
      // Disabling a user ends their sessions; this covers a store changed behind our back.
      if (!attempt.account || !user || !user.enabled) throw errors.sessionInvalid();
      if (user.isBot || !user.passwordHash) throw errors.badRequest('Bad request: a bot logs in with its API key and has no password');
      const settings = attempt.settings();

      // Refused before hashing, as at login.
      const tooLong = Buffer.byteLength(change.oldPassword, 'utf8') > settings.passwordMaxBytes;
      await attempt.admit(user, settings, !tooLong);
      if (tooLong) return attempt.fail('password_too_long', user.loginName, user, settings);
      if (!(await hasher.verify(user.passwordHash, change.oldPassword))) return attempt.fail('wrong_password', user.loginName, user, settings);
      await attempt.succeeded(user);
      const who = { accountId, userId: user.userId, loginName: user.loginName, clientIp: client.ip, userAgent: client.userAgent };
      return applyPasswordChange(deps, { accountId, session, user, settings, who, change, now: attempt.now });
    },
    dummyWork,
  );
}

async function applyPasswordChange(
  { stores, hasher, audit }: PasswordChangeDeps,
  { accountId, session, user, settings, who, change, now }: {
    accountId: string;
    session: SessionRecord;
    user: User;
    settings: AccountSettings;
    who: Omit<AuditInput, 'type'>;
    change: PasswordChange;
    now: number;
  },
): Promise<number> {
  assertPasswordAcceptable(change.newPassword, user.loginName, settings);
  if (change.newPassword === change.oldPassword) {
    throw errors.passwordRejected('the new password must differ from the current one');
  }
  const passwordHash = await hasher.hash(change.newPassword);
  await stores.users.updateUser(accountId, user.userId, { passwordHash, passwordChangedAt: now, changePwdNextLogin: false });

  // Listed after the new hash is stored, so a login racing with the change cannot slip a session past this sweep unless it already has the new password.
  let ended = 0;
  for (const other of await stores.sessions.listSessions(accountId, now, user.userId)) {
    if (other.idHash !== session.idHash && (await stores.sessions.deleteSession(other.idHash))) ended++;
  }
  // OAuth grants were made with the old password too: they end with the other sessions.
  await stores.oauth.revokeUserGrants(accountId, user.userId, now + LONGEST_ACCESS_TOKEN_MS);
  await audit.record({ ...who, type: 'password_change', detail: { otherSessionsEnded: ended } });
  return ended;
}
