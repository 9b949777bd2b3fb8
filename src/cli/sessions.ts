/** `session list | revoke`. Sessions are shown without any token or digest. */
import { listSessions, revokeSession, revokeSessions, sessionRef, sessionView } from '../directory/sessions.js';
import { requireAccount } from './accounts.js';
import type { Command } from './command.js';
import { UsageError } from './context.js';
import { plural, shortTime, table } from './format.js';
import { stringFlag } from './input.js';

const list: Command = {
  name: 'session list',
  args: ['accountId'],
  flags: ['user'],
  synopsis: '[--user LOGIN]',
  summary: 'list live sessions of an account or of one user',
  async run(ctx, [accountId], options) {
    const account = await requireAccount(ctx, accountId!);
    const loginName = stringFlag(options, 'user');
    const sessions = await listSessions(await ctx.admin(), account.accountId, loginName);
    const user = loginName === undefined ? undefined : { loginName: sessions[0]?.loginName ?? loginName };
    ctx.output(sessions.map(sessionView), () =>
      sessions.length === 0
        ? `no live sessions${user ? ` of ${user.loginName}` : ''} in account ${account.accountId}`
        : table(
            ['ID', 'LOGIN NAME', 'USER ID', 'CREATED', 'EXPIRES', 'ENDS AT LATEST', 'CLIENT IP', 'APP KEY'],
            sessions.map((s) => [sessionRef(s), s.loginName, s.userId, shortTime(s.createdAt), shortTime(s.expiresAt), shortTime(s.hardExpiresAt), s.clientIp, s.appKey]),
          ),
    );
  },
};

const revoke: Command = {
  name: 'session revoke',
  args: ['accountId'],
  flags: ['user', 'all', 'id'],
  synopsis: '(--user LOGIN | --all | --id ID)',
  summary: 'end the sessions of one user, or of everyone in the account, or one session (its ID from session list)',
  async run(ctx, [accountId], options) {
    const loginName = stringFlag(options, 'user');
    const id = stringFlag(options, 'id');
    if ([loginName !== undefined, options.all === true, id !== undefined].filter(Boolean).length !== 1) {
      throw new UsageError('session revoke needs exactly one of --user LOGIN, --all and --id ID');
    }
    const account = await requireAccount(ctx, accountId!);
    const admin = await ctx.admin();
    if (id !== undefined) {
      const user = await revokeSession(admin, account.accountId, id);
      ctx.output({ accountId: account.accountId, id, loginName: user.loginName, userId: user.userId, sessionsEnded: 1 }, () => `session ${id} of ${user.loginName} ended`);
    } else if (loginName !== undefined) {
      const { sessionsEnded: ended, user } = (await revokeSessions(admin, account.accountId, { loginName })) as { sessionsEnded: number; user: { userId: string; loginName: string } };
      ctx.output({ accountId: account.accountId, loginName: user.loginName, userId: user.userId, sessionsEnded: ended }, () => `${plural(ended, 'session')} of ${user.loginName} ended`);
    } else {
      const { sessionsEnded: ended } = await revokeSessions(admin, account.accountId, { all: true });
      ctx.output({ accountId: account.accountId, sessionsEnded: ended }, () => `${plural(ended, 'session')} in account ${account.accountId} ended`);
    }
  },
};

export const sessionCommands: Command[] = [list, revoke];
