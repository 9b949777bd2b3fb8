/**
 * Reports users whose login names stopped being distinct when names began to
 * be compared as PRECIS usernames (loginName.ts), and names no longer valid.
 * The migration that recomputed the keys merged nobody: the oldest user of
 * each group keeps the name, the others cannot log in until an administrator
 * acts. `login-service user conflicts` lists them; `serve` warns at start.
 */
import type { Logger } from 'pino';
import type { Stores } from '../store/index.js';
import { planLoginNameKeys, type LoginNameConflict } from './loginName.js';

export async function findLoginNameConflicts(stores: Pick<Stores, 'accounts' | 'users'>, accountId?: string): Promise<LoginNameConflict[]> {
  const accountIds = accountId !== undefined ? [accountId] : (await stores.accounts.listAccounts()).map((a) => a.accountId);
  const conflicts: LoginNameConflict[] = [];
  for (const id of accountIds) conflicts.push(...planLoginNameKeys(await stores.users.listUsers(id)).conflicts);
  return conflicts;
}

/** One warning per conflict; nothing when there is none. */
export async function warnAboutLoginNameConflicts(stores: Pick<Stores, 'accounts' | 'users'>, logger: Logger): Promise<void> {
  for (const c of await findLoginNameConflicts(stores)) {
    logger.warn(
      {
        accountId: c.accountId,
        holder: c.holder && { userId: c.holder.userId, loginName: c.holder.loginName },
        cannotLogIn: c.others.map((u) => ({ userId: u.userId, loginName: u.loginName })),
        reason: c.reason,
      },
      'login name conflict: these users cannot log in until an administrator resolves it (login-service user conflicts)',
    );
  }
}
