/** `session list | revoke`. Sessions are shown without any token or digest. */
import type { SessionRecord } from '../sessions/model.js';
import { requireUser } from '../users/service.js';
import { requireAccount } from './accounts.js';
import type { Command } from './command.js';
import { UsageError } from './context.js';
import { isoTime, plural, shortTime, table } from './format.js';
import { stringFlag } from './input.js';

function sessionView(s: SessionRecord) {
  return {
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

const list: Command = {
  name: 'session list',
  args: ['accountId'],
  flags: ['user'],
  synopsis: '[--user LOGIN]',
  summary: 'list live sessions of an account or of one user',
  async run(ctx, [accountId], options) {
    const account = await requireAccount(ctx, accountId!);
    const stores = await ctx.stores();
    const loginName = stringFlag(options, 'user');
    const user = loginName === undefined ? undefined : await requireUser(stores, account.accountId, loginName);
    const sessions = await stores.sessions.listSessions(account.accountId, ctx.clock.now(), user?.userId);
    ctx.output(sessions.map(sessionView), () =>
      sessions.length === 0
        ? `no live sessions${user ? ` of ${user.loginName}` : ''} in account ${account.accountId}`
        : table(
            ['LOGIN NAME', 'USER ID', 'CREATED', 'EXPIRES', 'ENDS AT LATEST', 'CLIENT IP', 'APP KEY'],
            sessions.map((s) => [s.loginName, s.userId, shortTime(s.createdAt), shortTime(s.expiresAt), shortTime(s.hardExpiresAt), s.clientIp, s.appKey]),
          ),
    );
  },
};

const revoke: Command = {
  name: 'session revoke',
  args: ['accountId'],
  flags: ['user', 'all'],
  synopsis: '(--user LOGIN | --all)',
  summary: 'end the sessions of one user, or of everyone in the account',
  async run(ctx, [accountId], options) {
    const loginName = stringFlag(options, 'user');
    if ((loginName === undefined) === !options.all) throw new UsageError('session revoke needs exactly one of --user LOGIN and --all');
    const account = await requireAccount(ctx, accountId!);
    const stores = await ctx.stores();
    if (loginName !== undefined) {
      const user = await requireUser(stores, account.accountId, loginName);
      const ended = await stores.sessions.deleteUserSessions(account.accountId, user.userId);
      await ctx.record({ accountId: account.accountId, type: 'session_revoked', userId: user.userId, loginName: user.loginName, detail: { reason: 'admin', sessionsEnded: ended } });
      ctx.output({ accountId: account.accountId, loginName: user.loginName, userId: user.userId, sessionsEnded: ended }, () => `${plural(ended, 'session')} of ${user.loginName} ended`);
    } else {
      const ended = await stores.sessions.deleteAccountSessions(account.accountId);
      await ctx.record({ accountId: account.accountId, type: 'session_revoked', detail: { reason: 'admin', scope: 'account', sessionsEnded: ended } });
      ctx.output({ accountId: account.accountId, sessionsEnded: ended }, () => `${plural(ended, 'session')} in account ${account.accountId} ended`);
    }
  },
};

export const sessionCommands: Command[] = [list, revoke];
