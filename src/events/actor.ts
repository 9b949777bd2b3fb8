/**
 * What every administration action (directory, accounts, SSO) runs with,
 * whether the CLI or the HTTP API asked: the stores, the clock, the hasher,
 * the audit log and who acts. Actions check their input, write, and record one
 * audit event naming the actor; the CLI and the routes only translate their
 * input. It sits beside the audit log because every domain's actions use it
 * and none may import another's for it.
 */
import type { Clock } from '../clock.js';
import type { AuditInput, AuditLog } from './audit.js';
import type { PasswordHasher } from '../security/passwords.js';
import type { Stores } from '../store/index.js';

/**
 * Who acts: the command line on the server's host, the service itself
 * (housekeeping), or a caller of the API: an administrator (their session, or
 * an OAuth token issued for them), or an OAuth application acting for itself
 * (`userId` null, `loginName` `client:<client_id>`).
 */
export type Actor = { via: 'cli' } | { via: 'system' } | { via: 'api'; userId: string | null; loginName: string; clientIp: string | null; userAgent: string | null };

export const CLI_ACTOR: Actor = { via: 'cli' };
export const SYSTEM_ACTOR: Actor = { via: 'system' };

export interface AdminDeps {
  stores: Stores;
  clock: Clock;
  hasher: PasswordHasher;
  /** Null only where no one acts (first start, test fixtures): nothing is recorded. */
  audit: AuditLog | null;
}

export interface AdminContext extends AdminDeps {
  actor: Actor;
}

/**
 * One `admin_change` event (or `type` when given) naming the actor: `by` is
 * the administrator's login name or `cli`. Never a password or secret.
 */
export async function recordAdminEvent(
  ctx: Pick<AdminContext, 'audit' | 'actor'>,
  accountId: string,
  action: string,
  detail: Record<string, unknown> = {},
  subject?: { userId: string; loginName: string },
  type: AuditInput['type'] = 'admin_change',
): Promise<void> {
  const { actor } = ctx;
  if (!ctx.audit) return;
  const by = actor.via === 'api' ? { via: 'api', by: actor.loginName, byUserId: actor.userId } : { via: actor.via, by: actor.via };
  await ctx.audit.record({
    accountId,
    type,
    userId: subject?.userId,
    loginName: subject?.loginName,
    clientIp: actor.via === 'api' ? actor.clientIp : null,
    userAgent: actor.via === 'api' ? actor.userAgent : null,
    detail: type === 'admin_change' ? { action, ...detail, ...by } : { ...detail, ...by },
  });
}
