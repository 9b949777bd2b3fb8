/** `domain set | list`: the service base URIs the Domain API and the login response report. */
import { SERVICES_AT_THIS_SERVER, serviceBaseURIs } from '../accounts/service.js';
import { setServiceBaseURI } from '../accounts/actions.js';
import { requireAccount } from './accounts.js';
import type { Command } from './command.js';
import { table } from './format.js';

const set: Command = {
  name: 'domain set',
  args: ['accountId', 'service', 'baseURI'],
  flags: [],
  synopsis: '',
  summary: `set where one of the account's services lives (host[:port]); ${SERVICES_AT_THIS_SERVER.join(' and ')} default to this server's public host`,
  async run(ctx, [accountId, service, baseURI]) {
    const previous = await setServiceBaseURI(await ctx.admin(), accountId!, service!, baseURI!);
    const account = { accountId: accountId! };
    ctx.output({ accountId: account.accountId, service, baseURI, previous }, () =>
      previous === null || previous === baseURI ? `${service} of account ${account.accountId} is at ${baseURI}` : `${service} of account ${account.accountId} moved from ${previous} to ${baseURI}`,
    );
  },
};

const list: Command = {
  name: 'domain list',
  args: ['accountId'],
  flags: [],
  synopsis: '',
  summary: `list the account's service base URIs (as the Domain API reports them, ${SERVICES_AT_THIS_SERVER.join(' and ')} included)`,
  async run(ctx, [accountId]) {
    const account = await requireAccount(ctx, accountId!);
    const uris = await serviceBaseURIs(await ctx.stores(), account.accountId, ctx.config.publicHost);
    ctx.output(
      uris.map((u) => ({ account: account.accountId, service: u.service, baseURI: u.baseURI })),
      () => table(['SERVICE', 'BASE URI'], uris.map((u) => [u.service, u.baseURI])),
    );
  },
};

export const domainCommands: Command[] = [set, list];
