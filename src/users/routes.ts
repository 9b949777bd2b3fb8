/**
 * Self-service password change: `POST /api/account/{accountId}/password`.
 *
 * The caller proves both possession of a live session (Session_id cookie and
 * its csrf, in the body like refresh and logout, or in an X-CSRF-Token header)
 * and knowledge of the current password. A wrong current password counts as a
 * failed login (lockout and per-address limit), so a stolen session is no
 * better a password-guessing oracle than the login itself. On success the new
 * hash is stored and every other session of the user ends; the one that made
 * the change lives on.
 *
 * A user whose password has expired cannot log in and so cannot use this: an
 * administrator resets it (`login-service user set-password`).
 */
import type { FastifyInstance } from 'fastify';
import { accountSettings, type AccountSettings } from '../accounts/model.js';
import type { Clock } from '../clock.js';
import type { AuditInput, AuditLog } from '../events/audit.js';
import { errorResponse } from '../http/errorHandling.js';
import { errors } from '../errors.js';
import { accountParamsSchema, sessionCookie, clientInfo, versionQuerySchema } from '../http/request.js';
import type { BruteForceGuard } from '../security/bruteForce.js';
import type { PasswordHasher } from '../security/passwords.js';
import type { SessionRecord } from '../sessions/model.js';
import type { ClientInfo, SessionService } from '../sessions/service.js';
import type { Stores } from '../store/index.js';
import type { User } from '../directory/model.js';
import { assertPasswordAcceptable } from '../directory/passwordPolicy.js';

export interface PasswordChangeDeps {
  stores: Stores;
  clock: Clock;
  hasher: PasswordHasher;
  guard: BruteForceGuard;
  audit: AuditLog;
  sessions: SessionService;
}

export interface PasswordChange {
  sessionId: string | undefined;
  csrf: string;
  oldPassword: string;
  newPassword: string;
}

/** Changes the session user's own password; returns how many other sessions were ended. */
export async function changeOwnPassword(deps: PasswordChangeDeps, accountId: string, change: PasswordChange, client: ClientInfo): Promise<number> {
  const { stores, clock, hasher, guard, audit } = deps;
  const now = clock.now();
  const account = await stores.accounts.getAccount(accountId);
  // Counted before the current password is verified, as at login (429 here).
  const attempt = await guard.beginAttempt(accountId, account !== null, client, now);
  try {
    const session = await deps.sessions.sessionForCookie(accountId, change.sessionId, change.csrf, client, 'password_change');
    const user = account ? await stores.users.getUserById(accountId, session.userId) : null;
    // Disabling a user ends their sessions; this covers a store changed behind our back.
    if (!account || !user || !user.enabled) throw errors.sessionInvalid();
    if (user.isBot || !user.passwordHash) throw errors.badRequest('Bad request: a bot logs in with its API key and has no password');
    const settings = accountSettings(account);
    const who = { accountId, userId: user.userId, loginName: user.loginName, clientIp: client.ip, userAgent: client.userAgent };

    const refuse = async (reason: string): Promise<never> => {
      await attempt.failed(user, settings);
      await audit.record({ ...who, type: 'login_failure', detail: { reason, method: 'password_change' } });
      throw errors.loginFailed();
    };
    const tooLong = Buffer.byteLength(change.oldPassword, 'utf8') > settings.passwordMaxBytes;
    if (!(await attempt.admitUser(user, settings, 'password_change'))) {
      if (!tooLong) await hasher.verifyDummy(change.oldPassword);
      throw errors.loginFailed();
    }
    if (tooLong) return refuse('password_too_long');
    if (!(await hasher.verify(user.passwordHash, change.oldPassword))) return refuse('wrong_password');
    await attempt.succeeded(user);
    return await applyPasswordChange(deps, { accountId, session, user, settings, who, change, now });
  } finally {
    await attempt.end();
  }
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
  await audit.record({ ...who, type: 'password_change', detail: { otherSessionsEnded: ended } });
  return ended;
}

interface AccountParams {
  accountId: string;
}

interface PasswordChangeBody {
  csrf?: string;
  oldPassword: string;
  newPassword: string;
}

const passwordChangeBodySchema = {
  type: 'object',
  required: ['oldPassword', 'newPassword'],
  properties: {
    csrf: { type: 'string', maxLength: 256, description: 'The csrf value of the login response (or send it as X-CSRF-Token)' },
    oldPassword: { type: 'string', maxLength: 4096, description: 'The current password' },
    newPassword: { type: 'string', maxLength: 4096, description: "The new password; must meet the account's password policy" },
  },
} as const;

export function passwordRoutes(deps: PasswordChangeDeps) {
  return async function (app: FastifyInstance): Promise<void> {
    app.post<{ Params: AccountParams; Body: PasswordChangeBody; Headers: { 'x-csrf-token'?: string } }>(
      '/api/account/:accountId/password',
      {
        schema: {
          summary: "Change one's own password (ends the user's other sessions)",
          tags: ['sessions'],
          params: accountParamsSchema,
          querystring: versionQuerySchema,
          headers: { type: 'object', properties: { 'x-csrf-token': { type: 'string', maxLength: 256 } } },
          body: passwordChangeBodySchema,
          response: {
            200: { type: 'null', description: 'Empty body; this session lives on, the others have ended' },
            400: errorResponse,
            401: errorResponse,
            429: errorResponse,
          },
        },
      },
      async (request, reply) => {
        const csrf = request.body.csrf ?? request.headers['x-csrf-token'];
        if (csrf === undefined) throw errors.badRequest('Bad request: csrf is required, in the body or the X-CSRF-Token header');
        await changeOwnPassword(
          deps,
          request.params.accountId,
          { sessionId: sessionCookie(request), csrf, oldPassword: request.body.oldPassword, newPassword: request.body.newPassword },
          clientInfo(request),
        );
        return reply.code(200).send();
      },
    );
  };
}
