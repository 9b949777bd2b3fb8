/**
 * `app install | list | show | update | rotate-secret | remove`: OAuth 2.0
 * applications (installations), the same actions as the administration
 * API's `app-install/installations`. A client secret is printed once, when
 * made, and never again.
 */
import {
  getInstallation,
  installationWire,
  installApplication,
  listInstallations,
  removeInstallation,
  replaceInstallation,
  rotateClientSecret,
  type Installation,
  type InstallationInput,
} from '../oauth/installations.js';
import { requireAccount } from './accounts.js';
import type { Command } from './command.js';
import type { CliOptions } from './context.js';
import { UsageError } from './context.js';
import { isoTime, plural, table } from './format.js';
import { listFlag, stringFlag } from './input.js';

/** What `show` and `--json` print: the API's field names, never a secret. */
function appView(i: Installation) {
  return { accountId: i.accountId, ...installationWire(i, isoTime) };
}

function describe(i: Installation): string {
  const line = (label: string, value: string) => `  ${`${label}:`.padEnd(20)}${value}`;
  return [
    `${i.clientName} (${i.enabled ? 'enabled' : 'disabled'})`,
    line('client id', i.clientId),
    ...(i.displayName ? [line('display name', i.displayName)] : []),
    ...(i.description ? [line('description', i.description)] : []),
    ...(i.logoUri ? [line('logo', i.logoUri)] : []),
    line('grants', i.grantTypes.join(' ')),
    line('auth method', i.tokenEndpointAuthMethod),
    line('scope', i.scope || '-'),
    line('redirect URIs', i.redirectUris.join(' ') || '-'),
    line('IP allowlist', i.ipAllowlist.join(' ') || 'any address'),
    line('created', isoTime(i.createdAt) ?? '-'),
  ].join('\n');
}

