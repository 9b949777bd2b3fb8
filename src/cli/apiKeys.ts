/** `apikey create | list | revoke`. Secrets are shown once, at creation, and never again. */
import { API_KEY_TYPES, type ApiKey, type ApiKeyType } from '../directory/model.js';
import { issueApiKey, listApiKeys, revokeKey } from '../directory/apiKeys.js';
import { requireAccount } from './accounts.js';
import type { Command } from './command.js';
import { UsageError } from './context.js';
import { isoTime, plural, shortTime, table } from './format.js';
import { listFlag, stringFlag } from './input.js';

/** What may be shown of a key after its creation: no secret, no digest, not the access token (one of the four login values). */
function keyView(key: ApiKey, bots: string[]) {
  return {
    accountId: key.accountId,
    appKey: key.appKey,
    name: key.name,
    type: key.type,
    active: key.revokedAt === null,
    createdAt: isoTime(key.createdAt),
    revokedAt: isoTime(key.revokedAt),
    bots,
    ipAllowlist: key.ipAllowlist,
  };
}

const create: Command = {
  name: 'apikey create',
  args: ['accountId'],
  flags: ['name', 'type', 'ip-allow'],
  synopsis: '[--name NAME] [--type oauth1|oauth2] [--ip-allow ADDRESS|FROM-TO|CIDR]...',
  summary: 'issue an API key; prints appKey, secret, and for oauth1 (the default) accessToken and accessTokenSecret (shown only this once)',
  async run(ctx, [accountId], options) {
    const name = stringFlag(options, 'name');
    if (name !== undefined && name.length > 256) throw new UsageError('--name must be at most 256 characters');
    const type = stringFlag(options, 'type') ?? 'oauth1';
    if (!API_KEY_TYPES.includes(type as ApiKeyType)) throw new UsageError(`--type must be ${API_KEY_TYPES.join(' or ')}`);
    const { key, issued } = await issueApiKey(await ctx.admin(), accountId!, name, type as ApiKeyType, { ipAllowlist: listFlag(options, 'ip-allow') });
    ctx.output({ accountId: key.accountId, name: key.name, type: key.type, ...issued, createdAt: isoTime(key.createdAt), ipAllowlist: key.ipAllowlist }, () =>
      [
        `created ${key.type === 'oauth2' ? 'OAuth 2.0' : 'OAuth 1.0'} API key for account ${key.accountId}${key.name ? ` "${key.name}"` : ''}`,
        `  appKey:            ${issued.appKey}${key.type === 'oauth2' ? ' (client id)' : ''}`,
        `  secret:            ${issued.secret}${key.type === 'oauth2' ? ' (client secret)' : ''}`,
        ...('accessToken' in issued ? [`  accessToken:       ${issued.accessToken}`, `  accessTokenSecret: ${issued.accessTokenSecret}`] : []),
        `  usable from:       ${key.ipAllowlist.length === 0 ? 'anywhere' : key.ipAllowlist.join(', ')}`,
        'Store these now: the secrets are shown only this once.',
        `A bot logs in with them once created with: login-service user create ${key.accountId} <loginName> --bot --app-key ${issued.appKey}`,
      ].join('\n'),
    );
  },
};

const list: Command = {
  name: 'apikey list',
  args: ['accountId'],
  flags: [],
  synopsis: '',
  summary: 'list an account\'s API keys and the bots using them (never the secrets)',
  async run(ctx, [accountId]) {
    const account = await requireAccount(ctx, accountId!);
    const listed = await listApiKeys(await ctx.admin(), account.accountId);
    const keys = listed.map((l) => l.key);
    const views = listed.map((l) => keyView(l.key, l.bots));
    ctx.output(views, () =>
      views.length === 0
        ? `no API keys in account ${account.accountId}`
        : table(
            ['APP KEY', 'TYPE', 'NAME', 'STATUS', 'CREATED', 'BOTS', 'USABLE FROM'],
            keys.map((k, i) => [k.appKey, k.type, k.name, k.revokedAt === null ? 'active' : `revoked ${shortTime(k.revokedAt)}`, shortTime(k.createdAt), views[i]!.bots.join(','), k.ipAllowlist.length === 0 ? 'anywhere' : k.ipAllowlist.join(',')]),
          ),
    );
  },
};

const revoke: Command = {
  name: 'apikey revoke',
  args: ['accountId', 'appKey'],
  flags: [],
  synopsis: '',
  summary: 'revoke an API key; ends the sessions of the bots that logged in with it',
  async run(ctx, [accountId, appKey]) {
    const sessionsEnded = await revokeKey(await ctx.admin(), accountId!, appKey!);
    ctx.output({ accountId, appKey, sessionsEnded }, () => `revoked API key ${appKey}; ${plural(sessionsEnded, 'bot session')} ended`);
  },
};

export const apiKeyCommands: Command[] = [create, list, revoke];
