/**
 * Reports users whose login names stopped being distinct when names began to
 * be compared as PRECIS usernames (loginName.ts), and names no longer valid.
 * The migration that recomputed the keys merged nobody: the oldest user of
 * each group keeps the name, the others cannot log in until an administrator
 * acts. `login-service user conflicts` lists them; `serve` warns at start.
 *
 * Also refuses new names that only look like existing ones (UTS #39
 * skeletons): those would not collide on the key, yet pass for someone else.
 */
import type { Logger } from 'pino';
import { DuplicateError } from '../errors.js';
import type { Stores } from '../store/index.js';
import { lookAlikeSkeleton, loginNameKeyOrNull, planLoginNameKeys, type LoginNameConflict } from './loginName.js';

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

/** A name to be given: a new user's (no userId) or a user's new name. */
export interface NameToGive {
  loginName: string;
  userId?: string;
}

/**
 * Refuses, as a duplicate, the first of `names` that looks like one of
 * `taken` or like an earlier one of `names` (equal confusable skeletons,
 * UTS #39): `kаte` (Cyrillic а) beside `kate`. Names that are not valid are
 * left to their own check.
 */
export function refuseLookAlikesAmong(accountId: string, taken: readonly string[], names: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const name of taken) if (loginNameKeyOrNull(name) !== null) seen.set(lookAlikeSkeleton(name), name);
  for (const name of names) {
    if (loginNameKeyOrNull(name) === null) continue;
    const skeleton = lookAlikeSkeleton(name);
    const other = seen.get(skeleton);
    if (other !== undefined) throw new DuplicateError(`user ${name} in account ${accountId}: it looks like ${other} (login names that look alike are refused)`);
    seen.set(skeleton, name);
  }
}

/**
 * Refuses a name that looks like another live user's name of the account, or
 * like another name of the same list. Names equal after normalisation are the
 * store's duplicates already; this catches those that only look alike. A user
 * being renamed is not compared with itself.
 *
 * Checked before the write, outside its transaction: two administrators giving
 * two look-alike names at the same instant could both pass. The exact-name
 * rule stays atomic (a unique key); this one guards against impersonation by
 * mistake, it is not a uniqueness invariant of the store.
 */
export async function refuseLookAlikeNames(stores: Pick<Stores, 'users'>, accountId: string, names: readonly NameToGive[]): Promise<void> {
  if (names.every((n) => loginNameKeyOrNull(n.loginName) === null)) return;
  const renamed = new Set(names.flatMap((n) => (n.userId === undefined ? [] : [n.userId])));
  const taken = (await stores.users.listUsers(accountId)).filter((u) => !renamed.has(u.userId)).map((u) => u.loginName);
  refuseLookAlikesAmong(accountId, taken, names.map((n) => n.loginName));
}
