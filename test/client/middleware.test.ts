import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { LoginServiceClient } from '@login-service/client';
import { bearerAuthMiddleware } from '@login-service/client/express';
import { bearerAuthPlugin } from '@login-service/client/fastify';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';

/** The contract's error shape, with the given code. */
function assertErrorShape(body: any, status: number, internalCode: number): void {
  assert.equal(typeof body.error.time, 'string');
  assert.match(body.error.time, /^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} (AM|PM)$/);
  assert.equal(typeof body.error.message, 'string');
  assert.equal(body.error.internalCode, internalCode);
  assert.equal(body.error.responseStatus, status === 401 ? 'UNAUTHORIZED' : 'SERVICE_UNAVAILABLE');
}

describe('bearer authentication for other services', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let bearer: string;

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
    const client = new LoginServiceClient({ accountId: seeded.accountId, domain: `127.0.0.1:${server.port}`, protocol: 'http' });
    await client.login({ username: seeded.human.loginName, password: seeded.human.password });
    bearer = client.bearer!;
  });
  after(async () => {
    await server.close();
  });

  describe('bearerAuthPlugin (Fastify)', () => {
    let app: FastifyInstance;
    before(async () => {
      app = Fastify();
      await app.register(bearerAuthPlugin, { baseUrl: server.baseUrl, accountId: seeded.accountId });
      app.get('/me', async (request) => ({ userId: request.loginSession!.userId, loginName: request.loginSession!.loginName }));
      app.get('/public', { config: { bearerAuth: false } }, async (request) => ({ session: request.loginSession }));
      await app.ready();
    });
    after(async () => {
      await app.close();
    });

    test('a live bearer reaches the route with request.loginSession', async () => {
      const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${bearer}` } });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { userId: seeded.human.user.userId, loginName: 'Agent.Smith' });
    });

    test('no bearer: 401 in the error shape with WWW-Authenticate', async () => {
      const res = await app.inject({ url: '/me' });
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
      assertErrorShape(res.json(), 401, 23);
    });

    test('an unknown or malformed bearer: 401 invalid_token', async () => {
      for (const authorization of [`Bearer ${'0'.repeat(64)}`, 'Bearer', 'Basic abc', `Bearer ${bearer} extra`]) {
        const res = await app.inject({ url: '/me', headers: { authorization } });
        assert.equal(res.statusCode, 401, authorization);
        assertErrorShape(res.json(), 401, 23);
      }
    });

    test('a route can opt out', async () => {
      const res = await app.inject({ url: '/public' });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { session: null });
    });

    test('Login Service unreachable: 503 in the error shape, not 401', async () => {
      const down = Fastify();
      await down.register(bearerAuthPlugin, { baseUrl: 'http://127.0.0.1:1', accountId: seeded.accountId, serverTimeZone: 'Europe/Athens' });
      down.get('/me', async () => 'never');
      const res = await down.inject({ url: '/me', headers: { authorization: `Bearer ${bearer}` } });
      await down.close();
      assert.equal(res.statusCode, 503);
      assertErrorShape(res.json(), 503, 51);
    });
  });

  describe('bearerAuthMiddleware (Express)', () => {
    let httpServer: Server;
    let url: string;
    before(async () => {
      const app = express();
      app.use(bearerAuthMiddleware({ baseUrl: server.baseUrl, accountId: seeded.accountId }));
      app.get('/me', (req, res) => {
        res.json({ userId: req.loginSession!.userId, privileges: req.loginSession!.userPrivileges });
      });
      httpServer = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => httpServer.once('listening', resolve));
      url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/me`;
    });
    after(async () => {
      await new Promise((resolve) => httpServer.close(resolve));
    });

    test('a live bearer reaches the handler with req.loginSession', async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { userId: seeded.human.user.userId, privileges: [100, 101, 1730] });
    });

    test('no or unknown bearer: 401 in the error shape', async () => {
      for (const headers of [{}, { authorization: `Bearer ${'1'.repeat(64)}` }] as Record<string, string>[]) {
        const res = await fetch(url, { headers });
        assert.equal(res.status, 401);
        assert.match(res.headers.get('content-type')!, /^application\/json/);
        assert.match(res.headers.get('www-authenticate')!, /^Bearer/);
        assertErrorShape(await res.json(), 401, 23);
      }
    });
  });
});
