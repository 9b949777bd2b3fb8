/**
 * The Fastify plugin and the Express middleware with access tokens: a JWT is
 * checked locally and its client, subject and scopes reach the route; a
 * session bearer still reaches the service's bearer check; refusals keep the
 * contract's error shape. Against a local issuer (keys made in the test) over
 * a real socket; the same against the real server is in jwtServer.test.ts.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { bearerAuthMiddleware } from '@login-service/client/express';
import { bearerAuthPlugin } from '@login-service/client/fastify';
import { startLocalIssuer, type LocalIssuer } from './localIssuer.js';

function assertRefusal(status: number, body: any): void {
  assert.equal(status, 401);
  assert.equal(body.error.internalCode, 23);
  assert.equal(body.error.responseStatus, 'UNAUTHORIZED');
}

describe('bearer middleware with access tokens', () => {
  let issuer: LocalIssuer;
  let fastify: FastifyInstance;
  let expressServer: Server;
  let expressUrl: string;

  before(async () => {
    issuer = await startLocalIssuer();
    fastify = Fastify();
    await fastify.register(bearerAuthPlugin, { baseUrl: issuer.baseUrl, accountId: issuer.accountId });
    // Code written for session bearers only (request.loginSession!) keeps working for access tokens.
    fastify.get('/legacy', async (request) => ({ userId: request.loginSession!.userId, loginName: request.loginSession!.loginName, privileges: request.loginSession!.userPrivileges, isAdmin: request.loginSession!.isAdmin }));
    fastify.get('/me', async (request) => ({
      type: request.loginCaller?.type,
      clientId: request.loginAccessToken?.clientId ?? null,
      sub: request.loginAccessToken?.sub ?? null,
      scopes: request.loginAccessToken?.scopes ?? null,
      userId: request.loginSession?.userId ?? null,
    }));
    await fastify.ready();

    const app = express();
    app.use(bearerAuthMiddleware({ baseUrl: issuer.baseUrl, accountId: issuer.accountId }));
    app.get('/me', (req, res) => {
      res.json({
        type: req.loginCaller?.type,
        clientId: req.loginAccessToken?.clientId ?? null,
        sub: req.loginAccessToken?.sub ?? null,
        scopes: req.loginAccessToken?.scopes ?? null,
        userId: req.loginSession?.userId ?? null,
      });
    });
    expressServer = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => expressServer.once('listening', resolve));
    expressUrl = `http://127.0.0.1:${(expressServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    await fastify.close();
    await new Promise((resolve) => expressServer.close(resolve));
    await issuer.close();
  });

  const viaFastify = async (authorization?: string) => {
    const res = await fastify.inject({ url: '/me', headers: authorization ? { authorization } : {} });
    return { status: res.statusCode, body: res.json(), headers: res.headers };
  };
  const viaExpress = async (authorization?: string) => {
    const res = await fetch(`${expressUrl}/me`, { headers: authorization ? { authorization } : {} });
    return { status: res.status, body: await res.json(), headers: Object.fromEntries(res.headers) };
  };

  for (const [name, call] of [['Fastify', viaFastify], ['Express', viaExpress]] as const) {
    test(`${name}: an access token reaches the route with its client, sub and scopes, and no bearer check`, async () => {
      const token = await issuer.sign({ client_id: 'app-9', sub: 'user-5', scope: 'users.read sessions.read' });
      const checks = issuer.counts.session;
      const { status, body } = await call(`Bearer ${token}`);
      assert.equal(status, 200);
      assert.deepEqual(body, { type: 'accessToken', clientId: 'app-9', sub: 'user-5', scopes: ['users.read', 'sessions.read'], userId: 'user-5' }, 'its session view: sub as userId');
      assert.equal(issuer.counts.session, checks);
    });

    test(`${name}: a session bearer still goes to the service`, async () => {
      const checks = issuer.counts.session;
      const { status, body } = await call(`Bearer ${issuer.sessionBearer}`);
      assert.equal(status, 200);
      assert.deepEqual(body, { type: 'session', clientId: null, sub: null, scopes: null, userId: issuer.session.userId });
      assert.equal(issuer.counts.session, checks + 1, 'answered by the bearer check');
    });

    test(`${name}: a JWT beyond the 4096 characters of a session bearer is still read from the header`, async () => {
      const scopes = Array.from({ length: 300 }, (_, i) => `scope${i}.read`);
      const token = await issuer.sign({ scope: scopes.join(' ') });
      assert.ok(token.length > 4096);
      const { status, body } = await call(`Bearer ${token}`);
      assert.equal(status, 200);
      assert.equal(body.scopes.length, 300);
    });

    test(`${name}: an expired, foreign or tampered token is a 401 in the error shape`, async () => {
      const expired = await issuer.sign({ exp: Math.floor(Date.now() / 1000) - 60, iat: Math.floor(Date.now() / 1000) - 120 });
      const foreign = await issuer.sign({ aud: '999999' });
      const good = await issuer.sign();
      const tampered = `${good.slice(0, -4)}${good.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      for (const token of [expired, foreign, tampered]) {
        const { status, body, headers } = await call(`Bearer ${token}`);
        assertRefusal(status, body);
        assert.equal(headers['www-authenticate'], 'Bearer error="invalid_token"');
      }
    });
  }

  test("Fastify: a route written for session bearers gets a fail-closed session view of an access token, not a 500", async () => {
    const client = await issuer.sign({ client_id: 'app-3', sub: 'app-3' });
    let res = await fastify.inject({ url: '/legacy', headers: { authorization: `Bearer ${client}` } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { userId: 'app-3', loginName: 'client:app-3', privileges: [], isAdmin: false });
    const person = await issuer.sign({ client_id: 'app-3', sub: '4242' });
    res = await fastify.inject({ url: '/legacy', headers: { authorization: `Bearer ${person}` } });
    assert.deepEqual(res.json(), { userId: '4242', loginName: '', privileges: [], isAdmin: false });
  });

  test('the JWKS unreachable: 503, not 401', async () => {
    const token = await issuer.sign();
    const app = Fastify();
    await app.register(bearerAuthPlugin, { baseUrl: issuer.baseUrl, accountId: issuer.accountId });
    app.get('/me', async () => 'never');
    issuer.jwksStatus = 500;
    try {
      const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().error.internalCode, 51);
    } finally {
      issuer.jwksStatus = null;
      await app.close();
    }
  });
});
