/**
 * `sso set | add-cert | show | clear`: an account's SAML identity provider;
 * `sso oidc set | clear`: its OpenID Connect provider (docs/SSO.md).
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { addSsoCertificate, clearOidcConfig, clearSsoConfig, oidcAuditDetail, setOidcConfig, setSsoConfig, type OidcChanges, type SsoChanges } from '../sso/admin.js';
import { DEFAULT_LOGIN_NAME_CLAIMS, certificateFingerprint, effectiveAudience, type OidcConfig, type SsoConfig } from '../sso/model.js';
import { requireAccount } from './accounts.js';
import type { Command } from './command.js';
import { UsageError, type CliContext, type CliOptions } from './context.js';
import { listFlag, readFirstLine, readHiddenLine, stringFlag } from './input.js';

/** What is shown of a configuration: certificates by fingerprint and expiry, the audience in effect. */
function ssoView(accountId: string, sso: SsoConfig | undefined) {
  if (!sso) return { accountId, configured: false as const };
  return {
    accountId,
    configured: true as const,
    idpIssuer: sso.idpIssuer,
    audience: effectiveAudience(accountId, sso),
    loginNameAttribute: sso.loginNameAttribute,
    enforce: sso.enforce,
    idpCerts: sso.idpCerts.map((pem) => {
      const cert = new X509Certificate(pem);
      return { fingerprint: certificateFingerprint(pem), subject: cert.subject.replace(/\n/g, ', '), validTo: new Date(cert.validTo).toISOString() };
    }),
  };
}

function ssoText(view: ReturnType<typeof ssoView>): string {
  if (!view.configured) return `account ${view.accountId} has no SSO configuration`;
  return [
    `SSO of account ${view.accountId}`,
    `  identity provider (issuer): ${view.idpIssuer}`,
    `  audience:                   ${view.audience}`,
    `  login name attribute:       ${view.loginNameAttribute} (else the NameID)`,
    `  password logins of people:  ${view.enforce ? 'refused (SSO enforced)' : 'allowed'}`,
    ...view.idpCerts.map((c, i) => `  certificate ${i + 1}: ${c.fingerprint} (${c.subject}; valid to ${c.validTo})`),
  ].join('\n');
}

