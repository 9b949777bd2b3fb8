/**
 * The Python example of the original documentation (test/fixtures, copied
 * verbatim) must run against this server with only the account, domain and
 * credentials filled in — over HTTPS, as written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';

const EXAMPLE = new URL('../fixtures/seed-user-login-example.py', import.meta.url);

describe('the original Python example runs unmodified', () => {
  const dir = mkdtempSync(join(tmpdir(), 'login-service-tls-'));
  let server: TestServer;
  let seeded: SeededAccount;

  before(async () => {
    // A self-signed certificate for localhost, trusted by the example through REQUESTS_CA_BUNDLE.
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { stdio: 'ignore' });
    server = await startTestServer({ env: { TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') } });
    seeded = await seedAccount(server);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('it prints the csrf and the Session_id cookie of a real session', async () => {
    const source = readFileSync(EXAMPLE, 'utf8')
      .replace("account_id = 'xxx'", `account_id = '${seeded.accountId}'`)
      .replace("domain = 'exampleDomain.liveperson.net'", `domain = 'localhost:${server.port}'`)
      .replace("username = 'xxx'", `username = '${seeded.human.loginName}'`)
      .replace("password = 'xxx'", `password = '${seeded.human.password}'`);
    const script = join(dir, 'example.py');
    writeFileSync(script, source);
    // Asynchronously: the server answering it runs in this process.
    const run = await promisify(execFile)('python3', [script], { env: { ...process.env, REQUESTS_CA_BUNDLE: join(dir, 'cert.pem') }, timeout: 30_000 });
    const csrf = /^csrf=([0-9a-f]{64})$/m.exec(run.stdout)?.[1];
    const sessionId = /^Session ID cookie=\{'Session_id': '([0-9a-f]+)'\}$/m.exec(run.stdout)?.[1];
    assert.ok(csrf, run.stdout);
    assert.ok(sessionId, run.stdout);

    // What it printed is a live session: refresh with exactly those values.
    const res = await new Promise<number>((resolve, reject) => {
      import('node:https').then(({ request }) => {
        const req = request(
          { host: '127.0.0.1', port: server.port, path: '/api/account/123456/refresh?v=1.3', method: 'POST', ca: readFileSync(join(dir, 'cert.pem')), servername: 'localhost', headers: { 'content-type': 'application/json', cookie: `Session_id=${sessionId}` } },
          (r) => {
            r.resume();
            resolve(r.statusCode!);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ csrf }));
      }, reject);
    });
    assert.equal(res, 200);
  });
});
