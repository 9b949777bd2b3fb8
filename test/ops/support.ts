/** Shared by the operations tests: Prometheus text parsing, free ports, child processes of the real command. */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect as connectTcp, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/login-service.js', import.meta.url));

/** The value of one sample of a Prometheus text exposition (exact label set), or undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = new Map([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (present.size === wanted.length && wanted.every(([k, v]) => present.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}

/** A port that was free a moment ago (the command needs a fixed one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/**
 * One request on a fresh connection (no keep-alive agent), so that under
 * `--workers` consecutive requests are handed to different workers.
 */
export function freshRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<HttpAnswer> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        agent: false,
        headers: { connection: 'close', accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let json: any;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {}
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function cookieFrom(headers: HttpAnswer['headers']): string | undefined {
  const set = headers['set-cookie'] ?? [];
  return (Array.isArray(set) ? set : [set]).find((c) => c.startsWith('Session_id='))?.split(';')[0];
}

export interface CommandProcess {
  child: ChildProcess;
  /** Everything written to standard output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when standard output matches; rejects if the process exits first or `timeoutMs` passes. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends SIGKILL if still running (cleanup after a failed test). */
  kill(): void;
}

/**
 * Runs `login-service <args>` with the given environment added. Metrics stay on
 * the public port unless a test asks otherwise: servers started at once would
 * all claim the default metrics port.
 */
export function startCommand(args: string[], env: Record<string, string> = {}): CommandProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const watcher of watchers) watcher();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      for (const watcher of watchers) watcher();
    }),
  );
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: () => {
      if (!hasExited) child.kill('SIGKILL');
    },
    waitForOutput(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(out);
          if (match) return finish(() => resolve(match));
          if (hasExited || child.exitCode !== null) finish(() => reject(new Error(`process exited before printing ${pattern}\nstdout:\n${out}\nstderr:\n${err}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`))), timeoutMs);
        const finish = (then: () => void) => {
          clearTimeout(timer);
          watchers.delete(check);
          then();
        };
        watchers.add(check);
        check();
      });
    },
  };
}

/** JSON log lines of a process's standard output (other lines skipped). */
export function logLines(stdout: string): Array<Record<string, any>> {
  const lines: Array<Record<string, any>> = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line));
    } catch {}
  }
  return lines;
}

/** The demo administrator's password, from the first-start message. */
export function firstStartPassword(stdout: string): string {
  const match = /^\s+password: (\S+)$/m.exec(stdout);
  if (!match) throw new Error(`no first-start password in:\n${stdout}`);
  return match[1]!;
}

export interface Relay {
  host: string;
  port: number;
  /** Closes the relay and every connection through it: the target looks gone. */
  cut(): Promise<void>;
  /** Listens again on the same port: the target is back. */
  restore(): Promise<void>;
}

/** A TCP relay to host:port, so a test can take a backend away from a running server (and bring it back). */
export async function startRelay(targetHost: string, targetPort: number): Promise<Relay> {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((client) => {
    const upstream = connectTcp(targetPort, targetHost);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const port = (server.address() as { port: number }).port;
  return {
    host: '127.0.0.1',
    port,
    // Safe to call again: closing a closed relay only destroys what is left.
    cut: () =>
      new Promise<void>((resolve) => {
        if (server.listening) server.close(() => resolve());
        else resolve();
        for (const socket of sockets) socket.destroy();
      }),
    restore: () => listen(port),
  };
}

/** A relay to the server of `url`, and the same URL pointed through it. */
export async function relayTo(url: string, defaultPort: number): Promise<{ relay: Relay; url: string }> {
  const target = new URL(url);
  const relay = await startRelay(target.hostname, Number(target.port || defaultPort));
  target.hostname = relay.host;
  target.port = String(relay.port);
  return { relay, url: target.toString() };
}