async function readCertificates(paths: string[]): Promise<string[]> {
  return Promise.all(
    paths.map(async (path) => {
      if (path === '') throw new UsageError('--idp-cert needs the path of a PEM file');
      try {
        return await readFile(path, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read --idp-cert ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }),
  );
}


function booleanFlag(options: CliOptions, name: string): boolean | undefined {
  const raw = stringFlag(options, name);
  if (raw === undefined) return undefined;
  if (!/^(true|false)$/.test(raw)) throw new UsageError(`--${name} must be true or false`);
  return raw === 'true';
}

const set: Command = {
  name: 'sso set',
  args: ['accountId'],
  flags: ['idp-issuer', 'idp-cert', 'audience', 'login-name-attribute', 'enforce'],
  synopsis: '--idp-issuer ISSUER --idp-cert PEM_FILE [--idp-cert PEM_FILE…] [--audience AUDIENCE] [--login-name-attribute NAME] [--enforce true|false]',
  summary: 'configure the account\'s SAML identity provider (later calls change only what they name; --idp-cert replaces the certificates)',
  async run(ctx, [accountId], options) {
    const changes: SsoChanges = {};
    const issuer = stringFlag(options, 'idp-issuer');
    if (issuer !== undefined) changes.idpIssuer = issuer;
    const certPaths = listFlag(options, 'idp-cert');
    if (certPaths !== undefined) changes.idpCerts = await readCertificates(certPaths);
    const audience = stringFlag(options, 'audience');
    if (audience !== undefined) changes.audience = audience;
    const attribute = stringFlag(options, 'login-name-attribute');
    if (attribute !== undefined) changes.loginNameAttribute = attribute;
    const enforce = booleanFlag(options, 'enforce');
    if (enforce !== undefined) changes.enforce = enforce;
    if (Object.keys(changes).length === 0) throw new UsageError('sso set needs at least one flag');
    const account = await requireAccount(ctx, accountId!);
    const sso = await setSsoConfig(await ctx.stores(), account.accountId, changes);
    const view = ssoView(account.accountId, sso);
    await ctx.recordAdminChange(account.accountId, 'sso_set', {
      idpIssuer: sso.idpIssuer,
      certificates: view.configured ? view.idpCerts.map((c) => c.fingerprint) : [],
      audience: view.configured ? view.audience : null,
      loginNameAttribute: sso.loginNameAttribute,
      enforce: sso.enforce,
    });
    ctx.output(view, () => ssoText(view));
  },
};

const addCert: Command = {
  name: 'sso add-cert',
  args: ['accountId'],
  flags: ['idp-cert'],
  synopsis: '--idp-cert PEM_FILE',
  summary: 'trust one more identity provider certificate, beside the current ones (key rotation)',
  async run(ctx, [accountId], options) {
    const paths = listFlag(options, 'idp-cert');
    if (paths === undefined || paths.length !== 1) throw new UsageError('sso add-cert needs one --idp-cert PEM_FILE');
    const [pem] = await readCertificates(paths);
    const account = await requireAccount(ctx, accountId!);
    const sso = await addSsoCertificate(await ctx.stores(), account.accountId, pem!);
    await ctx.recordAdminChange(account.accountId, 'sso_add_cert', { certificate: certificateFingerprint(pem!) });
    const view = ssoView(account.accountId, sso);
    ctx.output(view, () => ssoText(view));
  },
};

/** What is shown of an OpenID Connect configuration: whether a client secret is set, never the secret. */
function oidcView(accountId: string, oidc: OidcConfig | undefined) {
  if (!oidc) return { accountId, configured: false as const };
  return {
    accountId,
    configured: true as const,
    issuer: oidc.issuer,
    clientId: oidc.clientId,
    clientSecretSet: oidc.clientSecret !== undefined,
    displayName: oidc.displayName,
    loginNameClaims: oidc.loginNameClaim !== undefined ? [oidc.loginNameClaim] : [...DEFAULT_LOGIN_NAME_CLAIMS],
    enforce: oidc.enforce,
  };
}

function oidcText(view: ReturnType<typeof oidcView>): string {
  if (!view.configured) return `account ${view.accountId} has no OpenID Connect provider`;
  return [
    `OpenID Connect provider of account ${view.accountId}`,
    `  issuer:                     ${view.issuer}`,
    `  client id:                  ${view.clientId}`,
    `  client secret:              ${view.clientSecretSet ? 'set' : 'none (public client)'}`,
    `  sign-in button:             Sign in with ${view.displayName}`,
    `  login name claim:           ${view.loginNameClaims.join(', then ')}`,
    `  password logins of people:  ${view.enforce ? 'refused (SSO enforced)' : 'allowed'}`,
  ].join('\n');
}

const show: Command = {
  name: 'sso show',
  args: ['accountId'],
  flags: [],
  synopsis: '',
  summary: 'show the account\'s SSO connections: SAML (certificates by fingerprint) and OpenID Connect (never its client secret)',
  async run(ctx, [accountId]) {
    const account = await requireAccount(ctx, accountId!);
    const saml = ssoView(account.accountId, account.settings.sso);
    const oidc = oidcView(account.accountId, account.settings.oidc);
    ctx.output({ ...saml, oidc }, () => [ssoText(saml), oidcText(oidc)].join('\n'));
  },
};

/** The client secret from at most one of --client-secret-stdin and --client-secret; '' removes it. */
async function clientSecretFrom(ctx: CliContext, options: CliOptions): Promise<string | null | undefined> {
  const inline = stringFlag(options, 'client-secret');
  if (options['client-secret-stdin'] && inline !== undefined) throw new UsageError('give either --client-secret-stdin or --client-secret, not both');
  let secret = inline;
  if (options['client-secret-stdin']) {
    const fromTerminal = (ctx.io.stdin as { isTTY?: boolean }).isTTY === true;
    const line = fromTerminal ? await readHiddenLine(ctx.io.stdin, ctx.io.stderr) : await readFirstLine(ctx.io.stdin);
    if (line === null) throw new UsageError('--client-secret-stdin: standard input is empty');
    secret = line;
  }
  return secret === undefined ? undefined : secret === '' ? null : secret;
}

const oidcSet: Command = {
  name: 'sso oidc set',
  args: ['accountId'],
  flags: ['issuer', 'client-id', 'client-secret', 'client-secret-stdin', 'display-name', 'login-name-claim', 'enforce'],
  synopsis: "--issuer URL --client-id ID [--client-secret S | --client-secret-stdin] [--display-name NAME] [--login-name-claim CLAIM] [--enforce true|false]",
  summary: "configure the account's OpenID Connect provider (later calls change only what they name; an empty --client-secret or --login-name-claim removes it)",
  async run(ctx, [accountId], options) {
    const changes: OidcChanges = {};
    const issuer = stringFlag(options, 'issuer');
    if (issuer !== undefined) changes.issuer = issuer;
    const clientId = stringFlag(options, 'client-id');
    if (clientId !== undefined) changes.clientId = clientId;
    const clientSecret = await clientSecretFrom(ctx, options);
    if (clientSecret !== undefined) changes.clientSecret = clientSecret;
    const displayName = stringFlag(options, 'display-name');
    if (displayName !== undefined) changes.displayName = displayName;
    const claim = stringFlag(options, 'login-name-claim');
    if (claim !== undefined) changes.loginNameClaim = claim === '' ? null : claim;
    const enforce = booleanFlag(options, 'enforce');
    if (enforce !== undefined) changes.enforce = enforce;
    if (Object.keys(changes).length === 0) throw new UsageError('sso oidc set needs at least one flag');
    const account = await requireAccount(ctx, accountId!);
    const oidc = await setOidcConfig(await ctx.stores(), account.accountId, changes);
    await ctx.recordAdminChange(account.accountId, 'sso_oidc_set', oidcAuditDetail(oidc));
    const view = oidcView(account.accountId, oidc);
    ctx.output(view, () => oidcText(view));
  },
};

const oidcClear: Command = {
  name: 'sso oidc clear',
  args: ['accountId'],
  flags: [],
  synopsis: '',
  summary: "remove the account's OpenID Connect provider: its logins are refused (and, if it enforced SSO, passwords allowed again)",
  async run(ctx, [accountId]) {
    const account = await requireAccount(ctx, accountId!);
    const cleared = await clearOidcConfig(await ctx.stores(), account.accountId);
    if (cleared) await ctx.recordAdminChange(account.accountId, 'sso_oidc_clear');
    ctx.output({ accountId: account.accountId, cleared }, () =>
      cleared ? `OpenID Connect provider of account ${account.accountId} removed` : `account ${account.accountId} had no OpenID Connect provider`,
    );
  },
};

const clear: Command = {
  name: 'sso clear',
  args: ['accountId'],
  flags: [],
  synopsis: '',
  summary: 'remove the account\'s SSO configuration: SSO logins are refused, password logins allowed again',
  async run(ctx, [accountId]) {
    const account = await requireAccount(ctx, accountId!);
    const cleared = await clearSsoConfig(await ctx.stores(), account.accountId);
    if (cleared) await ctx.recordAdminChange(account.accountId, 'sso_clear');
    ctx.output({ accountId: account.accountId, cleared }, () => (cleared ? `SSO of account ${account.accountId} removed` : `account ${account.accountId} had no SSO configuration`));
  },
};

export const ssoCommands: Command[] = [set, addCert, show, clear, oidcSet, oidcClear];
