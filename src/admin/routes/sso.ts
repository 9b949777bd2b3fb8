/**
 * Single sign-on: `configuration/sso` (ours, v 1.0): the account's identity
 * providers, one field per protocol (`saml` today; OpenID Connect would sit
 * beside it), null when none. A resource of its own, so a write of the
 * settings cannot change it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireAccount } from '../../accounts/service.js';
import { NotFoundError } from '../../errors.js';
import { removeSamlConfig, replaceSamlConfig } from '../../sso/admin.js';
import type { SsoConfig } from '../../sso/model.js';
import { adminContext, type AdminRouteDeps } from './deps.js';
import { checkVersion } from './protocol.js';
import { BASE, OWN_VERSIONS, READ_ERRORS, WRITE_ERRORS, accountParams, out, writeQuery } from './shapes.js';

/** The wire shape of a SAML configuration; the certificates' content is checked by the action (sso/admin.ts). */
interface SamlBody {
  idpIssuer: string;
  idpCerts: string[];
  audience?: string;
  loginNameAttribute?: string;
  enforce?: boolean;
}
// `type: ["object", "null"]` rather than a union: one object schema, which serializes the answer as it validates the body.
const saml = (description: string) =>
  Type.Unsafe<SamlBody | null>({
    type: ['object', 'null'],
    description,
    additionalProperties: false,
    required: ['idpIssuer', 'idpCerts'],
    properties: {
      idpIssuer: { type: 'string', maxLength: 1024, description: "The identity provider's entity id: an assertion's Issuer must be exactly this" },
      idpCerts: { type: 'array', items: { type: 'string', maxLength: 16384 }, minItems: 1, maxItems: 5, description: 'PEM certificates whose keys may sign assertions; several while a key rotates' },
      audience: { type: 'string', maxLength: 1024, description: 'The audience an assertion must name; left out: urn:login-service:account:{accountId}' },
      loginNameAttribute: { type: 'string', maxLength: 256, description: 'The attribute holding the login name (else the NameID); default loginName' },
      enforce: { type: 'boolean', description: "Refuse password logins of the account's people (bots keep their API keys); default false" },
    },
  });
const ssoOut = out({ saml: saml('The SAML 2.0 identity provider (docs/SSO.md), or null for none') });

/** A throwaway self-signed certificate: the example is accepted as it stands. */
const EXAMPLE_CERT = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBjDCCATGgAwIBAgIUFSnLpQIe5e1d2Zf3YhITR+CayYMwCgYIKoZIzj0EAwIw',
  'GjEYMBYGA1UEAwwPaWRwLmV4YW1wbGUuY29tMCAXDTI2MTIwNzE0NDk0M1oYDzIx',
  'MjYxMTEzMTQ0OTQzWjAaMRgwFgYDVQQDDA9pZHAuZXhhbXBsZS5jb20wWTATBgcq',
  'hkjOPQIBBggqhkjOPQMBBwNCAARKoJe6j4nGlLdjY+WAkV427+1EbnYscIy9Bf2B',
  '0T/b4ExFTFCb2iKOtTHmrfbRVE6T0bkCZXhaNKo/vJS59DBZo1MwUTAdBgNVHQ4E',
  'FgQUNgm4vCkc+fDgAS6ZbfTWalJ32DIwHwYDVR0jBBgwFoAUNgm4vCkc+fDgAS6Z',
  'bfTWalJ32DIwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEAlbBG',
  '+xo5+vZQPJX2fxUxHrv6XW/caXs08LqS3fkKFTgCIQCoFAV2+wj8lrAsZA/zPg+x',
  '7XWmpFg15LEsS6TOl7xI1Q==',
  '-----END CERTIFICATE-----',
].join('\n');
const ssoIn = Type.Object(
  { saml: saml('The SAML 2.0 identity provider, replaced whole; null removes it') },
  {
    additionalProperties: false,
    examples: [{ saml: { idpIssuer: 'https://idp.example.com/metadata', idpCerts: [EXAMPLE_CERT], audience: 'https://login.example.com/sp/123456', loginNameAttribute: 'loginName', enforce: false } }],
  },
);

const samlView = (sso: SsoConfig | undefined) =>
  sso ? { idpIssuer: sso.idpIssuer, idpCerts: sso.idpCerts, ...(sso.audience !== undefined && { audience: sso.audience }), loginNameAttribute: sso.loginNameAttribute, enforce: sso.enforce } : null;

export function ssoRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  const tags = ['admin: single sign-on'];
  const url = `${BASE}/sso`;
  const query = writeQuery(OWN_VERSIONS);
  return async (app) => {
    app.get(url, {
      schema: {
        tags,
        summary: "The account's identity provider",
        description: '`saml`: the SAML 2.0 identity provider, or null when the account has none (SSO logins are then refused).',
        params: accountParams,
        querystring: query,
        response: { 200: ssoOut, ...READ_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const account = await requireAccount(ctx, request.params.accountId);
      return { saml: samlView(account.settings.sso) };
    });

    app.put(url, {
      schema: {
        tags,
        summary: "Replace the account's identity provider",
        description:
          'idpIssuer and idpCerts are required; audience left out means urn:login-service:account:{accountId}, loginNameAttribute loginName, enforce false. `"saml": null` removes it. A certificate that is not one readable X.509 certificate is refused with 400 and changes nothing.',
        params: accountParams,
        querystring: query,
        body: ssoIn,
        response: { 200: ssoOut, ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const { saml } = request.body;
      if (saml === null) {
        await removeSamlConfig(ctx, request.params.accountId);
        return { saml: null };
      }
      return { saml: samlView(await replaceSamlConfig(ctx, request.params.accountId, saml)) };
    });

    app.delete(url, {
      schema: {
        tags,
        summary: "Remove the account's identity provider",
        description: 'SSO logins are refused and password logins allowed again; 404 when the account has none.',
        params: accountParams,
        querystring: query,
        response: { 200: out({ deleted: Type.Boolean() }), ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      if (!(await removeSamlConfig(ctx, request.params.accountId))) throw new NotFoundError(`account ${request.params.accountId} has no identity provider`);
      return { deleted: true };
    });
  };
}
