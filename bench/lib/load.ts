/**
 * The load generator: closed-loop throughput with autocannon, and a paced
 * latency probe for the storm scenario.
 *
 * Latencies are taken from autocannon's per-response event (sub-millisecond),
 * not from its histogram, which rounds to whole milliseconds: an idle refresh
 * takes well under one.
 */
import { Agent, request as httpRequest } from 'node:http';
import autocannon from 'autocannon';

export interface NextRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  /** 2xx responses per second. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  /** Responses other than 2xx, and connection errors/timeouts: any of them means the figure is suspect. */
  failed: number;
  seconds: number;
  /** Storm scenario only: logins served per second, and failed ones, while the probe ran. */
  stormLoginsPerSecond?: number;
  stormLoginsFailed?: number;
  /** Filled in by the runner: server CPU (all threads) per answered request, µs. */
  serverCpuUsPerRequest?: number;
  /** Filled in by the runner: the load generator's CPU use during the run, in cores. */
  generatorCpuShare?: number;
}

/** Growable sample of latencies, in ms. */
export class Latencies {
  private values = new Float64Array(1 << 16);
  private n = 0;

  add(ms: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  percentile(p: number): number {
    if (this.n === 0) return NaN;
    const sorted = this.values.slice(0, this.n).sort();
    return sorted[Math.min(this.n - 1, Math.ceil((p / 100) * this.n) - 1)]!;
  }
}

export interface ThroughputSpec {
  port: number;
  connections: number;
  seconds: number;
  /** Builds each request; called once per request, so every request may differ. */
  next(): NextRequest;
}

/**
 * As many requests as `connections` keep-alive connections get answered in
 * `seconds`. The latencies go into `latencies`: given one that earlier runs
 * of the same target filled, p50 and p99 are over all of them (the benchmark
 * measures a target in several slices), the other figures over this run.
 */
export async function throughput(spec: ThroughputSpec, latencies = new Latencies()): Promise<LoadResult> {
  const earlier = latencies.count;
  let failedResponses = 0;
  const instance = autocannon({
    url: `http://127.0.0.1:${spec.port}`,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: 30,
    requests: [
      {
        setupRequest: (request) => {
          const next = spec.next();
          return { ...request, method: next.method, path: next.path, headers: next.headers ?? {}, body: next.body };
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.add(responseTimeMs);
    else failedResponses++;
  });
  const result = await instance;
  const ok = latencies.count - earlier;
  return {
    requestsPerSecond: ok / result.duration,
    p50Ms: latencies.percentile(50),
    p99Ms: latencies.percentile(99),
    ok,
    failed: failedResponses + result.errors + result.timeouts,
    seconds: result.duration,
  };
}

export interface MeasuredSlice {
  result: LoadResult;
  /** The server's CPU seconds (all its threads and children) during the slice; null if unreadable. */
  serverCpuSeconds: number | null;
  generatorCpuSeconds: number;
  elapsedSeconds: number;
}

/**
 * One measurement from a target's slices: requests per second over their
 * seconds together, p50 and p99 over all their latencies, server CPU (all
 * threads) per answered request, and how busy this generator was (1 = one
 * core). A single slice keeps its own figures (the storm's logins, a paced
 * probe's latencies).
 */
export function combineSlices(slices: MeasuredSlice[], latencies: Latencies): LoadResult {
  const sum = (f: (s: MeasuredSlice) => number) => slices.reduce((total, s) => total + f(s), 0);
  const ok = sum((s) => s.result.ok);
  const seconds = sum((s) => s.result.seconds);
  const cpu = slices.some((s) => s.serverCpuSeconds === null) ? NaN : sum((s) => s.serverCpuSeconds!);
  const own = slices.length === 1 ? slices[0]!.result : null;
  return {
    ...own,
    requestsPerSecond: own ? own.requestsPerSecond : ok / seconds,
    p50Ms: own ? own.p50Ms : latencies.percentile(50),
    p99Ms: own ? own.p99Ms : latencies.percentile(99),
    ok,
    failed: sum((s) => s.result.failed),
    seconds,
    serverCpuUsPerRequest: ok > 0 ? (cpu * 1e6) / ok : NaN,
    generatorCpuShare: sum((s) => s.generatorCpuSeconds) / sum((s) => s.elapsedSeconds),
  };
}

export interface PacedSpec {
  port: number;
  /** Requests sent per second, whatever the answers: an open loop, so a slow server cannot slow the probe down. */
  ratePerSecond: number;
  seconds: number;
  /** Keep-alive sockets; a request waits for a free one, and that wait counts in its latency. */
  sockets: number;
  next(): NextRequest;
}

/**
 * Latency at a fixed, moderate request rate. autocannon's own rate limit sends
 * each second's quota back to back and then waits, which measures bursts; this
 * spreads requests evenly.
 */
export async function pacedLatency(spec: PacedSpec): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.sockets });
  const latencies = new Latencies();
  let failed = 0;
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  const send = () => {
    const next = spec.next();
    const headers = next.body === undefined ? next.headers : { ...next.headers, 'content-length': String(Buffer.byteLength(next.body)) };
    const started = performance.now();
    const done = new Promise<void>((resolve) => {
      const req = httpRequest(
        { agent, host: '127.0.0.1', port: spec.port, method: next.method, path: next.path, headers },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode! >= 200 && res.statusCode! < 300) latencies.add(performance.now() - started);
            else failed++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(next.body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };

  const start = performance.now();
  const end = start + spec.seconds * 1000;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.floor(((Math.min(now, end) - start) * spec.ratePerSecond) / 1000);
      while (sent < due) {
        sent++;
        send();
      }
      if (now >= end) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(inFlight);
  agent.destroy();
  const seconds = (performance.now() - start) / 1000;
  return {
    requestsPerSecond: latencies.count / seconds,
    p50Ms: latencies.percentile(50),
    p99Ms: latencies.percentile(99),
    ok: latencies.count,
    failed,
    seconds,
  };
}
