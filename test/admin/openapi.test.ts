/**
 * The API reference can call the API: /openapi.json is a valid OpenAPI
 * document, every operation is described, every body has an example, the
 * administration API declares the bearer scheme, and each documented example
 * sent to a live server with an administrator's bearer is accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { postJson, seedAccount, startTestServer } from '../helpers/server.js';

const ADMIN = '/api/account/{accountId}/configuration/';

test('/openapi.json: valid, described, with examples and the bearer scheme; its examples work against the server', async () => {
  const server = await startTestServer();
  try {
    const spec = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
    await SwaggerParser.validate(structuredClone(spec));
    assert.deepEqual(spec.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: spec.components.securitySchemes.bearer.description });

    const operations = Object.entries<Record<string, any>>(spec.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));
    assert.ok(operations.length >= 41, `${operations.length} operations`);
    for (const { path, method, op } of operations) {
      const name = `${method} ${path}`;
      assert.ok(op.summary, `${name} has a summary`);
      assert.ok(op.description, `${name} has a description`);
      if (op.requestBody) assert.notEqual(op.requestBody.content['application/json'].example, undefined, `${name} has an example body`);
      const needsBearer = path.startsWith(ADMIN) || path === '/api/account/{accountId}/session' || (path.startsWith('/api/account/{accountId}/mfa') && !path.endsWith('/passkey/challenge'));
      assert.deepEqual(op.security ?? null, needsBearer ? [{ bearer: [] }] : null, `${name} security`);
      if (path.startsWith(ADMIN)) {
        const ok = Object.keys(op.responses).find((s) => s.startsWith('2'));
        assert.ok(ok && op.responses[ok].content['application/json'].schema, `${name} documents its answer`);
        assert.ok(op.responses['401'] && op.responses['403'], `${name} documents its refusals`);
      }
    }

    // Each documented example, as the Swagger UI's "Try it out" would send it.
    const seeded = await seedAccount(server, '123456');
    const login = await postJson(`${server.baseUrl}/api/account/123456/login`, { username: seeded.human.loginName, password: seeded.human.password });
    const bearer = login.json.bearer as string;
    const send = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${server.baseUrl}${path.replace('{accountId}', '123456')}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
    };
    const example = (path: string, method: string) => spec.paths[path][method.toLowerCase()].requestBody.content['application/json'].example;
    const ids: Record<string, string> = {};
    for (const resource of ['le-users/agentGroups', 'le-users/profiles', 'le-users/users', 'app-keys', 'app-install/installations']) {
      const path = `${ADMIN}${resource}`;
      const res = await send('POST', path, example(path, 'POST'));
      assert.equal(res.status, 201, `POST ${path}: ${res.text}`);
      ids[resource] = String(res.json.id ?? res.json.appKey ?? res.json.client_id);
    }
    for (const [path, method, id] of [
      [`${ADMIN}le-users/agentGroups/{id}`, 'PUT', ids['le-users/agentGroups']],
      [`${ADMIN}le-users/profiles/{id}`, 'PUT', ids['le-users/profiles']],
      [`${ADMIN}le-users/users/{id}`, 'PUT', ids['le-users/users']],
      [`${ADMIN}le-users/users/{id}/resetPassword`, 'PUT', ids['le-users/users']],
      [`${ADMIN}app-install/installations/{client_id}`, 'PUT', ids['app-install/installations']],
      [`${ADMIN}base-uris/{service}`, 'PUT', 'chat'],
      [`${ADMIN}settings`, 'PUT', ''],
      [`${ADMIN}access-control`, 'PUT', ''],
    ] as const) {
      const res = await send(method, path.replace('{id}', id).replace('{service}', id).replace('{client_id}', id), example(path, method));
      assert.equal(res.status, 200, `${method} ${path}: ${res.text}`);
    }
    // The bulk delete's example names a user that does not exist: the answer says so, and nothing is deleted.
    const bulk = await send('DELETE', `${ADMIN}le-users/users`, example(`${ADMIN}le-users/users`, 'DELETE'));
    assert.equal(bulk.status, 404, bulk.text);
    // The session routes' examples are well-formed requests (placeholders refused as such, never a 400 for the shape).
    const refresh = await send('POST', '/api/account/{accountId}/refresh', example('/api/account/{accountId}/refresh', 'POST'));
    assert.equal(refresh.status, 401);
    const introspect = await send('POST', '/api/account/{accountId}/oauth/introspect', example('/api/account/{accountId}/oauth/introspect', 'POST'));
    assert.notEqual(introspect.status, 400, introspect.text);
  } finally {
    await server.close();
  }
});
