/**
 * The two packages as their users get them: packed into tarballs, installed
 * into a throwaway project (and, for the server, into a throwaway global
 * prefix as an operator would), then used from plain JavaScript and from
 * TypeScript against the installed files only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { freePort } from '../ops/support.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** The environment without the settings `npm test` passes to its children, so nested npm commands see only their own. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^npm_/i.test(name) && name !== 'INIT_CWD') env[name] = value;
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, env = cleanEnv()): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const result = run(command, args, cwd, env);
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Children started by the tests, each leading its own process group; whatever still runs at the end is killed with its group. */
const children = new Set<ChildProcess>();

function killLeftovers(): void {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** As `ok`, without blocking this process (the test server answers from it). */
function okAsync(command: string, args: string[], cwd: string, env = cleanEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });
}

interface Packed {
  file: string;
  paths: string[];
}

function pack(dir: string, workspace?: string): Packed {
  const args = ['pack', '--json', '--ignore-scripts', '--pack-destination', dir, ...(workspace ? ['--workspace', workspace] : [])];
  const [info] = JSON.parse(ok('npm', args, repoRoot)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { file: join(dir, info!.filename), paths: info!.files.map((f) => f.path).sort() };
}

/** Every module specifier that the JavaScript files under `dir` import. */
function importedSpecifiers(dir: string): string[] {
  const found = new Set<string>();
  for (const name of readdirSync(dir, { recursive: true })) {
    if (!String(name).endsWith('.js')) continue;
    const text = readFileSync(join(dir, String(name)), 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g)) found.add(m[1]!);
  }
  return [...found].sort();
}

/** A plain JavaScript user of the installed client: logs in, verifies the bearer, is refused a wrong password, logs out. */
const LOGIN_SCRIPT = `
import { InternalCode, LoginServiceClient, LoginServiceError, createBearerVerifier } from '@login-service/client';
import { bearerAuthMiddleware } from '@login-service/client/express';
import { bearerAuthPlugin } from '@login-service/client/fastify';

const { DOMAIN, ACCOUNT_ID, USERNAME, PASSWORD } = process.env;
const options = { accountId: ACCOUNT_ID, domain: DOMAIN, protocol: 'http' };
const client = new LoginServiceClient(options);
const response = await client.login({ username: USERNAME, password: PASSWORD });
const bearer = client.bearer;
const verifier = createBearerVerifier({ baseUrl: 'http://' + DOMAIN, accountId: ACCOUNT_ID, cacheTtlMs: 0 });
const session = await verifier.verify(bearer);
let refused = null;
try {
  await new LoginServiceClient(options).login({ username: USERNAME, password: PASSWORD + '-wrong' });
} catch (error) {
  refused = error instanceof LoginServiceError ? error.internalCode : String(error);
}
await client.logout();
const afterLogout = await verifier.verify(bearer);
console.log(JSON.stringify({
  loginName: response.config.loginName,
  verified: session && session.loginName,
  refused,
  loginFailedCode: InternalCode.LOGIN_FAILED,
  afterLogout,
  adapters: [typeof bearerAuthMiddleware, typeof bearerAuthPlugin],
}));
`;

const GOOD_TS = `
import { InternalCode, LoginServiceClient, LoginServiceError, OAuthError, clientCredentials, createBearerVerifier, createJwtVerifier, type AccessTokenInfo, type LoginResponse } from '@login-service/client';
import { bearerAuthMiddleware } from '@login-service/client/express';
import type { SessionInfo } from '@login-service/client/protocol';

const client = new LoginServiceClient({ accountId: '123456', domain: 'localhost:8080', protocol: 'http' });
client.on('retrying', (notice) => console.log(notice.operation, notice.delayMs.toFixed(0)));
client.on('sessionExpired', (error: LoginServiceError) => console.log(error.status));
export async function use(): Promise<string> {
  const response: LoginResponse = await client.login({ username: 'agent', password: 'secret' });
  const session: SessionInfo | null = await createBearerVerifier({ baseUrl: 'http://localhost:8080', accountId: '123456' }).verify(client.bearer ?? '');
  const code: 20 = InternalCode.LOGIN_FAILED;
  return response.config.loginName + (session?.userId ?? '') + code;
}
export const middleware = bearerAuthMiddleware({ baseUrl: 'http://localhost:8080', accountId: '123456' });
export async function app(token: string): Promise<string[]> {
  const machine = clientCredentials({ serviceUrl: 'http://localhost:8080', accountId: '123456', clientId: 'id', clientSecret: 'secret', authMethod: 'post' });
  try {
    await machine.getToken();
  } catch (error) {
    if (error instanceof OAuthError && error.error === 'invalid_client') return [];
  }
  const info: AccessTokenInfo | null = await createJwtVerifier({ serviceUrl: 'http://localhost:8080', accountId: '123456', algorithms: ['RS256'] }).verify(token);
  return info?.scopes ?? [];
}
`;

// Line 4: a login without a password; line 5: an event the client does not have.
const BAD_TS = `import { LoginServiceClient } from '@login-service/client';

const client = new LoginServiceClient({ accountId: '123456', domain: 'localhost:8080' });
await client.login({ username: 'agent' });
client.on('loggedIn', () => {});
`;

