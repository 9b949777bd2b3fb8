/** Fixtures of the authorization server's tests: a server whose issuer is its real address, installations and codes. */
import { createHash, randomBytes } from 'node:crypto';
import { ManualClock } from '../../src/clock.js';
import { issueApiKey } from '../../src/directory/apiKeys.js';
import { defaultInstallation, type InstallationFields } from '../../src/oauth/model.js';
import { newAuthorizationCode } from '../../src/oauth/grants.js';
import { actionContext } from '../helpers/actions.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.js';

/**
 * A test server whose PUBLIC_HOST is the address it listens on, so issuers
 * are reachable URLs, and whose clock starts at the real time: openid-client
 * checks ID tokens against the real clock.
 */
export async function startOAuthServer(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer({ clock: new ManualClock(Date.now()), ...options });
  server.config.publicHost = `127.0.0.1:${server.port}`;
  return server;
}

export const issuerOf = (server: TestServer, accountId: string) => `${server.baseUrl}/sentinel/api/account/${accountId}`;

export interface TestInstallation {
  clientId: string;
  secret: string;
}

/** An installation (an oauth2 API key with OAuth fields), made through the API-key action and the store. */
export async function install(server: Pick<TestServer, 'stores' | 'services'>, accountId: string, fields: Partial<InstallationFields> = {}): Promise<TestInstallation> {
  const ctx = actionContext(server.stores, server.services.clock);
  const name = fields.clientName ?? `app-${randomBytes(4).toString('hex')}`;
  const { issued } = await issueApiKey(ctx, accountId, name, 'oauth2');
  const installation = { ...defaultInstallation(name, server.services.clock.now()), ...fields };
  await server.stores.apiKeys.updateApiKey(accountId, issued.appKey, {
    installation,
    ...(installation.tokenEndpointAuthMethod === 'none' ? { secretHash: '' } : {}),
  });
  return { clientId: issued.appKey, secret: issued.secret };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A code as the authorization endpoint makes one, saved in the store; returns its plaintext. */
export async function issueCode(
  server: Pick<TestServer, 'stores' | 'services'>,
  input: { accountId: string; clientId: string; userId: string; redirectUri: string; scope: string; nonce?: string | null; codeChallenge?: string | null; amr?: string[] },
): Promise<string> {
  const now = server.services.clock.now();
  const { code, stored } = newAuthorizationCode(
    { accountId: input.accountId, clientId: input.clientId, userId: input.userId, redirectUri: input.redirectUri, scope: input.scope, nonce: input.nonce ?? null, codeChallenge: input.codeChallenge ?? null, authTime: now, amr: input.amr ?? ['pwd'] },
    now,
  );
  await server.stores.oauth.saveCode(stored);
  return code;
}

export const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${encodeURIComponent(user)}:${encodeURIComponent(pass)}`).toString('base64')}`;

/** POST a form; returns status, headers and parsed JSON (or undefined). */
export async function postForm(url: string, form: Record<string, string> | string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, headers: res.headers, json, text };
}
