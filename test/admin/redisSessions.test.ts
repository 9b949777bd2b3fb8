/** Sessions kept in Redis are listed and ended through the administration API like any others. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { postJson, seedAccount, startTestServer } from '../helpers/server.js';

const redisUrl = process.env.TEST_REDIS_URL;

test('sessions in Redis: listed and ended over HTTP', { skip: redisUrl ? false : 'TEST_REDIS_URL is not set' }, async () => {
  const server = await startTestServer({ env: { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: `test-admin-${randomBytes(4).toString('hex')}:` } });
  try {
    assert.equal(server.stores.backend, 'sqlite+redis');
    const seeded = await seedAccount(server, '123456');
    const admin = await postJson(`${server.baseUrl}/api/account/123456/login`, { username: seeded.human.loginName, password: seeded.human.password });
    const bearer = admin.json.bearer as string;
    const api = `${server.baseUrl}/api/account/123456/configuration`;
    const auth = { authorization: `Bearer ${bearer}` };
    const listed = await (await fetch(`${api}/sessions`, { headers: auth })).json();
    assert.deepEqual(listed.map((s: { loginName: string }) => s.loginName), ['Agent.Smith']);
    const ended = await fetch(`${api}/sessions?all=true`, { method: 'DELETE', headers: auth });
    assert.deepEqual(await ended.json(), { sessionsEnded: 1 });
    assert.equal((await fetch(`${api}/sessions`, { headers: auth })).status, 401, 'the administrator\'s own session ended too');
  } finally {
    await server.close();
  }
});
