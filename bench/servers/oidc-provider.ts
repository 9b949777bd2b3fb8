/**
 * The reference authorization server for the OAuth benchmark: `oidc-provider`
 * (the certified OpenID Connect implementation, a dev dependency), configured
 * as our token endpoint works: one confidential client with the
 * client-credentials grant and `client_secret_basic`, access tokens as signed
 * JWTs (resource indicators with `accessTokenFormat: 'jwt'`, audience the
 * account) with RS256 or ES256. Its default in-memory adapter: JWT access
 * tokens are not stored, so no store stands between it and the signature.
 */
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { childOptions, exitWithParent, failStart, report } from '../lib/child.js';

export interface OidcProviderOptions {
  alg: 'RS256' | 'ES256';
  accountId: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

try {
  const o = childOptions<OidcProviderOptions>();
  const { privateKey } = await generateKeyPair(o.alg, { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: `bench-${o.alg}`, alg: o.alg, use: 'sig' };
  const resource = `urn:login-service:account:${o.accountId}`;
  const provider = new Provider(`http://127.0.0.1/sentinel/api/account/${o.accountId}`, {
    clients: [
      {
        client_id: o.clientId,
        client_secret: o.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        // The only key is of this kind, and the client's default ID token algorithm must be one it has.
        id_token_signed_response_alg: o.alg,
        scope: o.scope,
      },
    ],
    jwks: { keys: [jwk] },
    scopes: o.scope.split(' '),
    ttl: { ClientCredentials: 3600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: o.scope, audience: o.accountId, accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: o.alg } } }),
      },
    },
  });
  provider.on('server_error', (_ctx: unknown, error: Error) => console.error('oidc-provider:', error));
  const server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  exitWithParent(() => new Promise<void>((resolve) => server.close(() => resolve())));
  report({ type: 'ready', port: (server.address() as { port: number }).port, tokenPath: '/token' });
} catch (error) {
  failStart(error);
}
