import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidTimeZone, zoneOffsetMs } from '../src/timezones.js';

const HOUR = 3600_000;

test('offsets follow daylight-saving transitions to the minute, cache or not', () => {
  for (let round = 0; round < 2; round++) {
    assert.equal(zoneOffsetMs('Europe/Athens', Date.UTC(2026, 2, 29, 0, 59, 59)), 2 * HOUR);
    assert.equal(zoneOffsetMs('Europe/Athens', Date.UTC(2026, 2, 29, 1, 0, 0)), 3 * HOUR);
    assert.equal(zoneOffsetMs('America/New_York', Date.UTC(2026, 10, 1, 5, 59, 59)), -4 * HOUR);
    assert.equal(zoneOffsetMs('America/New_York', Date.UTC(2026, 10, 1, 6, 0, 0)), -5 * HOUR);
    // Lord Howe moves by half an hour; Kolkata and Kathmandu are off the hour.
    assert.equal(zoneOffsetMs('Australia/Lord_Howe', Date.UTC(2026, 3, 4, 14, 59, 59)), 11 * HOUR);
    assert.equal(zoneOffsetMs('Australia/Lord_Howe', Date.UTC(2026, 3, 4, 15, 0, 0)), 10.5 * HOUR);
    assert.equal(zoneOffsetMs('Asia/Kolkata', Date.UTC(2026, 5, 1)), 5.5 * HOUR);
    assert.equal(zoneOffsetMs('Asia/Kathmandu', Date.UTC(2026, 5, 1)), 5.75 * HOUR);
    assert.equal(zoneOffsetMs('UTC', Date.UTC(2026, 5, 1)), 0);
  }
});

test('only IANA zone names are valid', () => {
  assert.ok(isValidTimeZone('Europe/Athens'));
  assert.ok(isValidTimeZone('UTC'));
  for (const bad of ['', 'Mars/Olympus', 'Europe/Athens\n', 'x'.repeat(100)]) assert.equal(isValidTimeZone(bad), false, bad);
});
