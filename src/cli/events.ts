/** `events list`: the audit trail, newest first. */
import { listEvents } from '../accounts/actions.js';
import { requireAccount } from './accounts.js';
import type { Command } from './command.js';
import { isoTime, shortTime, table } from './format.js';
import { integerFlag, stringFlag, timeFlag } from './input.js';

const DEFAULT_LIMIT = 100;

const list: Command = {
  name: 'events list',
  args: ['accountId'],
  flags: ['user', 'type', 'since', 'limit'],
  synopsis: `[--user LOGIN] [--type TYPE] [--since ISO-TIME] [--limit N (default ${DEFAULT_LIMIT})]`,
  summary: 'list audit events (logins, lockouts, admin changes…), newest first',
  async run(ctx, [accountId], options) {
    const since = timeFlag(options, 'since');
    const limit = integerFlag(options, 'limit', 1, 100_000) ?? DEFAULT_LIMIT;
    const loginName = stringFlag(options, 'user');
    const type = stringFlag(options, 'type');
    const account = await requireAccount(ctx, accountId!);
    const events = await listEvents(await ctx.admin(), account.accountId, { loginName, type, since, limit });
    ctx.output(
      events.map((e) => ({ time: isoTime(e.time), type: e.type, userId: e.userId, loginName: e.loginName, clientIp: e.clientIp, userAgent: e.userAgent, detail: e.detail })),
      () =>
        events.length === 0
          ? `no events in account ${account.accountId}`
          : table(
              ['TIME', 'TYPE', 'LOGIN NAME', 'CLIENT IP', 'DETAIL'],
              events.map((e) => [shortTime(e.time), e.type, e.loginName, e.clientIp, Object.keys(e.detail).length ? JSON.stringify(e.detail) : '']),
            ),
    );
  },
};

export const eventCommands: Command[] = [list];
