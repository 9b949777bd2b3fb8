/**
 * `npm run bench [-- --quick] [-- --rounds N] [-- --publish]`
 *
 * Starts our server (on SQLite files of three sizes) and every baseline, each
 * in its own process, then measures in rounds: within a round every scenario
 * and baseline runs once, one after another, so a noisy moment hits a
 * scenario and the baseline it is compared with alike. Figures are medians
 * over the rounds; ratios are taken within each round, then their median.
 * This process is the load generator; it serves nothing.
 *
 * Writes bench/results/latest.json and bench/results/chart.svg; --publish
 * also copies the chart to docs/benchmarks.svg.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { combineSlices, Latencies, pacedLatency, throughput, type LoadResult, type MeasuredSlice, type NextRequest } from './lib/load.js';
import { processCpuSeconds } from './lib/cpu.js';
import { benchFile, startChild, type BenchChild } from './lib/processes.js';
import { buildReport, markdownTable, printTable, renderChart, type RoundMeasurements } from './lib/report.js';
import { betterAuthRequests, expressRequests, ourRequests } from './lib/requests.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    only: { type: 'string' },
    workers: { type: 'string' },
    publish: { type: 'boolean', default: false },
    /** A setting for our servers, as its environment variable (NAME=VALUE); repeatable. */
    env: { type: 'string', multiple: true },
  },
});

/** `--env NAME=VALUE`: settings every server of ours starts with (e.g. HASH_CONCURRENCY=1). */
const ourEnv: Record<string, string> = Object.fromEntries(
  (args.env ?? []).map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--env ${pair}: expected NAME=VALUE`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);

const quick = args.quick === true;
const settings = {
  mode: quick ? 'quick' : 'full',
  rounds: args.rounds ? Number(args.rounds) : 3,
  /** Processes serving our server and the ceiling (`--workers`); the other baselines run as one process each. */
  workers: args.workers ? Number(args.workers) : 1,
  /** Seconds of each closed-loop HTTP measurement. */
  seconds: quick ? 2 : 5,
  /**
   * A scenario and what it is compared with (the bare route, the larger stores) take turns in this many
   * slices of their seconds, so that a slow spell of the host falls on all of them alike.
   */
  slices: quick ? 2 : 5,
  /** Seconds of each login and raw argon2 measurement (few events per second: they need longer). */
  loginSeconds: quick ? 2.5 : 6,
  connections: 32,
  loginConnections: 8,
  stormConnections: 64,
  probeRatePerSecond: 500,
  probeSockets: 16,
  probeSeconds: quick ? 3 : 6,
  users: 20,
  sessions: 10_000,
  scaleSessions: quick ? [100_000] : [100_000, 1_000_000],
};

const ACCOUNT = '123456';
const PASSWORD = 'correct horse battery staple';
const COOKIE_SECRET = 'benchmark cookie secret';
const runSeed = randomBytes(16).toString('hex');
const workDir = mkdtempSync(join(tmpdir(), 'login-service-bench-'));
const children: BenchChild[] = [];
const resultsDir = benchFile('results');

const scaleName = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}m` : `${n / 1000}k`);

async function cleanUp(): Promise<void> {
  await Promise.all(children.map((c) => c.stop()));
  rmSync(workDir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanUp().finally(() => process.exit(130));
  });
}

async function start(name: string, file: string, options: object): Promise<BenchChild> {
  const child = await startChild(name, benchFile(file), options);
  children.push(child);
  return child;
}

const ours = ourRequests(runSeed, ACCOUNT);
const express = expressRequests(runSeed, COOKIE_SECRET);
let betterAuthCookies: string[] = [];
const betterAuth = betterAuthRequests(() => betterAuthCookies);

/**
 * Reads a store file through once, so its pages are in the OS page cache when
 * a measurement starts, as they are in a server that keeps using its store.
 * Some kernels page out file pages idle for a few seconds (this machine's
 * runs DAMON with a pageout action): a million-session store, idle while the
 * other scenarios ran, then started its round from disk.
 */
async function readIntoPageCache(path: string): Promise<void> {
  for (const file of [path, `${path}-wal`]) {
    if (!existsSync(file)) continue;
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.allocUnsafe(1 << 20);
      while ((await handle.read(buffer, 0, buffer.length, null)).bytesRead > 0);
    } finally {
      await handle.close();
    }
  }
}

