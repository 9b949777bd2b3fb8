/**
 * The physical limit of token issuance on this machine: a bare Fastify route
 * that reads the same request our token endpoint reads (Basic header, form
 * body, which @fastify/formbody parses) and answers with one freshly signed
 * JWT of the same shape, with a key of the same kind (RS256: RSA 2048; ES256:
 * P-256) made by jose. No client lookup, no secret check, no store, no
 * logging: what remains of our endpoint above this is the cost of being one.
 */
import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { childOptions, exitWithParent, failStart, report } from '../lib/child.js';

export interface SignCeilingOptions {
  alg: 'RS256' | 'ES256';
  accountId: string;
  scope: string;
}

try {
  const o = childOptions<SignCeilingOptions>();
  const { privateKey, publicKey } = await generateKeyPair(o.alg);
  const kid = `ceiling-${o.alg}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: o.alg, use: 'sig' };
  const issuer = `http://127.0.0.1/sentinel/api/account/${o.accountId}`;
  const app = Fastify({ logger: false });
  await app.register(formbody);
  app.get('/jwks', async () => ({ keys: [jwk] }));
  app.post('/token', async (request, reply) => {
    const clientId = (request.body as Record<string, string> | undefined)?.client_id ?? 'bench';
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({ client_id: clientId, azp: clientId, scope: o.scope, jti: randomUUID() })
      .setProtectedHeader({ alg: o.alg, kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setSubject(clientId)
      .setAudience(o.accountId)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
    reply.header('cache-control', 'no-store');
    return { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope: o.scope };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  exitWithParent(() => app.close());
  report({ type: 'ready', port: (app.server.address() as { port: number }).port, issuer });
} catch (error) {
  failStart(error);
}
