import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addressAllowed, addressInRanges, parseAllowlist, parseRange, parseRangeText } from '../../src/security/networks.js';
import { networkAllowed, parseAccessControlInput } from '../../src/accounts/accessControl.js';
import { InvalidInputError } from '../../src/errors.js';

const within = (ranges: Parameters<typeof parseRange>[0][], ip: string) => addressInRanges(ranges.map((r) => parseRange(r)), ip);

describe('address ranges', () => {
  test('an IPv4 range FROM-TO holds its ends and what lies between, nothing outside', () => {
    const r = [{ from: '10.0.0.10', to: '10.0.1.5' }];
    for (const ip of ['10.0.0.10', '10.0.0.255', '10.0.1.0', '10.0.1.5']) assert.equal(within(r, ip), true, ip);
    for (const ip of ['10.0.0.9', '10.0.1.6', '11.0.0.10', '::1']) assert.equal(within(r, ip), false, ip);
  });

  test('IPv4 CIDR blocks, host bits ignored', () => {
    assert.equal(within([{ cidr: '192.168.4.0/22' }], '192.168.7.255'), true);
    assert.equal(within([{ cidr: '192.168.4.0/22' }], '192.168.8.0'), false);
    assert.equal(within([{ cidr: '192.168.4.77/24' }], '192.168.4.1'), true);
    assert.equal(within([{ cidr: '203.0.113.9/32' }], '203.0.113.9'), true);
    assert.equal(within([{ cidr: '203.0.113.9/32' }], '203.0.113.8'), false);
    assert.equal(within([{ cidr: '0.0.0.0/0' }], '8.8.8.8'), true);
  });

  test('IPv6 CIDR blocks and ranges', () => {
    assert.equal(within([{ cidr: '2001:db8::/32' }], '2001:db8:ffff::1'), true);
    assert.equal(within([{ cidr: '2001:db8::/32' }], '2001:db9::1'), false);
    assert.equal(within([{ from: '2001:db8::10', to: '2001:db8::20' }], '2001:db8::1f'), true);
    assert.equal(within([{ from: '2001:db8::10', to: '2001:db8::20' }], '2001:db8::21'), false);
    // An IPv6 block never holds an IPv4 client, nor the reverse.
    assert.equal(within([{ cidr: '::/0' }], '10.0.0.1'), false);
  });

  test('an IPv4-mapped IPv6 client address matches as its IPv4 address', () => {
    assert.equal(within([{ cidr: '10.0.0.0/8' }], '::ffff:10.1.2.3'), true);
    assert.equal(within([{ cidr: '10.0.0.0/8' }], '::ffff:11.1.2.3'), false);
  });

  test('mixed families, reversed ranges, loose IPv4 forms and bad prefixes are refused', () => {
    assert.throws(() => parseRange({ from: '10.0.0.1', to: '2001:db8::1' }), (e: Error) => e instanceof InvalidInputError && /one family/.test(e.message));
    assert.throws(() => parseRange({ from: '10.0.0.9', to: '10.0.0.1' }), /must not come after/);
    for (const bad of ['10.1', '0x0a.0.0.1', '010.0.0.1', '10.0.0.256', 'fe80::1%eth0', 'example.com', '']) {
      assert.throws(() => parseRange({ from: bad, to: '10.0.0.1' }), InvalidInputError, bad);
    }
    for (const bad of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/x', '/8']) assert.throws(() => parseRange({ cidr: bad }), InvalidInputError, bad);
    assert.throws(() => parseRange({ cidr: '10.0.0.0/8', from: '10.0.0.1', to: '10.0.0.2' }), /either from and to, or cidr/);
  });

  test('allowlist entries: a single address, FROM-TO, CIDR; empty allows all', () => {
    assert.deepEqual(parseRangeText('10.0.0.1'), { family: 'ipv4', first: 0x0a000001n, last: 0x0a000001n });
    assert.deepEqual(parseAllowlist([' 10.0.0.1 ', '10.0.0.1', '10.0.0.5-10.0.0.9', '2001:db8::/48']), ['10.0.0.1', '10.0.0.5-10.0.0.9', '2001:db8::/48']);
    assert.throws(() => parseAllowlist(['10.0.0.9-10.0.0.5']), /ipAllowlist\[0\]/);
    assert.throws(() => parseAllowlist([42]), /must be a string/);
    assert.throws(() => parseAllowlist(Array(101).fill('10.0.0.1')), /at most 100/);
    const list = ['10.0.0.1', '10.0.0.5-10.0.0.9', '2001:db8::/48'];
    for (const ip of ['10.0.0.1', '10.0.0.7', '2001:db8:0:ffff::1']) assert.equal(addressAllowed(list, ip), true, ip);
    for (const ip of ['10.0.0.2', '10.0.0.10', '2001:db8:1::1']) assert.equal(addressAllowed(list, ip), false, ip);
    assert.equal(addressAllowed([], '1.2.3.4'), true);
    assert.equal(addressAllowed(undefined, '1.2.3.4'), true);
  });
});

describe('access-control settings', () => {
  const valid = { mfa: 'optional', mfaForSso: true, ipRestrictions: { enabled: true, ranges: [{ from: '10.0.0.0', to: '10.0.0.255', description: 'HQ' }, { cidr: '2001:db8::/32' }] }, deactivateAfterDays: 90 };

  test('a valid object is accepted as given, and governs who may log in', () => {
    const parsed = parseAccessControlInput(valid);
    assert.deepEqual(parsed, valid);
    assert.equal(networkAllowed(parsed, '10.0.0.200'), true);
    assert.equal(networkAllowed(parsed, '2001:db8::5'), true);
    assert.equal(networkAllowed(parsed, '10.0.1.0'), false);
    assert.equal(networkAllowed({ ipRestrictions: { ...valid.ipRestrictions, enabled: false } }, '10.0.1.0'), true);
  });

  test('each wrong field is named', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...valid, mfa: 'sometimes' }, /mfa must be one of off, optional, required/],
      [{ ...valid, mfaForSso: 'yes' }, /mfaForSso/],
      [{ ...valid, deactivateAfterDays: -1 }, /deactivateAfterDays/],
      [{ ...valid, deactivateAfterDays: 1.5 }, /deactivateAfterDays/],
      [{ ...valid, extra: 1 }, /unknown field accessControl.extra/],
      [{ ...valid, ipRestrictions: { enabled: true, ranges: [] } }, /at least one range/],
      [{ ...valid, ipRestrictions: { enabled: false, ranges: Array(101).fill({ cidr: '10.0.0.0/8' }) } }, /at most 100 ranges/],
      [{ ...valid, ipRestrictions: { enabled: false, ranges: [{ cidr: '10.0.0.0/8', description: 'x'.repeat(257) }] } }, /ranges\[0\].description/],
      [{ ...valid, ipRestrictions: { enabled: false, ranges: [{ from: '10.0.0.1', to: '::1' }] } }, /ranges\[0\]: from and to must be of one family/],
    ];
    for (const [input, message] of cases) assert.throws(() => parseAccessControlInput(input), (e: Error) => e instanceof InvalidInputError && message.test(e.message), String(message));
  });
});
