/**
 * The sessions of an account's users, as administrators see them: list, end.
 * (The session core itself, login to logout, is src/sessions/.)
 */
import { requireAccount } from '../accounts/service.js';
import { NotFoundError } from '../errors.js';
import { isoTime } from '../clock.js';
import { recordAdminEvent, type AdminContext } from '../events/actor.js';
import { hashToken } from '../security/tokens.js';
import type { SessionRecord } from '../sessions/model.js';
import { endUserGrants, requireUserByLoginName } from './users.js';

/** Live sessions of the account, or of one user (by login name). */
export async function listSessions(ctx: AdminContext, accountId: string, loginName?: string): Promise<SessionRecord[]> {
  const account = await requireAccount(ctx, accountId);
  const user = loginName === undefined ? undefined : await requireUserByLoginName(ctx, account.accountId, loginName);
  return ctx.stores.sessions.listSessions(account.accountId, ctx.clock.now(), user?.userId);
}

/**
 * A session's opaque reference in listings and `DELETE sessions/{id}`: derived
 * from the stored id digest with a label of its own, so it is neither a token
 * nor the digest a token is looked up by.
 */
export const sessionRef = (s: Pick<SessionRecord, 'idHash'>): string => hashToken(`session-ref\n${s.idHash}`).slice(0, 32);

/** What a session listing shows of a session, for the CLI and the API alike: never a token or digest. */
export function sessionView(s: SessionRecord) {
  return {
    id: sessionRef(s),
    accountId: s.accountId,
    userId: s.userId,
    loginName: s.loginName,
    appKey: s.appKey,
    createdAt: isoTime(s.createdAt),
    expiresAt: isoTime(s.expiresAt),
    hardExpiresAt: isoTime(s.hardExpiresAt),
    clientIp: s.clientIp,
    userAgent: s.userAgent,
  };
}

/** Ends the sessions of one user (by login name) or of everyone in the account; returns how many ended. */
export async function revokeSessions(ctx: AdminContext, accountId: string, scope: { loginName: string } | { all: true }): Promise<{ sessionsEnded: number; user?: { userId: string; loginName: string } }> {
  const account = await requireAccount(ctx, accountId);
  if ('loginName' in scope) {
    const user = await requireUserByLoginName(ctx, account.accountId, scope.loginName);
    const sessionsEnded = await ctx.stores.sessions.deleteUserSessions(account.accountId, user.userId);
    await endUserGrants(ctx, account.accountId, user.userId);
    await recordAdminEvent(ctx, account.accountId, 'session_revoke', { reason: 'admin', sessionsEnded }, user, 'session_revoked');
    return { sessionsEnded, user };
  }
  const sessionsEnded = await ctx.stores.sessions.deleteAccountSessions(account.accountId);
  for (const user of await ctx.stores.users.listUsers(account.accountId)) await endUserGrants(ctx, account.accountId, user.userId);
  await recordAdminEvent(ctx, account.accountId, 'session_revoke', { reason: 'admin', scope: 'account', sessionsEnded }, undefined, 'session_revoked');
  return { sessionsEnded };
}

/** Ends one live session of the account, named by its reference (`sessionRef`); NotFoundError when none has it. */
export async function revokeSession(ctx: AdminContext, accountId: string, ref: string): Promise<{ userId: string; loginName: string }> {
  const account = await requireAccount(ctx, accountId);
  // A reference does not lead back to its digest: the account's live sessions are searched, as a listing reads them.
  const session = (await ctx.stores.sessions.listSessions(account.accountId, ctx.clock.now())).find((s) => sessionRef(s) === ref);
  if (!session || !(await ctx.stores.sessions.deleteSession(session.idHash))) throw new NotFoundError(`no live session ${ref.slice(0, 64)} in account ${account.accountId}`);
  const user = { userId: session.userId, loginName: session.loginName };
  await recordAdminEvent(ctx, account.accountId, 'session_revoke', { reason: 'admin', scope: 'session', sessionsEnded: 1 }, user, 'session_revoked');
  return user;
}
