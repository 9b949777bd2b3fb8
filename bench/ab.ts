/**
 * `node --import tsx bench/ab.ts [options]`: alternating A/B runs of our server
 * against the bare route, for judging one change on a noisy machine.
 *
 * Every round measures the ceiling (bare Fastify answering exactly the same
 * requests; for logins, raw argon2 verification on every core, as in
 * `npm run bench`) and then each variant of our server, back to back, for a
 * few seconds each. The report gives, per variant, the median over the
 * rounds of its ratio to the ceiling of the same round, and of its server
 * CPU per request, split into user and system (kernel) time, and into the
 * event loop's thread and the others (hashing, checkpoints, V8, libuv). A slow phase of the
 * machine that lasts minutes moves every side of a round alike, and a median
 * of many short rounds resists it better than the median of the full
 * benchmark's three long ones (docs/BENCHMARKS.md).
 *
 *   --scenario validate|refresh|login   what the variants answer (default validate)
 *   --rounds N                    rounds (default 9)
 *   --seconds S                   seconds per measurement (default 2)
 *   --connections C               keep-alive connections (default 32; logins 8)
 *   --sessions N                  live sessions in each store (default 10000)
 *   --idle S                      seconds every server waits, started, before any
 *                                 load (default 0), as a server waits for traffic
 *   --variant SPEC                repeatable; default one variant, "ours"
 *
 * SPEC is a name, then comma-separated parts, each allowed more than once:
 *   root=DIR         our server from another checkout (a git worktree with a
 *                    node_modules link, built with `npm run build` when it has
 *                    a dist/), e.g. the commit before a change
 *   node=FLAGS       node flags for the server process, space-separated
 *   env=NAME=VALUE   a server setting, as its environment variable
 *   pre=KIND:SECONDS load before the rounds (KIND validate, refresh or login),
 *                    e.g. a server that has served refreshes and logins
 *
 *   node --import tsx bench/ab.ts --variant before,root=/tmp/before --variant after
 *   node --import tsx bench/ab.ts --variant plain --variant served,pre=refresh:4,pre=login:4
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mainThreadCpuSeconds, processCpuTimes } from './lib/cpu.js';
import { throughput, type LoadResult, type NextRequest } from './lib/load.js';
import { benchFile, startChild, type BenchChild } from './lib/processes.js';
import { median } from './lib/report.js';
import { ourRequests } from './lib/requests.js';

const ACCOUNT = '123456';
const PASSWORD = 'correct horse battery staple';
const PRE_KINDS = ['validate', 'refresh', 'login'] as const;
/** Users to log in as in the login scenario, in turn. */
const LOGIN_USERS = 8;
type PreKind = (typeof PRE_KINDS)[number];

export interface Variant {
  name: string;
  root: string | null;
  nodeFlags: string[];
  env: Record<string, string>;
  pre: Array<{ kind: PreKind; seconds: number }>;
}

/** Parses one --variant SPEC (see the header). */
export function parseVariant(spec: string): Variant {
  const [name, ...parts] = spec.split(',');
  if (!name || !/^[\w.-]+$/.test(name)) throw new Error(`--variant ${spec}: it must start with a name (letters, digits, . _ -)`);
  const variant: Variant = { name, root: null, nodeFlags: [], env: {}, pre: [] };
  for (const part of parts) {
    const at = part.indexOf('=');
    const key = part.slice(0, at);
    const value = part.slice(at + 1);
    if (at <= 0 || value === '') throw new Error(`--variant ${spec}: "${part}" is not key=value`);
    if (key === 'root') variant.root = resolve(value);
    else if (key === 'node') variant.nodeFlags.push(...value.split(' ').filter(Boolean));
    else if (key === 'env') {
      const eq = value.indexOf('=');
      if (eq <= 0) throw new Error(`--variant ${spec}: env wants NAME=VALUE, got "${value}"`);
      variant.env[value.slice(0, eq)] = value.slice(eq + 1);
    } else if (key === 'pre') {
      const [kind, seconds] = value.split(':');
      if (!PRE_KINDS.includes(kind as PreKind) || !(Number(seconds) > 0)) throw new Error(`--variant ${spec}: pre wants KIND:SECONDS with KIND one of ${PRE_KINDS.join(', ')}`);
      variant.pre.push({ kind: kind as PreKind, seconds: Number(seconds) });
    } else throw new Error(`--variant ${spec}: unknown part "${key}" (root, node, env or pre)`);
  }
  return variant;
}

