/**
 * Answers for connections that never become a request: malformed HTTP, headers
 * too large, or a client too slow to send its headers or body (slowloris; Node
 * raises these at the server's headersTimeout and requestTimeout). They get the
 * API's error shape like every other failure, and the connection is closed.
 *
 * Logged without the error's `rawPacket`: it is the raw bytes the client sent,
 * Authorization header, cookie and login body included.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { InternalCode, createErrorBodyFactory } from './errors.js';

interface ConnectionError extends Error {
  code?: string;
}

export function clientErrorHandler(clock: Clock, serverTimeZone: string, logger: Logger) {
  const errorBody = createErrorBodyFactory(serverTimeZone);
  return (error: ConnectionError, socket: Socket): void => {
    // The client is already gone: nothing to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, reason, message] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'Request timeout: the request did not arrive in time']
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'Bad request: request headers too large']
          : [400, 'Bad Request', 'Bad request: malformed HTTP request'];
    logger.debug({ code: error.code, status }, 'connection refused before routing');
    if (socket.writable) {
      const body = JSON.stringify(errorBody(status, InternalCode.BAD_REQUEST, message, clock.now()));
      socket.write(
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
