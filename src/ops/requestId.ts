/**
 * Request ids: taken from `X-Request-Id` when a proxy or client sent a sane
 * one, so one id follows a request through every hop; generated otherwise.
 * The id is bound to the request's logger (`reqId`) and echoed in the
 * response header.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Visible ASCII without quotes, backslashes or spaces, at most 128 characters:
 * enough for UUIDs, ULIDs and tracing ids, and nothing that could forge a log
 * line or smuggle a header.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function saneRequestId(value: string | string[] | undefined): string | null {
  return typeof value === 'string' && SANE_REQUEST_ID.test(value) ? value : null;
}

/** For Fastify's `genReqId` option. */
export function requestIdFor(request: IncomingMessage): string {
  return saneRequestId(request.headers[REQUEST_ID_HEADER]) ?? randomUUID();
}
