/**
 * `node --import tsx bench/oauth.ts [--rounds N] [--seconds S] [--connections C] [--quick]`:
 * the OAuth 2.0 benchmark, apart from `npm run bench` (whose scenarios it
 * leaves alone).
 *
 * Issuance, client credentials, RS256 and then ES256, each against
 *   - ours: the token endpoint of our server on SQLite (an installation with
 *     the client-credentials grant, Basic client authentication);
 *   - oidc-provider: configured the same way (servers/oidc-provider.ts);
 *   - the sign ceiling: a bare Fastify route that parses the same request and
 *     signs one JWT with a key of the same kind (servers/sign-ceiling.ts),
 *     the physical limit of issuance on this machine.
 * Verification, in this process, as a resource server does it with the
 * client package:
 *   - local: `createJwtVerifier().verify(token)` of tokens our server issued,
 *     against its JWKS (fetched once, then cached);
 *   - remote: `createBearerVerifier({ cacheTtlMs: 0 }).verify(bearer)`, one
 *     bearer check over HTTP per call, on pre-seeded sessions of our server.
 *
 * Every round measures each target once, back to back; ratios are taken
 * within a round, and the report gives their medians over the rounds, as
 * `npm run bench` does. Each server runs in its own process and is charged
 * its own CPU per request. Prints a Markdown table for docs/BENCHMARKS.md and
 * writes bench/results/oauth.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createBearerVerifier, createJwtVerifier, type JwtVerifier } from '@login-service/client';
import { processCpuSeconds } from './lib/cpu.js';
import { throughput, type LoadResult, type NextRequest } from './lib/load.js';
import { benchFile, startChild, type BenchChild } from './lib/processes.js';
import { median } from './lib/report.js';
import { pickSession, seededToken } from './lib/tokens.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string' },
  },
});

const quick = args.quick === true;
const settings = {
  rounds: args.rounds ? Number(args.rounds) : quick ? 3 : 5,
  seconds: args.seconds ? Number(args.seconds) : quick ? 1 : 2,
  connections: args.connections ? Number(args.connections) : 16,
  /** In-flight verifications of the in-process (client package) targets. */
  verifyConcurrency: 16,
  sessions: 1000,
  /** Distinct access tokens the local check cycles through. */
  tokens: 200,
};

const ACCOUNT = '123456';
const SCOPE = 'users.read';
const PASSWORD = 'correct horse battery staple';
const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-secret-0123456789abcdef';
const runSeed = randomBytes(16).toString('hex');
const workDir = mkdtempSync(join(tmpdir(), 'login-service-oauth-bench-'));
const children: BenchChild[] = [];

async function start(name: string, file: string, options: object): Promise<BenchChild> {
  const child = await startChild(name, benchFile(file), options);
  children.push(child);
  return child;
}

