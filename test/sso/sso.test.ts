/**
 * SSO login with a SAML assertion, end to end over real HTTP: assertions are
 * signed by xml-crypto with a key and certificate made by `selfsigned`, and
 * the attacks such logins are known for are each refused with the same 401.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { postJson, seedAccount, sessionCookie, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createUser, requireUserByLoginName, setUserEnabled } from '../../src/directory/users.js';
import { actionContext } from '../helpers/actions.js';
import { setSsoConfig } from '../../src/sso/admin.js';
import { defaultAudience } from '../../src/sso/model.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { ManualClock } from '../../src/clock.js';
import { createTestDatabase } from '../store/postgresDatabase.js';
import { assertionXml, base64, makeIdp, responseXml, RSA_SHA1, SAML, SHA1, sign, type TestIdp } from './idp.js';
import { MAX_ASSERTION_CHARS, MAX_SAML_BYTES, MAX_XML_DEPTH, MAX_XML_NODES, verifySamlAssertion } from '../../src/sso/saml.js';

const AUDIENCE = 'https://login.example.test/sp';

describe('SSO login with a SAML assertion', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let idp: TestIdp;
  let otherIdp: TestIdp;
  let loginUrl: string;

  const assertion = (o: Partial<Parameters<typeof assertionXml>[0]> = {}) =>
    assertionXml({ issuer: idp.issuer, audience: AUDIENCE, now: server.clock.now(), nameId: 'alice@example.test', ...o });
  const signed = (o: Partial<Parameters<typeof assertionXml>[0]> = {}) => sign(assertion(o), idp);
  const ssoLogin = (xml: string, extra: Record<string, unknown> = {}) => postJson(loginUrl, { jwt: 'anything', assertion: base64(xml), ...extra });

  async function lastFailureReason(): Promise<unknown> {
    const [event] = await server.stores.events.listEvents(seeded.accountId, { limit: 1 });
    assert.equal(event?.type, 'login_failure');
    assert.equal(event?.detail.method, 'sso');
    return event?.detail.reason;
  }

  /** Every refusal is the same 401 in the error shape; the audit event names the reason. */
  async function assertRefused(res: Awaited<ReturnType<typeof postJson>>, reason: string) {
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json.error.internalCode, 20);
    assert.equal(res.json.error.responseStatus, 'UNAUTHORIZED');
    assert.equal(res.json.error.message, 'Bad authentication: invalid account, user or credentials');
    assert.equal(sessionCookie(res.headers), undefined);
    assert.equal(await lastFailureReason(), reason);
  }

  before(async () => {
    [idp, otherIdp] = await Promise.all([makeIdp(), makeIdp('https://evil.example.test/idp')]);
    // Refusals are what this file is about: the per-address budget must not cut them short.
    server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '1000' } });
    seeded = await seedAccount(server);
    const deps = { stores: server.stores, clock: server.clock, hasher: server.services.hasher };
    await createUser(deps, { accountId: seeded.accountId, loginName: 'alice@example.test', password: 'a long enough passphrase 1', privileges: [100] });
    await createUser(deps, { accountId: seeded.accountId, loginName: 'gone@example.test', password: 'a long enough passphrase 2' });
    await setUserEnabled(actionContext(server.stores, server.clock), await requireUserByLoginName(server, seeded.accountId, 'gone@example.test'), false);
    await setSsoConfig(server.stores, seeded.accountId, { idpIssuer: idp.issuer, idpCerts: [idp.cert], audience: AUDIENCE });
    loginUrl = `${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`;
  });
  after(() => server.close());

  test('a signed bare assertion opens a normal session: cookie, csrf, bearer, refresh', async () => {
    const res = await ssoLogin(signed());
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.config.loginName, 'alice@example.test');
    assert.equal(res.json.sessionId, sessionCookie(res.headers));
    const check = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/session`, { headers: { authorization: `Bearer ${res.json.bearer}` } });
    assert.equal(check.status, 200);
    assert.equal(((await check.json()) as any).loginName, 'alice@example.test');
    const refresh = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/refresh?v=1.3`, { csrf: res.json.csrf }, { cookie: `Session_id=${res.json.sessionId}` });
    assert.equal(refresh.status, 200);
    const [event] = await server.stores.events.listEvents(seeded.accountId, { limit: 1 });
    assert.equal(event?.type, 'login_success');
    assert.deepEqual(event?.detail, { method: 'sso' });
  });

  test('the login name comes from the loginName attribute before the NameID', async () => {
    const res = await ssoLogin(signed({ nameId: 'someone-else', attributes: { loginName: 'Agent.Smith' } }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.config.loginName, 'Agent.Smith');
  });

  test('a samlp:Response holding a signed assertion, or a signed response around an unsigned one', async () => {
    const now = server.clock.now();
    const one = await ssoLogin(responseXml(signed(), { issuer: idp.issuer, now }));
    assert.equal(one.status, 200, one.text);
    const two = await ssoLogin(sign(responseXml(assertion(), { issuer: idp.issuer, now }), idp, 'Response'));
    assert.equal(two.status, 200, two.text);
    assert.equal(two.json.config.loginName, 'alice@example.test');
  });

  test('a certificate added for rotation is trusted beside the old one', async () => {
    const next = await makeIdp(idp.issuer);
    await setSsoConfig(server.stores, seeded.accountId, { idpCerts: [idp.cert, next.cert] });
    try {
      assert.equal((await ssoLogin(sign(assertion(), next))).status, 200);
      assert.equal((await ssoLogin(signed())).status, 200);
    } finally {
      await setSsoConfig(server.stores, seeded.accountId, { idpCerts: [idp.cert] });
    }
  });

  describe('attacks', () => {
    test('unsigned', async () => {
      await assertRefused(await ssoLogin(assertion()), 'bad_signature');
    });

    test('signed by another key', async () => {
      await assertRefused(await ssoLogin(sign(assertion(), otherIdp)), 'bad_signature');
    });

    test('signed by another key that ships its own certificate in KeyInfo', async () => {
      const sig = new SignedXml({
        privateKey: otherIdp.key,
        publicCert: otherIdp.cert,
        signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
        canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
        getKeyInfoContent: SignedXml.getKeyInfoContent,
      });
      sig.addReference({
        xpath: "/*[local-name(.)='Assertion']",
        digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
        transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
      });
      sig.computeSignature(assertion({ nameId: 'Agent.Smith' }), { prefix: 'ds' });
      assert.match(sig.getSignedXml(), /X509Certificate/);
      await assertRefused(await ssoLogin(sig.getSignedXml()), 'bad_signature');
    });

    test('key confusion: an HMAC "signature" keyed with the public certificate', async () => {
      const sig = new SignedXml({ privateKey: idp.cert, canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
      sig.enableHMAC();
      sig.signatureAlgorithm = 'http://www.w3.org/2000/09/xmldsig#hmac-sha1';
      sig.addReference({
        xpath: "/*[local-name(.)='Assertion']",
        digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
        transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
      });
      sig.computeSignature(assertion({ nameId: 'Agent.Smith' }), { prefix: 'ds' });
      assert.match(sig.getSignedXml(), /hmac-sha1/);
      // Refused for its algorithm before any key is tried.
      await assertRefused(await ssoLogin(sig.getSignedXml()), 'weak_algorithm');
    });

    test('signature wrapping: a forged assertion beside the signed one in a response', async () => {
      const now = server.clock.now();
      const genuine = signed();
      const forged = assertion({ nameId: 'Agent.Smith' });
      await assertRefused(await ssoLogin(responseXml(forged + genuine, { issuer: idp.issuer, now })), 'assertion_count');
      await assertRefused(await ssoLogin(responseXml(genuine + forged, { issuer: idp.issuer, now })), 'assertion_count');
    });

    test('signature wrapping: a forged assertion carrying the signed one and its signature', async () => {
      const genuine = signed();
      const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(genuine)![0];
      const id = /ID="([^"]+)"/.exec(genuine)![1]!;
      // The forged root has the genuine ID too, and the genuine assertion hides in Advice.
      const forged = assertion({ id, nameId: 'Agent.Smith' })
        .replace('</saml:Issuer>', `</saml:Issuer>${signature}`)
        .replace('</saml:Assertion>', `<saml:Advice>${genuine.replace(signature, '')}</saml:Advice></saml:Assertion>`);
      await assertRefused(await ssoLogin(forged), 'bad_signature');
      // With another ID on the forged root, the signature does not point at its parent.
      await assertRefused(await ssoLogin(forged.replace(`ID="${id}"`, 'ID="_forged"')), 'bad_signature');
    });

    test('signature wrapping: a second element carrying the signed assertion\'s ID', async () => {
      const genuine = signed();
      const id = /ID="([^"]+)"/.exec(genuine)![1]!;
      const decoy = `<samlp:Extensions><saml:Assertion Id="${id}"><saml:Issuer>${idp.issuer}</saml:Issuer></saml:Assertion></samlp:Extensions>`;
      await assertRefused(await ssoLogin(responseXml(decoy + genuine, { issuer: idp.issuer, now: server.clock.now() })), 'bad_signature');
    });

    test('signature wrapping: a signed response whose assertion was swapped for a forged one', async () => {
      const now = server.clock.now();
      const genuine = sign(responseXml(assertion(), { issuer: idp.issuer, now }), idp, 'Response');
      const swapped = genuine.replace(/<saml:Assertion[\s\S]*<\/saml:Assertion>/, assertion({ nameId: 'Agent.Smith' }));
      await assertRefused(await ssoLogin(swapped), 'bad_signature');
    });

    test('a comment inside the name does not cut it short', async () => {
      // The identity provider vouches for "Agent.Smith.evil.example"; a comment keeps the signature valid
      // (canonical XML drops comments) and a reader of the first text node alone would see "Agent.Smith".
      const genuine = sign(assertion({ nameId: 'Agent.Smith.evil.example' }), idp);
      const commented = genuine.replace('>Agent.Smith.evil.example<', '>Agent.Smith<!---->.evil.example<');
      assert.notEqual(commented, genuine);
      await assertRefused(await ssoLogin(commented), 'unknown_user');
      const [event] = await server.stores.events.listEvents(seeded.accountId, { limit: 1 });
      assert.equal(event?.loginName, 'Agent.Smith.evil.example');
    });

    test('tampered after signing', async () => {
      const genuine = signed();
      const tampered = genuine.replace('>alice@example.test<', '>Agent.Smith<');
      assert.notEqual(tampered, genuine);
      await assertRefused(await ssoLogin(tampered), 'bad_signature');
      await assertRefused(await ssoLogin(genuine.replace(/<ds:SignatureValue>./, (m) => m.slice(0, -1) + (m.endsWith('A') ? 'B' : 'A'))), 'bad_signature');
    });

    test('replayed', async () => {
      const once = signed();
      assert.equal((await ssoLogin(once)).status, 200);
      await assertRefused(await ssoLogin(once), 'replayed');
      // Wrapped in a response, it is the same assertion.
      await assertRefused(await ssoLogin(responseXml(once, { issuer: idp.issuer, now: server.clock.now() })), 'replayed');
    });

    test('expired, beyond the 60 s of skew; and not yet valid', async () => {
      const now = server.clock.now();
      assert.equal((await ssoLogin(signed({ notOnOrAfter: now - 30_000 }))).status, 200, 'within the skew');
      await assertRefused(await ssoLogin(signed({ notOnOrAfter: now - 61_000 })), 'expired');
      assert.equal((await ssoLogin(signed({ notBefore: now + 30_000 }))).status, 200, 'within the skew');
      await assertRefused(await ssoLogin(signed({ notBefore: now + 120_000 })), 'not_yet_valid');
      const later = signed();
      // Only forward: the audit events are read newest first.
      server.clock.advance(6 * 60_000 + 1);
      await assertRefused(await ssoLogin(later), 'expired');
      await assertRefused(await ssoLogin(signed({ notOnOrAfter: null })), 'no_expiry');
    });

    test('wrong audience, or wrong issuer', async () => {
      await assertRefused(await ssoLogin(signed({ audience: 'https://another-sp.example.test' })), 'wrong_audience');
      await assertRefused(await ssoLogin(signed({ issuer: 'https://evil.example.test/idp' })), 'wrong_issuer');
      // The other identity provider, with its own key: not the configured certificate either.
      await assertRefused(await ssoLogin(sign(assertion({ issuer: otherIdp.issuer }), otherIdp)), 'bad_signature');
    });

    test('XML entity expansion', async () => {
      const laughs =
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>';
      await assertRefused(await ssoLogin(laughs + signed({ nameId: '&lol4;' })), 'doctype');
      await assertRefused(await ssoLogin('<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + signed({ nameId: '&xxe;' })), 'doctype');
    });

    test('not XML at all, not base64, not SAML', async () => {
      await assertRefused(await postJson(loginUrl, { jwt: 'x', assertion: randomBytes(300).toString('base64') }), 'not_xml');
      await assertRefused(await postJson(loginUrl, { jwt: 'x', assertion: 'this is not base64!' }), 'not_base64');
      await assertRefused(await ssoLogin('<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"'), 'not_xml');
      await assertRefused(await ssoLogin('<html><body>hello</body></html>'), 'not_saml');
    });

    test('SHA-1 in the signature or the digest', async () => {
      await assertRefused(await ssoLogin(sign(assertion(), idp, 'Assertion', { signature: RSA_SHA1 })), 'weak_algorithm');
      await assertRefused(await ssoLogin(sign(assertion(), idp, 'Assertion', { digest: SHA1 })), 'weak_algorithm');
      const response = responseXml(assertion(), { issuer: idp.issuer, now: server.clock.now() });
      await assertRefused(await ssoLogin(sign(response, idp, 'Response', { signature: RSA_SHA1, digest: SHA1 })), 'weak_algorithm');
    });

    test('valid for longer than 10 minutes from now', async () => {
      const now = server.clock.now();
      await assertRefused(await ssoLogin(signed({ notOnOrAfter: Date.UTC(9999, 11, 31) })), 'validity_too_long');
      await assertRefused(await ssoLogin(signed({ notOnOrAfter: now + 10 * 60_000 + 1 })), 'validity_too_long');
      assert.equal((await ssoLogin(signed({ notOnOrAfter: now + 10 * 60_000 }))).status, 200);
    });

    test('a response without a Status, or whose Status is not Success', async () => {
      const now = server.clock.now();
      const signedResponse = (status: string | null) => sign(responseXml(assertion(), { issuer: idp.issuer, now, status }), idp, 'Response');
      await assertRefused(await ssoLogin(signedResponse(null)), 'response_status');
      await assertRefused(await ssoLogin(signedResponse('urn:oasis:names:tc:SAML:2.0:status:Requester')), 'response_status');
      // Unsigned around a signed assertion: the Status still has to say Success.
      await assertRefused(await ssoLogin(responseXml(signed(), { issuer: idp.issuer, now, status: null })), 'response_status');
      await assertRefused(await ssoLogin(responseXml(signed(), { issuer: idp.issuer, now, status: 'urn:oasis:names:tc:SAML:2.0:status:Responder' })), 'response_status');
      assert.equal((await ssoLogin(signedResponse('urn:oasis:names:tc:SAML:2.0:status:Success'))).status, 200);
    });

    test('too large, too deep, too many nodes, whitespace padding: refused before any parse', async () => {
      const open = `<saml:Assertion xmlns:saml="${SAML}" ID="_big">`;
      await assertRefused(await postJson(loginUrl, { jwt: 'x', assertion: `${' '.repeat(65_000)}!` }), 'not_base64');
      await assertRefused(await ssoLogin(open + '<a>'.repeat(MAX_XML_DEPTH) + '</a>'.repeat(MAX_XML_DEPTH) + '</saml:Assertion>'), 'too_deep');
      await assertRefused(await ssoLogin(open + '<a/>'.repeat(MAX_XML_NODES) + '</saml:Assertion>'), 'too_many_nodes');
      await assertRefused(await ssoLogin(`<saml:Assertion xmlns:saml="${SAML}"${' a=""'.repeat(MAX_XML_NODES)}/>`), 'too_many_nodes');
      // Within the limits (the root and its two attributes are nodes too), the same shapes are read, and refused for what they are.
      await assertRefused(await ssoLogin(open + '<a>'.repeat(MAX_XML_DEPTH - 1) + '</a>'.repeat(MAX_XML_DEPTH - 1) + '</saml:Assertion>'), 'bad_signature');
      await assertRefused(await ssoLogin(open + '<a/>'.repeat(MAX_XML_NODES - 3) + '</saml:Assertion>'), 'bad_signature');
      // Line breaks in the base64, as some identity providers send it, are fine.
      const wrapped = base64(signed()).replace(/.{76}/g, '$&\r\n');
      assert.equal((await postJson(loginUrl, { jwt: 'x', assertion: wrapped })).status, 200);
    });

    test('the name must be an enabled person of the account', async () => {
      await assertRefused(await ssoLogin(signed({ nameId: 'nobody@example.test' })), 'unknown_user');
      await assertRefused(await ssoLogin(signed({ nameId: 'gone@example.test' })), 'disabled');
      await assertRefused(await ssoLogin(signed({ nameId: seeded.bot.loginName })), 'bot');
    });
  });

  test('an assertion over 64 KiB as sent, or over 48 KiB decoded, is refused before it is decoded', () => {
    // The login body's own limit (64 KiB) stops longer ones over HTTP first; the check holds for any caller.
    const config = { idpIssuer: idp.issuer, idpCerts: [idp.cert], loginNameAttribute: 'loginName', enforce: false };
    const now = server.clock.now();
    assert.deepEqual(verifySamlAssertion('A'.repeat(MAX_ASSERTION_CHARS + 1), config, AUDIENCE, now), { ok: false, reason: 'too_large' });
    assert.deepEqual(verifySamlAssertion(`${' '.repeat(MAX_ASSERTION_CHARS)}!`, config, AUDIENCE, now), { ok: false, reason: 'too_large' });
    assert.deepEqual(verifySamlAssertion(base64('x'.repeat(MAX_SAML_BYTES + 3)), config, AUDIENCE, now), { ok: false, reason: 'too_large' });
  });

  test('an account without SSO refuses assertions; another account\'s audience is refused', async () => {
    await seedAccount(server, '777');
    const res = await postJson(`${server.baseUrl}/api/account/777/login`, { jwt: 'x', assertion: base64(signed()) });
    assert.equal(res.status, 401);
    const [event] = await server.stores.events.listEvents('777', { limit: 1 });
    assert.equal(event?.detail.reason, 'sso_not_configured');
  });

  test('the body: assertion with a username or password is a 400; so is a non-string assertion', async () => {
    assert.equal((await ssoLogin(signed(), { username: 'alice@example.test' })).status, 400);
    assert.equal((await ssoLogin(signed(), { password: 'x' })).status, 400);
    assert.equal((await postJson(loginUrl, { jwt: 'x', assertion: 42 })).status, 400);
    // jwt alone is an OpenID Connect login (oidcLogin.test.ts): refused as no ID token, 401.
    assert.equal((await postJson(loginUrl, { jwt: 'x' })).status, 401);
  });

  test('--enforce: password logins of people are refused, bots keep their keys, SSO works', async () => {
    await setSsoConfig(server.stores, seeded.accountId, { enforce: true });
    try {
      const password = await postJson(loginUrl, { username: seeded.human.loginName, password: seeded.human.password });
      assert.equal(password.status, 401);
      const [event] = await server.stores.events.listEvents(seeded.accountId, { limit: 1 });
      assert.equal(event?.detail.reason, 'sso_enforced');
      const { appKey, secret, accessToken, accessTokenSecret } = seeded.bot.key;
      const bot = await postJson(loginUrl, { username: seeded.bot.loginName, appKey, secret, accessToken, accessTokenSecret });
      assert.equal(bot.status, 200, bot.text);
      assert.equal((await ssoLogin(signed({ nameId: seeded.human.loginName }))).status, 200);
    } finally {
      await setSsoConfig(server.stores, seeded.accountId, { enforce: false });
    }
    assert.equal((await postJson(loginUrl, { username: seeded.human.loginName, password: seeded.human.password })).status, 200);
  });

  test('without --audience, the audience is the account\'s default', async () => {
    await setSsoConfig(server.stores, '777', { idpIssuer: idp.issuer, idpCerts: [idp.cert] });
    const deps = { stores: server.stores, clock: server.clock, hasher: server.services.hasher };
    await createUser(deps, { accountId: '777', loginName: 'carol', password: 'a long enough passphrase 3' });
    const url = `${server.baseUrl}/api/account/777/login`;
    const ok = await postJson(url, { jwt: 'x', assertion: base64(signed({ nameId: 'carol', audience: defaultAudience('777') })) });
    assert.equal(ok.status, 200, ok.text);
    const wrong = await postJson(url, { jwt: 'x', assertion: base64(signed({ nameId: 'carol' })) });
    assert.equal(wrong.status, 401);
  });
});

