/** `sso set | add-cert | show | clear`: an account's SAML identity provider (docs/SSO.md). */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { addSsoCertificate, clearSsoConfig, setSsoConfig, type SsoChanges } from '../sso/admin.js';
import { certificateFingerprint, effectiveAudience, type SsoConfig } from '../sso/model.js';
import { requireAccount } from './accounts.js';
import type { Command } from './command.js';
import { UsageError, type CliOptions } from './context.js';
import { listFlag, stringFlag } from './input.js';

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

const show: Command = {
  name: 'sso show',
  args: ['accountId'],
  flags: [],
  synopsis: '',
  summary: 'show the account\'s SSO configuration (certificates by fingerprint)',
  async run(ctx, [accountId]) {
    const account = await requireAccount(ctx, accountId!);
    const view = ssoView(account.accountId, account.settings.sso);
    ctx.output(view, () => ssoText(view));
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

export const ssoCommands: Command[] = [set, addCert, show, clear];
