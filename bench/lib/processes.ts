/**
 * Starts each benchmark server (and the raw argon2 meter) in its own process,
 * waits for its "ready" report, and stops it. Children run TypeScript through
 * tsx, like the server itself, and exit when this process goes away.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ReadyMessage {
  type: 'ready';
  port: number;
  [key: string]: unknown;
}

export interface BenchChild {
  name: string;
  port: number;
  ready: ReadyMessage;
  process: ChildProcess;
  /** Sends a message and resolves with the child's next reply. */
  request<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

export function benchFile(relative: string): string {
  return `${BENCH_DIR}${relative}`;
}

export async function startChild(name: string, file: string, options: object, extraExecArgv: string[] = [], timeoutMs = 300_000): Promise<BenchChild> {
  const child = fork(file, [], {
    execArgv: ['--import', 'tsx', ...extraExecArgv],
    env: { ...process.env, BENCH_CHILD_OPTIONS: JSON.stringify(options), NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('message', (message: { type: string; message?: string }) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve(message as ReadyMessage);
      else fail(new Error(`${name} failed to start: ${message.message ?? JSON.stringify(message)}`));
    });
    child.once('exit', (code, signal) => fail(new Error(`${name} exited before it was ready (${signal ?? code})`)));
  });
  child.removeAllListeners('exit');

  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    name,
    port: ready.port,
    ready,
    process: child,
    request<T>(message: Record<string, unknown>, requestTimeoutMs = 120_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} did not answer ${message.type}`)), requestTimeoutMs);
        child.once('message', (reply: T & { type?: string; message?: string }) => {
          clearTimeout(timer);
          if (reply.type === 'error') reject(new Error(`${name}: ${reply.message}`));
          else resolve(reply);
        });
        child.send(message);
      });
    },
    stop(): Promise<void> {
      if (exited) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}
