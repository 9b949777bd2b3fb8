/**
 * Calls to the administration API (`/api/account/{id}/configuration/…`) with
 * the session's bearer. A 401 means the session is gone: the console says so.
 * Every other failure becomes an ApiError carrying the server's message.
 */
import type { ConsoleSession } from './session.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiResponse<T> {
  body: T;
  /** The resource's revision (`ac-revision`), for `If-Match` on the next write. */
  revision: string | null;
  /** The answer's headers (e.g. `ac-next-cursor` of a page of events). */
  headers: Headers;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export class AdminApi {
  constructor(private readonly session: ConsoleSession) {}

  /** The signed-in account's id; '' when signed out. */
  get accountId(): string {
    return this.session.signedIn?.accountId ?? '';
  }

  async call<T>(method: string, path: string, options: { query?: Query; body?: unknown; ifMatch?: string | null } = {}): Promise<ApiResponse<T>> {
    const who = this.session.signedIn;
    const bearer = this.session.bearer;
    if (!who || !bearer) throw new ApiError(401, 'Not signed in.');
    const url = new URL(`/api/account/${encodeURIComponent(who.accountId)}/configuration/${path}`, location.origin);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${bearer}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.ifMatch) headers['if-match'] = options.ifMatch;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'The server could not be reached.');
    }
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (response.status === 401) {
      this.session.end('Your session has ended. Sign in again to continue.');
      throw new ApiError(401, 'Your session has ended.');
    }
    if (!response.ok) throw new ApiError(response.status, errorMessage(response.status, body));
    return { body: body as T, revision: response.headers.get('ac-revision'), headers: response.headers };
  }

  /** A call to the signed-in person's own resources (`/api/account/{id}/{path}?v=1.0`, e.g. `mfa`). */
  async own<T>(method: string, path: string, body?: unknown): Promise<T> {
    const who = this.session.signedIn;
    const bearer = this.session.bearer;
    if (!who || !bearer) throw new ApiError(401, 'Not signed in.');
    return ownCall<T>(who.accountId, method, path, body, bearer);
  }

  get<T>(path: string, query?: Query) {
    return this.call<T>('GET', path, { query });
  }
}

/**
 * A call to a person's own resources, authenticated by a bearer or (enrolment
 * during sign-in) by an enrollToken in the body.
 */
export async function ownCall<T>(accountId: string, method: string, path: string, body: unknown, bearer: string | null): Promise<T> {
  const url = new URL(`/api/account/${encodeURIComponent(accountId)}/${path}?v=1.0`, location.origin);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'The server could not be reached.');
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, errorMessage(response.status, parsed));
  return parsed as T;
}

function errorMessage(status: number, body: unknown): string {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  if (typeof message === 'string' && message) return message;
  if (status === 403) return 'Only administrators of this account may do that.';
  if (status === 404) return 'Not found: it may have been deleted meanwhile.';
  if (status === 409) return 'It is still in use.';
  if (status === 412) return 'Someone else changed it meanwhile; reload and try again.';
  return `The server answered ${status}.`;
}

/** Paths of the administration API, with the version each resource speaks. */
export const paths = {
  users: 'le-users/users',
  agentGroups: 'le-users/agentGroups',
  profiles: 'le-users/profiles',
  appKeys: 'app-keys',
  installations: 'app-install/installations',
  baseUris: 'base-uris',
  sessions: 'sessions',
  events: 'events',
  settings: 'settings',
  accessControl: 'access-control',
} as const;

export const versions = { users: '4.0', agentGroups: '2.0', profiles: '4.0', own: '1.0' } as const;
