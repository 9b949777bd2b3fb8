import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seedAccount, startTestServer, type TestServer } from '../helpers/server.js';

describe('Domain API', () => {
  let server: TestServer;
  const get = async (path: string) => {
    const res = await fetch(`${server.baseUrl}${path}`);
    return { status: res.status, json: (await res.json()) as any };
  };

  before(async () => {
    server = await startTestServer({ env: { PUBLIC_HOST: 'va.login.example.test' } });
    await seedAccount(server);
    await seedAccount(server, '777');
    await server.stores.accounts.setServiceBaseURI('123456', 'asyncMessagingEnt', 'va.msg.example.test');
    await server.stores.accounts.setServiceBaseURI('123456', 'smt', 'va.smt.example.test:8443');
  });
  after(() => server.close());

  test('one service: agentVep points at this server by default', async () => {
    const res = await get('/api/account/123456/service/agentVep/baseURI.json?version=1.0');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { service: 'agentVep', account: '123456', baseURI: 'va.login.example.test' });
  });

  test('one service: an added service, with or without the version parameter', async () => {
    assert.deepEqual((await get('/api/account/123456/service/smt/baseURI.json?version=1.0')).json, { service: 'smt', account: '123456', baseURI: 'va.smt.example.test:8443' });
    assert.equal((await get('/api/account/123456/service/smt/baseURI.json')).status, 200);
  });

  test('all services of the account, sorted, agentVep included', async () => {
    const res = await get('/api/account/123456/service/baseURI.json?version=1.0');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, {
      baseURIs: [
        { account: '123456', baseURI: 'va.login.example.test', service: 'agentVep' },
        { account: '123456', baseURI: 'va.msg.example.test', service: 'asyncMessagingEnt' },
        { account: '123456', baseURI: 'va.login.example.test', service: 'sentinel' },
        { account: '123456', baseURI: 'va.smt.example.test:8443', service: 'smt' },
      ],
    });
    assert.deepEqual((await get('/api/account/777/service/baseURI.json?version=1.0')).json.baseURIs.map((b: any) => b.service), ['agentVep', 'sentinel']);
  });

  test('sentinel (the OAuth 2.0 authorization server) points at this server until an administrator moves it', async () => {
    assert.deepEqual((await get('/api/account/777/service/sentinel/baseURI.json?version=1.0')).json, { service: 'sentinel', account: '777', baseURI: 'va.login.example.test' });
    await server.stores.accounts.setServiceBaseURI('777', 'sentinel', 'sentinel.example.test:8443');
    assert.equal((await get('/api/account/777/service/sentinel/baseURI.json?version=1.0')).json.baseURI, 'sentinel.example.test:8443');
    const all = (await get('/api/account/777/service/baseURI.json?version=1.0')).json.baseURIs;
    assert.deepEqual(all.filter((b: any) => b.service === 'sentinel'), [{ account: '777', baseURI: 'sentinel.example.test:8443', service: 'sentinel' }]);
    await server.stores.accounts.deleteServiceBaseURI('777', 'sentinel');
    assert.equal((await get('/api/account/777/service/sentinel/baseURI.json?version=1.0')).json.baseURI, 'va.login.example.test');
  });

  test('an administrator can point agentVep elsewhere', async () => {
    await server.stores.accounts.setServiceBaseURI('777', 'agentVep', 'eu.login.example.test');
    assert.equal((await get('/api/account/777/service/agentVep/baseURI.json?version=1.0')).json.baseURI, 'eu.login.example.test');
  });

  test('service names are case-sensitive; an unknown service is 404 in the error shape', async () => {
    const res = await get('/api/account/123456/service/AGENTVEP/baseURI.json?version=1.0');
    assert.equal(res.status, 404);
    assert.equal(res.json.error.responseStatus, 'NOT_FOUND');
    assert.equal(res.json.error.internalCode, 30);
  });

  test('an unknown account is 401 on both forms', async () => {
    for (const path of ['/api/account/424242/service/agentVep/baseURI.json?version=1.0', '/api/account/424242/service/baseURI.json?version=1.0']) {
      const res = await get(path);
      assert.equal(res.status, 401);
      assert.equal(res.json.error.internalCode, 24);
    }
  });

  test('an unsupported Domain API version is 400', async () => {
    const res = await get('/api/account/123456/service/baseURI.json?version=9');
    assert.equal(res.status, 400);
    assert.equal(res.json.error.responseStatus, 'BAD_REQUEST');
  });
});

describe('OpenAPI document', () => {
  test('describes every endpoint of the contract from the route schemas', async () => {
    const server = await startTestServer();
    try {
      const res = await fetch(`${server.baseUrl}/openapi.json`);
      assert.equal(res.status, 200);
      const doc: any = await res.json();
      assert.match(doc.openapi, /^3\./);
      const paths = doc.paths;
      assert.ok(paths['/api/account/{accountId}/login'].post);
      assert.ok(paths['/api/account/{accountId}/refresh'].post);
      assert.ok(paths['/api/account/{accountId}/logout'].post);
      assert.ok(paths['/api/account/{accountId}/session'].get);
      assert.ok(paths['/api/account/{accountId}/service/baseURI.json'].get);
      assert.ok(paths['/api/account/{accountId}/service/{serviceName}/baseURI.json'].get);
      const login = paths['/api/account/{accountId}/login'].post;
      const bodySchema = login.requestBody.content['application/json'].schema;
      assert.deepEqual(Object.keys(bodySchema.properties).sort(), ['accessToken', 'accessTokenSecret', 'appKey', 'assertion', 'jwt', 'mfaToken', 'otp', 'passkey', 'password', 'recoveryCode', 'secret', 'username']);
      assert.ok(login.responses['200'].content['application/json'].schema.properties.bearer);
      assert.ok(login.responses['401']);
      assert.ok(login.parameters.some((p: any) => p.name === 'v' && p.in === 'query'));
    } finally {
      await server.close();
    }
  });
});
