/**
 * Account access control: `configuration/access-control` (ours, v 1.0): the
 * second factor, the allowed networks and the deactivation of inactive users
 * (docs/ACCESS-CONTROL.md). A resource of its own, like single sign-on: a
 * write of the settings never changes it, and it is replaced whole.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { accessControlOf, MAX_ADDRESS_RANGES, MAX_DEACTIVATE_AFTER_DAYS, MAX_RANGE_DESCRIPTION, MFA_MODES } from '../../accounts/accessControl.js';
import { setAccessControl } from '../../accounts/actions.js';
import { requireAccount } from '../../accounts/service.js';
import { adminContext, type AdminRouteDeps } from './deps.js';
import { checkVersion } from './protocol.js';
import { BASE, OWN_VERSIONS, READ_ERRORS, WRITE_ERRORS, accountParams, out, stringEnum } from './shapes.js';

// One object schema for both kinds of range (from/to or cidr): the action says which fields go together.
const range = Type.Object(
  {
    from: Type.Optional(Type.String({ maxLength: 64, description: 'First address of the range (IPv4 or IPv6), with to' })),
    to: Type.Optional(Type.String({ maxLength: 64, description: 'Last address of the range, of the same family as from' })),
    cidr: Type.Optional(Type.String({ maxLength: 64, description: 'A CIDR block (10.0.0.0/8, 2001:db8::/32), instead of from and to' })),
    description: Type.Optional(Type.String({ maxLength: MAX_RANGE_DESCRIPTION })),
  },
  { additionalProperties: false },
);
const properties = {
  mfa: stringEnum(MFA_MODES, 'Second factor: off, optional (people may enrol) or required (every person must; bots are exempt)'),
  mfaForSso: Type.Boolean({ description: 'Whether a required second factor also applies to single sign-on logins' }),
  ipRestrictions: Type.Object(
    {
      enabled: Type.Boolean({ description: "When true, people's logins and refreshes from outside every range are refused (403, internalCode 12)" }),
      ranges: Type.Array(range, { maxItems: MAX_ADDRESS_RANGES }),
    },
    { additionalProperties: false },
  ),
  deactivateAfterDays: Type.Integer({ minimum: 0, maximum: MAX_DEACTIVATE_AFTER_DAYS, description: 'Housekeeping disables a person with no successful login for this many days; 0 = never' }),
};
const accessControlOut = out(properties);
const accessControlIn = Type.Object(properties, {
  additionalProperties: false,
  examples: [
    {
      mfa: 'optional',
      mfaForSso: false,
      ipRestrictions: { enabled: false, ranges: [{ from: '10.0.0.0', to: '10.0.0.255', description: 'HQ' }, { cidr: '2001:db8::/32', description: 'VPN' }] },
      deactivateAfterDays: 90,
    },
  ],
});
const putQuery = Type.Object(
  {
    v: Type.Optional(Type.String({ description: `API version: ${OWN_VERSIONS.join(', ')}` })),
    force: Type.Optional(stringEnum(['true', 'false'], 'Save even when your own address would be outside every allowed network (else 409)')),
  },
  { additionalProperties: false },
);
const getQuery = Type.Object({ v: putQuery.properties.v }, { additionalProperties: false });

export function accessControlRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  const tags = ['admin: access control'];
  const url = `${BASE}/access-control`;
  return async (app) => {
    app.get(url, {
      schema: {
        tags,
        summary: "The account's access control",
        description: 'Second factor (mfa, mfaForSso), allowed networks (ipRestrictions) and deactivation of inactive users (deactivateAfterDays).',
        params: accountParams,
        querystring: getQuery,
        response: { 200: accessControlOut, ...READ_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const account = await requireAccount(ctx, request.params.accountId);
      return accessControlOf(account.settings);
    });

    app.put(url, {
      schema: {
        tags,
        summary: "Replace the account's access control",
        description:
          "Every field is required. Ranges must parse, from ≤ to and of one family, at most 100; enabled with no range is refused. Enabling the allowed networks or changing their ranges so that your own address (as the service sees it, TRUST_PROXY) falls outside is refused with 409 unless force=true.",
        params: accountParams,
        querystring: putQuery,
        body: accessControlIn,
        response: { 200: accessControlOut, ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      // A bot administrator is governed by its keys' allowlists, not by the networks: no address of its is at stake.
      const actingAddress = request.caller?.appKey === null ? request.ip : null;
      return setAccessControl(ctx, request.params.accountId, request.body, { force: request.query.force === 'true', actingAddress });
    });
  };
}
