/** Small shared steps of the security tests: log in, check a bearer, read the audit trail. */
import { postJson, sessionCookie, type TestServer } from '../helpers/server.js';
import type { AuditEvent } from '../../src/events/model.js';

export interface OpenSession {
  sessionId: string;
  csrf: string;
  bearer: string;
}

export function loginUrl(server: Pick<TestServer, 'baseUrl'>, accountId: string): string {
  return `${server.baseUrl}/api/account/${accountId}/login?v=1.3`;
}

export function passwordLogin(server: Pick<TestServer, 'baseUrl'>, accountId: string, username: string, password: string, headers: Record<string, string> = {}) {
  return postJson(loginUrl(server, accountId), { username, password }, headers);
}

/** Logs in and returns the session's three tokens; fails the test when the login does. */
export async function openSession(server: Pick<TestServer, 'baseUrl'>, accountId: string, username: string, password: string): Promise<OpenSession> {
  const res = await passwordLogin(server, accountId, username, password);
  if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${res.text}`);
  return { sessionId: sessionCookie(res.headers)!, csrf: res.json.csrf, bearer: res.json.bearer };
}

/** Status of a bearer check. */
export async function bearerStatus(server: Pick<TestServer, 'baseUrl'>, accountId: string, bearer: string): Promise<number> {
  const res = await fetch(`${server.baseUrl}/api/account/${accountId}/session`, { headers: { authorization: `Bearer ${bearer}` } });
  await res.arrayBuffer();
  return res.status;
}

export function refresh(server: Pick<TestServer, 'baseUrl'>, accountId: string, session: OpenSession) {
  return postJson(`${server.baseUrl}/api/account/${accountId}/refresh?v=1.3`, { csrf: session.csrf }, { cookie: `Session_id=${session.sessionId}` });
}

/** The account's audit events, oldest first. */
export async function auditTrail(server: Pick<TestServer, 'stores'>, accountId: string, type?: string): Promise<AuditEvent[]> {
  const events = (await server.stores.events.listEvents(accountId, { limit: 100_000 })).reverse();
  return type ? events.filter((e) => e.type === type) : events;
}

/** The error body without its time field, for comparing refusals. */
export function errorWithoutTime(json: any): unknown {
  const { time: _time, ...rest } = json?.error ?? {};
  return rest;
}
