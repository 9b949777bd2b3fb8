/**
 * The client owns the wire protocol; the server keeps its own copies of the
 * few run-time pieces (it may not load the client package at run time).
 * These tests keep the two in step.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from '@login-service/client/protocol';
import { errors as domainErrors } from '../../src/errors.js';
import * as serverErrors from '../../src/http/errors.js';
import { bearerToken as serverBearerToken } from '../../src/http/request.js';

describe('wire protocol: client and server agree', () => {
  test('the same internal codes', () => {
    assert.deepEqual({ ...serverErrors.InternalCode }, { ...client.InternalCode });
  });

  test('the same error bodies, time included, in any zone', () => {
    const at = Date.UTC(2016, 8, 22, 13, 10, 15);
    for (const zone of ['UTC', 'Europe/Athens', 'America/New_York']) {
      const fromServer = serverErrors.createErrorBodyFactory(zone);
      const fromClient = client.createErrorBodyFactory(zone);
      for (const status of [400, 401, 404, 413, 429, 500, 503, 418, 599]) {
        assert.deepEqual(fromClient(status, 23, 'message', at), fromServer(status, 23, 'message', at), `${zone} ${status}`);
      }
    }
    assert.equal(client.createErrorBodyFactory('UTC')(401, 23, 'm', at).error.time, 'Sep 22, 2016 1:10:15 PM');
  });

  test('the same 401 for a bad bearer', () => {
    const invalid = serverErrors.httpError(domainErrors.bearerInvalid());
    assert.equal(invalid.internalCode, client.InternalCode.BEARER_INVALID);
    assert.equal(invalid.message, client.BEARER_INVALID_MESSAGE);
  });

  test('the same reading of an Authorization header', () => {
    const headers = [undefined, '', 'Bearer abc', 'bearer abc', 'Bearer  abc  ', 'Bearer a.b-c_d~e+f/g==', 'Basic abc', 'Bearer', 'Bearer a b', `Bearer ${'x'.repeat(512)}`, `Bearer ${'x'.repeat(513)}`, `Bearer ${'x'.repeat(4096)}`, `Bearer ${'x'.repeat(4097)}`, 'Bearer é'];
    for (const header of headers) assert.equal(client.bearerToken(header), serverBearerToken(header), String(header));
  });
});
