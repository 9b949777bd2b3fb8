/** The administration routes in /openapi.json, the API reference at /docs, and the setting that turns it off. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/server.js';

test('/openapi.json lists the administration routes; /docs serves the interactive reference', async () => {
  const server = await startTestServer();
  try {
    const spec = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
    const paths = Object.keys(spec.paths);
    for (const path of [
      '/api/account/{accountId}/configuration/le-users/users',
      '/api/account/{accountId}/configuration/le-users/users/{id}',
      '/api/account/{accountId}/configuration/le-users/users/{id}/resetPassword',
      '/api/account/{accountId}/configuration/le-users/agentGroups/{id}',
      '/api/account/{accountId}/configuration/le-users/profiles',
      '/api/account/{accountId}/configuration/app-keys/{appKey}',
      '/api/account/{accountId}/configuration/base-uris/{service}',
      '/api/account/{accountId}/configuration/sessions',
      '/api/account/{accountId}/configuration/events',
      '/api/account/{accountId}/configuration/settings',
    ]) {
      assert.ok(paths.includes(path), path);
    }
    const post = spec.paths['/api/account/{accountId}/configuration/le-users/users'].post;
    assert.ok(post.requestBody, 'the body schema is documented');
    assert.ok(post.responses['409'] && post.responses['412']);

    const page = await fetch(`${server.baseUrl}/docs/`, { redirect: 'follow' });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /swagger/i);
    assert.doesNotMatch(page.headers.get('content-security-policy') ?? '', /default-src 'none'|upgrade-insecure-requests/);
  } finally {
    await server.close();
  }
});

test('API_DOCS=false: no /docs, the API and /openapi.json still served', async () => {
  const server = await startTestServer({ env: { API_DOCS: 'false' } });
  try {
    assert.equal((await fetch(`${server.baseUrl}/docs/`)).status, 404);
    assert.equal((await fetch(`${server.baseUrl}/openapi.json`)).status, 200);
  } finally {
    await server.close();
  }
});
