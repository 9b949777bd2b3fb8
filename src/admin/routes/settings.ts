/** Account settings: `configuration/settings` (ours, v 1.0): name, time zone and policy. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from 'typebox';
import { accountSettings, type AccountSettings } from '../../accounts/model.js';
import { changeAccount } from '../../accounts/actions.js';
import { SETTINGS_JSON_SCHEMA_PROPERTIES } from '../../accounts/settings.js';
import { requireAccount } from '../../accounts/service.js';
import { adminContext, type AdminRouteDeps } from './deps.js';
import { checkVersion } from './protocol.js';
import { BASE, OWN_VERSIONS, READ_ERRORS, WRITE_ERRORS, accountParams, out, writeQuery } from './shapes.js';

const sso = Type.Unsafe<AccountSettings['sso']>({
  type: ['object', 'null'],
  description: 'The SAML identity provider (docs/SSO.md); null or left out: none',
  additionalProperties: false,
  required: ['idpIssuer', 'idpCerts'],
  properties: {
    idpIssuer: { type: 'string', maxLength: 1024 },
    idpCerts: { type: 'array', items: { type: 'string', maxLength: 16384 }, minItems: 1, maxItems: 5, description: 'PEM certificates' },
    audience: { type: 'string', maxLength: 1024 },
    loginNameAttribute: { type: 'string', maxLength: 256 },
    enforce: { type: 'boolean' },
  },
});

/** Each policy setting's schema comes from the one table of settings (accounts/settings.ts). */
const policy: Record<string, TSchema> = Object.fromEntries(Object.entries(SETTINGS_JSON_SCHEMA_PROPERTIES).map(([key, schema]) => [key, Type.Unsafe(schema)]));
const settingsProperties = {
  name: Type.String({ minLength: 1, maxLength: 256 }),
  timeZone: Type.String({ maxLength: 64, description: 'IANA time zone' }),
  ...policy,
  sso,
};
const settingsOut = out(settingsProperties);
const settingsIn = Type.Object(
  { ...Object.fromEntries(Object.entries(settingsProperties).map(([k, v]) => [k, Type.Optional(v)])), name: settingsProperties.name, timeZone: settingsProperties.timeZone },
  { additionalProperties: false, examples: [{ name: 'Example Inc.', timeZone: 'Europe/Berlin', rejectCommonPasswords: true }] },
);

export function settingsRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  const tags = ['admin: settings'];
  const url = `${BASE}/settings`;
  const query = writeQuery(OWN_VERSIONS);
  const settingsView = async (accountId: string) => {
    const account = (await deps.stores.accounts.getAccount(accountId))!;
    return { name: account.name, timeZone: account.timeZone, ...accountSettings(account) };
  };
  return async (app) => {
    app.get(url, {
      schema: {
        tags,
        summary: "The account's name, time zone and policy",
        description: 'Session lifetimes, password policy, lockout, session caps and the SAML identity provider.',
        params: accountParams,
        querystring: query,
        response: { 200: settingsOut, ...READ_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      await requireAccount(ctx, request.params.accountId);
      return settingsView(request.params.accountId);
    });

    app.put(url, {
      schema: {
        tags,
        summary: "Replace the account's settings: policy fields left out go back to their defaults",
        description: 'name and timeZone are required; every policy field left out takes its default, and sso left out removes the identity provider.',
        params: accountParams,
        querystring: query,
        body: settingsIn,
        response: { 200: settingsOut, ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const { name, timeZone, ...rest } = request.body;
      const defaults = { ...accountSettings({ settings: {} }) };
      await changeAccount(ctx, request.params.accountId, { name, timeZone, settings: { ...defaults, sso: null, ...rest } });
      return settingsView(request.params.accountId);
    });
  };
}
