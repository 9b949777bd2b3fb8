/**
 * `node --import tsx bench/profile.ts <validate|refresh|login|ceiling> [seconds]`
 *
 * Profiles our server (node --cpu-prof) under one scenario's load and prints
 * where its main thread spends time: by package or source area, then the
 * hottest functions. What was learned this way is kept in docs/BENCHMARKS.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { throughput, type NextRequest } from './lib/load.js';
import { benchFile, startChild } from './lib/processes.js';
import { ourRequests } from './lib/requests.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const scenario = process.argv[2] ?? 'validate';
const seconds = Number(process.argv[3] ?? 8);
const ACCOUNT = '123456';
const PASSWORD = 'correct horse battery staple';
const SESSIONS = 10_000;
const runSeed = randomBytes(16).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'login-service-profile-'));

const ours = ourRequests(runSeed, ACCOUNT);
const requests: Record<string, () => NextRequest> = {
  ceiling: () => ({ method: 'GET', path: '/ceiling' }),
  validate: ours.validate(SESSIONS),
  refresh: ours.refresh(SESSIONS),
  login: ours.login(4, PASSWORD),
};
if (!requests[scenario]) throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(requests).join(', ')}`);

/** Where a function lives, coarsely: a package, our source area, or Node itself. */
function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/(src|bench)\/(.+?)(\/[^/]+)?\.ts/.exec(url);
  if (ours) return `${ours[1]}/${ours[2]}`;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/([^/]+).*/, 'node:$1');
  return url;
}

try {
  const server =
    scenario === 'ceiling'
      ? await startChild('ceiling', benchFile('servers/ceiling.ts'), {}, ['--cpu-prof', '--cpu-prof-dir', dir])
      : await startChild('login-service', benchFile('servers/login-service.ts'), { dbPath: join(dir, 'store.db'), accountId: ACCOUNT, runSeed, users: 4, password: PASSWORD, sessions: SESSIONS }, ['--cpu-prof', '--cpu-prof-interval', process.env.PROFILE_INTERVAL_US ?? '1000', '--cpu-prof-dir', dir]);
  const result = await throughput({ port: server.port, connections: scenario === 'login' ? 8 : 32, seconds, next: requests[scenario]! });
  await server.stop();
  console.log(`${scenario}: ${result.requestsPerSecond.toFixed(0)} /s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, failed ${result.failed}`);

  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const total = profile.samples.length;
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + hits);
    const f = `${functionName || '(anonymous)'}  ${a}:${lineNumber + 1}`;
    byFunction.set(f, (byFunction.get(f) ?? 0) + hits);
  }
  const show = (title: string, m: Map<string, number>, n: number) => {
    console.log(`\n${title} (share of main-thread samples; per request: µs of main thread at the measured rate)`);
    const perRequestUs = (hits: number) => ((hits / total) * 1e6) / result.requestsPerSecond;
    for (const [k, hits] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
      console.log(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${perRequestUs(hits).toFixed(1).padStart(6)} µs  ${k}`);
    }
  };
  show('by area', byArea, 25);
  show('hottest functions', byFunction, 30);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