/** `--grant` and `--ip-allow` may be repeated or comma-separated. */
function itemsFlag(options: CliOptions, name: string): string[] | undefined {
  return listFlag(options, name)?.flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

const FIELD_FLAGS = ['name', 'display-name', 'description', 'logo-uri', 'grant', 'redirect-uri', 'scope', 'auth-method', 'public', 'disable', 'enable', 'ip-allow'];
const FIELD_SYNOPSIS =
  '[--display-name TEXT] [--description TEXT] [--logo-uri URL] [--grant client_credentials|authorization_code|refresh_token…] [--redirect-uri URI…] [--scope "SCOPE…"] [--auth-method client_secret_basic|client_secret_post|none] [--public] [--disable|--enable] [--ip-allow ADDRESS|RANGE|CIDR…]';

/** The input the flags describe, over `base` (what an update starts from). */
function inputFromFlags(options: CliOptions, base: InstallationInput): InstallationInput {
  const input: InstallationInput = { ...base };
  const name = stringFlag(options, 'name');
  if (name !== undefined) input.clientName = name;
  const displayName = stringFlag(options, 'display-name');
  if (displayName !== undefined) input.displayName = displayName;
  const description = stringFlag(options, 'description');
  if (description !== undefined) input.description = description;
  const logoUri = stringFlag(options, 'logo-uri');
  if (logoUri !== undefined) input.logoUri = logoUri === '' ? null : logoUri;
  const grants = itemsFlag(options, 'grant');
  if (grants !== undefined) input.grantTypes = grants;
  const redirectUris = listFlag(options, 'redirect-uri');
  if (redirectUris !== undefined) input.redirectUris = redirectUris.filter((u) => u !== '');
  const scope = stringFlag(options, 'scope');
  if (scope !== undefined) input.scope = scope.replace(/,/g, ' ');
  const method = stringFlag(options, 'auth-method');
  if (options.public === true) {
    if (method !== undefined && method !== 'none') throw new UsageError('--public means --auth-method none');
    input.tokenEndpointAuthMethod = 'none';
  } else if (method !== undefined) {
    input.tokenEndpointAuthMethod = method;
  }
  if (options.disable === true && options.enable === true) throw new UsageError('--disable and --enable cannot both be given');
  if (options.disable === true) input.enabled = false;
  if (options.enable === true) input.enabled = true;
  const allow = itemsFlag(options, 'ip-allow');
  if (allow !== undefined) input.ipAllowlist = allow;
  return input;
}

function secretLines(clientSecret: string | null): string[] {
  return clientSecret === null
    ? ['  client secret:     none (a public client: it proves itself with PKCE)']
    : [`  client secret:     ${clientSecret}`, 'Store it now: the secret is shown only this once.'];
}

const install: Command = {
  name: 'app install',
  args: ['accountId'],
  flags: FIELD_FLAGS,
  synopsis: `--name NAME ${FIELD_SYNOPSIS}`,
  summary:
    'install an OAuth 2.0 application (client credentials by default); prints its client id and secret (shown only this once; none for --public). --grant, --redirect-uri and --ip-allow may be repeated',
  async run(ctx, [accountId], options) {
    if (stringFlag(options, 'name') === undefined) throw new UsageError('app install needs --name');
    const input = inputFromFlags(options, { clientName: '' });
    const { installation, clientSecret } = await installApplication(await ctx.admin(), accountId!, input);
    ctx.output({ ...appView(installation), ...(clientSecret !== null && { client_secret: clientSecret }) }, () =>
      [`installed ${installation.clientName} in account ${installation.accountId}`, `  client id:         ${installation.clientId}`, ...secretLines(clientSecret)].join('\n'),
    );
  },
};

const list: Command = {
  name: 'app list',
  args: ['accountId'],
  flags: [],
  synopsis: '',
  summary: "list an account's OAuth 2.0 applications, oauth2 API keys included (never their secrets)",
  async run(ctx, [accountId]) {
    const account = await requireAccount(ctx, accountId!);
    const apps = await listInstallations(await ctx.admin(), account.accountId);
    ctx.output(apps.map(appView), () =>
      apps.length === 0
        ? `no applications in account ${account.accountId}`
        : table(
            ['CLIENT ID', 'NAME', 'STATUS', 'GRANTS', 'AUTH', 'SCOPE'],
            apps.map((a) => [a.clientId, a.clientName, a.enabled ? 'enabled' : 'disabled', a.grantTypes.join(','), a.tokenEndpointAuthMethod, a.scope || '-']),
          ),
    );
  },
};

const show: Command = {
  name: 'app show',
  args: ['accountId', 'clientId'],
  flags: [],
  synopsis: '',
  summary: 'show one application (never its secret)',
  async run(ctx, [accountId, clientId]) {
    const installation = await getInstallation(await ctx.admin(), accountId!, clientId!);
    ctx.output(appView(installation), () => describe(installation));
  },
};

const update: Command = {
  name: 'app update',
  args: ['accountId', 'clientId'],
  flags: FIELD_FLAGS,
  synopsis: `[--name NAME] ${FIELD_SYNOPSIS}`,
  summary:
    'change what the flags name and keep the rest; a list flag (--grant, --redirect-uri, --ip-allow) replaces the whole list, and given empty ("") clears it; --disable ends every token issued to the application',
  async run(ctx, [accountId, clientId], options) {
    if (!FIELD_FLAGS.some((f) => options[f] !== undefined)) throw new UsageError(`app update needs at least one of --${FIELD_FLAGS.join(', --')}`);
    const admin = await ctx.admin();
    const current = await getInstallation(admin, accountId!, clientId!);
    const base: InstallationInput = {
      clientName: current.clientName,
      displayName: current.displayName,
      description: current.description,
      logoUri: current.logoUri,
      grantTypes: current.grantTypes,
      redirectUris: current.redirectUris,
      responseTypes: current.responseTypes,
      scope: current.scope,
      tokenEndpointAuthMethod: current.tokenEndpointAuthMethod,
      enabled: current.enabled,
      ipAllowlist: current.ipAllowlist,
    };
    const { installation, clientSecret } = await replaceInstallation(admin, accountId!, clientId!, inputFromFlags(options, base));
    ctx.output({ ...appView(installation), ...(clientSecret !== null && { client_secret: clientSecret }) }, () =>
      [`updated ${installation.clientName}`, describe(installation), ...(clientSecret !== null ? secretLines(clientSecret) : [])].join('\n'),
    );
  },
};

const rotateSecret: Command = {
  name: 'app rotate-secret',
  args: ['accountId', 'clientId'],
  flags: [],
  synopsis: '',
  summary: 'give an application a new client secret, printed only this once; the previous one stops working at once',
  async run(ctx, [accountId, clientId]) {
    const { installation, clientSecret } = await rotateClientSecret(await ctx.admin(), accountId!, clientId!);
    ctx.output({ accountId: installation.accountId, client_id: installation.clientId, client_secret: clientSecret }, () =>
      [`new client secret for ${installation.clientName}`, `  client id:         ${installation.clientId}`, ...secretLines(clientSecret)].join('\n'),
    );
  },
};

const remove: Command = {
  name: 'app remove',
  args: ['accountId', 'clientId'],
  flags: [],
  synopsis: '',
  summary: "remove an application: its client id stops working, its tokens and its bots' sessions end",
  async run(ctx, [accountId, clientId]) {
    const removed = await removeInstallation(await ctx.admin(), accountId!, clientId!);
    ctx.output({ accountId, client_id: removed.clientId, deleted: true, sessionsEnded: removed.sessionsEnded, grantsEnded: removed.grantsEnded }, () =>
      `removed application ${removed.clientId}; ${plural(removed.sessionsEnded, 'bot session')} and ${plural(removed.grantsEnded, 'token family', 'token families')} ended`,
    );
  },
};

export const appCommands: Command[] = [install, list, show, update, rotateSecret, remove];