async function cleanUp(): Promise<void> {
  await Promise.all(children.map((c) => c.stop()));
  rmSync(workDir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void cleanUp().finally(() => process.exit(130)));

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A client-credentials request as an installation sends it: Basic authentication, grant and scope in the form body. */
const tokenRequest = (path: string, clientId: string, clientSecret: string) => (): NextRequest => ({
  method: 'POST',
  path,
  headers: { authorization: basic(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  body: `grant_type=client_credentials&scope=${encodeURIComponent(SCOPE)}`,
});

/** One token from a target, checked: a misconfigured target must fail loudly, not measure its error path. */
async function issueOne(name: string, port: number, next: () => NextRequest): Promise<string> {
  const n = next();
  const res = await fetch(`http://127.0.0.1:${port}${n.path}`, { method: n.method, headers: n.headers, body: n.body });
  const body = (await res.json().catch(() => null)) as { access_token?: string } | null;
  if (res.status !== 200 || typeof body?.access_token !== 'string') throw new Error(`${name}: token request answered ${res.status} ${JSON.stringify(body)?.slice(0, 300)}`);
  return body.access_token;
}

/** As many calls of `op` as `concurrency` loops complete in `seconds` (a closed loop in this process); `op` says whether the call succeeded. */
async function inProcess(seconds: number, concurrency: number, op: () => Promise<boolean>): Promise<LoadResult> {
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        if (await op().catch(() => false)) ok++;
        else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { requestsPerSecond: ok / elapsed, p50Ms: NaN, p99Ms: NaN, ok, failed, seconds: elapsed };
}

interface Target {
  key: string;
  /** The process charged with the CPU; this one for in-process targets. */
  pid: number;
  run(seconds: number): Promise<LoadResult>;
}

interface Measured extends LoadResult {
  cpuUsPerOp: number;
}

async function measure(target: Target, seconds: number): Promise<Measured> {
  const before = processCpuSeconds(target.pid);
  const result = await target.run(seconds);
  const after = processCpuSeconds(target.pid);
  const cpu = before !== null && after !== null ? after - before : NaN;
  return { ...result, cpuUsPerOp: result.ok > 0 ? (cpu * 1e6) / result.ok : NaN };
}

async function main(): Promise<void> {
  const wallStart = performance.now();
  const machine = { cores: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))) };
  console.log(`OAuth benchmark: ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`);

  const ourOptions = (alg: 'RS256' | 'ES256') => ({
    dbPath: join(workDir, `ours-${alg}.db`),
    accountId: ACCOUNT,
    runSeed,
    users: 1,
    password: PASSWORD,
    sessions: alg === 'RS256' ? settings.sessions : 0,
    oauth: { scope: SCOPE, alg },
  });
  const providerOptions = (alg: 'RS256' | 'ES256') => ({ alg, accountId: ACCOUNT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: SCOPE });
  const [oursRs, oursEs, providerRs, providerEs, ceilingRs, ceilingEs] = await Promise.all([
    start('ours-RS256', 'servers/login-service.ts', ourOptions('RS256')),
    start('ours-ES256', 'servers/login-service.ts', ourOptions('ES256')),
    start('oidc-provider-RS256', 'servers/oidc-provider.ts', providerOptions('RS256')),
    start('oidc-provider-ES256', 'servers/oidc-provider.ts', providerOptions('ES256')),
    start('sign-ceiling-RS256', 'servers/sign-ceiling.ts', providerOptions('RS256')),
    start('sign-ceiling-ES256', 'servers/sign-ceiling.ts', providerOptions('ES256')),
  ]);
  console.log(`servers ready after ${((performance.now() - wallStart) / 1000).toFixed(1)} s`);

  const oursPath = `/sentinel/api/account/${ACCOUNT}/app/token?v=1.0`;
  const issuance = (alg: string, ours: BenchChild, provider: BenchChild, ceiling: BenchChild) => {
    const ourClient = ours.ready.oauth as { clientId: string; clientSecret: string };
    const defs: Array<[string, BenchChild, () => NextRequest]> = [
      [`sign_ceiling_${alg}`, ceiling, tokenRequest('/token', CLIENT_ID, CLIENT_SECRET)],
      [`ours_${alg}`, ours, tokenRequest(oursPath, ourClient.clientId, ourClient.clientSecret)],
      [`oidc_provider_${alg}`, provider, tokenRequest('/token', CLIENT_ID, CLIENT_SECRET)],
    ];
    return defs.map(([key, server, next]): Target & { server: BenchChild; next: () => NextRequest } => ({
      key,
      server,
      next,
      pid: server.process.pid!,
      run: (seconds) => throughput({ port: server.port, connections: settings.connections, seconds, next }),
    }));
  };
  const issuers = [...issuance('rs256', oursRs, providerRs, ceilingRs), ...issuance('es256', oursEs, providerEs, ceilingEs)];
  for (const t of issuers) await issueOne(t.key, t.server.port, t.next);

  // The resource server's side, in this process: our RS256 server's tokens and its JWKS, and its pre-seeded sessions.
  const discovery = (await (await fetch(`http://127.0.0.1:${oursRs.port}/sentinel/api/account/${ACCOUNT}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
  const jwksUrl = new URL(new URL(discovery.jwks_uri).pathname, `http://127.0.0.1:${oursRs.port}`).toString();
  const ourRs = issuers.find((t) => t.key === 'ours_rs256')!;
  const tokens: string[] = [];
  for (let i = 0; i < settings.tokens; i++) tokens.push(await issueOne('ours_rs256', oursRs.port, ourRs.next));
  const local: JwtVerifier = createJwtVerifier({ issuer: discovery.issuer, jwksUrl, audience: ACCOUNT });
  const remote = createBearerVerifier({ baseUrl: `http://127.0.0.1:${oursRs.port}`, accountId: ACCOUNT, cacheTtlMs: 0, jwt: false });
  let nextToken = 0;
  const verifiers: Target[] = [
    { key: 'local_check', pid: process.pid, run: (s) => inProcess(s, settings.verifyConcurrency, async () => (await local.verify(tokens[nextToken++ % tokens.length]!)) !== null) },
    {
      key: 'remote_check',
      pid: oursRs.process.pid!,
      run: (s) => inProcess(s, settings.verifyConcurrency, async () => (await remote.verify(seededToken(runSeed, 'bearer', pickSession(settings.sessions)))) !== null),
    },
  ];
  if ((await local.verify(tokens[0]!)) === null) throw new Error('local_check: our own token was refused');
  if ((await remote.verify(seededToken(runSeed, 'bearer', 0))) === null) throw new Error('remote_check: a seeded bearer was refused');

  const targets = [...issuers, ...verifiers];
  console.log('warming up…');
  for (const t of targets) await t.run(0.5);

  const rounds: Array<Record<string, Measured>> = [];
  for (let round = 1; round <= settings.rounds; round++) {
    const measured: Record<string, Measured> = {};
    for (const t of targets) {
      const m = await measure(t, settings.seconds);
      measured[t.key] = m;
      console.log(`round ${round}/${settings.rounds}  ${t.key.padEnd(20)} ${m.requestsPerSecond.toFixed(0).padStart(7)} /s  cpu ${m.cpuUsPerOp.toFixed(0).padStart(6)} µs/op${m.failed ? `  FAILED ${m.failed}` : ''}`);
    }
    rounds.push(measured);
  }
  // The local check's CPU is this process's, which also ran the loop: an upper bound of the check's own cost.

  const per = (a: string, b: string) => rounds.map((r) => r[a]!.requestsPerSecond / r[b]!.requestsPerSecond);
  const ratios: Record<string, { values: number[]; median: number; target?: number; means: string }> = {};
  const ratio = (key: string, values: number[], means: string, target?: number) => (ratios[key] = { values, median: median(values), means, target });
  for (const alg of ['rs256', 'es256']) {
    ratio(`issuance_${alg}_vs_oidc_provider`, per(`ours_${alg}`, `oidc_provider_${alg}`), `our tokens/s ÷ oidc-provider's, ${alg.toUpperCase()}`, 2);
    ratio(`issuance_${alg}_vs_sign_ceiling`, per(`ours_${alg}`, `sign_ceiling_${alg}`), `our tokens/s ÷ a bare route signing one JWT, ${alg.toUpperCase()}`);
    ratio(`oidc_provider_${alg}_vs_sign_ceiling`, per(`oidc_provider_${alg}`, `sign_ceiling_${alg}`), `oidc-provider tokens/s ÷ the bare signing route, ${alg.toUpperCase()}`);
  }
  ratio('local_vs_remote_check', per('local_check', 'remote_check'), 'local JWT checks/s ÷ remote bearer checks/s (client package, this process)', 10);

  const figures = Object.fromEntries(
    targets.map((t) => [
      t.key,
      {
        perSecond: median(rounds.map((r) => r[t.key]!.requestsPerSecond)),
        cpuUsPerOp: median(rounds.map((r) => r[t.key]!.cpuUsPerOp)),
        failed: rounds.reduce((n, r) => n + r[t.key]!.failed, 0),
      },
    ]),
  );
  const report = {
    date: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))) },
    settings,
    figures,
    ratios,
    rounds,
    totalSeconds: (performance.now() - wallStart) / 1000,
  };
  const resultsDir = benchFile('results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'oauth.json'), `${JSON.stringify(report, null, 2)}\n`);

  console.log('\n| target | per second (median) | server CPU µs per op (median) | failed |\n| --- | ---: | ---: | ---: |');
  for (const [key, f] of Object.entries(figures)) console.log(`| ${key} | ${f.perSecond.toFixed(0)} | ${Number.isFinite(f.cpuUsPerOp) ? f.cpuUsPerOp.toFixed(0) : '–'} | ${f.failed} |`);
  console.log('\n| ratio | median | per round | target |\n| --- | ---: | --- | --- |');
  for (const [key, r] of Object.entries(ratios)) {
    const verdict = r.target === undefined ? '' : `≥ ${r.target}: ${r.median >= r.target ? 'met' : 'missed'}`;
    console.log(`| ${key} | ${r.median.toFixed(2)} | ${r.values.map((v) => v.toFixed(2)).join(', ')} | ${verdict} |`);
  }
  console.log(`\nwrote ${join(resultsDir, 'oauth.json')} in ${report.totalSeconds.toFixed(0)} s`);
}

main().then(cleanUp, async (error) => {
  console.error(error);
  await cleanUp();
  process.exitCode = 1;
});
