/** `domain set | list`: the service base URIs the Domain API and the login response report. */
import { BASE_URI, InvalidInputError, LOGIN_SERVICE_NAME, SERVICE_NAME, serviceBaseURIs } from '../accounts/service.js';
import { requireAccount } from './accounts.js';
import type { Command } from './command.js';
import { table } from './format.js';

const set: Command = {
  name: 'domain set',
  args: ['accountId', 'service', 'baseURI'],
  flags: [],
  synopsis: '',
  summary: `set where one of the account's services lives (host[:port]); ${LOGIN_SERVICE_NAME} defaults to this server's public host`,
  async run(ctx, [accountId, service, baseURI]) {
    if (!SERVICE_NAME.test(service!)) throw new InvalidInputError(`service must be a letter followed by up to 63 letters, digits, "_", "." or "-"; got "${service}"`);
    if (!BASE_URI.test(baseURI!)) throw new InvalidInputError(`baseURI must be host[:port] without scheme or path, got "${baseURI}"`);
    const account = await requireAccount(ctx, accountId!);
    const stores = await ctx.stores();
    const previous = (await stores.accounts.listServiceBaseURIs(account.accountId)).find((s) => s.service === service)?.baseURI ?? null;
    await stores.accounts.setServiceBaseURI(account.accountId, service!, baseURI!);
    await ctx.recordAdminChange(account.accountId, 'domain_set', { service, baseURI, previous });
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
  summary: `list the account's service base URIs (as the Domain API reports them, ${LOGIN_SERVICE_NAME} included)`,
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