/**
 * better-sqlite3 downloads a prebuilt binary from GitHub when it installs, and
 * compiles SQLite (minutes) when it cannot; CI reaches only the npm registry.
 * The binary already built for this checkout stands in, through prebuild-install's
 * "local prebuilds" (a folder of the tarballs it would download).
 */
function localPrebuilds(dir: string): Record<string, string> {
  const require = createRequire(import.meta.url);
  const packageDir = join(require.resolve('better-sqlite3/package.json'), '..');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
  const libc = process.platform === 'linux' && !glibc ? 'musl' : '';
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}${libc}-${process.arch}.tar.gz`;
  const prebuilds = join(dir, 'prebuilds');
  mkdirSync(prebuilds);
  ok('tar', ['czf', join(prebuilds, name), 'build/Release/better_sqlite3.node'], packageDir);
  return { npm_config_better_sqlite3_local_prebuilds: prebuilds };
}

function typeCheck(project: string, file: string): { status: number | null; output: string } {
  const config = {
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023', 'DOM'], types: [], strict: true, noEmit: true, skipLibCheck: false },
    files: [file],
  };
  const configFile = join(project, `tsconfig.${file}.json`);
  writeFileSync(configFile, JSON.stringify(config));
  const result = run(process.execPath, [tsc, '-p', configFile], project);
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('packages', () => {
  let dir: string;
  let project: string;
  let client: Packed;
  let server: Packed;

  before(() => {
    // Packs what is built; `npm pack` without --ignore-scripts would build too, but the tests need the build to be current.
    ok(process.execPath, ['scripts/build-if-stale.mjs'], repoRoot);
    dir = mkdtempSync(join(tmpdir(), 'login-service-packages-'));
    client = pack(dir, '@login-service/client');
    server = pack(dir);
    project = join(dir, 'app');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // The client's one dependency, jose, comes from npm's cache (this checkout installed it), not the registry.
    ok('npm', ['install', '--offline', '--no-audit', '--no-fund', client.file], project);
  });

  after(() => {
    killLeftovers();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the client tarball holds compiled JavaScript, declarations, README and licence: no sources, no tests', () => {
    assert.deepEqual(
      client.paths.filter((p) => !/^dist\/[\w]+\.(js|d\.ts)$/.test(p)),
      ['LICENSE', 'README.md', 'package.json'],
    );
    for (const entry of ['index', 'protocol', 'fastify', 'express']) {
      assert.ok(client.paths.includes(`dist/${entry}.js`) && client.paths.includes(`dist/${entry}.d.ts`), entry);
    }
  });

  test('the installed client depends on jose alone and imports nothing else but its own files', () => {
    const installed = join(project, 'node_modules', '@login-service', 'client');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.dependencies), ['jose']);
    assert.deepEqual(manifest.peerDependenciesMeta, { express: { optional: true }, fastify: { optional: true } });
    for (const entry of ['.', './protocol', './fastify', './express']) assert.ok(manifest.exports[entry].types, entry);
    assert.deepEqual([...new Set(importedSpecifiers(join(installed, 'dist')).filter((s) => !s.startsWith('./')))], ['jose']);
    // Nothing else was installed beside it (optional peers stay out; jose has no dependencies of its own).
    assert.deepEqual(readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.')), ['@login-service', 'jose']);
  });

  test('the packages carry our own scoped names; the command keeps its name', () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    assert.equal(manifest.name, '@login-service/server');
    assert.deepEqual(manifest.bin, { 'login-service': 'bin/login-service.js' });
    assert.equal(JSON.parse(readFileSync(join(repoRoot, 'packages', 'client', 'package.json'), 'utf8')).name, '@login-service/client');
    assert.match(server.file, /login-service-server-[\d.]+\.tgz$/);
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'));
    assert.equal(lock.name, '@login-service/server');
    assert.equal(lock.packages[''].name, '@login-service/server');
  });

  test('in a clone without dist/ (installed with --ignore-scripts), the command builds it and runs', { timeout: 10 * 60_000 }, async () => {
    const clone = join(dir, 'clone');
    const files = ok('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], repoRoot).split('\0').filter(Boolean);
    for (const file of files) {
      if (!existsSync(join(repoRoot, file))) continue;
      mkdirSync(join(clone, file, '..'), { recursive: true });
      cpSync(join(repoRoot, file), join(clone, file));
    }
    // The dependencies as `npm install` leaves them; what this checkout built is not copied.
    symlinkSync(join(repoRoot, 'node_modules'), join(clone, 'node_modules'));
    assert.equal(existsSync(join(clone, 'dist')), false);
    const help = await okAsync(process.execPath, ['bin/login-service.js', 'help', 'account', 'list'], clone);
    assert.match(help, /^Usage: login-service account list/);
    assert.ok(existsSync(join(clone, 'dist', 'main.js')));
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    // `npm install` / `npm ci` in a clone build it up front.
    assert.equal(manifest.scripts.prepare, 'node scripts/build-if-stale.mjs');
  });

  test('the server tarball holds the command, compiled JavaScript and docs: no TypeScript, tests, benchmarks or CI', () => {
    const paths = server.paths;
    assert.ok(paths.includes('bin/login-service.js'));
    assert.ok(paths.includes('dist/main.js'));
    assert.ok(paths.includes('LICENSE') && paths.includes('README.md') && paths.includes('CHANGELOG.md'));
    assert.deepEqual(paths.filter((p) => /\.(ts|mts|cts|map)$/.test(p)), []);
    assert.deepEqual(paths.filter((p) => /^(src|test|bench|examples|scripts|packages|\.ci)\//.test(p)), []);
    // Worker threads are plain JavaScript files next to the modules that start them.
    const workers = readdirSync(join(repoRoot, 'src'), { recursive: true }).map(String).filter((f) => f.endsWith('.worker.js'));
    for (const worker of workers) assert.ok(paths.includes(`dist/${worker.replaceAll('\\', '/')}`), worker);
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    for (const name of ['tsx', 'typescript', 'esbuild', '@login-service/client']) assert.equal(manifest.dependencies[name], undefined, name);
  });

  describe('against a server', () => {
    let testServer: TestServer;
    let seeded: SeededAccount;
    before(async () => {
      testServer = await startTestServer();
      seeded = await seedAccount(testServer);
    });
    after(async () => {
      await testServer?.close();
    });

    test('plain JavaScript logs in with the installed client, verifies the bearer and logs out', { timeout: 60_000 }, async () => {
      writeFileSync(join(project, 'login.mjs'), LOGIN_SCRIPT);
      const env = cleanEnv({ DOMAIN: `127.0.0.1:${testServer.port}`, ACCOUNT_ID: seeded.accountId, USERNAME: seeded.human.loginName, PASSWORD: seeded.human.password });
      const out = JSON.parse(await okAsync(process.execPath, ['login.mjs'], project, env));
      assert.deepEqual(out, {
        loginName: seeded.human.loginName,
        verified: seeded.human.loginName,
        refused: 20,
        loginFailedCode: 20,
        afterLogout: null,
        adapters: ['function', 'function'],
      });
    });
  });

  test('TypeScript against the installed types: a correct use compiles, a wrong one does not', { timeout: 120_000 }, () => {
    writeFileSync(join(project, 'good.ts'), GOOD_TS);
    writeFileSync(join(project, 'bad.ts'), BAD_TS);
    const good = typeCheck(project, 'good.ts');
    assert.equal(good.status, 0, good.output);
    const bad = typeCheck(project, 'bad.ts');
    assert.notEqual(bad.status, 0);
    assert.match(bad.output, /bad\.ts\(4,\d+\): error TS2345/);
    assert.match(bad.output, /bad\.ts\(5,\d+\): error TS2345/);
    assert.equal(bad.output.match(/error TS/g)?.length, 2, bad.output);
  });

  test('the server tarball installs for production on its own and `login-service serve` answers; the installed client logs in to it', { timeout: 15 * 60_000 }, async () => {
    const prefix = join(dir, 'prefix');
    // Dependencies come from the registry, through the local npm cache when it has them.
    const args = ['install', '--global', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', prefix, server.file];
    await okAsync('npm', args, dir, cleanEnv(localPrebuilds(dir)));
    const installed = join(prefix, 'lib', 'node_modules', '@login-service', 'server');
    for (const name of ['tsx', 'typescript', 'esbuild', '@login-service']) assert.equal(existsSync(join(installed, 'node_modules', name)), false, name);

    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const port = await freePort();
    const child = spawn(join(prefix, 'bin', 'login-service'), ['serve'], {
      cwd: dir,
      // Both ports free ones: the default metrics port (9464) may be taken on the machine running the tests.
      env: { PATH: process.env.PATH ?? '', PORT: String(port), METRICS_PORT: String(await freePort()), DATABASE_URL: `sqlite:${join(dataDir, 'store.db')}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk) => (out += chunk));
    child.stderr!.on('data', (chunk) => (err += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    // The first start on an empty store prints the demo account's administrator once.
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) assert.fail(`serve exited with ${child.exitCode}: ${out}${err}`);
      if (Date.now() > deadline) assert.fail(`serve did not answer within 60 s: ${out}${err}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (ready && /password: /.test(out)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const accountId = /account: +(\d+)/.exec(out)?.[1];
    const username = /username: +(\S+)/.exec(out)?.[1];
    const password = /password: +(\S+)/.exec(out)?.[1];
    assert.ok(accountId && username && password, out);

    writeFileSync(join(project, 'login.mjs'), LOGIN_SCRIPT);
    const env = cleanEnv({ DOMAIN: `127.0.0.1:${port}`, ACCOUNT_ID: accountId, USERNAME: username, PASSWORD: password });
    const answer = JSON.parse(await okAsync(process.execPath, ['login.mjs'], project, env));
    assert.equal(answer.loginName, username);
    assert.equal(answer.verified, username);
    assert.equal(answer.afterLogout, null);

    child.kill('SIGTERM');
    assert.equal(await exited, 0, err);
  });
});
