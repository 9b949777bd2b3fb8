/**
 * The benchmark harness works: servers start in their own processes, the
 * load generator gets answers, and the report turns rounds into figures.
 * Runs a second or so of load; asserts that numbers were produced, never
 * how fast anything was.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { parseVariant } from '../../bench/ab.js';
import { mainThreadCpuSeconds, processCpuSeconds, processCpuTimes } from '../../bench/lib/cpu.js';
import { combineSlices, Latencies, pacedLatency, throughput } from '../../bench/lib/load.js';
import { benchFile, startChild, type BenchChild } from '../../bench/lib/processes.js';
import { buildReport, median, renderChart } from '../../bench/lib/report.js';
import { ourRequests } from '../../bench/lib/requests.js';

const ACCOUNT = '123456';
const PASSWORD = 'correct horse battery staple';
const SESSIONS = 50;

describe('benchmark harness', () => {
  const runSeed = randomBytes(16).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'login-service-bench-test-'));
  const ours = ourRequests(runSeed, ACCOUNT);
  let ceiling: BenchChild;
  let server: BenchChild;

  before(async () => {
    [ceiling, server] = await Promise.all([
      startChild('ceiling', benchFile('servers/ceiling.ts'), {}),
      startChild('login-service', benchFile('servers/login-service.ts'), { dbPath: join(dir, 'store.db'), accountId: ACCOUNT, runSeed, users: 1, password: PASSWORD, sessions: SESSIONS }),
    ]);
  });

  after(async () => {
    await Promise.all([ceiling?.stop(), server?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('the ceiling baseline answers the load generator', async () => {
    const result = await throughput({ port: ceiling.port, connections: 2, seconds: 0.5, next: () => ({ method: 'GET', path: '/ceiling' }) });
    assert.ok(result.ok > 0, 'some requests were answered');
    assert.equal(result.failed, 0);
    assert.ok(result.requestsPerSecond > 0 && result.p50Ms > 0 && result.p99Ms >= result.p50Ms);
  });

  test('a target measured in slices adds up to one measurement over all of them', async () => {
    const latencies = new Latencies();
    const next = () => ({ method: 'GET' as const, path: '/ceiling' });
    const first = await throughput({ port: ceiling.port, connections: 2, seconds: 0.3, next }, latencies);
    const second = await throughput({ port: ceiling.port, connections: 2, seconds: 0.3, next }, latencies);
    assert.ok(first.ok > 0 && second.ok > 0);
    assert.equal(latencies.count, first.ok + second.ok, 'both slices went into one sample; each counts only its own');
    const slice = (result: typeof first, cpu: number | null) => ({ result, serverCpuSeconds: cpu, generatorCpuSeconds: 0.1, elapsedSeconds: 0.4 });
    const combined = combineSlices([slice(first, 0.02), slice(second, 0.04)], latencies);
    assert.equal(combined.ok, first.ok + second.ok);
    assert.equal(combined.seconds, first.seconds + second.seconds);
    assert.equal(combined.requestsPerSecond, combined.ok / combined.seconds);
    assert.equal(combined.p99Ms, latencies.percentile(99));
    assert.ok(Math.abs(combined.serverCpuUsPerRequest! - 0.06e6 / combined.ok) < 1e-6);
    assert.equal(combined.generatorCpuShare, 0.25);
    assert.ok(Number.isNaN(combineSlices([slice(first, 0.02), slice(second, null)], latencies).serverCpuUsPerRequest!), 'an unreadable slice spoils the CPU figure');
    // One slice keeps its own figures, extra ones included (the storm's logins).
    const alone = combineSlices([slice({ ...first, p99Ms: 123, stormLoginsPerSecond: 7 }, 0.02)], new Latencies());
    assert.equal(alone.p99Ms, 123);
    assert.equal(alone.stormLoginsPerSecond, 7);
    assert.equal(alone.requestsPerSecond, first.requestsPerSecond);
  });

  test('our server, seeded directly in its SQLite file, answers refreshes of many sessions and bearer checks', async () => {
    assert.equal((server.ready.seeded as { sessions: number }).sessions, SESSIONS);
    assert.ok((server.ready.seeded as { bytesPerSession: number }).bytesPerSession > 0, 'the store grew');
    const refresh = await throughput({ port: server.port, connections: 2, seconds: 0.5, next: ours.refresh(SESSIONS) });
    assert.ok(refresh.ok > 0);
    assert.equal(refresh.failed, 0, 'every pre-seeded session refreshes with its csrf');
    const paced = await pacedLatency({ port: server.port, ratePerSecond: 50, seconds: 0.5, sockets: 2, next: ours.validate(SESSIONS) });
    assert.ok(paced.ok > 0);
    assert.equal(paced.failed, 0, 'every pre-seeded bearer is accepted');
  });

  test('with --workers, our server and the ceiling run as clusters and each is charged the CPU of all its processes', async () => {
    const [clusteredCeiling, clusteredServer] = await Promise.all([
      startChild('ceiling', benchFile('servers/ceiling.ts'), { workers: 2 }),
      startChild('login-service', benchFile('servers/login-service.ts'), { dbPath: join(dir, 'clustered.db'), accountId: ACCOUNT, runSeed, users: 1, password: PASSWORD, sessions: SESSIONS, workers: 2 }),
    ]);
    try {
      for (const [target, next] of [[clusteredCeiling, ours.validate(SESSIONS)], [clusteredServer, ours.validate(SESSIONS)]] as const) {
        const before = processCpuSeconds(target.process.pid);
        const result = await throughput({ port: target.port, connections: 4, seconds: 0.5, next });
        assert.ok(result.ok > 0, `${target.name} answered`);
        assert.equal(result.failed, 0, `${target.name}: every request succeeded`);
        // The workers serve; the process the benchmark started only supervises them.
        assert.ok(processCpuSeconds(target.process.pid)! > before!, `${target.name}: the workers' CPU is counted`);
      }
    } finally {
      await Promise.all([clusteredCeiling.stop(), clusteredServer.stop()]);
    }
  });

  test('the CPU of a process includes its descendants', async () => {
    const self = processCpuSeconds(process.pid)!;
    const burner = spawn(process.execPath, ['-e', 'const end = Date.now() + 400; while (Date.now() < end);'], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const withChild = processCpuSeconds(process.pid)!;
    const child = processCpuSeconds(burner.pid)!;
    await new Promise((resolve) => burner.once('exit', resolve));
    assert.ok(child > 0.05, `the child burned CPU (${child} s)`);
    assert.ok(withChild - self >= child * 0.9, `parent total grew by the child's share (${withChild - self} s vs ${child} s)`);
  });

  test("the event loop's thread is counted apart from the process's other threads", { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const [main0, all0] = [mainThreadCpuSeconds(process.pid)!, processCpuSeconds(process.pid)!];
    const worker = new Worker('const end = Date.now() + 400; while (Date.now() < end);', { eval: true });
    await new Promise((resolve) => worker.once('exit', resolve));
    const [main1, all1] = [mainThreadCpuSeconds(process.pid)!, processCpuSeconds(process.pid)!];
    assert.ok(all1 - all0 >= 0.3, `the process burned the worker's CPU (${all1 - all0} s)`);
    assert.ok(main1 - main0 < (all1 - all0) / 2, `not on the main thread (${main1 - main0} of ${all1 - all0} s)`);
    const end = Date.now() + 300;
    while (Date.now() < end);
    assert.ok(mainThreadCpuSeconds(process.pid)! - main1 >= 0.2, 'a busy event loop is counted');
    assert.equal(mainThreadCpuSeconds(2 ** 22 + 1), null, 'no such process');
  });

  test('the CPU of a process splits into user and system time', () => {
    const times = processCpuTimes(process.pid)!;
    assert.ok(times.user > 0, 'this test process has run JavaScript');
    assert.ok(times.system >= 0);
    const total = processCpuSeconds(process.pid)!;
    // Read a moment apart; the total can only have grown.
    assert.ok(total >= times.user + times.system - 1e-9, `total ${total} vs ${times.user} + ${times.system}`);
  });

  test('the report turns rounds into medians, ratios and a chart', () => {
    const m = (requestsPerSecond: number, p99Ms = 2) => ({ requestsPerSecond, p50Ms: 1, p99Ms, ok: 10, failed: 0, seconds: 1 });
    const round = { ceiling_bearer_requests: m(100), validate: m(80), validate_uncached: m(64), validate_1m: m(48), ceiling_refresh_requests: m(100), refresh: m(60), express_refresh: m(20), login: m(9), argon2_raw: m(10), refresh_idle_paced: m(50, 2), refresh_during_storm: m(50, 4) };
    const report = buildReport({ date: new Date(0).toISOString(), machine: { cores: 2 }, settings: { rounds: 3, mode: 'quick' }, rounds: [round, round, round], seeding: {}, betterAuthUnavailable: null, setupSeconds: 1, totalSeconds: 2 });
    assert.equal(report.ratios.validate_vs_ceiling, 0.8);
    assert.equal(report.ratios.refresh_vs_express, 3);
    assert.equal(report.ratios.login_vs_argon2, 0.9);
    assert.equal(report.ratios.storm_p99_ratio, 2);
    assert.equal(report.ratios.validate_1m_vs_small, 0.6);
    assert.equal(report.targets.validate_1m_vs_small?.met, false);
    assert.equal(report.ratios.validate_1m_vs_uncached, 0.75, 'the larger store against the small one with nothing in memory');
    assert.equal(report.ratios.validate_vs_uncached, 1.25);
    assert.equal(report.targets.validate_1m_vs_uncached, undefined, 'informative, no target');
    assert.equal(report.targets.validate_vs_ceiling?.met, true);
    assert.match(renderChart(report), /^<svg [^]*<\/svg>\n$/);
  });

  test('the A/B tool reads variant specs and refuses malformed ones', () => {
    assert.deepEqual(parseVariant('before,root=/tmp/before,node=--max-semi-space-size=32 --no-opt,env=HASH_CONCURRENCY=1,env=X=a=b,pre=refresh:4,pre=login:0.5'), {
      name: 'before',
      root: '/tmp/before',
      nodeFlags: ['--max-semi-space-size=32', '--no-opt'],
      env: { HASH_CONCURRENCY: '1', X: 'a=b' },
      pre: [{ kind: 'refresh', seconds: 4 }, { kind: 'login', seconds: 0.5 }],
    });
    assert.deepEqual(parseVariant('plain'), { name: 'plain', root: null, nodeFlags: [], env: {}, pre: [] });
    for (const bad of ['', ',root=/x', 'a b', 'x,root', 'x,env=NOVALUE', 'x,pre=storm:3', 'x,pre=login:0', 'x,color=red']) {
      assert.throws(() => parseVariant(bad), Error, bad);
    }
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
  });

  test('the A/B tool measures the ceiling and each variant every round and reports their medians', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', benchFile('ab.ts'), '--rounds', '2', '--seconds', '0.3', '--sessions', String(SESSIONS), '--connections', '2', '--variant', 'plain', '--variant', 'served,pre=refresh:0.3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, out);
    assert.equal(out.match(/^round \d\/2 {2}ceiling \d+\/s/gm)?.length, 2, out);
    assert.match(out, /served served refresh for 0\.3 s: \d+\/s\n/);
    assert.doesNotMatch(out, /FAILED/);
    for (const name of ['plain', 'served']) {
      const ratio = new RegExp(`^${name}: validate_vs_ceiling (\\d+\\.\\d+) `, 'm').exec(out);
      assert.ok(ratio && Number(ratio[1]) > 0, `${name} has a ratio:\n${out}`);
      const split = new RegExp(`^${name}: .* (\\d+\\.\\d) µs of server CPU per request \\(user (\\d+\\.\\d), system (\\d+\\.\\d); event loop's thread (\\d+\\.\\d)\\)$`, 'm').exec(out);
      assert.ok(split, `${name} has its CPU split into user and system, and the event loop's thread:\n${out}`);
      const [all, user, system, main] = split.slice(1).map(Number) as [number, number, number, number];
      assert.ok(user > 0, `${name}: some user time`);
      assert.ok(Math.abs(user + system - all) < 0.3 + all * 0.2, `${name}: the medians of the parts roughly add up (${user} + ${system} vs ${all})`);
      assert.ok(main > 0 && main <= all * 1.2 + 0.3, `${name}: the event loop's thread is a part of the whole (${main} of ${all})`);
    }
  });

  test('the A/B tool compares logins with raw argon2 verification', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', benchFile('ab.ts'), '--scenario', 'login', '--rounds', '1', '--seconds', '0.5', '--variant', 'plain'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, out);
    assert.match(out, /^A\/B: login, 1 rounds of 0\.5 s, 8 connections/m, out);
    assert.match(out, /^round 1\/1 {2}argon2-raw \d+\.\d\/s .*\| {2}plain \d+\.\d\/s /m, out);
    assert.doesNotMatch(out, /FAILED/);
    const ratio = /^plain: login_vs_argon2 (\d+\.\d+) /m.exec(out);
    assert.ok(ratio && Number(ratio[1]) > 0, `a ratio:\n${out}`);
    const main = /^plain: .*event loop's thread (\d+\.\d)\)$/m.exec(out);
    assert.ok(main && Number(main[1]) > 0, `the event loop's share of a login:\n${out}`);
  });
});