/** One request on a fresh connection, checked, so a misconfigured target fails loudly instead of measuring its error path. */
async function sanityCheck(name: string, port: number, next: NextRequest, expectBody?: RegExp): Promise<void> {
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const headers = next.body === undefined ? next.headers : { ...next.headers, 'content-length': String(Buffer.byteLength(next.body)) };
    const req = httpRequest({ host: '127.0.0.1', port, method: next.method, path: next.path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(next.body);
  });
  if (status !== 200 || (expectBody && !expectBody.test(body))) {
    throw new Error(`${name}: sanity request got ${status} ${body.slice(0, 300)}`);
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const wallStart = performance.now();
  const machine = {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
  };
  console.log(`login-service benchmark (${settings.mode}): ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}`);
  console.log('starting servers and seeding stores…');

  const serverOptions = (name: string, sessions: number, users: number) => ({
    dbPath: join(workDir, `${name}.db`),
    accountId: ACCOUNT,
    runSeed,
    users,
    password: PASSWORD,
    sessions,
    workers: settings.workers,
    env: ourEnv,
  });
  const [small, uncached, ceiling, expressServer, argon2Raw, ...scaled] = await Promise.all([
    start('login-service', 'servers/login-service.ts', serverOptions('small', settings.sessions, settings.users)),
    // The same small store with no bearers kept in memory: what a check that reads the file costs, beside the larger stores.
    start('login-service-uncached', 'servers/login-service.ts', { ...serverOptions('uncached', settings.sessions, 0), env: { ...ourEnv, BEARER_CACHE_SIZE: '0' } }),
    start('ceiling', 'servers/ceiling.ts', { workers: settings.workers }),
    start('express', 'servers/express.ts', { dbPath: join(workDir, 'express.db'), runSeed, cookieSecret: COOKIE_SECRET, users: settings.users, password: PASSWORD, sessions: settings.sessions }),
    start('argon2-raw', 'argon2-raw.ts', {}),
    ...settings.scaleSessions.map((n) => start(`login-service-${scaleName(n)}`, 'servers/login-service.ts', serverOptions(scaleName(n), n, 0))),
  ]);
  // Every server's SQLite file, read into the page cache before each of its measurements.
  const storeFiles = new Map<BenchChild, string>([
    [small, join(workDir, 'small.db')],
    [uncached, join(workDir, 'uncached.db')],
    [expressServer, join(workDir, 'express.db')],
    ...scaled.map((server, k) => [server, join(workDir, `${scaleName(settings.scaleSessions[k]!)}.db`)] as [BenchChild, string]),
  ]);
  let betterAuthServer: BenchChild | null = null;
  let betterAuthUnavailable: string | null = null;
  try {
    const cookiesPath = join(workDir, 'better-auth-cookies.json');
    betterAuthServer = await start('better-auth', 'servers/better-auth.ts', { dbPath: join(workDir, 'better-auth.db'), cookiesPath, users: settings.users, password: PASSWORD, sessions: settings.sessions });
    betterAuthCookies = JSON.parse(readFileSync(cookiesPath, 'utf8'));
    storeFiles.set(betterAuthServer, join(workDir, 'better-auth.db'));
  } catch (error) {
    betterAuthUnavailable = (error as Error).message;
    console.log(`better-auth baseline not run: ${betterAuthUnavailable}`);
  }
  const setupSeconds = (performance.now() - wallStart) / 1000;
  console.log(`ready after ${setupSeconds.toFixed(1)} s`);

  interface Target {
    key: string;
    /** The process whose CPU time is charged to this scenario. */
    server: BenchChild;
    /** Runs the measurement for `seconds`; closed-loop targets add their latencies to `latencies`. */
    run(seconds: number, latencies?: Latencies): Promise<LoadResult>;
    /** Targets of one group, consecutive in the list, are measured in turns (settings.slices). */
    group?: string;
    seconds: number;
    /** Closed-loop targets get a short untimed run first, so the JIT and caches settle: a longer one before round 1, a short one before each measurement (full mode). */
    warmup: boolean;
    sanity?: () => Promise<void>;
  }
  const closed = (key: string, server: BenchChild, next: () => NextRequest, sanityBody?: RegExp, connections = settings.connections, seconds = settings.seconds): Target => ({
    key,
    server,
    run: (s, latencies) => throughput({ port: server.port, connections, seconds: s, next }, latencies),
    seconds,
    warmup: true,
    sanity: () => sanityCheck(key, server.port, next(), sanityBody),
  });
  const probe = (seconds: number, port = small.port) =>
    pacedLatency({ port, ratePerSecond: settings.probeRatePerSecond, seconds, sockets: settings.probeSockets, next: ours.refresh(settings.sessions) });

  // Each larger store runs right after the small one it is compared with, as a baseline runs next to its
  // scenario: with the scale runs at the end of the round, ~40 s after the small store's, a slow spell of the
  // host between the two set the ratio (run 29, docs/BENCHMARKS.md).
  // Within a round, the bare route, the small store and the larger stores then take turns in one-second
  // slices (settings.slices): with each measured for 5 s in a row, one slow spell could still move one side of
  // a ratio (refresh_1m_vs_small 0.971, 0.654, 0.933 from round to round in run 37).
  const scaledTargets = (scenario: string, requests: (sessions: number) => () => NextRequest, sanityBody?: RegExp): Target[] =>
    scaled.map((server, k) => {
      const n = settings.scaleSessions[k]!;
      return closed(`${scenario}_${scaleName(n)}`, server, requests(n), sanityBody);
    });
  const inTurns = (group: string, members: Target[]): Target[] => members.map((t) => ({ ...t, group }));
  const targets: Target[] = [
    closed('ceiling', ceiling, () => ({ method: 'GET', path: '/ceiling' })),
    ...inTurns('validate', [
      closed('ceiling_bearer_requests', ceiling, ours.validate(settings.sessions), /"ok"/),
      closed('validate', small, ours.validate(settings.sessions), /"userId"/),
      closed('validate_uncached', uncached, ours.validate(settings.sessions), /"userId"/),
      ...scaledTargets('validate', (n) => ours.validate(n), /"userId"/),
    ]),
    ...inTurns('refresh', [
      closed('ceiling_refresh_requests', ceiling, ours.refresh(settings.sessions), /"ok"/),
      closed('refresh', small, ours.refresh(settings.sessions)),
      ...scaledTargets('refresh', (n) => ours.refresh(n)),
    ]),
    closed('express_check', expressServer, express.check(settings.sessions), /"userId"/),
    closed('express_refresh', expressServer, express.refresh(settings.sessions)),
    ...(betterAuthServer ? [closed('better_auth_get_session', betterAuthServer, betterAuth.getSession, /"session"/)] : []),
    {
      key: 'argon2_raw',
      server: argon2Raw,
      seconds: settings.loginSeconds,
      warmup: false,
      run: async (seconds) => {
        const r = await argon2Raw.request<{ perSecond: number; verifications: number; seconds: number }>({ type: 'measure', seconds });
        return { requestsPerSecond: r.perSecond, p50Ms: NaN, p99Ms: NaN, ok: r.verifications, failed: 0, seconds: r.seconds };
      },
    },
    closed('login', small, ours.login(settings.users, PASSWORD), /"bearer"/, settings.loginConnections, settings.loginSeconds),
    closed('express_login', expressServer, express.login(settings.users, PASSWORD), /"csrf"/, settings.loginConnections, settings.loginSeconds),
    ...(betterAuthServer ? [closed('better_auth_sign_in', betterAuthServer, betterAuth.signIn(settings.users, PASSWORD), /"token"/, settings.loginConnections, settings.loginSeconds)] : []),
    // The floor of the idle figure: the bare route at the same paced rate, on this machine, in this round.
    { key: 'ceiling_refresh_paced', server: ceiling, seconds: settings.probeSeconds, warmup: false, run: (seconds) => probe(seconds, ceiling.port) },
    { key: 'refresh_idle_paced', server: small, seconds: settings.probeSeconds, warmup: false, run: (seconds) => probe(seconds) },
    {
      key: 'refresh_during_storm',
      server: small,
      seconds: settings.probeSeconds,
      warmup: false,
      run: async (seconds) => {
        // The storm starts first and outlasts the probe, so hashing is saturated for the whole probe.
        const storm = throughput({ port: small.port, connections: settings.stormConnections, seconds: seconds + 2, next: ours.login(settings.users, PASSWORD) });
        await new Promise((r) => setTimeout(r, 1000));
        const refresh = await probe(seconds);
        const logins = await storm;
        return { ...refresh, stormLoginsPerSecond: logins.requestsPerSecond, stormLoginsFailed: logins.failed };
      },
    },
  ];

  if (args.only) {
    // For working on one scenario: `--only 'validate|ceiling_bearer'` keeps the targets whose key matches.
    const pattern = new RegExp(args.only);
    targets.splice(0, targets.length, ...targets.filter((t) => pattern.test(t.key)));
    if (targets.length === 0) throw new Error(`--only ${args.only} matches no scenario`);
  }
  console.log('checking and warming up every target…');
  for (const target of targets) {
    await target.sanity?.();
    if (target.warmup) await target.run(quick ? 0.5 : 1);
  }

  // Each batch is a group of targets measured in turns, or one target alone.
  const batches: Target[][] = [];
  for (const target of targets) {
    const last = batches.at(-1);
    if (target.group !== undefined && last?.[0]!.group === target.group) last.push(target);
    else batches.push([target]);
  }

  const rounds: RoundMeasurements[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    const measured: RoundMeasurements = {};
    for (const batch of batches) {
      const slices = batch.length > 1 ? settings.slices : 1;
      const taken = new Map(batch.map((t) => [t, { latencies: new Latencies(), slices: [] as MeasuredSlice[] }]));
      for (const target of batch) {
        const storeFile = storeFiles.get(target.server);
        if (storeFile) await readIntoPageCache(storeFile);
        // A short untimed run first, so the measurement starts from a server in use, not one idle for
        // the minute the other scenarios took: the ceiling's plain GET warms it just before its bearer
        // run, and ours needs the same (its first half second after an idle minute costs ~40% more).
        // Quick mode skips it to stay under three minutes.
        if (target.warmup && !quick) await target.run(0.5);
      }
      for (let slice = 0; slice < slices; slice++) {
        for (const target of batch) {
          const { latencies, slices: done } = taken.get(target)!;
          done.push(await measureSlice(target.server, () => target.run(target.seconds / slices, latencies)));
        }
      }
      for (const target of batch) {
        const { latencies, slices: done } = taken.get(target)!;
        const m = combineSlices(done, latencies);
        measured[target.key] = m;
        process.stdout.write(
          `round ${round}/${settings.rounds}  ${target.key.padEnd(26)} ${m.requestsPerSecond.toFixed(1).padStart(9)} /s  p50 ${fmt(m.p50Ms)}  p99 ${fmt(m.p99Ms)}  cpu ${m.serverCpuUsPerRequest!.toFixed(0).padStart(6)} µs/req  gen ${m.generatorCpuShare!.toFixed(2)}${m.failed ? `  FAILED ${m.failed}` : ''}\n`,
        );
      }
    }
    rounds.push(measured);
  }

  const report = buildReport({
    date: startedAt.toISOString(),
    machine: { ...machine, loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))) },
    settings,
    rounds,
    seeding: Object.fromEntries([small, ...scaled].map((s) => [s.name, s.ready.seeded])),
    betterAuthUnavailable,
    setupSeconds,
    totalSeconds: (performance.now() - wallStart) / 1000,
  });
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'chart.svg'), renderChart(report));
  writeFileSync(join(resultsDir, 'table.md'), `${markdownTable(report)}\n`);
  if (args.publish) copyFileSync(join(resultsDir, 'chart.svg'), benchFile('../docs/benchmarks.svg'));
  printTable(report);
  console.log(`\nwrote ${join(resultsDir, 'latest.json')}, chart.svg and table.md in ${report.totalSeconds.toFixed(0)} s`);
}

async function measureSlice(server: BenchChild, run: () => Promise<LoadResult>): Promise<MeasuredSlice> {
  const cpuBefore = processCpuSeconds(server.process.pid);
  const generatorBefore = process.cpuUsage();
  const started = performance.now();
  const result = await run();
  const elapsedSeconds = (performance.now() - started) / 1000;
  const cpuAfter = processCpuSeconds(server.process.pid);
  const generator = process.cpuUsage(generatorBefore);
  return {
    result,
    serverCpuSeconds: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
    generatorCpuSeconds: (generator.user + generator.system) / 1e6,
    elapsedSeconds,
  };
}

const fmt = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(2)} ms` : '   –   ').padStart(9);

main()
  .then(cleanUp, async (error) => {
    console.error(error);
    await cleanUp();
    process.exitCode = 1;
  });
