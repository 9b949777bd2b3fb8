/**
 * A small local HTTP server that plays the Login Service from a script: each
 * route answers from its queue (e.g. 500, 500, then 200), so tests can stage
 * outages and count the calls that reach it.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = 'login' | 'refresh' | 'logout' | 'session' | 'domain';

/** A status (with a canned body), a full answer, or 'drop' to cut the connection. */
export type Answer = number | { status: number; body?: unknown; headers?: Record<string, string> } | 'drop';

export interface RecordedRequest {
  route: Route | 'other';
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ScriptedServer {
  host: string;
  baseUrl: string;
  requests: RecordedRequest[];
  /** Answers still queued per route; when a queue is empty the route answers `otherwise[route]`. */
  script: Partial<Record<Route, Answer[]>>;
  otherwise: Partial<Record<Route, Answer>>;
  count(route: Route): number;
  close(): Promise<void>;
}

let loginCount = 0;

/** A login body shaped like the real one, with fresh tokens each time. */
export function fakeLoginBody() {
  loginCount++;
  const token = (c: string) => c.repeat(63) + String(loginCount % 10);
  return {
    csrf: token('c'),
    wsuk: '123',
    config: { loginName: 'bot-1', userId: '1', userPid: 'p', userPrivileges: [], serverCurrentTime: 0, timeDiff: 0, serverTimeZoneName: 'UTC', serverTimeGMTDiff: 0, isLPA: false, isAdmin: false, accountTimeZoneId: 'UTC' },
    csdsCollectionResponse: { baseURIs: [] },
    accountData: { agentGroupsData: { items: [], revision: 1 } },
    sessionTTl: '28800000',
    bearer: token('b'),
    sessionId: token('a'),
  };
}

const errorBody = (status: number, internalCode: number) => ({
  error: { time: 'Jun 1, 2026 12:00:00 PM', message: `status ${status}`, internalCode, responseStatus: String(status) },
});

function routeOf(url: string): Route | 'other' {
  const path = url.split('?')[0]!;
  if (path.endsWith('/login')) return 'login';
  if (path.endsWith('/refresh')) return 'refresh';
  if (path.endsWith('/logout')) return 'logout';
  if (path.endsWith('/session')) return 'session';
  if (path.endsWith('/baseURI.json')) return 'domain';
  return 'other';
}

export async function startScriptedServer(): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const script: Partial<Record<Route, Answer[]>> = {};
  const otherwise: Partial<Record<Route, Answer>> = { login: 200, refresh: 200, logout: 200, session: 401 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const route = routeOf(req.url ?? '');
      requests.push({ route, method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const answer = route === 'other' ? 404 : (script[route]?.shift() ?? otherwise[route] ?? 404);
      if (answer === 'drop') return void req.socket.destroy();
      const { status, body: payload, headers } = typeof answer === 'number' ? { status: answer, body: undefined, headers: undefined } : answer;
      let out = payload;
      if (out === undefined && status === 200 && route === 'login') out = fakeLoginBody();
      if (out === undefined && status >= 400) out = errorBody(status, status === 401 ? 22 : status >= 500 ? 50 : 1);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(out === undefined ? '' : JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    script,
    otherwise,
    count: (route) => requests.filter((r) => r.route === route).length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