/** Whole-machine CPU time by state from /proc/stat (user, nice, system, idle, iowait, irq, softirq, steal, …). */
function machineTicks(): number[] {
  try {
    return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'validate' },
      rounds: { type: 'string', default: '9' },
      seconds: { type: 'string', default: '2' },
      connections: { type: 'string' },
      sessions: { type: 'string', default: '10000' },
      idle: { type: 'string', default: '0' },
      variant: { type: 'string', multiple: true },
    },
  });
  const scenario = args.scenario!;
  if (scenario !== 'validate' && scenario !== 'refresh' && scenario !== 'login') throw new Error('--scenario is validate, refresh or login');
  const login = scenario === 'login';
  const defaultConnections = login ? '8' : '32';
  const [rounds, seconds, connections, sessions] = [args.rounds, args.seconds, args.connections ?? defaultConnections, args.sessions].map(Number) as [number, number, number, number];
  if (![rounds, seconds, connections, sessions].every((n) => n > 0)) throw new Error('--rounds, --seconds, --connections and --sessions must be positive numbers');
  const idleSeconds = Number(args.idle);
  if (!(idleSeconds >= 0)) throw new Error('--idle must be a number of seconds, 0 or more');
  const variants = (args.variant?.length ? args.variant : ['ours']).map(parseVariant);
  if (new Set([...variants.map((v) => v.name), 'ceiling', 'argon2-raw']).size !== variants.length + 2) throw new Error('variant names must differ, from each other and from "ceiling" and "argon2-raw"');

  const runSeed = randomBytes(16).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'login-service-ab-'));
  const ours = ourRequests(runSeed, ACCOUNT);
  const next: () => NextRequest = scenario === 'refresh' ? ours.refresh(sessions) : login ? ours.login(LOGIN_USERS, PASSWORD) : ours.validate(sessions);
  const preload: Record<PreKind, () => NextRequest> = { validate: ours.validate(sessions), refresh: ours.refresh(sessions), login: ours.login(1, PASSWORD) };
  const children: BenchChild[] = [];
  try {
    console.log(`A/B: ${scenario}, ${rounds} rounds of ${seconds} s, ${connections} connections, ${sessions} sessions; variants: ${variants.map((v) => v.name).join(', ')}`);
    const ceiling = login ? await startChild('argon2-raw', benchFile('argon2-raw.ts'), {}) : await startChild('ceiling', benchFile('servers/ceiling.ts'), {});
    children.push(ceiling);
    const servers: BenchChild[] = [];
    for (const v of variants) {
      const file = v.root ? join(v.root, 'bench/servers/login-service.ts') : benchFile('servers/login-service.ts');
      const options = { dbPath: join(dir, `${v.name}.db`), accountId: ACCOUNT, runSeed, users: login ? LOGIN_USERS : 1, password: PASSWORD, sessions, env: v.env };
      const server = await startChild(v.name, file, options, v.nodeFlags);
      children.push(server);
      servers.push(server);
      for (const p of v.pre) {
        const r = await throughput({ port: server.port, connections: p.kind === 'login' ? 64 : connections, seconds: p.seconds, next: preload[p.kind] });
        console.log(`  before the rounds, ${v.name} served ${p.kind} for ${p.seconds} s: ${r.requestsPerSecond.toFixed(0)}/s${r.failed ? `, ${r.failed} FAILED` : ''}`);
      }
    }
    // A production server usually waits for its first traffic; V8 collects garbage in that pause,
    // which has changed how fast the server then runs (docs/BENCHMARKS.md, "The idle-start slowdown").
    if (idleSeconds > 0) {
      console.log(`  every server idle for ${idleSeconds} s before its first request of the rounds`);
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    }
    // One untimed second each, so no side starts cold.
    for (const target of login ? servers : [ceiling, ...servers]) await throughput({ port: target.port, connections, seconds: 1, next });
    const load = async (target: BenchChild): Promise<LoadResult> => {
      if (!login || target !== ceiling) return throughput({ port: target.port, connections, seconds, next });
      const raw = await ceiling.request<{ perSecond: number; verifications: number; seconds: number }>({ type: 'measure', seconds });
      return { requestsPerSecond: raw.perSecond, p50Ms: NaN, p99Ms: NaN, ok: raw.verifications, failed: 0, seconds: raw.seconds };
    };

    const perSecond = new Map<string, number[]>();
    // Server CPU µs per request: all, then its user and system (kernel) parts, and the event loop's thread alone.
    const cpu = new Map<string, number[]>();
    const cpuUser = new Map<string, number[]>();
    const cpuSystem = new Map<string, number[]>();
    const cpuMain = new Map<string, number[]>();
    const record = (m: Map<string, number[]>, name: string, value: number) => (m.get(name) ?? m.set(name, []).get(name)!).push(value);
    const measure = async (name: string, target: BenchChild): Promise<string> => {
      const ticksBefore = machineTicks();
      const cpuBefore = processCpuTimes(target.process.pid);
      const mainBefore = mainThreadCpuSeconds(target.process.pid);
      const generatorBefore = process.cpuUsage();
      const r = await load(target);
      const cpuAfter = processCpuTimes(target.process.pid);
      const mainAfter = mainThreadCpuSeconds(target.process.pid);
      const generator = process.cpuUsage(generatorBefore);
      const ticks = machineTicks().map((t, i) => t - (ticksBefore[i] ?? 0));
      const allTicks = ticks.reduce((a, b) => a + b, 0) || 1;
      const perRequest = (part: 'user' | 'system') => (cpuBefore !== null && cpuAfter !== null && r.ok > 0 ? ((cpuAfter[part] - cpuBefore[part]) * 1e6) / r.ok : NaN);
      const [user, system] = [perRequest('user'), perRequest('system')];
      const main = mainBefore !== null && mainAfter !== null && r.ok > 0 ? ((mainAfter - mainBefore) * 1e6) / r.ok : NaN;
      record(perSecond, name, r.requestsPerSecond);
      record(cpu, name, user + system);
      record(cpuUser, name, user);
      record(cpuSystem, name, system);
      record(cpuMain, name, main);
      const idle = (100 * (ticks[3] ?? 0)) / allTicks;
      const softirq = (100 * (ticks[6] ?? 0)) / allTicks;
      return `${name} ${r.requestsPerSecond.toFixed(login ? 1 : 0)}/s ${(user + system).toFixed(1)} µs (user ${user.toFixed(1)}, sys ${system.toFixed(1)}, event loop ${main.toFixed(1)}) gen ${((generator.user + generator.system) / 1e6 / r.seconds).toFixed(2)} idle ${idle.toFixed(0)}% softirq ${softirq.toFixed(0)}%${r.failed ? ` FAILED ${r.failed}` : ''}`;
    };
    const cpuMedians = (name: string) =>
      `${median(cpu.get(name)!).toFixed(1)} µs of server CPU per request (user ${median(cpuUser.get(name)!).toFixed(1)}, system ${median(cpuSystem.get(name)!).toFixed(1)}; event loop's thread ${median(cpuMain.get(name)!).toFixed(1)})`;
    for (let round = 1; round <= rounds; round++) {
      const lines = [await measure(ceiling.name, ceiling)];
      // The variants take turns going first, so none always follows the ceiling.
      const order = variants.map((_, i) => (i + round) % variants.length);
      for (const i of order) lines.push(await measure(variants[i]!.name, servers[i]!));
      console.log(`round ${round}/${rounds}  ${lines.join('  |  ')}`);
    }

    const ceilings = perSecond.get(ceiling.name)!;
    console.log(`\nmedians of ${rounds} rounds: ${ceiling.name} ${median(ceilings).toFixed(login ? 1 : 0)}/s, ${cpuMedians(ceiling.name)}`);
    for (const v of variants) {
      const ratios = perSecond.get(v.name)!.map((x, i) => x / ceilings[i]!);
      console.log(`${v.name}: ${login ? 'login_vs_argon2' : `${scenario}_vs_ceiling`} ${median(ratios).toFixed(3)} (rounds ${ratios.map((x) => x.toFixed(2)).join(' ')}), ${median(perSecond.get(v.name)!).toFixed(0)}/s, ${cpuMedians(v.name)}`);
    }
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
