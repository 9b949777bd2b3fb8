/**
 * Single sign-on: `configuration/sso` (ours, v 1.0): the account's identity
 * providers, one field per protocol (`saml`, `oidc`), null when none. A
 * resource of its own, so a write of the settings cannot change it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireAccount } from '../../accounts/service.js';
import { NotFoundError } from '../../errors.js';
import { checkOidcInput, removeOidcConfig, removeSamlConfig, replaceOidcConfig, replaceSamlConfig, type OidcInput } from '../../sso/admin.js';
import type { OidcConfig, SsoConfig } from '../../sso/model.js';
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
/** The wire shape of an OpenID Connect configuration; the client secret goes in and never comes out. */
interface OidcBody {
  issuer: string;
  clientId: string;
  clientSecret?: string | null;
  clientSecretSet?: boolean;
  displayName?: string;
  loginNameClaim?: string;
  enforce?: boolean;
}
const oidc = (description: string, direction: 'in' | 'out') =>
  Type.Unsafe<OidcBody | null>({
    type: ['object', 'null'],
    description,
    additionalProperties: false,
    required: direction === 'in' ? ['issuer', 'clientId'] : ['issuer', 'clientId', 'clientSecretSet', 'displayName', 'enforce'],
    properties: {
      issuer: { type: 'string', maxLength: 1024, description: "The provider's issuer (https:, or http: on a loopback host): an ID token's iss must be exactly this" },
      clientId: { type: 'string', maxLength: 1024, description: "The client registered at the provider: an ID token's audience" },
      ...(direction === 'in'
        ? {
            clientSecret: { type: ['string', 'null'], maxLength: 1024, description: 'For the browser flow, when the provider registered a confidential client. Left out: the current one is kept if clientId is unchanged; null: none. Never shown.' },
            clientSecretSet: { type: 'boolean', description: 'Ignored: lets a GET answer be sent back as it is' },
          }
        : { clientSecretSet: { type: 'boolean', description: 'Whether a client secret is configured (it is never shown)' } }),
      displayName: { type: 'string', maxLength: 100, description: 'Shown as "Sign in with <displayName>"; default "your identity provider"' },
      loginNameClaim: { type: 'string', maxLength: 256, description: 'The claim holding the login name; left out: preferred_username, then email' },
      enforce: { type: 'boolean', description: "Refuse password logins of the account's people (bots keep their API keys); default false" },
    },
  });
const ssoOut = out({
  saml: saml('The SAML 2.0 identity provider (docs/SSO.md), or null for none'),
  oidc: oidc('The OpenID Connect provider (docs/SSO.md), or null for none', 'out'),
});

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
  {
    saml: Type.Optional(saml('The SAML 2.0 identity provider, replaced whole; null removes it; left out, unchanged')),
    oidc: Type.Optional(oidc('The OpenID Connect provider, replaced whole; null removes it; left out, unchanged', 'in')),
  },
  {
    additionalProperties: false,
    examples: [
      {
        saml: { idpIssuer: 'https://idp.example.com/metadata', idpCerts: [EXAMPLE_CERT], audience: 'https://login.example.com/sp/123456', loginNameAttribute: 'loginName', enforce: false },
        oidc: { issuer: 'https://example.okta.com', clientId: '0oa1b2c3d4e5f6g7h8i9', clientSecret: 'the client secret', displayName: 'Okta', enforce: false },
      },
    ],
  },
);

const samlView = (sso: SsoConfig | undefined) =>
  sso ? { idpIssuer: sso.idpIssuer, idpCerts: sso.idpCerts, ...(sso.audience !== undefined && { audience: sso.audience }), loginNameAttribute: sso.loginNameAttribute, enforce: sso.enforce } : null;

const oidcInput = ({ clientSecretSet: _shownOnly, ...input }: OidcBody): OidcInput => input;

const oidcView = (config: OidcConfig | undefined) =>
  config
    ? {
        issuer: config.issuer,
        clientId: config.clientId,
        clientSecretSet: config.clientSecret !== undefined,
        displayName: config.displayName,
        ...(config.loginNameClaim !== undefined && { loginNameClaim: config.loginNameClaim }),
        enforce: config.enforce,
      }
    : null;

export function ssoRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  const tags = ['admin: single sign-on'];
  const url = `${BASE}/sso`;
  const query = writeQuery(OWN_VERSIONS);
  return async (app) => {
    app.get(url, {
      schema: {
        tags,
        summary: "The account's identity providers",
        description: '`saml`: the SAML 2.0 identity provider; `oidc`: the OpenID Connect provider (its client secret never shown); each null when the account has none (such logins are then refused).',
        params: accountParams,
        querystring: query,
        response: { 200: ssoOut, ...READ_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const account = await requireAccount(ctx, request.params.accountId);
      return { saml: samlView(account.settings.sso), oidc: oidcView(account.settings.oidc) };
    });

    app.put(url, {
      schema: {
        tags,
        summary: "Replace the account's identity providers",
        description:
          'Each connection given is replaced whole; one left out is unchanged; null removes it. `saml`: idpIssuer and idpCerts are required; audience left out means urn:login-service:account:{accountId}, loginNameAttribute loginName, enforce false; a certificate that is not one readable X.509 certificate is refused with 400. `oidc`: issuer and clientId are required; the issuer must be https: (http: only on a loopback host). A refused body changes nothing.',
        params: accountParams,
        querystring: query,
        body: ssoIn,
        response: { 200: ssoOut, ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const { saml, oidc } = request.body;
      const accountId = request.params.accountId;
      // Both are checked before either is written, so a refused one changes nothing.
      await requireAccount(ctx, accountId);
      if (oidc) checkOidcInput(oidcInput(oidc));
      if (saml === null) await removeSamlConfig(ctx, accountId);
      else if (saml !== undefined) await replaceSamlConfig(ctx, accountId, saml);
      if (oidc === null) await removeOidcConfig(ctx, accountId);
      else if (oidc !== undefined) await replaceOidcConfig(ctx, accountId, oidcInput(oidc));
      const account = await requireAccount(ctx, accountId);
      return { saml: samlView(account.settings.sso), oidc: oidcView(account.settings.oidc) };
    });

    app.delete(url, {
      schema: {
        tags,
        summary: "Remove the account's identity providers",
        description: 'Both connections (SAML and OpenID Connect) are removed: SSO logins are refused and password logins allowed again; 404 when the account has none.',
        params: accountParams,
        querystring: query,
        response: { 200: out({ deleted: Type.Boolean() }), ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const removedSaml = await removeSamlConfig(ctx, request.params.accountId);
      const removedOidc = await removeOidcConfig(ctx, request.params.accountId);
      if (!removedSaml && !removedOidc) throw new NotFoundError(`account ${request.params.accountId} has no identity provider`);
      return { deleted: true };
    });
  };
}
