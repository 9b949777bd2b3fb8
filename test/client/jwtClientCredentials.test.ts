/**
 * The client-credentials helper against a local token endpoint over a real
 * socket: how it authenticates (Basic or form body), that it keeps its token
 * and renews it before expiry, that concurrent callers share one request, and
 * that RFC 6749 errors arrive typed. The same against the real server is in
 * jwtServer.test.ts.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginServiceError, OAuthError, clientCredentials, type ClientCredentialsOptions } from '@login-service/client';
import { startLocalIssuer, type LocalIssuer } from './localIssuer.js';

describe('clientCredentials', () => {
  let issuer: LocalIssuer;
  let issued = 0;
  let expiresIn = 3600;
  let delayMs = 0;

  before(async () => {
    issuer = await startLocalIssuer();
  });
  after(async () => {
    await issuer.close();
  });
  beforeEach(() => {
    issuer.tokenRequests.length = 0;
    issuer.counts.token = 0;
    expiresIn = 3600;
    delayMs = 0;
    issuer.tokenAnswer = async () => {
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      issued++;
      return { status: 200, body: { access_token: `token-${issued}`, token_type: 'Bearer', expires_in: expiresIn, scope: 'users.read' } };
    };
  });

  const helper = (extra: Partial<ClientCredentialsOptions> = {}) =>
    clientCredentials({ serviceUrl: issuer.baseUrl, accountId: issuer.accountId, clientId: 'app 1:x', clientSecret: 's3cr+t/é', ...extra });

  test('Basic authentication (the default): form-encoded id and secret, grant and scope in the body, to {base}/app/token?v=1.0', async () => {
    const token = await helper({ scope: ['users.read', 'events.read'] }).getTokenInfo();
    assert.equal(token.accessToken, `token-${issued}`);
    assert.equal(token.scope, 'users.read');
    const [request] = issuer.tokenRequests;
    assert.equal(request!.url, `/sentinel/api/account/${issuer.accountId}/app/token?v=1.0`);
    const basic = Buffer.from(request!.headers.authorization!.replace(/^Basic /, ''), 'base64').toString();
    assert.equal(basic, 'app+1%3Ax:s3cr%2Bt%2F%C3%A9', 'RFC 6749 §2.3.1 encoding');
    const form = new URLSearchParams(request!.body);
    assert.equal(form.get('grant_type'), 'client_credentials');
    assert.equal(form.get('scope'), 'users.read events.read');
    assert.equal(form.get('client_secret'), null, 'the secret is not in the body too');
    assert.equal(request!.headers['content-type'], 'application/x-www-form-urlencoded');
  });

  test("authMethod 'post': id and secret in the form body, no Authorization header", async () => {
    await helper({ authMethod: 'post', tokenUrl: `${issuer.baseUrl}/sentinel/api/account/${issuer.accountId}/app/token?v=2.0` }).getToken();
    const [request] = issuer.tokenRequests;
    assert.equal(request!.url.endsWith('v=2.0'), true);
    assert.equal(request!.headers.authorization, undefined);
    const form = new URLSearchParams(request!.body);
    assert.equal(form.get('client_id'), 'app 1:x');
    assert.equal(form.get('client_secret'), 's3cr+t/é');
  });

  test('the token is kept until shortly before its expiry, then renewed', async () => {
    let clock = Date.now();
    const credentials = helper({ now: () => clock, renewBeforeMs: 60_000 });
    const first = await credentials.getToken();
    assert.equal(await credentials.getToken(), first);
    clock += 3600_000 - 61_000;
    assert.equal(await credentials.getToken(), first, 'still more than the margin left');
    assert.equal(issuer.counts.token, 1);
    clock += 2_000;
    const second = await credentials.getToken();
    assert.notEqual(second, first, 'renewed within the margin, before exp');
    assert.equal(issuer.counts.token, 2);
    assert.equal(await credentials.getToken(), second);
    credentials.invalidate();
    assert.notEqual(await credentials.getToken(), second, 'invalidate() forgets it');
    assert.equal(issuer.counts.token, 3);
  });

  test('a short-lived token is renewed at half its life at the latest', async () => {
    expiresIn = 60;
    let clock = Date.now();
    const credentials = helper({ now: () => clock, renewBeforeMs: 600_000 });
    const first = await credentials.getToken();
    clock += 29_000;
    assert.equal(await credentials.getToken(), first);
    clock += 2_000;
    assert.notEqual(await credentials.getToken(), first);
  });

  test('concurrent callers share one request (single-flight)', async () => {
    delayMs = 100;
    const credentials = helper();
    const tokens = await Promise.all(Array.from({ length: 25 }, () => credentials.getToken()));
    assert.equal(issuer.counts.token, 1);
    assert.equal(new Set(tokens).size, 1);
  });

  test('RFC 6749 errors arrive as an OAuthError with the error code; nothing is kept', async () => {
    issuer.tokenAnswer = () => ({ status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
    const credentials = helper();
    await assert.rejects(credentials.getToken(), (error: unknown) => {
      assert.ok(error instanceof OAuthError);
      assert.equal(error.error, 'invalid_client');
      assert.equal(error.errorDescription, 'client authentication failed');
      assert.equal(error.status, 401);
      return true;
    });
    issuer.tokenAnswer = () => ({ status: 400, body: { error: 'invalid_scope' } });
    await assert.rejects(credentials.getToken(), (error: unknown) => error instanceof OAuthError && error.error === 'invalid_scope');
    assert.equal(issuer.counts.token, 2, 'a failure is not kept: the next call asks again');
    issuer.tokenAnswer = () => ({ status: 502, body: 'Bad gateway' });
    await assert.rejects(credentials.getToken(), (error: unknown) => error instanceof OAuthError && error.error === 'server_error' && error.status === 502);
    issuer.tokenAnswer = () => ({ status: 200, body: { token_type: 'Bearer' } });
    await assert.rejects(credentials.getToken(), (error: unknown) => error instanceof OAuthError && error.error === 'invalid_response');
  });

  test('no answer: a retryable LoginServiceError', async () => {
    const credentials = clientCredentials({ tokenUrl: 'http://127.0.0.1:1/token', clientId: 'a', clientSecret: 'b' });
    await assert.rejects(credentials.getToken(), (error: unknown) => error instanceof LoginServiceError && error.retryable && error.status === null);
  });

  test('options that cannot work are refused at once', () => {
    assert.throws(() => clientCredentials({ clientId: 'a', clientSecret: 'b' }), TypeError);
    assert.throws(() => clientCredentials({ tokenUrl: 'http://x/token', clientId: '', clientSecret: 'b' }), TypeError);
    assert.throws(() => clientCredentials({ tokenUrl: 'http://x/token', clientId: 'a', clientSecret: 'b', authMethod: 'jwt' as 'basic' }), TypeError);
  });
});
