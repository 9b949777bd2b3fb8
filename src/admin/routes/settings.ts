/**
 * Account settings: `configuration/settings` (ours, v 1.0): name, time zone
 * and policy. Single sign-on is not among them (configuration/sso): a settings
 * write never changes the identity provider.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from 'typebox';
import { accountSettings } from '../../accounts/model.js';
import { changeAccount } from '../../accounts/actions.js';
import { DEFAULT_POLICY_SETTINGS, SETTINGS_JSON_SCHEMA_PROPERTIES } from '../../accounts/settings.js';
import { requireAccount } from '../../accounts/service.js';
import { errors } from '../../errors.js';
import { adminContext, type AdminRouteDeps } from './deps.js';
import { checkVersion } from './protocol.js';
import { BASE, OWN_VERSIONS, READ_ERRORS, WRITE_ERRORS, accountParams, out, writeQuery } from './shapes.js';

/** Each policy setting's schema comes from the one table of settings (accounts/settings.ts). */
const policy: Record<string, TSchema> = Object.fromEntries(Object.entries(SETTINGS_JSON_SCHEMA_PROPERTIES).map(([key, schema]) => [key, Type.Unsafe(schema)]));
const settingsProperties = {
  name: Type.String({ minLength: 1, maxLength: 256 }),
  timeZone: Type.String({ maxLength: 64, description: 'IANA time zone' }),
  ...policy,
};
const settingsOut = out(settingsProperties);
const settingsIn = Type.Object(
  {
    ...Object.fromEntries(Object.entries(settingsProperties).map(([k, v]) => [k, Type.Optional(v)])),
    name: settingsProperties.name,
    timeZone: settingsProperties.timeZone,
    // Named, so a client that still sends it learns where it went instead of "additional properties".
    sso: Type.Optional(Type.Unknown({ description: 'Refused (400): single sign-on is its own resource, configuration/sso' })),
  },
  { additionalProperties: false, examples: [{ name: 'Example Inc.', timeZone: 'Europe/Berlin', rejectCommonPasswords: true }] },
);

export function settingsRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  const tags = ['admin: settings'];
  const url = `${BASE}/settings`;
  const query = writeQuery(OWN_VERSIONS);
  const settingsView = async (accountId: string) => {
    const account = (await deps.stores.accounts.getAccount(accountId))!;
    const { sso: _ownResource, accessControl: _alsoOwnResource, ...policy } = accountSettings(account);
    return { name: account.name, timeZone: account.timeZone, ...policy };
  };
  return async (app) => {
    app.get(url, {
      schema: {
        tags,
        summary: "The account's name, time zone and policy",
        description: 'Session lifetimes, password policy, lockout and session caps. The identity provider is configuration/sso.',
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
        description: 'name and timeZone are required; every policy field left out takes its default. The identity provider (configuration/sso) is never changed; a body naming sso is refused.',
        params: accountParams,
        querystring: query,
        body: settingsIn,
        response: { 200: settingsOut, ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const { name, timeZone, sso, ...rest } = request.body;
      if (sso !== undefined) throw errors.badRequest('Bad request: sso is its own resource: configuration/sso');
      await changeAccount(ctx, request.params.accountId, { name, timeZone, settings: { ...DEFAULT_POLICY_SETTINGS, ...rest } });
      return settingsView(request.params.accountId);
    });
  };
}
