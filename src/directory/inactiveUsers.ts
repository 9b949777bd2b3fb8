/**
 * Inactive people are disabled (docs/ACCESS-CONTROL.md): for each account
 * with `deactivateAfterDays` > 0, housekeeping disables every enabled person
 * (bots are exempt) whose last successful login, or creation when they never
 * logged in, is that many days old or more; ends their sessions; and records
 * one `user_deactivated` event each, by `system`.
 *
 * An administrator enables such a person again; so that the next sweep does
 * not disable them at once (their last login is still old), enabling leaves a
 * mark in the counter store that lasts `deactivateAfterDays`: the person has
 * that long to log in. No new column: the mark expires with the counters.
 */
import { accessControlOf } from '../accounts/accessControl.js';
import type { Account } from '../accounts/model.js';
import { DomainError } from '../errors.js';
import { recordAdminEvent, SYSTEM_ACTOR, type AdminContext } from '../events/actor.js';
import type { User } from './model.js';

const DAY_MS = 86_400_000;

/** The counter that marks a person enabled again by an administrator. */
export const reactivationKey = (accountId: string, userId: string): string => `reactivated:${accountId}:${userId}`;

/** Called where an administrator enables a person: the inactivity count starts again from now. */
export async function markReactivated(ctx: Pick<AdminContext, 'stores' | 'clock'>, account: Pick<Account, 'settings'>, user: Pick<User, 'accountId' | 'userId' | 'isBot'>): Promise<void> {
  const days = accessControlOf(account.settings).deactivateAfterDays;
  if (days <= 0 || user.isBot) return;
  await ctx.stores.counters.incrementCounter(reactivationKey(user.accountId, user.userId), days * DAY_MS, ctx.clock.now());
}

/** Whether a person has gone `days` without a login (or since creation) at `now`. */
export const inactiveSince = (user: Pick<User, 'lastLoginAt' | 'createdAt'>, days: number, now: number): boolean =>
  (user.lastLoginAt ?? user.createdAt) + days * DAY_MS <= now;

export interface DeactivationResult {
  /** People disabled. */
  users: number;
  /** Their sessions ended. */
  sessions: number;
}

/** One sweep over every account; idempotent (a disabled person is not looked at again). */
export async function deactivateInactiveUsers(ctx: Omit<AdminContext, 'hasher' | 'actor'>, now: number): Promise<DeactivationResult> {
  const system: Omit<AdminContext, 'hasher'> = { ...ctx, actor: SYSTEM_ACTOR };
  const result: DeactivationResult = { users: 0, sessions: 0 };
  for (const account of await ctx.stores.accounts.listAccounts()) {
    const days = accessControlOf(account.settings).deactivateAfterDays;
    if (days <= 0) continue;
    const candidates = (await ctx.stores.users.listUsers(account.accountId)).filter((u) => !u.isBot && u.enabled && !u.deleted && inactiveSince(u, days, now));
    if (candidates.length === 0) continue;
    const marks = await ctx.stores.counters.getCounters(candidates.map((u) => reactivationKey(u.accountId, u.userId)), now);
    for (const user of candidates) {
      if (marks.has(reactivationKey(user.accountId, user.userId))) continue;
      try {
        if (!(await ctx.stores.users.updateUser(account.accountId, user.userId, { enabled: false }))) continue;
      } catch (error) {
        // The account's last enabled administrator stays enabled (the store refuses): someone must be able to act.
        if (error instanceof DomainError) continue;
        throw error;
      }
      const sessionsEnded = await ctx.stores.sessions.deleteUserSessions(account.accountId, user.userId);
      await recordAdminEvent(system, account.accountId, 'user_deactivated', { reason: 'inactive', deactivateAfterDays: days, lastLoginAt: user.lastLoginAt, sessionsEnded }, user);
      result.users += 1;
      result.sessions += sessionsEnded;
    }
  }
  return result;
}