/**
 * An assertion is used once across instances: two servers, each with its own
 * connections to one store, on every backend the machine offers.
 */
describe('SSO replay across instances', () => {
  const backends: Array<{ name: string; open(): Promise<{ stores: () => Promise<Stores>; cleanup(): Promise<void> }> }> = [
    {
      name: 'sqlite',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'sso-replay-'));
        return { stores: () => openStores({ databaseUrl: `sqlite:${join(dir, 'store.db')}` }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
  ];
  if (process.env.TEST_DATABASE_URL) {
    backends.push({
      name: 'postgres',
      async open() {
        const db = await createTestDatabase(process.env.TEST_DATABASE_URL!);
        return { stores: () => openStores({ databaseUrl: db.url, poolSize: 2 }), cleanup: () => db.drop() };
      },
    });
  }
  if (process.env.TEST_REDIS_URL) {
    backends.push({
      name: 'sqlite+redis',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'sso-replay-'));
        const prefix = `test:sso-replay:${randomUUID()}:`;
        return {
          stores: () => openStores({ databaseUrl: `sqlite:${join(dir, 'store.db')}`, redisUrl: process.env.TEST_REDIS_URL, redisKeyPrefix: prefix }),
          cleanup: async () => rmSync(dir, { recursive: true, force: true }),
        };
      },
    });
  }

  for (const backend of backends) {
    test(`${backend.name}: the second instance refuses what the first accepted`, async () => {
      const { stores, cleanup } = await backend.open();
      const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
      const first = await startTestServer({ stores: await stores(), clock });
      const second = await startTestServer({ stores: await stores(), clock });
      try {
        const idp = await makeIdp();
        const seeded = await seedAccount(first);
        await setSsoConfig(first.stores, seeded.accountId, { idpIssuer: idp.issuer, idpCerts: [idp.cert], audience: AUDIENCE });
        const xml = sign(assertionXml({ issuer: idp.issuer, audience: AUDIENCE, now: clock.now(), nameId: seeded.human.loginName }), idp);
        const body = { jwt: 'x', assertion: base64(xml) };
        assert.equal((await postJson(`${first.baseUrl}/api/account/${seeded.accountId}/login`, body)).status, 200);
        assert.equal((await postJson(`${second.baseUrl}/api/account/${seeded.accountId}/login`, body)).status, 401);
        const [event] = await second.stores.events.listEvents(seeded.accountId, { limit: 1 });
        assert.equal(event?.detail.reason, 'replayed');
      } finally {
        await first.close();
        await second.close();
        await first.stores.close();
        await second.stores.close();
        await cleanup();
      }
    });
  }
});
