import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LoginNameError, caseFold, loginNameKey, loginNameKeyOrNull, planLoginNameKeys, unreachableKey, type NamedUser } from '../../src/users/loginName.js';

/** Fullwidth forms of printable ASCII: U+FF01–FF5E are U+0021–007E shifted. */
const fullwidth = (ascii: string) => [...ascii].map((c) => (c >= '!' && c <= '~' ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c)).join('');

const asciiName = fc.stringMatching(/^[a-zA-Z0-9._@-][a-zA-Z0-9._@+-]{0,30}$/);
/** Names of letters from several scripts, with and without combining marks, in NFC or NFD. */
const letter = fc.constantFrom(...'abcdeéèêëñöøåßæœçAÉÑÖÅÇΣσςΑαΩωДдЖжאבعبकखあアガ漢字0123456789'.split(''), 'e\u0301', 'A\u030a', 'i\u0307');
const unicodeName = fc.array(letter, { minLength: 1, maxLength: 20 }).map((parts) => parts.join(''));
const invisible = fc.constantFrom('\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u034f', '\u180e', '\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\ue000', '\ufe0f');

const key = (name: string) => loginNameKey(name);

describe('login names (RFC 8265, UsernameCaseMapped)', () => {
  test('the reported look-alikes are one name', () => {
    assert.equal(key('ａｄｍｉｎ'), key('admin'));
    assert.equal(key('ＡＤＭＩＮ'), key('admin'));
    assert.equal(key('caf\u00e9'), key('cafe\u0301'));
    assert.equal(key('\u212aate'), key('kate'), 'the Kelvin sign is canonically K');
    assert.equal(key('\u212aate'), 'kate');
    assert.throws(() => key('admin\u200b'), LoginNameError);
  });

  test('case folding is full Unicode folding, not only toLowerCase', () => {
    assert.equal(caseFold('Straße'), 'strasse');
    assert.equal(caseFold('STRA\u1e9eE'), 'strasse');
    assert.equal(key('ΟΔΟΣ'), key('οδος'), 'final sigma folds to σ');
    assert.equal(key('ϐ'.toUpperCase()), key('β'));
    assert.equal(key('\u2126'), key('ω'), 'the Ohm sign is canonically Ω');
    assert.equal(key('\u212b'), key('å'), 'the Angstrom sign is canonically Å');
    assert.notEqual(key('ı'), key('i'), 'dotless i is not a case of i');
    assert.equal(key('Ꭰ'), key('ꭰ'), 'Cherokee folds across its cases');
    assert.equal(key('ｶﾞ'), key('ガ'), 'halfwidth katakana and its voicing mark');
  });

  test('refuses compatibility characters, non-ASCII spaces, punctuation and symbols, and stray spaces', () => {
    for (const name of ['\ufb01le', 'x\u00b2', '\u210cello', '\u00b5', '\u017f', 'a\u00a0b', 'O\u2019Brien', 'smile\u{1f600}', '', ' a', 'a ', 'a  b', 'a\tb', '\u01c5']) {
      assert.throws(() => key(name), LoginNameError, JSON.stringify(name));
      assert.equal(loginNameKeyOrNull(name), null);
    }
    assert.equal(key('John Smith'), 'john smith', 'one space between parts');
    assert.equal(key('a\u3000b'), 'a b', 'the ideographic space is width-mapped');
    assert.throws(() => key('a'.repeat(257)), /at most 256/);
    assert.equal(key('a'.repeat(256)), 'a'.repeat(256));
  });

  test('property: the key is idempotent, NFC, and the same for every case, width and Unicode form', () => {
    fc.assert(
      fc.property(fc.oneof(asciiName, unicodeName), (name) => {
        const k = key(name);
        assert.equal(key(k), k, 'idempotent');
        assert.equal(k, k.normalize('NFC'));
        assert.equal(key(name.normalize('NFD')), k);
        assert.equal(key(name.normalize('NFC')), k);
        assert.equal(key(name.toUpperCase()), k);
        assert.equal(key(name.toLowerCase()), k);
      }),
      { numRuns: 2000 },
    );
  });

  test('property: ASCII names keep their old key (lower case), and fullwidth spellings share it', () => {
    fc.assert(
      fc.property(asciiName, (name) => {
        assert.equal(key(name), name.toLowerCase());
        assert.equal(key(fullwidth(name)), name.toLowerCase());
      }),
      { numRuns: 2000 },
    );
  });

  test('property: an invisible, control or bidi character anywhere makes the name invalid', () => {
    fc.assert(
      fc.property(fc.oneof(asciiName, unicodeName), invisible, fc.nat(), (name, hidden, at) => {
        const chars = [...name];
        const i = at % (chars.length + 1);
        const tampered = [...chars.slice(0, i), hidden, ...chars.slice(i)].join('');
        assert.throws(() => key(tampered), LoginNameError);
      }),
      { numRuns: 2000 },
    );
  });

  test('property: any string either has a valid, stable key or is refused with LoginNameError; never anything else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), (a, b) => {
        for (const name of [a, b]) {
          const k = loginNameKeyOrNull(name);
          if (k !== null) assert.equal(key(k), k);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('planLoginNameKeys (the migration)', () => {
  const u = (userId: string, loginName: string, createdAt: number, accountId = '1'): NamedUser => ({ accountId, userId, loginName, createdAt });

  test('the oldest of a colliding group keeps the name, the others are reported and unreachable; nobody is dropped', () => {
    const users = [
      u('10', 'admin', 1000),
      u('11', 'ａｄｍｉｎ', 2000),
      u('12', 'admin\u200b', 3000),
      u('13', 'caf\u00e9', 5000),
      u('14', 'cafe\u0301', 4000),
      u('15', 'admin', 500, '2'),
      u('16', 'bob', 1000),
    ];
    const { keys, conflicts } = planLoginNameKeys(users);
    assert.equal(keys.size, users.length);
    assert.equal(keys.get('10'), 'admin');
    assert.equal(keys.get('11'), unreachableKey('11'));
    assert.equal(keys.get('12'), unreachableKey('12'));
    assert.equal(keys.get('14'), 'café', 'the older spelling keeps it');
    assert.equal(keys.get('13'), unreachableKey('13'));
    assert.equal(keys.get('15'), 'admin', 'another account');
    assert.equal(keys.get('16'), 'bob');
    const summary = conflicts.map((c) => [c.accountId, c.holder?.userId ?? null, c.others.map((o) => o.userId)]);
    assert.deepEqual(summary.sort(), [
      ['1', '10', ['11']],
      ['1', '14', ['13']],
      ['1', null, ['12']],
    ].sort());
    for (const [, k] of keys) assert.equal(loginNameKeyOrNull(k) === k || k.startsWith('\u0001'), true);
  });

  test('property: keys are unique per account and every user gets one', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('1', '2'), fc.oneof(asciiName, unicodeName, fc.string({ maxLength: 6 })), fc.nat(100)), { maxLength: 40 }), (rows) => {
        const users = rows.map(([accountId, loginName, createdAt], i) => u(String(i), loginName, createdAt, accountId));
        const { keys } = planLoginNameKeys(users);
        assert.equal(keys.size, users.length);
        const seen = new Set(users.map((x) => `${x.accountId}\n${keys.get(x.userId)}`));
        assert.equal(seen.size, users.length);
      }),
    );
  });
});
