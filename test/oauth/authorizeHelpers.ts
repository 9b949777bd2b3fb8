/**
 * What the authorization-endpoint tests share: an installation made through
 * the store, a loopback "client" that records what comes back to its
 * redirect URI, and the URLs of the endpoint.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { issueApiKey } from '../../src/directory/apiKeys.js';
import { defaultInstallation, type InstallationFields } from '../../src/oauth/model.js';
import { actionContext } from '../helpers/actions.js';
import type { TestServer } from '../helpers/server.js';

export interface Installed {
  clientId: string;
  clientSecret: string | null;
}

/** An installation of `fields` on the account, as an `oauth2` API key with its OAuth view. */
export async function installApp(server: TestServer, accountId: string, fields: Partial<InstallationFields>): Promise<Installed> {
  const { key, issued } = await issueApiKey(actionContext(server.stores, server.services.clock), accountId, fields.clientName ?? 'Test app', 'oauth2');
  const installation: InstallationFields = { ...defaultInstallation(key.name, server.clock.now()), grantTypes: ['authorization_code', 'refresh_token'], ...fields };
  const isPublic = installation.tokenEndpointAuthMethod === 'none';
  const updated = await server.stores.apiKeys.updateApiKey(accountId, key.appKey, { installation, ...(isPublic ? { secretHash: '' } : {}) });
  if (!updated) throw new Error('installation not stored');
  return { clientId: key.appKey, clientSecret: isPublic ? null : issued.secret };
}

/** A loopback redirect URI served by the test: records every query that arrives. */
export interface CallbackServer {
  redirectUri: string;
  origin: string;
  received: URLSearchParams[];
  close(): Promise<void>;
}

export async function startCallbackServer(path = '/callback'): Promise<CallbackServer> {
  const received: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === path) received.push(url.searchParams);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Back at the application</title><p>Back at the application</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const origin = `http://127.0.0.1:${port}`;
  return {
    redirectUri: `${origin}${path}`,
    origin,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function authorizeUrl(server: TestServer, accountId: string, params: Record<string, string>): string {
  const url = new URL(`${server.baseUrl}/sentinel/api/account/${accountId}/authorize`);
  for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value);
  return url.href;
}

/** The issuer the endpoint names in `iss`. */
export function issuerOf(server: TestServer, accountId: string): string {
  return `http://${server.config.publicHost}/sentinel/api/account/${accountId}`;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** GET without following redirects. */
export function getManual(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers });
}
